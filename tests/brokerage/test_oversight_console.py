"""The council console's direct-payment review pages, and the person page's oversight summary."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from brokerage import services
from brokerage.constants import DbsCheck, FinancialRisk, ReviewOutcome, ReviewStatus, TransitionKind
from brokerage.models import DirectPaymentReview
from brokerage.selectors.oversight import person_oversight
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import PersonalAssistantLineFactory, PersonFactory
from tests.brokerage.factories_oversight import TODAY, approved_plan, due_review

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
INDEX_URL = "/admin/reviews/"


@pytest.fixture
def finance_officer(council, make_member):
    return make_member(Role.FINANCE_OFFICER, council)


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage, first_name="Ada", last_name="Lovelace")


def detail_url(review):
    return f"{INDEX_URL}{review.pk}/"


# The list ---------------------------------------------------------------------------------------

def test_officer_sees_reviews_overdue_and_due_soon_with_days_overdue(client, officer, person, brokerage):
    due_review(person=person, due_on=TODAY - 4 * DAY, risk=FinancialRisk.HIGH)
    due_review(person=PersonFactory(first_name="Later", broker_organisation=brokerage), due_on=TODAY + 40 * DAY)
    client.force_login(officer)

    response = client.get(INDEX_URL)

    assert response.status_code == 200
    text = response.text
    assert "Ada Lovelace" in text and person.reference in text and "High" in text and brokerage.name in text
    assert "<strong>4</strong>" in text and "1 review overdue" in text
    assert "Later Example" not in text
    assert "Later Example" in client.get(INDEX_URL, {"show": "all"}).text
    assert INDEX_URL in client.get("/admin/").text  # in the menu


def test_finance_officer_sees_the_list_and_the_menu(client, finance_officer, person):
    due_review(person=person, due_on=TODAY)
    client.force_login(finance_officer)
    assert "Ada Lovelace" in client.get(INDEX_URL).text
    assert INDEX_URL in client.get("/admin/").text


def test_a_broker_cannot_open_the_console_pages(client, broker, person):
    review = due_review(person=person)
    client.force_login(broker)
    assert client.get(INDEX_URL).status_code in (302, 403)
    assert client.get(detail_url(review)).status_code in (302, 403)


def test_the_list_takes_the_same_queries_however_many_reviews(client, officer, brokerage,
                                                              django_assert_max_num_queries):
    due_review(person=PersonFactory(broker_organisation=brokerage), due_on=TODAY)
    client.force_login(officer)
    client.get(INDEX_URL)  # warm caches (site, menu)
    with CaptureQueriesContext(connection) as one:
        client.get(INDEX_URL)
    for index in range(4):
        due_review(person=PersonFactory(broker_organisation=brokerage), due_on=TODAY - index * DAY)
    with django_assert_max_num_queries(len(one)):
        response = client.get(INDEX_URL)
    assert response.text.count("/admin/reviews/") >= 5


# One review -------------------------------------------------------------------------------------

def test_the_review_page_shows_assistants_with_live_in_relative_and_dbs_status(client, officer, person):
    plan = approved_plan(person=person, live_in_relative=True, dbs_check=DbsCheck.REQUESTED,
                         assistant_name="Grace Hopper")
    PersonalAssistantLineFactory(plan=plan, assistant_name="Alan Turing", dbs_check=DbsCheck.CLEAR)
    earlier = due_review(plan=plan, due_on=TODAY - 200 * DAY, status=ReviewStatus.COMPLETED,
                         outcome=ReviewOutcome.ADVICE_GIVEN, notes="Keep wage slips", completed_on=TODAY - 190 * DAY)
    review = due_review(plan=plan, due_on=TODAY - 2 * DAY)
    client.force_login(officer)

    response = client.get(detail_url(review))

    assert response.status_code == 200
    text = response.text
    assert "Grace Hopper" in text and "Alan Turing" in text
    assert "<strong>Yes</strong>" in text and "Requested" in text and "Clear" in text
    assert "Keep wage slips" in text and earlier.get_outcome_display() in text
    assert "2 days overdue" in text
    assert "Record the review" in text


def test_officer_records_the_outcome_and_the_next_review_is_scheduled(client, officer, person):
    review = due_review(plan=approved_plan(person=person, financial_risk=FinancialRisk.MEDIUM),
                        risk=FinancialRisk.MEDIUM)
    client.force_login(officer)

    response = client.post(detail_url(review), {"outcome": ReviewOutcome.ADVICE_GIVEN,
                                                "notes": "Advised on keeping receipts",
                                                "completed_on": (TODAY - DAY).isoformat()})

    assert response.status_code == 302 and response["Location"] == INDEX_URL
    review.refresh_from_db()
    assert (review.status, review.outcome, review.completed_by) == (ReviewStatus.COMPLETED,
                                                                    ReviewOutcome.ADVICE_GIVEN, officer)
    following = DirectPaymentReview.objects.get(person=person, status=ReviewStatus.DUE)
    assert following.due_on == TODAY - DAY + relativedelta(months=6)


def test_bad_input_shows_the_errors_and_changes_nothing(client, finance_officer, person):
    review = due_review(person=person)
    events = AuditEvent.objects.count()
    client.force_login(finance_officer)

    response = client.post(detail_url(review), {"outcome": ReviewOutcome.CONCERN_RAISED, "notes": ""})
    assert response.status_code == 200
    assert "Enter what was found and what happens next" in response.text
    response = client.post(detail_url(review), {"outcome": "", "completed_on": "31/02/2026"})
    assert response.status_code == 200
    assert "Select the outcome of the review" in response.text and "real date" in response.text

    review.refresh_from_db()
    assert review.status == ReviewStatus.DUE and AuditEvent.objects.count() == events


def test_a_completed_review_shows_its_outcome_and_no_form(client, officer, person):
    review = due_review(person=person)
    services.dp_review_complete(review=review, by=officer, outcome=ReviewOutcome.NO_CONCERNS, notes="")
    client.force_login(officer)
    response = client.get(detail_url(review))
    assert "No concerns" in response.text and "Record the review" not in response.text
    response = client.post(detail_url(review), {"outcome": ReviewOutcome.NO_CONCERNS})
    assert response.status_code == 200 and "cannot be completed again" in response.text


def test_an_unknown_review_is_not_found(client, officer):
    client.force_login(officer)
    assert client.get(f"{INDEX_URL}999999/").status_code == 404


def test_the_review_page_takes_the_same_queries_however_many_lines_and_reviews(client, officer, person,
                                                                               django_assert_max_num_queries):
    plan = approved_plan(person=person)
    review = due_review(plan=plan)
    client.force_login(officer)
    client.get(detail_url(review))
    with CaptureQueriesContext(connection) as one:
        client.get(detail_url(review))
    for index in range(3):
        PersonalAssistantLineFactory(plan=plan, assistant_name=f"Assistant {index}")
        due_review(plan=plan, due_on=TODAY - (100 + index) * DAY, status=ReviewStatus.COMPLETED,
                   outcome=ReviewOutcome.NO_CONCERNS, completed_on=TODAY - 90 * DAY, completed_by=officer)
    with django_assert_max_num_queries(len(one)):
        response = client.get(detail_url(review))
    assert "Assistant 2" in response.text


# The person page's summary ----------------------------------------------------------------------

def render_oversight(person, today=TODAY):
    return render_to_string("brokerage/includes/person_oversight.html",
                            {"person": person, "oversight": person_oversight(person, today)})


def test_the_person_summary_shows_the_taper_week_by_week(officer, person):
    approved_plan(person=person, agreed_pence=50000, starts_on=TODAY - 100 * DAY)
    plan = approved_plan(person=person, agreed_pence=37000, starts_on=TODAY - 8 * DAY)
    services.budget_transition_record(plan=plan, by=officer, from_weekly_pence=50000, to_weekly_pence=37000,
                                      kind=TransitionKind.TRANSITIONAL, weeks=13, reason="Gradual change")
    services.dp_reviews_schedule(plan=plan, by=officer)

    html = render_oversight(person)

    assert "£480.00" in html.split("Weekly budget today")[1].split("</div>")[0]  # week 2 of the taper
    assert html.count("govuk-table__row") == 14 and "£490.00" in html and "£370.00" in html
    assert "This week" in html
    assert "Next direct-payment review" in html and "low financial risk" in html


def test_the_person_summary_shows_protection_until_an_officer_decides(officer, person):
    approved_plan(person=person, agreed_pence=50000, starts_on=TODAY - 100 * DAY)
    plan = approved_plan(person=person, agreed_pence=37000, starts_on=TODAY - DAY, direct_payment=False)
    services.budget_transition_record(plan=plan, by=officer, from_weekly_pence=50000, to_weekly_pence=37000,
                                      kind=TransitionKind.PROTECTED, review_on=TODAY + 30 * DAY,
                                      reason="Moving home next month")

    html = render_oversight(person, TODAY + 60 * DAY)

    assert "Protected at £500.00 a week" in html and "Moving home next month" in html
    assert f"{TODAY + 30 * DAY:%-d %B %Y}" in html
    assert "None scheduled" in html and "govuk-table" not in html


def test_the_person_summary_without_a_plan(person, django_assert_num_queries):
    with django_assert_num_queries(3):
        oversight = person_oversight(person, TODAY)
    html = render_to_string("brokerage/includes/person_oversight.html", {"person": person, "oversight": oversight})
    assert "No approved plan is in force" in html
