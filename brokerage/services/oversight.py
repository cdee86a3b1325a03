"""Direct-payment oversight: financial reviews scheduled from the risk assessment, and
transitional arrangements when a budget goes down.

Who may do what:
- a contract officer records the budget transition and schedules reviews, both as part of
  approving a plan (:func:`brokerage.services.approval.plan_approve` calls them);
- a contract officer, a finance officer, or a broker of the person's brokerage (with their consent
  to share) records the outcome of a review;
- the daily job lists the reviews due to the people who carry them out.

The arithmetic of a taper and the budget in force on a date are in :mod:`brokerage.transitional`.
"""

import datetime
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from brokerage.constants import (
    DIRECT_PAYMENT_ROUTES,
    FIRST_REVIEW_MONTHS,
    MAX_TAPER_WEEKS,
    REVIEW_INTERVAL_MONTHS,
    FinancialRisk,
    PlanStatus,
    ReviewOutcome,
    ReviewStatus,
    TransitionKind,
)
from brokerage.models import BudgetTransition, DirectPaymentReview, Person, SupportPlan
from brokerage.selectors.oversight import REVIEW_NOTICE_DAYS
from marketplace import audit
from marketplace.constants import Role
from marketplace.models import Membership, User
from marketplace.permissions import has_role, organisation_ids, require_role
from marketplace.scoping import visible_to

__all__ = [
    "budget_transition_record", "dp_reviews_schedule", "dp_review_complete", "dp_reviews_notify_due",
    "review_due_after", "REVIEW_NOTICE_DAYS", "REVIEW_ALREADY_COMPLETED",
]

REVIEW_ALREADY_COMPLETED = "This review was completed on {date}; it cannot be completed again"
# While plan_approve runs, the plan may still be ``submitted`` when the transition is recorded.
_TRANSITION_PLAN_STATUSES = (PlanStatus.SUBMITTED, PlanStatus.APPROVED)


def review_due_after(start: datetime.date, months: int) -> datetime.date:
    """``months`` calendar months after ``start``; the 31st becomes the last day of a shorter month
    (31 August + 6 months is 28 or 29 February), so a review is never later than the rule allows."""
    return start + relativedelta(months=months)


