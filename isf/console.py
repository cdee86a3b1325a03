"""Council console (Wagtail admin) pages for ISF contracts: the list of contracts, filtered by
status and provider, and one contract with its terms history, its audit history and forms to
suspend, reinstate or end it with a reason. Contract and finance officers only; every change goes
through :mod:`isf.services.contracts`."""

from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import TemplateView

from isf import ledger, services
from isf.constants import AccountKind, ContractStatus
from isf.models import Account, IsfContract
from isf.selectors.contracts import console_contracts, contract_detail
from isf.views import EndForm, ReinstateForm, SuspendForm, agreement, run_action
from marketplace.console import ConsolePage, OfficerMenuItem
from marketplace.models import AuditEvent, Organisation
from marketplace.permissions import is_council_officer

PAGE_SIZE = 50


class CouncilOfficerRequired:
    """Contract and finance officers only."""

    def dispatch(self, request, *args, **kwargs):
        if not is_council_officer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class FilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *ContractStatus.choices],
                               error_messages={"invalid_choice": "Choose a status from the list"})
    provider = forms.TypedChoiceField(label="Provider", required=False, coerce=int, empty_value=None,
                                      error_messages={"invalid_choice": "Choose a provider from the list"})

    def __init__(self, *args, providers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Any provider"), *((org.pk, org.name) for org in providers)]


class ContractListView(CouncilOfficerRequired, ConsolePage, TemplateView):
    page_title = "ISF contracts"
    header_icon = "doc-full"
    template_name = "isf/console/contract_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        providers = Organisation.objects.filter(isf_contracts__isnull=False).distinct().order_by("name")
        form = FilterForm(self.request.GET or None, providers=providers)
        filters = {}
        if form.is_bound and form.is_valid():
            filters = {"status": form.cleaned_data["status"], "provider_id": form.cleaned_data["provider"]}
        page = Paginator(console_contracts(**filters), PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page=page, contracts=list(page.object_list), query=query.urlencode())
        return context


ACTIONS = {
    "suspend": (SuspendForm, services.contract_suspend, "Suspended: payments stop"),
    "reinstate": (ReinstateForm, services.contract_reinstate, "Reinstated"),
    "end": (EndForm, services.contract_end, "Ended"),
}


def contract_audit_history(contract: IsfContract) -> list[AuditEvent]:
    contract_type = ContentType.objects.get_for_model(IsfContract)
    return list(AuditEvent.objects.filter(target_type=contract_type, target_id=str(contract.pk))
                .select_related("actor").order_by("occurred_at", "pk"))


class ContractDetailView(CouncilOfficerRequired, ConsolePage, TemplateView):
    header_icon = "doc-full"
    template_name = "isf/console/contract_detail.html"

    def get_page_title(self):
        return f"ISF contract {self.contract.reference}"

    def dispatch(self, request, *args, contract_id, **kwargs):
        if is_council_officer(request.user):
            try:
                self.contract = contract_detail(IsfContract.objects.all(), pk=contract_id)
            except IsfContract.DoesNotExist:
                raise Http404("Not found") from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, bound=None, **kwargs):
        context = super().get_context_data(**kwargs)
        contract = self.contract
        forms_ = {name: form_class(prefix=name) for name, (form_class, _, _) in ACTIONS.items()}
        if bound is not None:
            forms_[bound[0]] = bound[1]
        status = contract.status
        context.update(
            **agreement(contract),
            audit_events=contract_audit_history(contract),
            fund_balance_pence=_fund_balance(contract),
            can_suspend=status == ContractStatus.ACTIVE,
            can_reinstate=status == ContractStatus.SUSPENDED,
            can_end=status != ContractStatus.ENDED,
            suspend_form=forms_["suspend"], reinstate_form=forms_["reinstate"], end_form=forms_["end"],
        )
        return context

    def post(self, request, *args, **kwargs):
        name = request.POST.get("action")
        if name not in ACTIONS:
            messages.error(request, "Choose to suspend, reinstate or end the contract")
            return redirect(request.path)
        form_class, service, done = ACTIONS[name]
        form = form_class(request.POST, prefix=name)

        def call(data):
            service(contract=self.contract, by=request.user, **data)

        if run_action(request, form, call):
            messages.success(request, f"{done}: {self.contract.reference}")
            return redirect(reverse("isf_contract", args=[self.contract.pk]))
        messages.error(request, "Nothing was changed. Correct the errors below.")
        return self.render_to_response(self.get_context_data(bound=(name, form)), status=400)


urlpatterns = [
    path("isf/", ContractListView.as_view(), name="isf_contracts"),
    path("isf/<int:contract_id>/", ContractDetailView.as_view(), name="isf_contract"),
]


def _contracts_item():
    return OfficerMenuItem("ISF contracts", reverse("isf_contracts"), icon_name="doc-full", order=197)


menu_items = [_contracts_item]


def _fund_balance(contract: IsfContract) -> int:
    """What the provider holds for the person; 0 before anything is released. Reading a page never
    creates the fund's account."""
    account = Account.objects.filter(kind=AccountKind.CONTRACT_FUND, contract=contract).first()
    return 0 if account is None else ledger.balance(account)
