"""Support plans in Chromium, with axe on every page: a broker builds a plan and sends it for
sign-off, a contract officer approves it (or is told it is above their limit), and the pages around
plans (the council console, the provider portal's negotiations and care package requests, the
broker's negotiation and request pages, the printed plan) have no WCAG 2.2 AA failures."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from brokerage.checks import plan_costing
from brokerage.constants import PackageRequestStatus, PlanStatus
from brokerage.models import PlanLine, RasVersion, SupportPlan
from marketplace.constants import Role
from marketplace.money import format_pence
from tests.brokerage.factories import IndicativeBudgetFactory, PersonFactory, approved_listing
from tests.brokerage.factories_negotiations import line_above_reference, open_negotiation, reference_rate
from tests.brokerage.factories_oversight import due_review
from tests.brokerage.factories_package_requests import (
    district,
    invited,
    offered,
    person_with_plan,
    request_row,
)
from tests.brokerage.factories_signoff import limit, submitted_plan
from tests.marketplace.factories import PASSWORD, BrokerOrganisationFactory, CouncilFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OUTCOME = "I want to get up, washed and dressed in the morning without rushing."


def sign_in(page, user):
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def messages_shown(page):
    """Wagtail fades its messages in; measure their contrast once they are fully shown."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.messages > ul')].every(ul => getComputedStyle(ul).opacity === '1')")


def plan_url(live_server, plan, name="brokerage:plan"):
    return live_server.url + reverse(name, kwargs={"pk": plan.person_id, "plan_id": plan.pk})


def test_broker_builds_a_support_plan_and_sends_it_for_sign_off(live_server, page, check_accessible, make_member):
    mine = BrokerOrganisationFactory(name="Alpha Brokerage")
    broker = make_member(Role.BROKER, mine, username="alex")
    alice = PersonFactory(broker_organisation=mine, first_name="Alice", last_name="Ashby")
    IndicativeBudgetFactory(person=alice)  # £400.00 a week, from a completed assessment
    reference_rate(2400)
    listing = approved_listing(title="Morning homecare", contract_rate_pence=2400).listing

    page.goto(f"{live_server.url}/people/{alice.pk}/")
    sign_in(page, broker)
    page.wait_for_url(f"**/people/{alice.pk}/")
    check_accessible(page, "plan-person")

    page.get_by_role("link", name="Start a support plan").click()
    assert page.locator("h1").inner_text() == "Start a support plan"
    check_accessible(page, "plan-start")
    page.get_by_role("button", name="Start the plan").click()
    page.wait_for_url(re.compile(r".*/plans/\d+/$"))
    plan = SupportPlan.objects.get(person=alice)
    assert page.locator("h1").inner_text() == "Support plan, version 1"
    assert page.get_by_text("Support plan version 1 started").is_visible()
    check_accessible(page, "plan-draft")

    # An outcome in the person's own words.
    page.get_by_role("link", name="Add or remove outcomes").click()
    assert page.locator("h1").inner_text() == "Outcomes"
    check_accessible(page, "plan-outcomes")
    page.get_by_label("What does the person want to achieve?").fill(OUTCOME)
    page.get_by_role("button", name="Add the outcome").click()
    page.wait_for_load_state()
    assert page.get_by_text("Outcome added").is_visible()
    assert page.get_by_text(OUTCOME).is_visible()
    check_accessible(page, "plan-outcome-added")

    # A risk, who it affects and how it will be reduced.
    page.get_by_role("link", name="Back to the plan").click()
    page.get_by_role("link", name="Add or remove risks").click()
    assert page.locator("h1").inner_text() == "Risk assessment"
    check_accessible(page, "plan-risks")
    page.get_by_label("What is the risk?").fill("Falls when getting out of the bath.")
    page.get_by_label("Who does it affect?").fill("Alice")
    page.get_by_label("How will it be reduced?").fill("A bath board, and help from a carer when bathing.")
    page.get_by_role("button", name="Add the risk").click()
    page.wait_for_load_state()
    assert page.get_by_text("Risk added").is_visible()
    assert page.get_by_role("heading", name="Risk 1").is_visible()
    check_accessible(page, "plan-risk-added")

    # A published service of an approved provider.
    page.get_by_role("link", name="Back to the plan").click()
    page.get_by_role("link", name="Find a service to add").click()
    assert page.locator("h1").inner_text() == "Find a service to add"
    page.get_by_label("Search").fill("Morning homecare")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    check_accessible(page, "plan-line-find")
    page.get_by_role("link", name=re.compile(r"^Add to plan\W+Morning homecare$")).click()
    page.wait_for_url(f"**/lines/new/?listing={listing.pk}")
    assert page.locator("h1").inner_text() == "Add Morning homecare"
    check_accessible(page, "plan-line-new")

    # A negative quantity adds nothing.
    page.get_by_label("Council-managed budget").check()
    page.get_by_label("How much a week?").fill("-4")
    page.get_by_label(OUTCOME).check()
    page.get_by_role("button", name="Add to the plan").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link", name="The quantity a week must be more than 0").is_visible()
    assert not PlanLine.objects.exists()
    check_accessible(page, "plan-line-new-error")

    page.get_by_label("How much a week?").fill("16")
    page.get_by_role("button", name="Add to the plan").click()
    page.wait_for_url(re.compile(r".*/plans/\d+/$"))
    assert page.get_by_text("Morning homecare added to the plan").is_visible()
    line = PlanLine.objects.get()
    assert list(line.outcomes.values_list("text", flat=True)) == [OUTCOME]

    # What it costs by route, a week and a year, against the budget and its tolerance band.
    costing = plan_costing(SupportPlan.objects.get(pk=plan.pk))
    assert costing.weekly_pence == 38400
    route_row = page.get_by_role("row", name=re.compile("Council-managed budget"))
    assert route_row.get_by_role("cell", name="£384.00").is_visible()
    assert route_row.get_by_role("cell", name=format_pence(costing.annual_pence)).is_visible()
    assert page.get_by_text("£360.00 to £440.00 (10% either way)").is_visible()
    assert page.get_by_text("Within tolerance").is_visible()
    assert page.get_by_text("£16.00 a week less than the budget").is_visible()
    check_accessible(page, "plan-with-line")

    page.get_by_label("Safeguarding has been considered with the person").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_text("Plan saved").is_visible()
    assert page.get_by_text("Nothing: the plan is ready to send to the council for sign-off.").is_visible()

    page.get_by_role("link", name="Submit for sign-off").click()
    assert page.locator("h1").inner_text() == "Submit the plan for sign-off"
    check_accessible(page, "plan-submit")
    page.get_by_role("button", name="Send for sign-off").click()
    page.wait_for_url(re.compile(r".*/plans/\d+/$"))
    assert page.get_by_text("Plan sent to the council for sign-off").is_visible()
    assert page.locator(".govuk-tag", has_text="Waiting for sign-off").first.is_visible()
    assert page.get_by_role("link", name="Submit for sign-off").count() == 0
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    check_accessible(page, "plan-submitted")


