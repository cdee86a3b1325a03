"""The broker workspace's support plan pages."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brokerage import services
from brokerage.constants import DbsCheck, DeploymentRoute, FinancialRisk, LineKind, NegotiationStatus, PlanStatus
from brokerage.models import Negotiation, PlanLine, PlanOutcome, PlanRisk, SupportPlan
from marketplace.models import AuditEvent
from providers.constants import AccreditationStatus, RateUnit
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
)
from tests.brokerage.factories_plans import budget, plan, ready, reference  # noqa: F401 (pytest fixtures)
from tests.marketplace.factories import UserFactory
from tests.providers.factories import AreaFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage, first_name="Alice", last_name="Ashby",
                         user=UserFactory(), representative=UserFactory())


def url(name, plan, *args):
    return reverse(f"brokerage:{name}", args=[plan.person_id, plan.pk, *args])


def date_fields(name, day):
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def snapshot():
    return (SupportPlan.objects.count(), list(SupportPlan.objects.order_by("pk").values_list("status", flat=True)),
            list(PlanLine.objects.order_by("pk").values_list("quantity_per_week", "route", "agreed_price_pence")),
            PlanOutcome.objects.count(), PlanRisk.objects.count(), Negotiation.objects.count(),
            AuditEvent.objects.count())


# The person page ---------------------------------------------------------------------------------


def test_person_page_lists_plans_with_status_and_weekly_cost(client, broker, ready):
    client.force_login(broker)
    response = client.get(reverse("brokerage:person", args=[ready.person_id]))
    assert response.status_code == 200
    text = response.text
    assert "Support plans" in text and "Version 1" in text and "Draft" in text
    assert "£384.00" in text  # 16 hours at £24.00
    assert url("plan", ready) in text
    # A plan is being written, so no second one can be started.
    assert reverse("brokerage:plan_start", args=[ready.person_id]) not in text


def test_person_page_offers_to_start_a_plan_once_there_is_a_budget(client, broker, person):
    client.force_login(broker)
    start = reverse("brokerage:plan_start", args=[person.pk])
    page = reverse("brokerage:person", args=[person.pk])
    assert start not in client.get(page).text
    IndicativeBudgetFactory(person=person)
    assert start in client.get(page).text


def test_person_page_does_not_offer_to_start_a_plan_to_the_person(client, person, budget):
    client.force_login(person.user)
    assert reverse("brokerage:plan_start", args=[person.pk]) not in client.get(
        reverse("brokerage:person", args=[person.pk])).text


def test_person_page_query_count_does_not_grow_with_plans(client, broker, person, budget):
    client.force_login(broker)
    page = reverse("brokerage:person", args=[person.pk])
    SupportPlanDraftFactory(person=person, indicative_budget=budget, status=PlanStatus.SUPERSEDED, version=1)
    client.get(page)
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    for version in range(2, 6):
        plan = SupportPlanDraftFactory(person=person, indicative_budget=budget, status=PlanStatus.SUPERSEDED,
                                       version=version)
        PlanLineFactory(plan=plan)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page)
    assert response.text.count("Replaced by a later version") == 5
    assert len(many.captured_queries) == len(few.captured_queries)


# Starting a plan ---------------------------------------------------------------------------------


def test_a_broker_starts_a_plan_from_the_page(client, broker, person, budget):
    client.force_login(broker)
    start = reverse("brokerage:plan_start", args=[person.pk])
    assert client.get(start).status_code == 200
    response = client.post(start, date_fields("starts_on", NEXT_WEEK))
    plan = SupportPlan.objects.get(person=person)
    assert response.status_code == 302 and response["Location"] == url("plan", plan)
    assert plan.starts_on == NEXT_WEEK


def test_starting_a_second_plan_shows_the_reason_and_writes_nothing(client, broker, plan):
    client.force_login(broker)
    before = snapshot()
    response = client.post(reverse("brokerage:plan_start", args=[plan.person_id]), date_fields("starts_on", NEXT_WEEK))
    assert response.status_code == 200
    assert "There is a problem" in response.text and "already has a support plan" in response.text
    assert snapshot() == before


def test_starting_a_plan_without_a_budget_says_to_work_one_out(client, broker, person):
    client.force_login(broker)
    start = reverse("brokerage:plan_start", args=[person.pk])
    assert "Work out an indicative budget first" in client.get(start).text
    response = client.post(start, date_fields("starts_on", NEXT_WEEK))
    assert response.status_code == 200 and "Work out an indicative budget first" in response.text
    assert not SupportPlan.objects.exists()


def test_a_bad_start_date_is_an_error_on_the_field(client, broker, person, budget):
    client.force_login(broker)
    response = client.post(reverse("brokerage:plan_start", args=[person.pk]),
                           {"starts_on_day": "31", "starts_on_month": "2", "starts_on_year": "2026"})
    assert response.status_code == 200 and "must be a real date" in response.text
    assert not SupportPlan.objects.exists()


# The plan page -----------------------------------------------------------------------------------


def test_plan_page_shows_costs_by_route_against_the_budget_and_band(client, broker, ready):
    PersonalAssistantLineFactory(plan=ready)  # 8 hours at £15.00 = £120.00 by direct payment
    client.force_login(broker)
    response = client.get(url("plan", ready))
    assert response.status_code == 200
    text = response.text
    assert "Council-managed budget" in text and "£384.00" in text and "£19,968.00" in text
    assert "Direct payment" in text and "£120.00" in text and "£6,240.00" in text
    assert "£504.00" in text  # the total a week
    assert "£360.00 to £440.00 (10% either way)" in text
    assert "Outside tolerance" in text and "£104.00 a week more than the budget" in text


def test_plan_page_tags_lines(client, broker, ready, reference):
    above = approved_listing(contract_rate_pence=2650, direct_payment_rate_pence=2100, is_specialist=True)
    line = PlanLineFactory(plan=ready, rate_card=above, quantity_per_week=Decimal("1"))
    negotiation = NegotiationOpenFactory(line=line)
    dp = approved_listing(contract_rate_pence=2400, direct_payment_rate_pence=2000)
    PlanLineFactory(plan=ready, rate_card=dp, route=DeploymentRoute.DIRECT_PAYMENT, quantity_per_week=Decimal("1"))
    client.force_login(broker)
    text = client.get(url("plan", ready)).text
    assert text.count("Above usual cost") == 1 and "The council’s usual cost is £24.00 per hour" in text
    assert text.count("Direct-payment rate") == 1
    assert text.count(">Specialist<") == 1
    assert "Negotiation open" in text
    assert reverse("brokerage:negotiation", kwargs={"pk": ready.person_id, "plan_id": ready.pk, "line_id": line.pk,
                                                    "negotiation_id": negotiation.pk}) in text


def test_plan_page_lists_what_needs_doing_before_submitting(client, broker, plan):
    client.force_login(broker)
    text = client.get(url("plan", plan)).text
    assert "What needs doing before you submit" in text
    assert "Add at least one outcome, in the person&#x27;s own words" in text
    assert "Confirm that safeguarding has been considered" in text
    assert url("plan_outcomes", plan) in text


def test_a_ready_plan_says_nothing_needs_doing(client, broker, ready):
    client.force_login(broker)
    assert "Nothing: the plan is ready to send" in client.get(url("plan", ready)).text


def test_plan_page_query_count_is_the_same_for_1_and_8_lines(client, broker, ready, reference):
    client.force_login(broker)
    page = url("plan", ready)
    client.get(page)
    with CaptureQueriesContext(connection) as one:
        assert client.get(page).status_code == 200
    outcome = ready.outcomes.first()
    for number in range(7):
        if number % 3 == 0:
            PersonalAssistantLineFactory(plan=ready, live_in_relative=True, outcomes=[outcome])
        else:
            line = PlanLineFactory(plan=ready, quantity_per_week=Decimal("1"),
                                   rate_card=approved_listing(contract_rate_pence=2650, is_specialist=number == 2))
            NegotiationOpenFactory(line=line)
    with CaptureQueriesContext(connection) as eight:
        response = client.get(page)
    assert len(response.context["rows"]) == 8
    assert len(eight.captured_queries) == len(one.captured_queries)


def test_the_plan_fields_are_saved_from_the_plan_page(client, broker, ready):
    PersonalAssistantLineFactory(plan=ready, live_in_relative=True)
    client.force_login(broker)
    response = client.post(url("plan", ready), {
        **date_fields("starts_on", NEXT_WEEK), "safeguarding_considered": "on", "safeguarding_notes": "Talked it over",
        "financial_risk": FinancialRisk.HIGH, "tolerance_exception_reason": "Needs two carers",
        "live_in_relative_exception_reason": "Her daughter is the only one she lets help"})
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.financial_risk == FinancialRisk.HIGH and ready.tolerance_exception_reason == "Needs two carers"
    assert ready.live_in_relative_exception_reason.startswith("Her daughter")


def test_financial_risk_is_asked_only_when_there_are_direct_payments(client, broker, ready):
    client.force_login(broker)
    assert "Financial risk of the direct payment" not in client.get(url("plan", ready)).text
    PersonalAssistantLineFactory(plan=ready)
    assert "Financial risk of the direct payment" in client.get(url("plan", ready)).text


def test_a_bad_plan_field_is_shown_with_status_200(client, broker, ready):
    PersonalAssistantLineFactory(plan=ready)
    client.force_login(broker)
    before = snapshot()
    response = client.post(url("plan", ready), {**date_fields("starts_on", NEXT_WEEK), "financial_risk": "extreme"})
    assert response.status_code == 200
    assert "There is a problem" in response.text and "Choose low, medium or high financial risk" in response.text
    assert snapshot() == before


def test_version_history_links_earlier_versions_and_tags_superseded(client, broker, person, budget):
    old = SupportPlanDraftFactory(person=person, indicative_budget=budget, version=1, status=PlanStatus.SUPERSEDED)
    current = SupportPlanDraftFactory(person=person, indicative_budget=budget, version=2)
    client.force_login(broker)
    text = client.get(url("plan", current)).text
    assert url("plan", old) in text and "Replaced by a later version" in text
    assert "Version 2 (this one)" in text


# Outcomes and risks -------------------------------------------------------------------------------


def test_outcomes_are_added_and_removed(client, broker, plan):
    client.force_login(broker)
    page = url("plan_outcomes", plan)
    assert client.get(page).status_code == 200
    assert client.post(page, {"text": "I want to go swimming", "domain": "community"}).status_code == 302
    outcome = plan.outcomes.get()
    assert outcome.text == "I want to go swimming"
    assert client.post(url("plan_outcome_remove", plan, outcome.pk)).status_code == 302
    assert not plan.outcomes.exists()


def test_an_empty_outcome_is_an_error(client, broker, plan):
    client.force_login(broker)
    response = client.post(url("plan_outcomes", plan), {"text": " "})
    assert response.status_code == 200 and "Enter the outcome, in the person’s own words" in response.text


def test_risks_are_added_and_removed(client, broker, plan):
    client.force_login(broker)
    page = url("plan_risks", plan)
    response = client.post(page, {"risk": "Falls", "who_is_affected": "Alice", "mitigation": "Grab rails"})
    assert response.status_code == 302
    risk = plan.risks.get()
    assert client.post(url("plan_risk_remove", plan, risk.pk)).status_code == 302
    assert not plan.risks.exists()
    response = client.post(page, {"risk": "", "who_is_affected": ""})
    assert response.status_code == 200 and "Enter the risk" in response.text


# Finding and adding services ---------------------------------------------------------------------


def test_find_searches_published_services_of_approved_providers(client, broker, plan):
    e8 = AreaFactory(code="E8")
    wanted = approved_listing(title="Riverside homecare")
    wanted.listing.areas.add(e8)
    elsewhere = approved_listing(title="Riverside elsewhere")
    suspended = approved_listing(title="Riverside suspended")
    suspended.listing.areas.add(e8)
    suspended.listing.organisation.accreditation.status = AccreditationStatus.SUSPENDED
    suspended.listing.organisation.accreditation.save()
    client.force_login(broker)
    response = client.get(url("plan_line_find", plan), {"q": "riverside", "category": "homecare",
                                                        "postcode": "E8 3QP"})
    assert response.status_code == 200
    text = response.text
    assert "Riverside homecare" in text
    assert "Riverside elsewhere" not in text and "Riverside suspended" not in text
    assert f"{url('plan_line_new', plan)}?listing={wanted.listing.pk}" in text
    assert elsewhere.listing.pk


def test_find_pages_keep_the_search(client, broker, plan):
    for number in range(23):
        approved_listing(title=f"Homecare {number:02d}")
    client.force_login(broker)
    response = client.get(url("plan_line_find", plan), {"q": "homecare"})
    assert "Page 1 of 2" in response.text and "?q=homecare&amp;page=2" in response.text


def test_find_shows_a_bad_postcode_as_an_error(client, broker, plan):
    client.force_login(broker)
    response = client.get(url("plan_line_find", plan), {"postcode": "!!!"})
    assert response.status_code == 200 and "There is a problem" in response.text


@pytest.fixture
def card(reference):
    return approved_listing(title="Morning calls", contract_rate_pence=2400, direct_payment_rate_pence=2000)


def line_data(plan, **overrides):
    return {"route": DeploymentRoute.MANAGED_BUDGET, "quantity_per_week": "10",
            "outcomes": [str(o.pk) for o in plan.outcomes.all()], **date_fields("starts_on", NEXT_WEEK)} | overrides


def test_a_service_is_added_to_the_plan(client, broker, plan, card):
    outcome = PlanOutcomeFactory(plan=plan)
    client.force_login(broker)
    page = f"{url('plan_line_new', plan)}?listing={card.listing.pk}"
    get = client.get(page)
    assert get.status_code == 200 and "Morning calls" in get.text and "£20.00 by direct payment" in get.text
    response = client.post(page, line_data(plan, route=DeploymentRoute.DIRECT_PAYMENT))
    assert response.status_code == 302
    line = PlanLine.objects.get(plan=plan)
    assert line.agreed_price_pence == 2000 and list(line.outcomes.all()) == [outcome]


@pytest.mark.parametrize("quantity", ["-1", "0", "lots"])
def test_a_bad_quantity_is_shown_and_nothing_is_written(client, broker, plan, card, quantity):
    client.force_login(broker)
    before = snapshot()
    response = client.post(f"{url('plan_line_new', plan)}?listing={card.listing.pk}",
                           line_data(plan, quantity_per_week=quantity))
    assert response.status_code == 200 and "There is a problem" in response.text
    assert "quantity a week" in response.text
    assert snapshot() == before


def test_an_unknown_service_is_not_found(client, broker, plan):
    client.force_login(broker)
    assert client.get(f"{url('plan_line_new', plan)}?listing=999999").status_code == 404
    assert client.get(f"{url('plan_line_new', plan)}?listing=abc").status_code == 404


def test_a_service_of_a_suspended_provider_cannot_be_added(client, broker, plan, card):
    accreditation = card.listing.organisation.accreditation
    accreditation.status = AccreditationStatus.SUSPENDED
    accreditation.save()
    client.force_login(broker)
    page = f"{url('plan_line_new', plan)}?listing={card.listing.pk}"
    assert "is not approved and in date with the council" in client.get(page).text
    before = snapshot()
    response = client.post(page, line_data(plan))
    assert response.status_code == 200 and "is not approved and in date with the council" in response.text
    assert snapshot() == before


def test_a_price_above_the_usual_cost_opens_a_negotiation(client, broker, plan, reference):
    card = approved_listing(contract_rate_pence=2650, direct_payment_rate_pence=2100)
    client.force_login(broker)
    client.post(f"{url('plan_line_new', plan)}?listing={card.listing.pk}", line_data(plan))
    line = PlanLine.objects.get(plan=plan)
    assert Negotiation.objects.get(line=line).status == NegotiationStatus.OPEN


def test_several_prices_ask_which_one(client, broker, plan, card):
    from tests.providers.factories import RateCardFactory

    RateCardFactory(listing=card.listing, unit=RateUnit.VISIT, contract_rate_pence=1800, direct_payment_rate_pence=1500)
    client.force_login(broker)
    page = f"{url('plan_line_new', plan)}?listing={card.listing.pk}"
    assert "Which price?" in client.get(page).text
    response = client.post(page, line_data(plan))
    assert response.status_code == 200 and "Choose which of the service’s prices the line uses" in response.text
    assert client.post(page, line_data(plan, unit=RateUnit.VISIT)).status_code == 302
    assert PlanLine.objects.get(plan=plan).agreed_price_pence == 1800


def test_a_personal_assistant_is_added(client, broker, plan):
    PlanOutcomeFactory(plan=plan)
    client.force_login(broker)
    page = url("plan_line_assistant", plan)
    assert client.get(page).status_code == 200
    response = client.post(page, {
        "assistant_name": "Sam Carter", "description": "Shopping", "route": DeploymentRoute.DIRECT_PAYMENT,
        "quantity_per_week": "8", "price": "14.50", "live_in_relative": "yes", "dbs_check": DbsCheck.REQUESTED,
        "outcomes": [str(plan.outcomes.get().pk)], **date_fields("starts_on", NEXT_WEEK)})
    assert response.status_code == 302
    line = PlanLine.objects.get(plan=plan)
    assert line.kind == LineKind.PERSONAL_ASSISTANT and line.agreed_price_pence == 1450 and line.live_in_relative


def test_a_personal_assistant_on_a_managed_budget_is_refused(client, broker, plan):
    client.force_login(broker)
    response = client.post(url("plan_line_assistant", plan), {
        "assistant_name": "Sam", "route": DeploymentRoute.MANAGED_BUDGET, "quantity_per_week": "8", "price": "0",
        "live_in_relative": "no", "dbs_check": DbsCheck.NOT_REQUESTED, **date_fields("starts_on", NEXT_WEEK)})
    assert response.status_code == 200
    assert "Choose how the money for this line is paid" in response.text
    assert "The hourly rate must be more than £0" in response.text
    assert not PlanLine.objects.exists()


def test_a_line_is_changed(client, broker, ready):
    line = ready.lines.get()
    client.force_login(broker)
    page = url("plan_line_edit", ready, line.pk)
    assert client.get(page).status_code == 200
    response = client.post(page, line_data(ready, route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND,
                                           quantity_per_week="12"))
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity_per_week == Decimal("12") and line.route == DeploymentRoute.INDIVIDUAL_SERVICE_FUND


def test_a_line_is_removed_after_confirming(client, broker, ready):
    line = ready.lines.get()
    NegotiationOpenFactory(line=line)
    client.force_login(broker)
    page = url("plan_line_remove", ready, line.pk)
    assert "Removing the line withdraws the negotiation" in client.get(page).text
    assert client.post(page).status_code == 302
    assert not PlanLine.objects.filter(pk=line.pk).exists()


def test_a_submitted_plan_sends_editing_pages_back_to_the_plan(client, broker, ready):
    services.plan_submit(plan=ready, by=broker)
    client.force_login(broker)
    before = snapshot()
    for name in ("plan_outcomes", "plan_risks", "plan_line_find", "plan_line_assistant"):
        response = client.get(url(name, ready))
        assert response.status_code == 302 and response["Location"] == url("plan", ready)
    response = client.post(url("plan_outcomes", ready), {"text": "More"}, follow=True)
    assert "This plan has been submitted and cannot change" in response.text
    assert snapshot() == before


# Submitting --------------------------------------------------------------------------------------


def test_the_submit_page_lists_the_checks_and_a_button_when_ready(client, broker, ready):
    client.force_login(broker)
    response = client.get(url("plan_submit", ready))
    assert response.status_code == 200 and "Send for sign-off" in response.text
    response = client.post(url("plan_submit", ready))
    assert response.status_code == 302
    ready.refresh_from_db()
    assert ready.status == PlanStatus.SUBMITTED


def test_submitting_lists_each_failure_in_plain_words(client, broker, ready):
    PlanLineFactory(plan=ready, outcomes=[], quantity_per_week=Decimal("0.5"))
    PlanRiskFactory(plan=ready, mitigation="")
    SupportPlan.objects.filter(pk=ready.pk).update(safeguarding_considered=False)
    client.force_login(broker)
    assert "Send for sign-off" not in client.get(url("plan_submit", ready)).text
    before = snapshot()
    response = client.post(url("plan_submit", ready))
    assert response.status_code == 200
    text = response.text
    assert "The plan cannot be sent yet" in text
    assert "does not serve any outcome: choose the outcomes it meets" in text
    assert "Complete the risk assessment" in text
    assert "Confirm that safeguarding has been considered" in text
    assert snapshot() == before


def test_a_second_submit_changes_nothing_and_says_so(client, broker, ready):
    client.force_login(broker)
    client.post(url("plan_submit", ready))
    before = snapshot()
    response = client.post(url("plan_submit", ready), follow=True)
    assert "This plan has already been sent for sign-off" in response.text
    assert snapshot() == before


# New versions and printing ------------------------------------------------------------------------


def test_a_new_version_of_an_approved_plan_is_started_from_its_page(client, broker, ready):
    SupportPlan.objects.filter(pk=ready.pk).update(status=PlanStatus.APPROVED, decided_at=timezone.now())
    client.force_login(broker)
    page = client.get(url("plan", ready)).text
    assert url("plan_revise", ready) in page
    response = client.post(url("plan_revise", ready))
    draft = SupportPlan.objects.get(person=ready.person, version=2)
    assert response.status_code == 302 and response["Location"] == url("plan", draft)
    ready.refresh_from_db()
    assert ready.status == PlanStatus.APPROVED
    assert client.get(url("plan_revise", ready)).status_code == 405


def test_the_print_page_shows_the_whole_plan_without_the_site_header(client, person, ready):
    PersonalAssistantLineFactory(plan=ready)
    client.force_login(person.user)
    response = client.get(url("plan_print", ready))
    assert response.status_code == 200
    text = response.text
    assert "Alice Ashby" in text and "Support plan, version 1" in text and "Draft" in text
    assert "I want to get up, washed and dressed" in text
    assert "Personal assistant Sam Carter" in text and "£504.00" in text
    assert "Falls when getting out of the bath." in text
    assert "£400.00" in text and "£40.00" in text and "£360.00" in text  # budget, contribution, council
    assert "govuk-service-navigation" not in text and "govuk-!-display-none-print" in text
    assert "style=" not in text


# Who may reach the pages --------------------------------------------------------------------------


def every_url(plan):
    line, outcome, risk = plan.lines.first(), plan.outcomes.first(), plan.risks.first()
    return [
        reverse("brokerage:plan_start", args=[plan.person_id]),
        url("plan", plan), url("plan_print", plan), url("plan_submit", plan), url("plan_revise", plan),
        url("plan_outcomes", plan), url("plan_outcome_remove", plan, outcome.pk),
        url("plan_risks", plan), url("plan_risk_remove", plan, risk.pk),
        url("plan_line_find", plan), f"{url('plan_line_new', plan)}?listing={line.listing_id}",
        url("plan_line_assistant", plan), url("plan_line_edit", plan, line.pk), url("plan_line_remove", plan, line.pk),
    ]


@pytest.mark.parametrize("who", ["other_broker", "provider_user"])
def test_outsiders_get_404_on_every_plan_page_and_change_nothing(client, request, ready, who):
    client.force_login(request.getfixturevalue(who))
    before = snapshot()
    for page in every_url(ready):
        assert client.get(page).status_code == 404, page
        assert client.post(page, {"text": "x", "risk": "x", "who_is_affected": "x", "quantity_per_week": "1",
                                  "route": "managed_budget", **date_fields("starts_on", NEXT_WEEK)}
                           ).status_code == 404, page
    assert snapshot() == before


def test_the_person_reads_the_plan_but_cannot_change_it(client, person, ready):
    client.force_login(person.representative)
    assert client.get(url("plan", ready)).status_code == 200
    assert "Submit for sign-off" not in client.get(url("plan", ready)).text
    before = snapshot()
    for page in every_url(ready)[3:]:
        assert client.post(page, {"text": "x"}).status_code == 403, page
    assert snapshot() == before


def test_signed_out_is_sent_to_sign_in(client, ready):
    response = client.get(url("plan", ready))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
