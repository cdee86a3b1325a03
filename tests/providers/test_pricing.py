"""The council's prices: reference rates, decisions on specialist claims, and "above usual cost"."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from providers import services
from providers.constants import RateUnit, SpecialistClaimStatus
from providers.models import RateCard, ReferenceRate, ServiceCategory, SpecialistClaim
from providers.pricing import cost_of_care_summary, is_above_usual_cost, mark_rates, reference_rates_now
from tests.providers.factories import (
    CostOfCareLineFactory,
    RateCardFactory,
    ReferenceRateFactory,
    ServiceListingPublishedFactory,
    SpecialistClaimFactory,
    homecare,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def claim(provider_org, make_member):
    author = make_member(Role.PROVIDER_ADMIN, provider_org)
    claim = SpecialistClaimFactory(listing=ServiceListingPublishedFactory(organisation=provider_org),
                                   submitted_by=author, rate_pence=3200)
    CostOfCareLineFactory(claim=claim, hours="1.50", hourly_pay_pence=1600)  # £24.00
    CostOfCareLineFactory(claim=claim, kind="training", description="Positive behaviour support",
                          hours=None, hourly_pay_pence=None, amount_pence=250)
    return claim


def price_events():
    """Audit events other than the role grants the fixtures make."""
    return AuditEvent.objects.exclude(verb__startswith="membership.")


def set_rate(by, **overrides):
    arguments = {"category": homecare(), "unit": RateUnit.HOUR, "rate_pence": 2400,
                 "effective_from": TODAY, "reason": "Cabinet decision on fees", "by": by}
    return services.reference_rate_set(**{**arguments, **overrides})


@pytest.fixture
def outsiders(council, provider_org, make_member):
    """Everyone who is not a contract officer, including nobody signed in."""
    return {
        "finance officer": make_member(Role.FINANCE_OFFICER, council),
        "content editor": make_member(Role.CONTENT_EDITOR, council),
        "provider": make_member(Role.PROVIDER_ADMIN, provider_org),
        "anonymous": AnonymousUser(),
    }


# Reference rates


def test_officer_sets_a_reference_rate_and_it_is_audited(officer):
    rate = set_rate(officer, rate_pence=1850)
    assert (rate.rate_pence, rate.set_by, rate.reason) == (1850, officer, "Cabinet decision on fees")
    event = AuditEvent.objects.for_object(rate).get()
    assert (event.actor, event.verb, event.reason) == (officer, "referencerate.set", "Cabinet decision on fees")
    assert event.after["rate_pence"] == 1850 and event.before == {}


def test_a_new_rate_is_a_new_row_and_history_is_kept(officer):
    first = set_rate(officer, rate_pence=2200, effective_from=TODAY - 100 * DAY)
    second = set_rate(officer, rate_pence=2400, effective_from=TODAY - 10 * DAY)
    assert ReferenceRate.objects.filter(category=homecare(), unit=RateUnit.HOUR).count() == 2
    first.refresh_from_db()
    assert first.rate_pence == 2200
    assert AuditEvent.objects.for_object(second).get().before["rate_pence"] == 2200
    assert reference_rates_now()[(homecare().pk, RateUnit.HOUR)] == 2400


@pytest.mark.parametrize("overrides, field, message", [
    ({"rate_pence": 0}, "rate_pence", "The rate must be more than £0"),
    ({"rate_pence": -100}, "rate_pence", "The rate must be more than £0"),
    ({"reason": "   "}, "reason", "Enter the reason for the new rate"),
    ({"effective_from": None}, "effective_from", "Enter the date the rate starts"),
    ({"unit": "fortnight"}, "unit", "Select the unit the rate is for"),
    ({"category": None}, "category", "Select the service category"),
])
def test_a_bad_reference_rate_is_refused_with_a_message_per_field(officer, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        set_rate(officer, **overrides)
    assert refused.value.message_dict[field] == [message]
    assert not ReferenceRate.objects.exists()
    assert not AuditEvent.objects.filter(verb="referencerate.set").exists()


def test_a_second_rate_starting_the_same_day_is_refused(officer):
    set_rate(officer, rate_pence=2400)
    with pytest.raises(ValidationError) as refused:
        set_rate(officer, rate_pence=2600)
    assert "already has a reference rate per hour starting on" in refused.value.message_dict["effective_from"][0]
    assert list(ReferenceRate.objects.values_list("rate_pence", flat=True)) == [2400]
    # Another unit, or another category, may start the same day.
    set_rate(officer, unit=RateUnit.VISIT)
    set_rate(officer, category=ServiceCategory.objects.exclude(pk=homecare().pk).first())
    assert ReferenceRate.objects.count() == 3


def test_only_contract_officers_set_reference_rates(outsiders):
    for who, user in outsiders.items():
        with pytest.raises(PermissionDenied):
            set_rate(user)
    assert not ReferenceRate.objects.exists()
    assert not price_events().exists()


def test_reference_rates_now_picks_the_latest_started_rate_and_ignores_future_ones():
    category = homecare()
    ReferenceRateFactory(rate_pence=2000, effective_from=TODAY - 400 * DAY)
    ReferenceRateFactory(rate_pence=2200, effective_from=TODAY - 30 * DAY)
    ReferenceRateFactory(rate_pence=2500, effective_from=TODAY + 30 * DAY)
    ReferenceRateFactory(unit=RateUnit.VISIT, rate_pence=1500, effective_from=TODAY)
    ReferenceRateFactory(unit=RateUnit.NIGHT, rate_pence=9000, effective_from=TODAY + DAY)
    assert reference_rates_now() == {(category.pk, "hour"): 2200, (category.pk, "visit"): 1500}
    assert reference_rates_now(TODAY + 30 * DAY) == {
        (category.pk, "hour"): 2500, (category.pk, "visit"): 1500, (category.pk, "night"): 9000}
    assert reference_rates_now(TODAY - 401 * DAY) == {}


def test_reference_rates_now_is_one_query_however_many_rates():
    categories = list(ServiceCategory.objects.all()[:3])
    for category in categories:
        for unit in (RateUnit.HOUR, RateUnit.VISIT, RateUnit.DAY):
            for months in range(4):
                ReferenceRateFactory(category=category, unit=unit, rate_pence=2000 + months,
                                     effective_from=TODAY - (months * 30 - 45) * DAY)
    with CaptureQueriesContext(connection) as queries:
        rates = reference_rates_now()
    assert len(queries) == 1
    assert len(rates) == len(categories) * 3
    # Per category and unit: 2003 started 45 days ago, 2002 15 days ago, 2001 and 2000 start later.
    assert set(rates.values()) == {2002}


# Above usual cost


@pytest.mark.parametrize("rate, reference, above", [
    (2401, 2400, True),
    (2400, 2400, False),
    (2399, 2400, False),
    (2400, None, False),
    (None, 2400, False),
])
def test_is_above_usual_cost_only_when_strictly_above_a_reference(rate, reference, above):
    assert is_above_usual_cost(rate, reference) is above


def test_mark_rates_compares_each_price_with_its_category_and_unit():
    ReferenceRateFactory(rate_pence=2400)  # homecare per hour
    hourly = RateCardFactory(contract_rate_pence=2650, direct_payment_rate_pence=2400)
    equal = RateCardFactory(contract_rate_pence=2400, direct_payment_rate_pence=2000)
    per_visit = RateCardFactory(unit=RateUnit.VISIT, contract_rate_pence=9000, direct_payment_rate_pence=8000)
    cards = list(RateCard.objects.select_related("listing").order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        marked = {card.pk: card for card in mark_rates(cards)}
    assert len(queries) == 1
    assert (marked[hourly.pk].reference_rate_pence, marked[hourly.pk].contract_above_usual,
            marked[hourly.pk].direct_payment_above_usual) == (2400, True, False)
    assert (marked[equal.pk].contract_above_usual, marked[equal.pk].direct_payment_above_usual) == (False, False)
    assert (marked[per_visit.pk].reference_rate_pence, marked[per_visit.pk].contract_above_usual,
            marked[per_visit.pk].direct_payment_above_usual) == (None, False, False)


def test_mark_rates_with_given_references_needs_no_query():
    card = RateCard.objects.select_related("listing").get(pk=RateCardFactory(contract_rate_pence=2650).pk)
    with CaptureQueriesContext(connection) as queries:
        (marked,) = mark_rates([card], references={(card.listing.category_id, "hour"): 2000})
    assert len(queries) == 0
    assert marked.contract_above_usual and marked.direct_payment_above_usual


def test_cost_of_care_summary_totals_the_lines_against_the_rate(claim):
    claim = SpecialistClaim.objects.prefetch_related("cost_lines").get(pk=claim.pk)
    with CaptureQueriesContext(connection) as queries:
        summary = cost_of_care_summary(claim)
    assert len(queries) == 0
    assert [line.amount_pence for line in summary.lines] == [2400, 250]
    assert (summary.total_pence, summary.rate_pence, summary.difference_pence) == (2650, 3200, 550)


# Specialist claims


def test_officer_accepts_a_claim_and_the_listing_is_marked_specialist(officer, claim):
    accepted = services.specialist_claim_accept(claim=claim, by=officer, reason="Two-to-one staffing is needed")
    claim.refresh_from_db()
    claim.listing.refresh_from_db()
    assert accepted.status == claim.status == SpecialistClaimStatus.ACCEPTED
    assert (claim.decided_by, claim.decision_reason) == (officer, "Two-to-one staffing is needed")
    assert claim.decided_at is not None
    assert claim.listing.is_specialist
    event = AuditEvent.objects.for_object(claim).get()
    assert (event.actor, event.verb, event.reason) == (officer, "specialistclaim.accepted",
                                                       "Two-to-one staffing is needed")
    assert (event.before, event.after) == ({"status": "submitted"}, {"status": "accepted"})
    assert AuditEvent.objects.for_object(claim.listing).get().verb == "servicelisting.marked_specialist"


def test_officer_rejects_a_claim_and_the_listing_is_not_marked(officer, claim):
    services.specialist_claim_reject(claim=claim, by=officer, reason="Standard homecare staffing")
    claim.refresh_from_db()
    claim.listing.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.REJECTED
    assert (claim.decided_by, claim.decision_reason) == (officer, "Standard homecare staffing")
    assert not claim.listing.is_specialist
    assert AuditEvent.objects.for_object(claim).get().verb == "specialistclaim.rejected"
    assert not AuditEvent.objects.for_object(claim.listing).exists()


@pytest.mark.parametrize("decide", [services.specialist_claim_accept, services.specialist_claim_reject])
def test_a_second_click_on_the_same_decision_changes_nothing(officer, claim, council, make_member, decide):
    decide(claim=claim, by=officer, reason="First decision")
    claim.refresh_from_db()
    first = (claim.status, claim.decided_by, claim.decided_at, claim.decision_reason)
    again = decide(claim=claim, by=make_member(Role.CONTRACT_OFFICER, council), reason="Second click")
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.decided_at, claim.decision_reason) == first
    assert again.status == claim.status
    assert AuditEvent.objects.filter(verb__startswith="specialistclaim.").count() == 1
    assert AuditEvent.objects.filter(verb="servicelisting.marked_specialist").count() <= 1


@pytest.mark.parametrize("start, decide", [
    (SpecialistClaimStatus.ACCEPTED, services.specialist_claim_reject),
    (SpecialistClaimStatus.REJECTED, services.specialist_claim_accept),
    (SpecialistClaimStatus.WITHDRAWN, services.specialist_claim_accept),
    (SpecialistClaimStatus.WITHDRAWN, services.specialist_claim_reject),
])
def test_a_decision_the_lifecycle_does_not_allow_is_refused(officer, claim, start, decide):
    SpecialistClaim.objects.filter(pk=claim.pk).update(status=start)
    claim.refresh_from_db()
    with pytest.raises(InvalidTransition):
        decide(claim=claim, by=officer, reason="Too late")
    claim.refresh_from_db()
    claim.listing.refresh_from_db()
    assert claim.status == start
    assert claim.decided_by is None and claim.decision_reason == ""
    assert not claim.listing.is_specialist
    assert not price_events().exists()


def test_the_lifecycle_table_is_what_the_services_enforce():
    # Every move out of "submitted" is allowed once; an accepted claim can only be withdrawn;
    # a rejected or withdrawn claim is final.
    assert SpecialistClaim.TRANSITIONS == {
        SpecialistClaimStatus.SUBMITTED: {SpecialistClaimStatus.ACCEPTED, SpecialistClaimStatus.REJECTED,
                                          SpecialistClaimStatus.WITHDRAWN},
        SpecialistClaimStatus.ACCEPTED: {SpecialistClaimStatus.WITHDRAWN},
    }


@pytest.mark.parametrize("decide", [services.specialist_claim_accept, services.specialist_claim_reject])
def test_a_decision_needs_a_reason(officer, claim, decide):
    with pytest.raises(ValidationError) as refused:
        decide(claim=claim, by=officer, reason="  ")
    assert refused.value.message_dict == {"reason": ["Enter the reason for this decision"]}
    claim.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.SUBMITTED
    assert not price_events().exists()


@pytest.mark.parametrize("decide", [services.specialist_claim_accept, services.specialist_claim_reject])
def test_only_contract_officers_decide_claims(outsiders, claim, decide):
    for who, user in outsiders.items():
        with pytest.raises(PermissionDenied):
            decide(claim=claim, by=user, reason=f"Decided by the {who}")
    claim.refresh_from_db()
    claim.listing.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.SUBMITTED and claim.decided_by is None
    assert not claim.listing.is_specialist
    assert not price_events().exists()
