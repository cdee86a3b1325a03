"""Every write about people's needs and money: assessments, RAS versions, indicative budgets and
reablement.

Who may do what:
- a broker of the brokerage the person chose (and consented to share with), or a contract
  officer, assesses the person, works out budgets and records reablement;
- only contract officers set up and put RAS versions in use;
- finance officers and everyone else only read.

Each service checks the role and, for a person's record, that ``by`` can see the person (the
scope rule in :mod:`brokerage.selectors`), then writes its audit event in the same transaction.
The arithmetic of a budget is in :mod:`brokerage.ras`.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from brokerage import ras
from brokerage.constants import (
    REABLEMENT_WEEKS,
    AssessmentStatus,
    BudgetKind,
    ClientGroup,
    NeedDomain,
    NeedLevel,
    RasMethod,
    RasVersionStatus,
)
from brokerage.models import (
    Assessment,
    NeedScore,
    PersonalBudget,
    Person,
    RasClientGroupFactor,
    RasPoints,
    RasTypicalService,
    RasVersion,
    ReablementEpisode,
)
from marketplace import audit, money
from marketplace.constants import Role
from marketplace.models import User
from marketplace.permissions import has_role, organisation_ids, require_role
from marketplace.scoping import visible_to
from marketplace.transitions import transition
from providers.constants import RateUnit
from providers.models import ServiceCategory
from providers.pricing import reference_rates_now

__all__ = [
    "assessment_start", "assessment_score", "assessment_complete",
    "ras_version_create", "ras_version_set_points", "ras_version_set_typical_services", "ras_version_activate",
    "activation_gaps", "ras_calculate", "budget_calculate", "reablement_start", "reablement_end",
    "VERSION_IN_USE", "COMPLETED_CANNOT_CHANGE",
]

VERSION_IN_USE = "Versions in use cannot be changed; make a new version"
COMPLETED_CANNOT_CHANGE = "This assessment is completed and cannot change; start a new assessment"
MAX_FACTOR = Decimal("99.999")  # RasClientGroupFactor.factor: 5 digits, 3 places


# Who may act ------------------------------------------------------------------------------------

def _require_case_worker(by: User, person: Person) -> Person:
    """Return the person fresh from the database if ``by`` may work on their record.

    A contract officer may; a broker may when the person chose their brokerage and consented to
    share. Seeing a record is not enough (a representative sees it too, a finance officer sees
    everyone), and ``by`` must still be able to see it now, through the same scope rule as the pages.
    Raises ``PermissionDenied`` otherwise.
    """
    require_role(by, Role.BROKER, Role.CONTRACT_OFFICER)
    fresh = visible_to(by, Person.objects.filter(pk=person.pk)).first()
    if fresh is None:
        raise PermissionDenied("You do not have permission to do that.")
    if has_role(by, Role.CONTRACT_OFFICER):
        return fresh
    if fresh.consent_to_share and fresh.broker_organisation_id in organisation_ids(by, Role.BROKER):
        return fresh
    raise PermissionDenied("You do not have permission to do that.")


def _lock(model, obj):
    return model._default_manager.select_for_update().get(pk=obj.pk)


def _whole_number(value) -> int | None:
    """An int, or a string of digits as a form might pass; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _labels(values: Iterable[str]) -> str:
    return ", ".join(NeedDomain(value).label.lower() for value in values)


# Assessments ------------------------------------------------------------------------------------

@transaction.atomic
def assessment_start(*, person: Person, by: User, assessed_on: datetime.date, summary: str = "") -> Assessment:
    """Start a draft assessment of a person's eligible needs.

    Raises ``PermissionDenied`` unless ``by`` is a broker of the person's brokerage (with their
    consent to share) or a contract officer, and ``ValidationError`` (keyed ``assessed_on``) for a
    missing or future date.
    """
    person = _require_case_worker(by, person)
    if not isinstance(assessed_on, datetime.date):
        raise ValidationError({"assessed_on": "Enter the date of the assessment"})
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": "The date of the assessment must be today or in the past"})
    assessment = Assessment.objects.create(person=person, assessed_on=assessed_on, assessed_by=by,
                                           summary=(summary or "").strip())
    audit.record(actor=by, verb="assessment.started", target=assessment,
                 organisation=person.broker_organisation,
                 after={"person": person.pk, "assessed_on": assessed_on.isoformat()})
    return assessment