def _whole_pence(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# Transitional arrangements ----------------------------------------------------------------------

@transaction.atomic
def budget_transition_record(*, plan: SupportPlan, by: User, from_weekly_pence: int, to_weekly_pence: int,
                             kind: str, weeks: int = 0, review_on: datetime.date | None = None,
                             reason: str = "", exception_reason: str = "") -> BudgetTransition:
    """Record how the person moves from the weekly budget in force (``from``) to the one ``plan``
    agrees (``to``), from the plan's start [H V].

    An increase, or no change, always applies at once: it is recorded as ``immediate`` whatever
    ``kind`` was asked for (the kind asked is kept in the audit event). A reduction needs a
    ``kind``:

    - ``immediate``: nothing else;
    - ``protected``: the old level is kept; needs a ``reason`` and a ``review_on`` date after the
      plan starts;
    - ``transitional``: weekly steps down over ``weeks`` (1 to 13; more only with an
      ``exception_reason``), and a ``reason``.

    Raises ``PermissionDenied`` unless ``by`` is a contract officer; ``ValidationError`` keyed
    ``from_weekly_pence`` / ``to_weekly_pence`` (not whole pence, 0 or more), ``kind``, ``reason``,
    ``review_on``, ``weeks`` or ``exception_reason``; and ``ValidationError`` when the plan is not
    being approved or already has a transition recorded.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    plan = SupportPlan.objects.select_for_update(of=("self",)).select_related("person__broker_organisation").get(pk=plan.pk)
    if plan.status not in _TRANSITION_PLAN_STATUSES:
        raise ValidationError(f"A budget change is recorded when a plan is approved; this plan is "
                              f"{plan.get_status_display().lower()}")
    if BudgetTransition.objects.filter(plan=plan).exists():
        raise ValidationError("A budget change has already been recorded for this plan")
    errors = {}
    if not _whole_pence(from_weekly_pence):
        errors["from_weekly_pence"] = "Enter the weekly budget in force in pence, 0 or more"
    if not _whole_pence(to_weekly_pence):
        errors["to_weekly_pence"] = "Enter the new weekly budget in pence, 0 or more"
    if errors:
        raise ValidationError(errors)
    reason = (reason or "").strip()
    exception_reason = (exception_reason or "").strip()
    asked = kind
    fields = {"kind": TransitionKind.IMMEDIATE, "weeks": 0, "review_on": None, "reason": reason,
              "exception_reason": ""}
    if to_weekly_pence < from_weekly_pence:
        fields.update(_reduction_fields(plan=plan, kind=kind, weeks=weeks, review_on=review_on, reason=reason,
                                        exception_reason=exception_reason))
    transition = BudgetTransition.objects.create(
        plan=plan, person=plan.person, from_weekly_pence=from_weekly_pence, to_weekly_pence=to_weekly_pence,
        starts_on=plan.starts_on, decided_by=by, **fields)
    after = {"plan": plan.pk, "kind": transition.kind, "from_weekly_pence": from_weekly_pence,
             "to_weekly_pence": to_weekly_pence, "starts_on": plan.starts_on.isoformat(),
             "weeks": transition.weeks,
             "review_on": transition.review_on.isoformat() if transition.review_on else None,
             "exception_reason": transition.exception_reason}
    if asked and asked != transition.kind:
        after["kind_asked"] = asked
    audit.record(actor=by, verb="budgettransition.recorded", target=transition, reason=reason,
                 organisation=plan.person.broker_organisation, after=after)
    return transition


def _reduction_fields(*, plan: SupportPlan, kind, weeks, review_on, reason: str, exception_reason: str) -> dict:
    """The fields of a reduction, or ``ValidationError`` by field saying what is missing."""
    if kind not in TransitionKind.values:
        raise ValidationError({"kind": "The new budget is lower: choose whether it applies immediately, the "
                                       "current level is protected, or it steps down over a transitional period"})
    errors = {}
    if kind == TransitionKind.PROTECTED:
        if not reason:
            errors["reason"] = "Enter why the current level is protected"
        if not isinstance(review_on, datetime.date):
            errors["review_on"] = "Enter the date the protection will be reviewed"
        elif review_on <= plan.starts_on:
            errors["review_on"] = (f"The review date must be after the plan starts "
                                   f"({plan.starts_on:%-d %B %Y})")
        if errors:
            raise ValidationError(errors)
        return {"kind": kind, "review_on": review_on}
    if kind == TransitionKind.TRANSITIONAL:
        if not reason:
            errors["reason"] = "Enter why the budget steps down over a transitional period"
        if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
            errors["weeks"] = f"Enter the number of weeks the budget steps down over, 1 to {MAX_TAPER_WEEKS}"
        elif weeks > MAX_TAPER_WEEKS and not exception_reason:
            errors["exception_reason"] = (f"A transitional period longer than {MAX_TAPER_WEEKS} weeks (3 months) "
                                          f"is an exception: enter the reason for it")
        if errors:
            raise ValidationError(errors)
        return {"kind": kind, "weeks": weeks,
                "exception_reason": exception_reason if weeks > MAX_TAPER_WEEKS else ""}
    return {"kind": TransitionKind.IMMEDIATE}


# Direct-payment financial reviews ---------------------------------------------------------------

def _has_direct_payments(plan: SupportPlan) -> bool:
    return plan.lines.filter(route__in=DIRECT_PAYMENT_ROUTES).exists()


def _cancel(review: DirectPaymentReview, *, person: Person, by: User | None, reason: str) -> None:
    review.status = ReviewStatus.CANCELLED
    review.save(update_fields=["status"])
    audit.record(actor=by, verb="directpaymentreview.cancelled", target=review, reason=reason,
                 organisation=person.broker_organisation,
                 before={"status": ReviewStatus.DUE}, after={"status": ReviewStatus.CANCELLED})


def _schedule(*, person: Person, plan: SupportPlan, risk: str, due_on: datetime.date, by: User | None,
              reason: str) -> DirectPaymentReview:
    review = DirectPaymentReview.objects.create(person=person, plan=plan, risk=risk, due_on=due_on)
    audit.record(actor=by, verb="directpaymentreview.scheduled", target=review, reason=reason,
                 organisation=person.broker_organisation,
                 after={"plan": plan.pk, "risk": risk, "due_on": due_on.isoformat()})
    return review


@transaction.atomic
def dp_reviews_schedule(*, plan: SupportPlan, by: User) -> DirectPaymentReview | None:
    """Schedule the first full financial review of an approved plan's direct payments [K §8(1),
    DP Regulations 2014 reg. 7]: due ``FIRST_REVIEW_MONTHS[risk]`` months after the plan starts
    (6 for low and medium risk, 3 for high).

    The person has at most one review due. One already due for this plan at this risk is kept
    (calling this again changes nothing). One due for an earlier plan, or at another risk, is
    cancelled and replaced — but the replacement is never later than the one it replaces, so a
    revised plan cannot push back a review already scheduled. A plan without direct-payment lines
    cancels any review due and returns None.

    Raises ``PermissionDenied`` unless ``by`` is a contract officer; ``ValidationError`` when the
    plan is not approved (call it after the plan moves to approved), and ``ValidationError`` keyed
    ``financial_risk`` when a plan with direct payments has no financial risk assessment.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    plan = SupportPlan.objects.select_for_update(of=("self",)).select_related("person__broker_organisation").get(pk=plan.pk)
    if plan.status != PlanStatus.APPROVED:
        raise ValidationError("Direct-payment reviews are scheduled for an approved plan")
    person = plan.person
    # Locking the person serialises scheduling and completing for one person.
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()
    current = DirectPaymentReview.objects.filter(person=person, status=ReviewStatus.DUE).first()
    if not _has_direct_payments(plan):
        if current is not None:
            _cancel(current, person=person, by=by, reason=f"{plan} has no direct payments")
        return None
    if plan.financial_risk not in FinancialRisk.values:
        raise ValidationError({"financial_risk": "The plan has direct payments: record the financial risk "
                                                 "assessment (low, medium or high)"})
    if current is not None and current.plan_id == plan.pk and current.risk == plan.financial_risk:
        return current
    due_on = review_due_after(plan.starts_on, FIRST_REVIEW_MONTHS[FinancialRisk(plan.financial_risk)])
    if current is not None:
        due_on = min(due_on, current.due_on)
        _cancel(current, person=person, by=by, reason=f"Replaced by the review of {plan}")
    return _schedule(person=person, plan=plan, risk=plan.financial_risk, due_on=due_on, by=by,
                     reason=f"{plan} approved with direct payments, {plan.get_financial_risk_display().lower()} "
                            f"financial risk")


