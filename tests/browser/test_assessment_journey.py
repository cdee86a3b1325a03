import pytest

from brokerage.constants import AssessmentStatus, NeedDomain, NeedLevel
from brokerage.models import Assessment, PersonalBudget
from marketplace.constants import Role
from tests.brokerage.factories import PersonFactory
from tests.marketplace.factories import PASSWORD, BrokerOrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The starting points table (migration 0003): "some help" scores these points in each domain.
SOME_HELP_POINTS = 6 + 4 + 5 + 4 + 5 + 3 + 2 + 3 + 3 + 2


def test_broker_assesses_a_person_and_works_out_their_indicative_budget(live_server, page, check_accessible,
                                                                         make_member):
    mine = BrokerOrganisationFactory(name="Alpha Brokerage")
    broker = make_member(Role.BROKER, mine, username="alex")
    alice = PersonFactory(broker_organisation=mine, first_name="Alice", last_name="Ashby")

    page.goto(f"{live_server.url}/people/{alice.pk}/")
    page.get_by_label("Username").fill(broker.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/people/{alice.pk}/")
    assert page.get_by_role("heading", name="Needs assessments").is_visible()
    check_accessible(page, "assessment-person")

    page.get_by_role("link", name="Start a needs assessment").click()
    check_accessible(page, "assessment-start")
    page.get_by_label("What matters to the person").fill("I want to stay in my own home.")
    page.get_by_role("button", name="Start the assessment").click()
    assert page.locator("h1").inner_text() == "Needs assessment"
    assessment = Assessment.objects.get(person=alice)
    check_accessible(page, "assessment-score")

    page.get_by_role("group", name=NeedDomain.PERSONAL_CARE.label).get_by_label(NeedLevel.LOW.label).check()
    page.get_by_label(f"Notes on {NeedDomain.PERSONAL_CARE.label.lower()}").fill("Help to wash in the morning")
    page.get_by_role("button", name="Save as a draft").click()
    assert page.get_by_text("Assessment saved as a draft").is_visible()

    page.get_by_role("button", name="Complete the assessment").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert page.title().startswith("Error: ")
    check_accessible(page, "assessment-score-error")

    for domain in NeedDomain:
        page.get_by_role("group", name=domain.label).get_by_label(NeedLevel.LOW.label).check()
    page.get_by_role("button", name="Complete the assessment").click()
    page.wait_for_url(f"**/people/{alice.pk}/")
    assert page.get_by_text("Assessment completed").is_visible()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED

    page.get_by_role("link", name="Work out an indicative budget").click()
    check_accessible(page, "budget-new")
    page.get_by_label("Points-based").check()
    page.get_by_label("The person’s contribution a week").fill("abc")
    page.get_by_role("button", name="Work out the budget").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert not PersonalBudget.objects.exists()
    check_accessible(page, "budget-new-error")

    page.get_by_label("The person’s contribution a week").fill("35.50")
    page.get_by_label("Where the contribution comes from").fill("Financial assessment")
    page.get_by_role("button", name="Work out the budget").click()
    assert page.locator("h1").inner_text() == "How your budget was worked out"
    total = SOME_HELP_POINTS * 275
    budget = PersonalBudget.objects.get(person=alice)
    assert budget.weekly_total_pence == total and budget.weekly_contribution_pence == 3550
    assert page.get_by_role("row", name="Personal care and hygiene").is_visible()
    assert page.get_by_text("£35.50").first.is_visible()
    check_accessible(page, "budget-how-worked-out")

    page.get_by_role("link", name="Show a version to print").click()
    assert page.get_by_role("navigation", name="Menu").count() == 0
    check_accessible(page, "budget-print")

    page.goto(f"{live_server.url}/people/{alice.pk}/")
    assert page.get_by_role("link", name="How the budget was worked out").is_visible()
