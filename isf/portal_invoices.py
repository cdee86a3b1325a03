"""The provider portal's invoice pages, under /portal/<org_id>/invoices/: the organisation's
invoices (newest first, filtered by status), a form for one invoice of up to 10 lines, a CSV
upload for many at once (with a template to start from), and one invoice with its lines, the
council's questions and a form to answer the open one.

Only the provider's staff and administrators reach these pages: a user with no provider role gets
403, another organisation's pages and invoices are not found. Every check is the service's
(:mod:`isf.services.invoices`); a refused invoice lists every problem and the form keeps what was
typed.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse

from isf import services
from isf.constants import InvoiceSource, InvoiceStatus
from isf.invoice_checks import NUMBER_MAX, DraftLine, InvoiceDraft, invoice_problems
from isf.invoice_csv import MAX_ROWS, template_csv
from isf.models import Invoice
from isf.selectors.invoices import active_contracts, invoice_context, provider_invoices, with_details
from marketplace import money
from marketplace.scoping import visible_to
from marketplace.transitions import InvalidTransition
from providers.portal import provider_organisation_or_404

PAGE_SIZE = 25
MAX_LINES = 10
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_HINT = "For example, 2026-06-01 or 01/06/2026"

STATUS_TAGS = {
    InvoiceStatus.SUBMITTED: "govuk-tag--grey",
    InvoiceStatus.VALIDATED: "govuk-tag--blue",
    InvoiceStatus.QUERIED: "govuk-tag--orange",
    InvoiceStatus.APPROVED: "govuk-tag--green",
    InvoiceStatus.PAID: "govuk-tag--purple",
    InvoiceStatus.REJECTED: "govuk-tag--red",
}


def _date(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, input_formats=DATE_FORMATS, help_text=DATE_HINT,
                           error_messages={"required": f"Enter the {label.lower()}",
                                           "invalid": f"Enter the {label.lower()} as a date, for example 2026-06-01"})


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *InvoiceStatus.choices],
                               error_messages={"invalid_choice": "Choose a status from the list"})


class InvoiceForm(forms.Form):
    contract = forms.TypedChoiceField(label="Contract", coerce=int,
                                      error_messages={"required": "Choose the contract the invoice is for",
                                                      "invalid_choice": "Choose one of your contracts in force"})
    number = forms.CharField(label="Invoice number", max_length=NUMBER_MAX, help_text="Your own invoice number.",
                             error_messages={"required": "Enter the invoice number",
                                             "max_length": f"The invoice number must be {NUMBER_MAX} characters or "
                                                           f"fewer"})
    period_start = _date("Period start")
    period_end = _date("Period end")
    notes = forms.CharField(label="Notes for the council", required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            error_messages={"max_length": "The notes must be 2,000 characters or fewer"})

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [("", "Choose a contract")] + [
            (contract.pk, f"{contract.reference}: {contract.listing.title} for {contract.person.first_name} "
                          f"{contract.person.last_name}") for contract in contracts]


class LineForm(forms.Form):
    """One line. Its fields are required, but a line left empty is skipped: every line is an extra
    form of the formset, which Django does not validate while it is unchanged. (Marking the fields
    optional would label each of them "(optional)", though a line needs all of them.)"""

    item = forms.ChoiceField(label="Item",
                             error_messages={"required": "Choose the item",
                                             "invalid_choice": "Choose one of the items of your contracts"})
    date_from = _date("Date from")
    date_to = _date("Date to")
    quantity = forms.DecimalField(label="Quantity", max_digits=9, decimal_places=2,
                                  help_text="Hours, visits or days, as agreed. For example, 7.5",
                                  error_messages={"required": "Enter the quantity",
                                                  "invalid": "Enter the quantity as a number, like 7.5",
                                                  "max_digits": "Enter a quantity under 10,000,000",
                                                  "max_decimal_places": "Give the quantity to no more than 2 "
                                                                        "decimal places",
                                                  "max_whole_digits": "Enter a quantity under 10,000,000"})
    unit_price = forms.CharField(label="Unit price in pounds", max_length=20,
                                 help_text="The agreed price, for example 24.00",
                                 error_messages={"required": "Enter the unit price"})

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "Choose an item"), *((item, item) for item in items)]

    def clean_unit_price(self):
        try:
            return money.to_pence(self.cleaned_data["unit_price"].strip())
        except money.MoneyError as error:
            raise ValidationError(str(error)) from None


LineFormSet = forms.formset_factory(LineForm, extra=MAX_LINES, max_num=MAX_LINES, absolute_max=MAX_LINES)


class UploadForm(forms.Form):
    file = forms.FileField(label="Upload a CSV file",
                           help_text=f"UTF-8 CSV, up to 2 MB and {MAX_ROWS:,} lines.",
                           error_messages={"required": "Choose a CSV file to upload",
                                           "empty": "The file is empty: start from the template"})


class AnswerForm(forms.Form):
    answer = forms.CharField(label="Your answer", max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                             error_messages={"required": "Enter your answer to the council's question",
                                             "max_length": "The answer must be 2,000 characters or fewer"})


def _error_list(form: forms.Form | None, formset=None) -> list[dict]:
    """Every error on the page as GOV.UK error summary entries: the text and the field it is about."""
    entries = []
    forms_ = ([form] if form is not None else []) + (list(formset) if formset is not None else [])
    for one in forms_:
        for error in one.non_field_errors():
            entries.append({"text": error, "href": ""})
        for name, field in one.fields.items():
            for error in one.errors.get(name, []):
                entries.append({"text": error, "href": f"#{one[name].auto_id}"})
    return entries


def _line_items(contracts) -> list[str]:
    return sorted({terms.item for contract in contracts for terms in contract.terms.all()})


@login_required
def invoice_list(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    form = StatusFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_bound and form.is_valid() else ""
    queryset = visible_to(request.user, provider_invoices(organisation.pk, status=status))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    invoices = list(page)
    for invoice in invoices:
        invoice.tag_class = STATUS_TAGS.get(invoice.status, "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "isf/portal/invoice_list.html", {
        "organisation": organisation, "form": form, "page": page, "invoices": invoices, "query": query.urlencode(),
        "status": status, "status_label": InvoiceStatus(status).label if status else "",
    })


def _draft(form: InvoiceForm, formset) -> InvoiceDraft:
    """The draft the forms hold; a field that could not be read is left empty."""
    data = getattr(form, "cleaned_data", {})
    lines = tuple(DraftLine(item=line.cleaned_data.get("item"), date_from=line.cleaned_data.get("date_from"),
                            date_to=line.cleaned_data.get("date_to"), quantity=line.cleaned_data.get("quantity"),
                            unit_price_pence=line.cleaned_data.get("unit_price"), number=index)
                  for index, line in enumerate(formset, start=1) if line.has_changed())
    return InvoiceDraft(number=data.get("number") or "", contract=data.get("contract"),
                        period_start=data.get("period_start"), period_end=data.get("period_end"), lines=lines,
                        notes=data.get("notes") or "")


def _other_problems(organisation, form: InvoiceForm, formset) -> list:
    """When some fields could not be read, what the checks say about the rest, so the provider
    sees every problem at once: those about a field already in error are left out."""
    draft = _draft(form, formset)
    context = invoice_context(organisation, [draft.contract] if draft.contract else [], numbers=[draft.number])
    problems = []
    for problem in invoice_problems(draft, context):
        if problem.line is not None:
            line_form = formset.forms[problem.line - 1]
            if line_form.errors or problem.field not in LINE_FIELDS:
                continue
        elif problem.field in form.fields and form.errors.get(problem.field):
            continue
        problems.append(problem)
    return problems


LINE_FIELDS = {"item": "item", "date_from": "date_from", "date_to": "date_to", "quantity": "quantity",
               "unit_price": "unit_price"}


def _show_problems(problems, form: InvoiceForm, formset) -> list[dict]:
    """Put each problem next to the field it is about and list them all for the error summary."""
    entries = []
    for problem in problems:
        if problem.line is not None and 1 <= problem.line <= len(formset.forms):
            line_form = formset.forms[problem.line - 1]
            name = LINE_FIELDS.get(problem.field, "item")
            line_form.add_error(name, str(problem))
            entries.append({"text": str(problem), "href": f"#{line_form[name].auto_id}"})
        elif problem.field in form.fields:
            form.add_error(problem.field, str(problem))
            entries.append({"text": str(problem), "href": f"#{form[problem.field].auto_id}"})
        else:
            entries.append({"text": str(problem), "href": "#lines"})
    return entries


@login_required
def invoice_new(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    contracts = list(active_contracts(organisation.pk))
    items = _line_items(contracts)
    if request.method == "POST":
        form = InvoiceForm(request.POST, contracts=contracts)
        formset = LineFormSet(request.POST, prefix="lines", form_kwargs={"items": items})
        valid = form.is_valid() & formset.is_valid()
        errors = _error_list(form, formset)
        if not valid:
            errors += _show_problems(_other_problems(organisation, form, formset), form, formset)
        if valid and not any(line.has_changed() for line in formset):
            errors.append({"text": "Add at least one line: the item, dates, quantity and unit price",
                           "href": "#id_lines-0-item"})
        if valid and not errors:
            try:
                invoice = services.invoice_submit(provider=organisation, draft=_draft(form, formset), by=request.user,
                                                  source=InvoiceSource.FORM)
            except services.InvoiceRefused as refused:
                errors = _show_problems(refused.problems, form, formset)
            else:
                messages.success(request, f"Invoice {invoice.number} received and checked: it is waiting for the "
                                          f"council's approval")
                return redirect(reverse("isf:invoice", kwargs={"org_id": organisation.pk, "invoice_id": invoice.pk}))
        status = 400
    else:
        form = InvoiceForm(contracts=contracts)
        formset = LineFormSet(prefix="lines", form_kwargs={"items": items})
        errors, status = [], 200
    return render(request, "isf/portal/invoice_form.html", {
        "organisation": organisation, "form": form, "formset": formset, "errors": errors,
        "has_contracts": bool(contracts),
    }, status=status)


@login_required
def invoice_upload(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    errors = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                invoices = services.invoices_import_csv(provider=organisation, file=form.cleaned_data["file"],
                                                        by=request.user)
            except services.InvoiceRefused as refused:
                errors = [{"text": str(problem), "href": "#id_file"} for problem in refused.problems]
            else:
                count = len(invoices)
                messages.success(request, f"{count} invoice{'' if count == 1 else 's'} imported and checked: "
                                          f"waiting for the council's approval")
                return redirect(reverse("isf:invoices", kwargs={"org_id": organisation.pk}))
        else:
            errors = _error_list(form)
    else:
        form = UploadForm()
    return render(request, "isf/portal/invoice_upload.html", {
        "organisation": organisation, "form": form, "errors": errors, "max_rows": MAX_ROWS,
    }, status=400 if errors else 200)


@login_required
def invoice_template(request, org_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    example = active_contracts(organisation.pk).values_list("reference", flat=True).first()
    response = HttpResponse(template_csv(example or "ISF-000123"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invoices-template.csv"'
    return response


@login_required
def invoice_detail(request, org_id: int, invoice_id: int):
    organisation = provider_organisation_or_404(request.user, org_id)
    try:
        invoice = with_details(visible_to(request.user, Invoice.objects.filter(provider=organisation))).get(
            pk=invoice_id)
    except Invoice.DoesNotExist:
        raise Http404("Not found") from None
    form = AnswerForm()
    errors, problems, status = [], [], 200
    if request.method == "POST":
        if _detail_context(organisation, invoice, form, [], [])["open_query"] is None:
            raise Http404("Not found")
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                answered = services.invoice_answer(invoice=invoice, answer=form.cleaned_data["answer"],
                                                   by=request.user)
            except ValidationError as error:
                form.add_error("answer", error.messages)
            except InvalidTransition as error:
                form.add_error(None, str(error))
            else:
                if not answered.problems:
                    messages.success(request, "Thank you: your answer is sent and the invoice is back with the "
                                              "council for approval")
                    return redirect(request.path)
                problems = [str(problem) for problem in answered.problems]
                return render(request, "isf/portal/invoice_detail.html", _detail_context(
                    organisation, with_details(Invoice.objects.all()).get(pk=invoice.pk), AnswerForm(), [], problems))
        errors = _error_list(form)
        status = 400
    return render(request, "isf/portal/invoice_detail.html",
                  _detail_context(organisation, invoice, form, errors, problems), status=status)


def _detail_context(organisation, invoice: Invoice, form, errors, problems) -> dict:
    queries = list(invoice.queries.all())
    open_query = next((query for query in reversed(queries) if not query.answered_at), None)
    return {"organisation": organisation, "invoice": invoice, "lines": list(invoice.lines.all()), "queries": queries,
            "open_query": open_query if invoice.status == InvoiceStatus.QUERIED else None,
            "form": form, "errors": errors, "problems": problems,
            "tag_class": STATUS_TAGS.get(invoice.status, "")}


urlpatterns = [
    path("<int:org_id>/invoices/", invoice_list, name="invoices"),
    path("<int:org_id>/invoices/new/", invoice_new, name="invoice_new"),
    path("<int:org_id>/invoices/upload/", invoice_upload, name="invoice_upload"),
    path("<int:org_id>/invoices/upload/template.csv", invoice_template, name="invoice_template"),
    path("<int:org_id>/invoices/<int:invoice_id>/", invoice_detail, name="invoice"),
]
