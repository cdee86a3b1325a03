"""Writes for a provider's own services: listings, their rate cards and capacity, and specialist claims.

Every function here is for the provider's staff: ``by`` must hold a provider role in the listing's
organisation, or ``PermissionDenied`` is raised before anything is read or written. Council
decisions on claims and reference rates live in ``providers.services.pricing``.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from marketplace import audit, money
from marketplace.constants import PROVIDER_ROLES, ClientGroup
from marketplace.models import Organisation, User
from marketplace.permissions import require_role
from marketplace.transitions import allowed_moves, transition
from providers.constants import (
    AreaKind,
    CapacityUnit,
    CostLineKind,
    DeliveryMode,
    ListingStatus,
    RateUnit,
    SpecialistClaimStatus,
)
from providers.models import (
    Area,
    CostOfCareLine,
    Language,
    ListingClientGroup,
    RateCard,
    ServiceCategory,
    ServiceListing,
    SpecialistClaim,
    current_rate_q,
)
from providers.search import build_search_document

__all__ = [
    "LISTING_FIELDS",
    "listing_capacity_update",
    "listing_create",
    "listing_pause",
    "listing_publish",
    "listing_publish_problems",
    "listing_refresh_search_document",
    "listing_update",
    "listing_withdraw",
    "rate_card_add",
    "specialist_claim_submit",
    "specialist_claim_withdraw",
]

# What ``listing_update`` may change; status, specialist mark and search text have their own paths.
LISTING_FIELDS = ("category", "title", "description", "delivery_mode", "client_groups", "areas", "languages",
                  "specialisms", "capacity_unit", "capacity_available")
REFERENCE_MAX = ServiceListing._meta.get_field("reference").max_length
OPEN_CLAIM = (SpecialistClaimStatus.SUBMITTED, SpecialistClaimStatus.ACCEPTED)


def _require_provider_staff(by: User, organisation_id: int) -> None:
    """Only the organisation's own provider staff and admins manage its services (not its brokers)."""
    require_role(by, *PROVIDER_ROLES, organisation_id=organisation_id)


def _refuse_if_withdrawn(listing: ServiceListing) -> None:
    if listing.status == ListingStatus.WITHDRAWN:
        raise ValidationError({"__all__": "This service has been withdrawn and can no longer be changed"})


def _clean_specialisms(specialisms) -> list[str]:
    seen, cleaned = set(), []
    for item in specialisms or []:
        text = " ".join(str(item).split())[:100]
        if text and text.lower() not in seen:
            seen.add(text.lower())
            cleaned.append(text)
    return cleaned


def _clean_listing_fields(fields: dict) -> dict:
    """Check and normalise listing fields; raises ``ValidationError`` keyed by field."""
    errors = {}
    cleaned = dict(fields)
    if "category" in fields and not isinstance(fields["category"], ServiceCategory):
        errors["category"] = "Select a category"
    if "title" in fields:
        cleaned["title"] = " ".join((fields["title"] or "").split())
        if not cleaned["title"]:
            errors["title"] = "Enter the name of the service"
        elif len(cleaned["title"]) > 200:
            errors["title"] = "The name of the service must be 200 characters or fewer"
    if "description" in fields:
        cleaned["description"] = (fields["description"] or "").strip()
    if "delivery_mode" in fields and fields["delivery_mode"] not in DeliveryMode.values:
        errors["delivery_mode"] = "Select how the service is delivered"
    if "client_groups" in fields:
        groups = list(dict.fromkeys(fields["client_groups"] or []))
        if not groups or any(group not in ClientGroup.values for group in groups):
            errors["client_groups"] = "Select who the service is for"
        cleaned["client_groups"] = sorted(groups)
    for name, model in (("areas", Area), ("languages", Language)):
        if name in fields:
            items = list(fields[name] or [])
            if any(not isinstance(item, model) for item in items):
                errors[name] = f"Select {name} from the list"
            cleaned[name] = items
    if "specialisms" in fields:
        cleaned["specialisms"] = _clean_specialisms(fields["specialisms"])
    if "capacity_unit" in fields and fields["capacity_unit"] not in CapacityUnit.values:
        errors["capacity_unit"] = "Select whether capacity is counted in hours or places"
    if "capacity_available" in fields:
        errors.update(_capacity_errors(fields["capacity_available"]))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _capacity_errors(capacity) -> dict:
    if capacity is None:
        return {}
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        return {"capacity_available": "Capacity available must be a whole number"}
    if capacity < 0:
        return {"capacity_available": "Capacity available must be 0 or more"}
    return {}


