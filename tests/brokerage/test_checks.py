"""The costing of a support plan and the checks it must pass before sign-off (brokerage.checks)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.checks import plan_checks, plan_costing, specialist_lines, tolerance_band
from brokerage.constants import DeploymentRoute, FinancialRisk, NegotiationStatus
from brokerage.models import BrokerageSettings, SupportPlan
from brokerage.selectors import with_plan_details
from providers.constants import AccreditationStatus, ListingStatus
from tests.brokerage.factories import (
    NegotiationOpenFactory,
    PersonalAssistantLineFactory,
    PlanLineFactory,
    PlanOutcomeFactory,
    approved_listing,
    plan_ready,
)
from tests.providers.factories import ReferenceRateFactory

pytestmark = pytest.mark.django_db


def loaded(plan):
    return with_plan_details(SupportPlan.objects.filter(pk=plan.pk)).get()


def codes(plan):
    return [problem.code for problem in plan_checks(loaded(plan))]


def test_a_complete_plan_has_no_problems():
    assert codes(plan_ready()) == []


def test_costs_are_added_up_by_route_weekly_and_annually():
    plan = plan_ready(weekly_hours="10")  # 10 h × £24.00 managed budget
    PlanLineFactory(plan=plan, route=DeploymentRoute.DIRECT_PAYMENT, quantity_per_week=Decimal("2.5"))  # DP £20.00
    costing = plan_costing(loaded(plan))
    by_route = {route.route: route.weekly_pence for route in costing.routes}
    assert by_route == {DeploymentRoute.MANAGED_BUDGET: 24000, DeploymentRoute.DIRECT_PAYMENT: 5000}
    assert costing.weekly_pence == 29000
    assert costing.annual_pence == 29000 * 52


def test_direct_payment_lines_are_priced_at_the_direct_payment_rate():
    plan = plan_ready()
    line = PlanLineFactory(plan=plan, route=DeploymentRoute.DIRECT_PAYMENT)
    assert line.listed_price_pence == line.rate_card.direct_payment_rate_pence == 2000
    cost = plan_costing(loaded(plan)).line_cost(line)
    assert cost.at_direct_payment_rate and cost.weekly_pence == 20000


@pytest.mark.parametrize(("weekly_pence", "within"), [
    (36000, True),   # exactly 10% under the £400 indicative budget
    (44000, True),   # exactly 10% over
    (35999, False),  # a penny under the band
    (44001, False),  # a penny over the band
])
def test_tolerance_is_inclusive_at_exactly_ten_per_cent_either_way(weekly_pence, within):
    plan = plan_ready(weekly_hours="1")
    plan.lines.update(agreed_price_pence=weekly_pence)
    costing = plan_costing(loaded(plan))
    assert (costing.weekly_pence, costing.band_low_pence, costing.band_high_pence) == (weekly_pence, 36000, 44000)
    assert costing.within_tolerance is within
    assert ("tolerance" in codes(plan)) is not within


def test_outside_tolerance_is_allowed_to_go_forward_with_an_exception_reason():
    plan = plan_ready(weekly_hours="20")  # £480
    assert "tolerance" in codes(plan)
    SupportPlan.objects.filter(pk=plan.pk).update(tolerance_exception_reason="Two carers needed for every transfer")
    assert "tolerance" not in codes(plan)


def test_the_tolerance_is_the_councils_setting():
    settings = BrokerageSettings.load()
    settings.tolerance_percent = 25
    settings.save()
    plan = plan_ready(weekly_hours="20")  # £480, 20% over £400
    assert "tolerance" not in codes(plan)
    assert tolerance_band(40000, 25) == (30000, 50000)


def test_every_line_must_serve_an_outcome():
    plan = plan_ready()
    PlanLineFactory(plan=plan, outcomes=[], quantity_per_week=Decimal("1"))
    assert codes(plan) == ["line_without_outcome"]


def test_the_risk_assessment_and_safeguarding_must_be_complete():
    plan = plan_ready()
    plan.risks.update(mitigation="  ")
    SupportPlan.objects.filter(pk=plan.pk).update(safeguarding_considered=False)
    assert codes(plan) == ["risk_incomplete", "safeguarding"]


def test_a_live_in_relative_paid_by_direct_payment_needs_an_exception_reason():
    plan = plan_ready(weekly_hours="10", financial_risk=FinancialRisk.LOW)
    PersonalAssistantLineFactory(plan=plan, live_in_relative=True)
    assert codes(plan) == ["live_in_relative"]
    SupportPlan.objects.filter(pk=plan.pk).update(live_in_relative_exception_reason="No other help for 30 miles")
    assert codes(plan) == []


def test_direct_payments_need_a_financial_risk_assessment():
    plan = plan_ready(weekly_hours="10")
    PersonalAssistantLineFactory(plan=plan)
    assert codes(plan) == ["financial_risk"]


@pytest.mark.parametrize("status", [AccreditationStatus.SUSPENDED, AccreditationStatus.EXPIRED])
def test_a_provider_that_is_not_approved_blocks_the_plan(status):
    plan = plan_ready()
    plan.lines.get().listing.organisation.accreditation.__class__.objects.update(status=status)
    assert codes(plan) == ["provider_not_approved"]


def test_a_lapsed_approval_blocks_the_plan():
    plan = plan_ready()
    accreditation = plan.lines.get().listing.organisation.accreditation
    accreditation.expires_on = timezone.localdate() - datetime.timedelta(days=1)
    accreditation.save()
    assert codes(plan) == ["provider_not_approved"]


def test_a_service_no_longer_published_blocks_the_plan():
    plan = plan_ready()
    listing = plan.lines.get().listing
    listing.status = ListingStatus.WITHDRAWN
    listing.save()
    assert codes(plan) == ["service_unavailable"]


def test_an_open_negotiation_blocks_the_plan():
    plan = plan_ready()
    NegotiationOpenFactory(line=plan.lines.get())
    assert codes(plan) == ["negotiation_open"]


def test_a_declined_negotiation_blocks_a_non_specialist_line_only():
    plan = plan_ready()
    NegotiationOpenFactory(line=plan.lines.get(), status=NegotiationStatus.DECLINED)
    assert codes(plan) == ["negotiation_declined"]

    specialist = plan_ready()
    listing = specialist.lines.get().listing
    listing.is_specialist = True
    listing.save()
    NegotiationOpenFactory(line=specialist.lines.get(), status=NegotiationStatus.DECLINED)
    assert codes(specialist) == []


def test_a_price_above_the_reference_rate_blocks_a_non_specialist_but_not_a_specialist():
    ReferenceRateFactory(rate_pence=2300)
    plan = plan_ready()  # £24.00 an hour against a £23.00 reference rate
    assert codes(plan) == ["above_reference"]

    specialist_plan = plan_ready(weekly_hours="1")
    line = PlanLineFactory(plan=specialist_plan, rate_card=approved_listing(is_specialist=True),
                           quantity_per_week=Decimal("15"), outcomes=list(specialist_plan.outcomes.all()))
    specialist_plan.lines.exclude(pk=line.pk).delete()
    assert codes(specialist_plan) == []
    assert specialist_lines(plan_costing(loaded(specialist_plan))) == [line]


def test_a_price_equal_to_the_reference_rate_is_not_above_it():
    ReferenceRateFactory(rate_pence=2400)
    assert codes(plan_ready()) == []


def test_a_quantity_below_the_rate_cards_minimum_is_reported():
    plan = plan_ready()
    card = plan.lines.get().rate_card
    card.minimum_quantity = Decimal("20")
    card.save()
    assert codes(plan) == ["below_minimum"]


def test_an_empty_plan_needs_outcomes_and_lines():
    plan = plan_ready()
    plan.lines.all().delete()
    plan.outcomes.all().delete()
    assert codes(plan)[:2] == ["no_outcomes", "no_lines"]
    PlanOutcomeFactory(plan=plan)
    assert "no_outcomes" not in codes(plan)


def test_checks_read_a_constant_number_of_queries(django_assert_max_num_queries):
    plan = plan_ready()
    for _ in range(6):
        PlanLineFactory(plan=plan, quantity_per_week=Decimal("0.5"))
    with django_assert_max_num_queries(12):
        plan_checks(loaded(plan))