def test_contract_officer_approves_a_plan_and_the_broker_sees_it_approved(
        live_server, browser, page, check_accessible, make_member):
    mine = BrokerOrganisationFactory(name="Alpha Brokerage")
    broker = make_member(Role.BROKER, mine, username="alex")
    officer = make_member(Role.CONTRACT_OFFICER, CouncilFactory(), username="olu")
    limit(officer, "500")
    plan = submitted_plan(person=PersonFactory(broker_organisation=mine, first_name="Alice", last_name="Ashby"))

    page.goto(live_server.url + "/admin/plans/")
    sign_in(page, officer)
    page.wait_for_url("**/admin/plans/")
    assert page.get_by_role("heading", name="Plans waiting for sign-off").is_visible()
    assert page.get_by_role("row", name=re.compile("Alice Ashby")).get_by_text("Within your limit").is_visible()
    check_accessible(page, "console-approval-queue")

    page.get_by_role("link", name="Alice Ashby").click()
    page.wait_for_url(f"**/admin/plans/{plan.pk}/")
    check_accessible(page, "console-approval-review")
    page.get_by_label("Your reasons for approving").fill("Meets her outcomes at a fair price.")
    page.get_by_role("button", name="Approve the plan").click()
    page.wait_for_url(f"**/admin/plans/{plan.pk}/")
    assert page.get_by_text("Approved:").first.is_visible()
    assert page.get_by_role("heading", name="The council's decision").is_visible()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    messages_shown(page)
    check_accessible(page, "console-approval-approved")

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    broker_page = context.new_page()
    broker_page.goto(plan_url(live_server, plan))
    sign_in(broker_page, broker)
    broker_page.wait_for_url(f"**/plans/{plan.pk}/")
    assert broker_page.locator(".govuk-tag", has_text="Approved").first.is_visible()
    assert broker_page.get_by_text("Approved by the council on").is_visible()
    check_accessible(broker_page, "plan-approved")
    context.close()


def test_an_officer_above_their_limit_is_told_who_may_approve(live_server, page, check_accessible, make_member):
    officer = make_member(Role.CONTRACT_OFFICER, CouncilFactory(), username="olu")
    limit(officer, "300")
    plan = submitted_plan()  # £384.00 a week

    page.goto(f"{live_server.url}/admin/plans/{plan.pk}/")
    sign_in(page, officer)
    page.wait_for_url(f"**/admin/plans/{plan.pk}/")
    message = "This plan costs £384.00 a week; you may approve up to £300.00."
    assert page.get_by_text(message).is_visible()
    check_accessible(page, "console-approval-above-limit")

    page.get_by_label("Your reasons for approving").fill("Fair price.")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.get_by_role("button", name="Approve the plan").click()
    page.wait_for_load_state()
    assert answer.value.status == 400
    assert page.get_by_text("The plan was not approved. Correct the errors below.").is_visible()
    assert page.locator("form li.error", has_text=message).is_visible()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    messages_shown(page)
    check_accessible(page, "console-approval-refused")


