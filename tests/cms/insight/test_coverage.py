"""The market coverage figures: services and capacity by type of support and postcode district,
and the gaps, checked against a small market worked out by hand."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.insight import coverage
from cms.insight.filters import Filters, add_months, first_of_month
from marketplace.constants import ClientGroup
from providers.constants import AccreditationStatus, CapacityUnit
from providers.models import ListingClientGroup, ServiceCategory
from tests.marketplace.factories import ProviderOrganisationFactory
from tests.providers.factories import (
    AccreditationApprovedFactory,
    AreaFactory,
    ServiceListingDraftFactory,
    ServiceListingPausedFactory,
    ServiceListingPublishedFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def filters(months: int = 12, **fields) -> Filters:
    end = first_of_month(TODAY)
    return Filters(start=add_months(end, 1 - months), end=end, today=TODAY, **fields)


def category(slug: str) -> ServiceCategory:
    return ServiceCategory.objects.get(slug=slug)


def approved_provider(**accreditation):
    return AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(), **accreditation).organisation


def listing(areas, *, slug="homecare", available=None, unit=CapacityUnit.HOURS, groups=(), organisation=None,
            factory=ServiceListingPublishedFactory):
    made = factory(organisation=organisation or approved_provider(), category=category(slug),
                   capacity_available=available, capacity_unit=unit)
    made.areas.set(areas)
    for group in groups:
        ListingClientGroup.objects.create(listing=made, client_group=group)
    return made


@pytest.fixture
def market():
    """Three districts; the Dalston ward lies in both E5 and E8.

    homecare        A: E8, 10 h          B: E8 + Dalston, 5 h      C: N16, no capacity (0)
    supported living D: Dalston, 3 places (learning disability)
    day opportunities E: E8, capacity not stated
    Not counted: a draft, a paused service, a lapsed approval, a suspended provider, a provider
    never approved (each in E8 homecare with 100 h), and a service naming no area.

    By type and district (services, can take someone on, hours, places):
      homecare          E5: 1, 1, 5, 0    E8: 2, 2, 15, 0   N16: 1, 0, 0, 0
      supported living  E5: 1, 1, 0, 3    E8: 1, 1, 0, 3
      day opportunities E8: 1, 0, 0, 0
    """
    e5 = AreaFactory(code="E5", name="Clapton")
    e8 = AreaFactory(code="E8", name="Hackney")
    n16 = AreaFactory(code="N16", name="N16")
    dalston = WardFactory(name="Dalston")
    dalston.districts.set([e5, e8])

    listing([e8], available=10)
    listing([e8, dalston], available=5)
    listing([n16], available=0)
    listing([dalston], slug="supported-living", available=3, unit=CapacityUnit.PLACES,
            groups=[ClientGroup.LEARNING_DISABILITY, ClientGroup.MENTAL_HEALTH])
    listing([e8], slug="day-opportunities", groups=[ClientGroup.OLDER_PERSON])

    listing([e8], available=100, factory=ServiceListingDraftFactory)
    listing([e8], available=100, factory=ServiceListingPausedFactory)
    listing([e8], available=100, organisation=approved_provider(expires_on=TODAY - datetime.timedelta(days=1)))
    listing([e8], available=100, organisation=approved_provider(status=AccreditationStatus.SUSPENDED))
    listing([e8], available=100, organisation=ProviderOrganisationFactory())
    listing([], available=100)


def counted(figure) -> dict:
    """The rows that count any service, by (type of support, district)."""
    return {(row[0], row[1]): row[2:] for row in figure.rows if row[2]}


def test_coverage_by_category_counts_services_and_capacity_by_unit(market):
    figure = coverage.coverage_by_category(filters())

    assert [column.label for column in figure.columns] == [
        "Type of support", "Postcode district", "Services", "Can take someone on", "Hours a week available",
        "Places available"]
    assert counted(figure) == {
        ("Day opportunities", "E8 (Hackney)"): (1, 0, 0, 0),
        ("Homecare", "E5 (Clapton)"): (1, 1, 5, 0),
        ("Homecare", "E8 (Hackney)"): (2, 2, 15, 0),
        ("Homecare", "N16"): (1, 0, 0, 0),
        ("Supported living", "E5 (Clapton)"): (1, 1, 0, 3),
        ("Supported living", "E8 (Hackney)"): (1, 1, 0, 3),
    }
    # Every type of support in every district, the empty ones with zeros, by type then district.
    categories = list(ServiceCategory.objects.order_by("name").values_list("name", flat=True))
    assert [(row[0], row[1]) for row in figure.rows] == [
        (name, district) for name in categories for district in ("E5 (Clapton)", "E8 (Hackney)", "N16")]
    assert ("Advocacy", "E8 (Hackney)", 0, 0, 0, 0) in figure.rows


def test_coverage_by_category_narrows_to_the_area_chosen(market):
    figure = coverage.coverage_by_category(filters(area="E5"))

    assert {row[1] for row in figure.rows} == {"E5 (Clapton)"}
    assert counted(figure) == {
        ("Homecare", "E5 (Clapton)"): (1, 1, 5, 0),
        ("Supported living", "E5 (Clapton)"): (1, 1, 0, 3),
    }


def test_coverage_by_category_counts_only_services_for_the_client_group(market):
    assert counted(coverage.coverage_by_category(filters(client_group=ClientGroup.LEARNING_DISABILITY))) == {
        ("Supported living", "E5 (Clapton)"): (1, 1, 0, 3),
        ("Supported living", "E8 (Hackney)"): (1, 1, 0, 3),
    }
    assert counted(coverage.coverage_by_category(filters(client_group=ClientGroup.OLDER_PERSON))) == {
        ("Day opportunities", "E8 (Hackney)"): (1, 0, 0, 0),
    }


def test_coverage_is_the_market_today_whatever_the_period(market):
    assert coverage.coverage_by_category(filters(months=3)).rows == coverage.coverage_by_category(filters()).rows
    assert any("period chosen does not apply" in note for note in coverage.coverage_by_category(filters()).notes)


def test_gaps_map_has_a_row_per_district_and_a_column_per_category(market):
    figure = coverage.coverage_gaps(filters())
    categories = list(ServiceCategory.objects.order_by("name").values_list("name", flat=True))

    assert [column.label for column in figure.columns] == ["Postcode district", *categories, "Gaps"]
    assert all(column.kind == "count" for column in figure.columns[1:])
    rows = {row[0]: dict(zip(categories + ["Gaps"], row[1:], strict=True)) for row in figure.rows}
    assert list(rows) == ["E5 (Clapton)", "E8 (Hackney)", "N16"]
    # Only services that can take someone on close a gap: day opportunities in E8 and homecare in N16
    # have services but no capacity.
    others = len(categories) - 2
    assert rows["E5 (Clapton)"] == {name: 0 for name in categories} | {"Homecare": 1, "Supported living": 1,
                                                                       "Gaps": others}
    assert rows["E8 (Hackney)"] == {name: 0 for name in categories} | {"Homecare": 2, "Supported living": 1,
                                                                       "Gaps": others}
    assert rows["N16"] == {name: 0 for name in categories} | {"Gaps": len(categories)}


def test_gaps_are_listed_in_words_beside_the_map(market):
    figure = coverage.coverage_gaps(filters(area="E8"))

    assert [row[0] for row in figure.rows] == ["E8 (Hackney)"]
    gaps = next(note for note in figure.notes if note.startswith("Gaps:"))
    assert "E8: Advocacy, Day opportunities," in gaps
    assert "Homecare" not in gaps
    assert "Supported living" not in gaps


def test_gaps_follow_the_client_group(market):
    figure = coverage.coverage_gaps(filters(client_group=ClientGroup.MENTAL_HEALTH))
    homecare = [column.label for column in figure.columns].index("Homecare")
    supported = [column.label for column in figure.columns].index("Supported living")

    assert [(row[0], row[homecare], row[supported]) for row in figure.rows] == [
        ("E5 (Clapton)", 0, 1), ("E8 (Hackney)", 0, 1), ("N16", 0, 0)]


def test_no_districts_means_nothing_to_map():
    assert coverage.coverage_gaps(filters()).rows == ()
    assert coverage.coverage_by_category(filters()).rows == ()


def query_counts(**fields) -> dict:
    counts = {}
    for measure in coverage.FIGURES:
        for months in (3, 24):
            with CaptureQueriesContext(connection) as queries:
                measure(filters(months=months, **fields))
            counts[measure.__name__, months] = len(queries)
    return counts


def test_query_counts_do_not_grow_with_the_market_or_months():
    e8 = AreaFactory(code="E8", name="Hackney")
    listing([e8], available=5, groups=[ClientGroup.OLDER_PERSON])
    few = query_counts()
    few_filtered = query_counts(area="E8", client_group=ClientGroup.OLDER_PERSON)

    for number in range(12):
        district = AreaFactory(code=f"N{number + 1}", name=f"N{number + 1}")
        ward = WardFactory()
        ward.districts.set([district, e8])
        listing([district, ward], slug="day-opportunities", available=number, groups=[ClientGroup.OLDER_PERSON])
        listing([ward], slug="advocacy", available=2, unit=CapacityUnit.PLACES)
    many = query_counts()

    assert many == few
    assert query_counts(area="E8", client_group=ClientGroup.OLDER_PERSON) == few_filtered
    assert max(few.values()) <= 3
