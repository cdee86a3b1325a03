"""The council's sign-off: approval limits, what blocks approval, exceptions, specialist prices,
the agreed budget, superseding, the domain event, returning and rejecting."""

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from brokerage import services
from brokerage.constants import (
    BudgetKind,
    DeploymentRoute,
    FinancialRisk,
    NegotiationStatus,
    NeedDomain,
    PlanStatus,
    ReviewStatus,
    TransitionKind,
)
from brokerage.models import (
    ApprovalLimit,
    BudgetTransition,
    DirectPaymentReview,
    PersonalBudget,
    PlanLine,
    PlanOutcome,
    SupportPlan,
)
from marketplace import events
from marketplace.constants import Role
from marketplace.models import AuditEvent, DomainEvent
from marketplace.transitions import InvalidTransition
from providers.constants import ListingStatus
from tests.brokerage.factories import (
    NegotiationOpenFactory,
    PersonalAssistantLineFactory,
    PlanLineFactory,
    approved_listing,
)
from tests.brokerage.factories_signoff import (
    approved_plan,
    limit,
    revision_of,
    set_cost,
    submitted_plan,
    weekly_pence,
)
from tests.brokerage.factories_signoff import REASON, officer, plan  # noqa: F401 (officer, plan: pytest fixtures)
from tests.marketplace.factories import MembershipFactory, UserFactory
from tests.providers.factories import ReferenceRateFactory

pytestmark = pytest.mark.django_db


def snapshot(plan):
    """What approval would change: the plan, agreed budgets, domain events, the audit log."""
    plan.refresh_from_db()
    return (plan.status, plan.decided_by_id, plan.agreed_budget_id, plan.exceptions_granted,
            PersonalBudget.objects.filter(kind=BudgetKind.AGREED).count(), DomainEvent.objects.count(),
            AuditEvent.objects.count(),
            sorted(PlanLine.objects.filter(plan=plan).values_list("pk", "specialist_acknowledged_by")))


def approval_errors(plan, by, **kwargs) -> dict:
    kwargs.setdefault("reason", REASON)
    before = snapshot(plan)
    with pytest.raises(ValidationError) as caught:
        services.plan_approve(plan=plan, by=by, **kwargs)
    assert snapshot(plan) == before
    return caught.value.message_dict


# Approving within a limit ----------------------------------------------------------------------

def test_an_officer_approves_a_plan_within_their_limit(officer, plan):
    approved = services.plan_approve(plan=plan, by=officer, reason=REASON)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED == approved.status
    assert plan.decided_by == officer and plan.decided_at is not None
    assert plan.decision_reason == REASON
    assert plan.exceptions_granted == []
    moved = AuditEvent.objects.get(verb="supportplan.approved")
    assert moved.reason == REASON and moved.after == {"status": "approved"}
    placements = AuditEvent.objects.get(verb="supportplan.placements_approved").after["placements"]
    line = plan.lines.get()
    assert placements == [{
        "line": line.pk, "kind": "service", "route": "managed_budget",
        "provider_id": line.listing.organisation_id, "provider": line.listing.organisation.name,
        "listing_id": line.listing_id, "service": line.listing.title, "unit": "hour", "quantity_per_week": "16",
        "listed_price_pence": 2400, "price_pence": 2400, "weekly_pence": 38400,
    }]


def test_the_agreed_budget_is_the_plan_cost_with_the_contribution_and_the_councils_share(officer, plan):
    services.plan_approve(plan=plan, by=officer, reason=REASON)

    plan.refresh_from_db()
    agreed, indicative = plan.agreed_budget, plan.indicative_budget
    assert agreed.kind == BudgetKind.AGREED and agreed.person == plan.person and agreed.created_by == officer
    assert (agreed.assessment, agreed.ras_version) == (indicative.assessment, indicative.ras_version)
    assert (agreed.weekly_total_pence, agreed.weekly_contribution_pence, agreed.weekly_council_pence) == \
        (38400, 4000, 34400)
    line = plan.lines.get()
    assert agreed.breakdown == [{
        "kind": "service", "line": line.pk, "line_kind": "service",
        "domain": NeedDomain.PERSONAL_CARE, "domain_label": NeedDomain.PERSONAL_CARE.label,
        "service": f"{line.listing.title} ({line.listing.organisation.name})", "category": "homecare",
        "quantity": "16", "unit": "hour", "unit_label": "per hour", "rate_pence": 2400, "amount_pence": 38400,
        "route": "managed_budget", "route_label": "Council-managed budget",
        "description": f"{line.listing.title} ({line.listing.organisation.name}): 16 × £24.00 per hour "
                       f"(Council-managed budget)",
    }]


