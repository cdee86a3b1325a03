"""The broker workspace's pages for needs assessments, indicative budgets and reablement."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brokerage.constants import AssessmentStatus, NeedDomain, RasMethod, RasVersionStatus
from brokerage.models import Assessment, NeedScore, PersonalBudget, RasVersion, ReablementEpisode
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import (
    AssessmentCompletedFactory,
    AssessmentDraftFactory,
    PersonFactory,
    points_version,
)
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def brokerage():
    return BrokerOrganisationFactory(name="Alpha Brokerage")


@pytest.fixture
def broker(brokerage, make_member):
    return make_member(Role.BROKER, brokerage)


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage, first_name="Alice", last_name="Ashby",
                         user=UserFactory(), representative=UserFactory())


@pytest.fixture
def other_broker(make_member):
    return make_member(Role.BROKER, BrokerOrganisationFactory(name="Beta Brokerage"))


@pytest.fixture
def provider_user(provider_org, make_member):
    return make_member(Role.PROVIDER_ADMIN, provider_org)


def date_fields(name, day):
    return {f"{name}_day": str(day.day), f"{name}_month": str(day.month), f"{name}_year": str(day.year)}


def all_scores(level=1, **overrides):
    data = {domain: str(overrides.get(domain, level)) for domain in NeedDomain.values}
    return data


def snapshot():
    """Everything these pages can change, to show a refused request changed nothing."""
    return (Assessment.objects.count(), list(NeedScore.objects.values_list("domain", "level", "notes")),
            list(Assessment.objects.values_list("status", flat=True)), PersonalBudget.objects.count(),
            ReablementEpisode.objects.count(), AuditEvent.objects.count())


def page_urls(person, assessment, budget, episode):
    return [
        reverse("brokerage:person", args=[person.pk]),
        reverse("brokerage:assessment_start", args=[person.pk]),
        reverse("brokerage:assessment", args=[person.pk, assessment.pk]),
        reverse("brokerage:budget_new", args=[person.pk]),
        reverse("brokerage:budget", args=[person.pk, budget.pk]),
        reverse("brokerage:reablement_start", args=[person.pk]),
        reverse("brokerage:reablement_end", args=[person.pk, episode.pk]),
    ]


@pytest.fixture
def budget(person, broker):
    from brokerage import services

    points_version()
    assessment = AssessmentCompletedFactory(person=person, levels={"personal_care": 3})
    return services.budget_calculate(person=person, assessment=assessment, by=broker, method="points",
                                     weekly_contribution_pence=3550, contribution_basis="Financial assessment")


@pytest.fixture
def episode(person, broker):
    return ReablementEpisode.objects.create(person=person, starts_on=TODAY, created_by=broker,
                                            planned_end_on=TODAY + datetime.timedelta(weeks=6))


# The person page


def test_person_page_shows_assessments_budget_and_reablement_to_their_broker(client, broker, person, budget,
                                                                              episode):
    AssessmentDraftFactory(person=person, assessed_on=TODAY)
    client.force_login(broker)
    response = client.get(reverse("brokerage:person", args=[person.pk]))
    assert response.status_code == 200
    text = response.text
    assert "Needs assessments" in text and "Draft" in text and "Completed" in text
    assert "£41.25" in text and "£35.50" in text and "£5.75" in text
    assert "Points-based RAS v" in text
    assert reverse("brokerage:budget", args=[person.pk, budget.pk]) in text
    assert reverse("brokerage:assessment_start", args=[person.pk]) in text
    assert reverse("brokerage:budget_new", args=[person.pk]) in text
    assert reverse("brokerage:reablement_end", args=[person.pk, episode.pk]) in text


def test_person_page_query_count_does_not_grow_with_assessments_and_budgets(client, broker, person, budget,
                                                                             episode):
    from brokerage import services

    client.force_login(broker)
    url = reverse("brokerage:person", args=[person.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        AssessmentDraftFactory(person=person)
        assessment = AssessmentCompletedFactory(person=person)
        services.budget_calculate(person=person, assessment=assessment, by=broker, method="points",
                                  weekly_contribution_pence=0)
    ReablementEpisode.objects.create(person=person, starts_on=TODAY - datetime.timedelta(days=100),
                                     planned_end_on=TODAY - datetime.timedelta(days=58), created_by=broker)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["assessments"]) == 9
    assert len(many.captured_queries) == len(few.captured_queries)


def test_person_and_representative_see_the_record_without_actions(client, person, budget):
    for user in (person.user, person.representative):
        client.force_login(user)
        response = client.get(reverse("brokerage:person", args=[person.pk]))
        assert response.status_code == 200
        assert "£41.25" in response.text
        assert reverse("brokerage:assessment_start", args=[person.pk]) not in response.text
        assert reverse("brokerage:budget_new", args=[person.pk]) not in response.text


# Who may reach the pages


def test_another_brokerages_broker_gets_404_on_every_page_and_changes_nothing(client, other_broker, person, budget,
                                                                             episode):
    assessment = AssessmentDraftFactory(person=person)
    client.force_login(other_broker)
    before = snapshot()
    for url in page_urls(person, assessment, budget, episode):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {**all_scores(), **date_fields("assessed_on", TODAY), "action": "complete",
                                  "method": "points", "weekly_contribution": "1.00", "weeks": "6",
                                  **date_fields("starts_on", TODAY), **date_fields("ended_on", TODAY)}
                           ).status_code == 404, url
    assert snapshot() == before


def test_provider_user_is_refused(client, provider_user, person, budget, episode):
    assessment = AssessmentDraftFactory(person=person)
    client.force_login(provider_user)
    before = snapshot()
    for url in page_urls(person, assessment, budget, episode):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("brokerage:assessment_start", args=[person.pk]),
                       date_fields("assessed_on", TODAY)).status_code == 404
    assert snapshot() == before


def test_pages_need_sign_in(client, person):
    response = client.get(reverse("brokerage:assessment_start", args=[person.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_person_reads_their_budget_but_cannot_start_an_assessment(client, person, budget):
    client.force_login(person.user)
    assert client.get(reverse("brokerage:budget", args=[person.pk, budget.pk])).status_code == 200
    before = snapshot()
    url = reverse("brokerage:assessment_start", args=[person.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, date_fields("assessed_on", TODAY)).status_code == 403
    assert client.post(reverse("brokerage:budget_new", args=[person.pk]),
                       {"method": "points", "weekly_contribution": "0"}).status_code == 403
    assert snapshot() == before


def test_finance_officer_reads_but_cannot_assess(client, council, make_member, person, budget):
    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    assert client.get(reverse("brokerage:budget", args=[person.pk, budget.pk])).status_code == 200
    assert client.get(reverse("brokerage:assessment_start", args=[person.pk])).status_code == 403


def test_contract_officer_may_assess_anyone(client, council, make_member, person):
    client.force_login(make_member(Role.CONTRACT_OFFICER, council))
    response = client.post(reverse("brokerage:assessment_start", args=[person.pk]), date_fields("assessed_on", TODAY))
    assert response.status_code == 302
    assert Assessment.objects.filter(person=person).count() == 1


# Starting and scoring an assessment


def test_broker_starts_an_assessment(client, broker, person):
    client.force_login(broker)
    url = reverse("brokerage:assessment_start", args=[person.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {**date_fields("assessed_on", TODAY), "summary": "Stay at home"})
    assessment = Assessment.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == reverse("brokerage:assessment", args=[person.pk, assessment.pk])
    assert assessment.status == AssessmentStatus.DRAFT and assessment.summary == "Stay at home"
    assert assessment.assessed_by == broker and assessment.assessed_on == TODAY


@pytest.mark.parametrize("fields, message", [
    ({"assessed_on_day": "31", "assessed_on_month": "2", "assessed_on_year": "2026"}, "must be a real date"),
    ({"assessed_on_day": "", "assessed_on_month": "", "assessed_on_year": ""}, "Enter the date of the assessment"),
    ({"assessed_on_day": "1", "assessed_on_month": "", "assessed_on_year": "2026"}, "must include a month"),
    (date_fields("assessed_on", TODAY + datetime.timedelta(days=2)), "today or in the past"),
])
def test_a_bad_assessment_date_is_shown_and_nothing_is_saved(client, broker, person, fields, message):
    client.force_login(broker)
    before = snapshot()
    response = client.post(reverse("brokerage:assessment_start", args=[person.pk]), fields)
    assert response.status_code == 200
    assert "There is a problem" in response.text and message in response.text
    assert 'href="#id_assessed_on_0"' in response.text
    assert response.text.count("<title>Error: ") == 1
    assert snapshot() == before


def test_broker_saves_a_draft_then_completes_it(client, broker, person):
    assessment = AssessmentDraftFactory(person=person)
    client.force_login(broker)
    url = reverse("brokerage:assessment", args=[person.pk, assessment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.text.count('class="govuk-radios__input"') == 4 * len(NeedDomain)
    response = client.post(url, {"personal_care": "2", "personal_care_notes": "Needs help to wash",
                                 "action": "save"})
    assert response.status_code == 302 and response["Location"] == url
    assert list(assessment.scores.values_list("domain", "level", "notes")) == [
        ("personal_care", 2, "Needs help to wash")]
    assert 'value="2" checked' in client.get(url).text

    response = client.post(url, {**all_scores(level=1, personal_care=2), "personal_care_notes": "Needs help to wash",
                                 "action": "complete"})
    assert response.status_code == 302 and response["Location"] == reverse("brokerage:person", args=[person.pk])
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert dict(assessment.scores.values_list("domain", "level"))["mobility"] == 1


def test_completing_with_domains_missing_says_which_and_keeps_the_draft(client, broker, person):
    assessment = AssessmentDraftFactory(person=person)
    client.force_login(broker)
    url = reverse("brokerage:assessment", args=[person.pk, assessment.pk])
    response = client.post(url, {"personal_care": "1", "action": "complete"})
    assert response.status_code == 200
    assert "There is a problem" in response.text and "Not scored yet" in response.text
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_a_level_that_is_not_offered_changes_nothing(client, broker, person):
    assessment = AssessmentDraftFactory(person=person)
    client.force_login(broker)
    before = snapshot()
    response = client.post(reverse("brokerage:assessment", args=[person.pk, assessment.pk]),
                           {"personal_care": "7", "action": "save"})
    assert response.status_code == 200
    assert 'href="#id_personal_care_0"' in response.text
    assert snapshot() == before


def test_a_completed_assessment_is_read_only(client, broker, person):
    assessment = AssessmentCompletedFactory(person=person, levels={"mobility": 2})
    client.force_login(broker)
    url = reverse("brokerage:assessment", args=[person.pk, assessment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "govuk-radios__input" not in page.text and "Regular help every day" in page.text
    before = snapshot()
    response = client.post(url, {**all_scores(level=3), "action": "save"})
    assert response.status_code == 302
    assert snapshot() == before


def test_the_person_reads_their_assessment_but_cannot_score_it(client, person):
    assessment = AssessmentDraftFactory(person=person)
    client.force_login(person.user)
    url = reverse("brokerage:assessment", args=[person.pk, assessment.pk])
    page = client.get(url)
    assert page.status_code == 200 and "govuk-radios__input" not in page.text
    before = snapshot()
    assert client.post(url, {**all_scores(), "action": "complete"}).status_code == 403
    assert snapshot() == before


# Working out an indicative budget


def test_broker_works_out_an_indicative_budget(client, broker, person):
    version = points_version()
    assessment = AssessmentCompletedFactory(person=person, levels={"personal_care": 3, "mobility": 1})
    client.force_login(broker)
    url = reverse("brokerage:budget_new", args=[person.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Points-based" in page.text
    response = client.post(url, {"method": "points", "weekly_contribution": "35.50",
                                 "contribution_basis": "Financial assessment of 2 March"})
    budget = PersonalBudget.objects.get(person=person)
    assert response.status_code == 302
    assert response["Location"] == reverse("brokerage:budget", args=[person.pk, budget.pk])
    assert budget.assessment == assessment and budget.ras_version == version
    assert budget.weekly_total_pence == (15 + 4) * 275
    assert budget.weekly_contribution_pence == 3550
    assert budget.weekly_council_pence == (15 + 4) * 275 - 3550


@pytest.mark.parametrize("typed, message", [
    ("abc", "in pounds and pence, like 18.50"),
    ("-1", "must be £0 or more"),
    ("1.234", "in pounds and pence, like 18.50"),
    ("", "Enter the person’s contribution a week, or 0"),
    ("500.00", "cannot be more than the budget"),
])
def test_a_bad_contribution_is_shown_and_nothing_is_saved(client, broker, person, typed, message):
    points_version()
    AssessmentCompletedFactory(person=person, levels={"personal_care": 3})
    client.force_login(broker)
    before = snapshot()
    response = client.post(reverse("brokerage:budget_new", args=[person.pk]),
                           {"method": "points", "weekly_contribution": typed})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert message.replace("’", "&#x27;") in response.text or message in response.text
    assert 'href="#id_weekly_contribution"' in response.text
    assert snapshot() == before


def test_a_method_not_in_use_is_refused(client, broker, person):
    points_version()
    RasVersion.objects.filter(method=RasMethod.COST).update(status=RasVersionStatus.RETIRED)
    AssessmentCompletedFactory(person=person)
    client.force_login(broker)
    before = snapshot()
    response = client.post(reverse("brokerage:budget_new", args=[person.pk]),
                           {"method": "cost", "weekly_contribution": "0"})
    assert response.status_code == 200 and "Select how the budget should be worked out" in response.text
    assert snapshot() == before


def test_no_budget_without_a_completed_assessment(client, broker, person):
    points_version()
    AssessmentDraftFactory(person=person)
    client.force_login(broker)
    url = reverse("brokerage:budget_new", args=[person.pk])
    assert "has no completed needs assessment" in client.get(url).text
    before = snapshot()
    client.post(url, {"method": "points", "weekly_contribution": "0"})
    assert snapshot() == before


# How the budget was worked out


def test_budget_page_explains_the_budget_in_plain_english(client, person, budget):
    client.force_login(person.user)
    response = client.get(reverse("brokerage:budget", args=[person.pk, budget.pk]))
    text = response.text
    assert "How your budget was worked out" in text
    assert "Personal care and hygiene" in text and "Help with everything, all the time" in text
    assert "15 points" in text and "£2.75 a point" in text and "£41.25" in text
    assert "Adjustment for older person" in text
    assert "£35.50" in text and "£5.75" in text and "Financial assessment" in text
    assert 'class="govuk-service-navigation"' in text
    printable = client.get(reverse("brokerage:budget", args=[person.pk, budget.pk]), {"print": "1"})
    assert printable.status_code == 200 and 'class="govuk-service-navigation"' not in printable.text
    assert "£41.25" in printable.text


def test_budget_page_is_404_for_a_budget_of_someone_else(client, broker, person, budget, other_broker):
    stranger = PersonFactory(broker_organisation=other_broker.memberships.get().organisation)
    client.force_login(broker)
    assert client.get(reverse("brokerage:budget", args=[stranger.pk, budget.pk])).status_code == 404
    client.force_login(person.representative)
    assert client.get(reverse("brokerage:budget", args=[person.pk, budget.pk])).status_code == 200


# Reablement


def test_broker_starts_and_ends_reablement(client, broker, person):
    client.force_login(broker)
    url = reverse("brokerage:reablement_start", args=[person.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {**date_fields("starts_on", TODAY), "weeks": "6"})
    assert response.status_code == 302
    episode = ReablementEpisode.objects.get(person=person)
    assert episode.planned_end_on == TODAY + datetime.timedelta(weeks=6)
    end_url = reverse("brokerage:reablement_end", args=[person.pk, episode.pk])
    assert client.get(end_url).status_code == 200
    assert client.post(end_url, date_fields("ended_on", TODAY + datetime.timedelta(days=20))).status_code == 302
    episode.refresh_from_db()
    assert episode.ended_on == TODAY + datetime.timedelta(days=20)


def test_more_than_six_weeks_needs_a_reason(client, broker, person):
    client.force_login(broker)
    before = snapshot()
    response = client.post(reverse("brokerage:reablement_start", args=[person.pk]),
                           {**date_fields("starts_on", TODAY), "weeks": "8"})
    assert response.status_code == 200
    assert 'href="#id_longer_reason"' in response.text and "more than 6 weeks" in response.text
    assert snapshot() == before
