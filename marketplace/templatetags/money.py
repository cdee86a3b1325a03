from django import template

from marketplace.money import format_pence

register = template.Library()


@register.filter(name="gbp")
def gbp(pence):
    """``{{ amount_pence|gbp }}`` → ``£1,234.50``."""
    return format_pence(pence)


@register.filter(name="gbp_whole")
def gbp_whole(pence):
    """Like ``gbp`` but drops ``.00`` (``£30`` rather than ``£30.00``), for headline figures."""
    return format_pence(pence, pence_always=False)
