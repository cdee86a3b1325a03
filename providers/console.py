"""Council console views: contract officers review, approve, suspend, reinstate and withdraw
organisations under the quality framework, set reference rates and decide specialist claims.
Every decision goes through providers.services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView, View
from wagtail.admin.widgets import AdminDateInput

from marketplace import money
from marketplace.console import ConsolePage
from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.permissions import has_role
from marketplace.scoping import get_visible_or_404
from marketplace.transitions import InvalidTransition
from providers import services
from providers.evidence_files import evidence_file_response
from providers.constants import AccreditationStatus, RateUnit, SpecialistClaimStatus
from providers.models import (
    Accreditation,
    Evidence,
    RateCard,
    ReferenceRate,
    ServiceCategory,
    SpecialistClaim,
    current_rate_q,
    standards_for,
)
from providers.pricing import cost_of_care_summary, is_above_usual_cost, mark_rates, reference_rates_now

ACTIONS = {
    "start_review": ("Start review", lambda a, by, reason: services.accreditation_start_review(accreditation=a, by=by)),
    "approve": ("Approve", lambda a, by, reason: services.accreditation_approve(accreditation=a, by=by, reason=reason)),
    "suspend": ("Suspend", lambda a, by, reason: services.accreditation_suspend(accreditation=a, by=by, reason=reason)),
    "reinstate": ("Reinstate", lambda a, by, reason: services.accreditation_reinstate(accreditation=a, by=by,
                                                                                      reason=reason)),
    "withdraw": ("Withdraw", lambda a, by, reason: services.accreditation_withdraw(accreditation=a, by=by,
                                                                                   reason=reason)),
}
# The decisions an officer may take in each state (expiry is the daily job's, not a button).
ACTIONS_BY_STATUS = {
    AccreditationStatus.APPLIED: ["start_review", "withdraw"],
    AccreditationStatus.UNDER_REVIEW: ["approve", "withdraw"],
    AccreditationStatus.APPROVED: ["suspend", "withdraw"],
    AccreditationStatus.SUSPENDED: ["reinstate", "withdraw"],
}


class ContractOfficerRequired:
    def dispatch(self, request, *args, **kwargs):
        if not has_role(request.user, Role.CONTRACT_OFFICER):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AccreditationIndexView(ContractOfficerRequired, ConsolePage, TemplateView):
    page_title = "Accreditations"
    header_icon = "tasks"
    template_name = "providers/console/accreditation_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        queryset = Accreditation.objects.select_related("organisation").order_by("organisation__name")
        if status in AccreditationStatus.values:
            queryset = queryset.filter(status=status)
        context.update(
            page=Paginator(queryset, 50).get_page(self.request.GET.get("p")),
            statuses=AccreditationStatus.choices,
            status=status,
        )
        return context


class AccreditationDetailView(ContractOfficerRequired, ConsolePage, TemplateView):
    header_icon = "tasks"
    template_name = "providers/console/accreditation_detail.html"

    def get_page_title(self):
        return f"Accreditation: {self.accreditation.organisation.name}"

    def dispatch(self, request, *args, pk, **kwargs):
        self.accreditation = get_object_or_404(Accreditation.objects.select_related("organisation"), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        accreditation = self.accreditation
        context.update(
            accreditation=accreditation,
            actions=[(key, ACTIONS[key][0]) for key in ACTIONS_BY_STATUS.get(accreditation.status, [])],
            problems=accreditation.approval_problems(),
            standards=standards_for(accreditation.organisation),
            evidence=Evidence.objects.filter(organisation=accreditation.organisation).select_related("standard"),
            history=AuditEvent.objects.for_object(accreditation).select_related("actor"),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in ACTIONS:
            messages.error(request, "Choose a decision")
            return self.get(request, *args, **kwargs)
        try:
            ACTIONS[action][1](self.accreditation, request.user, request.POST.get("reason", ""))
        except (ValidationError, InvalidTransition) as problem:
            for message in getattr(problem, "messages", [str(problem)]):
                messages.error(request, message)
            return redirect(self.request.path)
        messages.success(request, f"{ACTIONS[action][0]}: {self.accreditation.organisation.name}")
        return redirect(reverse("accreditation_detail", args=[self.accreditation.pk]))


class ReferenceRateForm(forms.Form):
    """A new reference rate; the rate is typed in pounds and kept in pence."""

    category = forms.ModelChoiceField(
        queryset=ServiceCategory.objects.all(), empty_label="Choose a category", label="Service category",
        error_messages={"required": "Select the service category",
                        "invalid_choice": "Select the service category"})
    unit = forms.ChoiceField(
        choices=[("", "Choose a unit"), *RateUnit.choices], label="Unit",
        error_messages={"required": "Select the unit the rate is for",
                        "invalid_choice": "Select the unit the rate is for"})
    rate = forms.CharField(
        label="Rate in pounds", help_text="For example, 18.50", max_length=20,
        error_messages={"required": "Enter the rate in pounds and pence, like 18.50"})
    effective_from = forms.DateField(
        label="Effective from", widget=AdminDateInput, help_text="For example, 2026-04-01",
        error_messages={"required": "Enter the date the rate starts",
                        "invalid": "The start date must be a real date"})
    reason = forms.CharField(
        label="Reason (recorded in the audit log)", widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for the new rate"})

    def clean_rate(self) -> int:
        try:
            pence = money.to_pence(self.cleaned_data["rate"])
        except money.MoneyError as problem:
            raise forms.ValidationError(str(problem)) from None
        if pence <= 0:
            raise forms.ValidationError("The rate must be more than £0")
        return pence


# The service names the rate in pence; the form asks for it in pounds.
RATE_FORM_FIELDS = {"rate_pence": "rate"}


def _reference_rate_rows(today):
    """One row per category and unit that has rates (history newest first), and one per category
    without any, so an officer sees at a glance where no usual cost is set."""
    by_key: dict[tuple[int, str], list[ReferenceRate]] = {}
    for rate in ReferenceRate.objects.select_related("set_by").order_by("category_id", "unit", "-effective_from"):
        by_key.setdefault((rate.category_id, rate.unit), []).append(rate)
    rows = []
    for category in ServiceCategory.objects.order_by("name"):
        units = [unit for unit in RateUnit if (category.pk, unit.value) in by_key]
        if not units:
            rows.append({"category": category, "unit": None})
        for unit in units:
            rates = by_key[(category.pk, unit.value)]
            started = [rate for rate in rates if rate.effective_from <= today]
            rows.append({
                "category": category, "unit": unit,
                "current": started[0] if started else None,
                "scheduled": [rate for rate in rates if rate.effective_from > today][::-1],
                "earlier": started[1:],
                "count": len(rates),
            })
    return rows


class ReferenceRateIndexView(ContractOfficerRequired, ConsolePage, TemplateView):
    page_title = "Reference rates"
    header_icon = "tag"
    template_name = "providers/console/reference_rates.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update(rows=_reference_rate_rows(today), today=today, form=form or ReferenceRateForm())
        return context

    def post(self, request, *args, **kwargs):
        form = ReferenceRateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rate = services.reference_rate_set(
                    category=data["category"], unit=data["unit"], rate_pence=data["rate"],
                    effective_from=data["effective_from"], reason=data["reason"], by=request.user)
            except ValidationError as problem:
                for field, errors in problem.message_dict.items():
                    field = RATE_FORM_FIELDS.get(field, field)
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"Reference rate set: {rate}")
                return redirect(reverse("reference_rate_index"))
        messages.error(request, "The rate was not saved. Correct the errors below.")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SpecialistClaimIndexView(ContractOfficerRequired, ConsolePage, TemplateView):
    page_title = "Specialist claims"
    header_icon = "help"
    template_name = "providers/console/specialist_claim_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Officers come here to decide, so the claims waiting for a decision come first.
        status = self.request.GET.get("status", SpecialistClaimStatus.SUBMITTED)
        queryset = (SpecialistClaim.objects
                    .select_related("listing__organisation", "listing__category")
                    .annotate(cost_of_care_pence=Sum("cost_lines__amount_pence"))
                    .order_by("submitted_at", "pk"))
        if status in SpecialistClaimStatus.values:
            queryset = queryset.filter(status=status)
        else:
            status = "all"
        page = Paginator(queryset, 50).get_page(self.request.GET.get("p"))
        references = reference_rates_now()
        for claim in page.object_list:
            claim.reference_rate_pence = references.get((claim.listing.category_id, claim.unit))
            claim.above_usual = is_above_usual_cost(claim.rate_pence, claim.reference_rate_pence)
        context.update(page=page, statuses=SpecialistClaimStatus.choices, status=status)
        return context


CLAIM_DECISIONS = {
    "accept": ("Accept", "Accepted", services.specialist_claim_accept),
    "reject": ("Reject", "Rejected", services.specialist_claim_reject),
}


class SpecialistClaimDetailView(ContractOfficerRequired, ConsolePage, TemplateView):
    header_icon = "help"
    template_name = "providers/console/specialist_claim_detail.html"

    def get_page_title(self):
        return f"Specialist claim: {self.claim.listing.title}"

    def dispatch(self, request, *args, pk, **kwargs):
        self.claim = get_object_or_404(
            SpecialistClaim.objects.select_related("listing__organisation", "listing__category", "submitted_by",
                                                   "decided_by").prefetch_related("cost_lines"), pk=pk)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim = self.claim
        references = reference_rates_now()
        reference = references.get((claim.listing.category_id, claim.unit))
        rate_cards = mark_rates(RateCard.objects.filter(current_rate_q(), listing=claim.listing)
                                .select_related("listing"), references=references)
        context.update(
            claim=claim,
            listing=claim.listing,
            summary=cost_of_care_summary(claim),
            reference_rate_pence=reference,
            above_usual=is_above_usual_cost(claim.rate_pence, reference),
            rate_cards=rate_cards,
            decisions=([(key, label) for key, (label, _, _) in CLAIM_DECISIONS.items()]
                       if claim.status == SpecialistClaimStatus.SUBMITTED else []),
            history=AuditEvent.objects.for_object(claim).select_related("actor"),
        )
        return context

    def post(self, request, *args, **kwargs):
        decision = request.POST.get("action")
        if decision not in CLAIM_DECISIONS:
            messages.error(request, "Choose a decision")
            return redirect(request.path)
        _, done, decide = CLAIM_DECISIONS[decision]
        try:
            decide(claim=self.claim, by=request.user, reason=request.POST.get("reason", ""))
        except (ValidationError, InvalidTransition) as problem:
            for message in getattr(problem, "messages", [str(problem)]):
                messages.error(request, message)
            return redirect(request.path)
        messages.success(request, f"{done}: specialist claim for {self.claim.listing.title}")
        return redirect(reverse("specialist_claim_detail", args=[self.claim.pk]))


class EvidenceDownloadView(ContractOfficerRequired, View):
    """A contract officer opens a file of the organisation under review."""

    def get(self, request, pk: int, evidence_id: int):
        evidence = get_visible_or_404(request.user, Evidence, pk=evidence_id, organisation__accreditation__pk=pk)
        return evidence_file_response(evidence)