@transaction.atomic
def assessment_score(*, assessment: Assessment, by: User, scores: Mapping[str, int],
                     notes: Mapping[str, str] | None = None) -> Assessment:
    """Set the level of need (0–3) for some or all domains of a draft assessment, with notes.

    Domains not named keep what they had. Raises ``PermissionDenied`` as :func:`assessment_start`;
    ``ValidationError`` keyed by domain for an unknown domain, a level that is not 0 to 3, or notes
    for a domain without a level; and ``ValidationError`` when the assessment is completed.
    """
    _require_case_worker(by, assessment.person)
    locked = _lock(Assessment, assessment)
    if locked.status != AssessmentStatus.DRAFT:
        raise ValidationError(COMPLETED_CANNOT_CHANGE)
    notes = dict(notes or {})
    errors, levels = {}, {}
    for domain, value in scores.items():
        if domain not in NeedDomain.values:
            errors[str(domain)] = "Select an area of daily life from the list"
            continue
        level = _whole_number(value)
        if level is None or level not in NeedLevel.values:
            errors[domain] = f"Select the level of need for {NeedDomain(domain).label.lower()}"
        else:
            levels[domain] = level
    existing = {score.domain: score for score in locked.scores.select_for_update()}
    for domain in notes:
        if domain not in NeedDomain.values:
            errors[str(domain)] = "Select an area of daily life from the list"
        elif domain not in scores and domain not in existing:
            errors[domain] = f"Select the level of need for {NeedDomain(domain).label.lower()}"
    if errors:
        raise ValidationError(errors)

    before, after = {}, {}
    for domain in NeedDomain.values:
        if domain not in levels and domain not in notes:
            continue
        current = existing.get(domain)
        level = levels.get(domain, current.level if current else None)
        text = (notes[domain] or "").strip() if domain in notes else (current.notes if current else "")
        if current is not None and current.level == level and current.notes == text:
            continue
        before[domain] = current.level if current else None
        after[domain] = level
        if current is None:
            NeedScore.objects.create(assessment=locked, domain=domain, level=level, notes=text)
        else:
            current.level, current.notes = level, text
            current.save(update_fields=["level", "notes"])
    if after:
        audit.record(actor=by, verb="assessment.scored", target=locked, before=before, after=after,
                     organisation=locked.person.broker_organisation)
    return locked


@transaction.atomic
def assessment_complete(*, assessment: Assessment, by: User) -> Assessment:
    """Complete a draft assessment once every domain has a level; completing it again changes
    nothing.

    Raises ``PermissionDenied`` as :func:`assessment_start` and ``ValidationError`` naming the
    domains not scored yet.
    """
    _require_case_worker(by, assessment.person)
    locked = _lock(Assessment, assessment)
    if locked.status == AssessmentStatus.COMPLETED:
        return locked
    scored = set(locked.scores.values_list("domain", flat=True))
    missing = [domain for domain in NeedDomain.values if domain not in scored]
    if missing:
        raise ValidationError(f"Score every area of daily life before completing the assessment. "
                              f"Not scored yet: {_labels(missing)}")
    locked.status, locked.completed_at = AssessmentStatus.COMPLETED, timezone.now()
    locked.save(update_fields=["status", "completed_at"])
    audit.record(actor=by, verb="assessment.completed", target=locked,
                 organisation=locked.person.broker_organisation,
                 before={"status": AssessmentStatus.DRAFT}, after={"status": AssessmentStatus.COMPLETED})
    return locked


# RAS versions -----------------------------------------------------------------------------------

def _require_draft(version: RasVersion, method: str) -> RasVersion:
    locked = _lock(RasVersion, version)
    if locked.status != RasVersionStatus.DRAFT:
        raise ValidationError(VERSION_IN_USE)
    if locked.method != method:
        raise ValidationError(f"This is a {locked.get_method_display().lower()} version")
    return locked


