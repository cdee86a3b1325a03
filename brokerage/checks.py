"""What a support plan costs and whether it may be signed off: side-effect free reads used by the
broker's pages while the plan is built, by submission, and by the officer at approval.

Pass a plan loaded with :func:`brokerage.selectors.with_plan_details` so nothing here queries per
line. Amounts are integer pence; arithmetic is in :mod:`marketplace.money`.

Tolerance [K §5(4)]: a plan is within tolerance when its weekly cost differs from the indicative
budget by at most ``tolerance_percent`` of the indicative budget, either way — exactly at the edge
is within. The band's edges are rounded to the penny once.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from brokerage.constants import DIRECT_PAYMENT_ROUTES, DeploymentRoute, LineKind, NegotiationStatus
from brokerage.models import BrokerageSettings, PlanLine, SupportPlan
from marketplace import money
from providers.constants import ListingStatus
from providers.pricing import reference_rates_now


@dataclass(frozen=True)
class LineCost:
    line: PlanLine
    weekly_pence: int
    annual_pence: int
    reference_rate_pence: int | None
    # Strictly above the council's reference rate for the category and unit [H V(e)].
    above_reference: bool
    # A direct-payment line priced at (or below) the rate card's direct-payment rate [H V].
    at_direct_payment_rate: bool


@dataclass(frozen=True)
class RouteCost:
    route: str
    label: str
    weekly_pence: int
    annual_pence: int


@dataclass(frozen=True)
class PlanCosting:
    lines: list[LineCost]
    routes: list[RouteCost]
    weekly_pence: int
    annual_pence: int
    indicative_weekly_pence: int
    tolerance_percent: int
    band_low_pence: int
    band_high_pence: int

    @property
    def within_tolerance(self) -> bool:
        return self.band_low_pence <= self.weekly_pence <= self.band_high_pence

    @property
    def difference_pence(self) -> int:
        """Plan minus indicative budget: positive when the plan costs more."""
        return self.weekly_pence - self.indicative_weekly_pence

    def line_cost(self, line: PlanLine) -> LineCost | None:
        return next((cost for cost in self.lines if cost.line.pk == line.pk), None)


def tolerance_percent_now() -> int:
    return BrokerageSettings.load().tolerance_percent


def tolerance_band(indicative_pence: int, percent: int) -> tuple[int, int]:
    """The lowest and highest weekly cost within ``percent`` of the indicative budget."""
    margin = money.percentage_of(indicative_pence, percent)
    return max(indicative_pence - margin, 0), indicative_pence + margin


def reference_rate(line: PlanLine) -> int | None:
    """The council's reference rate in force for the line's category and unit (None for a personal
    assistant, or when the council has set none)."""
    if not line.listing_id:
        return None
    return reference_rates_now().get((line.listing.category_id, line.unit))


def line_weekly_pence(line: PlanLine) -> int:
    return money.multiply(line.agreed_price_pence, line.quantity_per_week)


def plan_costing(plan: SupportPlan, *, tolerance_percent: int | None = None,
                 references: dict[tuple[int, str], int] | None = None) -> PlanCosting:
    """Weekly and annual cost per line and per route, against the indicative budget and its band."""
    if tolerance_percent is None:
        tolerance_percent = tolerance_percent_now()
    if references is None:
        references = reference_rates_now()
    costs, weekly_by_route = [], defaultdict(int)
    for line in plan.lines.all():
        weekly = line_weekly_pence(line)
        reference = references.get((line.listing.category_id, line.unit)) if line.listing_id else None
        at_dp_rate = (line.route in DIRECT_PAYMENT_ROUTES and line.rate_card_id is not None
                      and line.agreed_price_pence <= line.rate_card.direct_payment_rate_pence)
        costs.append(LineCost(line=line, weekly_pence=weekly, annual_pence=money.weekly_to_annual(weekly),
                              reference_rate_pence=reference,
                              above_reference=reference is not None and line.agreed_price_pence > reference,
                              at_direct_payment_rate=at_dp_rate))
        weekly_by_route[line.route] += weekly
    routes = [RouteCost(route=route, label=label, weekly_pence=weekly_by_route[route],
                        annual_pence=money.weekly_to_annual(weekly_by_route[route]))
              for route, label in DeploymentRoute.choices if route in weekly_by_route]
    weekly_total = sum(cost.weekly_pence for cost in costs)
    indicative = plan.indicative_budget.weekly_total_pence
    low, high = tolerance_band(indicative, tolerance_percent)
    return PlanCosting(lines=costs, routes=routes, weekly_pence=weekly_total,
                       annual_pence=money.weekly_to_annual(weekly_total), indicative_weekly_pence=indicative,
                       tolerance_percent=tolerance_percent, band_low_pence=low, band_high_pence=high)


@dataclass(frozen=True)
class Problem:
    """One reason a plan cannot be submitted or approved, in plain words; ``line`` when it is
    about one line (so a page can show it beside that line)."""

    code: str
    message: str
    line: PlanLine | None = field(default=None, compare=False)


def latest_negotiation(line: PlanLine):
    """The line's most recent negotiation (``negotiations`` prefetched newest first), or None."""
    negotiations = list(line.negotiations.all())
    return negotiations[0] if negotiations else None


