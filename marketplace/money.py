"""Money: integer pence in storage, ``Decimal`` in arithmetic, pounds on screen.

Rules every caller relies on:
- Amounts are stored as integer pence (GBP only). Nothing here returns or accepts a float.
- Arithmetic that can produce fractions of a penny (rate × quantity, weekly → annual,
  shares of a budget) is done in ``Decimal`` and rounded to the penny once, at the end,
  half away from zero (``ROUND_HALF_UP``), the convention UK finance systems use.
- :func:`split` shares an amount so the parts always add back to the whole.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")
# Far above any care budget; keeps every amount inside a 64-bit column and Decimal's precision.
MAX_POUNDS = Decimal(10) ** 11
WEEKS_PER_YEAR = Decimal("52")


class MoneyError(ValueError):
    """An amount could not be read as money (message suitable to show a user)."""


def _decimal(value, what: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a Decimal, int or str")
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a number")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError(f"Enter the {what} as a number, like 24.50") from None
    if not result.is_finite():
        raise MoneyError(f"Enter the {what} as a number, like 24.50")
    return result


def round_pence(pence: Decimal) -> int:
    """Round a Decimal number of pence to a whole penny, half away from zero."""
    return int(_decimal(pence).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_pence(pounds) -> int:
    """Pounds (``Decimal``, int or str such as ``"1,234.50"`` or ``"£24"``) to integer pence.

    Refuses fractions of a penny rather than rounding them away silently.
    """
    if isinstance(pounds, str):
        pounds = pounds.strip().replace(",", "").removeprefix("£").strip()
        if not pounds:
            raise MoneyError("Enter an amount")
    amount = _decimal(pounds)
    if abs(amount) >= MAX_POUNDS:
        raise MoneyError("Enter an amount under £100,000,000,000")
    if amount != amount.quantize(PENNY):
        raise MoneyError("Enter the amount in pounds and pence, like 24.50")
    return int(amount * 100)


def to_pounds(pence: int) -> Decimal:
    """Integer pence to a ``Decimal`` number of pounds with two places."""
    return (Decimal(int(pence)) / 100).quantize(PENNY)


def multiply(pence: int, quantity) -> int:
    """``pence`` × ``quantity`` (hours, visits, weeks…) rounded once to the penny."""
    return round_pence(Decimal(int(pence)) * _decimal(quantity, "quantity"))


def weekly_to_annual(weekly_pence: int) -> int:
    return multiply(weekly_pence, WEEKS_PER_YEAR)


def percentage_of(pence: int, percent) -> int:
    """``percent`` per cent of an amount, rounded once."""
    return round_pence(Decimal(int(pence)) * _decimal(percent, "percentage") / 100)


def split(pence: int, parts: int) -> list[int]:
    """Share ``pence`` into ``parts`` whole-penny amounts that add up to exactly ``pence``.

    The first ``pence % parts`` parts carry the extra penny, so the split is stable.
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    base, remainder = divmod(int(pence), parts)
    return [base + (1 if index < remainder else 0) for index in range(parts)]


def format_pence(pence: int | None, *, pence_always: bool = True) -> str:
    """``123450`` → ``"£1,234.50"``; negative amounts as ``"−£12.00"``; ``None`` as ``""``."""
    if pence is None:
        return ""
    pence = int(pence)
    sign = "−" if pence < 0 else ""
    pounds, pennies = divmod(abs(pence), 100)
    if not pence_always and pennies == 0:
        return f"{sign}£{pounds:,}"
    return f"{sign}£{pounds:,}.{pennies:02d}"
