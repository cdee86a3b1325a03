"""Council console (Wagtail admin) pages for payment runs: the list of runs with a button to start
one, a run's progress, summary, payments and payment file (with the confirmation that the bank
paid it), and one payment with a form to cancel it.

Contract and finance officers see these pages; only finance officers start a run, confirm a file
or cancel a payment (anyone else gets 403). Every change goes through
:mod:`isf.services.payments`. A run started here is executed by the ``isf.payment_run_execute``
task after the commit; on the embedded setup tasks run at once, so the page shows the summary.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView

from isf import services, tasks
from isf.console import OfficerMenuItem
from isf.constants import Gateway, PaymentStatus, RunStatus, RunTrigger
from isf.models import Payment, PaymentRun
from isf.payment_file import payment_file_csv
from isf.selectors.payments import console_runs, payments_with_parties, run_payments
from isf.views import run_action
from marketplace.console import ConsolePage, OfficersOnly
from marketplace.console import refused as _refused
from marketplace.constants import Role
from marketplace.permissions import has_role, is_council_officer

PAGE_SIZE = 50


def _finance_officer(request) -> bool:
    return has_role(request.user, Role.FINANCE_OFFICER)


class StartRunForm(forms.Form):
    """No fields: a run pays whatever is due today; the button only asks for a deliberate click."""


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why cancel this payment?", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Its release is reversed in the ledger and the period is not paid again.",
        error_messages={"required": "Enter why you are cancelling the payment",
                        "max_length": "The reason must be 2,000 characters or fewer"})


class RunListView(OfficersOnly, ConsolePage, TemplateView):
    page_title = "Payment runs"
    header_icon = "list-ul"
    template_name = "isf/console/payment_run_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(console_runs(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page=page, runs=list(page.object_list), form=StartRunForm(),
                       can_start=has_role(self.request.user, Role.FINANCE_OFFICER))
        return context

    def post(self, request, *args, **kwargs):
        if not _finance_officer(request):
            return _refused(request)
        with transaction.atomic():
            run = services.payment_run_start(by=request.user, trigger=RunTrigger.CONSOLE)
            transaction.on_commit(lambda: tasks.payment_run_execute.delay(run.pk))
        messages.success(request, f"Payment run {run.reference} started")
        return redirect(reverse("isf_payment_run", args=[run.pk]))


class RunDetailView(OfficersOnly, ConsolePage, TemplateView):
    header_icon = "list-ul"
    template_name = "isf/console/payment_run_detail.html"

    def get_page_title(self):
        return f"Payment run {self.run.reference}"

    def dispatch(self, request, *args, run_id, **kwargs):
        if not is_council_officer(request.user):
            return _refused(request, "council contract and finance officers")
        self.run = PaymentRun.objects.filter(pk=run_id).select_related("started_by", "file_confirmed_by").first()
        if self.run is None:
            raise Http404("Not found")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.run
        page = Paginator(run_payments(run), PAGE_SIZE).get_page(self.request.GET.get("page"))
        file_payments = run.payments.filter(gateway=Gateway.PAYMENT_FILE)
        context.update(
            run=run, page=page, payments=list(page.object_list), running=run.status == RunStatus.RUNNING,
            has_file=file_payments.filter(status__in=(PaymentStatus.SENT, PaymentStatus.SETTLED)).exists(),
            awaiting_confirmation=file_payments.filter(status=PaymentStatus.SENT).exists(),
            can_confirm=has_role(self.request.user, Role.FINANCE_OFFICER),
        )
        return context

    def post(self, request, *args, **kwargs):
        """Confirm the bank paid the run's payment file."""
        if not _finance_officer(request):
            return _refused(request)
        services.payment_file_confirm(run=self.run, by=request.user)
        messages.success(request, "Confirmed: the payments in the file are marked paid")
        return redirect(reverse("isf_payment_run", args=[self.run.pk]))


class PaymentFileView(OfficersOnly, View):
    def get(self, request, run_id):
        run = PaymentRun.objects.filter(pk=run_id).first()
        if run is None:
            raise Http404("Not found")
        response = HttpResponse(payment_file_csv(run), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payment-file-{run.reference}.csv"'
        return response


class PaymentDetailView(OfficersOnly, ConsolePage, TemplateView):
    header_icon = "list-ul"
    template_name = "isf/console/payment_detail.html"

    def get_page_title(self):
        return f"Payment {self.payment.idempotency_key}"

    def dispatch(self, request, *args, payment_id, **kwargs):
        if not is_council_officer(request.user):
            return _refused(request, "council contract and finance officers")
        self.payment = payments_with_parties(Payment.objects.filter(pk=payment_id)).first()
        if self.payment is None:
            raise Http404("Not found")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        payment = self.payment
        context.update(
            payment=payment, form=form or CancelForm(),
            can_cancel=(payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED)
                        and has_role(self.request.user, Role.FINANCE_OFFICER)),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not _finance_officer(request):
            return _refused(request)
        form = CancelForm(request.POST)

        def cancel(data):
            services.payment_cancel(payment=self.payment, by=request.user, reason=data["reason"])

        if run_action(request, form, cancel):
            messages.success(request, "The payment is cancelled and its release reversed")
            return redirect(reverse("isf_payment", args=[self.payment.pk]))
        messages.error(request, "Nothing was changed. Correct the errors below.")
        return self.render_to_response(self.get_context_data(form=form), status=400)


urlpatterns = [
    path("payment-runs/", RunListView.as_view(), name="isf_payment_runs"),
    path("payment-runs/<int:run_id>/", RunDetailView.as_view(), name="isf_payment_run"),
    path("payment-runs/<int:run_id>/payment-file.csv", PaymentFileView.as_view(), name="isf_payment_file"),
    path("payment-runs/payments/<int:payment_id>/", PaymentDetailView.as_view(), name="isf_payment"),
]


def _runs_item():
    return OfficerMenuItem("Payment runs", reverse("isf_payment_runs"), icon_name="list-ul", order=198)


menu_items = [_runs_item]
