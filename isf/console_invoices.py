"""Council console (Wagtail admin) pages for provider invoices: the queue of invoices waiting for a
decision (validated and queried, oldest first; filtered by status and provider), and one invoice
with the contract's fund balance, its lines against the agreed prices, the checks as they stand
now, the questions asked and forms to approve (finance officers), query or reject it. Contract and
finance officers only; every change goes through :mod:`isf.services.invoices`."""

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import TemplateView

from isf import services
from isf.console import PAGE_SIZE, CouncilOfficerRequired, OfficerMenuItem
from isf.constants import InvoiceStatus
from isf.models import Invoice
from isf.selectors.invoices import console_invoices, fund_balance, invoice_problems_now, with_details
from marketplace.console import ConsolePage
from marketplace.constants import Role
from marketplace.models import AuditEvent, Organisation
from marketplace.permissions import has_role, is_council_officer
from marketplace.transitions import InvalidTransition

TEXT_MAX = 2000


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[("", "Waiting for a decision (validated or queried)"), *InvoiceStatus.choices],
                               error_messages={"invalid_choice": "Choose a status from the list"})
    provider = forms.TypedChoiceField(label="Provider", required=False, coerce=int, empty_value=None,
                                      error_messages={"invalid_choice": "Choose a provider from the list"})

    def __init__(self, *args, providers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Any provider"), *((org.pk, org.name) for org in providers)]


class ApproveForm(forms.Form):
    pass


class QueryForm(forms.Form):
    question = forms.CharField(label="Your question for the provider", max_length=TEXT_MAX,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="The invoice waits until the provider answers.",
                               error_messages={"required": "Enter your question for the provider",
                                               "max_length": f"The question must be {TEXT_MAX:,} characters or fewer"})


class RejectForm(forms.Form):
    reason = forms.CharField(label="Why reject it?", max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="The provider will see this.",
                             error_messages={"required": "Enter why you are rejecting the invoice",
                                             "max_length": f"The reason must be {TEXT_MAX:,} characters or fewer"})


class InvoiceListView(CouncilOfficerRequired, ConsolePage, TemplateView):
    page_title = "ISF invoices"
    header_icon = "doc-full-inverse"
    template_name = "isf/console/invoice_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        providers = Organisation.objects.filter(isf_invoices__isnull=False).distinct().order_by("name")
        form = InvoiceFilterForm(self.request.GET or None, providers=providers)
        filters = {}
        if form.is_bound and form.is_valid():
            filters = {"status": form.cleaned_data["status"], "provider_id": form.cleaned_data["provider"]}
        page = Paginator(console_invoices(**filters), PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page=page, invoices=list(page.object_list), query=query.urlencode())
        return context


ACTIONS = {
    "approve": (ApproveForm, lambda invoice, user, data: services.invoice_approve(invoice=invoice, by=user),
                "Approved: the fund is drawn down"),
    "query": (QueryForm, lambda invoice, user, data: services.invoice_query(invoice=invoice, by=user, **data),
              "Question sent to the provider"),
    "reject": (RejectForm, lambda invoice, user, data: services.invoice_reject(invoice=invoice, by=user, **data),
               "Rejected"),
}


def invoice_audit_history(invoice: Invoice) -> list[AuditEvent]:
    invoice_type = ContentType.objects.get_for_model(Invoice)
    return list(AuditEvent.objects.filter(target_type=invoice_type, target_id=str(invoice.pk))
                .select_related("actor").order_by("occurred_at", "pk"))


class InvoiceDetailView(CouncilOfficerRequired, ConsolePage, TemplateView):
    header_icon = "doc-full-inverse"
    template_name = "isf/console/invoice_detail.html"

    def get_page_title(self):
        return f"Invoice {self.invoice.number} from {self.invoice.provider.name}"

    def dispatch(self, request, *args, invoice_id, **kwargs):
        if is_council_officer(request.user):
            try:
                self.invoice = with_details(Invoice.objects.all()).get(pk=invoice_id)
            except Invoice.DoesNotExist:
                raise Http404("Not found") from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, bound=None, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice = self.invoice
        forms_ = {name: form_class(prefix=name) for name, (form_class, _, _) in ACTIONS.items()}
        if bound is not None:
            forms_[bound[0]] = bound[1]
        status = invoice.status
        waiting = status in (InvoiceStatus.SUBMITTED, InvoiceStatus.VALIDATED, InvoiceStatus.QUERIED)
        lines = list(invoice.lines.all())
        for line in lines:
            line.agreed_price_pence = line.terms.price_pence
            line.price_matches = line.unit_price_pence == line.terms.price_pence
        context.update(
            invoice=invoice, lines=lines, queries=list(invoice.queries.all()),
            fund_balance_pence=fund_balance(invoice.contract),
            problems=[str(problem) for problem in invoice_problems_now(invoice)] if waiting else [],
            audit_events=invoice_audit_history(invoice),
            is_finance_officer=has_role(self.request.user, Role.FINANCE_OFFICER),
            can_approve=status == InvoiceStatus.VALIDATED,
            can_query=status == InvoiceStatus.VALIDATED,
            can_reject=waiting,
            approve_form=forms_["approve"], query_form=forms_["query"], reject_form=forms_["reject"],
        )
        return context

    def post(self, request, *args, **kwargs):
        name = request.POST.get("action")
        if name not in ACTIONS:
            messages.error(request, "Choose to approve, query or reject the invoice")
            return redirect(request.path)
        form_class, call, done = ACTIONS[name]
        form = form_class(request.POST, prefix=name)
        if form.is_valid():
            try:
                call(self.invoice, request.user, form.cleaned_data)
            except PermissionDenied:
                # Wagtail would turn this into a redirect; the officer is told plainly instead.
                messages.error(request, "Only a finance officer can approve an invoice. Nothing was changed.")
                return self.render_to_response(self.get_context_data(), status=403)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error.messages)
            except InvalidTransition as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"{done}: invoice {self.invoice.number}")
                return redirect(reverse("isf_invoice", args=[self.invoice.pk]))
        messages.error(request, "Nothing was changed. Correct the errors below.")
        self.invoice = with_details(Invoice.objects.all()).get(pk=self.invoice.pk)
        return self.render_to_response(self.get_context_data(bound=(name, form)), status=400)


urlpatterns = [
    path("invoices/", InvoiceListView.as_view(), name="isf_invoices"),
    path("invoices/<int:invoice_id>/", InvoiceDetailView.as_view(), name="isf_invoice"),
]


def _invoices_item():
    return OfficerMenuItem("ISF invoices", reverse("isf_invoices"), icon_name="doc-full-inverse", order=197)


menu_items = [_invoices_item]