@transaction.atomic
def ras_version_create(*, method: str, name: str, by: User, copy_from: RasVersion | None = None,
                       pence_per_point: int | None = None, notes: str = "") -> RasVersion:
    """Make a draft RAS version, numbered next within its method, optionally copying another
    version's points, factors or typical services (and value per point).

    A points version without a value per point starts at £0 a point, which must be set before it
    can be put in use. Raises ``PermissionDenied`` unless ``by`` is a contract officer, and
    ``ValidationError`` (keyed by argument) for an unknown method, no name, a ``copy_from`` of
    another method, or a value per point that is not a whole number of pence (or given for a
    cost-based version).
    """
    require_role(by, Role.CONTRACT_OFFICER)
    errors = {}
    name = (name or "").strip()
    if method not in RasMethod.values:
        errors["method"] = "Select points-based or cost-based"
    if not name:
        errors["name"] = "Enter a name for the version"
    if copy_from is not None and copy_from.method != method:
        errors["copy_from"] = "Copy from a version of the same method"
    if pence_per_point is not None:
        if method == RasMethod.COST:
            errors["pence_per_point"] = "Only a points-based version has a value per point"
        elif _whole_number(pence_per_point) is None or int(pence_per_point) < 0:
            errors["pence_per_point"] = "Enter what one point is worth, in pence, like 275 for £2.75"
    if errors:
        raise ValidationError(errors)
    if method == RasMethod.POINTS and pence_per_point is None:
        pence_per_point = copy_from.pence_per_point if copy_from is not None else 0

    # Lock the method's versions so two officers do not take the same number.
    list(RasVersion.objects.select_for_update().filter(method=method).values_list("pk", flat=True))
    number = (RasVersion.objects.filter(method=method).aggregate(top=Max("number"))["top"] or 0) + 1
    try:
        with transaction.atomic():
            version = RasVersion.objects.create(
                method=method, number=number, name=name, notes=(notes or "").strip(), created_by=by,
                pence_per_point=int(pence_per_point) if pence_per_point is not None else None)
    except IntegrityError:
        raise ValidationError("Another version was made at the same moment; try again") from None
    if copy_from is not None:
        RasPoints.objects.bulk_create(
            RasPoints(version=version, domain=row.domain, level=row.level, points=row.points)
            for row in copy_from.points.all())
        RasClientGroupFactor.objects.bulk_create(
            RasClientGroupFactor(version=version, client_group=row.client_group, factor=row.factor)
            for row in copy_from.factors.all())
        RasTypicalService.objects.bulk_create(
            RasTypicalService(version=version, domain=row.domain, level=row.level, category_id=row.category_id,
                              unit=row.unit, quantity_per_week=row.quantity_per_week)
            for row in copy_from.typical_services.all())
    audit.record(actor=by, verb="rasversion.created", target=version, reason=version.notes,
                 after={"method": method, "number": number, "name": name,
                        "copied_from": copy_from.pk if copy_from is not None else None,
                        "pence_per_point": version.pence_per_point})
    return version


def _decimal_factor(value) -> Decimal | None:
    if isinstance(value, (float, bool)) or value is None:
        return None
    try:
        factor = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not factor.is_finite() or factor <= 0 or factor > MAX_FACTOR or factor != factor.quantize(Decimal("0.001")):
        return None
    return factor