def test_the_contribution_is_never_more_than_the_agreed_budget(officer):
    plan = submitted_plan(weekly_hours="1", indicative_pence=2400)
    PersonalBudget.objects.filter(pk=plan.indicative_budget_id).update(weekly_contribution_pence=2400)
    set_cost(plan, 2300)

    services.plan_approve(plan=plan, by=officer, reason=REASON)

    agreed = SupportPlan.objects.get(pk=plan.pk).agreed_budget
    assert (agreed.weekly_total_pence, agreed.weekly_contribution_pence, agreed.weekly_council_pence) == \
        (2300, 2300, 0)


def test_a_breakdown_line_adds_up_to_the_agreed_total_with_several_lines(officer):
    plan = submitted_plan(weekly_hours="6", indicative_pence=32000)
    PlanLineFactory(plan=plan, quantity_per_week=Decimal("7.25"), route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND)

    services.plan_approve(plan=plan, by=officer, reason=REASON)

    agreed = SupportPlan.objects.get(pk=plan.pk).agreed_budget
    assert [entry["amount_pence"] for entry in agreed.breakdown] == [14400, 17400]
    assert agreed.weekly_total_pence == 31800 == sum(entry["amount_pence"] for entry in agreed.breakdown)


# Approval limits --------------------------------------------------------------------------------

def test_one_penny_above_the_officers_limit_is_refused_and_nothing_changes(officer, plan):
    limit(officer, "383.99")

    errors = approval_errors(plan, officer)

    assert errors == {"approval_limit": [
        "This plan costs £384.00 a week; you may approve up to £383.99. An officer with a limit of at least "
        "£384.00 must approve it."]}
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED
    assert not PersonalBudget.objects.filter(kind=BudgetKind.AGREED).exists()
    assert not DomainEvent.objects.exists()


def test_an_officer_with_a_higher_limit_then_approves(officer, plan, council, make_member):
    limit(officer, "383.99")
    senior = make_member(Role.CONTRACT_OFFICER, council)
    limit(senior, "384.00")
    with pytest.raises(ValidationError):
        services.plan_approve(plan=plan, by=officer, reason=REASON)

    services.plan_approve(plan=plan, by=senior, reason=REASON)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.decided_by == senior


def test_an_officer_without_a_limit_cannot_approve_anything(officer, plan):
    ApprovalLimit.objects.filter(officer=officer).delete()

    errors = approval_errors(plan, officer)

    assert errors["approval_limit"] == [
        "This plan costs £384.00 a week; you do not have an approval limit, so you may not approve plans. An "
        "officer with a limit of at least £384.00 must approve it."]


@pytest.mark.parametrize("role", [Role.BROKER, Role.FINANCE_OFFICER, Role.PROVIDER_STAFF])
def test_only_contract_officers_may_decide(role, plan, council, provider_org, make_member):
    organisation = {Role.BROKER: plan.person.broker_organisation, Role.FINANCE_OFFICER: council,
                    Role.PROVIDER_STAFF: provider_org}[role]
    user = make_member(role, organisation)
    ApprovalLimit.objects.create(officer=user, weekly_limit_pence=10**6)
    before = snapshot(plan)

    for decide in (services.plan_approve, services.plan_return, services.plan_reject):
        with pytest.raises(PermissionDenied):
            decide(plan=plan, by=user, reason=REASON)

    assert snapshot(plan) == before


def test_an_officer_who_brokers_for_the_persons_brokerage_cannot_decide_on_the_plan(officer, plan):
    MembershipFactory(user=officer, organisation=plan.person.broker_organisation, role=Role.BROKER)
    officer = type(officer).objects.get(pk=officer.pk)  # memberships are read once per user object
    before = snapshot(plan)

    with pytest.raises(PermissionDenied):
        services.plan_approve(plan=plan, by=officer, reason=REASON)

    assert snapshot(plan) == before


