"""Provider portal pages for ISF money, under /portal/<org_id>/: the provider's statement (contracts
and what each fund holds, invoices, payments, remittances) with CSV and PDF downloads, its
remittance advices, and its bank details.

Only the provider's staff and administrators reach these pages; another organisation's pages and
remittances are not found. Staff see the bank details with the numbers masked; only an
administrator changes them.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse

from isf import services, statement_files
from isf.models import PayeeAccount, Remittance
from isf.people_views import (
    bad_period_download,
    download_query,
    requested_format,
    statement_download,
    statement_period,
)
from isf.selectors.statements import provider_remittances, provider_statement, remittance_detail
from isf.services.payees import mask, payee_can_edit_organisation
from providers.portal import provider_organisation_or_404


@login_required
def statement_page(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    wanted = requested_format(request)
    form, start, end = statement_period(request)
    if form.is_bound and form.errors:
        if wanted in {"csv", "pdf"}:
            return bad_period_download(form)
        return render(request, "isf/statements/provider.html",
                      {"organisation": organisation, "form": form, "statement": None}, status=400)
    statement = provider_statement(organisation, start=start, end=end)
    if (download := statement_download(wanted, statement, "provider")) is not None:
        return download
    return render(request, "isf/statements/provider.html", {
        "organisation": organisation, "form": form, "statement": statement,
        "period": statement_files.period_words(start, end), "query": download_query(request),
    })


@login_required
def remittance_list(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    page = Paginator(provider_remittances(organisation), 50).get_page(request.GET.get("page"))
    return render(request, "isf/portal/remittance_list.html", {"organisation": organisation, "page": page})


@login_required
def remittance_page(request, org_id: int, remittance_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    wanted = requested_format(request)
    try:
        detail = remittance_detail(organisation, remittance_id)
    except Remittance.DoesNotExist:
        raise Http404("Not found") from None
    if wanted == "csv":
        return statement_files.file_response(
            statement_files.remittance_csv(detail), content_type=statement_files.CSV_TYPE,
            filename=statement_files.remittance_filename(detail, "csv"))
    if wanted == "pdf":
        return statement_files.file_response(
            statement_files.remittance_pdf(detail), content_type=statement_files.PDF_TYPE,
            filename=statement_files.remittance_filename(detail, "pdf"))
    return render(request, "isf/portal/remittance_detail.html", {"organisation": organisation, "detail": detail})


HOLDER_TOO_LONG = "The name on the account must be 140 characters or fewer"


class BankDetailsForm(forms.Form):
    holder_name = forms.CharField(label="Name on the account", max_length=140,
                                  error_messages={"required": "Enter the name on the account",
                                                  "max_length": HOLDER_TOO_LONG})
    sort_code = forms.CharField(label="Sort code", max_length=20, help_text="Must be 6 digits long, like 309430",
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false",
                                                              "autocomplete": "off"}),
                                error_messages={"required": "Enter a sort code",
                                                "max_length": "Enter a valid sort code like 309430"})
    account_number = forms.CharField(label="Account number", max_length=20,
                                     help_text="Must be 8 digits long, like 00733445",
                                     widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false",
                                                                   "autocomplete": "off"}),
                                     error_messages={"required": "Enter an account number",
                                                     "max_length": "Enter a valid account number like 00733445"})
    stripe_account_id = forms.CharField(label="Stripe connected account ID", required=False, max_length=64,
                                        help_text="Only if the council pays you through Stripe. It starts acct_",
                                        widget=forms.TextInput(attrs={"spellcheck": "false"}),
                                        error_messages={"max_length": "Enter the Stripe account ID as it appears "
                                                                      "in Stripe, starting acct_"})


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ``ValidationError`` on the form: on the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def bank_details(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    can_edit = payee_can_edit_organisation(request.user, organisation)
    account = PayeeAccount.objects.filter(organisation=organisation).first()
    initial = {}
    if account is not None:
        initial = {"holder_name": account.holder_name, "stripe_account_id": account.stripe_account_id}
    form = BankDetailsForm(initial=initial) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only your organisation's administrators can change its bank details.")
        form = BankDetailsForm(request.POST)
        if not form.is_valid():
            # List every problem at once, not only the fields the form itself could check.
            typed = {name: request.POST.get(name, "") for name in form.fields}
            for name, problem in services.payee_details_problems(**typed).items():
                if name in form.fields and name not in form.errors:
                    form.add_error(name, problem)
        else:
            try:
                services.payee_account_save(by=request.user, organisation=organisation, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, "Your bank details have been saved")
                return redirect(reverse("isf:bank_details", kwargs={"org_id": organisation.pk}))
        return render(request, "isf/portal/bank_details.html", _bank_context(organisation, account, form, can_edit),
                      status=400)
    return render(request, "isf/portal/bank_details.html", _bank_context(organisation, account, form, can_edit))


def _bank_context(organisation, account, form, can_edit) -> dict:
    masked = None
    if account is not None:
        masked = {"holder_name": account.holder_name, "sort_code": mask(account.sort_code),
                  "account_number": mask(account.account_number), "stripe_account_id": account.stripe_account_id,
                  "updated_at": account.updated_at}
    return {"organisation": organisation, "account": masked, "form": form, "can_edit": can_edit}


urlpatterns = [
    path("<int:org_id>/statement/", statement_page, name="statement"),
    path("<int:org_id>/remittances/", remittance_list, name="remittances"),
    path("<int:org_id>/remittances/<int:remittance_id>/", remittance_page, name="remittance"),
    path("<int:org_id>/bank-details/", bank_details, name="bank_details"),
]