@transaction.atomic
def ras_version_set_points(*, version: RasVersion, by: User, points: Mapping[tuple[str, int], int],
                           factors: Mapping[str, Decimal], pence_per_point: int) -> RasVersion:
    """Set a draft points version's points per domain and level, client-group factors and value
    per point. Rows named are set; rows not named keep what they had.

    Raises ``PermissionDenied`` unless ``by`` is a contract officer; ``ValidationError`` when the
    version is in use or retired, or is cost-based; and ``ValidationError`` keyed
    ``points_<domain>_<level>``, ``factor_<client group>`` or ``pence_per_point`` for an unknown
    domain, level or group, points that are not a whole number of 0 or more, a factor that is not a
    number above 0 with at most three decimal places (never a float), or a value per point that is
    not a whole number of pence above 0.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    locked = _require_draft(version, RasMethod.POINTS)
    errors, clean_points, clean_factors = {}, {}, {}
    for key, value in points.items():
        domain, level = key
        field = f"points_{domain}_{level}"
        if domain not in NeedDomain.values or _whole_number(level) not in NeedLevel.values:
            errors[field] = "Select an area of daily life and a level from the list"
            continue
        number = _whole_number(value)
        if number is None or number < 0:
            errors[field] = (f"Enter the points for {NeedDomain(domain).label.lower()} at "
                             f"“{NeedLevel(int(level)).label}” as a whole number, 0 or more")
        else:
            clean_points[(domain, int(level))] = number
    for group, value in factors.items():
        field = f"factor_{group}"
        if group not in ClientGroup.values:
            errors[field] = "Select a client group from the list"
            continue
        factor = _decimal_factor(value)
        if factor is None:
            errors[field] = (f"Enter the factor for {ClientGroup(group).label.lower()} as a number above 0 "
                             f"with up to 3 decimal places, like 1.05")
        else:
            clean_factors[group] = factor
    per_point = _whole_number(pence_per_point)
    if per_point is None or per_point <= 0:
        errors["pence_per_point"] = "Enter what one point is worth, in pence, like 275 for £2.75"
    if errors:
        raise ValidationError(errors)

    before, after = {}, {}
    existing_points = {(row.domain, row.level): row for row in locked.points.all()}
    for (domain, level), number in clean_points.items():
        row = existing_points.get((domain, level))
        if row is None:
            RasPoints.objects.create(version=locked, domain=domain, level=level, points=number)
        elif row.points != number:
            before[f"points_{domain}_{level}"] = row.points
            row.points = number
            row.save(update_fields=["points"])
        else:
            continue
        after[f"points_{domain}_{level}"] = number
    existing_factors = {row.client_group: row for row in locked.factors.all()}
    for group, factor in clean_factors.items():
        row = existing_factors.get(group)
        if row is None:
            RasClientGroupFactor.objects.create(version=locked, client_group=group, factor=factor)
        elif row.factor != factor:
            before[f"factor_{group}"] = f"{row.factor:f}"
            row.factor = factor
            row.save(update_fields=["factor"])
        else:
            continue
        after[f"factor_{group}"] = f"{factor:f}"
    if locked.pence_per_point != per_point:
        before["pence_per_point"], after["pence_per_point"] = locked.pence_per_point, per_point
        locked.pence_per_point = per_point
        locked.save(update_fields=["pence_per_point"])
    if after:
        audit.record(actor=by, verb="rasversion.points_set", target=locked, before=before, after=after)
    return locked


def _category(value) -> ServiceCategory | None:
    if isinstance(value, ServiceCategory):
        return value
    if isinstance(value, str) and value.strip():
        return ServiceCategory.objects.filter(slug=value.strip()).first()
    if isinstance(value, int) and not isinstance(value, bool):
        return ServiceCategory.objects.filter(pk=value).first()
    return None


@transaction.atomic
def ras_version_set_typical_services(*, version: RasVersion, by: User, rows: list[dict]) -> RasVersion:
    """Replace a draft cost version's table of typical services with ``rows``.

    Each row is a dict of ``domain``, ``level`` (0–3), ``category`` (a ``ServiceCategory``, its
    slug or id), ``unit`` (a ``RateUnit`` value) and ``quantity_per_week`` (a ``Decimal`` or
    string above 0, at most two decimal places; never a float). Raises ``PermissionDenied``
    unless ``by`` is a contract officer; ``ValidationError`` when the version is in use or retired,
    or is points-based; and ``ValidationError`` keyed ``rows`` listing each bad line by number, or a
    service named twice for the same domain and level.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    locked = _require_draft(version, RasMethod.COST)
    problems, clean, seen = [], [], set()
    for number, row in enumerate(rows, start=1):
        domain, level = row.get("domain"), _whole_number(row.get("level"))
        category, unit = _category(row.get("category")), row.get("unit")
        quantity = row.get("quantity_per_week")
        line = []
        if domain not in NeedDomain.values:
            line.append("select an area of daily life")
        if level not in NeedLevel.values:
            line.append("select a level of need")
        if category is None:
            line.append("select a service category")
        if unit not in RateUnit.values:
            line.append("select a unit")
        try:
            if isinstance(quantity, (float, bool)) or quantity is None:
                raise InvalidOperation
            quantity = Decimal(str(quantity).strip())
            if not quantity.is_finite() or quantity <= 0 or quantity != quantity.quantize(Decimal("0.01")) \
                    or quantity >= Decimal("100000"):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            line.append("enter how much a week as a number above 0, like 3.5")
        if not line and (domain, level, category.pk) in seen:
            line.append(f"{category} is already listed for this area and level")
        if line:
            problems.append(f"Line {number}: {'; '.join(line)}")
            continue
        seen.add((domain, level, category.pk))
        clean.append(RasTypicalService(version=locked, domain=domain, level=level, category=category, unit=unit,
                                       quantity_per_week=quantity))
    if problems:
        raise ValidationError({"rows": problems})

    def describe(services):
        return sorted(f"{s.domain}/{s.level}: {s.category.slug} {format(s.quantity_per_week, 'f')} {s.unit}"
                      for s in services)

    before = describe(locked.typical_services.select_related("category"))
    locked.typical_services.all().delete()
    RasTypicalService.objects.bulk_create(clean)
    after = describe(clean)
    if before != after:
        audit.record(actor=by, verb="rasversion.typical_services_set", target=locked,
                     before={"rows": before}, after={"rows": after})
    return locked


