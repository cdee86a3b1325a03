"""Transitional arrangements when a person's weekly budget changes [H V]: the arithmetic of a
taper, and the weekly budget in force on any date.

An increase applies at once. For a reduction the officer chose (see
:class:`brokerage.models.BudgetTransition`): ``immediate``, ``protected`` (the old level kept) or
``transitional`` (weekly steps from the old level to the new).
"""

import datetime
from decimal import Decimal

from brokerage.constants import PlanStatus, TransitionKind
from brokerage.models import BudgetTransition, Person, SupportPlan
from marketplace import money

__all__ = ["taper_schedule", "effective_weekly_budget", "plan_in_force", "weekly_budget_under", "IN_FORCE_STATUSES"]

# A plan that was approved: it is in force from its start until a later approved version starts
# (then it is superseded) or its support ends.
IN_FORCE_STATUSES = (PlanStatus.APPROVED, PlanStatus.SUPERSEDED, PlanStatus.ENDED)


def taper_schedule(from_pence: int, to_pence: int, weeks: int,
                   starts_on: datetime.date) -> list[tuple[datetime.date, int]]:
    """The weekly amounts of a transitional taper from ``from_pence`` to ``to_pence``.

    Step *i* (1 … ``weeks``) starts on ``starts_on`` + 7 × (*i* − 1) days and is::

        from − (from − to) × i / weeks

    worked out exactly in ``Decimal`` and rounded once to the penny, half away from zero
    (:func:`marketplace.money.round_pence`). The first week is already one step down and the last
    step is ``to`` exactly, so the person reaches the new level at the start of the final week.

    Worked example, £500.00 → £370.00 over 13 weeks: the drop is £130.00, £10.00 a week, so the
    steps are £490.00 from the start date, £480.00 a week later, … £380.00 in week 12 and
    £370.00 in week 13.

    With a drop that does not divide evenly, £100.00 → £90.00 over 3 weeks: week 1 is
    10000 − 1000 × 1/3 = 9666.67p → £96.67; week 2 is 10000 − 1000 × 2/3 = 9333.33p → £93.33;
    week 3 is £90.00. Each step is rounded from the exact value, not from the step before, so
    rounding never accumulates.

    Raises ``ValueError`` unless ``weeks`` is a whole number of at least 1 and the amounts are
    whole pence, 0 or more.
    """
    for amount in (from_pence, to_pence):
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError("amounts are whole pence, 0 or more")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ValueError("a taper lasts at least 1 week")
    drop = from_pence - to_pence
    steps = []
    for step in range(1, weeks + 1):
        amount = to_pence if step == weeks else money.round_pence(Decimal(from_pence) - Decimal(drop * step) / weeks)
        steps.append((starts_on + datetime.timedelta(days=7 * (step - 1)), amount))
    return steps


def plan_in_force(person: Person, on: datetime.date) -> SupportPlan | None:
    """The approved plan in force for ``person`` on ``on``, with its agreed budget and its budget
    transition loaded (one query), or None.

    That is the latest-starting plan that was approved (approved, superseded or ended) and starts
    on or before ``on`` — a superseded plan therefore stops when its successor starts, not when
    the successor is approved. An ended plan stops after its ``ended_on``.
    """
    plan = (SupportPlan.objects.filter(person=person, status__in=IN_FORCE_STATUSES, starts_on__lte=on)
            .select_related("agreed_budget", "budget_transition")
            .order_by("-starts_on", "-version").first())
    if plan is None:
        return None
    if plan.status == PlanStatus.ENDED and plan.ended_on is not None and plan.ended_on < on:
        return None
    return plan


def _transition_of(plan: SupportPlan) -> BudgetTransition | None:
    try:
        return plan.budget_transition
    except BudgetTransition.DoesNotExist:
        return None


def weekly_budget_under(plan: SupportPlan, on: datetime.date) -> int | None:
    """The weekly budget ``plan`` gives on ``on`` (no queries when loaded by :func:`plan_in_force`).

    The new amount is the plan's agreed budget (the transition's target when no agreed budget is
    linked). Its budget transition adjusts it:

    - none, or ``immediate``: the new amount;
    - ``transitional``: the taper step for the week ``on`` falls in, then the new amount;
    - ``protected``: the old amount, for as long as this plan is in force. The review date only
      prompts an officer to look again; the protection lasts until they record a new decision
      (a revised plan, approved with its own transition), because a protected level is kept for
      people a reduction would put at significant risk, and letting a date lapse silently would
      make the reduction without anyone deciding it.
    """
    transition = _transition_of(plan)
    if plan.agreed_budget is not None:
        new = plan.agreed_budget.weekly_total_pence
    elif transition is not None:
        new = transition.to_weekly_pence
    else:
        return None
    if transition is None or transition.kind == TransitionKind.IMMEDIATE:
        return new
    if transition.kind == TransitionKind.PROTECTED:
        return transition.from_weekly_pence
    if on < transition.starts_on:
        return transition.from_weekly_pence
    week = (on - transition.starts_on).days // 7
    if week >= transition.weeks:
        return new
    return taper_schedule(transition.from_weekly_pence, transition.to_weekly_pence, transition.weeks,
                          transition.starts_on)[week][1]


def effective_weekly_budget(person: Person, on: datetime.date) -> int | None:
    """The weekly total budget (in pence) in force for ``person`` on ``on``: the agreed budget of
    the approved plan in force that day (:func:`plan_in_force`), adjusted by that plan's budget
    transition (:func:`weekly_budget_under`). None when no approved plan is in force. One query.
    """
    plan = plan_in_force(person, on)
    return None if plan is None else weekly_budget_under(plan, on)
