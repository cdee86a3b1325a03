"""Assessments, RAS versions and budgets through /api/v1/: scoped reads, POST actions, errors."""

import pytest
from django.utils import timezone

from brokerage.constants import AssessmentStatus, ClientGroup, NeedDomain, RasMethod, RasVersionStatus
from brokerage.models import Assessment, PersonalBudget
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import AssessmentCompletedFactory, AssessmentDraftFactory, PersonFactory, \
    points_version
from tests.marketplace.factories import BrokerOrganisationFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage, client_group=ClientGroup.LEARNING_DISABILITY)


@pytest.fixture
def points(db):
    return points_version(pence_per_point=275, factors={"learning_disability": "1.150"})


@pytest.fixture
def assessment(person):
    return AssessmentCompletedFactory(person=person, levels={"personal_care": 3, "nutrition": 2, "continence": 1})


@pytest.fixture
def other_person():
    return PersonFactory(broker_organisation=BrokerOrganisationFactory())


def events():
    return AuditEvent.objects.exclude(verb__startswith="membership.").count()


def calculate(client, person, assessment, contribution=1500, method="points"):
    return client.post("/api/v1/budgets/", {"person": person.pk, "assessment": assessment.pk, "method": method,
                                            "weekly_contribution_pence": contribution}, content_type="application/json")


def test_a_broker_works_out_a_budget(client, broker, person, assessment, points):
    client.force_login(broker)
    response = calculate(client, person, assessment)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["weekly_total_pence"], body["weekly_contribution_pence"], body["weekly_council_pence"]) == \
        (8855, 1500, 7355)
    assert body["ras_version"] == {"id": points.pk, "method": "points", "number": points.number,
                                   "name": points.name}
    assert body["breakdown"][-1]["kind"] == "factor" and body["breakdown"][-1]["amount_pence"] == 1155
    assert "rate_pence" not in body["breakdown"][0]
    assert AuditEvent.objects.filter(verb="personalbudget.calculated").count() == 1


def test_another_brokerages_person_is_not_found_and_nothing_is_written(client, broker, other_person, points):
    theirs = AssessmentCompletedFactory(person=other_person)
    client.force_login(broker)
    before = events()
    response = calculate(client, other_person, theirs)
    assert response.status_code == 404
    assert not PersonalBudget.objects.exists() and events() == before


def test_another_brokerages_assessment_is_not_found_for_my_person(client, broker, person, other_person, points):
    client.force_login(broker)
    response = calculate(client, person, AssessmentCompletedFactory(person=other_person))
    assert response.status_code == 404
    assert not PersonalBudget.objects.exists()


def test_another_brokerages_budget_is_not_found(client, broker, other_person, make_member, points):
    their_broker = make_member(Role.BROKER, other_person.broker_organisation)
    client.force_login(their_broker)
    budget_id = calculate(client, other_person, AssessmentCompletedFactory(person=other_person), 0).json()["id"]
    client.force_login(broker)
    assert client.get(f"/api/v1/budgets/{budget_id}/").status_code == 404
    assert client.get("/api/v1/budgets/").json()["results"] == []


def test_a_contribution_above_the_budget_is_a_400_saying_so(client, broker, person, assessment, points):
    client.force_login(broker)
    before = events()
    response = calculate(client, person, assessment, contribution=9000)
    assert response.status_code == 400
    assert response.json() == {
        "weekly_contribution_pence": ["The contribution cannot be more than the budget (£88.55 a week)"]}
    assert not PersonalBudget.objects.exists() and events() == before


@pytest.mark.parametrize("contribution", [18.5, "18.50", -1, True])
def test_a_contribution_must_be_whole_pence(client, broker, person, assessment, points, contribution):
    client.force_login(broker)
    response = calculate(client, person, assessment, contribution=contribution)
    assert response.status_code == 400
    assert "weekly_contribution_pence" in response.json()


def test_a_draft_assessment_gives_a_400(client, broker, person, points):
    client.force_login(broker)
    response = calculate(client, person, AssessmentDraftFactory(person=person))
    assert response.status_code == 400
    assert response.json()["assessment"] == ["Complete the assessment before working out a budget"]


def test_a_finance_officer_reads_but_cannot_calculate(client, council, make_member, person, assessment, points):
    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    assert calculate(client, person, assessment).status_code == 403
    assert not PersonalBudget.objects.exists()
    assert client.get(f"/api/v1/assessments/{assessment.pk}/").status_code == 200


def test_signed_out_is_refused(client, person, assessment):
    assert calculate(client, person, assessment).status_code == 403
    assert client.get("/api/v1/budgets/").status_code == 403


def test_an_assessment_from_start_to_complete(client, broker, person):
    client.force_login(broker)
    response = client.post("/api/v1/assessments/", {"person": person.pk, "assessed_on": TODAY.isoformat(),
                                                    "summary": "Stay at home"}, content_type="application/json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    response = client.post(f"/api/v1/assessments/{pk}/scores/", {"scores": {"mobility": 4, "flying": 1}},
                           content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"mobility", "flying"}
    response = client.post(f"/api/v1/assessments/{pk}/complete/")
    assert response.status_code == 400
    assert "Not scored yet" in response.json()["detail"][0]
    response = client.post(f"/api/v1/assessments/{pk}/scores/",
                           {"scores": {domain: 1 for domain in NeedDomain.values}, "notes": {"home": "Stairs"}},
                           content_type="application/json")
    assert response.status_code == 200 and len(response.json()["scores"]) == 10
    response = client.post(f"/api/v1/assessments/{pk}/complete/")
    assert response.status_code == 200 and response.json()["status"] == AssessmentStatus.COMPLETED
    assert [e.verb for e in AuditEvent.objects.exclude(verb__startswith="membership.").order_by("pk")] == \
        ["assessment.started", "assessment.scored", "assessment.completed"]


def test_another_brokerages_assessment_cannot_be_started_scored_or_read(client, broker, other_person):
    theirs = AssessmentDraftFactory(person=other_person)
    client.force_login(broker)
    before = events()
    assert client.post("/api/v1/assessments/", {"person": other_person.pk, "assessed_on": TODAY.isoformat()},
                       content_type="application/json").status_code == 404
    assert client.post(f"/api/v1/assessments/{theirs.pk}/scores/", {"scores": {"home": 1}},
                       content_type="application/json").status_code == 404
    assert client.post(f"/api/v1/assessments/{theirs.pk}/complete/").status_code == 404
    assert client.get(f"/api/v1/assessments/{theirs.pk}/").status_code == 404
    assert Assessment.objects.count() == 1 and not theirs.scores.exists() and events() == before


def test_ras_versions_council_staff_see_drafts_brokers_do_not(client, broker, council, make_member, provider_org):
    draft = points_version(status=RasVersionStatus.DRAFT)
    client.force_login(make_member(Role.CONTRACT_OFFICER, council))
    ids = {v["id"] for v in client.get("/api/v1/ras-versions/").json()["results"]}
    assert draft.pk in ids and len(ids) == 3
    client.force_login(broker)
    body = client.get("/api/v1/ras-versions/", {"status": "active"}).json()["results"]
    assert {v["method"] for v in body} == {RasMethod.POINTS, RasMethod.COST}
    assert client.get(f"/api/v1/ras-versions/{draft.pk}/").status_code == 404
    points = next(v for v in body if v["method"] == RasMethod.POINTS)
    assert points["pence_per_point"] == 275 and len(points["points"]) == 40 and len(points["factors"]) == 5
    client.force_login(make_member(Role.PROVIDER_STAFF, provider_org))
    assert client.get("/api/v1/ras-versions/").json()["results"] == []
