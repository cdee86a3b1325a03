"""A person signs in and reads their own support in Chromium: budget, plan and whom to contact,
with axe on the page, a print button that opens the print dialog, and a printed page without
the site's header."""

import datetime

import pytest
from django.utils import timezone

from brokerage.constants import BudgetKind, FinancialRisk, PlanStatus
from brokerage.models import PersonalBudget, SupportPlan
from tests.brokerage.factories import (
    IndicativeBudgetFactory,
    PersonalAssistantLineFactory,
    PersonFactory,
    PlanLineFactory,
    PlanOutcomeFactory,
    SupportPlanDraftFactory,
)
from tests.marketplace.factories import PASSWORD, BrokerOrganisationFactory, CouncilFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OUTCOME = "I want to get up, washed and dressed without rushing."


def approved_plan_for(person) -> SupportPlan:
    """An approved plan in force: 10 hours of homecare at £24.00 (managed by the council) and a
    personal assistant for 8 hours at £15.00 (direct payment), £360.00 a week."""
    indicative = IndicativeBudgetFactory(person=person, weekly_total_pence=40000, weekly_contribution_pence=3550)
    plan = SupportPlanDraftFactory(person=person, indicative_budget=indicative, financial_risk=FinancialRisk.LOW,
                                   starts_on=timezone.localdate() - datetime.timedelta(days=7))
    outcome = PlanOutcomeFactory(plan=plan, text=OUTCOME)
    PlanLineFactory(plan=plan, outcomes=[outcome])
    PersonalAssistantLineFactory(plan=plan, outcomes=[outcome], assistant_name="Sam Carter")
    agreed = PersonalBudget.objects.create(
        person=person, kind=BudgetKind.AGREED, assessment=indicative.assessment, ras_version=indicative.ras_version,
        weekly_total_pence=36000, weekly_contribution_pence=3550, weekly_council_pence=32450,
        created_by=plan.created_by)
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED, agreed_budget=agreed,
                                                  decided_at=timezone.now())
    return plan


def test_a_person_reads_their_support_and_prints_it(live_server, page, check_accessible):
    CouncilFactory(telephone="020 8356 0000")
    alice = PersonFactory(first_name="Alice", last_name="Ashby", user=UserFactory(username="alice"),
                          broker_organisation=BrokerOrganisationFactory(name="Alpha Brokerage CIC"))
    approved_plan_for(alice)

    page.goto(f"{live_server.url}/my-support/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/my-support/{alice.pk}/")

    assert page.locator("h1").inner_text() == "Your support"
    assert page.locator("#weekly-total").inner_text() == "£360.00"
    assert page.locator("#contribution").inner_text() == "£35.50"
    assert page.locator("#council-share").inner_text() == "£324.50"
    assert page.get_by_text(OUTCOME).first.is_visible()
    assert page.get_by_role("row", name="Sam Carter, your personal assistant").is_visible()
    assert page.get_by_text("Alpha Brokerage CIC").first.is_visible()
    check_accessible(page, "my-support")

    # With JavaScript the button replaces the sentence about the browser's print option.
    print_button = page.get_by_role("button", name="Print this page")
    assert print_button.is_visible()
    assert not page.get_by_text("use your browser’s print option").is_visible()
    page.evaluate("window.print = () => { window.printed = true; }")
    print_button.click()
    assert page.evaluate("window.printed") is True

    header = page.locator("header.govuk-template__header")
    assert header.evaluate("element => getComputedStyle(element).display") != "none"
    page.emulate_media(media="print")
    assert header.evaluate("element => getComputedStyle(element).display") == "none"
    footer = page.locator("footer.govuk-template__footer")
    assert footer.evaluate("element => getComputedStyle(element).display") == "none"
    assert not print_button.is_visible()
    assert page.locator("#weekly-total").is_visible()
    page.emulate_media(media="screen")
    assert header.is_visible()
