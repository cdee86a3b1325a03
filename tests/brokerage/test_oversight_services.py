"""Transitional arrangements [H V] and direct-payment oversight [K §8(1), DP Regulations 2014
reg. 7] through the services."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from brokerage import services
from brokerage.constants import (
    DeploymentRoute,
    FinancialRisk,
    LineKind,
    PlanStatus,
    ReviewOutcome,
    ReviewStatus,
    TransitionKind,
)
from brokerage.models import BudgetTransition, DirectPaymentReview, SupportPlan
from brokerage.transitional import effective_weekly_budget
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import PersonFactory
from tests.brokerage.factories_oversight import TODAY, approved_plan, due_review, submitted_plan
from tests.marketplace.factories import BrokerOrganisationFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage)


@pytest.fixture
def finance_officer(council, make_member):
    return make_member(Role.FINANCE_OFFICER, council)


def record(plan, by, **fields):
    values = {"from_weekly_pence": 50000, "to_weekly_pence": 37000, "kind": TransitionKind.IMMEDIATE} | fields
    return services.budget_transition_record(plan=plan, by=by, **values)


def errors_of(excinfo):
    return excinfo.value.message_dict


# Recording the transition -----------------------------------------------------------------------

def test_an_increase_applies_immediately_even_when_protection_is_asked(officer, person):
    plan = submitted_plan(person=person)

    transition = record(plan, officer, from_weekly_pence=30000, to_weekly_pence=40000,
                        kind=TransitionKind.PROTECTED, review_on=TODAY + 60 * DAY, reason="Distress")

    assert (transition.kind, transition.review_on, transition.weeks) == (TransitionKind.IMMEDIATE, None, 0)
    event = AuditEvent.objects.get(verb="budgettransition.recorded")
    assert event.after["kind"] == "immediate" and event.after["kind_asked"] == "protected"


def test_no_change_is_immediate_whatever_is_asked(officer, person):
    transition = record(submitted_plan(person=person), officer, from_weekly_pence=40000, to_weekly_pence=40000,
                        kind=TransitionKind.TRANSITIONAL, weeks=13)
    assert transition.kind == TransitionKind.IMMEDIATE and transition.weeks == 0


def test_a_reduction_needs_a_choice(officer, person):
    with pytest.raises(ValidationError) as excinfo:
        record(submitted_plan(person=person), officer, kind="")
    assert "kind" in errors_of(excinfo)
    assert not BudgetTransition.objects.exists()


def test_a_reduction_may_apply_immediately_with_nothing_else(officer, person):
    transition = record(submitted_plan(person=person), officer, kind=TransitionKind.IMMEDIATE)
    assert transition.kind == TransitionKind.IMMEDIATE and transition.to_weekly_pence == 37000


def test_protection_needs_a_reason_and_a_review_date(officer, person):
    plan = submitted_plan(person=person)
    with pytest.raises(ValidationError) as excinfo:
        record(plan, officer, kind=TransitionKind.PROTECTED)
    assert set(errors_of(excinfo)) == {"reason", "review_on"}
    with pytest.raises(ValidationError) as excinfo:
        record(plan, officer, kind=TransitionKind.PROTECTED, reason="Risk of a crisis", review_on=plan.starts_on)
    assert errors_of(excinfo)["review_on"] == [f"The review date must be after the plan starts "
                                               f"({plan.starts_on:%-d %B %Y})"]
    assert not BudgetTransition.objects.exists()


def test_protection_keeps_the_old_amount_even_after_the_review_date(officer, person):
    approved_plan(person=person, agreed_pence=50000, starts_on=TODAY - 30 * DAY)
    plan = approved_plan(person=person, agreed_pence=37000, starts_on=TODAY)

    transition = record(plan, officer, kind=TransitionKind.PROTECTED, reason="A cut now would put her at risk",
                        review_on=TODAY + 90 * DAY)

    assert (transition.kind, transition.review_on) == (TransitionKind.PROTECTED, TODAY + 90 * DAY)
    assert effective_weekly_budget(person, TODAY) == 50000
    assert effective_weekly_budget(person, TODAY + 91 * DAY) == 50000
    assert effective_weekly_budget(person, TODAY - DAY) == 50000


def test_a_taper_of_fourteen_weeks_is_refused_without_an_exception(officer, person):
    with pytest.raises(ValidationError) as excinfo:
        record(submitted_plan(person=person), officer, kind=TransitionKind.TRANSITIONAL, weeks=14,
               reason="Time to find a cheaper provider")
    assert set(errors_of(excinfo)) == {"exception_reason"}
    assert not BudgetTransition.objects.exists()


def test_a_taper_of_fourteen_weeks_is_allowed_as_a_recorded_exception(officer, person):
    transition = record(submitted_plan(person=person), officer, kind=TransitionKind.TRANSITIONAL, weeks=14,
                        reason="Time to find a cheaper provider", exception_reason="Provider's notice period")
    assert (transition.kind, transition.weeks, transition.exception_reason) == \
        (TransitionKind.TRANSITIONAL, 14, "Provider's notice period")


def test_a_taper_of_thirteen_weeks_needs_no_exception_but_a_reason(officer, person):
    plan = submitted_plan(person=person)
    with pytest.raises(ValidationError) as excinfo:
        record(plan, officer, kind=TransitionKind.TRANSITIONAL, weeks=13)
    assert set(errors_of(excinfo)) == {"reason"}
    transition = record(plan, officer, kind=TransitionKind.TRANSITIONAL, weeks=13, reason="Gradual change")
    assert transition.weeks == 13 and transition.exception_reason == ""


@pytest.mark.parametrize("weeks", [0, -2, None, "3"])
def test_a_taper_needs_a_whole_number_of_weeks(officer, person, weeks):
    with pytest.raises(ValidationError) as excinfo:
        record(submitted_plan(person=person), officer, kind=TransitionKind.TRANSITIONAL, weeks=weeks, reason="x")
    assert set(errors_of(excinfo)) == {"weeks"}


def test_only_a_contract_officer_records_a_transition(broker, finance_officer, person):
    plan = submitted_plan(person=person)
    for user in (broker, finance_officer):
        with pytest.raises(PermissionDenied):
            record(plan, user)
    assert not BudgetTransition.objects.exists()


def test_a_plan_gets_one_transition(officer, person):
    plan = submitted_plan(person=person)
    record(plan, officer)
    with pytest.raises(ValidationError, match="already been recorded"):
        record(plan, officer)
    assert BudgetTransition.objects.count() == 1


def test_a_draft_plan_gets_no_transition(officer, person):
    plan = submitted_plan(person=person)
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.DRAFT)
    with pytest.raises(ValidationError):
        record(plan, officer)


# The budget in force on a date ------------------------------------------------------------------

def test_the_budget_in_force_follows_the_taper_then_the_new_level(officer, person):
    first_start = TODAY - 100 * DAY
    approved_plan(person=person, agreed_pence=50000, starts_on=first_start)
    taper_start = TODAY + 10 * DAY
    plan = approved_plan(person=person, agreed_pence=37000, starts_on=taper_start)
    record(plan, officer, kind=TransitionKind.TRANSITIONAL, weeks=13, reason="Gradual change")

    assert effective_weekly_budget(person, first_start - DAY) is None  # before any plan starts
    assert effective_weekly_budget(person, first_start) == 50000
    assert effective_weekly_budget(person, taper_start - DAY) == 50000  # the old plan until the new one starts
    assert effective_weekly_budget(person, taper_start) == 49000
    assert effective_weekly_budget(person, taper_start + 6 * DAY) == 49000
    assert effective_weekly_budget(person, taper_start + WEEK) == 48000
    assert effective_weekly_budget(person, taper_start + 12 * WEEK) == 37000  # week 13
    assert effective_weekly_budget(person, taper_start + 13 * WEEK) == 37000  # after the taper
    assert effective_weekly_budget(person, taper_start + 400 * DAY) == 37000


def test_a_superseding_plan_replaces_the_taper_from_its_start(officer, person):
    approved_plan(person=person, agreed_pence=50000, starts_on=TODAY - 100 * DAY)
    tapered = approved_plan(person=person, agreed_pence=37000, starts_on=TODAY)
    record(tapered, officer, kind=TransitionKind.TRANSITIONAL, weeks=13, reason="Gradual change")
    later = approved_plan(person=person, agreed_pence=45000, starts_on=TODAY + 3 * WEEK)
    record(later, officer, from_weekly_pence=47000, to_weekly_pence=45000, kind=TransitionKind.IMMEDIATE)

    assert effective_weekly_budget(person, TODAY + 2 * WEEK) == 47000
    assert effective_weekly_budget(person, TODAY + 3 * WEEK) == 45000
    assert effective_weekly_budget(person, TODAY + 20 * WEEK) == 45000


def test_without_a_transition_the_budget_is_the_agreed_one(person):
    approved_plan(person=person, agreed_pence=41234, starts_on=TODAY)
    assert effective_weekly_budget(person, TODAY) == 41234


def test_plans_not_approved_are_never_in_force(person):
    submitted_plan(person=person, agreed_pence=41234, starts_on=TODAY - 10 * DAY)
    assert effective_weekly_budget(person, TODAY) is None


def test_an_ended_plan_stops_after_its_end(person):
    plan = approved_plan(person=person, agreed_pence=41234, starts_on=TODAY - 10 * DAY)
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.ENDED, ended_on=TODAY - DAY)
    assert effective_weekly_budget(person, TODAY - DAY) == 41234
    assert effective_weekly_budget(person, TODAY) is None


def test_the_budget_in_force_takes_one_query_however_long_the_history(officer, person, django_assert_num_queries):
    for weeks_ago in (60, 40, 20):
        approved_plan(person=person, agreed_pence=40000 + weeks_ago, starts_on=TODAY - weeks_ago * WEEK)
    plan = approved_plan(person=person, agreed_pence=30000, starts_on=TODAY - WEEK)
    record(plan, officer, from_weekly_pence=40020, to_weekly_pence=30000, kind=TransitionKind.TRANSITIONAL,
           weeks=13, reason="Gradual change")
    with django_assert_num_queries(1):
        assert effective_weekly_budget(person, TODAY) == 38478  # week 2: 40020 − 10020 × 2/13 = 38478.46…


# Direct-payment reviews -------------------------------------------------------------------------

@pytest.mark.parametrize(("risk", "first", "then"), [
    (FinancialRisk.LOW, 6, 12),
    (FinancialRisk.MEDIUM, 6, 6),
    (FinancialRisk.HIGH, 3, 3),
])
def test_reviews_are_scheduled_from_the_financial_risk(officer, person, risk, first, then):
    plan = approved_plan(person=person, financial_risk=risk, starts_on=TODAY - 400 * DAY)

    review = services.dp_reviews_schedule(plan=plan, by=officer)

    assert (review.status, review.risk, review.plan) == (ReviewStatus.DUE, risk, plan)
    assert review.due_on == plan.starts_on + relativedelta(months=first)
    completed_on = TODAY - 3 * DAY
    services.dp_review_complete(review=review, by=officer, outcome=ReviewOutcome.NO_CONCERNS, notes="",
                                completed_on=completed_on)
    following = DirectPaymentReview.objects.get(person=person, status=ReviewStatus.DUE)
    assert following.due_on == completed_on + relativedelta(months=then)
    assert following.risk == risk and following.plan == plan


def test_a_review_at_the_end_of_a_month_falls_due_by_the_end_of_a_shorter_month(officer, person):
    plan = approved_plan(person=person, financial_risk=FinancialRisk.LOW, starts_on=datetime.date(2025, 8, 31))
    assert services.dp_reviews_schedule(plan=plan, by=officer).due_on == datetime.date(2026, 2, 28)


def test_scheduling_again_changes_nothing(officer, person):
    plan = approved_plan(person=person)
    first = services.dp_reviews_schedule(plan=plan, by=officer)
    events = AuditEvent.objects.count()
    assert services.dp_reviews_schedule(plan=plan, by=officer) == first
    assert DirectPaymentReview.objects.count() == 1 and AuditEvent.objects.count() == events


def test_a_new_plan_at_another_risk_replaces_the_review_due_but_never_later(officer, person):
    old = approved_plan(person=person, financial_risk=FinancialRisk.LOW, starts_on=TODAY - 60 * DAY)
    old_review = services.dp_reviews_schedule(plan=old, by=officer)  # due in about four months
    riskier = approved_plan(person=person, financial_risk=FinancialRisk.HIGH, starts_on=TODAY)

    review = services.dp_reviews_schedule(plan=riskier, by=officer)

    old_review.refresh_from_db()
    assert old_review.status == ReviewStatus.CANCELLED
    assert (review.plan, review.risk, review.due_on) == (riskier, FinancialRisk.HIGH, TODAY + relativedelta(months=3))
    calmer = approved_plan(person=person, financial_risk=FinancialRisk.LOW, starts_on=TODAY + 7 * DAY)
    replacement = services.dp_reviews_schedule(plan=calmer, by=officer)
    assert replacement.due_on == review.due_on  # not pushed back to six months after the new start


def test_a_plan_without_direct_payments_cancels_the_review_due(officer, person):
    old = approved_plan(person=person, starts_on=TODAY - 60 * DAY)
    review = services.dp_reviews_schedule(plan=old, by=officer)
    plan = approved_plan(person=person, direct_payment=False, starts_on=TODAY)

    assert services.dp_reviews_schedule(plan=plan, by=officer) is None

    review.refresh_from_db()
    assert review.status == ReviewStatus.CANCELLED
    assert not DirectPaymentReview.objects.filter(person=person, status=ReviewStatus.DUE).exists()
    assert AuditEvent.objects.filter(verb="directpaymentreview.cancelled", target_id=str(review.pk)).exists()


def test_a_third_party_direct_payment_counts_as_a_direct_payment(officer, person):
    plan = approved_plan(person=person, direct_payment=False, starts_on=TODAY)
    SupportPlan.objects.filter(pk=plan.pk).update(financial_risk=FinancialRisk.MEDIUM)
    plan.lines.update(route=DeploymentRoute.THIRD_PARTY_DIRECT_PAYMENT)
    assert services.dp_reviews_schedule(plan=plan, by=officer).risk == FinancialRisk.MEDIUM


def test_direct_payments_without_a_risk_assessment_are_refused(officer, person):
    plan = approved_plan(person=person)
    SupportPlan.objects.filter(pk=plan.pk).update(financial_risk="")
    with pytest.raises(ValidationError) as excinfo:
        services.dp_reviews_schedule(plan=plan, by=officer)
    assert "financial_risk" in errors_of(excinfo)


def test_only_approved_plans_get_reviews(officer, person):
    with pytest.raises(ValidationError, match="approved plan"):
        services.dp_reviews_schedule(plan=submitted_plan(person=person), by=officer)
    assert not DirectPaymentReview.objects.exists()


def test_a_second_completion_is_refused_and_changes_nothing(officer, person):
    review = due_review(person=person)
    services.dp_review_complete(review=review, by=officer, outcome=ReviewOutcome.ADVICE_GIVEN,
                                notes="Keep receipts for the assistant's wages", completed_on=TODAY - DAY)
    events, reviews = AuditEvent.objects.count(), DirectPaymentReview.objects.count()

    with pytest.raises(ValidationError) as excinfo:
        services.dp_review_complete(review=review, by=officer, outcome=ReviewOutcome.NO_CONCERNS, notes="")

    assert excinfo.value.messages == [f"This review was completed on {TODAY - DAY:%-d %B %Y}; it cannot be "
                                      f"completed again"]
    review.refresh_from_db()
    assert (review.outcome, review.completed_on) == (ReviewOutcome.ADVICE_GIVEN, TODAY - DAY)
    assert (AuditEvent.objects.count(), DirectPaymentReview.objects.count()) == (events, reviews)


def test_a_cancelled_review_cannot_be_completed(officer, person):
    review = due_review(person=person, status=ReviewStatus.CANCELLED)
    with pytest.raises(ValidationError, match="cancelled"):
        services.dp_review_complete(review=review, by=officer, outcome=ReviewOutcome.NO_CONCERNS, notes="")


@pytest.mark.parametrize("outcome", [ReviewOutcome.ADVICE_GIVEN, ReviewOutcome.PLAN_TO_CHANGE,
                                     ReviewOutcome.CONCERN_RAISED])
def test_an_outcome_other_than_no_concerns_needs_notes(officer, person, outcome):
    review = due_review(person=person)
    with pytest.raises(ValidationError) as excinfo:
        services.dp_review_complete(review=review, by=officer, outcome=outcome, notes="  ")
    assert set(errors_of(excinfo)) == {"notes"}
    review.refresh_from_db()
    assert review.status == ReviewStatus.DUE


def test_the_outcome_must_be_known_and_the_date_not_in_the_future(officer, person):
    review = due_review(person=person)
    with pytest.raises(ValidationError) as excinfo:
        services.dp_review_complete(review=review, by=officer, outcome="fine", notes="",
                                    completed_on=TODAY + DAY)
    assert set(errors_of(excinfo)) == {"outcome", "completed_on"}


def test_completing_without_direct_payments_any_more_schedules_nothing(officer, person):
    review = due_review(person=person)
    review.plan.lines.filter(kind=LineKind.PERSONAL_ASSISTANT).delete()
    services.dp_review_complete(review=review, by=officer, outcome=ReviewOutcome.NO_CONCERNS, notes="")
    assert not DirectPaymentReview.objects.filter(status=ReviewStatus.DUE).exists()


def test_the_person_s_broker_and_a_finance_officer_may_record_a_review(broker, finance_officer, person):
    review = due_review(person=person)
    services.dp_review_complete(review=review, by=broker, outcome=ReviewOutcome.NO_CONCERNS, notes="")
    following = DirectPaymentReview.objects.get(status=ReviewStatus.DUE)
    done = services.dp_review_complete(review=following, by=finance_officer, outcome=ReviewOutcome.CONCERN_RAISED,
                                       notes="Payments to the assistant are not recorded")
    assert done.completed_by == finance_officer and done.outcome == ReviewOutcome.CONCERN_RAISED


def test_another_brokerage_cannot_record_a_review(make_member, person):
    stranger = make_member(Role.BROKER, BrokerOrganisationFactory())
    review = due_review(person=person)
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.dp_review_complete(review=review, by=stranger, outcome=ReviewOutcome.NO_CONCERNS, notes="")
    review.refresh_from_db()
    assert review.status == ReviewStatus.DUE and AuditEvent.objects.count() == events


def test_the_person_s_broker_without_consent_cannot_record_a_review(broker, person):
    review = due_review(person=person)
    type(person).objects.filter(pk=person.pk).update(consent_to_share=False)
    with pytest.raises(PermissionDenied):
        services.dp_review_complete(review=review, by=broker, outcome=ReviewOutcome.NO_CONCERNS, notes="")


# The daily list ---------------------------------------------------------------------------------

def test_notify_lists_only_reviews_overdue_or_due_within_fourteen_days(officer, broker, brokerage, make_member):
    overdue = due_review(person=PersonFactory(broker_organisation=brokerage, reference="R-OVERDUE"),
                         due_on=TODAY - 3 * DAY)
    edge = due_review(person=PersonFactory(broker_organisation=BrokerOrganisationFactory(), reference="R-EDGE"),
                      due_on=TODAY + 14 * DAY)
    due_review(person=PersonFactory(broker_organisation=brokerage, reference="R-LATER"), due_on=TODAY + 15 * DAY)
    due_review(person=PersonFactory(broker_organisation=brokerage, reference="R-DONE"), due_on=TODAY - 30 * DAY,
               status=ReviewStatus.COMPLETED, outcome=ReviewOutcome.NO_CONCERNS, completed_on=TODAY - 20 * DAY)
    due_review(person=PersonFactory(broker_organisation=brokerage, reference="R-CANCELLED"),
               due_on=TODAY - 30 * DAY, status=ReviewStatus.CANCELLED)
    make_member(Role.BROKER, BrokerOrganisationFactory())  # a broker with nobody due

    assert services.dp_reviews_notify_due(today=TODAY) == 2

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {officer.email, broker.email} | {
        m.user.email for m in edge.person.broker_organisation.memberships.all()}
    officers = by_recipient[officer.email].body
    assert "R-OVERDUE" in officers and "3 days overdue" in officers and "R-EDGE" in officers
    assert f"/admin/reviews/{overdue.pk}/" in officers
    for absent in ("R-LATER", "R-DONE", "R-CANCELLED"):
        assert absent not in officers
    brokers = by_recipient[broker.email].body
    assert "R-OVERDUE" in brokers and "R-EDGE" not in brokers
    assert overdue.person.first_name not in officers + brokers  # named by reference only


def test_notify_sends_nothing_when_nothing_is_due(officer):
    due_review(due_on=TODAY + 30 * DAY)
    assert services.dp_reviews_notify_due(today=TODAY) == 0
    assert mail.outbox == []


def test_a_broker_is_not_told_about_a_person_who_withdrew_consent(officer, broker, brokerage):
    due_review(person=PersonFactory(broker_organisation=brokerage, consent_to_share=False), due_on=TODAY)
    assert services.dp_reviews_notify_due(today=TODAY) == 1
    assert [message.to for message in mail.outbox] == [[officer.email]]
