"""Assessments of need: who may assess, scoring each domain, completing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from brokerage import services
from brokerage.constants import AssessmentStatus, NeedDomain
from brokerage.models import Assessment, NeedScore
from brokerage.selectors import assessments_for
from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.scoping import visible_to
from tests.brokerage.factories import AssessmentCompletedFactory, AssessmentDraftFactory, PersonFactory
from tests.marketplace.factories import BrokerOrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EVERY_DOMAIN = {domain: 1 for domain in NeedDomain.values}


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage)


@pytest.fixture
def draft(person, broker):
    return services.assessment_start(person=person, by=broker, assessed_on=TODAY)


def events(verb):
    return AuditEvent.objects.filter(verb=verb)


def test_a_broker_of_the_persons_brokerage_starts_an_assessment(person, broker):
    assessment = services.assessment_start(person=person, by=broker, assessed_on=TODAY, summary="  Stay at home ")
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.assessed_by == broker and assessment.summary == "Stay at home"
    event = events("assessment.started").get()
    assert event.actor == broker and event.target_id == str(assessment.pk)


def test_a_contract_officer_may_assess_anyone(person, council, make_member):
    officer = make_member(Role.CONTRACT_OFFICER, council)
    assert services.assessment_start(person=person, by=officer, assessed_on=TODAY).pk


@pytest.mark.parametrize("who", ["other_broker", "finance_officer", "provider_staff", "representative"])
def test_others_may_not_assess(who, person, council, provider_org, make_member):
    users = {
        "other_broker": lambda: make_member(Role.BROKER, BrokerOrganisationFactory()),
        "finance_officer": lambda: make_member(Role.FINANCE_OFFICER, council),
        "provider_staff": lambda: make_member(Role.PROVIDER_STAFF, provider_org),
        "representative": lambda: UserFactory(),
    }
    user = users[who]()
    if who == "representative":
        person.representative = user
        person.save()
    with pytest.raises(PermissionDenied):
        services.assessment_start(person=person, by=user, assessed_on=TODAY)
    assert not Assessment.objects.exists()


def test_a_broker_may_not_assess_a_person_who_has_not_consented(person, broker):
    person.consent_to_share = False
    person.save()
    with pytest.raises(PermissionDenied):
        services.assessment_start(person=person, by=broker, assessed_on=TODAY)


def test_a_broker_who_represents_someone_else_may_not_assess_them(broker):
    # They can see the record as the representative, but it is not their brokerage's case.
    stranger = PersonFactory(representative=broker)
    assert visible_to(broker, type(stranger).objects.filter(pk=stranger.pk)).exists()
    with pytest.raises(PermissionDenied):
        services.assessment_start(person=stranger, by=broker, assessed_on=TODAY)


def test_an_assessment_cannot_be_dated_in_the_future(person, broker):
    with pytest.raises(ValidationError) as error:
        services.assessment_start(person=person, by=broker, assessed_on=TODAY + datetime.timedelta(days=1))
    assert "assessed_on" in error.value.message_dict


def test_scoring_sets_levels_and_notes_and_is_audited(draft, broker):
    services.assessment_score(assessment=draft, by=broker, scores={"personal_care": 3, "nutrition": 0},
                              notes={"personal_care": "Needs two carers to wash"})
    scores = {s.domain: (s.level, s.notes) for s in draft.scores.all()}
    assert scores == {"personal_care": (3, "Needs two carers to wash"), "nutrition": (0, "")}
    event = events("assessment.scored").get()
    assert event.after == {"personal_care": 3, "nutrition": 0}
    assert event.before == {"personal_care": None, "nutrition": None}


def test_scoring_again_changes_only_what_is_named_and_records_the_old_level(draft, broker):
    services.assessment_score(assessment=draft, by=broker, scores={"personal_care": 3, "nutrition": 1})
    services.assessment_score(assessment=draft, by=broker, scores={"personal_care": 2})
    assert dict(draft.scores.values_list("domain", "level")) == {"personal_care": 2, "nutrition": 1}
    assert events("assessment.scored").latest("pk").before == {"personal_care": 3}


def test_scoring_the_same_levels_again_writes_no_event(draft, broker):
    services.assessment_score(assessment=draft, by=broker, scores={"mobility": 2})
    services.assessment_score(assessment=draft, by=broker, scores={"mobility": 2})
    assert events("assessment.scored").count() == 1


def test_unknown_domains_and_levels_out_of_range_are_refused_by_domain(draft, broker):
    with pytest.raises(ValidationError) as error:
        services.assessment_score(assessment=draft, by=broker,
                                  scores={"flying": 1, "mobility": 4, "safety": -1, "home": "lots", "community": True})
    messages = error.value.message_dict
    assert messages["flying"] == ["Select an area of daily life from the list"]
    assert messages["mobility"] == ["Select the level of need for moving around indoors and out"]
    assert set(messages) == {"flying", "mobility", "safety", "home", "community"}
    assert not NeedScore.objects.exists()


def test_notes_need_a_level(draft, broker):
    with pytest.raises(ValidationError) as error:
        services.assessment_score(assessment=draft, by=broker, scores={}, notes={"home": "Cluttered"})
    assert "home" in error.value.message_dict


def test_a_completed_assessment_cannot_change(broker, person):
    completed = AssessmentCompletedFactory(person=person)
    with pytest.raises(ValidationError, match="completed and cannot change"):
        services.assessment_score(assessment=completed, by=broker, scores={"mobility": 3})
    assert completed.scores.get(domain="mobility").level == 0


def test_completing_needs_every_domain_scored_and_names_the_missing_ones(draft, broker):
    services.assessment_score(assessment=draft, by=broker,
                              scores={d: 1 for d in NeedDomain.values if d not in {"home", "carer_role"}})
    with pytest.raises(ValidationError) as error:
        services.assessment_complete(assessment=draft, by=broker)
    assert error.value.messages == ["Score every area of daily life before completing the assessment. "
                                    "Not scored yet: keeping a home habitable, caring for someone else"]
    draft.refresh_from_db()
    assert draft.status == AssessmentStatus.DRAFT and draft.completed_at is None


def test_completing_sets_the_time_and_a_second_click_changes_nothing(draft, broker):
    services.assessment_score(assessment=draft, by=broker, scores=EVERY_DOMAIN)
    first = services.assessment_complete(assessment=draft, by=broker)
    assert first.status == AssessmentStatus.COMPLETED and first.completed_at is not None
    second = services.assessment_complete(assessment=draft, by=broker)
    assert second.completed_at == first.completed_at
    assert events("assessment.completed").count() == 1


def test_another_brokerage_cannot_score_or_complete(draft, make_member):
    stranger = make_member(Role.BROKER, BrokerOrganisationFactory())
    with pytest.raises(PermissionDenied):
        services.assessment_score(assessment=draft, by=stranger, scores={"mobility": 1})
    with pytest.raises(PermissionDenied):
        services.assessment_complete(assessment=draft, by=stranger)
    assert not draft.scores.exists()


def test_assessments_are_visible_when_the_person_is(person, broker, council, make_member):
    mine = AssessmentDraftFactory(person=person)
    theirs = AssessmentDraftFactory()
    assert list(visible_to(broker, Assessment)) == [mine]
    finance = make_member(Role.FINANCE_OFFICER, council)
    assert set(visible_to(finance, Assessment)) == {mine, theirs}
    assert list(visible_to(UserFactory(), Assessment)) == []


def test_assessments_for_lists_a_persons_assessments_with_scores(person, django_assert_num_queries):
    AssessmentCompletedFactory(person=person)
    AssessmentDraftFactory(person=person)
    AssessmentDraftFactory()
    with django_assert_num_queries(2):
        found = list(assessments_for(person))
        assert [len(a.scores.all()) for a in found] in ([10, 0], [0, 10])
