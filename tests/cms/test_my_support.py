"""A person's own view of their support, /my-support/: what they read there, and who may open it."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brokerage import services
from brokerage.checks import line_weekly_pence
from brokerage.constants import (
    BudgetKind,
    DeploymentRoute,
    FinancialRisk,
    PlanStatus,
    ReviewOutcome,
    ReviewStatus,
    TransitionKind,
)
from brokerage.models import BudgetTransition, DirectPaymentReview, PersonalBudget, SupportPlan
from isf.services import contract_accept
from marketplace.constants import Role
from tests.brokerage.factories import (
    AssessmentCompletedFactory,
    PersonalAssistantLineFactory,
    PersonFactory,
    PlanLineFactory,
    PlanOutcomeFactory,
    SupportPlanDraftFactory,
    approved_listing,
)
from tests.isf.factories_contracts import offered_contract
from tests.isf.statements.helpers import approved_invoice, release
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
WASHING = "I want to get up, washed and dressed without rushing."
ALLOTMENT = "I want to keep going to my allotment on Saturdays."


def my_support(person=None):
    return reverse("cms:my_support_person", args=[person.pk]) if person else reverse("cms:my_support")


@pytest.fixture
def council(council):
    council.telephone, council.email = "020 8356 0000", "care@council.example"
    council.website = "https://council.example"
    council.save()
    return council


@pytest.fixture
def brokerage(db):
    return BrokerOrganisationFactory(name="Alpha Brokerage CIC", telephone="020 7946 0123",
                                     email="plans@alpha.example", website="https://alpha.example")


@pytest.fixture
def person(brokerage):
    return PersonFactory(first_name="Alice", last_name="Ashby", broker_organisation=brokerage, user=UserFactory(),
                         representative=UserFactory())


@pytest.fixture
def indicative(person, make_member):
    """An indicative budget worked out by the points RAS in use: regular daily help with personal
    care, some help getting out; £35.50 a week of it Alice's contribution."""
    assessment = AssessmentCompletedFactory(person=person, levels={"personal_care": 2, "community": 1})
    broker = make_member(Role.BROKER, person.broker_organisation)
    return services.budget_calculate(person=person, assessment=assessment, by=broker, method="points",
                                     weekly_contribution_pence=3550, contribution_basis="Financial assessment")


def approve(plan: SupportPlan, *, decided_on_days_ago: int = 10) -> SupportPlan:
    """Mark a draft plan approved, with an agreed budget of what its lines cost, as sign-off leaves it."""
    total = sum(line_weekly_pence(line) for line in plan.lines.all())
    indicative = plan.indicative_budget
    contribution = min(indicative.weekly_contribution_pence, total)
    agreed = PersonalBudget.objects.create(
        person=plan.person, kind=BudgetKind.AGREED, assessment=indicative.assessment,
        ras_version=indicative.ras_version, weekly_total_pence=total, weekly_contribution_pence=contribution,
        weekly_council_pence=total - contribution, contribution_basis=indicative.contribution_basis,
        created_by=plan.created_by)
    SupportPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.APPROVED, agreed_budget=agreed,
        decided_at=timezone.now() - datetime.timedelta(days=decided_on_days_ago))
    plan.refresh_from_db()
    return plan


@pytest.fixture
def approved(person, indicative):
    """Alice's approved plan, started a fortnight ago: homecare from Bright Homecare (10 hours at
    £24.00, arranged by the council) and a personal assistant (8 hours at £15.00, direct payment).
    £360.00 a week."""
    plan = SupportPlanDraftFactory(person=person, indicative_budget=indicative,
                                   starts_on=TODAY - datetime.timedelta(days=14), financial_risk=FinancialRisk.LOW)
    washing = PlanOutcomeFactory(plan=plan, text=WASHING)
    allotment = PlanOutcomeFactory(plan=plan, text=ALLOTMENT, domain="community", position=1)
    homecare = approved_listing(title="Morning homecare")
    homecare.listing.organisation.name = "Bright Homecare Ltd"
    homecare.listing.organisation.save(update_fields=["name"])
    PlanLineFactory(plan=plan, rate_card=homecare, outcomes=[washing])
    PersonalAssistantLineFactory(plan=plan, outcomes=[allotment], assistant_name="Sam Carter",
                                 description="Help to get to the allotment")
    return approve(plan)


def page_text(client, user, person):
    client.force_login(user)
    response = client.get(my_support(person))
    assert response.status_code == 200
    return response.content.decode()


# What the person reads -------------------------------------------------------------------------


