"""Reading the council's prices: reference rates in force, "above usual cost" marks, and the
cost-of-care summary of a specialist claim. Side-effect free; every write is in
``providers.services.pricing``.

A rate above the reference rate for its category and unit is "above usual cost" and starts a
negotiation [H V(e)]. A rate equal to it is not; with no reference rate nothing is marked.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from providers.models import CostOfCareLine, RateCard, ReferenceRate, SpecialistClaim


def reference_rates_now(today: datetime.date | None = None) -> dict[tuple[int, str], int]:
    """The reference rate in force on ``today`` per ``(category_id, unit)``, in pence.

    The rate in force is the one with the latest start date on or before ``today``; rates set to
    start later are ignored until their day. One query, however many rates and how much history.
    """
    today = today or timezone.localdate()
    superseded = ReferenceRate.objects.filter(
        category=OuterRef("category"), unit=OuterRef("unit"),
        effective_from__gt=OuterRef("effective_from"), effective_from__lte=today,
    )
    rows = (ReferenceRate.objects.filter(effective_from__lte=today).filter(~Exists(superseded))
            .order_by().values_list("category_id", "unit", "rate_pence"))
    return {(category_id, unit): rate_pence for category_id, unit, rate_pence in rows}


def is_above_usual_cost(rate_pence: int | None, reference_pence: int | None) -> bool:
    """True only when a rate is strictly above a reference rate that exists."""
    if rate_pence is None or reference_pence is None:
        return False
    return rate_pence > reference_pence


def mark_rates(rate_cards: Iterable[RateCard], *,
               references: dict[tuple[int, str], int] | None = None) -> list[RateCard]:
    """Set ``reference_rate_pence``, ``contract_above_usual`` and ``direct_payment_above_usual`` on
    each rate card, comparing both its prices with the reference rate for its listing's category
    and unit. Returns the rate cards as a list.

    ``references`` is :func:`reference_rates_now` when not given (one query). Each card's
    ``listing`` must already be loaded (``select_related("listing")``, or cards prefetched from
    their listing) so marking adds no queries.
    """
    if references is None:
        references = reference_rates_now()
    cards = list(rate_cards)
    for card in cards:
        reference = references.get((card.listing.category_id, card.unit))
        card.reference_rate_pence = reference
        card.contract_above_usual = is_above_usual_cost(card.contract_rate_pence, reference)
        card.direct_payment_above_usual = is_above_usual_cost(card.direct_payment_rate_pence, reference)
    return cards


@dataclass(frozen=True)
class CostOfCareSummary:
    """A specialist claim's cost-of-care breakdown set against the rate it justifies, per unit."""

    lines: list[CostOfCareLine]
    total_pence: int
    rate_pence: int
    # Positive when the rate is above the cost of care, negative when below it.
    difference_pence: int


def cost_of_care_summary(claim: SpecialistClaim) -> CostOfCareSummary:
    """The breakdown's lines, their total, the claimed rate and the difference between them.

    Uses ``claim.cost_lines.all()``, so a claim fetched with ``prefetch_related("cost_lines")``
    costs no further query.
    """
    lines = list(claim.cost_lines.all())
    total = sum(line.amount_pence for line in lines)
    return CostOfCareSummary(lines=lines, total_pence=total, rate_pence=claim.rate_pence,
                             difference_pence=claim.rate_pence - total)
