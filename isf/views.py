"""The provider portal's ISF contract pages: the contracts offered to the organisation and in force
(offered first), and one contract as an agreement in plain words with forms to accept or decline it.

Only the provider's staff and administrators reach these pages (a user with no provider role is
refused; another organisation's pages and contracts are not found). The provider is a party to the
contract, so it sees the person's name on it; nothing else about the person is shown.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse

from isf import services
from isf.constants import ContractStatus
from isf.models import IsfContract
from isf.selectors.contracts import contract_detail, current_terms, provider_contracts, weekly_amounts
from marketplace.scoping import visible_to
from marketplace.transitions import InvalidTransition
from providers.portal import provider_organisation_or_404

STATUS_TAGS = {
    ContractStatus.OFFERED: "govuk-tag--yellow",
    ContractStatus.ACTIVE: "govuk-tag--green",
    ContractStatus.SUSPENDED: "govuk-tag--orange",
    ContractStatus.ENDED: "govuk-tag--grey",
}

REASON_MAX = 2000


def _reason(label: str, required_message: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, max_length=REASON_MAX, help_text=help_text, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required_message,
                        "max_length": f"The reason must be {REASON_MAX:,} characters or fewer"})


class AcceptForm(forms.Form):
    pass


class DeclineForm(forms.Form):
    reason = _reason("Why are you declining?", "Enter why you are declining the contract",
                     "The council will see this.")


class SuspendForm(forms.Form):
    reason = _reason("Why suspend it?", "Enter why you are suspending the contract",
                     "Payments stop until it is reinstated. The provider will see this.")


class ReinstateForm(forms.Form):
    reason = _reason("Why reinstate it?", "Enter why you are reinstating the contract")


class EndForm(forms.Form):
    reason = _reason("Why end it?", "Enter why you are ending the contract")
    ends_on = forms.DateField(label="Last day", required=False,
                              help_text="Leave empty for today. For example, 2027-03-31",
                              error_messages={"invalid": "Enter the last day as a date, for example 2027-03-31"})


def run_action(request, form: forms.Form, call) -> bool:
    """Call the service with the form's data; True when it succeeded, else errors are on the form."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return False
    except InvalidTransition as error:
        form.add_error(None, str(error))
        return False
    return True


def agreement(contract: IsfContract) -> dict:
    """What the agreement pages show: the terms in force (or first terms) and weekly amounts."""
    terms = current_terms(contract)
    amounts = weekly_amounts(terms) if terms is not None else None
    return {"contract": contract, "terms": terms, "amounts": amounts, "terms_history": list(contract.terms.all()),
            "tag_class": STATUS_TAGS.get(contract.status, "")}


@login_required
def contract_list(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    queryset = visible_to(request.user, provider_contracts(organisation.pk))
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    contracts = list(page)
    for contract in contracts:
        contract.tag_class = STATUS_TAGS.get(contract.status, "")
        contract.current = current_terms(contract)
    return render(request, "isf/portal/contract_list.html", {
        "organisation": organisation, "page": page, "contracts": contracts,
    })


PROVIDER_ACTIONS = {
    "accept": (AcceptForm, lambda contract, user, data: services.contract_accept(contract=contract, by=user),
               "You have accepted the contract: it is now in force"),
    "decline": (DeclineForm, lambda contract, user, data: services.contract_decline(
        contract=contract, by=user, reason=data["reason"]), "You have declined the contract"),
}


@login_required
def contract_detail_page(request, org_id: int, contract_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    try:
        contract = contract_detail(visible_to(request.user, IsfContract.objects.filter(provider=organisation)),
                                   pk=contract_id)
    except IsfContract.DoesNotExist:
        raise Http404("Not found") from None
    forms_ = {name: form_class(prefix=name) for name, (form_class, _, _) in PROVIDER_ACTIONS.items()}
    error_form = None
    if request.method == "POST":
        name = request.POST.get("action")
        if name not in PROVIDER_ACTIONS:
            raise Http404("Not found")
        form_class, call, done = PROVIDER_ACTIONS[name]
        form = forms_[name] = form_class(request.POST, prefix=name)
        if run_action(request, form, lambda data: call(contract, request.user, data)):
            messages.success(request, done)
            return redirect(reverse("isf:contract", kwargs={"org_id": organisation.pk, "contract_id": contract.pk}))
        error_form = form
    return render(request, "isf/portal/contract_detail.html", {
        **agreement(contract),
        "organisation": organisation,
        "can_answer": contract.status == ContractStatus.OFFERED,
        "accept_form": forms_["accept"],
        "decline_form": forms_["decline"],
        "error_form": error_form,
    })


app_name = "isf"
urlpatterns = [
    path("<int:org_id>/contracts/", contract_list, name="contracts"),
    path("<int:org_id>/contracts/<int:contract_id>/", contract_detail_page, name="contract"),
]