def test_person_sees_their_agreed_budget_with_contribution_and_councils_share(client, person, approved):
    text = page_text(client, person.user, person)
    assert "Your support" in text
    assert "This is your agreed budget" in text
    # £240.00 homecare + £120.00 personal assistant; Alice pays £35.50 of it.
    assert '<dd class="govuk-summary-list__value" id="weekly-total">£360.00</dd>' in text
    assert '<dd class="govuk-summary-list__value" id="annual-total">£18,720.00</dd>' in text  # 52 weeks
    assert "£35.50" in text and "Financial assessment" in text
    assert '<dd class="govuk-summary-list__value" id="council-share">£324.50</dd>' in text
    assert "indicative budget:" not in text


def test_person_reads_how_their_budget_was_worked_out_from_the_ras(client, person, approved, indicative):
    text = page_text(client, person.user, person)
    assert "How your budget was worked out" in text
    assert "Personal care and hygiene" in text and "Regular help every day" in text
    assert "Getting out and using local services" in text
    assert indicative.breakdown and all(f"{line['amount_pence'] / 100:,.2f}" in text.replace("£", "")
                                        for line in indicative.breakdown if line["amount_pence"])
    assert reverse("brokerage:budget", args=[person.pk, indicative.pk]) in text


def test_person_sees_their_plan_outcomes_lines_routes_and_start_date(client, person, approved):
    text = page_text(client, person.user, person)
    assert WASHING in text and ALLOTMENT in text
    assert "Morning homecare" in text and "Bright Homecare Ltd" in text
    assert "10 hours a week" in text and "£240.00" in text
    assert "Arranged by the council: the council buys this for you and pays for it" in text
    assert "Help to get to the allotment" in text and "Sam Carter, your personal assistant" in text
    assert "8 hours a week" in text and "£120.00" in text
    assert "Direct payment: the council pays the money to you and you pay for this yourself" in text
    assert f"started on {approved.starts_on:%-d %B %Y}" in text
    assert reverse("brokerage:plan_print", args=[person.pk, approved.pk]) in text


def test_the_plan_print_page_linked_from_the_view_opens_for_the_person(client, person, approved):
    client.force_login(person.user)
    assert client.get(reverse("brokerage:plan_print", args=[person.pk, approved.pk])).status_code == 200


def test_a_plan_approved_to_start_later_says_when_it_starts(client, person, indicative):
    plan = SupportPlanDraftFactory(person=person, indicative_budget=indicative,
                                   starts_on=TODAY + datetime.timedelta(days=10))
    PlanOutcomeFactory(plan=plan)
    PlanLineFactory(plan=plan)
    approve(plan)
    text = page_text(client, person.user, person)
    assert f"starts on {plan.starts_on:%-d %B %Y}" in text
    assert "This is your agreed budget" in text


def test_a_new_level_that_starts_later_says_when(client, person, indicative):
    plan = SupportPlanDraftFactory(person=person, indicative_budget=indicative,
                                   starts_on=TODAY + datetime.timedelta(days=10))
    PlanOutcomeFactory(plan=plan)
    PlanLineFactory(plan=plan, quantity_per_week=Decimal("1"))
    plan = approve(plan)
    BudgetTransition.objects.create(plan=plan, person=person, kind=TransitionKind.IMMEDIATE,
                                    from_weekly_pence=50000, to_weekly_pence=2400, starts_on=plan.starts_on,
                                    decided_by=UserFactory())
    text = page_text(client, person.user, person)
    assert f"It changes to £24.00 a week on {plan.starts_on:%-d %B %Y}" in text
    assert "1 hour a week" in text


def test_person_with_no_plan_sees_their_indicative_budget_said_plainly(client, person, indicative):
    SupportPlanDraftFactory(person=person, indicative_budget=indicative)  # being written, not approved
    text = page_text(client, person.user, person)
    assert "This is your indicative budget: an early estimate" in text
    assert "It may go up or down while your support plan is made" in text
    assert f"£{indicative.weekly_total_pence / 100:,.2f}" in text
    assert "You do not have an approved support plan yet" in text
    assert "This is your agreed budget" not in text


def test_a_plan_waiting_for_sign_off_says_so(client, person, indicative):
    plan = SupportPlanDraftFactory(person=person, indicative_budget=indicative)
    assert "Your broker is writing your support plan with you." in page_text(client, person.user, person)
    sent = timezone.now() - datetime.timedelta(days=2)
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.SUBMITTED, submitted_at=sent)
    text = page_text(client, person.user, person)
    assert f"Your support plan was sent to the council on {timezone.localtime(sent):%-d %B %Y}" in text
    assert "waiting for its approval" in text


def test_a_new_version_being_written_is_mentioned_beside_the_approved_plan(client, person, approved):
    SupportPlanDraftFactory(person=person, indicative_budget=approved.indicative_budget, version=2,
                            previous=approved)
    text = page_text(client, person.user, person)
    assert "This is your agreed budget" in text
    assert "Your broker is writing a new version of your plan with you." in text


