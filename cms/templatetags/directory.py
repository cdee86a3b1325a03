"""Wording for the public directory pages: capacity, minimum quantities, organisation kinds."""

from decimal import Decimal

from django import template

from providers.constants import CapacityUnit

register = template.Library()

_UNIT_NOUNS = {"hour": "hours", "visit": "visits", "day": "days", "night": "nights", "week": "weeks",
               "session": "sessions", "item": "items"}


def _number(value) -> str:
    value = Decimal(value)
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"


@register.filter
def capacity(listing) -> str:
    """"Can take on new people: 12 hours a week", "Full at the moment" or "Not stated"."""
    available = listing.capacity_available
    if available is None:
        return "Not stated"
    if available == 0:
        return "Full at the moment"
    if listing.capacity_unit == CapacityUnit.PLACES:
        amount = "1 place" if available == 1 else f"{available} places"
    else:
        amount = f"{available} {'hour' if available == 1 else 'hours'} a week"
    return f"Can take on new people: {amount}"


@register.filter
def minimum(card) -> str:
    """A rate card's minimum quantity: "No minimum" or "At least 2 hours"."""
    if not card.minimum_quantity:
        return "No minimum"
    noun = _UNIT_NOUNS.get(card.unit, card.unit)
    if card.minimum_quantity == 1:
        noun = card.unit
    return f"At least {_number(card.minimum_quantity)} {noun}"


@register.filter
def organisation_kind(organisation) -> str:
    if organisation.is_provider and organisation.is_broker:
        return "Provider and broker"
    return "Broker" if organisation.is_broker else "Provider"
