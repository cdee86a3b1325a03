"""Building a support plan and submitting it for sign-off: the services and the rules they keep."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from brokerage import services
from brokerage.constants import (
    DbsCheck,
    DeploymentRoute,
    FinancialRisk,
    LineKind,
    NegotiationReason,
    NegotiationStatus,
    PlanStatus,
)
from brokerage.models import Negotiation, PlanLine, PlanOutcome, PlanRisk, SupportPlan
from marketplace.constants import Role
from marketplace.models import AuditEvent
from providers.constants import AccreditationStatus, ListingStatus, RateUnit
from tests.brokerage.factories import (
    IndicativeBudgetFactory,
    NegotiationOpenFactory,
    PersonalAssistantLineFactory,
    PersonFactory,
    PlanLineFactory,
    PlanOutcomeFactory,
    PlanRiskFactory,
    SupportPlanDraftFactory,
    approved_listing,
    plan_ready,
)
from tests.brokerage.factories_plans import budget, plan, ready, reference  # noqa: F401 (pytest fixtures)
from tests.providers.factories import RateCardFactory, days

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage)


@pytest.fixture
def outcome(plan):
    return PlanOutcomeFactory(plan=plan)


@pytest.fixture
def card(reference):
    """A published homecare service of an approved provider: £24.00 an hour by contract, £20.00 by
    direct payment."""
    return approved_listing(contract_rate_pence=2400, direct_payment_rate_pence=2000)


def snapshot():
    """Everything building a plan can change, to show a refused call changed nothing."""
    return (SupportPlan.objects.count(), list(SupportPlan.objects.order_by("pk").values_list("status", flat=True)),
            PlanLine.objects.count(), PlanOutcome.objects.count(), PlanRisk.objects.count(),
            Negotiation.objects.count(), AuditEvent.objects.count())


def add_service(plan, by, card, **overrides):
    fields = {"listing": card.listing, "route": DeploymentRoute.MANAGED_BUDGET, "quantity_per_week": Decimal("10"),
              "outcomes": list(plan.outcomes.all()), "starts_on": NEXT_WEEK} | overrides
    return services.plan_line_add_service(plan=plan, by=by, **fields)


def add_assistant(plan, by, **overrides):
    fields = {"assistant_name": "Sam Carter", "description": "Help to get to the shops", "quantity_per_week": "8",
              "price_pence": 1500, "route": DeploymentRoute.DIRECT_PAYMENT, "live_in_relative": False,
              "dbs_check": DbsCheck.REQUESTED, "outcomes": list(plan.outcomes.all()),
              "starts_on": NEXT_WEEK} | overrides
    return services.plan_line_add_assistant(plan=plan, by=by, **fields)


def messages_of(error: ValidationError) -> list[str]:
    return error.value.messages


# Starting a plan ---------------------------------------------------------------------------------


def test_a_broker_starts_a_plan_against_the_newest_indicative_budget(broker, person):
    IndicativeBudgetFactory(person=person, weekly_total_pence=30000, weekly_contribution_pence=0)
    newest = IndicativeBudgetFactory(person=person, weekly_total_pence=45000, weekly_contribution_pence=0)
    plan = services.plan_start(person=person, by=broker, starts_on=NEXT_WEEK)
    assert plan.status == PlanStatus.DRAFT and plan.version == 1
    assert plan.indicative_budget == newest and plan.created_by == broker
    assert AuditEvent.objects.filter(verb="supportplan.started", target_id=str(plan.pk)).count() == 1


def test_starting_a_plan_without_a_budget_says_to_work_one_out_first(broker, person):
    with pytest.raises(ValidationError) as error:
        services.plan_start(person=person, by=broker, starts_on=NEXT_WEEK)
    assert "Work out an indicative budget first" in error.value.message_dict["indicative_budget"][0]
    assert SupportPlan.objects.count() == 0


def test_a_budget_of_another_person_is_refused(broker, person, budget):
    other = IndicativeBudgetFactory(person=PersonFactory(broker_organisation=person.broker_organisation))
    with pytest.raises(ValidationError) as error:
        services.plan_start(person=person, by=broker, starts_on=NEXT_WEEK, indicative_budget=other)
    assert "indicative_budget" in error.value.message_dict
    assert SupportPlan.objects.count() == 0


def test_a_second_open_plan_is_refused_with_a_clear_message(broker, plan):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.plan_start(person=plan.person, by=broker, starts_on=NEXT_WEEK)
    assert "already has a support plan" in messages_of(error)[0]
    assert "carry on with that one" in messages_of(error)[0]
    assert snapshot() == before


def test_a_double_click_caught_by_the_database_gives_the_same_message(broker, plan, monkeypatch):
    """Two starts at once both pass the check; the partial unique constraint refuses the second."""
    from brokerage.services import plans as plan_services

    real_filter = SupportPlan.objects.filter
    calls = {"n": 0}

    def blind_first_check(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        if "status__in" in kwargs and calls["n"] == 0:
            calls["n"] += 1
            return queryset.none()
        return queryset

    monkeypatch.setattr(plan_services.SupportPlan.objects, "filter", blind_first_check)
    with pytest.raises(ValidationError) as error:
        services.plan_start(person=plan.person, by=broker, starts_on=NEXT_WEEK)
    assert "already has a support plan" in messages_of(error)[0]
    assert SupportPlan.objects.filter(person=plan.person).count() == 1


def test_the_database_refuses_a_second_open_plan(plan):
    with pytest.raises(IntegrityError):
        SupportPlanDraftFactory(person=plan.person, indicative_budget=plan.indicative_budget, version=2)


def test_versions_count_up_from_the_highest(broker, person, budget):
    SupportPlanDraftFactory(person=person, indicative_budget=budget, version=3, status=PlanStatus.REJECTED)
    plan = services.plan_start(person=person, by=broker, starts_on=NEXT_WEEK)
    assert plan.version == 4


def test_another_brokerages_broker_cannot_start_a_plan(other_broker, person, budget):
    with pytest.raises(PermissionDenied):
        services.plan_start(person=person, by=other_broker, starts_on=NEXT_WEEK)
    assert SupportPlan.objects.count() == 0


def test_a_broker_without_consent_to_share_cannot_start_a_plan(broker, brokerage):
    person = PersonFactory(broker_organisation=brokerage, consent_to_share=False)
    IndicativeBudgetFactory(person=person)
    with pytest.raises(PermissionDenied):
        services.plan_start(person=person, by=broker, starts_on=NEXT_WEEK)


def test_a_contract_officer_may_start_a_plan(officer, person, budget):
    assert services.plan_start(person=person, by=officer, starts_on=NEXT_WEEK).status == PlanStatus.DRAFT


def test_a_provider_cannot_start_a_plan(make_member, provider_org, person, budget):
    with pytest.raises(PermissionDenied):
        services.plan_start(person=person, by=make_member(Role.PROVIDER_ADMIN, provider_org), starts_on=NEXT_WEEK)


# Outcomes, risks and the plan's own fields --------------------------------------------------------


def test_outcomes_and_risks_are_added_in_order_and_audited(broker, plan):
    first = services.plan_outcome_add(plan=plan, by=broker, text="  I want to get to the allotment  ",
                                      domain="community")
    second = services.plan_outcome_add(plan=plan, by=broker, text="I want to cook my own tea")
    assert first.text == "I want to get to the allotment" and second.position > first.position
    risk = services.plan_risk_add(plan=plan, by=broker, risk="Falls", who_is_affected="The person", mitigation="")
    assert risk.mitigation == ""
    assert AuditEvent.objects.filter(verb="planoutcome.added").count() == 2
    assert AuditEvent.objects.filter(verb="planrisk.added").count() == 1


def test_an_empty_outcome_or_risk_is_refused_by_field(broker, plan):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.plan_outcome_add(plan=plan, by=broker, text="  ", domain="nonsense")
    assert set(error.value.message_dict) == {"text", "domain"}
    with pytest.raises(ValidationError) as error:
        services.plan_risk_add(plan=plan, by=broker, risk="", who_is_affected="", mitigation="x")
    assert set(error.value.message_dict) == {"risk", "who_is_affected"}
    assert snapshot() == before


def test_removing_an_outcome_leaves_its_lines_serving_nothing(broker, plan, outcome, card):
    line = add_service(plan, broker, card)
    services.plan_outcome_remove(outcome=outcome, by=broker)
    assert not line.outcomes.exists()
    assert AuditEvent.objects.filter(verb="planoutcome.removed").count() == 1


def test_plan_update_writes_only_what_changed(broker, plan):
    services.plan_update(plan=plan, by=broker, safeguarding_considered=True, financial_risk=FinancialRisk.LOW)
    plan.refresh_from_db()
    assert plan.safeguarding_considered and plan.financial_risk == FinancialRisk.LOW
    count = AuditEvent.objects.filter(verb="supportplan.updated").count()
    services.plan_update(plan=plan, by=broker, safeguarding_considered=True)
    assert AuditEvent.objects.filter(verb="supportplan.updated").count() == count


def test_plan_update_refuses_an_unknown_financial_risk(broker, plan):
    with pytest.raises(ValidationError) as error:
        services.plan_update(plan=plan, by=broker, financial_risk="extreme")
    assert "financial_risk" in error.value.message_dict


def test_plan_update_refuses_fields_it_does_not_own(broker, plan):
    with pytest.raises(TypeError):
        services.plan_update(plan=plan, by=broker, status=PlanStatus.APPROVED)


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED, PlanStatus.REJECTED,
                                    PlanStatus.SUPERSEDED])
def test_a_plan_that_is_not_draft_or_returned_cannot_change(broker, plan, outcome, card, status):
    line = PlanLineFactory(plan=plan)
    SupportPlan.objects.filter(pk=plan.pk).update(status=status)
    plan.refresh_from_db()
    before = snapshot()
    attempts = [
        lambda: services.plan_outcome_add(plan=plan, by=broker, text="More"),
        lambda: services.plan_risk_add(plan=plan, by=broker, risk="R", who_is_affected="W", mitigation="M"),
        lambda: services.plan_update(plan=plan, by=broker, safeguarding_considered=True),
        lambda: add_service(plan, broker, card),
        lambda: add_assistant(plan, broker),
        lambda: services.plan_line_update(line=line, by=broker, quantity_per_week="3"),
        lambda: services.plan_line_remove(line=line, by=broker),
        lambda: services.plan_outcome_remove(outcome=outcome, by=broker),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as error:
            attempt()
        assert "cannot change" in messages_of(error)[0]
    assert snapshot() == before


def test_a_submitted_plan_says_it_has_been_submitted_and_what_to_do(broker, plan):
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.SUBMITTED)
    with pytest.raises(ValidationError) as error:
        services.plan_outcome_add(plan=plan, by=broker, text="More")
    message = messages_of(error)[0]
    assert message.startswith("This plan has been submitted and cannot change")
    assert "start a new version" in message


def test_a_returned_plan_can_change_again(broker, plan):
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.RETURNED)
    assert services.plan_outcome_add(plan=plan, by=broker, text="More").pk


def test_another_brokerages_broker_cannot_change_the_plan(other_broker, plan, card):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.plan_outcome_add(plan=plan, by=other_broker, text="Mine now")
    with pytest.raises(PermissionDenied):
        add_service(plan, other_broker, card)
    assert snapshot() == before


# Service lines ------------------------------------------------------------------------------------


def test_a_service_line_is_priced_at_the_contract_rate(broker, plan, outcome, card):
    line = add_service(plan, broker, card, quantity_per_week="7.5")
    assert line.kind == LineKind.SERVICE and line.rate_card == card and line.unit == RateUnit.HOUR
    assert line.listed_price_pence == line.agreed_price_pence == 2400
    assert line.quantity_per_week == Decimal("7.5")
    assert list(line.outcomes.all()) == [outcome]
    assert AuditEvent.objects.filter(verb="planline.added", target_id=str(line.pk)).count() == 1


@pytest.mark.parametrize("route", [DeploymentRoute.DIRECT_PAYMENT, DeploymentRoute.THIRD_PARTY_DIRECT_PAYMENT])
def test_a_direct_payment_line_is_listed_at_the_direct_payment_rate(broker, plan, card, route):
    line = add_service(plan, broker, card, route=route)
    assert line.listed_price_pence == line.agreed_price_pence == 2000


@pytest.mark.parametrize("quantity", ["-1", "0", "0.00", -3, 0, "abc", "", None, "1.234", "1e3x", "NaN",
                                      "Infinity", 2.5, "100000"])
def test_a_quantity_that_is_not_above_0_is_refused_and_nothing_is_written(broker, plan, outcome, card, quantity):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card, quantity_per_week=quantity)
    assert "more than 0" in error.value.message_dict["quantity_per_week"][0]
    assert snapshot() == before


def test_an_unknown_service_is_refused(broker, plan, card):
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card, listing=None)
    assert error.value.message_dict["listing"][0].startswith("Unknown service")
    assert snapshot() == before


def test_a_draft_service_is_as_good_as_unknown(broker, plan, card):
    card.listing.status = ListingStatus.DRAFT
    card.listing.save()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card)
    assert error.value.message_dict["listing"][0].startswith("Unknown service")


@pytest.mark.parametrize("status", [ListingStatus.PAUSED, ListingStatus.WITHDRAWN])
def test_a_service_that_is_not_published_is_refused(broker, plan, card, status):
    card.listing.status = status
    card.listing.save()
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card)
    assert "is not offered at the moment" in error.value.message_dict["listing"][0]
    assert snapshot() == before


def test_a_line_for_a_suspended_provider_is_refused(broker, plan, card):
    accreditation = card.listing.organisation.accreditation
    accreditation.status = AccreditationStatus.SUSPENDED
    accreditation.save()
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card)
    assert "is not approved and in date with the council" in error.value.message_dict["listing"][0]
    assert snapshot() == before


def test_a_line_for_a_provider_whose_approval_has_lapsed_is_refused(broker, plan, card):
    accreditation = card.listing.organisation.accreditation
    accreditation.expires_on = days(-1)
    accreditation.save()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card)
    assert "not approved and in date" in error.value.message_dict["listing"][0]


def test_a_service_without_a_current_price_is_refused(broker, plan, card):
    card.effective_to = TODAY
    card.effective_from = days(-60)
    card.save()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card)
    assert "has no price at the moment" in error.value.message_dict["listing"][0]


def test_a_service_with_several_prices_needs_the_unit(broker, plan, card):
    RateCardFactory(listing=card.listing, unit=RateUnit.VISIT, contract_rate_pence=1800,
                    direct_payment_rate_pence=1500)
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card)
    assert "unit" in error.value.message_dict
    line = add_service(plan, broker, card, unit=RateUnit.VISIT)
    assert line.unit == RateUnit.VISIT and line.agreed_price_pence == 1800
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card, unit=RateUnit.NIGHT)
    assert "has no price per night" in error.value.message_dict["unit"][0]


def test_outcomes_of_another_plan_are_refused(broker, plan, card):
    stranger = PlanOutcomeFactory()
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card, outcomes=[stranger])
    assert error.value.message_dict["outcomes"] == ["Choose outcomes from this plan"]
    assert not PlanLine.objects.exists()


def test_an_unknown_route_and_back_to_front_dates_are_refused(broker, plan, card):
    with pytest.raises(ValidationError) as error:
        add_service(plan, broker, card, route="cash_in_hand", ends_on=NEXT_WEEK - datetime.timedelta(days=1))
    assert set(error.value.message_dict) == {"route", "ends_on"}


def test_a_given_agreed_price_is_kept(broker, plan, card):
    line = add_service(plan, broker, card, agreed_price_pence=2200)
    assert line.listed_price_pence == 2400 and line.agreed_price_pence == 2200


def test_a_line_at_the_reference_rate_opens_no_negotiation(broker, plan, card):
    add_service(plan, broker, card)
    assert not Negotiation.objects.exists()


def test_a_line_above_the_reference_rate_opens_a_negotiation(broker, plan, reference):
    card = approved_listing(contract_rate_pence=2650, direct_payment_rate_pence=2100)
    line = add_service(plan, broker, card)
    negotiation = Negotiation.objects.get(line=line)
    assert negotiation.status == NegotiationStatus.OPEN
    assert negotiation.reason == NegotiationReason.ABOVE_REFERENCE


def test_a_direct_payment_line_below_the_reference_rate_opens_no_negotiation(broker, plan, reference):
    """The contract rate is above the usual cost, but the direct-payment rate the line uses is not."""
    card = approved_listing(contract_rate_pence=2650, direct_payment_rate_pence=2100)
    add_service(plan, broker, card, route=DeploymentRoute.DIRECT_PAYMENT)
    assert not Negotiation.objects.exists()


# Personal assistants ------------------------------------------------------------------------------


def test_a_personal_assistant_is_added_with_the_live_in_and_dbs_answers(broker, plan, outcome):
    line = add_assistant(plan, broker, live_in_relative=True)
    assert line.kind == LineKind.PERSONAL_ASSISTANT and line.listing is None
    assert line.agreed_price_pence == line.listed_price_pence == 1500
    assert line.live_in_relative is True and line.dbs_check == DbsCheck.REQUESTED
    assert line.quantity_per_week == Decimal("8")


@pytest.mark.parametrize("route", [DeploymentRoute.MANAGED_BUDGET, DeploymentRoute.INDIVIDUAL_SERVICE_FUND])
def test_a_personal_assistant_must_be_paid_by_direct_payment(broker, plan, route):
    with pytest.raises(ValidationError) as error:
        add_assistant(plan, broker, route=route)
    assert error.value.message_dict["route"][0].startswith("A personal assistant is paid by direct payment")
    assert not PlanLine.objects.exists()


@pytest.mark.parametrize("price", [0, -100, "15.00", None, True])
def test_a_personal_assistant_needs_a_price_above_0(broker, plan, price):
    with pytest.raises(ValidationError) as error:
        add_assistant(plan, broker, price_pence=price)
    assert "price_pence" in error.value.message_dict


def test_a_personal_assistant_needs_a_name_a_quantity_and_a_dbs_answer(broker, plan):
    with pytest.raises(ValidationError) as error:
        add_assistant(plan, broker, assistant_name=" ", quantity_per_week="-2", dbs_check="maybe",
                      live_in_relative="no")
    assert set(error.value.message_dict) == {"assistant_name", "quantity_per_week", "dbs_check", "live_in_relative"}


# Changing and removing lines ---------------------------------------------------------------------


def test_changing_the_route_reprices_the_line(broker, plan, outcome, card):
    line = add_service(plan, broker, card)
    line = services.plan_line_update(line=line, by=broker, route=DeploymentRoute.DIRECT_PAYMENT)
    assert line.listed_price_pence == line.agreed_price_pence == 2000
    line = services.plan_line_update(line=line, by=broker, route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND)
    assert line.listed_price_pence == line.agreed_price_pence == 2400
    event = AuditEvent.objects.filter(verb="planline.updated").order_by("pk").last()
    assert event.before["agreed_price_pence"] == 2000 and event.after["agreed_price_pence"] == 2400


def test_a_price_agreed_in_a_negotiation_survives_a_change_of_route(broker, plan, card):
    line = PlanLineFactory(plan=plan, rate_card=card, agreed_price_pence=2300)
    NegotiationOpenFactory(line=line, status=NegotiationStatus.AGREED, agreed_price_pence=2300)
    line = services.plan_line_update(line=line, by=broker, route=DeploymentRoute.DIRECT_PAYMENT)
    assert line.listed_price_pence == 2000 and line.agreed_price_pence == 2300


def test_changing_quantity_outcomes_and_dates(broker, plan, outcome, card):
    line = add_service(plan, broker, card)
    second = PlanOutcomeFactory(plan=plan, text="See friends")
    line = services.plan_line_update(line=line, by=broker, quantity_per_week="12.25", outcomes=[second.pk],
                                     ends_on=NEXT_WEEK + datetime.timedelta(days=90))
    line.refresh_from_db()
    assert line.quantity_per_week == Decimal("12.25")
    assert list(line.outcomes.all()) == [second]
    assert line.ends_on == NEXT_WEEK + datetime.timedelta(days=90)


def test_a_bad_change_is_refused_and_changes_nothing(broker, plan, outcome, card):
    line = add_service(plan, broker, card)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.plan_line_update(line=line, by=broker, quantity_per_week="-1", route="nowhere")
    assert set(error.value.message_dict) == {"quantity_per_week", "route"}
    line.refresh_from_db()
    assert line.quantity_per_week == Decimal("10") and line.route == DeploymentRoute.MANAGED_BUDGET
    assert snapshot() == before


def test_a_personal_assistant_cannot_be_moved_off_direct_payment(broker, plan):
    line = add_assistant(plan, broker)
    with pytest.raises(ValidationError) as error:
        services.plan_line_update(line=line, by=broker, route=DeploymentRoute.MANAGED_BUDGET)
    assert error.value.message_dict["route"][0].startswith("A personal assistant is paid by direct payment")


def test_removing_a_line_withdraws_its_open_negotiation_first(broker, plan, card):
    line = PlanLineFactory(plan=plan, rate_card=card)
    NegotiationOpenFactory(line=line)
    services.plan_line_remove(line=line, by=broker)
    assert not PlanLine.objects.filter(pk=line.pk).exists()
    assert AuditEvent.objects.filter(verb="planline.removed", target_id=str(line.pk)).count() == 1
    assert AuditEvent.objects.filter(verb="negotiation.withdrawn").count() == 1


# Submission ---------------------------------------------------------------------------------------


def test_a_ready_plan_is_submitted(broker, ready):
    submitted = services.plan_submit(plan=ready, by=broker)
    assert submitted.status == PlanStatus.SUBMITTED
    assert submitted.submitted_by == broker and submitted.submitted_at is not None
    assert AuditEvent.objects.filter(verb="supportplan.submitted", target_id=str(ready.pk)).count() == 1


def submit_problems(plan, by) -> list[str]:
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.plan_submit(plan=plan, by=by)
    assert snapshot() == before
    plan.refresh_from_db()
    assert plan.status in (PlanStatus.DRAFT, PlanStatus.RETURNED)
    return error.value.messages


def test_a_second_submit_says_it_has_been_sent_and_changes_nothing(broker, ready):
    services.plan_submit(plan=ready, by=broker)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.plan_submit(plan=ready, by=broker)
    assert error.value.messages == ["This plan has already been sent for sign-off"]
    assert snapshot() == before


def test_an_empty_plan_lists_every_problem_in_plain_words(broker, plan):
    problems = submit_problems(plan, broker)
    assert "Add at least one outcome, in the person's own words" in problems
    assert "Add at least one service or personal assistant" in problems
    assert any(p.startswith("Complete the risk assessment") for p in problems)
    assert "Confirm that safeguarding has been considered" in problems


def test_a_line_without_an_outcome_is_named(broker, ready):
    line = PlanLineFactory(plan=ready, quantity_per_week=Decimal("0.5"), outcomes=[])
    problems = submit_problems(ready, broker)
    assert problems == [f"{line.listing.title} ({line.listing.organisation.name}) does not serve any outcome: "
                        f"choose the outcomes it meets"]


def test_a_risk_without_a_mitigation_is_named(broker, ready):
    PlanRiskFactory(plan=ready, mitigation="")
    problems = submit_problems(ready, broker)
    assert problems == ["Complete the risk assessment: each risk needs who it affects and how it will be reduced"]


def test_safeguarding_not_considered_is_named(broker, ready):
    SupportPlan.objects.filter(pk=ready.pk).update(safeguarding_considered=False)
    assert submit_problems(ready, broker) == ["Confirm that safeguarding has been considered"]


def test_a_live_in_relative_blocks_submission_without_an_exception_reason(broker, ready):
    PersonalAssistantLineFactory(plan=ready, live_in_relative=True, quantity_per_week=Decimal("1"))
    SupportPlan.objects.filter(pk=ready.pk).update(financial_risk=FinancialRisk.LOW)
    problems = submit_problems(ready, broker)
    assert len(problems) == 1 and "a relative who lives with the person" in problems[0]
    services.plan_update(plan=ready, by=broker, live_in_relative_exception_reason="Only carer the person trusts")
    assert services.plan_submit(plan=ready, by=broker).status == PlanStatus.SUBMITTED


def test_direct_payments_need_the_financial_risk_assessment(broker, ready):
    PersonalAssistantLineFactory(plan=ready, quantity_per_week=Decimal("1"))
    problems = submit_problems(ready, broker)
    assert problems == ["The plan has direct payments: record the financial risk assessment (low, medium or high)"]


# The band is £400 ± 10%: £360.00 to £440.00 a week. No reference rate is set here, so only the
# tolerance is in play.
def test_a_plan_exactly_at_plus_10_percent_passes(broker, person):
    plan = plan_ready(person=person, weekly_hours="1")
    PlanLine.objects.filter(plan=plan).update(agreed_price_pence=44000)
    assert services.plan_submit(plan=plan, by=broker).status == PlanStatus.SUBMITTED


def test_a_plan_exactly_at_minus_10_percent_passes(broker, person):
    plan = plan_ready(person=person, weekly_hours="15")  # 15 × £24.00 = £360.00
    assert services.plan_submit(plan=plan, by=broker).status == PlanStatus.SUBMITTED


def test_one_penny_under_the_band_fails(broker, person):
    plan = plan_ready(person=person, weekly_hours="1")
    PlanLine.objects.filter(plan=plan).update(agreed_price_pence=35999)
    problems = submit_problems(plan, broker)
    assert len(problems) == 1 and problems[0].startswith("The plan costs £359.99 a week, less than the 10% allowed")


def test_one_penny_over_the_band_fails_and_an_exception_reason_lets_it_through(broker, person):
    plan = plan_ready(person=person, weekly_hours="1")
    PlanLine.objects.filter(plan=plan).update(agreed_price_pence=44001)
    problems = submit_problems(plan, broker)
    assert problems == ["The plan costs £440.01 a week, more than the 10% allowed either side of the indicative "
                        "budget of £400.00 (£360.00 to £440.00): change the plan or give the reason for an exception"]
    services.plan_update(plan=plan, by=broker, tolerance_exception_reason="Two carers are needed for every visit")
    assert services.plan_submit(plan=plan, by=broker).status == PlanStatus.SUBMITTED


def test_an_open_negotiation_blocks_submission(broker, ready):
    NegotiationOpenFactory(line=ready.lines.first())
    problems = submit_problems(ready, broker)
    assert len(problems) == 1 and "is still being negotiated" in problems[0]


def test_a_suspended_provider_blocks_submission(broker, ready):
    accreditation = ready.lines.first().listing.organisation.accreditation
    accreditation.status = AccreditationStatus.SUSPENDED
    accreditation.save()
    problems = submit_problems(ready, broker)
    assert len(problems) == 1 and "is not approved and in date" in problems[0]


def test_every_failure_is_listed_at_once(broker, ready):
    PlanLineFactory(plan=ready, outcomes=[], quantity_per_week=Decimal("0.5"))
    PlanRiskFactory(plan=ready, mitigation=" ")
    SupportPlan.objects.filter(pk=ready.pk).update(safeguarding_considered=False)
    assert len(submit_problems(ready, broker)) == 3


def test_a_returned_plan_can_be_submitted_again(broker, ready):
    SupportPlan.objects.filter(pk=ready.pk).update(status=PlanStatus.RETURNED)
    assert services.plan_submit(plan=ready, by=broker).status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("status", [PlanStatus.APPROVED, PlanStatus.REJECTED])
def test_a_decided_plan_cannot_be_submitted(broker, ready, status):
    SupportPlan.objects.filter(pk=ready.pk).update(status=status)
    with pytest.raises(ValidationError) as error:
        services.plan_submit(plan=ready, by=broker)
    assert "cannot change" in error.value.messages[0]


def test_another_brokerages_broker_cannot_submit(other_broker, ready):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.plan_submit(plan=ready, by=other_broker)
    assert snapshot() == before


# New versions ------------------------------------------------------------------------------------


@pytest.fixture
def approved(person):
    """An approved plan with two outcomes, a risk, a service line serving the second outcome with
    a negotiated price, and a personal assistant."""
    plan = plan_ready(person=person, financial_risk=FinancialRisk.MEDIUM, safeguarding_notes="Spoke with her son",
                      tolerance_exception_reason="Old reason")
    second = PlanOutcomeFactory(plan=plan, text="See my friends at the lunch club", domain="community")
    line = plan.lines.first()
    line.outcomes.set([second])
    PlanLine.objects.filter(pk=line.pk).update(agreed_price_pence=2300)
    NegotiationOpenFactory(line=line, status=NegotiationStatus.AGREED, agreed_price_pence=2300)
    PersonalAssistantLineFactory(plan=plan, live_in_relative=True, dbs_check=DbsCheck.CLEAR)
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED, decided_at=timezone.now())
    plan.refresh_from_db()
    return plan


def test_revising_copies_the_plan_and_leaves_the_approved_one_in_force(broker, approved):
    draft = services.plan_revise(plan=approved, by=broker)
    approved.refresh_from_db()
    assert approved.status == PlanStatus.APPROVED
    assert draft.status == PlanStatus.DRAFT and draft.previous == approved and draft.version == approved.version + 1
    assert draft.safeguarding_considered and draft.safeguarding_notes == "Spoke with her son"
    assert draft.financial_risk == FinancialRisk.MEDIUM
    assert draft.tolerance_exception_reason == ""
    assert [o.text for o in draft.outcomes.all()] == [o.text for o in approved.outcomes.all()]
    assert set(draft.outcomes.values_list("pk", flat=True)).isdisjoint(approved.outcomes.values_list("pk", flat=True))
    assert [(r.risk, r.mitigation) for r in draft.risks.all()] == [(r.risk, r.mitigation) for r in approved.risks.all()]
    old_lines, new_lines = list(approved.lines.all()), list(draft.lines.all())
    assert len(new_lines) == len(old_lines) == 2
    service = next(line for line in new_lines if line.kind == LineKind.SERVICE)
    assert service.agreed_price_pence == 2300 and service.listed_price_pence == 2400
    assert [o.text for o in service.outcomes.all()] == ["See my friends at the lunch club"]
    assert service.outcomes.get().plan == draft
    assert not service.negotiations.exists()
    assistant = next(line for line in new_lines if line.kind == LineKind.PERSONAL_ASSISTANT)
    assert assistant.live_in_relative and assistant.dbs_check == DbsCheck.CLEAR
    assert AuditEvent.objects.filter(verb="supportplan.revised", target_id=str(draft.pk)).count() == 1


def test_only_an_approved_plan_can_be_revised(broker, ready):
    with pytest.raises(ValidationError) as error:
        services.plan_revise(plan=ready, by=broker)
    assert "Only an approved plan" in error.value.messages[0]
    assert SupportPlan.objects.count() == 1


def test_a_second_revision_while_one_is_open_is_refused(broker, approved):
    services.plan_revise(plan=approved, by=broker)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.plan_revise(plan=approved, by=broker)
    assert "already has a support plan" in error.value.messages[0]
    assert snapshot() == before


def test_another_brokerages_broker_cannot_revise(other_broker, approved):
    with pytest.raises(PermissionDenied):
        services.plan_revise(plan=approved, by=other_broker)
    assert SupportPlan.objects.count() == 1