# What blocks approval ---------------------------------------------------------------------------

def _no_outcomes(plan):
    PlanOutcome.objects.filter(plan=plan).delete()


def _line_without_outcome(plan):
    plan.lines.get().outcomes.clear()


def _risk_without_mitigation(plan):
    plan.risks.update(mitigation=" ")


def _safeguarding_not_considered(plan):
    SupportPlan.objects.filter(pk=plan.pk).update(safeguarding_considered=False)


def _provider_lapsed(plan):
    accreditation = plan.lines.get().listing.organisation.accreditation
    accreditation.expires_on = timezone.localdate() - datetime.timedelta(days=1)
    accreditation.save()


def _service_paused(plan):
    listing = plan.lines.get().listing
    listing.status = ListingStatus.PAUSED
    listing.save()


def _negotiation_open(plan):
    NegotiationOpenFactory(line=plan.lines.get())


def _negotiation_declined(plan):
    NegotiationOpenFactory(line=plan.lines.get(), status=NegotiationStatus.DECLINED)


def _above_reference(plan):
    ReferenceRateFactory(rate_pence=2300)


def _below_minimum(plan):
    rate_card = plan.lines.get().rate_card
    rate_card.minimum_quantity = Decimal("20")
    rate_card.save()


def _direct_payment_without_financial_risk(plan):
    plan.lines.update(route=DeploymentRoute.DIRECT_PAYMENT, agreed_price_pence=2000, listed_price_pence=2000)
    set_cost(plan, 38400)


def _no_lines(plan):
    plan.lines.all().delete()


@pytest.mark.parametrize("break_plan, words", [
    (_no_outcomes, "Add at least one outcome"),
    (_line_without_outcome, "does not serve any outcome"),
    (_risk_without_mitigation, "Complete the risk assessment"),
    (_safeguarding_not_considered, "Confirm that safeguarding has been considered"),
    (_provider_lapsed, "is not approved and in date"),
    (_service_paused, "is no longer offered"),
    (_negotiation_open, "is still being negotiated"),
    (_negotiation_declined, "would not negotiate the price"),
    (_above_reference, "is above the council's usual cost"),
    (_below_minimum, "has a minimum of 20 a week"),
    (_direct_payment_without_financial_risk, "record the financial risk assessment"),
    (_no_lines, "Add at least one service or personal assistant"),
])
def test_each_failed_check_blocks_approval(officer, plan, break_plan, words):
    break_plan(plan)

    errors = approval_errors(plan, officer)

    assert any(words in message for message in errors["checks"]), errors


# Tolerance [K §5(4)] -----------------------------------------------------------------------------

@pytest.mark.parametrize("cost", [44000, 36000])
def test_exactly_ten_percent_either_side_of_the_indicative_budget_needs_no_exception(officer, plan, cost):
    set_cost(plan, cost)

    services.plan_approve(plan=plan, by=officer, reason=REASON)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.exceptions_granted == []
    assert plan.agreed_budget.weekly_total_pence == cost


@pytest.mark.parametrize("cost, band", [(44001, "more"), (35999, "less")])
def test_a_penny_outside_the_tolerance_needs_the_officers_reason_for_an_exception(officer, plan, cost, band):
    set_cost(plan, cost)
    SupportPlan.objects.filter(pk=plan.pk).update(tolerance_exception_reason="Two carers are needed at night.")

    errors = approval_errors(plan, officer)
    assert list(errors) == ["exception_tolerance"]
    assert "outside the 10% either side of the indicative budget of £400.00 (£360.00 to £440.00)" in \
        errors["exception_tolerance"][0]
    errors = approval_errors(plan, officer, exceptions={"tolerance": "   "})
    assert list(errors) == ["exception_tolerance"]

    services.plan_approve(plan=plan, by=officer, reason=REASON, exceptions={"tolerance": "Agreed: night care."})

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    [granted] = plan.exceptions_granted
    assert (granted["code"], granted["reason"], granted["by"]) == ("tolerance", "Agreed: night care.", officer.pk)
    assert datetime.datetime.fromisoformat(granted["at"]) == plan.decided_at