def _new_reference(organisation: Organisation, title: str) -> str:
    """``<org slug>-<title>``, with ``-2``, ``-3``… when that is taken (one query)."""
    base = slugify(f"{organisation.slug} {title}")[:REFERENCE_MAX - 6].strip("-") or "service"
    taken = set(ServiceListing.objects.filter(reference__startswith=base).values_list("reference", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _set_relations(listing: ServiceListing, fields: dict) -> None:
    if "client_groups" in fields:
        ListingClientGroup.objects.filter(listing=listing).exclude(client_group__in=fields["client_groups"]).delete()
        have = set(ListingClientGroup.objects.filter(listing=listing).values_list("client_group", flat=True))
        ListingClientGroup.objects.bulk_create(
            [ListingClientGroup(listing=listing, client_group=group) for group in fields["client_groups"]
             if group not in have])
    if "areas" in fields:
        listing.areas.set(fields["areas"])
    if "languages" in fields:
        listing.languages.set(fields["languages"])


def _listing_state(listing: ServiceListing) -> dict:
    """The fields a provider edits, as JSON-ready values for the audit log (reads the relations)."""
    return {
        "category": listing.category_id,
        "title": listing.title,
        "description": listing.description,
        "delivery_mode": listing.delivery_mode,
        "client_groups": sorted(listing.client_group_rows.values_list("client_group", flat=True)),
        "areas": sorted(listing.areas.values_list("code", flat=True)),
        "languages": sorted(listing.languages.values_list("code", flat=True)),
        "specialisms": list(listing.specialisms),
        "capacity_unit": listing.capacity_unit,
        "capacity_available": listing.capacity_available,
    }


def listing_refresh_search_document(listing: ServiceListing) -> str:
    """Rewrite the text the directory searches for ``listing`` from what it shows now; returns it.

    Called by every service that changes the title, description, category, specialisms, languages
    or areas. Area codes go in as well as names, so "E8" finds a service covering Dalston ward.
    """
    listing = (ServiceListing.objects.select_related("organisation", "category")
               .prefetch_related("languages", "areas").get(pk=listing.pk))
    areas = []
    for area in listing.areas.all():
        areas.extend([area.code, area.name] if area.kind == AreaKind.DISTRICT else [area.name, area.code])
    document = build_search_document(
        title=listing.title, description=listing.description, organisation_name=listing.organisation.name,
        category_name=listing.category.name, specialisms=list(listing.specialisms),
        languages=[language.name for language in listing.languages.all()], areas=areas)
    ServiceListing.objects.filter(pk=listing.pk).update(search_document=document)
    return document


@transaction.atomic
def listing_create(*, organisation: Organisation, by: User, category: ServiceCategory, title: str,
                   description: str, delivery_mode: str, client_groups: list[str], areas: list[Area],
                   languages: list[Language], specialisms: list[str], capacity_unit: str,
                   capacity_available: int | None) -> ServiceListing:
    """Write a new service as a draft; nobody else sees it until it is published.

    Its ``reference`` is made from the organisation's slug and the title, numbered when taken.
    Raises ``PermissionDenied`` unless ``by`` is the organisation's provider staff, and
    ``ValidationError`` (keyed by field) for a missing title, category, delivery mode or client
    group, or a capacity that is not a whole number of 0 or more.
    """
    _require_provider_staff(by, organisation.pk)
    if not organisation.is_provider:
        raise ValidationError({"__all__": "Only a provider organisation can list services"})
    fields = _clean_listing_fields({
        "category": category, "title": title, "description": description, "delivery_mode": delivery_mode,
        "client_groups": client_groups, "areas": areas, "languages": languages, "specialisms": specialisms,
        "capacity_unit": capacity_unit, "capacity_available": capacity_available,
    })
    listing = None
    for _attempt in range(3):
        # Two tabs creating the same title at once: the unique constraint decides, then we renumber.
        try:
            with transaction.atomic():
                listing = ServiceListing.objects.create(
                    organisation=organisation, category=fields["category"],
                    reference=_new_reference(organisation, fields["title"]), title=fields["title"],
                    description=fields["description"], delivery_mode=fields["delivery_mode"],
                    specialisms=fields["specialisms"], capacity_unit=fields["capacity_unit"],
                    capacity_available=fields["capacity_available"],
                    capacity_updated_at=timezone.now() if fields["capacity_available"] is not None else None,
                    status=ListingStatus.DRAFT)
            break
        except IntegrityError:
            continue
    if listing is None:
        raise ValidationError({"title": "A service with this name was created at the same time; try again"})
    _set_relations(listing, fields)
    listing_refresh_search_document(listing)
    audit.record(actor=by, verb="servicelisting.created", target=listing, organisation=organisation,
                 after={"reference": listing.reference, "status": listing.status, **_listing_state(listing)})
    listing.refresh_from_db()
    return listing


@transaction.atomic
def listing_update(*, listing: ServiceListing, by: User, **fields) -> ServiceListing:
    """Change what a service says about itself; the audit event keeps the fields before and after.

    Accepts any of ``LISTING_FIELDS``; an unchanged submission writes nothing. Raises
    ``PermissionDenied``, ``TypeError`` for any other keyword, and ``ValidationError`` as
    ``listing_create`` does, or when the listing has been withdrawn.
    """
    _require_provider_staff(by, listing.organisation_id)
    unknown = set(fields) - set(LISTING_FIELDS)
    if unknown:
        raise TypeError(f"listing_update() cannot change {', '.join(sorted(unknown))}")
    locked = ServiceListing.objects.select_for_update().get(pk=listing.pk)
    _refuse_if_withdrawn(locked)
    fields = _clean_listing_fields(fields)
    before = _listing_state(locked)
    for name in ("category", "title", "description", "delivery_mode", "specialisms", "capacity_unit",
                 "capacity_available"):
        if name in fields:
            setattr(locked, name, fields[name])
    if "capacity_available" in fields and fields["capacity_available"] != before["capacity_available"]:
        locked.capacity_updated_at = timezone.now()
    locked.save()
    _set_relations(locked, fields)
    after = _listing_state(locked)
    changed = sorted(name for name in after if after[name] != before[name])
    if changed:
        listing_refresh_search_document(locked)
        audit.record(actor=by, verb="servicelisting.updated", target=locked, organisation=locked.organisation,
                     before={name: before[name] for name in changed}, after={name: after[name] for name in changed})
    locked.refresh_from_db()
    return locked


def listing_publish_problems(listing: ServiceListing, today: datetime.date | None = None) -> list[str]:
    """What a listing lacks before it can be published; empty when it can be. Reads only."""
    problems = []
    if not listing.rate_cards.filter(current_rate_q(today=today)).exists():
        problems.append("Add a rate that applies from today or earlier")
    if not listing.areas.exists():
        problems.append("Choose at least one area the service covers")
    return problems


@transaction.atomic
def listing_publish(*, listing: ServiceListing, by: User, reason: str = "") -> ServiceListing:
    """Show the service in the directory (once its organisation's accreditation is in force).

    Publishing twice is harmless. Raises ``PermissionDenied``, ``InvalidTransition`` from a
    withdrawn listing, and ``ValidationError`` listing what is missing: a current rate card, an area.
    """
    _require_provider_staff(by, listing.organisation_id)
    locked = ServiceListing.objects.select_for_update().get(pk=listing.pk)
    if locked.status != ListingStatus.PUBLISHED and ListingStatus.PUBLISHED in allowed_moves(locked):
        problems = listing_publish_problems(locked)
        if problems:
            raise ValidationError({"__all__": problems})
    return transition(locked, ListingStatus.PUBLISHED, by=by, reason=reason, organisation=locked.organisation)


def listing_pause(*, listing: ServiceListing, by: User, reason: str = "") -> ServiceListing:
    """Hide a published service for now (say, while it is full). Raises ``PermissionDenied``,
    ``InvalidTransition`` unless it is published (pausing twice is harmless)."""
    _require_provider_staff(by, listing.organisation_id)
    return transition(listing, ListingStatus.PAUSED, by=by, reason=reason, organisation=listing.organisation)


def listing_withdraw(*, listing: ServiceListing, by: User, reason: str = "") -> ServiceListing:
    """Stop offering the service, for good; it stays on record for the plans that used it.
    Raises ``PermissionDenied``; withdrawing twice is harmless."""
    _require_provider_staff(by, listing.organisation_id)
    return transition(listing, ListingStatus.WITHDRAWN, by=by, reason=reason, organisation=listing.organisation)


@transaction.atomic
def listing_capacity_update(*, listing: ServiceListing, by: User, capacity_available: int | None) -> ServiceListing:
    """Say how many hours a week or places the provider can take on now, and when that was said.

    Raises ``PermissionDenied``, and ``ValidationError`` for a number that is not whole and 0 or
    more, or a withdrawn listing.
    """
    _require_provider_staff(by, listing.organisation_id)
    locked = ServiceListing.objects.select_for_update().get(pk=listing.pk)
    _refuse_if_withdrawn(locked)
    errors = _capacity_errors(capacity_available)
    if errors:
        raise ValidationError(errors)
    before = {"capacity_available": locked.capacity_available,
              "capacity_updated_at": locked.capacity_updated_at}
    locked.capacity_available = capacity_available
    locked.capacity_updated_at = timezone.now()
    locked.save(update_fields=["capacity_available", "capacity_updated_at", "updated_at"])
    audit.record(actor=by, verb="servicelisting.capacity_updated", target=locked, organisation=locked.organisation,
                 before=before, after={"capacity_available": capacity_available,
                                       "capacity_updated_at": locked.capacity_updated_at})
    return locked


def _positive_pence(value, errors: dict, key: str, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors[key] = f"Enter the {what} in pounds and pence, like 18.50"
    elif value <= 0:
        errors[key] = f"The {what} must be more than £0"


@transaction.atomic
def rate_card_add(*, listing: ServiceListing, by: User, unit: str, contract_rate_pence: int,
                  direct_payment_rate_pence: int, minimum_quantity: Decimal | int | str = 0,
                  effective_from: datetime.date) -> RateCard:
    """Add a price from a date. History is kept: the open card for the same unit is closed the day
    the new one starts, never overwritten.

    Raises ``PermissionDenied``, and ``ValidationError`` keyed by field for: an unknown unit, a rate
    of £0 or less, a direct-payment rate above the contract rate [H V], a negative minimum, a start
    before today, a start on or before that of an existing card for the unit, or a withdrawn listing.
    """
    _require_provider_staff(by, listing.organisation_id)
    # Lock the listing so two new rates for it are added one after the other.
    locked = ServiceListing.objects.select_for_update().get(pk=listing.pk)
    _refuse_if_withdrawn(locked)
    errors = {}
    if unit not in RateUnit.values:
        errors["unit"] = "Select what the rate is charged per"
    _positive_pence(contract_rate_pence, errors, "contract_rate_pence", "contract rate")
    _positive_pence(direct_payment_rate_pence, errors, "direct_payment_rate_pence", "direct payment rate")
    if not errors.keys() & {"contract_rate_pence", "direct_payment_rate_pence"} \
            and direct_payment_rate_pence > contract_rate_pence:
        errors["direct_payment_rate_pence"] = (
            "The direct payment rate must be the same as or lower than the contract rate")
    try:
        minimum = Decimal(str(minimum_quantity if minimum_quantity not in (None, "") else 0))
        if not minimum.is_finite() or minimum < 0 or minimum != minimum.quantize(Decimal("0.01")) \
                or minimum >= Decimal("100000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["minimum_quantity"] = "The minimum must be a number of 0 or more, with up to 2 decimal places"
        minimum = None
    today = timezone.localdate()
    if not isinstance(effective_from, datetime.date):
        errors["effective_from"] = "Enter the date the rate starts"
    elif effective_from < today:
        errors["effective_from"] = "The date the rate starts must be today or in the future"
    elif "unit" not in errors:
        latest = (RateCard.objects.filter(listing=locked, unit=unit).order_by("-effective_from")
                  .values_list("effective_from", flat=True).first())
        if latest is not None and effective_from <= latest:
            errors["effective_from"] = (f"The date the rate starts must be after {latest:%-d %B %Y}, "
                                        f"when the latest rate {RateUnit(unit).label} starts")
    if errors:
        raise ValidationError(errors)
    closing = list(RateCard.objects.select_for_update().filter(
        listing=locked, unit=unit, effective_to__isnull=True, effective_from__lt=effective_from))
    for old in closing:
        old.effective_to = effective_from
        old.save(update_fields=["effective_to"])
        audit.record(actor=by, verb="ratecard.closed", target=old, organisation=locked.organisation,
                     before={"effective_to": None}, after={"effective_to": effective_from})
    card = RateCard.objects.create(
        listing=locked, unit=unit, contract_rate_pence=contract_rate_pence,
        direct_payment_rate_pence=direct_payment_rate_pence, minimum_quantity=minimum,
        effective_from=effective_from, created_by=by)
    audit.record(actor=by, verb="ratecard.added", target=card, organisation=locked.organisation, after={
        "listing": locked.pk, "unit": unit, "contract_rate_pence": contract_rate_pence,
        "direct_payment_rate_pence": direct_payment_rate_pence, "minimum_quantity": str(minimum),
        "effective_from": effective_from, "closed": [old.pk for old in closing]})
    return card


def _clean_cost_lines(lines: list[dict]) -> tuple[list[CostOfCareLine], dict]:
    """Unsaved lines with their amounts worked out, and errors keyed ``lines``."""
    built, problems = [], []
    for number, line in enumerate(lines or [], start=1):
        kind = line.get("kind")
        description = " ".join(str(line.get("description") or "").split())[:200]
        if kind not in CostLineKind.values:
            problems.append(f"Line {number}: select what the cost is for")
            continue
        if not description:
            problems.append(f"Line {number}: enter a description"
                            + (" or grade" if kind == CostLineKind.STAFF else ""))
            continue
        if kind == CostLineKind.STAFF:
            hours, pay = line.get("hours"), line.get("hourly_pay_pence")
            try:
                hours = Decimal(str(hours))
                valid_hours = hours.is_finite() and 0 < hours < 100000 and hours == hours.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                valid_hours = False
            if not valid_hours:
                problems.append(f"Line {number}: enter the hours per unit as a number more than 0, like 1.5")
                continue
            if isinstance(pay, bool) or not isinstance(pay, int) or pay <= 0:
                problems.append(f"Line {number}: enter the hourly pay as an amount more than £0")
                continue
            built.append(CostOfCareLine(kind=kind, description=description, hours=hours, hourly_pay_pence=pay,
                                        amount_pence=money.multiply(pay, hours), position=number))
        else:
            amount = line.get("amount_pence")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                problems.append(f"Line {number}: enter the amount as £0 or more")
                continue
            built.append(CostOfCareLine(kind=kind, description=description, amount_pence=amount, position=number))
    if not problems and not any(line.kind == CostLineKind.STAFF for line in built):
        problems.append("Add at least one line for staff time")
    return built, ({"lines": problems} if problems else {})


@transaction.atomic
def specialist_claim_submit(*, listing: ServiceListing, by: User, justification: str, unit: str,
                            lines: list[dict]) -> SpecialistClaim:
    """Ask the council to accept that the service is specialist and so costs more [H V(d)].

    ``lines`` are dicts with ``kind`` and ``description``, plus ``hours`` (Decimal) and
    ``hourly_pay_pence`` for staff time, or ``amount_pence`` for anything else; staff amounts are
    worked out here, rounded once. The claim justifies the listing's current contract rate for
    ``unit``. Raises ``PermissionDenied``, and ``ValidationError`` for a missing justification, no
    current rate for the unit, no staff line or a bad line, a withdrawn listing, or a claim already
    waiting or accepted (also when a second submission races this one).
    """
    _require_provider_staff(by, listing.organisation_id)
    locked = ServiceListing.objects.select_for_update().get(pk=listing.pk)
    _refuse_if_withdrawn(locked)
    errors = {}
    justification = (justification or "").strip()
    if not justification:
        errors["justification"] = "Enter why this service is specialist"
    rate = None
    if unit not in RateUnit.values:
        errors["unit"] = "Select the unit the breakdown is for"
    else:
        rate = (RateCard.objects.filter(listing=locked, unit=unit).filter(current_rate_q())
                .order_by("-effective_from").first())
        if rate is None:
            errors["unit"] = f"There is no current rate {RateUnit(unit).label} for this service; add one first"
    built, line_errors = _clean_cost_lines(lines)
    errors.update(line_errors)
    already = "This service already has a specialist claim waiting for a decision or accepted"
    if SpecialistClaim.objects.filter(listing=locked, status__in=OPEN_CLAIM).exists():
        errors["__all__"] = already
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            claim = SpecialistClaim.objects.create(listing=locked, justification=justification, unit=unit,
                                                   rate_pence=rate.contract_rate_pence, submitted_by=by)
    except IntegrityError:
        raise ValidationError({"__all__": already}) from None
    for line in built:
        line.claim = claim
    CostOfCareLine.objects.bulk_create(built)
    total = sum(line.amount_pence for line in built)
    audit.record(actor=by, verb="specialistclaim.submitted", target=claim, organisation=locked.organisation, after={
        "listing": locked.pk, "status": claim.status, "unit": unit, "rate_pence": claim.rate_pence,
        "total_pence": total, "lines": [{"kind": line.kind, "description": line.description,
                                         "hours": line.hours, "hourly_pay_pence": line.hourly_pay_pence,
                                         "amount_pence": line.amount_pence} for line in built]})
    return claim


@transaction.atomic
def specialist_claim_withdraw(*, claim: SpecialistClaim, by: User, reason: str) -> SpecialistClaim:
    """The provider takes its claim back; an accepted claim's specialist mark comes off the listing.

    Withdrawing twice is harmless. Raises ``PermissionDenied``, ``ValidationError`` without a
    reason, and ``InvalidTransition`` for a rejected claim.
    """
    listing = claim.listing
    _require_provider_staff(by, listing.organisation_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter why you are withdrawing the claim"})
    was = SpecialistClaim.objects.select_for_update().values_list("status", flat=True).get(pk=claim.pk)
    withdrawn = transition(claim, SpecialistClaimStatus.WITHDRAWN, by=by, reason=reason,
                           organisation=listing.organisation)
    if was == SpecialistClaimStatus.ACCEPTED:
        locked = ServiceListing.objects.select_for_update().get(pk=listing.pk)
        if locked.is_specialist:
            locked.is_specialist = False
            locked.save(update_fields=["is_specialist", "updated_at"])
            audit.record(actor=by, verb="servicelisting.specialist_ended", target=locked,
                         organisation=listing.organisation, before={"is_specialist": True},
                         after={"is_specialist": False}, reason=reason)
    return withdrawn
