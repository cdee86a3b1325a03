"""Writes for the council's prices: reference rates, and its decisions on specialist claims.

A rate card above the reference rate for its category and unit starts a negotiation [H V(e)]; a
service the council accepts as specialist may cost more, and that is taken into account when the
final budget is agreed [H V(d)]. Only contract officers make these decisions.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace import audit, money
from marketplace.constants import Role
from marketplace.models import User
from marketplace.permissions import require_role
from marketplace.transitions import transition
from providers.constants import RateUnit, SpecialistClaimStatus
from providers.models import ReferenceRate, ServiceCategory, ServiceListing, SpecialistClaim

__all__ = ["reference_rate_set", "specialist_claim_accept", "specialist_claim_reject"]


def _long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _duplicate_start(category: ServiceCategory, unit: str, effective_from: datetime.date) -> str:
    return (f"{category} already has a reference rate {RateUnit(unit).label} starting on "
            f"{_long_date(effective_from)}; choose another date")


def _decision_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for this decision"})
    return reason


@transaction.atomic
def reference_rate_set(*, category: ServiceCategory, unit: str, rate_pence: int,
                       effective_from: datetime.date, reason: str, by: User) -> ReferenceRate:
    """Set the council's usual cost for a unit of a category of service from a date.

    Always a new row: the rate it replaces stays on record, and the current rate is the latest
    one that has started. Raises ``PermissionDenied`` unless ``by`` is a contract officer, and
    ``ValidationError`` (keyed by argument name) for an unknown unit, a rate of £0 or less, a
    missing category or start date, a start date that category and unit already have, or no reason.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    errors = {}
    reason = (reason or "").strip()
    if category is None:
        errors["category"] = "Select the service category"
    if unit not in RateUnit.values:
        errors["unit"] = "Select the unit the rate is for"
    if isinstance(rate_pence, bool) or not isinstance(rate_pence, int):
        errors["rate_pence"] = "Enter the rate in pounds and pence, like 18.50"
    elif rate_pence <= 0:
        errors["rate_pence"] = "The rate must be more than £0"
    if effective_from is None:
        errors["effective_from"] = "Enter the date the rate starts"
    elif not errors.keys() & {"category", "unit"} and ReferenceRate.objects.filter(
            category=category, unit=unit, effective_from=effective_from).exists():
        errors["effective_from"] = _duplicate_start(category, unit, effective_from)
    if not reason:
        errors["reason"] = "Enter the reason for the new rate"
    if errors:
        raise ValidationError(errors)

    previous = (ReferenceRate.objects.filter(category=category, unit=unit, effective_from__lt=effective_from)
                .order_by("-effective_from").values_list("rate_pence", flat=True).first())
    try:
        # A savepoint, so two officers saving the same start date at once get a form error, not a 500.
        with transaction.atomic():
            rate = ReferenceRate.objects.create(category=category, unit=unit, rate_pence=rate_pence,
                                                effective_from=effective_from, reason=reason, set_by=by)
    except IntegrityError:
        raise ValidationError({"effective_from": _duplicate_start(category, unit, effective_from)}) from None
    audit.record(
        actor=by, verb="referencerate.set", target=rate, reason=reason,
        before={"rate_pence": previous, "rate": money.format_pence(previous)} if previous is not None else {},
        after={"category": category.slug, "unit": unit, "rate_pence": rate_pence,
               "rate": money.format_pence(rate_pence), "effective_from": effective_from},
    )
    return rate


@transaction.atomic
def specialist_claim_accept(*, claim: SpecialistClaim, by: User, reason: str) -> SpecialistClaim:
    """The council agrees the listing is specialist: the claim is accepted and the listing marked.

    Accepting an accepted claim again changes nothing. Raises ``PermissionDenied`` unless ``by``
    is a contract officer, ``ValidationError`` without a reason, and ``InvalidTransition`` for a
    claim that was rejected or withdrawn.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    reason = _decision_reason(reason)

    def accept(locked):
        locked.decided_by, locked.decided_at, locked.decision_reason = by, timezone.now(), reason
        # Runs only on the move itself, so a second click neither touches the listing nor logs twice.
        listing = ServiceListing.objects.select_for_update().get(pk=locked.listing_id)
        if not listing.is_specialist:
            listing.is_specialist = True
            listing.save(update_fields=["is_specialist", "updated_at"])
            audit.record(actor=by, verb="servicelisting.marked_specialist", target=listing, reason=reason,
                         before={"is_specialist": False}, after={"is_specialist": True, "claim": locked.pk})

    return transition(claim, SpecialistClaimStatus.ACCEPTED, by=by, reason=reason, apply=accept)


@transaction.atomic
def specialist_claim_reject(*, claim: SpecialistClaim, by: User, reason: str) -> SpecialistClaim:
    """The council does not agree the listing is specialist; its price is negotiated as any other.

    The listing is not marked. Rejecting a rejected claim again changes nothing. Raises
    ``PermissionDenied`` unless ``by`` is a contract officer, ``ValidationError`` without a
    reason, and ``InvalidTransition`` for a claim that was accepted or withdrawn.
    """
    require_role(by, Role.CONTRACT_OFFICER)
    reason = _decision_reason(reason)

    def reject(locked):
        locked.decided_by, locked.decided_at, locked.decision_reason = by, timezone.now(), reason

    return transition(claim, SpecialistClaimStatus.REJECTED, by=by, reason=reason, apply=reject)
