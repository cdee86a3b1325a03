"""Template helpers for support plans: ``{% load support_plans %}``."""

from django import template

from brokerage.ras import format_quantity

register = template.Library()


@register.filter
def quantity(value):
    """``Decimal("7.50")`` → ``7.5``; ``Decimal("10.00")`` → ``10``."""
    return "" if value is None else format_quantity(value)