def test_the_officer_may_agree_a_tolerance_exception_the_broker_did_not_ask_for(officer, plan):
    # The tolerance setting changed, or a price was agreed, after the plan was submitted.
    set_cost(plan, 50000)

    services.plan_approve(plan=plan, by=officer, reason=REASON,
                          exceptions={"tolerance": "Price rose after a negotiation; still the best value."})

    plan.refresh_from_db()
    assert [entry["code"] for entry in plan.exceptions_granted] == ["tolerance"]


def test_an_exception_that_is_not_needed_is_not_recorded(officer, plan):
    services.plan_approve(plan=plan, by=officer, reason=REASON, exceptions={"tolerance": "Just in case"})

    assert SupportPlan.objects.get(pk=plan.pk).exceptions_granted == []


def test_an_unknown_exception_is_refused(officer, plan):
    errors = approval_errors(plan, officer, exceptions={"above_reference": "It is worth it"})

    assert errors == {"exceptions": ["“above_reference” is not an exception an officer can agree: the exceptions "
                                     "are tolerance and live_in_relative"]}


# Live-in relatives [H IV(a)] ---------------------------------------------------------------------

@pytest.fixture
def live_in_plan():
    """£24 × 11 hours managed + a live-in relative as personal assistant, £15 × 8 hours = £384."""
    plan = submitted_plan(weekly_hours="11", financial_risk=FinancialRisk.LOW)
    PersonalAssistantLineFactory(plan=plan, live_in_relative=True, assistant_name="Jo Example")
    return plan


def test_paying_a_live_in_relative_needs_the_officers_reason_for_an_exception(officer, live_in_plan):
    SupportPlan.objects.filter(pk=live_in_plan.pk).update(live_in_relative_exception_reason="No one else nearby.")

    errors = approval_errors(live_in_plan, officer)
    assert errors == {"exception_live_in_relative": [
        "Jo Example is a relative who lives with the person: give your reason for agreeing an exception to pay them "
        "by direct payment, or return the plan"]}

    services.plan_approve(plan=live_in_plan, by=officer, reason=REASON,
                          exceptions={"live_in_relative": "Rural area, no agency cover; reviewed in 3 months."})

    live_in_plan.refresh_from_db()
    assert live_in_plan.status == PlanStatus.APPROVED
    assert [(e["code"], e["reason"]) for e in live_in_plan.exceptions_granted] == [
        ("live_in_relative", "Rural area, no agency cover; reviewed in 3 months.")]


def test_a_live_in_relative_exception_the_broker_did_not_ask_for_is_allowed_with_a_reason(officer, live_in_plan):
    services.plan_approve(plan=live_in_plan, by=officer, reason=REASON,
                          exceptions={"live_in_relative": "Exceptional circumstances recorded on file."})

    assert SupportPlan.objects.get(pk=live_in_plan.pk).status == PlanStatus.APPROVED


def test_a_plan_with_direct_payments_has_its_first_financial_review_scheduled(officer, live_in_plan):
    services.plan_approve(plan=live_in_plan, by=officer, reason=REASON, exceptions={"live_in_relative": "Agreed."})

    review = DirectPaymentReview.objects.get(person=live_in_plan.person)
    assert (review.plan_id, review.status, review.risk) == (live_in_plan.pk, ReviewStatus.DUE, FinancialRisk.LOW)
    assert review.due_on == live_in_plan.starts_on + relativedelta(months=6)


def test_a_new_version_without_direct_payments_cancels_the_review_still_due(officer):
    old = approved_plan(weekly_hours="16")
    DirectPaymentReview.objects.create(person=old.person, plan=old, risk=FinancialRisk.LOW,
                                       due_on=timezone.localdate() + datetime.timedelta(days=100))
    new = revision_of(old, weekly_hours="16")

    services.plan_approve(plan=new, by=officer, reason=REASON)

    assert DirectPaymentReview.objects.get(person=old.person).status == ReviewStatus.CANCELLED


# Specialist prices [H V(d)] ----------------------------------------------------------------------

@pytest.fixture
def specialist_plan():
    """£24 × 6 hours, and a specialist at £30 × 8 hours above the £24 reference rate = £384."""
    ReferenceRateFactory(rate_pence=2400)
    plan = submitted_plan(weekly_hours="6")
    line = PlanLineFactory(plan=plan, quantity_per_week=Decimal("8"),
                           rate_card=approved_listing(is_specialist=True, contract_rate_pence=3000))
    return plan, line