def _require_reviewer(by: User, person: Person) -> Person:
    """The person, fresh, if ``by`` may record a review of their direct payment: a contract or
    finance officer, or a broker of the brokerage they chose (with consent to share). Raises
    ``PermissionDenied`` otherwise."""
    require_role(by, Role.BROKER, Role.CONTRACT_OFFICER, Role.FINANCE_OFFICER)
    fresh = visible_to(by, Person.objects.filter(pk=person.pk)).select_related("broker_organisation").first()
    if fresh is None:
        raise PermissionDenied("You do not have permission to do that.")
    if has_role(by, Role.CONTRACT_OFFICER, Role.FINANCE_OFFICER):
        return fresh
    if fresh.consent_to_share and fresh.broker_organisation_id in organisation_ids(by, Role.BROKER):
        return fresh
    raise PermissionDenied("You do not have permission to do that.")


@transaction.atomic
def dp_review_complete(*, review: DirectPaymentReview, by: User, outcome: str, notes: str,
                       completed_on: datetime.date | None = None) -> DirectPaymentReview:
    """Record the outcome of a direct-payment financial review and schedule the next one.

    ``completed_on`` is today unless given. Notes are needed for any outcome other than "no
    concerns". While the person's approved plan still has direct payments, the next review is due
    ``REVIEW_INTERVAL_MONTHS[risk]`` months after this one (12 for low, 6 for medium, 3 for high
    risk), at the risk recorded on that plan.

    Raises ``PermissionDenied`` unless ``by`` is a contract or finance officer or a broker of the
    person's brokerage; ``ValidationError`` keyed ``outcome``, ``notes`` or ``completed_on`` (in
    the future); and ``ValidationError`` for a review already completed or cancelled.
    """
    person = _require_reviewer(by, review.person)
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True).first()
    locked = DirectPaymentReview.objects.select_for_update().get(pk=review.pk)
    if locked.status == ReviewStatus.COMPLETED:
        raise ValidationError(REVIEW_ALREADY_COMPLETED.format(date=f"{locked.completed_on:%-d %B %Y}"))
    if locked.status == ReviewStatus.CANCELLED:
        raise ValidationError("This review was cancelled; it cannot be completed")
    today = timezone.localdate()
    completed_on = today if completed_on is None else completed_on
    notes = (notes or "").strip()
    errors = {}
    if outcome not in ReviewOutcome.values:
        errors["outcome"] = "Select the outcome of the review"
    elif outcome != ReviewOutcome.NO_CONCERNS and not notes:
        errors["notes"] = f"Enter what was found and what happens next ({ReviewOutcome(outcome).label.lower()})"
    if not isinstance(completed_on, datetime.date):
        errors["completed_on"] = "Enter the date of the review"
    elif completed_on > today:
        errors["completed_on"] = "The date of the review must be today or in the past"
    if errors:
        raise ValidationError(errors)
    locked.status, locked.outcome, locked.notes = ReviewStatus.COMPLETED, outcome, notes
    locked.completed_on, locked.completed_by = completed_on, by
    locked.save(update_fields=["status", "outcome", "notes", "completed_on", "completed_by"])
    audit.record(actor=by, verb="directpaymentreview.completed", target=locked, reason=notes,
                 organisation=person.broker_organisation,
                 before={"status": ReviewStatus.DUE},
                 after={"status": ReviewStatus.COMPLETED, "outcome": outcome,
                        "completed_on": completed_on.isoformat()})
    plan = SupportPlan.objects.filter(person=person, status=PlanStatus.APPROVED).first()
    if plan is not None and _has_direct_payments(plan):
        risk = plan.financial_risk if plan.financial_risk in FinancialRisk.values else locked.risk
        _schedule(person=person, plan=plan, risk=risk,
                  due_on=review_due_after(completed_on, REVIEW_INTERVAL_MONTHS[FinancialRisk(risk)]), by=by,
                  reason=f"Next review after the review of {completed_on:%-d %B %Y}")
    return locked