def activation_gaps(version: RasVersion, *, rates: Mapping[tuple[int, str], int] | None = None) -> list[str]:
    """What a version lacks before it can be put in use, in plain words (nothing when ready).

    A points version needs a value per point, points for every domain and level, and a factor for
    every client group; a cost version needs typical services, each (other than free reablement)
    with a reference rate in force for its category and unit.
    """
    gaps = []
    if version.method == RasMethod.POINTS:
        if not version.pence_per_point:
            gaps.append("Enter what one point is worth")
        have = set(version.points.values_list("domain", "level"))
        for domain in NeedDomain.values:
            levels = [NeedLevel(level).label for level in NeedLevel.values if (domain, level) not in have]
            if levels:
                gaps.append(f"Enter the points for {NeedDomain(domain).label.lower()} at: "
                            + ", ".join(f"“{label}”" for label in levels))
        groups = set(version.factors.values_list("client_group", flat=True))
        for group in ClientGroup.values:
            if group not in groups:
                gaps.append(f"Enter the factor for {ClientGroup(group).label.lower()}")
        return gaps
    services = list(version.typical_services.select_related("category"))
    if not services:
        return ["Add the typical services for each area and level of need"]
    rates = reference_rates_now() if rates is None else rates
    for category, unit in sorted({(s.category, s.unit) for s in services if s.category.slug != ras.REABLEMENT_SLUG},
                                 key=lambda pair: (pair[0].name, pair[1])):
        if (category.pk, unit) not in rates:
            gaps.append(f"There is no reference rate for {category} {RateUnit(unit).label}")
    return gaps


