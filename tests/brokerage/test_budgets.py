"""RAS versions, indicative budgets (total, contribution, council share) and reablement."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from brokerage import services
from brokerage.constants import BudgetKind, ClientGroup, NeedDomain, NeedLevel, RasMethod, RasVersionStatus
from brokerage.models import PersonalBudget, RasVersion, ReablementEpisode
from brokerage.selectors import active_ras_versions, budgets_for
from marketplace.constants import Role
from marketplace.models import AuditEvent
from marketplace.scoping import visible_to
from marketplace.transitions import InvalidTransition
from providers.constants import RateUnit
from providers.models import ServiceCategory
from tests.brokerage.factories import (
    AssessmentCompletedFactory,
    AssessmentDraftFactory,
    PersonFactory,
    cost_version,
    points_version,
)
from tests.marketplace.factories import BrokerOrganisationFactory
from tests.providers.factories import ReferenceRateFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NEEDS = {"personal_care": 3, "nutrition": 2, "continence": 1}
COST_ROWS = [("personal_care", 2, "homecare", "hour", "7"), ("nutrition", 1, "homecare", "hour", "1.75"),
             ("mobility", 2, "reablement", "hour", "3")]


@pytest.fixture
def person(brokerage):
    return PersonFactory(broker_organisation=brokerage, client_group=ClientGroup.LEARNING_DISABILITY)


@pytest.fixture
def assessment(person):
    return AssessmentCompletedFactory(person=person, levels=NEEDS)


@pytest.fixture
def points(db):
    # 0/4/9/15 points a level in every domain, £2.75 a point, learning disability × 1.15
    return points_version(pence_per_point=275, factors={"learning_disability": "1.150"})


@pytest.fixture
def cost(db):
    ReferenceRateFactory(category=ServiceCategory.objects.get(slug="homecare"), unit=RateUnit.HOUR, rate_pence=2850)
    return cost_version(rows=COST_ROWS + [("mobility", 2, "transport", "item", "4")])


def calculate(person, assessment, by, method=RasMethod.POINTS, contribution=0, **extra):
    return services.budget_calculate(person=person, assessment=assessment, by=by, method=method,
                                     weekly_contribution_pence=contribution, **extra)


# The starting RAS (migration 0003) --------------------------------------------------------------

def test_the_council_starts_with_one_version_of_each_method_in_use():
    active = {version.method: version for version in active_ras_versions()}
    assert set(active) == {RasMethod.POINTS, RasMethod.COST}
    assert services.activation_gaps(active[RasMethod.POINTS]) == []
    assert active[RasMethod.POINTS].pence_per_point == 275
    slugs = set(active[RasMethod.COST].typical_services.values_list("category__slug", flat=True))
    assert {"homecare", "day-opportunities", "short-breaks", "reablement"} <= slugs


def test_the_starting_points_version_works_out_a_budget(person, broker):
    person.client_group = ClientGroup.OLDER_PERSON
    person.save()
    # personal care "regular help" is 14 points × £2.75 = £38.50, older person × 1
    assessment = AssessmentCompletedFactory(person=person, levels={"personal_care": 2})
    assert calculate(person, assessment, broker).weekly_total_pence == 3850


# Budgets ----------------------------------------------------------------------------------------

def test_points_budget_matches_the_hand_worked_figure(person, assessment, broker, points):
    # 15 + 9 + 4 = 28 points × £2.75 = £77.00; × 1.15 = £88.55
    budget = calculate(person, assessment, broker, contribution=1500, contribution_basis="Financial assessment")
    assert (budget.weekly_total_pence, budget.weekly_contribution_pence, budget.weekly_council_pence) == \
        (8855, 1500, 7355)
    assert budget.kind == BudgetKind.INDICATIVE and budget.ras_version == points
    assert budget.breakdown[-1]["kind"] == "factor" and budget.breakdown[-1]["amount_pence"] == 1155
    assert sum(line["amount_pence"] for line in budget.breakdown) == budget.weekly_total_pence
    assert budget.contribution_basis == "Financial assessment"


def test_cost_budget_matches_the_hand_worked_figure(person, broker, cost):
    # homecare 7h × £28.50 = £199.50; 1.75h × £28.50 = £49.875 → £49.88. Mobility is "none", so its
    # transport and reablement are not wanted.
    assessment = AssessmentCompletedFactory(person=person, levels={"personal_care": 2, "nutrition": 1})
    budget = calculate(person, assessment, broker, method=RasMethod.COST)
    assert budget.weekly_total_pence == 24938
    assert [line["amount_pence"] for line in budget.breakdown] == [19950, 4988]


def test_reablement_in_a_cost_budget_shows_as_free_and_counts_nothing(person, broker, cost):
    ReferenceRateFactory(category=ServiceCategory.objects.get(slug="transport"), unit=RateUnit.ITEM, rate_pence=1975)
    ReferenceRateFactory(category=ServiceCategory.objects.get(slug="reablement"), unit=RateUnit.HOUR,
                         rate_pence=2850)
    assessment = AssessmentCompletedFactory(person=person, levels={"mobility": 2})
    budget = calculate(person, assessment, broker, method=RasMethod.COST)
    assert budget.weekly_total_pence == 7900  # transport 4 × £19.75 only
    free = [line for line in budget.breakdown if line["category"] == "reablement"]
    assert free[0]["amount_pence"] == 0 and free[0]["description"] == "Reablement: free, not part of the budget"


def test_a_cost_budget_needs_reference_rates(person, broker):
    cost_version(rows=[("personal_care", 3, "homecare", "hour", "14")])
    assessment = AssessmentCompletedFactory(person=person, levels={"personal_care": 3})
    with pytest.raises(ValidationError, match="No reference rate for Homecare per hour"):
        calculate(person, assessment, broker, method=RasMethod.COST)
    assert not PersonalBudget.objects.exists()


def test_being_in_reablement_changes_no_budget_or_contribution(person, assessment, broker, points):
    before = calculate(person, assessment, broker, contribution=2000)
    services.reablement_start(person=person, by=broker, starts_on=TODAY)
    during = calculate(person, assessment, broker, contribution=2000)
    fields = ["weekly_total_pence", "weekly_contribution_pence", "weekly_council_pence", "breakdown"]
    assert [getattr(during, f) for f in fields] == [getattr(before, f) for f in fields]


def test_contribution_may_equal_the_budget_leaving_the_council_nothing(person, assessment, broker, points):
    budget = calculate(person, assessment, broker, contribution=8855)
    assert budget.weekly_council_pence == 0


def test_contribution_above_the_budget_is_refused_with_the_budget(person, assessment, broker, points):
    with pytest.raises(ValidationError) as error:
        calculate(person, assessment, broker, contribution=8856)
    assert error.value.message_dict == {
        "weekly_contribution_pence": ["The contribution cannot be more than the budget (£88.55 a week)"]}
    assert not PersonalBudget.objects.exists()


@pytest.mark.parametrize("contribution", [-1, Decimal("10"), 10.0, "10", True])
def test_contribution_must_be_whole_pence_of_zero_or_more(person, assessment, broker, points, contribution):
    with pytest.raises(ValidationError) as error:
        calculate(person, assessment, broker, contribution=contribution)
    assert "weekly_contribution_pence" in error.value.message_dict


def test_the_database_keeps_the_shares_adding_up(person, assessment, broker, points):
    budget = calculate(person, assessment, broker, contribution=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalBudget.objects.filter(pk=budget.pk).update(weekly_council_pence=1)


def test_a_budget_comes_only_from_a_completed_assessment_of_that_person(person, broker, points):
    with pytest.raises(ValidationError) as error:
        calculate(person, AssessmentDraftFactory(person=person), broker)
    assert error.value.message_dict["assessment"] == ["Complete the assessment before working out a budget"]
    someone_else = AssessmentCompletedFactory(person=PersonFactory(broker_organisation=person.broker_organisation))
    with pytest.raises(ValidationError) as error:
        calculate(person, someone_else, broker)
    assert error.value.message_dict["assessment"] == ["Select an assessment of this person"]


def test_a_budget_needs_a_version_in_use(person, assessment, broker):
    RasVersion.objects.filter(method=RasMethod.COST).update(status=RasVersionStatus.RETIRED)
    with pytest.raises(ValidationError) as error:
        calculate(person, assessment, broker, method=RasMethod.COST)
    assert "There is no cost-based RAS in use" in error.value.message_dict["method"][0]


def test_calculating_a_budget_is_audited(person, assessment, broker, points):
    budget = calculate(person, assessment, broker, contribution=500)
    event = AuditEvent.objects.get(verb="personalbudget.calculated")
    assert event.actor == broker and event.target_id == str(budget.pk)
    assert event.after["weekly_total_pence"] == 8855 and event.after["ras_version"] == points.pk


def test_only_the_persons_brokers_and_contract_officers_calculate(person, assessment, points, council, officer,
                                                                   make_member):
    assert calculate(person, assessment, officer).pk
    for user in (make_member(Role.FINANCE_OFFICER, council), make_member(Role.BROKER, BrokerOrganisationFactory())):
        with pytest.raises(PermissionDenied):
            calculate(person, assessment, user)
    assert PersonalBudget.objects.count() == 1


def test_budget_keeps_the_version_that_made_it_after_a_new_one_is_in_use(person, assessment, broker, officer,
                                                                         points):
    first = calculate(person, assessment, broker)
    newer = services.ras_version_create(method=RasMethod.POINTS, name="2027 uplift", by=officer, copy_from=points)
    services.ras_version_set_points(version=newer, by=officer, points={}, factors={}, pence_per_point=300)
    services.ras_version_activate(version=newer, by=officer, reason="Cabinet uplift April 2027")
    second = calculate(person, assessment, broker)
    first.refresh_from_db()
    assert first.ras_version == points and first.weekly_total_pence == 8855
    assert second.ras_version == newer and second.weekly_total_pence == 9660  # 28 × £3.00 × 1.15
    points.refresh_from_db()
    assert points.status == RasVersionStatus.RETIRED
    assert [b.pk for b in budgets_for(person)] == [second.pk, first.pk]


def test_budgets_are_visible_when_the_person_is(person, assessment, broker, points, make_member):
    budget = calculate(person, assessment, broker)
    assert list(visible_to(broker, PersonalBudget)) == [budget]
    assert list(visible_to(make_member(Role.BROKER, BrokerOrganisationFactory()), PersonalBudget)) == []


# RAS versions -----------------------------------------------------------------------------------

def test_a_new_version_is_numbered_next_within_its_method_and_copies_rows(officer):
    start = RasVersion.objects.get(method=RasMethod.COST, status=RasVersionStatus.ACTIVE)
    copy = services.ras_version_create(method=RasMethod.COST, name="Copy", by=officer, copy_from=start)
    assert copy.number == start.number + 1 and copy.status == RasVersionStatus.DRAFT
    assert copy.typical_services.count() == start.typical_services.count() > 0
    points = services.ras_version_create(method=RasMethod.POINTS, name="Blank", by=officer)
    assert points.number == 2 and points.pence_per_point == 0 and not points.points.exists()
    assert AuditEvent.objects.filter(verb="rasversion.created").count() == 2


def test_copy_from_must_be_the_same_method(officer):
    start = RasVersion.objects.get(method=RasMethod.COST, status=RasVersionStatus.ACTIVE)
    with pytest.raises(ValidationError) as error:
        services.ras_version_create(method=RasMethod.POINTS, name="Mixed", by=officer, copy_from=start)
    assert "copy_from" in error.value.message_dict


@pytest.mark.parametrize("role", [Role.BROKER, Role.FINANCE_OFFICER, Role.CONTENT_EDITOR])
def test_only_contract_officers_make_and_activate_versions(role, council, make_member):
    user = make_member(role, council)
    with pytest.raises(PermissionDenied):
        services.ras_version_create(method=RasMethod.POINTS, name="Mine", by=user)
    draft = points_version(status=RasVersionStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        services.ras_version_activate(version=draft, by=user, reason="Because")
    with pytest.raises(PermissionDenied):
        services.ras_version_set_points(version=draft, by=user, points={}, factors={}, pence_per_point=1)


@pytest.mark.parametrize("status", [RasVersionStatus.ACTIVE, RasVersionStatus.RETIRED])
def test_versions_in_use_or_retired_are_never_edited(status, officer):
    version = points_version(status=status)
    with pytest.raises(ValidationError, match="Versions in use cannot be changed; make a new version"):
        services.ras_version_set_points(version=version, by=officer, points={("home", 1): 99}, factors={},
                                        pence_per_point=1)
    assert version.points.get(domain="home", level=1).points == 4
    cost = cost_version(status=status, rows=COST_ROWS)
    with pytest.raises(ValidationError, match="Versions in use cannot be changed"):
        services.ras_version_set_typical_services(version=cost, by=officer, rows=[])
    assert cost.typical_services.count() == 3


def test_set_points_checks_each_value(officer):
    draft = services.ras_version_create(method=RasMethod.POINTS, name="Draft", by=officer)
    with pytest.raises(ValidationError) as error:
        services.ras_version_set_points(
            version=draft, by=officer, points={("home", 1): -2, ("flying", 1): 3, ("home", 4): 1},
            factors={"carer": 1.1, "older_person": "0", "martian": "1"}, pence_per_point=0)
    assert set(error.value.message_dict) == {"points_home_1", "points_flying_1", "points_home_4", "factor_carer",
                                             "factor_older_person", "factor_martian", "pence_per_point"}


def test_set_points_then_activate_retires_the_old_version_in_one_go(officer):
    old = RasVersion.objects.get(method=RasMethod.POINTS, status=RasVersionStatus.ACTIVE)
    draft = services.ras_version_create(method=RasMethod.POINTS, name="Fresh", by=officer, pence_per_point=250)
    incomplete = {(d, level): level * 5 for d in NeedDomain.values for level in NeedLevel.values}
    services.ras_version_set_points(version=draft, by=officer, points=incomplete,
                                    factors={"carer": "1.000"}, pence_per_point=260)
    with pytest.raises(ValidationError) as error:
        services.ras_version_activate(version=draft, by=officer, reason="New year")
    assert "Enter the factor for older person" in error.value.messages
    old.refresh_from_db()
    assert old.status == RasVersionStatus.ACTIVE

    services.ras_version_set_points(version=draft, by=officer, points={},
                                    factors={g: Decimal("1.05") for g in ClientGroup.values}, pence_per_point=260)
    active = services.ras_version_activate(version=draft, by=officer, reason="New year")
    old.refresh_from_db()
    assert (active.status, old.status) == (RasVersionStatus.ACTIVE, RasVersionStatus.RETIRED)
    assert active.activated_by == officer and active.activated_at is not None
    assert RasVersion.objects.filter(method=RasMethod.POINTS, status=RasVersionStatus.ACTIVE).count() == 1
    event = AuditEvent.objects.get(verb="rasversion.active")
    assert event.reason == "New year" and event.target_id == str(draft.pk)
    assert AuditEvent.objects.get(verb="rasversion.retired").target_id == str(old.pk)
    # A second click changes nothing.
    services.ras_version_activate(version=draft, by=officer, reason="Again")
    assert AuditEvent.objects.filter(verb="rasversion.active").count() == 1


def test_activation_lists_missing_points(officer):
    draft = services.ras_version_create(method=RasMethod.POINTS, name="Empty", by=officer)
    with pytest.raises(ValidationError) as error:
        services.ras_version_activate(version=draft, by=officer, reason="Try")
    messages = error.value.messages
    assert "Enter what one point is worth" in messages
    assert any(m.startswith("Enter the points for personal care and hygiene at:") for m in messages)


def test_activation_needs_a_reason(officer):
    draft = points_version(status=RasVersionStatus.DRAFT)
    with pytest.raises(ValidationError) as error:
        services.ras_version_activate(version=draft, by=officer, reason="  ")
    assert "reason" in error.value.message_dict


def test_a_retired_version_cannot_come_back(officer):
    retired = points_version(status=RasVersionStatus.RETIRED)
    with pytest.raises(InvalidTransition):
        services.ras_version_activate(version=retired, by=officer, reason="Undo")


def test_cost_version_activation_needs_a_reference_rate_for_each_counted_service(officer):
    draft = services.ras_version_create(method=RasMethod.COST, name="Cost", by=officer)
    services.ras_version_set_typical_services(version=draft, by=officer, rows=[
        {"domain": "personal_care", "level": 2, "category": "homecare", "unit": "hour", "quantity_per_week": "7"},
        {"domain": "mobility", "level": 2, "category": "reablement", "unit": "hour", "quantity_per_week": "3"},
        {"domain": "safety", "level": 1, "category": "telecare", "unit": "week", "quantity_per_week": Decimal(1)},
    ])
    with pytest.raises(ValidationError) as error:
        services.ras_version_activate(version=draft, by=officer, reason="Rates")
    assert error.value.messages == ["There is no reference rate for Homecare per hour",
                                    "There is no reference rate for Telecare per week"]
    ReferenceRateFactory(category=ServiceCategory.objects.get(slug="homecare"), unit=RateUnit.HOUR)
    ReferenceRateFactory(category=ServiceCategory.objects.get(slug="telecare"), unit=RateUnit.WEEK)
    # Reablement needs no rate: it is free.
    assert services.ras_version_activate(version=draft, by=officer, reason="Rates").status == RasVersionStatus.ACTIVE


def test_typical_services_are_checked_line_by_line(officer):
    draft = services.ras_version_create(method=RasMethod.COST, name="Cost", by=officer)
    good = {"domain": "home", "level": 1, "category": "homecare", "unit": "hour", "quantity_per_week": "1"}
    with pytest.raises(ValidationError) as error:
        services.ras_version_set_typical_services(version=draft, by=officer, rows=[
            good, dict(good), {**good, "quantity_per_week": 1.5}, {**good, "category": "nope", "unit": "fortnight"}])
    assert error.value.message_dict["rows"] == [
        "Line 2: Homecare is already listed for this area and level",
        "Line 3: enter how much a week as a number above 0, like 3.5",
        "Line 4: select a service category; select a unit",
    ]
    assert not draft.typical_services.exists()


def test_the_database_allows_one_version_in_use_per_method():
    with pytest.raises(IntegrityError), transaction.atomic():
        RasVersion.objects.create(method=RasMethod.COST, number=99, name="Second", status=RasVersionStatus.ACTIVE)


# Reablement -------------------------------------------------------------------------------------

def test_reablement_is_six_weeks_by_default(person, broker):
    episode = services.reablement_start(person=person, by=broker, starts_on=TODAY)
    assert episode.planned_end_on == TODAY + datetime.timedelta(weeks=6)
    assert AuditEvent.objects.filter(verb="reablementepisode.started").count() == 1


def test_more_than_six_weeks_needs_the_reason(person, broker):
    with pytest.raises(ValidationError) as error:
        services.reablement_start(person=person, by=broker, starts_on=TODAY, weeks=8)
    assert "longer_reason" in error.value.message_dict
    episode = services.reablement_start(person=person, by=broker, starts_on=TODAY, weeks=8,
                                        longer_reason="Hip fracture; physio advises eight weeks")
    assert episode.planned_end_on == TODAY + datetime.timedelta(weeks=8)


def test_reablement_spells_do_not_overlap(person, broker):
    services.reablement_start(person=person, by=broker, starts_on=TODAY)
    with pytest.raises(ValidationError) as error:
        services.reablement_start(person=person, by=broker, starts_on=TODAY + datetime.timedelta(weeks=2))
    assert "starts_on" in error.value.message_dict
    assert ReablementEpisode.objects.count() == 1


def test_ending_reablement(person, broker):
    episode = services.reablement_start(person=person, by=broker, starts_on=TODAY)
    with pytest.raises(ValidationError):
        services.reablement_end(episode=episode, by=broker, ended_on=TODAY - datetime.timedelta(days=1))
    ended = services.reablement_end(episode=episode, by=broker, ended_on=TODAY + datetime.timedelta(days=20))
    assert ended.ended_on == TODAY + datetime.timedelta(days=20)
    services.reablement_end(episode=episode, by=broker, ended_on=TODAY + datetime.timedelta(days=20))
    assert AuditEvent.objects.filter(verb="reablementepisode.ended").count() == 1
    with pytest.raises(ValidationError):
        services.reablement_end(episode=episode, by=broker, ended_on=TODAY + datetime.timedelta(days=21))


def test_another_brokerage_cannot_record_reablement(person, make_member):
    with pytest.raises(PermissionDenied):
        services.reablement_start(person=person, by=make_member(Role.BROKER, BrokerOrganisationFactory()),
                                  starts_on=TODAY)


def test_reablement_is_visible_when_the_person_is(person, broker, council, make_member):
    episode = services.reablement_start(person=person, by=broker, starts_on=TODAY)
    assert list(visible_to(broker, ReablementEpisode)) == [episode]
    assert list(visible_to(make_member(Role.FINANCE_OFFICER, council), ReablementEpisode)) == [episode]
    assert list(visible_to(make_member(Role.BROKER, BrokerOrganisationFactory()), ReablementEpisode)) == []
