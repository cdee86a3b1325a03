"""ISF contracts made the way the council makes them: by approving a plan with ISF lines."""

import datetime

from brokerage.constants import DeploymentRoute
from brokerage.models import PlanLine, SupportPlan
from brokerage.services import plan_approve
from isf.models import IsfContract
from isf.services import contracts_offer_for_plan
from tests.brokerage.factories import PlanLineFactory
from tests.brokerage.factories_signoff import REASON, limit, revision_of, submit, submitted_plan

ISF = DeploymentRoute.INDIVIDUAL_SERVICE_FUND


def isf_plan(*, lines: int = 1, weekly_hours="16", **kwargs) -> SupportPlan:
    """A submitted plan whose line is an ISF line; ``lines`` > 1 adds more ISF lines from other
    providers (4 hours a week each at £24.00)."""
    plan = submitted_plan(weekly_hours=weekly_hours, **kwargs)
    plan.lines.update(route=ISF)
    for _ in range(lines - 1):
        PlanLineFactory(plan=plan, route=ISF, quantity_per_week="4")
    return plan


def approve(plan: SupportPlan, officer) -> SupportPlan:
    """Approve as ``officer`` (given a £2,000 limit); the approval event's handler does not run here."""
    limit(officer, "2000")
    return plan_approve(plan=plan, by=officer, reason=REASON,
                        exceptions={"tolerance": "Agreed with the person.", "live_in_relative": "Agreed."})


def offered_contract(officer, **kwargs) -> IsfContract:
    """An offered contract from a newly approved one-line ISF plan."""
    plan = approve(isf_plan(**kwargs), officer)
    return contracts_offer_for_plan(plan=plan)[0]


def next_version(approved: SupportPlan, *, starts_in_days: int = 28, same_lines: bool = True,
                 weekly_hours="20") -> SupportPlan:
    """A submitted next version of ``approved`` starting ``starts_in_days`` later; with
    ``same_lines`` its line buys the same service (as an ISF) as the first line of ``approved``."""
    plan = revision_of(approved, weekly_hours=weekly_hours)
    starts_on = approved.starts_on + datetime.timedelta(days=starts_in_days)
    SupportPlan.objects.filter(pk=plan.pk).update(starts_on=starts_on)
    first = approved.lines.order_by("pk").first()
    updates = {"starts_on": starts_on}
    if same_lines:
        updates.update(route=ISF, listing=first.listing, rate_card=first.rate_card, unit=first.unit)
    PlanLine.objects.filter(plan=plan).update(**updates)
    plan.refresh_from_db()
    return submit(plan)