def test_person_with_no_budget_yet_is_told_what_happens_next(client, person):
    text = page_text(client, person.user, person)
    assert "Your budget has not been worked out yet" in text
    assert "You do not have an approved support plan yet" in text


def test_a_stepped_reduction_says_what_they_get_now_and_when_it_changes(client, person, approved):
    # £500.00 down to £360.00 over 4 weeks from a week ago: £465.00, £430.00 (now), £395.00, £360.00.
    starts = TODAY - datetime.timedelta(days=7)
    BudgetTransition.objects.create(plan=approved, person=person, kind=TransitionKind.TRANSITIONAL,
                                    from_weekly_pence=50000, to_weekly_pence=36000, starts_on=starts, weeks=4,
                                    reason="Needs have reduced", decided_by=UserFactory())
    text = page_text(client, person.user, person)
    assert "Your weekly budget is changing" in text
    assert "You get £430.00 a week now." in text
    next_step = starts + datetime.timedelta(days=14)
    last_step = starts + datetime.timedelta(days=21)
    assert f"It changes to £395.00 a week on {next_step:%-d %B %Y}" in text
    assert f"reaches £360.00 a week on {last_step:%-d %B %Y}" in text


def test_a_protected_budget_says_it_is_kept_and_when_it_is_reviewed(client, person, approved):
    review = TODAY + datetime.timedelta(days=90)
    BudgetTransition.objects.create(plan=approved, person=person, kind=TransitionKind.PROTECTED,
                                    from_weekly_pence=50000, to_weekly_pence=36000, starts_on=approved.starts_on,
                                    review_on=review, reason="Risk of distress", decided_by=UserFactory())
    text = page_text(client, person.user, person)
    assert "keep your budget at £500.00 a week rather than reduce it to £360.00" in text
    assert f"look at this again on {review:%-d %B %Y}" in text


def test_no_change_box_when_the_budget_is_simply_the_agreed_amount(client, person, approved):
    assert "Your weekly budget is changing" not in page_text(client, person.user, person)


def test_person_sees_next_and_last_direct_payment_review_dates(client, person, approved):
    last = TODAY - datetime.timedelta(days=170)
    DirectPaymentReview.objects.create(person=person, plan=approved, risk=FinancialRisk.LOW,
                                       due_on=last, status=ReviewStatus.COMPLETED, completed_on=last,
                                       outcome=ReviewOutcome.NO_CONCERNS)
    due = TODAY + datetime.timedelta(days=190)
    DirectPaymentReview.objects.create(person=person, plan=approved, risk=FinancialRisk.LOW, due_on=due)
    text = page_text(client, person.user, person)
    assert "Checks on your direct payment" in text
    assert f'id="next-review">{due:%-d %B %Y}<' in text
    assert f'id="last-review">{last:%-d %B %Y}<' in text


def test_person_sees_whom_to_contact_at_their_broker_and_the_council(client, person, council):
    text = page_text(client, person.user, person)
    assert "Who to contact" in text
    for words in ("Alpha Brokerage CIC", "020 7946 0123", "mailto:plans@alpha.example", "https://alpha.example",
                  "Test Borough Council", "020 8356 0000", "mailto:care@council.example", "https://council.example"):
        assert words in text, words


def test_the_page_offers_a_print_button_and_a_print_stylesheet(client, person, approved):
    text = page_text(client, person.user, person)
    assert ('<button type="button" class="govuk-button govuk-button--secondary" data-app-print hidden>'
            'Print this page</button>') in text
    assert "use your browser’s print option" in text
    assert "cms/my_support.css" in text and "cms/print-button.mjs" in text


def test_person_sees_their_isf_statement_in_brief_with_a_link_to_it(client, council, make_member):
    officer = make_member(Role.CONTRACT_OFFICER, council)
    contract = offered_contract(officer)
    contract = contract_accept(contract=contract, by=make_member(Role.PROVIDER_STAFF, contract.provider))
    person = contract.person
    person.user = UserFactory()
    person.save(update_fields=["user"])
    release(contract, 100000)
    approved_invoice(contract, [("Personal care", "10", 2400)])
    text = page_text(client, person.user, person)
    assert "Your Individual Service Fund" in text and contract.provider.name in text
    assert "Money the council has put in" in text and "£1,000.00" in text
    assert "Personal care: £240.00" in text
    assert "Balance held for you" in text and "£760.00" in text
    assert "Individual Service Fund: the council passes the money to the provider, who holds it for you" in text
    assert reverse("isf_people:statement", args=[person.pk]) in text


def test_no_isf_section_for_someone_without_a_fund(client, person, approved):
    text = page_text(client, person.user, person)
    assert "Your Individual Service Fund" not in text
    assert reverse("isf_people:statement", args=[person.pk]) not in text


