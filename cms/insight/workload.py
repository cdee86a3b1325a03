"""The council's work in hand: support plans waiting for a decision and how long they have waited,
approvals and evidence about to lapse, and direct-payment reviews that are overdue.

Each is counted as it stands today, so the period filter does not apply. People are named by
their case reference only: dashboards are shared more widely than case records."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import BigIntegerField, Count, Exists, F, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from brokerage.constants import FinancialRisk, PlanStatus, ReviewStatus
from brokerage.models import DirectPaymentReview, SupportPlan
from brokerage.selectors.approval import with_weekly_cost
from cms.insight.coverage import areas_covering
from cms.insight.figures import Chart, Column, Figure
from cms.insight.filters import Filters
from providers.constants import AccreditationStatus, ListingStatus, StandardScope
from providers.models import Accreditation, Evidence, ServiceListing

TODAY_NOTE = "Counted as at today: the period chosen does not apply."
NO_BROKER = "No broker chosen"

# Plans waiting for a decision, by whole days since submission: (label, fewest days, most days).
WAITING_BANDS = (
    ("Under 1 week", 0, 6),
    ("1 to 2 weeks", 7, 13),
    ("2 to 4 weeks", 14, 27),
    ("Over 4 weeks", 28, None),
)
OLDEST_LISTED = 20

# Accreditations and evidence that lapse within this many days are listed.
EXPIRY_HORIZON_DAYS = 90
# Accreditations still counted as held: the daily job moves both to "expired" once the date passes.
HELD_STATUSES = (AccreditationStatus.APPROVED, AccreditationStatus.SUSPENDED)


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the council's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _days_since(moment: datetime.datetime, today: datetime.date) -> int:
    return (today - timezone.localdate(moment)).days


def _waiting(filters: Filters):
    return SupportPlan.objects.filter(filters.people("person__"), status=PlanStatus.SUBMITTED)


def approvals_waiting(filters: Filters) -> Figure:
    today = filters.today
    bands = {}
    for index, (_, fewest, most) in enumerate(WAITING_BANDS):
        # Whole days waiting run from the local date of submission, so the bounds are local midnights.
        q = Q(submitted_at__lt=_start_of(today - datetime.timedelta(days=fewest - 1)))
        if most is not None:
            q &= Q(submitted_at__gte=_start_of(today - datetime.timedelta(days=most)))
        bands[index] = q
    aggregates = {}
    for index, q in bands.items():
        aggregates[f"plans_{index}"] = Count("pk", filter=q)
        aggregates[f"weekly_{index}"] = Coalesce(Sum("weekly_pence", filter=q), 0, output_field=BigIntegerField())
        aggregates[f"oldest_{index}"] = Min("submitted_at", filter=q)
    unrecorded = Q(submitted_at__isnull=True)
    aggregates["plans_unrecorded"] = Count("pk", filter=unrecorded)
    aggregates["weekly_unrecorded"] = Coalesce(Sum("weekly_pence", filter=unrecorded), 0,
                                               output_field=BigIntegerField())
    aggregates["oldest_all"] = Min("submitted_at")
    totals = with_weekly_cost(_waiting(filters)).aggregate(**aggregates)

    rows = []
    for index, (label, _, _) in enumerate(WAITING_BANDS):
        oldest = totals[f"oldest_{index}"]
        rows.append((label, totals[f"plans_{index}"], totals[f"weekly_{index}"],
                     _days_since(oldest, today) if oldest else None))
    if totals["plans_unrecorded"]:
        rows.append(("Date of submission not recorded", totals["plans_unrecorded"], totals["weekly_unrecorded"], None))
    count = sum(row[1] for row in rows)
    oldest = totals["oldest_all"]
    rows.append(("All waiting", count, sum(row[2] for row in rows),
                 _days_since(oldest, today) if oldest else None))
    return Figure(
        slug="approvals-waiting",
        title="Support plans waiting for a decision",
        method=("Support plans submitted to the council and not yet approved, returned or rejected, grouped by how "
                "many whole days have passed since the broker submitted them (under 1 week is 0 to 6 days, 1 to 2 "
                "weeks is 7 to 13, 2 to 4 weeks is 14 to 27, over 4 weeks is 28 or more). The weekly cost is what "
                "the plans' lines cost a week (price times quantity), added up. The longest wait is the age in days "
                "of the oldest plan in each group."),
        columns=(Column("Waiting"), Column("Plans", "count"), Column("Weekly cost", "pence"),
                 Column("Longest wait (days)", "count")),
        rows=tuple(rows),
        notes=(TODAY_NOTE,),
    )


def approvals_oldest(filters: Filters) -> Figure:
    today = filters.today
    plans = (with_weekly_cost(_waiting(filters))
             .order_by(F("submitted_at").asc(nulls_first=True), "pk")
             .values_list("person__reference", "version", "person__broker_organisation__name", "submitted_at",
                          "weekly_pence")[:OLDEST_LISTED])
    rows = tuple((reference, version, broker or NO_BROKER,
                  timezone.localdate(submitted) if submitted else None,
                  _days_since(submitted, today) if submitted else None, weekly)
                 for reference, version, broker, submitted, weekly in plans)
    return Figure(
        slug="approvals-oldest",
        title=f"The {OLDEST_LISTED} support plans waiting longest",
        method=(f"The {OLDEST_LISTED} support plans that have waited longest for the council's decision since "
                "their broker submitted them, oldest first, with the person's case reference, the broker "
                "organisation they chose and what the plan costs a week. Plans whose submission date was not "
                "recorded come first."),
        columns=(Column("Case reference"), Column("Plan version", "count"), Column("Broker"),
                 Column("Submitted", "date"), Column("Days waiting", "count"), Column("Weekly cost", "pence")),
        rows=rows,
        empty="No support plans are waiting for a decision.",
        notes=(TODAY_NOTE,),
    )


def _organisations_in_area(filters: Filters) -> Q:
    """Rows whose ``organisation`` has a service, in any state but withdrawn, that covers the
    chosen district; every row when no area is chosen."""
    if not filters.area:
        return Q()
    listed = (ServiceListing.objects.filter(organisation=OuterRef("organisation"),
                                            areas__in=areas_covering(filters.area))
              .exclude(status=ListingStatus.WITHDRAWN))
    return Q(Exists(listed))


def expiring_soon(filters: Filters) -> Figure:
    today = filters.today
    horizon = today + datetime.timedelta(days=EXPIRY_HORIZON_DAYS)
    accreditations = (Accreditation.objects.filter(_organisations_in_area(filters),
                                                   status__in=HELD_STATUSES, expires_on__lte=horizon)
                      .values_list("organisation__name", "status", "expires_on"))
    # Only the upload that lasts longest for a standard counts: evidence already renewed is not listed.
    renewed = Evidence.objects.filter(organisation=OuterRef("organisation"), standard=OuterRef("standard"),
                                      expires_on__gt=OuterRef("expires_on"))
    applies = (Q(standard__applies_to=StandardScope.BOTH)
               | Q(standard__applies_to=StandardScope.PROVIDERS, organisation__is_provider=True)
               | Q(standard__applies_to=StandardScope.BROKERS, organisation__is_broker=True))
    evidence = (Evidence.objects.filter(applies, _organisations_in_area(filters),
                                        organisation__accreditation__status__in=HELD_STATUSES,
                                        standard__active=True, expires_on__lte=horizon)
                .exclude(Exists(renewed))
                .values_list("organisation__name", "standard__code", "standard__title", "expires_on",
                             "organisation__accreditation__status")
                # Two uploads for a standard ending on the same day are one thing to renew.
                .order_by().distinct())

    found = []
    for name, status, expires_on in accreditations:
        found.append((expires_on, name, "Approval under the quality framework", status))
    for name, code, title, expires_on, status in evidence:
        found.append((expires_on, name, f"Evidence for {code} {title}", status))
    rows = []
    for expires_on, name, what, status in sorted(found):
        days_left = (expires_on - today).days
        standing = "suspended" if status == AccreditationStatus.SUSPENDED else "approved"
        if days_left < 0:
            note = f"Expired {-days_left} day{'' if days_left == -1 else 's'} ago; organisation still {standing}"
        else:
            note = "Organisation suspended" if standing == "suspended" else ""
        rows.append((name, what, expires_on, days_left, note))
    return Figure(
        slug="expiring-soon",
        title=f"Approvals and evidence expiring in the next {EXPIRY_HORIZON_DAYS} days",
        method=(f"Organisations' approvals under the quality framework, and the evidence they gave for each "
                f"standard, that end within {EXPIRY_HORIZON_DAYS} days of today, soonest first. Only approved or "
                "suspended organisations are included, and for each standard only the evidence that lasts longest "
                "(evidence already replaced is left out). Days left is negative when the date has passed: an "
                "approval stays approved until the overnight job marks it expired, and evidence can lapse while "
                "the approval it supported is still in force."),
        columns=(Column("Organisation"), Column("What expires"), Column("Expires", "date"),
                 Column("Days left", "count"), Column("Note")),
        rows=tuple(rows),
        empty=f"Nothing expires in the next {EXPIRY_HORIZON_DAYS} days.",
        notes=(TODAY_NOTE, "The client group filter does not apply: approvals and evidence belong to organisations.",
               *(["The area filter keeps organisations with a service (not withdrawn) covering the district."]
                 if filters.area else [])),
    )


def _overdue(filters: Filters):
    return DirectPaymentReview.objects.filter(filters.people("person__"), status=ReviewStatus.DUE,
                                              due_on__lt=filters.today)


def _overdue_bands(today: datetime.date) -> tuple[tuple[str, Q], ...]:
    one_month, three_months = today - relativedelta(months=1), today - relativedelta(months=3)
    return (
        ("Up to 1 month", Q(due_on__gte=one_month)),
        ("1 to 3 months", Q(due_on__lt=one_month, due_on__gte=three_months)),
        ("Over 3 months", Q(due_on__lt=three_months)),
    )


def reviews_overdue(filters: Filters) -> Figure:
    bands = _overdue_bands(filters.today)
    risks = FinancialRisk.values
    aggregates = {f"count_{b}_{risk}": Count("pk", filter=q & Q(risk=risk))
                  for b, (_, q) in enumerate(bands) for risk in risks}
    totals = _overdue(filters).aggregate(**aggregates)
    rows = []
    for b, (label, _) in enumerate(bands):
        counts = [totals[f"count_{b}_{risk}"] for risk in risks]
        rows.append((label, *counts, sum(counts)))
    return Figure(
        slug="reviews-overdue",
        title="Direct-payment reviews overdue",
        method=("Full financial reviews of direct payments that were due before today and have not been completed, "
                "grouped by how long ago they were due (up to 1 month, 1 to 3 months, over 3 months, counted in "
                "calendar months back from today) and by the person's financial risk level, which sets how often "
                "reviews happen."),
        columns=(Column("Overdue by"), *(Column(f"{FinancialRisk(risk).label} risk", "count") for risk in risks),
                 Column("All", "count")),
        rows=tuple(rows),
        chart=Chart("stacked", label=0, series=tuple(range(1, 1 + len(risks)))),
        notes=(TODAY_NOTE,),
    )


def reviews_overdue_list(filters: Filters) -> Figure:
    today = filters.today
    reviews = (_overdue(filters).order_by("due_on", "person__reference", "pk")
               .values_list("person__reference", "due_on", "risk", "person__broker_organisation__name"))
    rows = tuple((reference, due_on, (today - due_on).days, FinancialRisk(risk).label, broker or NO_BROKER)
                 for reference, due_on, risk, broker in reviews)
    return Figure(
        slug="reviews-overdue-list",
        title="Overdue direct-payment reviews",
        method=("Every full financial review of a direct payment that was due before today and has not been "
                "completed, most overdue first, with the person's case reference, the risk level and the broker "
                "organisation they chose."),
        columns=(Column("Case reference"), Column("Due", "date"), Column("Days overdue", "count"),
                 Column("Risk level"), Column("Broker")),
        rows=rows,
        empty="No direct-payment reviews are overdue.",
        notes=(TODAY_NOTE,),
    )


FIGURES = [approvals_waiting, approvals_oldest, expiring_soon, reviews_overdue, reviews_overdue_list]