def test_a_specialist_price_must_be_acknowledged_and_the_acknowledgement_is_recorded(officer, specialist_plan):
    plan, line = specialist_plan

    errors = approval_errors(plan, officer)
    assert errors == {"acknowledged_line_ids": [
        f"Acknowledge the specialist price of {line.listing.title} ({line.listing.organisation.name}): £30.00, "
        f"above the council's usual cost of £24.00"]}

    services.plan_approve(plan=plan, by=officer, reason=REASON, acknowledged_line_ids=[line.pk])

    line.refresh_from_db()
    assert line.specialist_acknowledged_by == officer and line.specialist_acknowledged_at is not None
    other = plan.lines.exclude(pk=line.pk).get()
    assert other.specialist_acknowledged_by is None
    assert AuditEvent.objects.get(verb="supportplan.placements_approved").after["specialist_acknowledged"] == \
        [line.pk]


def test_acknowledging_another_line_does_not_count(officer, specialist_plan):
    plan, line = specialist_plan
    other = plan.lines.exclude(pk=line.pk).get()

    errors = approval_errors(plan, officer, acknowledged_line_ids=[other.pk, 999999])

    assert list(errors) == ["acknowledged_line_ids"]


# Supersede and transitional arrangements [H V] ---------------------------------------------------

def test_approval_supersedes_the_plan_in_force_and_an_increase_applies_at_once(officer):
    old = approved_plan(weekly_hours="15")
    new = revision_of(old, weekly_hours="16")

    services.plan_approve(plan=new, by=officer, reason=REASON)

    old.refresh_from_db()
    assert old.status == PlanStatus.SUPERSEDED
    assert AuditEvent.objects.filter(verb="supportplan.superseded", target_id=str(old.pk)).count() == 1
    change = BudgetTransition.objects.get(plan=new)
    assert (change.kind, change.from_weekly_pence, change.to_weekly_pence, change.starts_on, change.decided_by) == \
        (TransitionKind.IMMEDIATE, 36000, 38400, new.starts_on, officer)


def test_a_first_plan_records_no_budget_change(officer, plan):
    services.plan_approve(plan=plan, by=officer, reason=REASON)

    assert not BudgetTransition.objects.exists()


def test_a_lower_budget_needs_the_officer_to_choose_how_it_comes_in(officer):
    old = approved_plan(weekly_hours="17")
    new = revision_of(old, weekly_hours="16")

    errors = approval_errors(new, officer)
    assert errors == {"transition_kind": [
        "The new budget of £384.00 a week is lower than the £408.00 in force: choose whether it applies "
        "immediately, the higher level is protected, or it steps down over a transitional period"]}
    assert SupportPlan.objects.get(pk=old.pk).status == PlanStatus.APPROVED

    review_on = new.starts_on + datetime.timedelta(days=90)
    services.plan_approve(plan=new, by=officer, reason=REASON, transition={
        "kind": "protected", "review_on": review_on, "reason": "A cut now would distress her."})

    change = BudgetTransition.objects.get(plan=new)
    assert (change.kind, change.from_weekly_pence, change.to_weekly_pence, change.review_on, change.reason) == \
        (TransitionKind.PROTECTED, 40800, 38400, review_on, "A cut now would distress her.")


def test_a_lower_budget_may_step_down_over_a_transitional_period(officer):
    old = approved_plan(weekly_hours="17")
    new = revision_of(old, weekly_hours="16")

    services.plan_approve(plan=new, by=officer, reason=REASON,
                          transition={"kind": "transitional", "weeks": 8, "reason": "Time to adjust."})

    change = BudgetTransition.objects.get(plan=new)
    assert (change.kind, change.weeks) == (TransitionKind.TRANSITIONAL, 8)


def test_an_increase_cannot_be_protected_or_tapered(officer):
    old = approved_plan(weekly_hours="15")
    new = revision_of(old, weekly_hours="16")

    errors = approval_errors(new, officer, transition={"kind": "transitional", "weeks": 8})

    assert errors == {"transition_kind": [
        "The new budget is not lower than the one in force, so it applies at once: do not choose protected or "
        "transitional"]}


