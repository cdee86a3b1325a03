"""The council console's sign-off pages: the queue, the review page and approval limits."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokerage.constants import BudgetKind, DeploymentRoute, PlanStatus
from brokerage.models import ApprovalLimit, BudgetTransition, PersonalBudget, SupportPlan
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import PersonFactory, PlanLineFactory, approved_listing
from tests.brokerage.factories_signoff import approved_plan, limit, revision_of, submitted_plan
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory
from tests.providers.factories import ReferenceRateFactory

pytestmark = pytest.mark.django_db

QUEUE_URL = "/admin/plans/"
LIMITS_URL = "/admin/approval-limits/"
REASON = "Meets his outcomes at a fair price; no unreasonable risk to the council."


def review_url(plan):
    return f"{QUEUE_URL}{plan.pk}/"


@pytest.fixture
def officer(officer):
    limit(officer, "390")
    return officer


@pytest.fixture
def signed_in(client, officer):
    client.force_login(officer)
    return client


def names_in_order(html, plans):
    positions = [html.index(str(plan.person)) for plan in plans]
    return positions == sorted(positions)


# The queue --------------------------------------------------------------------------------------

def test_the_queue_lists_waiting_plans_oldest_first_with_their_cost_and_age(signed_in):
    middle = submitted_plan(days_ago=5)
    newest = submitted_plan(days_ago=2)
    oldest = submitted_plan(days_ago=9, weekly_hours="17")
    draft = submitted_plan(days_ago=20)
    SupportPlan.objects.filter(pk=draft.pk).update(status=PlanStatus.DRAFT)

    response = signed_in.get(QUEUE_URL)

    assert response.status_code == 200
    html = response.text
    assert names_in_order(html, [oldest, middle, newest])
    assert str(draft.person) not in html
    assert "9 days" in html and "5 days" in html and "2 days" in html
    assert "£384.00" in html and "£408.00" in html
    assert oldest.person.broker_organisation.name in html
    assert "Council-managed budget" in html
    # £408 is above the officer's £390 limit; £384 is within it.
    assert html.count("Needs a limit of £408.00") == 1 and html.count("Within your limit") == 2


def test_the_queue_filters_by_team_route_and_amount(signed_in):
    team = BrokerOrganisationFactory(name="Northside Brokerage")
    ours = submitted_plan(person=PersonFactory(broker_organisation=team))
    isf = submitted_plan(weekly_hours="10")
    PlanLineFactory(plan=isf, quantity_per_week=Decimal("6"), route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND)
    dearer = submitted_plan(weekly_hours="17")

    def shown(**params):
        html = signed_in.get(QUEUE_URL, params).text
        return {plan.pk for plan in (ours, isf, dearer) if f'href="{review_url(plan)}"' in html}

    assert shown() == {ours.pk, isf.pk, dearer.pk}
    assert shown(team=team.pk) == {ours.pk}
    assert shown(route="individual_service_fund") == {isf.pk}
    assert shown(min_weekly="400") == {dearer.pk}
    assert shown(max_weekly="384") == {ours.pk, isf.pk}
    assert shown(min_weekly="384", max_weekly="384") == {ours.pk, isf.pk}
    assert shown(within_my_limit="on") == {ours.pk, isf.pk}


def test_bad_filters_are_explained_not_a_server_error(signed_in):
    submitted_plan()

    response = signed_in.get(QUEUE_URL, {"min_weekly": "lots", "route": "cash", "max_weekly": "1"})

    assert response.status_code == 200
    assert "Enter the lowest weekly cost in pounds and pence" in response.text
    assert "Choose a route from the list" in response.text


def test_an_officer_without_a_limit_sees_every_plan_needs_a_higher_limit(client, council, make_member):
    newcomer = make_member(Role.CONTRACT_OFFICER, council)
    submitted_plan()
    client.force_login(newcomer)

    html = client.get(QUEUE_URL).text

    assert "You do not have an approval limit" in html and "Needs a limit of £384.00" in html
    assert "No plans are waiting" not in html
    assert "No plans waiting for sign-off match" in client.get(QUEUE_URL, {"within_my_limit": "on"}).text


def test_the_queue_makes_the_same_number_of_queries_for_2_or_10_plans(signed_in):
    for _ in range(2):
        submitted_plan()
    signed_in.get(QUEUE_URL)  # warm caches shared by every admin page
    with CaptureQueriesContext(connection) as two:
        assert signed_in.get(QUEUE_URL).status_code == 200
    for _ in range(8):
        submitted_plan()
    with CaptureQueriesContext(connection) as ten:
        response = signed_in.get(QUEUE_URL)
    assert response.text.count('href="/admin/plans/') >= 10
    assert len(ten) == len(two), [q["sql"] for q in ten.captured_queries]


def test_the_queue_is_in_the_menu_for_contract_officers(signed_in):
    html = signed_in.get("/admin/").text
    assert QUEUE_URL in html and LIMITS_URL in html


# The review page --------------------------------------------------------------------------------

def test_the_review_page_shows_the_plan_its_checks_and_the_persons_history(signed_in):
    ReferenceRateFactory(rate_pence=2400)
    old = approved_plan(weekly_hours="17")
    plan = revision_of(old, weekly_hours="6")
    specialist = PlanLineFactory(plan=plan, quantity_per_week=Decimal("8"),
                                 rate_card=approved_listing(is_specialist=True, contract_rate_pence=3000))
    SupportPlan.objects.filter(pk=plan.pk).update(tolerance_exception_reason="Night care needs two staff.")

    response = signed_in.get(review_url(plan))

    assert response.status_code == 200
    html = response.text
    assert specialist.listing.organisation.name in html and specialist.listing.title in html
    assert "£30.00 per hour" in html and "£24.00" in html and "Specialist" in html
    assert "Above the usual cost" in html
    assert "Indicative budget a week" in html and "£360.00 to £440.00" in html
    assert "Every line serves an outcome" in html
    assert f'name="approve-acknowledged_line_ids" value="{specialist.pk}"' in html
    # £384 a week is below the £408 in force: the officer chooses how it comes in.
    assert "lower than the £408.00 in force" in html and 'name="approve-transition_kind"' in html
    assert "Version 1" in html and "Meets the outcomes at a fair price." in html
    assert "Agreed" in html and "Indicative" in html
    assert 'name="return-reason"' in html and 'name="reject-reason"' in html


def test_the_review_page_shows_exceptions_the_broker_asked_for(signed_in):
    plan = submitted_plan(weekly_hours="19")
    SupportPlan.objects.filter(pk=plan.pk).update(tolerance_exception_reason="Night care needs two staff.")

    html = signed_in.get(review_url(plan)).text

    assert "outside the tolerance" in html
    assert "The broker asked for an exception: “Night care needs two staff.”" in html
    assert 'name="approve-exception_tolerance"' in html


def test_blocking_checks_are_listed_in_plain_words(signed_in):
    plan = submitted_plan()
    SupportPlan.objects.filter(pk=plan.pk).update(safeguarding_considered=False)

    html = signed_in.get(review_url(plan)).text

    assert "The plan cannot be approved until it changes" in html
    assert "Confirm that safeguarding has been considered" in html


def test_the_review_page_makes_the_same_number_of_queries_for_1_or_5_lines(signed_in):
    plan = submitted_plan(weekly_hours="4", indicative_pence=9600)
    signed_in.get(review_url(plan))
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get(review_url(plan)).status_code == 200
    other = submitted_plan(weekly_hours="4", indicative_pence=48000)
    for _ in range(4):
        PlanLineFactory(plan=other, quantity_per_week=Decimal("4"))
    signed_in.get(review_url(other))
    with CaptureQueriesContext(connection) as five:
        assert signed_in.get(review_url(other)).status_code == 200
    assert len(five) == len(one), [q["sql"] for q in five.captured_queries]


def test_an_officer_approves_from_the_review_page(signed_in, officer):
    plan = submitted_plan()

    response = signed_in.post(review_url(plan), {"action": "approve", "approve-reason": REASON})

    assert response.status_code == 302 and response["Location"] == review_url(plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.decided_by == officer and plan.decision_reason == REASON
    html = signed_in.get(review_url(plan)).text
    assert "Approved on" in html and "Agreed budget a week" in html and 'name="approve-reason"' not in html


def test_approving_with_problems_shows_every_one_and_changes_nothing(signed_in):
    plan = submitted_plan(weekly_hours="17")
    audit_count = AuditEvent.objects.count()

    response = signed_in.post(review_url(plan), {"action": "approve", "approve-reason": ""})

    assert response.status_code == 400
    html = response.text
    assert "The plan was not approved. Correct the errors below." in html
    assert "Enter your reasons for approving the plan" in html
    assert "This plan costs £408.00 a week; you may approve up to £390.00." in html
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED and AuditEvent.objects.count() == audit_count
    assert not PersonalBudget.objects.filter(kind=BudgetKind.AGREED).exists()


def test_a_specialist_price_is_acknowledged_with_its_checkbox(signed_in, officer):
    ReferenceRateFactory(rate_pence=2400)
    plan = submitted_plan(weekly_hours="6")
    specialist = PlanLineFactory(plan=plan, quantity_per_week=Decimal("8"),
                                 rate_card=approved_listing(is_specialist=True, contract_rate_pence=3000))

    refused = signed_in.post(review_url(plan), {"action": "approve", "approve-reason": REASON})
    assert refused.status_code == 400 and "Acknowledge the specialist price of" in refused.text

    response = signed_in.post(review_url(plan), {"action": "approve", "approve-reason": REASON,
                                                 "approve-acknowledged_line_ids": [str(specialist.pk)]})

    assert response.status_code == 302
    specialist.refresh_from_db()
    assert specialist.specialist_acknowledged_by == officer


def test_a_lower_budget_is_protected_from_the_review_page(signed_in):
    old = approved_plan(weekly_hours="17")
    plan = revision_of(old, weekly_hours="16")
    review_on = plan.starts_on + datetime.timedelta(days=60)

    refused = signed_in.post(review_url(plan), {"action": "approve", "approve-reason": REASON})
    assert refused.status_code == 400 and "lower than the £408.00 in force: choose" in refused.text

    response = signed_in.post(review_url(plan), {
        "action": "approve", "approve-reason": REASON, "approve-transition_kind": "protected",
        "approve-transition_review_on": review_on.isoformat(), "approve-transition_reason": "Recently bereaved."})

    assert response.status_code == 302, response.text
    change = BudgetTransition.objects.get(plan=plan)
    assert (change.kind, change.review_on, change.reason, change.from_weekly_pence) == \
        ("protected", review_on, "Recently bereaved.", 40800)


def test_the_transitional_arrangements_rules_show_beside_their_fields(signed_in):
    old = approved_plan(weekly_hours="17")
    plan = revision_of(old, weekly_hours="16")

    response = signed_in.post(review_url(plan), {
        "action": "approve", "approve-reason": REASON, "approve-transition_kind": "transitional",
        "approve-transition_weeks": "20", "approve-transition_reason": "Time to adjust."})

    assert response.status_code == 400
    assert "is an exception: enter the reason for it" in response.text
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("action, status", [("return", PlanStatus.RETURNED), ("reject", PlanStatus.REJECTED)])
def test_an_officer_returns_or_rejects_with_reasons(signed_in, action, status):
    plan = submitted_plan()

    refused = signed_in.post(review_url(plan), {"action": action, f"{action}-reason": " "})
    assert refused.status_code == 400
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED

    response = signed_in.post(review_url(plan), {"action": action, f"{action}-reason": "Falls at night."})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == status and plan.decision_reason == "Falls at night."


def test_deciding_a_plan_that_is_no_longer_waiting_is_explained(signed_in):
    plan = submitted_plan()
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.DRAFT)

    response = signed_in.post(review_url(plan), {"action": "approve", "approve-reason": REASON}, follow=True)

    assert response.status_code == 200 and "only a plan waiting for sign-off can be decided" in response.text
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


def test_an_unknown_plan_is_not_found(signed_in):
    assert signed_in.get(f"{QUEUE_URL}999999/").status_code == 404


# Who may use the pages --------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.BROKER, Role.FINANCE_OFFICER])
def test_the_sign_off_pages_are_refused_to_other_roles(client, council, make_member, role):
    plan = submitted_plan()
    user = make_member(role, plan.person.broker_organisation if role == Role.BROKER else council)
    client.force_login(user)

    for url in (QUEUE_URL, review_url(plan), LIMITS_URL):
        assert client.get(url).status_code in {302, 403}
    assert client.post(review_url(plan), {"action": "approve", "approve-reason": REASON}).status_code in {302, 403}
    assert SupportPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


# Approval limits --------------------------------------------------------------------------------

@pytest.fixture
def administrator(db):
    return UserFactory(is_superuser=True, is_staff=True)


def test_contract_officers_see_the_limits_but_cannot_set_them(signed_in, officer):
    response = signed_in.get(LIMITS_URL)

    assert response.status_code == 200
    assert officer.get_full_name() in response.text and "£390.00" in response.text
    assert 'name="weekly_limit"' not in response.text
    refused = signed_in.post(LIMITS_URL, {"officer": officer.pk, "weekly_limit": "5000", "reason": "Me"})
    assert refused.status_code in {302, 403}
    assert ApprovalLimit.objects.get(officer=officer).weekly_limit_pence == 39000


def test_the_system_administrator_sets_a_limit(client, administrator, officer):
    client.force_login(administrator)
    assert 'name="weekly_limit"' in client.get(LIMITS_URL).text

    response = client.post(LIMITS_URL, {"officer": officer.pk, "weekly_limit": "750", "reason": "Team leader"})

    assert response.status_code == 302
    assert ApprovalLimit.objects.get(officer=officer).weekly_limit_pence == 75000
    assert AuditEvent.objects.get(verb="approvallimit.set").reason == "Team leader"


def test_setting_a_limit_with_bad_input_explains_what_to_fix(client, administrator, officer):
    client.force_login(administrator)

    response = client.post(LIMITS_URL, {"officer": officer.pk, "weekly_limit": "-3", "reason": ""})

    assert response.status_code == 400
    assert "The weekly limit must be £0 or more" in response.text
    response = client.post(LIMITS_URL, {"officer": officer.pk, "weekly_limit": "10", "reason": ""})
    assert response.status_code == 400 and "Enter why the limit is being set" in response.text
    assert ApprovalLimit.objects.get(officer=officer).weekly_limit_pence == 39000


def test_the_review_page_makes_the_same_number_of_queries_for_1_or_6_lines(signed_in):
    few_lines = submitted_plan(weekly_hours="1")
    many_lines = submitted_plan(weekly_hours="1")
    outcomes = list(many_lines.outcomes.all())
    for _ in range(5):
        PlanLineFactory(plan=many_lines, quantity_per_week=Decimal("1"), outcomes=outcomes)
    signed_in.get(review_url(few_lines))  # warm caches shared by every admin page
    with CaptureQueriesContext(connection) as one:
        assert signed_in.get(review_url(few_lines)).status_code == 200
    with CaptureQueriesContext(connection) as six:
        assert signed_in.get(review_url(many_lines)).status_code == 200
    assert len(six) == len(one), [q["sql"] for q in six.captured_queries]