def test_console_pages_around_plans_are_accessible(live_server, page, check_accessible, make_member):
    council = CouncilFactory()
    officer = make_member(Role.CONTRACT_OFFICER, council, username="olu")
    limit(officer, "500")
    version = RasVersion.objects.order_by("pk").first()
    mine = BrokerOrganisationFactory()
    due_review(person=PersonFactory(broker_organisation=mine, first_name="Ada", last_name="Lovelace"),
               due_on=timezone.localdate())
    _, plan = person_with_plan(mine)
    request_row(plan=plan, area=district("E8"), status=PackageRequestStatus.NO_OFFERS,
                market_gap_flagged_at=timezone.now())

    page.goto(live_server.url + "/admin/ras/")
    sign_in(page, officer)
    page.wait_for_url("**/admin/ras/")
    check_accessible(page, "console-ras")

    page.goto(f"{live_server.url}/admin/ras/{version.pk}/")
    check_accessible(page, "console-ras-version")

    page.goto(live_server.url + "/admin/approval-limits/")
    assert page.get_by_text("£500.00").first.is_visible()
    check_accessible(page, "console-approval-limits")

    page.goto(live_server.url + "/admin/reviews/")
    assert page.get_by_text("Ada Lovelace").is_visible()
    check_accessible(page, "console-reviews")

    page.goto(live_server.url + "/admin/market-gaps/")
    assert page.locator("#market-gap-groups").is_visible()
    check_accessible(page, "console-market-gaps")


def test_provider_portal_negotiations_and_package_requests_are_accessible(
        live_server, page, check_accessible, make_member):
    mine = BrokerOrganisationFactory()
    broker = make_member(Role.BROKER, mine)
    line = line_above_reference(brokerage=mine)
    negotiation = open_negotiation(line, broker)
    provider = line.listing.organisation
    staff = make_member(Role.PROVIDER_STAFF, provider, username="sam")
    _, plan = person_with_plan(mine)
    response = invited(request_row(plan=plan, area=district("E8")), line.listing)

    page.goto(f"{live_server.url}/portal/{provider.pk}/negotiations/")
    sign_in(page, staff)
    page.wait_for_url(f"**/portal/{provider.pk}/negotiations/")
    check_accessible(page, "portal-negotiations")

    page.goto(f"{live_server.url}/portal/{provider.pk}/negotiations/{negotiation.pk}/")
    assert page.get_by_text(line.listing.title).first.is_visible()
    check_accessible(page, "portal-negotiation")

    page.goto(f"{live_server.url}/portal/{provider.pk}/package-requests/")
    assert page.get_by_text(response.request.reference).first.is_visible()
    check_accessible(page, "portal-package-requests")

    page.goto(f"{live_server.url}/portal/{provider.pk}/package-requests/{response.pk}/")
    assert page.get_by_text(response.request.reference).first.is_visible()
    check_accessible(page, "portal-package-response")


def test_broker_negotiation_request_and_print_pages_are_accessible(live_server, page, check_accessible, make_member):
    mine = BrokerOrganisationFactory()
    broker = make_member(Role.BROKER, mine, username="alex")
    line = line_above_reference(brokerage=mine, ready=True)
    negotiation = open_negotiation(line, broker)
    plan = line.plan
    request = request_row(plan=plan, area=district("E8"), by=broker)
    invited(request, approved_listing().listing)
    offered(request, approved_listing(title="Evening homecare").listing, 2300)

    page.goto(live_server.url + reverse("brokerage:negotiation", kwargs={
        "pk": plan.person_id, "plan_id": plan.pk, "line_id": line.pk, "negotiation_id": negotiation.pk}))
    sign_in(page, broker)
    page.wait_for_url(f"**/negotiations/{negotiation.pk}/")
    check_accessible(page, "broker-negotiation")

    page.goto(live_server.url + reverse("brokerage:package_request", args=[plan.person_id, request.pk]))
    assert page.get_by_text(request.reference).first.is_visible()
    assert page.get_by_text("Evening homecare").first.is_visible()
    check_accessible(page, "broker-package-request")

    page.goto(plan_url(live_server, plan, "brokerage:plan_print"))
    assert page.get_by_role("navigation", name="Menu").count() == 0
    check_accessible(page, "plan-print")