@pytest.mark.parametrize("choice, key", [
    ({"kind": "transitional", "weeks": 20, "reason": "Slow change"}, "transition_exception_reason"),
    ({"kind": "protected", "reason": "Distress"}, "transition_review_on"),
    ({"kind": "transitional", "weeks": 0, "reason": "Slow change"}, "transition_weeks"),
])
def test_the_transitional_arrangements_own_rules_come_back_as_transition_fields(officer, choice, key):
    old = approved_plan(weekly_hours="17")
    new = revision_of(old, weekly_hours="16")

    errors = approval_errors(new, officer, transition=choice)

    assert list(errors) == [key]
    assert SupportPlan.objects.get(pk=old.pk).status == PlanStatus.APPROVED
    assert not BudgetTransition.objects.exists()


# The domain event; nothing is paid -------------------------------------------------------------

def test_approval_emits_one_event_naming_the_isf_lines(officer, plan):
    isf = PlanLineFactory(plan=plan, quantity_per_week=Decimal("1"), route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND)
    set_cost_of = weekly_pence(plan)
    assert set_cost_of == 40800

    services.plan_approve(plan=plan, by=officer, reason=REASON)

    plan.refresh_from_db()
    event = DomainEvent.objects.get()
    assert event.topic == events.PLAN_APPROVED
    assert event.payload == {"plan_id": plan.pk, "person_id": plan.person_id, "agreed_budget_id": plan.agreed_budget_id,
                             "isf_line_ids": [isf.pk], "starts_on": plan.starts_on.isoformat()}


def test_approving_twice_by_the_same_officer_changes_nothing_more(officer, plan):
    services.plan_approve(plan=plan, by=officer, reason=REASON)
    after_first = snapshot(plan)

    again = services.plan_approve(plan=plan, by=officer, reason="Clicked twice")

    assert again.pk == plan.pk and again.status == PlanStatus.APPROVED
    assert snapshot(plan) == after_first
    assert SupportPlan.objects.get(pk=plan.pk).decision_reason == REASON


def test_another_officer_cannot_approve_a_plan_already_approved(officer, plan, council, make_member):
    other = make_member(Role.CONTRACT_OFFICER, council)
    limit(other, "1000")
    services.plan_approve(plan=plan, by=officer, reason=REASON)
    before = snapshot(plan)

    with pytest.raises(InvalidTransition) as caught:
        services.plan_approve(plan=plan, by=other, reason=REASON)

    assert "Only a plan waiting for sign-off can be approved; this one is “approved” (decided by" in str(caught.value)
    assert snapshot(plan) == before


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.REJECTED])
def test_only_a_plan_waiting_for_sign_off_can_be_decided(officer, plan, status):
    SupportPlan.objects.filter(pk=plan.pk).update(status=status)
    before = snapshot(plan)

    for decide in (services.plan_approve, services.plan_return, services.plan_reject):
        with pytest.raises(InvalidTransition):
            decide(plan=plan, by=officer, reason=REASON)

    assert snapshot(plan) == before


def test_approval_needs_the_officers_reasons(officer, plan):
    errors = approval_errors(plan, officer, reason="  ")

    assert errors == {"reason": ["Enter your reasons for approving the plan: why it does not put the council at "
                                 "unreasonable risk or in breach of its duties"]}


def test_every_problem_with_an_approval_is_listed_at_once(officer, specialist_plan):
    plan, _ = specialist_plan
    plan.risks.update(mitigation="")
    limit(officer, "100")

    errors = approval_errors(plan, officer, reason="", exceptions={"nonsense": "x"})

    assert sorted(errors) == ["acknowledged_line_ids", "approval_limit", "checks", "exceptions", "reason"]


# Return and reject ------------------------------------------------------------------------------

@pytest.mark.parametrize("decide, status, verb", [
    (services.plan_return, PlanStatus.RETURNED, "supportplan.returned"),
    (services.plan_reject, PlanStatus.REJECTED, "supportplan.rejected"),
])
def test_return_and_reject_need_reasons_and_record_the_decision(officer, plan, decide, status, verb):
    ApprovalLimit.objects.filter(officer=officer).delete()  # no limit is needed to send a plan back
    before = snapshot(plan)
    with pytest.raises(ValidationError) as caught:
        decide(plan=plan, by=officer, reason=" ")
    assert list(caught.value.message_dict) == ["reason"]
    assert snapshot(plan) == before

    decide(plan=plan, by=officer, reason="The risk assessment does not cover night-time falls.")

    plan.refresh_from_db()
    assert plan.status == status and plan.decided_by == officer and plan.decided_at is not None
    assert plan.decision_reason == "The risk assessment does not cover night-time falls."
    event = AuditEvent.objects.get(verb=verb)
    assert event.reason == plan.decision_reason
    assert not PersonalBudget.objects.filter(kind=BudgetKind.AGREED).exists() and not DomainEvent.objects.exists()

    count = AuditEvent.objects.count()
    decide(plan=plan, by=officer, reason="Second click")
    assert AuditEvent.objects.count() == count