def test_the_representative_sees_the_page_and_is_told_whose_it_is(client, person, approved):
    text = page_text(client, person.representative, person)
    assert "Support for Alice Ashby" in text
    assert "you act for Alice" in text
    assert "£360.00" in text


# Who may open it -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, person):
    for url in (my_support(), my_support(person)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_person_with_one_record_goes_straight_to_it(client, person):
    client.force_login(person.user)
    response = client.get(my_support())
    assert response.status_code == 302 and response["Location"] == my_support(person)


@pytest.mark.parametrize("who", ["another person", "another representative", "their broker", "an officer",
                                 "a provider"])
def test_anyone_but_the_person_and_their_representative_is_told_it_does_not_exist(client, person, approved,
                                                                                  council, make_member, who):
    if who == "another person":
        user = PersonFactory(user=UserFactory()).user
    elif who == "another representative":
        user = PersonFactory(representative=UserFactory()).representative
    elif who == "their broker":
        user = make_member(Role.BROKER, person.broker_organisation)
    elif who == "an officer":
        user = make_member(Role.CONTRACT_OFFICER, council)
    else:
        user = make_member(Role.PROVIDER_ADMIN, approved.lines.first().listing.organisation)
    client.force_login(user)
    response = client.get(my_support(person))
    assert response.status_code == 404
    assert "Alice" not in response.content.decode()


def test_an_unknown_person_is_not_found(client, person):
    client.force_login(person.user)
    assert client.get(reverse("cms:my_support_person", args=[person.pk + 1000])).status_code == 404


def test_a_representative_of_two_people_chooses_whose_support_to_see(client, person):
    rep = person.representative
    other = PersonFactory(first_name="Bob", last_name="Baker", representative=rep)
    client.force_login(rep)
    response = client.get(my_support())
    assert response.status_code == 200
    text = response.content.decode()
    assert "Choose whose support to look at" in text
    assert my_support(person) in text and my_support(other) in text
    assert "Alice Ashby" in text and "Bob Baker" in text
    # From either page they can go back to the choice.
    assert reverse("cms:my_support") in page_text(client, rep, other)


def test_someone_who_supports_nobody_gets_a_friendly_page_with_whom_to_contact(client, council):
    client.force_login(UserFactory())
    response = client.get(my_support())
    assert response.status_code == 200
    text = response.content.decode()
    assert "There is nothing to show you here yet" in text
    assert "Test Borough Council" in text and "020 8356 0000" in text


def test_a_broker_who_supports_nobody_personally_gets_the_friendly_page_too(client, person, make_member):
    client.force_login(make_member(Role.BROKER, person.broker_organisation))
    response = client.get(my_support())
    assert response.status_code == 200
    assert "There is nothing to show you here yet" in response.content.decode()


# Query count -------------------------------------------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_plan_or_the_fund(client, council, make_member):
    officer = make_member(Role.CONTRACT_OFFICER, council)
    contract = offered_contract(officer)
    contract = contract_accept(contract=contract, by=make_member(Role.PROVIDER_STAFF, contract.provider))
    person = contract.person
    person.user = UserFactory()
    person.save(update_fields=["user"])
    plan = SupportPlan.objects.get(person=person, status=PlanStatus.APPROVED)
    DirectPaymentReview.objects.create(person=person, plan=plan, risk=FinancialRisk.LOW,
                                       due_on=TODAY + datetime.timedelta(days=30))
    release(contract, 10000, TODAY - datetime.timedelta(days=10))
    client.force_login(person.user)
    url = my_support(person)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    for number in range(4):
        outcome = PlanOutcomeFactory(plan=plan, text=f"Outcome number {number}", position=number + 5)
        PlanLineFactory(plan=plan, outcomes=[outcome], route=DeploymentRoute.MANAGED_BUDGET,
                        quantity_per_week=Decimal("2"))
        PersonalAssistantLineFactory(plan=plan, outcomes=[outcome], assistant_name=f"Assistant {number}")
        release(contract, 10000, TODAY - datetime.timedelta(days=number))
        approved_invoice(contract, [(f"Item {number}", "1", 2400)])
    DirectPaymentReview.objects.create(person=person, plan=plan, risk=FinancialRisk.LOW,
                                       status=ReviewStatus.COMPLETED, due_on=TODAY - datetime.timedelta(days=1),
                                       completed_on=TODAY, outcome=ReviewOutcome.NO_CONCERNS)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    text = response.content.decode()
    assert "Outcome number 3" in text and "Assistant 3, your personal assistant" in text and "Item 3" in text
    assert len(response.context["support"].lines) == 9
    assert len(many.captured_queries) == len(few.captured_queries)
