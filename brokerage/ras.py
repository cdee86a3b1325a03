"""The Resource Allocation System's arithmetic: plain data in, an indicative weekly budget out.

No database here: :mod:`brokerage.services` reads a RAS version's rows and an assessment's levels
and passes them in, so every rule can be checked with numbers worked out by hand.

Rounding (all money through :mod:`marketplace.money`, never a float):
- Points-based: each domain's line is ``points × pence_per_point``, whole pence already. The
  client-group factor is applied once, to the sum of the domain lines, and rounded once to the
  penny half away from zero; its breakdown line is that rounded total minus the sum, so the lines
  always add up to the total.
- Cost-based: each typical service's line is ``reference rate × quantity a week``, rounded once to
  the penny (``money.multiply``); the total is the sum of the lines.
- Reablement is free for every client group and never part of a budget [H I]: a typical service in
  the reablement category is shown with £0 and the words below, and counts for nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from brokerage.constants import ClientGroup, NeedDomain, NeedLevel
from marketplace import money
from providers.constants import RateUnit

REABLEMENT_SLUG = "reablement"
REABLEMENT_FREE = "Reablement: free, not part of the budget"


class RasGap(ValueError):
    """A RAS version lacks a number the calculation needs; ``gaps`` says which, in plain words."""

    def __init__(self, gaps: list[str]):
        self.gaps = gaps
        super().__init__("; ".join(gaps))


@dataclass(frozen=True)
class TypicalService:
    """One row of a cost-based version: the service that typically meets a level of need."""

    domain: str
    level: int
    category_slug: str
    category_name: str
    unit: str
    quantity_per_week: Decimal


@dataclass
class RasResult:
    total_pence: int
    lines: list[dict] = field(default_factory=list)


def _domain_fields(domain: str, level: int) -> dict:
    return {"domain": domain, "domain_label": NeedDomain(domain).label,
            "level": int(level), "level_label": NeedLevel(level).label}


def _check_levels(levels: Mapping[str, int]) -> None:
    missing = [NeedDomain(domain).label for domain in NeedDomain.values if domain not in levels]
    if missing:
        raise RasGap([f"No level of need for {label.lower()}" for label in missing])


def format_quantity(quantity: Decimal) -> str:
    """``Decimal("3.50")`` → ``"3.5"``, ``Decimal("7.00")`` → ``"7"``."""
    text = f"{Decimal(quantity):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def points_budget(*, levels: Mapping[str, int], points: Mapping[tuple[str, int], int], pence_per_point: int,
                  client_group: str, factor: Decimal) -> RasResult:
    """The points-based indicative budget a week.

    ``levels`` maps every :class:`NeedDomain` to a level; ``points`` maps ``(domain, level)`` to
    points; ``factor`` is the person's client-group factor. Raises :class:`RasGap` when a domain
    has no level or a level has no points.
    """
    _check_levels(levels)
    gaps = [f"No points for {NeedDomain(domain).label.lower()} at “{NeedLevel(levels[domain]).label}”"
            for domain in NeedDomain.values if (domain, int(levels[domain])) not in points]
    if gaps:
        raise RasGap(gaps)
    lines, subtotal = [], 0
    for domain in NeedDomain.values:
        level = int(levels[domain])
        scored = int(points[(domain, level)])
        amount = scored * int(pence_per_point)
        subtotal += amount
        lines.append({
            "kind": "points", **_domain_fields(domain, level), "points": scored,
            "pence_per_point": int(pence_per_point), "amount_pence": amount,
            "description": (f"{NeedDomain(domain).label} — {NeedLevel(level).label}: {scored} points × "
                            f"{money.format_pence(pence_per_point)}"),
        })
    total = money.multiply(subtotal, factor)
    factor_text = format_quantity(factor)
    lines.append({
        "kind": "factor", "client_group": client_group, "client_group_label": ClientGroup(client_group).label,
        "factor": f"{Decimal(factor):f}", "points": sum(line["points"] for line in lines),
        "amount_pence": total - subtotal,
        "description": (f"{ClientGroup(client_group).label}: {money.format_pence(subtotal)} × {factor_text}, "
                        f"rounded to the penny"),
    })
    return RasResult(total_pence=total, lines=lines)


def cost_budget(*, levels: Mapping[str, int], typical_services: Iterable[TypicalService],
                rates: Mapping[tuple[str, str], int]) -> RasResult:
    """The cost-based indicative budget a week: the typical services for each domain's level,
    priced at ``rates`` (reference rate in pence per ``(category_slug, unit)``).

    Reablement rows count £0. Raises :class:`RasGap` when a domain has no level or a counted
    service has no rate.
    """
    _check_levels(levels)
    wanted = [service for service in typical_services
              if int(levels.get(service.domain, -1)) == int(service.level)]
    wanted.sort(key=lambda s: (NeedDomain.values.index(s.domain), s.category_name))
    gaps = sorted({f"No reference rate for {service.category_name} {RateUnit(service.unit).label}"
                   for service in wanted
                   if service.category_slug != REABLEMENT_SLUG and (service.category_slug, service.unit) not in rates})
    if gaps:
        raise RasGap(gaps)
    lines, total = [], 0
    for service in wanted:
        quantity = format_quantity(service.quantity_per_week)
        common = {**_domain_fields(service.domain, service.level), "service": service.category_name,
                  "category": service.category_slug, "quantity": quantity, "unit": service.unit,
                  "unit_label": RateUnit(service.unit).label}
        if service.category_slug == REABLEMENT_SLUG:
            lines.append({"kind": "reablement", **common, "amount_pence": 0,
                          "description": REABLEMENT_FREE})
            continue
        rate = int(rates[(service.category_slug, service.unit)])
        amount = money.multiply(rate, service.quantity_per_week)
        total += amount
        lines.append({
            "kind": "service", **common, "rate_pence": rate, "amount_pence": amount,
            "description": (f"{NeedDomain(service.domain).label} — {NeedLevel(service.level).label}: "
                            f"{service.category_name}, {quantity} × {money.format_pence(rate)} "
                            f"{RateUnit(service.unit).label}"),
        })
    return RasResult(total_pence=total, lines=lines)


# Reading a budget's breakdown ---------------------------------------------------------------------

UNIT_WORDS = {"hour": "hours", "visit": "visits", "day": "days", "night": "nights", "week": "weeks",
              "session": "sessions", "item": "items"}


def explain_breakdown_line(line: dict) -> dict:
    """One line of a budget's breakdown as a row the person can read: the need, its level, what
    it means in points or hours, and the amount."""
    kind = line.get("kind")
    row = {"need": line.get("domain_label", ""), "level": line.get("level_label", ""),
           "amount_pence": line.get("amount_pence", 0), "means": line.get("description", ""), "rate_pence": None}
    if kind == "points":
        row.update(means=f"{line['points']} point{'s' if line['points'] != 1 else ''}",
                   rate_pence=line.get("pence_per_point"), rate_words="a point")
    elif kind == "factor":
        row.update(need=f"Adjustment for {line.get('client_group_label', 'the client group').lower()}",
                   means=f"The amount for needs × {format_quantity(line.get('factor', '1'))}, rounded to the penny")
    elif kind in ("service", "reablement"):
        unit = line.get("unit", "")
        row.update(means=f"{line.get('service', '')}: {line.get('quantity', '')} {UNIT_WORDS.get(unit, unit)} a week",
                   rate_pence=line.get("rate_pence"), rate_words=line.get("unit_label", ""))
        if kind == "reablement":
            row["means"] = f"{row['means']}. Reablement is free and not part of the budget"
    return row
