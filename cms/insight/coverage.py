"""Market coverage: which kinds of support approved providers offer in each postcode district, how
many can take someone on now, and where there is nobody who can (the gaps) [K §3(2)-(4)].

Coverage is the market as it is today: listings, approvals and capacity are only known as they
stand now, so the period filter does not apply to these figures."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from cms.insight.figures import Column, Figure
from cms.insight.filters import Filters
from providers.constants import AreaKind, CapacityUnit
from providers.models import Area, ListingClientGroup, ServiceCategory, ServiceListing
from providers.selectors import public_listings

PERIOD_NOTE = "Shows the market as it is today: the period chosen does not apply."
NO_AREA_NOTE = ("Services that name no area (for example, those given by phone or online) are not counted in any "
                "district.")


def areas_covering(district: str):
    """The areas whose services reach postcode district ``district``: the district itself and
    every ward that lies in it (the rule the directory's postcode search uses)."""
    return Area.objects.filter(Q(kind=AreaKind.DISTRICT, code=district)
                               | Q(kind=AreaKind.WARD, districts__code=district))


def district_label(code: str, name: str) -> str:
    return code if name == code else f"{code} ({name})"


@dataclass
class _Cell:
    listings: int = 0
    with_capacity: int = 0
    capacity: dict = field(default_factory=lambda: defaultdict(int))


def _coverage(filters: Filters) -> tuple[list, list, dict]:
    """The categories, the districts and, per (category id, district code), what the public
    services covering the district offer. Three queries whatever the size of the market."""
    categories = list(ServiceCategory.objects.order_by("name").values_list("pk", "name"))
    districts = Area.objects.filter(kind=AreaKind.DISTRICT).order_by("code")
    if filters.area:
        districts = districts.filter(code=filters.area)
    districts = list(districts.values_list("code", "name"))

    listings = public_listings()
    if filters.client_group:
        listings = listings.filter(Exists(ListingClientGroup.objects.filter(
            listing=OuterRef("pk"), client_group=filters.client_group)))
    # One row per listing and area it names; a ward brings one row per district it lies in (a
    # district brings a single row with no ward district), so each row names the district reached.
    links = (ServiceListing.areas.through.objects.filter(servicelisting__in=listings.values("pk"))
             .values_list("servicelisting_id", "servicelisting__category_id", "servicelisting__capacity_unit",
                          "servicelisting__capacity_available", "area__kind", "area__code", "area__districts__code"))
    wanted = {code for code, _ in districts}
    seen, cells = set(), defaultdict(_Cell)
    for listing_id, category_id, unit, available, kind, code, ward_district in links:
        district = code if kind == AreaKind.DISTRICT else ward_district
        # A service naming a district and a ward in it still counts once there.
        if district not in wanted or (listing_id, district) in seen:
            continue
        seen.add((listing_id, district))
        cell = cells[category_id, district]
        cell.listings += 1
        if available:
            cell.with_capacity += 1
            cell.capacity[unit] += available
    return categories, districts, cells


def coverage_by_category(filters: Filters) -> Figure:
    categories, districts, cells = filters.remember("coverage", lambda: _coverage(filters))
    rows = []
    for category_id, category in categories:
        for code, name in districts:
            cell = cells.get((category_id, code)) or _Cell()
            rows.append((category, district_label(code, name), cell.listings, cell.with_capacity,
                         cell.capacity[CapacityUnit.HOURS], cell.capacity[CapacityUnit.PLACES]))
    method = (
        "For each type of support and postcode district: the published services of organisations whose "
        "approval under the quality framework is in force today that cover the district, either by naming it "
        "or by naming a ward in it (a service is counted once however many of its areas are in the district). "
        "'Can take someone on' counts the services whose provider says it has capacity now. Capacity is added "
        "up separately for services counted in hours a week and in places, as the two cannot be added together."
        + (" Only services for the chosen client group are counted." if filters.client_group else ""))
    return Figure(
        slug="coverage-by-category",
        title="Services and capacity by type of support and area",
        method=method,
        columns=(Column("Type of support"), Column("Postcode district"), Column("Services", "count"),
                 Column("Can take someone on", "count"), Column("Hours a week available", "count"),
                 Column("Places available", "count")),
        rows=tuple(rows),
        empty="No postcode districts are set up yet.",
        notes=(PERIOD_NOTE, NO_AREA_NOTE),
    )


def coverage_gaps(filters: Filters) -> Figure:
    categories, districts, cells = filters.remember("coverage", lambda: _coverage(filters))
    rows, gaps = [], []
    for code, name in districts:
        counts = [cells[category_id, code].with_capacity if (category_id, code) in cells else 0
                  for category_id, _ in categories]
        missing = [category for (_, category), count in zip(categories, counts, strict=True) if not count]
        rows.append((district_label(code, name), *counts, len(missing)))
        if missing:
            gaps.append(f"{code}: {', '.join(missing)}.")
    method = (
        "A map of the market as a table: one row per postcode district, one column per type of support. Each "
        "cell counts the published services of organisations approved and in date today that cover the district "
        "(directly or through a ward in it) and say they can take someone on now. A 0 is a gap: nobody approved "
        "can offer that support there today. The last column counts the gaps in the district."
        + (" Only services for the chosen client group are counted." if filters.client_group else ""))
    return Figure(
        slug="coverage-gaps",
        title="Gaps in the market by area",
        method=method,
        columns=(Column("Postcode district"), *(Column(category, "count") for _, category in categories),
                 Column("Gaps", "count")),
        rows=tuple(rows),
        empty="No postcode districts are set up yet.",
        notes=(PERIOD_NOTE, NO_AREA_NOTE, *(["Gaps: " + " ".join(gaps)] if gaps else [])),
    )


FIGURES = [coverage_by_category, coverage_gaps]