# The daily list of reviews due ------------------------------------------------------------------

def _review_line(review: DirectPaymentReview, today: datetime.date, link: str) -> str:
    late = (today - review.due_on).days
    if late > 0:
        when = f"{late} day{'s' if late != 1 else ''} overdue"
    elif late == 0:
        when = "due today"
    else:
        when = f"due in {-late} day{'s' if late != -1 else ''}"
    return (f"- {review.person.reference}: due {review.due_on:%-d %B %Y} ({when}), "
            f"{review.get_risk_display().lower()} financial risk: {link}")


def _digest(lines: list[str], today: datetime.date) -> str:
    return "\n".join([
        f"These direct-payment financial reviews are overdue or due in the next {REVIEW_NOTICE_DAYS} days, "
        f"as of {today:%-d %B %Y}:",
        "",
        *lines,
        "",
        "Record each review's outcome once it is done. This list is sent every morning while a review is due.",
    ])


def dp_reviews_notify_due(*, today: datetime.date | None = None) -> int:
    """Daily job: email the reviews that are overdue or due within ``REVIEW_NOTICE_DAYS`` days.

    Each contract officer gets one summary of every such review, linking to the console; each
    broker gets one summary of the reviews of the people who chose their brokerage and consented
    to share, linking to each person's page (people with no broker chosen are on the officers'
    list only). A person is named by their case reference only, so the email carries no more
    personal data than it needs.

    It is a daily digest, not a one-off reminder: a review stays on it every day until it is
    completed, and running the job twice in a day sends the same list again (nothing records
    that a list was sent). Returns the number of reviews listed.
    """
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REVIEW_NOTICE_DAYS)
    reviews = list(DirectPaymentReview.objects.filter(status=ReviewStatus.DUE, due_on__lte=horizon)
                   .select_related("person").order_by("due_on", "pk"))
    if not reviews:
        return 0
    sender = settings.DEFAULT_FROM_EMAIL
    officer_body = _digest([_review_line(review, today, settings.WAGTAILADMIN_BASE_URL
                                         + reverse("dp_review", args=[review.pk])) for review in reviews], today)
    officers = sorted({email for email in Membership.objects.filter(role=Role.CONTRACT_OFFICER, user__is_active=True)
                       .values_list("user__email", flat=True) if email})
    messages = [(f"Direct-payment reviews due: {len(reviews)}", officer_body, sender, [address])
                for address in officers]
    by_brokerage = defaultdict(list)
    for review in reviews:
        if review.person.broker_organisation_id is not None and review.person.consent_to_share:
            by_brokerage[review.person.broker_organisation_id].append(review)
    brokers = defaultdict(set)
    for organisation_id, email in (Membership.objects.filter(role=Role.BROKER, user__is_active=True,
                                                             organisation_id__in=list(by_brokerage))
                                   .values_list("organisation_id", "user__email")):
        if email:
            brokers[organisation_id].add(email)
    for organisation_id, listed in by_brokerage.items():
        body = _digest([_review_line(review, today, settings.SITE_URL
                                     + reverse("brokerage:person", args=[review.person_id])) for review in listed],
                       today)
        messages += [(f"Direct-payment reviews due: {len(listed)}", body, sender, [address])
                     for address in sorted(brokers[organisation_id])]
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(reviews)
