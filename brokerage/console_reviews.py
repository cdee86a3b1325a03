"""Council console views for direct-payment financial reviews [K §8(1), DP Regulations 2014
reg. 7]: contract and finance officers list the reviews due and overdue, open one to see the
plan's direct payments (personal assistants with their live-in relative and DBS status) and the
person's earlier reviews, and record the outcome. Reads go through
:mod:`brokerage.selectors.oversight`; the outcome is recorded by
:func:`brokerage.services.dp_review_complete`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.generic import TemplateView

from brokerage import services
from brokerage.console import ContractOfficerMenuItem
from brokerage.constants import LineKind, ReviewOutcome, ReviewStatus
from brokerage.forms import add_service_errors
from brokerage.models import DirectPaymentReview
from brokerage.selectors.oversight import (
    REVIEW_NOTICE_DAYS,
    review_with_details,
    reviews_due,
    reviews_for_person,
)
from marketplace.console import ConsolePage
from marketplace.constants import Role
from marketplace.permissions import has_role

OFFICER_ROLES = (Role.CONTRACT_OFFICER, Role.FINANCE_OFFICER)


class OfficerRequired:
    """Contract and finance officers: both carry out direct-payment reviews."""

    def dispatch(self, request, *args, **kwargs):
        if not has_role(request.user, *OFFICER_ROLES):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ReviewMenuItem(ContractOfficerMenuItem):
    """Shown to contract and finance officers."""

    def is_shown(self, request):
        return has_role(request.user, *OFFICER_ROLES)


class ReviewOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What was the outcome of the review?", choices=ReviewOutcome.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome of the review",
                        "invalid_choice": "Select the outcome of the review"})
    notes = forms.CharField(
        label="What was found, and what happens next", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Needed for any outcome other than no concerns. Recorded in the audit log.",
        error_messages={"max_length": "Notes must be 5,000 characters or fewer"})
    completed_on = forms.DateField(
        label="Date of the review", required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave empty for today. For example, 2026-03-27.",
        error_messages={"invalid": "Enter the date of the review as a real date, like 2026-03-27"})


class ReviewIndexView(OfficerRequired, ConsolePage, TemplateView):
    page_title = "Direct-payment reviews"
    header_icon = "clipboard-list"
    template_name = "brokerage/console/review_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        show_all = self.request.GET.get("show") == "all"
        reviews = list(reviews_due(self.request.user, today=today,
                                   within_days=None if show_all else REVIEW_NOTICE_DAYS))
        for review in reviews:
            review.days_overdue = max(0, (today - review.due_on).days)
        context.update(reviews=reviews, show_all=show_all, today=today, notice_days=REVIEW_NOTICE_DAYS,
                       overdue_count=sum(1 for review in reviews if review.days_overdue))
        return context


class ReviewDetailView(OfficerRequired, ConsolePage, TemplateView):
    header_icon = "clipboard-list"
    template_name = "brokerage/console/review_detail.html"

    def get_page_title(self):
        return f"Direct-payment review: {self.review.person}"

    @cached_property
    def review(self) -> DirectPaymentReview:
        # Read after OfficerRequired has checked the role; out of scope or unknown is a 404.
        try:
            return review_with_details(self.request.user).get(pk=self.kwargs["review_id"])
        except DirectPaymentReview.DoesNotExist:
            raise Http404("Not found") from None

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        review = self.review
        today = timezone.localdate()
        lines = review.plan.direct_payment_lines
        context.update(
            review=review,
            person=review.person,
            plan=review.plan,
            assistants=[line for line in lines if line.kind == LineKind.PERSONAL_ASSISTANT],
            services=[line for line in lines if line.kind == LineKind.SERVICE],
            previous=list(reviews_for_person(review.person).exclude(pk=review.pk)
                          .exclude(status=ReviewStatus.DUE)),
            days_overdue=max(0, (today - review.due_on).days),
            is_due=review.status == ReviewStatus.DUE,
            form=form or ReviewOutcomeForm(),
        )
        return context

    def post(self, request, *args, **kwargs):
        form = ReviewOutcomeForm(request.POST)
        if form.is_valid():
            try:
                services.dp_review_complete(review=self.review, by=request.user, outcome=form.cleaned_data["outcome"],
                                            notes=form.cleaned_data["notes"],
                                            completed_on=form.cleaned_data["completed_on"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Recorded the review of {self.review.person}")
                return redirect(reverse("dp_reviews"))
        messages.error(request, "The review was not recorded. Correct the errors below.")
        return self.render_to_response(self.get_context_data(form=form))


urlpatterns = [
    path("reviews/", ReviewIndexView.as_view(), name="dp_reviews"),
    path("reviews/<int:review_id>/", ReviewDetailView.as_view(), name="dp_review"),
]


def reviews_menu_item():
    return ReviewMenuItem("Direct-payment reviews", reverse("dp_reviews"), icon_name="clipboard-list", order=196)


menu_items = [reviews_menu_item]