def line_label(line: PlanLine) -> str:
    if line.kind == LineKind.PERSONAL_ASSISTANT:
        return f"Personal assistant {line.assistant_name}".strip()
    return f"{line.listing.title} ({line.listing.organisation.name})"


def plan_checks(plan: SupportPlan, *, today: datetime.date | None = None,
                costing: PlanCosting | None = None) -> list[Problem]:
    """Every reason the plan may not be signed off, in plain words; empty when it may.

    The rules: every line serves an outcome [H IV(b)]; the risk assessment is complete with
    safeguarding considered [H IV(c)]; every provider is approved and in date and every service
    still published [§3]; no negotiation is open, none declined by a non-specialist provider, and no
    price is above the reference rate unless agreed with an accepted specialist [H V(d)-(e)]; the
    weekly cost is within tolerance of the indicative budget or an exception is asked for
    [K §5(4)]; no direct payment pays a live-in relative unless an exception is asked for
    [H IV(a)]; a plan with direct payments has a financial risk assessment [K §8(1)].
    """
    today = today or timezone.localdate()
    costing = costing or plan_costing(plan)
    problems: list[Problem] = []
    lines = list(plan.lines.all())
    if not list(plan.outcomes.all()):
        problems.append(Problem("no_outcomes", "Add at least one outcome, in the person's own words"))
    if not lines:
        problems.append(Problem("no_lines", "Add at least one service or personal assistant"))
    for cost in costing.lines:
        line = cost.line
        label = line_label(line)
        if not list(line.outcomes.all()):
            problems.append(Problem("line_without_outcome", f"{label} does not serve any outcome: choose the "
                                                            f"outcomes it meets", line))
        if line.kind == LineKind.SERVICE:
            problems.extend(_service_problems(line, label, cost, today))
        if line.kind == LineKind.PERSONAL_ASSISTANT and line.live_in_relative \
                and not plan.live_in_relative_exception_reason.strip():
            problems.append(Problem(
                "live_in_relative",
                f"{label} is a relative who lives with the person: a direct payment cannot pay them unless the "
                f"council agrees an exception, so give the reason for one", line))
    risks = list(plan.risks.all())
    if not risks or any(not risk.mitigation.strip() for risk in risks):
        problems.append(Problem("risk_incomplete", "Complete the risk assessment: each risk needs who it affects "
                                                   "and how it will be reduced"))
    if not plan.safeguarding_considered:
        problems.append(Problem("safeguarding", "Confirm that safeguarding has been considered"))
    if any(line.route in DIRECT_PAYMENT_ROUTES for line in lines) and not plan.financial_risk:
        problems.append(Problem("financial_risk", "The plan has direct payments: record the financial risk "
                                                  "assessment (low, medium or high)"))
    if lines and not costing.within_tolerance and not plan.tolerance_exception_reason.strip():
        direction = "more" if costing.difference_pence > 0 else "less"
        problems.append(Problem(
            "tolerance",
            f"The plan costs {money.format_pence(costing.weekly_pence)} a week, {direction} than the "
            f"{costing.tolerance_percent}% allowed either side of the indicative budget of "
            f"{money.format_pence(costing.indicative_weekly_pence)} ({money.format_pence(costing.band_low_pence)} to "
            f"{money.format_pence(costing.band_high_pence)}): change the plan or give the reason for an exception"))
    return problems


def _service_problems(line: PlanLine, label: str, cost: LineCost, today: datetime.date) -> list[Problem]:
    problems = []
    organisation = line.listing.organisation
    accreditation = getattr(organisation, "accreditation", None)
    if accreditation is None or not accreditation.is_in_force(today):
        problems.append(Problem("provider_not_approved", f"{organisation.name} is not approved and in date with "
                                                         f"the council: choose another provider", line))
    if line.listing.status != ListingStatus.PUBLISHED:
        problems.append(Problem("service_unavailable", f"{label} is no longer offered: choose another service",
                                line))
    negotiation = latest_negotiation(line)
    if negotiation is not None and negotiation.status == NegotiationStatus.OPEN:
        problems.append(Problem("negotiation_open", f"The price of {label} is still being negotiated", line))
    elif negotiation is not None and negotiation.status == NegotiationStatus.DECLINED \
            and not line.listing.is_specialist:
        problems.append(Problem("negotiation_declined",
                                f"{organisation.name} would not negotiate the price of {label}: change provider or "
                                f"reduce the service", line))
    elif cost.above_reference and not line.listing.is_specialist:
        # Only an accepted specialist may be paid above the usual cost, so negotiating cannot clear
        # this while the price stays where it is.
        problems.append(Problem(
            "above_reference",
            f"The price of {label}, {money.format_pence(line.agreed_price_pence)}, is above the council's usual "
            f"cost of {money.format_pence(cost.reference_rate_pence)}: negotiate it down or choose another provider",
            line))
    minimum = line.rate_card.minimum_quantity if line.rate_card_id else 0
    if minimum and line.quantity_per_week < minimum:
        problems.append(Problem("below_minimum", f"{label} has a minimum of {minimum.normalize():f} a week", line))
    return problems


def specialist_lines(costing: PlanCosting) -> list[PlanLine]:
    """Lines priced above the reference rate with a provider the council accepts as specialist:
    the approving officer acknowledges each one [H V(d)]."""
    return [cost.line for cost in costing.lines
            if cost.above_reference and cost.line.listing_id and cost.line.listing.is_specialist]
