"""Council console pages for direct-payment payees: the people with direct-payment lines in an
approved plan and whether the account their money goes to is recorded, and a form per person for
the account and who manages it. Contract and finance officers see them; finance officers record
the details. Every change goes through :mod:`isf.services.payees`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import TemplateView

from brokerage.constants import DeploymentRoute, PlanStatus
from brokerage.models import Person, PlanLine
from isf import services
from isf.console import CouncilOfficerRequired, OfficerMenuItem
from isf.models import PayeeAccount
from isf.portal_statements import HOLDER_TOO_LONG
from isf.services.payees import MANAGERS, mask
from marketplace.console import ConsolePage
from marketplace.constants import Role
from marketplace.permissions import has_role, is_council_officer

PAGE_SIZE = 50
DIRECT_ROUTES = (DeploymentRoute.DIRECT_PAYMENT, DeploymentRoute.THIRD_PARTY_DIRECT_PAYMENT)


def direct_payment_people() -> QuerySet:
    """People with a direct-payment line in an approved plan, each with ``has_account``, by name."""
    lines = PlanLine.objects.filter(plan__person=OuterRef("pk"), plan__status=PlanStatus.APPROVED,
                                    route__in=DIRECT_ROUTES)
    return (Person.objects.filter(Exists(lines)).select_related("payee_account")
            .annotate(has_account=Exists(PayeeAccount.objects.filter(person=OuterRef("pk"))))
            .order_by("has_account", "last_name", "first_name", "pk"))


class PayeeForm(forms.Form):
    manager = forms.ChoiceField(label="Who manages the account?", choices=list(MANAGERS.items()),
                                widget=forms.RadioSelect,
                                error_messages={"required": "Choose who manages the account",
                                                "invalid_choice": "Choose who manages the account"})
    manager_name = forms.CharField(label="Their name", required=False, max_length=150,
                                   help_text="Needed for a trustee; for anyone else, if it helps.",
                                   error_messages={"max_length": "The name must be 150 characters or fewer"})
    holder_name = forms.CharField(label="Name on the account", max_length=140,
                                  error_messages={"required": "Enter the name on the account",
                                                  "max_length": HOLDER_TOO_LONG})
    sort_code = forms.CharField(label="Sort code", max_length=20, help_text="Must be 6 digits long, like 309430",
                                error_messages={"required": "Enter a sort code",
                                                "max_length": "Enter a valid sort code like 309430"})
    account_number = forms.CharField(label="Account number", max_length=20,
                                     help_text="Must be 8 digits long, like 00733445",
                                     error_messages={"required": "Enter an account number",
                                                     "max_length": "Enter a valid account number like 00733445"})

    def clean(self):
        data = super().clean()
        if data.get("manager") == "trustee" and not (data.get("manager_name") or "").strip():
            self.add_error("manager_name", "Enter the trustee's name")
        return data

    def managed_by(self) -> str:
        label = MANAGERS[self.cleaned_data["manager"]]
        name = " ".join((self.cleaned_data.get("manager_name") or "").split())
        return f"{label}: {name}" if name else label


def _initial(account: PayeeAccount | None) -> dict:
    if account is None:
        return {"manager": "person"}
    manager, name = "person", ""
    for key, label in MANAGERS.items():
        if account.managed_by == label or account.managed_by.startswith(f"{label}: "):
            manager, name = key, account.managed_by[len(label) + 2:]
    return {"manager": manager, "manager_name": name, "holder_name": account.holder_name}


class PayeeListView(CouncilOfficerRequired, ConsolePage, TemplateView):
    page_title = "Direct payment accounts"
    header_icon = "user"
    template_name = "isf/console/payee_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(direct_payment_people(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        people = list(page.object_list)
        for person in people:
            account = person.payee_account if person.has_account else None
            person.masked = ({"holder_name": account.holder_name, "sort_code": mask(account.sort_code),
                              "account_number": mask(account.account_number), "managed_by": account.managed_by}
                             if account else None)
        context.update(page=page, people=people)
        return context


class PayeePersonView(CouncilOfficerRequired, ConsolePage, TemplateView):
    header_icon = "user"
    template_name = "isf/console/payee_form.html"

    def get_page_title(self):
        return f"Direct payment account: {self.person.first_name} {self.person.last_name}"

    def dispatch(self, request, *args, person_id, **kwargs):
        if is_council_officer(request.user):
            try:
                self.person = Person.objects.get(pk=person_id)
            except Person.DoesNotExist:
                raise Http404("Not found") from None
            self.account = PayeeAccount.objects.filter(person=self.person).first()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        can_edit = has_role(self.request.user, Role.FINANCE_OFFICER)
        account = self.account
        context.update(
            person=self.person, can_edit=can_edit,
            form=form or (PayeeForm(initial=_initial(account)) if can_edit else None),
            account=({"holder_name": account.holder_name, "sort_code": mask(account.sort_code),
                      "account_number": mask(account.account_number), "managed_by": account.managed_by}
                     if account else None))
        return context

    def post(self, request, *args, **kwargs):
        if not has_role(request.user, Role.FINANCE_OFFICER):
            raise PermissionDenied
        form = PayeeForm(request.POST)
        if not form.is_valid():
            # List every problem at once, not only the fields the form itself could check.
            typed = {name: request.POST.get(name, "") for name in ("holder_name", "sort_code", "account_number")}
            for name, problem in services.payee_details_problems(**typed).items():
                if name not in form.errors:
                    form.add_error(name, problem)
        else:
            try:
                services.payee_account_save(
                    by=request.user, person=self.person, holder_name=form.cleaned_data["holder_name"],
                    sort_code=form.cleaned_data["sort_code"], account_number=form.cleaned_data["account_number"],
                    managed_by=form.managed_by())
            except ValidationError as error:
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Saved the account for {self.person.first_name} {self.person.last_name}")
                return redirect(reverse("isf_payees"))
        messages.error(request, "Nothing was changed. Correct the errors below.")
        return self.render_to_response(self.get_context_data(form=form), status=400)


urlpatterns = [
    path("payees/", PayeeListView.as_view(), name="isf_payees"),
    path("payees/person/<int:person_id>/", PayeePersonView.as_view(), name="isf_payee_person"),
]


def _payees_item():
    return OfficerMenuItem("Direct payment accounts", reverse("isf_payees"), icon_name="user", order=200)


menu_items = [_payees_item]
