"""Direct-payment reviews and budget transitions through /api/v1/: scoped reads, the ``complete``
action, errors and query counts."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokerage import services
from brokerage.constants import FinancialRisk, ReviewOutcome, ReviewStatus, TransitionKind
from brokerage.models import DirectPaymentReview
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import PersonFactory
from tests.brokerage.factories_oversight import TODAY, approved_plan, due_review
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
REVIEWS = "/api/v1/direct-payment-reviews/"
TRANSITIONS = "/api/v1/budget-transitions/"


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage)


@pytest.fixture
def stranger(make_member):
    """A broker of another brokerage."""
    return make_member(Role.BROKER, BrokerOrganisationFactory())


def complete(client, review, **data):
    return client.post(f"{REVIEWS}{review.pk}/complete/", data, content_type="application/json")


def test_the_person_s_broker_lists_and_filters_their_reviews(client, broker, person):
    due = due_review(person=person, due_on=TODAY - DAY, risk=FinancialRisk.HIGH)
    due_review(person=PersonFactory(broker_organisation=BrokerOrganisationFactory()))  # another brokerage's
    client.force_login(broker)

    body = client.get(REVIEWS).json()

    assert [row["id"] for row in body["results"]] == [due.pk]
    row = body["results"][0]
    assert (row["person"], row["risk"], row["risk_label"], row["status"], row["due_on"]) == \
        (person.pk, "high", "High", "due", (TODAY - DAY).isoformat())
    assert client.get(REVIEWS, {"status": "completed"}).json()["results"] == []
    assert client.get(REVIEWS, {"person": person.pk}).json()["results"][0]["id"] == due.pk


def test_a_broker_records_the_outcome_and_the_next_review_is_scheduled(client, broker, person):
    review = due_review(plan=approved_plan(person=person, financial_risk=FinancialRisk.HIGH),
                        risk=FinancialRisk.HIGH)
    client.force_login(broker)

    response = complete(client, review, outcome="advice_given", notes="Keep the timesheets",
                        completed_on=(TODAY - DAY).isoformat())

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["outcome"]) == ("completed", "advice_given")
    following = DirectPaymentReview.objects.get(person=person, status=ReviewStatus.DUE)
    assert following.due_on == TODAY - DAY + relativedelta(months=3)
    assert AuditEvent.objects.filter(verb="directpaymentreview.completed").count() == 1


def test_a_second_completion_is_a_400_saying_why(client, officer, person):
    review = due_review(person=person)
    client.force_login(officer)
    assert complete(client, review, outcome="no_concerns").status_code == 200

    response = complete(client, review, outcome="no_concerns")

    assert response.status_code == 400
    assert response.json() == {"detail": [f"This review was completed on {TODAY:%-d %B %Y}; it cannot be "
                                          f"completed again"]}


def test_bad_input_says_what_to_fix_by_field(client, officer, person):
    review = due_review(person=person)
    client.force_login(officer)
    assert set(complete(client, review, outcome="fine").json()) == {"outcome"}
    assert set(complete(client, review, outcome="concern_raised").json()) == {"notes"}
    review.refresh_from_db()
    assert review.status == ReviewStatus.DUE


def test_another_brokerage_gets_404_and_nothing_changes(client, stranger, person):
    review = due_review(person=person)
    events = AuditEvent.objects.count()
    client.force_login(stranger)

    assert client.get(f"{REVIEWS}{review.pk}/").status_code == 404
    assert complete(client, review, outcome="no_concerns").status_code == 404
    assert client.get(REVIEWS).json()["results"] == []

    review.refresh_from_db()
    assert review.status == ReviewStatus.DUE and review.outcome == ""
    assert AuditEvent.objects.count() == events and DirectPaymentReview.objects.count() == 1


def test_the_person_themselves_may_read_but_not_record_a_review(client, person):
    user = UserFactory()
    type(person).objects.filter(pk=person.pk).update(user=user)
    review = due_review(person=person)
    client.force_login(user)
    assert client.get(f"{REVIEWS}{review.pk}/").status_code == 200
    assert complete(client, review, outcome="no_concerns").status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.DUE


def test_budget_transitions_are_read_within_scope(client, broker, stranger, officer, person):
    approved_plan(person=person, agreed_pence=50000, starts_on=TODAY - 100 * DAY)
    plan = approved_plan(person=person, agreed_pence=37000, starts_on=TODAY)
    transition = services.budget_transition_record(
        plan=plan, by=officer, from_weekly_pence=50000, to_weekly_pence=37000, kind=TransitionKind.TRANSITIONAL,
        weeks=13, reason="Gradual change")

    client.force_login(broker)
    body = client.get(TRANSITIONS, {"person": person.pk}).json()
    assert [row["id"] for row in body["results"]] == [transition.pk]
    row = body["results"][0]
    assert (row["kind"], row["from_weekly_pence"], row["to_weekly_pence"], row["weeks"]) == \
        ("transitional", 50000, 37000, 13)

    client.force_login(stranger)
    assert client.get(f"{TRANSITIONS}{transition.pk}/").status_code == 404
    assert client.get(TRANSITIONS).json()["results"] == []


def test_budget_transitions_cannot_be_written_through_the_api(client, officer):
    client.force_login(officer)
    assert client.post(TRANSITIONS, {}, content_type="application/json").status_code == 405


@pytest.mark.parametrize("url", [REVIEWS, TRANSITIONS])
def test_lists_take_the_same_queries_however_many_rows(client, officer, brokerage, url,
                                                       django_assert_max_num_queries):
    def add_one():
        person = PersonFactory(broker_organisation=brokerage)
        approved_plan(person=person, agreed_pence=50000, starts_on=TODAY - 100 * DAY)
        plan = approved_plan(person=person, agreed_pence=37000, starts_on=TODAY)
        services.budget_transition_record(plan=plan, by=officer, from_weekly_pence=50000, to_weekly_pence=37000,
                                          kind=TransitionKind.IMMEDIATE)
        review = due_review(plan=plan)
        services.dp_review_complete(review=review, by=officer, outcome=ReviewOutcome.NO_CONCERNS, notes="")

    add_one()
    client.force_login(officer)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    add_one()
    add_one()
    with django_assert_max_num_queries(len(one)):
        body = client.get(url).json()
    assert body["count"] >= 3