@transaction.atomic
def ras_version_activate(*, version: RasVersion, by: User, reason: str) -> RasVersion:
    """Put a draft version in use; the version of the same method in use until now is retired in
    the same transaction. Putting an active version in use again changes nothing.

    Raises ``PermissionDenied`` unless ``by`` is a contract officer; ``ValidationError`` keyed
    ``reason`` without a reason; ``ValidationError`` listing what the version lacks
    (:func:`activation_gaps`); and ``InvalidTransition`` for a retired version.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for putting this version in use"})
    locked = _lock(RasVersion, version)
    if locked.status != RasVersionStatus.DRAFT:
        return transition(locked, RasVersionStatus.ACTIVE, by=by, reason=reason)  # quiet, or InvalidTransition
    gaps = activation_gaps(locked)
    if gaps:
        raise ValidationError(gaps)
    previous = (RasVersion.objects.select_for_update()
                .filter(method=locked.method, status=RasVersionStatus.ACTIVE).exclude(pk=locked.pk).first())
    if previous is not None:
        # Retired first: the database allows one version in use per method.
        transition(previous, RasVersionStatus.RETIRED, by=by, reason=f"Replaced by version {locked.number}: {reason}")

    def stamp(row):
        row.activated_at, row.activated_by = timezone.now(), by

    return transition(locked, RasVersionStatus.ACTIVE, by=by, reason=reason, apply=stamp)


# Budgets ----------------------------------------------------------------------------------------

def _rates_by_slug() -> dict[tuple[str, str], int]:
    slugs = dict(ServiceCategory.objects.values_list("pk", "slug"))
    return {(slugs[category_id], unit): pence for (category_id, unit), pence in reference_rates_now().items()}


def ras_calculate(*, version: RasVersion, levels: Mapping[str, int], client_group: str) -> ras.RasResult:
    """The indicative weekly budget ``version`` gives for ``levels`` (no writes, no checks of who
    asks). Raises ``ValidationError`` listing what the version or the levels lack."""
    try:
        if version.method == RasMethod.POINTS:
            factor = version.factors.filter(client_group=client_group).values_list("factor", flat=True).first()
            if factor is None:
                raise ras.RasGap([f"No factor for {ClientGroup(client_group).label.lower()}"])
            return ras.points_budget(
                levels=levels, points={(p.domain, p.level): p.points for p in version.points.all()},
                pence_per_point=version.pence_per_point or 0, client_group=client_group, factor=factor)
        services = [ras.TypicalService(domain=s.domain, level=s.level, category_slug=s.category.slug,
                                       category_name=s.category.name, unit=s.unit,
                                       quantity_per_week=s.quantity_per_week)
                    for s in version.typical_services.select_related("category")]
        return ras.cost_budget(levels=levels, typical_services=services, rates=_rates_by_slug())
    except ras.RasGap as gap:
        raise ValidationError([f"The {version} cannot work this budget out: {problem}" for problem in gap.gaps]) \
            from None


@transaction.atomic
def budget_calculate(*, person: Person, assessment: Assessment, by: User, method: str,
                     weekly_contribution_pence: int, contribution_basis: str = "") -> PersonalBudget:
    """Work out an indicative weekly budget from a completed assessment with the RAS version of
    ``method`` in use, and record the person's contribution and the council's share (Care Act 2014
    s.26). Always a new row; reablement never changes it [H I].

    Raises ``PermissionDenied`` as :func:`assessment_start`; ``ValidationError`` keyed
    ``assessment`` (not this person's, or not completed), ``method`` (unknown, or no version in
    use), ``weekly_contribution_pence`` (not whole pence, below £0, or above the budget); and
    ``ValidationError`` listing what the version lacks (a reference rate, points).
    """
    person = _require_case_worker(by, person)
    errors = {}
    if assessment.person_id != person.pk:
        errors["assessment"] = "Select an assessment of this person"
    else:
        assessment = Assessment.objects.get(pk=assessment.pk)
        if assessment.status != AssessmentStatus.COMPLETED:
            errors["assessment"] = "Complete the assessment before working out a budget"
    if method not in RasMethod.values:
        errors["method"] = "Select points-based or cost-based"
    contribution = weekly_contribution_pence
    if isinstance(contribution, bool) or not isinstance(contribution, int):
        errors["weekly_contribution_pence"] = "Enter the contribution in pounds and pence, like 25.00"
    elif contribution < 0:
        errors["weekly_contribution_pence"] = "The contribution cannot be less than £0"
    if errors:
        raise ValidationError(errors)
    # Locked so a version put in use at the same moment waits for this budget.
    version = (RasVersion.objects.select_for_update()
               .filter(method=method, status=RasVersionStatus.ACTIVE).first())
    if version is None:
        raise ValidationError({"method": f"There is no {RasMethod(method).label.lower()} RAS in use; "
                                         f"ask a contract officer to put one in use"})
    levels = dict(assessment.scores.values_list("domain", "level"))
    result = ras_calculate(version=version, levels=levels, client_group=person.client_group)
    if contribution > result.total_pence:
        raise ValidationError({"weekly_contribution_pence": (
            f"The contribution cannot be more than the budget ({money.format_pence(result.total_pence)} a week)")})
    budget = PersonalBudget.objects.create(
        person=person, kind=BudgetKind.INDICATIVE, assessment=assessment, ras_version=version,
        weekly_total_pence=result.total_pence, weekly_contribution_pence=contribution,
        weekly_council_pence=result.total_pence - contribution, breakdown=result.lines,
        contribution_basis=(contribution_basis or "").strip(), created_by=by)
    audit.record(actor=by, verb="personalbudget.calculated", target=budget,
                 organisation=person.broker_organisation, reason=budget.contribution_basis,
                 after={"person": person.pk, "assessment": assessment.pk, "ras_version": version.pk,
                        "method": method, "weekly_total_pence": budget.weekly_total_pence,
                        "weekly_contribution_pence": contribution,
                        "weekly_council_pence": budget.weekly_council_pence})
    return budget


# Reablement -------------------------------------------------------------------------------------

@transaction.atomic
def reablement_start(*, person: Person, by: User, starts_on: datetime.date, weeks: int = REABLEMENT_WEEKS,
                     longer_reason: str = "") -> ReablementEpisode:
    """Record a spell of free reablement for a person, planned to end ``weeks`` after it starts.

    More than six weeks needs the reason the council agreed it [H I]. Reablement never touches a
    budget or a contribution. Raises ``PermissionDenied`` as :func:`assessment_start` and
    ``ValidationError`` keyed ``starts_on``, ``weeks`` or ``longer_reason`` for a missing date, a
    number of weeks below 1, more than six weeks without a reason, or a spell that overlaps another.
    """
    person = _require_case_worker(by, person)
    longer_reason = (longer_reason or "").strip()
    errors = {}
    weeks_number = _whole_number(weeks)
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = "Enter the date reablement starts"
    if weeks_number is None or weeks_number < 1:
        errors["weeks"] = "Enter how many weeks of reablement, 1 or more"
    elif weeks_number > REABLEMENT_WEEKS and not longer_reason:
        errors["longer_reason"] = (f"Enter why the council agreed more than {REABLEMENT_WEEKS} weeks "
                                   f"of reablement")
    if errors:
        raise ValidationError(errors)
    planned_end_on = starts_on + datetime.timedelta(weeks=weeks_number)
    list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
    for other in person.reablement_episodes.all():
        other_end = other.ended_on or other.planned_end_on
        if other.starts_on <= planned_end_on and other_end >= starts_on:
            raise ValidationError({"starts_on": (f"{person} already has reablement from "
                                                 f"{other.starts_on:%-d %B %Y} to {other_end:%-d %B %Y}")})
    episode = ReablementEpisode.objects.create(person=person, starts_on=starts_on, planned_end_on=planned_end_on,
                                               longer_reason=longer_reason, created_by=by)
    audit.record(actor=by, verb="reablementepisode.started", target=episode, reason=longer_reason,
                 organisation=person.broker_organisation,
                 after={"person": person.pk, "starts_on": starts_on.isoformat(), "weeks": weeks_number,
                        "planned_end_on": planned_end_on.isoformat()})
    return episode


@transaction.atomic
def reablement_end(*, episode: ReablementEpisode, by: User, ended_on: datetime.date) -> ReablementEpisode:
    """Record the day a spell of reablement ended. Ending it again on the same day changes nothing.

    Raises ``PermissionDenied`` as :func:`assessment_start` and ``ValidationError`` keyed
    ``ended_on`` for a missing date, a date before it started, or a spell already ended on another day.
    """
    _require_case_worker(by, episode.person)
    locked = _lock(ReablementEpisode, episode)
    if not isinstance(ended_on, datetime.date):
        raise ValidationError({"ended_on": "Enter the date reablement ended"})
    if locked.ended_on is not None:
        if locked.ended_on == ended_on:
            return locked
        raise ValidationError({"ended_on": f"This reablement already ended on {locked.ended_on:%-d %B %Y}"})
    if ended_on < locked.starts_on:
        raise ValidationError({"ended_on": f"The end date must be on or after {locked.starts_on:%-d %B %Y}, "
                                           f"when reablement started"})
    locked.ended_on = ended_on
    locked.save(update_fields=["ended_on"])
    audit.record(actor=by, verb="reablementepisode.ended", target=locked,
                 organisation=locked.person.broker_organisation,
                 before={"ended_on": None}, after={"ended_on": ended_on.isoformat()})
    return locked
