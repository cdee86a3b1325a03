"""The workload figures: plans waiting for sign-off, approvals and evidence about to lapse, and
overdue direct-payment reviews, each checked against a small data set worked out by hand."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.constants import ClientGroup, FinancialRisk, PlanStatus, ReviewStatus
from brokerage.models import SupportPlan
from cms.insight import workload
from cms.insight.filters import Filters, add_months, first_of_month
from providers.constants import AccreditationStatus, StandardScope
from providers.models import Evidence, QualityStandard
from tests.brokerage.factories import PersonFactory, plan_ready
from tests.brokerage.factories_oversight import due_review
from tests.brokerage.factories_signoff import set_cost
from tests.marketplace.factories import BrokerOrganisationFactory, ProviderOrganisationFactory, UserFactory
from tests.providers.factories import (
    AccreditationApprovedFactory,
    AreaFactory,
    ServiceListingPublishedFactory,
    ServiceListingWithdrawnFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def filters(months: int = 12, **fields) -> Filters:
    end = first_of_month(TODAY)
    return Filters(start=add_months(end, 1 - months), end=end, today=TODAY, **fields)


def by_first_column(figure) -> dict:
    return {row[0]: row[1:] for row in figure.rows}


def waiting_plan(days_ago: int, weekly_pence: int, *, person=None, **person_fields) -> SupportPlan:
    """A plan submitted at noon (local time) ``days_ago`` days ago, costing ``weekly_pence`` a week."""
    person = person or PersonFactory(**person_fields)
    plan = set_cost(plan_ready(person=person), weekly_pence)
    submitted = timezone.make_aware(datetime.datetime.combine(TODAY - datetime.timedelta(days=days_ago),
                                                              datetime.time(12)))
    SupportPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.SUBMITTED, submitted_at=submitted,
                                                  submitted_by=plan.created_by)
    return plan


# Plans waiting for a decision -------------------------------------------------------------------

@pytest.fixture
def queue():
    """Seven plans waiting, two that are not (a draft and an approved plan).

    Under 1 week: 2 days (£100) and 6 days (£200) → 2 plans, £300, longest 6 days
    1 to 2 weeks: 7 days (£300) and 13 days (£50)  → 2 plans, £350, longest 13 days
    2 to 4 weeks: 20 days (£10)                    → 1 plan, £10, 20 days
    Over 4 weeks: 28 days (£1) and 45 days (£2)    → 2 plans, £3, longest 45 days
    All: 7 plans, £663, longest 45 days.
    """
    team = BrokerOrganisationFactory(name="Hackney Brokerage CIC")
    plans = {
        "T2": waiting_plan(2, 10000, reference="T2", broker_organisation=team),
        "T6": waiting_plan(6, 20000, reference="T6", broker_organisation=None),
        "T7": waiting_plan(7, 30000, reference="T7", client_group=ClientGroup.LEARNING_DISABILITY),
        "T13": waiting_plan(13, 5000, reference="T13", postcode="N16 7AB"),
        "T20": waiting_plan(20, 1000, reference="T20", broker_organisation=team),
        "T28": waiting_plan(28, 100, reference="T28", broker_organisation=team),
        "T45": waiting_plan(45, 200, reference="T45", broker_organisation=team),
    }
    plan_ready(person=PersonFactory(reference="DRAFT"))
    approved = plan_ready(person=PersonFactory(reference="DONE"))
    SupportPlan.objects.filter(pk=approved.pk).update(status=PlanStatus.APPROVED, submitted_at=timezone.now())
    return plans


def test_approvals_waiting_counts_plans_by_how_long_they_have_waited(queue):
    figure = workload.approvals_waiting(filters())

    assert [column.label for column in figure.columns] == ["Waiting", "Plans", "Weekly cost", "Longest wait (days)"]
    assert figure.rows == (
        ("Under 1 week", 2, 30000, 6),
        ("1 to 2 weeks", 2, 35000, 13),
        ("2 to 4 weeks", 1, 1000, 20),
        ("Over 4 weeks", 2, 300, 45),
        ("All waiting", 7, 66300, 45),
    )


def test_approvals_waiting_band_edges_fall_on_whole_days():
    # Submitted just after midnight 7 days ago is a week old; just before it is still 6 days old.
    plan = waiting_plan(7, 100)
    SupportPlan.objects.filter(pk=plan.pk).update(
        submitted_at=timezone.make_aware(datetime.datetime.combine(TODAY - datetime.timedelta(days=7),
                                                                   datetime.time(0, 1))))
    late = waiting_plan(6, 100)
    SupportPlan.objects.filter(pk=late.pk).update(
        submitted_at=timezone.make_aware(datetime.datetime.combine(TODAY - datetime.timedelta(days=6),
                                                                   datetime.time(23, 59))))

    rows = by_first_column(workload.approvals_waiting(filters()))

    assert rows["Under 1 week"] == (1, 100, 6)
    assert rows["1 to 2 weeks"] == (1, 100, 7)


def test_approvals_waiting_follows_client_group_and_area(queue):
    rows = by_first_column(workload.approvals_waiting(filters(client_group=ClientGroup.LEARNING_DISABILITY)))
    assert rows["All waiting"] == (1, 30000, 7)
    assert rows["1 to 2 weeks"] == (1, 30000, 7)
    assert rows["Under 1 week"] == (0, 0, None)

    rows = by_first_column(workload.approvals_waiting(filters(area="N16")))
    assert rows["All waiting"] == (1, 5000, 13)

    rows = by_first_column(workload.approvals_waiting(filters(area="E8")))
    assert rows["All waiting"] == (6, 61300, 45)


def test_approvals_waiting_with_nothing_waiting_shows_zeros():
    figure = workload.approvals_waiting(filters())

    assert figure.rows[-1] == ("All waiting", 0, 0, None)
    assert figure.formatted_rows()[-1] == ["All waiting", "0", "£0.00", "–"]


def test_plans_without_a_submission_date_are_shown_apart(queue):
    SupportPlan.objects.filter(pk=queue["T2"].pk).update(submitted_at=None)

    figure = workload.approvals_waiting(filters())

    assert by_first_column(figure)["Date of submission not recorded"] == (1, 10000, None)
    assert by_first_column(figure)["Under 1 week"] == (1, 20000, 6)
    assert figure.rows[-1] == ("All waiting", 7, 66300, 45)


def test_oldest_plans_are_listed_by_case_reference_without_names(queue):
    figure = workload.approvals_oldest(filters())

    day = datetime.timedelta(days=1)
    assert figure.rows == (
        ("T45", 1, "Hackney Brokerage CIC", TODAY - 45 * day, 45, 200),
        ("T28", 1, "Hackney Brokerage CIC", TODAY - 28 * day, 28, 100),
        ("T20", 1, "Hackney Brokerage CIC", TODAY - 20 * day, 20, 1000),
        ("T13", 1, queue["T13"].person.broker_organisation.name, TODAY - 13 * day, 13, 5000),
        ("T7", 1, queue["T7"].person.broker_organisation.name, TODAY - 7 * day, 7, 30000),
        ("T6", 1, "No broker chosen", TODAY - 6 * day, 6, 20000),
        ("T2", 1, "Hackney Brokerage CIC", TODAY - 2 * day, 2, 10000),
    )
    shown = " ".join(" ".join(row) for row in figure.formatted_rows())
    for plan in queue.values():
        assert plan.person.first_name not in shown


def test_oldest_plans_list_stops_at_twenty():
    for days_ago in range(22):
        waiting_plan(days_ago, 100)

    figure = workload.approvals_oldest(filters())

    assert len(figure.rows) == 20
    assert [row[4] for row in figure.rows] == list(range(21, 1, -1))


def test_oldest_plans_follow_the_filters(queue):
    assert [row[0] for row in workload.approvals_oldest(filters(area="N16")).rows] == ["T13"]
    assert [row[0] for row in workload.approvals_oldest(
        filters(client_group=ClientGroup.LEARNING_DISABILITY)).rows] == ["T7"]
    assert workload.approvals_oldest(filters(client_group=ClientGroup.CARER)).rows == ()


# Approvals and evidence expiring ---------------------------------------------------------------

def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def evidence(organisation, standard, expires_on, *, by):
    return Evidence.objects.create(organisation=organisation, standard=standard, file="evidence/test.pdf",
                                   original_name="certificate.pdf", issued_on=expires_on - datetime.timedelta(days=365),
                                   expires_on=expires_on, uploaded_by=by)


@pytest.fixture
def expiring():
    """Approvals and evidence around the 90-day horizon.

    Listed (soonest first):
      Cedar: approval ended 2 days ago but the overnight job has not yet marked it expired (-2)
      Alder: T-01 evidence lapsed 5 days ago, the approval still in force (-5, before Cedar)
      Alder: approval ends in 10 days
      Birch: T-01 evidence ends in 30 days (its older upload, ending in 3 days, is not listed)
      Damson (suspended): approval ends in 90 days, the last day counted
    Not listed: Birch's approval (200 days); Elm (withdrawn) and Fir (expired) whatever their dates;
    Birch's T-01 evidence ending in 40 days is replaced by one ending in 200; evidence for a retired
    standard and for a standard for brokers only, at a provider.
    """
    by = UserFactory()
    current = QualityStandard.objects.create(code="T-01", title="Safe staffing", evidence_required="Rota")
    retired = QualityStandard.objects.create(code="T-02", title="Old rule", evidence_required="x", active=False)
    brokers_only = QualityStandard.objects.create(code="T-03", title="Planning", evidence_required="x",
                                                  applies_to=StandardScope.BROKERS)
    second = QualityStandard.objects.create(code="T-04", title="Training", evidence_required="Records")

    alder = AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Alder Care"),
                                         expires_on=days(10)).organisation
    birch = AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Birch Homes"),
                                         expires_on=days(200)).organisation
    cedar = AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Cedar Support"),
                                         expires_on=days(-2)).organisation
    AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Damson Living"),
                                 status=AccreditationStatus.SUSPENDED, expires_on=days(90))
    AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Damson Later"),
                                 expires_on=days(91))
    elm = AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Elm Care"),
                                       status=AccreditationStatus.WITHDRAWN, expires_on=days(5)).organisation
    AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Fir Care"),
                                 status=AccreditationStatus.EXPIRED, expires_on=days(-30))

    evidence(alder, current, days(-5), by=by)
    evidence(birch, current, days(3), by=by)
    evidence(birch, current, days(30), by=by)
    evidence(birch, second, days(40), by=by)
    evidence(birch, second, days(200), by=by)
    evidence(birch, retired, days(20), by=by)
    evidence(birch, brokers_only, days(20), by=by)
    evidence(elm, current, days(20), by=by)

    e8, n16 = AreaFactory(code="E8", name="E8"), AreaFactory(code="N16", name="N16")
    ward = WardFactory(name="Dalston")
    ward.districts.set([e8])
    ServiceListingPublishedFactory(organisation=alder).areas.set([ward])
    ServiceListingWithdrawnFactory(organisation=birch).areas.set([e8])
    ServiceListingPublishedFactory(organisation=cedar).areas.set([n16])
    return {"alder": alder, "birch": birch, "cedar": cedar}


APPROVAL = "Approval under the quality framework"


def test_expiring_soon_lists_approvals_and_latest_evidence_soonest_first(expiring):
    figure = workload.expiring_soon(filters())

    assert figure.rows == (
        ("Alder Care", "Evidence for T-01 Safe staffing", days(-5), -5,
         "Expired 5 days ago; organisation still approved"),
        ("Cedar Support", APPROVAL, days(-2), -2, "Expired 2 days ago; organisation still approved"),
        ("Alder Care", APPROVAL, days(10), 10, ""),
        ("Birch Homes", "Evidence for T-01 Safe staffing", days(30), 30, ""),
        ("Damson Living", APPROVAL, days(90), 90, "Organisation suspended"),
    )
    assert any("client group filter does not apply" in note for note in figure.notes)


def test_expiring_soon_with_an_area_keeps_organisations_with_a_service_there(expiring):
    # Alder covers a ward in E8; Birch's only E8 service is withdrawn; Cedar covers N16.
    assert {row[0] for row in workload.expiring_soon(filters(area="E8")).rows} == {"Alder Care"}
    assert {row[0] for row in workload.expiring_soon(filters(area="N16")).rows} == {"Cedar Support"}


def test_expiring_soon_ignores_client_group_and_period(expiring):
    everything = workload.expiring_soon(filters()).rows

    assert workload.expiring_soon(filters(client_group=ClientGroup.CARER)).rows == everything
    assert workload.expiring_soon(filters(months=3)).rows == everything


def test_two_uploads_ending_the_same_day_are_listed_once(expiring):
    evidence(expiring["birch"], QualityStandard.objects.get(code="T-01"), days(30), by=UserFactory())

    rows = [row for row in workload.expiring_soon(filters()).rows if row[0] == "Birch Homes"]

    assert rows == [("Birch Homes", "Evidence for T-01 Safe staffing", days(30), 30, "")]


# Direct-payment reviews overdue ------------------------------------------------------------------

@pytest.fixture
def reviews():
    """Overdue reviews, with the month bands counted back from today.

    Up to 1 month:  due yesterday (low, R1), due exactly a month ago (high, R2)
    1 to 3 months:  a month and a day ago (medium, R3), exactly three months ago (low, R4)
    Over 3 months:  three months and a day ago (high, R5; a carer in N16)
    Not overdue: due today, due next week, and a completed review due long ago.
    """
    one_month, three_months = TODAY - relativedelta(months=1), TODAY - relativedelta(months=3)
    day = datetime.timedelta(days=1)
    team = BrokerOrganisationFactory(name="Islington Brokerage")
    made = {
        "R1": due_review(person=PersonFactory(reference="R1", broker_organisation=team), due_on=TODAY - day),
        "R2": due_review(person=PersonFactory(reference="R2", broker_organisation=None), due_on=one_month,
                         risk=FinancialRisk.HIGH),
        "R3": due_review(person=PersonFactory(reference="R3", broker_organisation=team), due_on=one_month - day,
                         risk=FinancialRisk.MEDIUM),
        "R4": due_review(person=PersonFactory(reference="R4", broker_organisation=team), due_on=three_months),
        "R5": due_review(person=PersonFactory(reference="R5", broker_organisation=team, client_group=ClientGroup.CARER,
                                              postcode="N16 7AB"),
                         due_on=three_months - day, risk=FinancialRisk.HIGH),
    }
    due_review(due_on=TODAY)
    due_review(due_on=TODAY + 7 * day)
    due_review(due_on=TODAY - 200 * day, status=ReviewStatus.COMPLETED, outcome="no_concerns",
               completed_on=TODAY - 100 * day)
    return made


def test_reviews_overdue_counts_by_how_late_and_risk(reviews):
    figure = workload.reviews_overdue(filters())

    assert [column.label for column in figure.columns] == [
        "Overdue by", "Low risk", "Medium risk", "High risk", "All"]
    assert figure.rows == (
        ("Up to 1 month", 1, 0, 1, 2),
        ("1 to 3 months", 1, 1, 0, 2),
        ("Over 3 months", 0, 0, 1, 1),
    )
    assert figure.chart.kind == "stacked"
    assert all(figure.columns[index].kind == "count" for index in figure.chart.series)


def test_reviews_overdue_follows_client_group_and_area(reviews):
    assert workload.reviews_overdue(filters(client_group=ClientGroup.CARER)).rows == (
        ("Up to 1 month", 0, 0, 0, 0),
        ("1 to 3 months", 0, 0, 0, 0),
        ("Over 3 months", 0, 0, 1, 1),
    )
    assert [row[-1] for row in workload.reviews_overdue(filters(area="E8")).rows] == [2, 2, 0]


def test_overdue_reviews_are_listed_most_overdue_first(reviews):
    figure = workload.reviews_overdue_list(filters())

    def late(due_on):
        return (TODAY - due_on).days

    due = {reference: review.due_on for reference, review in reviews.items()}
    assert figure.rows == (
        ("R5", due["R5"], late(due["R5"]), "High", "Islington Brokerage"),
        ("R4", due["R4"], late(due["R4"]), "Low", "Islington Brokerage"),
        ("R3", due["R3"], late(due["R3"]), "Medium", "Islington Brokerage"),
        ("R2", due["R2"], late(due["R2"]), "High", "No broker chosen"),
        ("R1", due["R1"], 1, "Low", "Islington Brokerage"),
    )
    assert late(due["R5"]) > 89


def test_overdue_review_list_follows_the_filters(reviews):
    assert [row[0] for row in workload.reviews_overdue_list(filters(area="N16")).rows] == ["R5"]
    assert [row[0] for row in workload.reviews_overdue_list(
        filters(client_group=ClientGroup.OLDER_PERSON)).rows] == ["R4", "R3", "R2", "R1"]


# Every figure ------------------------------------------------------------------------------------

def test_every_figure_has_columns_matching_its_rows(queue, expiring, reviews):
    for measure in workload.FIGURES:
        figure = measure(filters())
        assert figure.rows, figure.slug
        assert all(len(row) == len(figure.columns) for row in figure.rows), figure.slug
        figure.formatted_rows()
        figure.csv_rows()


def query_counts(**fields) -> dict:
    counts = {}
    for measure in workload.FIGURES:
        for months in (3, 24):
            with CaptureQueriesContext(connection) as queries:
                measure(filters(months=months, **fields))
            counts[measure.__name__, months] = len(queries)
    return counts


def test_query_counts_do_not_grow_with_records_or_months():
    waiting_plan(3, 100)
    due_review(due_on=TODAY - datetime.timedelta(days=3))
    organisation = AccreditationApprovedFactory(expires_on=days(5)).organisation
    standard = QualityStandard.objects.create(code="T-01", title="Safe staffing", evidence_required="Rota")
    evidence(organisation, standard, days(6), by=UserFactory())
    AreaFactory(code="E8", name="E8")
    few = query_counts()
    few_in_area = query_counts(area="E8", client_group=ClientGroup.OLDER_PERSON)

    for days_ago in range(0, 60, 4):
        waiting_plan(days_ago, 100 + days_ago)
        due_review(due_on=TODAY - datetime.timedelta(days=days_ago * 7 + 1))
        other = AccreditationApprovedFactory(expires_on=days(days_ago)).organisation
        evidence(other, standard, days(days_ago + 1), by=UserFactory())
    many = query_counts()

    assert many == few
    assert query_counts(area="E8", client_group=ClientGroup.OLDER_PERSON) == few_in_area
    assert max(few.values()) <= 2
    assert all(few[name, 3] == few[name, 24] for name, _ in few)
