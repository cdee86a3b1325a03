"""Support plans through the API: /api/v1/support-plans/."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.constants import DeploymentRoute, NegotiationStatus, PlanStatus
from brokerage.models import Negotiation, PlanLine, PlanOutcome, SupportPlan
from marketplace.models import AuditEvent
from providers.constants import AccreditationStatus, ListingStatus
from tests.brokerage.factories import (
    IndicativeBudgetFactory,
    PersonFactory,
    PlanLineFactory,
    SupportPlanDraftFactory,
    approved_listing,
)
from tests.brokerage.factories_plans import ready  # noqa: F401 (a pytest fixture)
from tests.providers.factories import ReferenceRateFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)
API = "/api/v1/support-plans/"


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage)


@pytest.fixture
def card():
    ReferenceRateFactory(rate_pence=2400)
    return approved_listing(contract_rate_pence=2400, direct_payment_rate_pence=2000)


def snapshot():
    return (SupportPlan.objects.count(), list(SupportPlan.objects.order_by("pk").values_list("status", flat=True)),
            PlanLine.objects.count(), PlanOutcome.objects.count(), Negotiation.objects.count(),
            AuditEvent.objects.count())


def line_body(plan, listing_id, **overrides):
    return {"listing": listing_id, "route": DeploymentRoute.MANAGED_BUDGET, "quantity_per_week": "10",
            "outcomes": [o.pk for o in plan.outcomes.all()], "starts_on": NEXT_WEEK.isoformat()} | overrides


def test_a_broker_reads_a_plan_with_lines_costing_and_checks(client, broker, ready):
    client.force_login(broker)
    listing = client.get(API)
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [ready.pk]
    assert listing.json()["results"][0]["weekly_pence"] == 38400
    body = client.get(f"{API}{ready.pk}/").json()
    assert body["status"] == PlanStatus.DRAFT and body["version"] == 1
    assert body["lines"][0]["agreed_price_pence"] == 2400 and body["lines"][0]["quantity_per_week"] == "16.00"
    assert body["lines"][0]["outcomes"] == [ready.outcomes.get().pk]
    assert body["outcomes"][0]["text"].startswith("I want to get up")
    assert body["risks"][0]["mitigation"]
    costing = body["costing"]
    assert costing["weekly_pence"] == 38400 and costing["annual_pence"] == 38400 * 52
    assert costing["band_low_pence"] == 36000 and costing["band_high_pence"] == 44000
    assert costing["within_tolerance"] is True and costing["tolerance_percent"] == 10
    assert costing["routes"] == [{"route": "managed_budget", "label": "Council-managed budget",
                                  "weekly_pence": 38400, "annual_pence": 38400 * 52}]
    assert body["checks"] == []


def test_a_plan_is_started(client, broker, person):
    budget = IndicativeBudgetFactory(person=person)
    client.force_login(broker)
    response = client.post(API, {"person": person.pk, "starts_on": NEXT_WEEK.isoformat()},
                           content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["indicative_budget"] == budget.pk and body["status"] == PlanStatus.DRAFT
    assert {check["code"] for check in body["checks"]} >= {"no_outcomes", "no_lines", "safeguarding"}


def test_starting_without_a_budget_is_a_400_saying_what_to_do(client, broker, person):
    client.force_login(broker)
    response = client.post(API, {"person": person.pk, "starts_on": NEXT_WEEK.isoformat()},
                           content_type="application/json")
    assert response.status_code == 400
    assert "Work out an indicative budget first" in response.json()["indicative_budget"][0]


def test_starting_for_another_brokerages_person_is_404(client, other_broker, person):
    IndicativeBudgetFactory(person=person)
    client.force_login(other_broker)
    before = snapshot()
    response = client.post(API, {"person": person.pk, "starts_on": NEXT_WEEK.isoformat()},
                           content_type="application/json")
    assert response.status_code == 404
    assert snapshot() == before


def test_a_service_line_is_added(client, broker, ready, card):
    client.force_login(broker)
    response = client.post(f"{API}{ready.pk}/lines/", line_body(ready, card.listing_id, route="direct_payment",
                                                                quantity_per_week="2.5"),
                           content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["listing"] == card.listing_id and body["agreed_price_pence"] == 2000
    assert body["weekly_pence"] == 5000 and body["quantity_per_week"] == "2.50"
    assert body["provider"] == card.listing.organisation.slug


@pytest.mark.parametrize("quantity", ["-1", "0", "abc", -2, 0])
def test_a_bad_quantity_is_a_400_with_a_field_message_and_nothing_written(client, broker, ready, card, quantity):
    client.force_login(broker)
    before = snapshot()
    response = client.post(f"{API}{ready.pk}/lines/", line_body(ready, card.listing_id, quantity_per_week=quantity),
                           content_type="application/json")
    assert response.status_code == 400
    assert "more than 0" in response.json()["quantity_per_week"][0]
    assert snapshot() == before


def test_an_unknown_service_is_a_400(client, broker, ready):
    client.force_login(broker)
    before = snapshot()
    response = client.post(f"{API}{ready.pk}/lines/", line_body(ready, 999999), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["listing"][0].startswith("Unknown service")
    assert snapshot() == before


def test_a_draft_service_is_an_unknown_service(client, broker, ready, card):
    card.listing.status = ListingStatus.DRAFT
    card.listing.save()
    client.force_login(broker)
    response = client.post(f"{API}{ready.pk}/lines/", line_body(ready, card.listing_id),
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["listing"][0].startswith("Unknown service")


def test_a_suspended_providers_service_is_a_400_saying_why(client, broker, ready, card):
    accreditation = card.listing.organisation.accreditation
    accreditation.status = AccreditationStatus.SUSPENDED
    accreditation.save()
    client.force_login(broker)
    before = snapshot()
    response = client.post(f"{API}{ready.pk}/lines/", line_body(ready, card.listing_id),
                           content_type="application/json")
    assert response.status_code == 400
    assert "is not approved and in date with the council" in response.json()["listing"][0]
    assert snapshot() == before


def test_missing_fields_are_400_by_field(client, broker, ready):
    client.force_login(broker)
    response = client.post(f"{API}{ready.pk}/lines/", {"route": "cash"}, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) >= {"listing", "route", "quantity_per_week", "starts_on"}


def test_a_line_above_the_reference_rate_shows_its_negotiation(client, broker, ready):
    ReferenceRateFactory(rate_pence=2400)
    dear = approved_listing(contract_rate_pence=2650, direct_payment_rate_pence=2100)
    client.force_login(broker)
    response = client.post(f"{API}{ready.pk}/lines/", line_body(ready, dear.listing_id),
                           content_type="application/json")
    assert response.status_code == 201
    assert response.json()["negotiation"]["status"] == NegotiationStatus.OPEN
    body = client.get(f"{API}{ready.pk}/").json()
    line_cost = next(cost for cost in body["costing"]["lines"] if cost["line"] == response.json()["id"])
    assert line_cost["above_reference"] is True and line_cost["reference_rate_pence"] == 2400
    assert "negotiation_open" in {check["code"] for check in body["checks"]}


def test_submit_and_a_second_submit(client, broker, ready):
    client.force_login(broker)
    response = client.post(f"{API}{ready.pk}/submit/")
    assert response.status_code == 200 and response.json()["status"] == PlanStatus.SUBMITTED
    before = snapshot()
    again = client.post(f"{API}{ready.pk}/submit/")
    assert again.status_code == 400
    assert again.json()["detail"] == ["This plan has already been sent for sign-off"]
    assert snapshot() == before


def test_submit_lists_every_failing_check(client, broker, ready):
    PlanLineFactory(plan=ready, outcomes=[], quantity_per_week=Decimal("0.5"))
    SupportPlan.objects.filter(pk=ready.pk).update(safeguarding_considered=False)
    client.force_login(broker)
    before = snapshot()
    response = client.post(f"{API}{ready.pk}/submit/")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert len(detail) == 2 and "Confirm that safeguarding has been considered" in detail
    assert snapshot() == before


def test_revise_starts_a_new_version(client, broker, ready):
    SupportPlan.objects.filter(pk=ready.pk).update(status=PlanStatus.APPROVED)
    client.force_login(broker)
    response = client.post(f"{API}{ready.pk}/revise/")
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 2 and body["previous"] == ready.pk and len(body["lines"]) == 1
    ready.refresh_from_db()
    assert ready.status == PlanStatus.APPROVED


@pytest.mark.parametrize("who", ["other_broker", "provider_user"])
def test_outsiders_get_404_everywhere_and_nothing_changes(client, request, ready, card, who):
    SupportPlanDraftFactory(person=PersonFactory(broker_organisation=ready.person.broker_organisation),
                            status=PlanStatus.APPROVED)
    client.force_login(request.getfixturevalue(who))
    assert client.get(API).json()["results"] == []
    before = snapshot()
    assert client.get(f"{API}{ready.pk}/").status_code == 404
    for action in ("submit", "revise"):
        assert client.post(f"{API}{ready.pk}/{action}/").status_code == 404
    assert client.post(f"{API}{ready.pk}/lines/", line_body(ready, card.listing_id),
                       content_type="application/json").status_code == 404
    assert snapshot() == before


def test_the_person_reads_but_cannot_change(client, ready):
    from tests.marketplace.factories import UserFactory

    user = UserFactory()
    ready.person.user = user
    ready.person.save()
    client.force_login(user)
    assert client.get(f"{API}{ready.pk}/").status_code == 200
    before = snapshot()
    assert client.post(f"{API}{ready.pk}/submit/").status_code == 403
    assert snapshot() == before


def test_signed_out_is_refused(client, ready):
    assert client.get(f"{API}{ready.pk}/").status_code == 403


def test_the_detail_query_count_does_not_grow_with_lines(client, broker, ready):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(broker)
    client.get(f"{API}{ready.pk}/")
    with CaptureQueriesContext(connection) as one:
        client.get(f"{API}{ready.pk}/")
    for _ in range(5):
        PlanLineFactory(plan=ready, quantity_per_week=Decimal("0.5"))
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(f"{API}{ready.pk}/").json()["lines"]) == 6
    assert len(six.captured_queries) == len(one.captured_queries)