def test_a_returned_plan_can_be_submitted_again_and_approved(officer, plan, make_member):
    broker = make_member(Role.BROKER, plan.person.broker_organisation)
    services.plan_return(plan=plan, by=officer, reason="Add a mitigation for falls at night.")

    services.plan_submit(plan=SupportPlan.objects.get(pk=plan.pk), by=broker)
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED
    services.plan_approve(plan=plan, by=officer, reason=REASON)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.decision_reason == REASON


def test_a_rejected_plan_cannot_be_submitted_again(officer, plan, make_member):
    broker = make_member(Role.BROKER, plan.person.broker_organisation)
    services.plan_reject(plan=plan, by=officer, reason="Not eligible for these services.")

    with pytest.raises(ValidationError):
        services.plan_submit(plan=SupportPlan.objects.get(pk=plan.pk), by=broker)
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.REJECTED


# Setting approval limits ------------------------------------------------------------------------

@pytest.fixture
def administrator(db):
    return UserFactory(is_superuser=True, is_staff=True)


def test_the_system_administrator_sets_a_limit_and_it_is_audited(administrator, officer):
    row = services.approval_limit_set(officer=officer, weekly_limit_pence=75000, by=administrator,
                                      reason="Team leader from 1 April")

    assert (row.officer, row.weekly_limit_pence, row.set_by) == (officer, 75000, administrator)
    event = AuditEvent.objects.get(verb="approvallimit.set")
    assert event.before == {"officer": officer.pk, "weekly_limit_pence": 100000}
    assert event.after == {"officer": officer.pk, "weekly_limit_pence": 75000}
    assert event.reason == "Team leader from 1 April" and event.actor == administrator

    services.approval_limit_set(officer=officer, weekly_limit_pence=75000, by=administrator, reason="Again")
    assert AuditEvent.objects.filter(verb="approvallimit.set").count() == 1


def test_a_first_limit_has_no_before(administrator, council, make_member):
    newcomer = make_member(Role.CONTRACT_OFFICER, council)

    services.approval_limit_set(officer=newcomer, weekly_limit_pence=0, by=administrator, reason="New starter")

    assert ApprovalLimit.objects.get(officer=newcomer).weekly_limit_pence == 0
    assert AuditEvent.objects.get(verb="approvallimit.set").before["weekly_limit_pence"] is None


def test_only_the_system_administrator_sets_limits(officer, council, make_member):
    for user in (officer, make_member(Role.FINANCE_OFFICER, council), UserFactory(is_staff=True)):
        with pytest.raises(PermissionDenied):
            services.approval_limit_set(officer=officer, weekly_limit_pence=10**7, by=user, reason="Promotion")
    assert ApprovalLimit.objects.get(officer=officer).weekly_limit_pence == 100000


@pytest.mark.parametrize("pence, field", [(-1, "weekly_limit_pence"), ("12.50", "weekly_limit_pence"),
                                          (True, "weekly_limit_pence")])
def test_a_limit_must_be_whole_pence_of_zero_or_more(administrator, officer, pence, field):
    with pytest.raises(ValidationError) as caught:
        services.approval_limit_set(officer=officer, weekly_limit_pence=pence, by=administrator, reason="x")

    assert list(caught.value.message_dict) == [field]


def test_a_limit_is_only_for_a_contract_officer_and_needs_a_reason(administrator, broker):
    with pytest.raises(ValidationError) as caught:
        services.approval_limit_set(officer=broker, weekly_limit_pence=5000, by=administrator, reason=" ")

    assert sorted(caught.value.message_dict) == ["officer", "reason"]
    assert not ApprovalLimit.objects.exists()
