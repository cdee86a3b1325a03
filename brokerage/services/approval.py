"""The council's sign-off of support plans, and officers' approval limits.

A contract officer approves, returns or rejects a plan waiting for sign-off [H VI]. Approval:
- is refused unless the plan's weekly cost is within the officer's own approval limit (an officer
  without a limit approves nothing; a larger plan goes to an officer with a higher limit);
- re-runs the sign-off checks (:func:`brokerage.checks.plan_checks`): every problem blocks it,
  except a cost outside the tolerance band [K §5(4)] and a direct payment to a live-in relative
  [H IV(a)], which the officer may agree as exceptions, each with a reason;
- needs the officer to acknowledge each specialist price above the reference rate [H V(d)];
- records the officer's judgement that the plan does not put the council at unreasonable risk or
  in breach of its duties [H IV(d)] as the decision reason;
- fixes the agreed budget, approves each placement (provider, service, price), supersedes the
  plan it replaces, records how the person moves from the budget in force to the new one [H V],
  schedules (or cancels) direct-payment reviews [K §8(1)] and emits ``PLAN_APPROVED`` so ISF contracts can be
  offered. Nothing is paid here: a plan is signed off before any money moves [K §8(1)c].

Only the council's system administrator (a Django superuser) sets approval limits.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from brokerage import checks, transitional
from brokerage.constants import (
    BudgetKind,
    DeploymentRoute,
    LineKind,
    NeedDomain,
    PlanStatus,
    TransitionKind,
)
from brokerage.models import ApprovalLimit, PersonalBudget, Person, PlanLine, SupportPlan
from brokerage.ras import format_quantity
from brokerage.selectors import with_plan_details
from brokerage.selectors.approval import officer_limit_pence
from marketplace import audit, events, money
from marketplace.constants import Role
from marketplace.models import User
from marketplace.money import format_pence
from marketplace.permissions import has_role, organisation_ids, require_role
from marketplace.scoping import visible_to
from marketplace.transitions import InvalidTransition, allowed_moves, transition as move

__all__ = ["EXCEPTION_CODES", "ApprovalRequirements", "approval_requirements", "approval_limit_message",
           "approval_limit_set", "plan_approve", "plan_return", "plan_reject"]

# The checks an officer may set aside by recording an exception with a reason; every other
# problem blocks approval until the plan changes.
TOLERANCE = "tolerance"
LIVE_IN_RELATIVE = "live_in_relative"
EXCEPTION_CODES = (TOLERANCE, LIVE_IN_RELATIVE)

REASON_MISSING = {
    PlanStatus.APPROVED: ("Enter your reasons for approving the plan: why it does not put the council at "
                          "unreasonable risk or in breach of its duties"),
    PlanStatus.RETURNED: "Enter what the broker needs to change before the plan can be approved",
    PlanStatus.REJECTED: "Enter why the plan is rejected",
}
DECISION_WORDS = {PlanStatus.APPROVED: "approved", PlanStatus.RETURNED: "returned",
                  PlanStatus.REJECTED: "rejected"}


# What approval needs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ApprovalRequirements:
    """What stands between a submitted plan and approval by one officer (side-effect free)."""

    costing: checks.PlanCosting
    # Problems only a change to the plan clears.
    blocking: list[checks.Problem]
    # The weekly cost is outside the tolerance band: an exception with a reason is needed.
    tolerance_exception_needed: bool
    # Personal assistants who are relatives living with the person: an exception is needed.
    live_in_lines: list[PlanLine]
    # Specialist prices above the reference rate the officer must acknowledge.
    specialist_lines: list[PlanLine]
    # The person's approved plan now in force (superseded by approval) and its weekly budget.
    plan_in_force: SupportPlan | None
    budget_in_force_pence: int | None
    officer_limit_pence: int | None

    @property
    def weekly_pence(self) -> int:
        return self.costing.weekly_pence

    @property
    def within_limit(self) -> bool:
        return self.officer_limit_pence is not None and self.weekly_pence <= self.officer_limit_pence

    @property
    def is_reduction(self) -> bool:
        """The new weekly budget is lower than the one in force: the officer chooses how it comes in."""
        return self.budget_in_force_pence is not None and self.weekly_pence < self.budget_in_force_pence

    @property
    def exception_codes(self) -> list[str]:
        return ([TOLERANCE] if self.tolerance_exception_needed else []) + \
            ([LIVE_IN_RELATIVE] if self.live_in_lines else [])


def approval_requirements(plan: SupportPlan, *, officer: User, today: datetime.date | None = None
                          ) -> ApprovalRequirements:
    """What approving ``plan`` (loaded with :func:`brokerage.selectors.with_plan_details`) needs
    from ``officer``. Two queries beyond the plan: the officer's limit and the plan in force."""
    costing = checks.plan_costing(plan)
    problems = checks.plan_checks(plan, today=today, costing=costing)
    lines = [cost.line for cost in costing.lines]
    in_force = (SupportPlan.objects.filter(person_id=plan.person_id, status=PlanStatus.APPROVED)
                .exclude(pk=plan.pk).select_related("agreed_budget").first())
    return ApprovalRequirements(
        costing=costing,
        blocking=[problem for problem in problems if problem.code not in EXCEPTION_CODES],
        tolerance_exception_needed=bool(lines) and not costing.within_tolerance,
        live_in_lines=[line for line in lines if line.kind == LineKind.PERSONAL_ASSISTANT and line.live_in_relative],
        specialist_lines=checks.specialist_lines(costing),
        plan_in_force=in_force,
        # What the person actually gets when the new plan starts: a protected or tapering budget is
        # the level to compare with, not the lower agreed figure behind it.
        budget_in_force_pence=(transitional.weekly_budget_under(in_force, plan.starts_on)
                               if in_force is not None and in_force.agreed_budget_id else None),
        officer_limit_pence=officer_limit_pence(officer),
    )


def approval_limit_message(requirements: ApprovalRequirements) -> str:
    """Why the officer may not approve the plan on their own, and who may."""
    cost = format_pence(requirements.weekly_pence)
    if requirements.officer_limit_pence is None:
        return (f"This plan costs {cost} a week; you do not have an approval limit, so you may not approve plans. "
                f"An officer with a limit of at least {cost} must approve it.")
    return (f"This plan costs {cost} a week; you may approve up to "
            f"{format_pence(requirements.officer_limit_pence)}. An officer with a limit of at least {cost} "
            f"must approve it.")


# Who may act ------------------------------------------------------------------------------------

def _require_officer(by: User, plan: SupportPlan) -> None:
    """A contract officer who can see the person, and who does not work for the person's
    brokerage: the council decides on a plan, not the broker who wrote it [H VI]."""
    require_role(by, Role.CONTRACT_OFFICER)
    person = visible_to(by, Person.objects.filter(pk=plan.person_id)).first()
    if person is None:
        raise PermissionDenied("You do not have permission to do that.")
    if person.broker_organisation_id in organisation_ids(by, Role.BROKER):
        raise PermissionDenied("You work for the person's brokerage, so another officer must decide on this plan.")


def _lock(plan: SupportPlan) -> SupportPlan:
    return SupportPlan.objects.select_for_update(of=("self",)).select_related("decided_by").get(pk=plan.pk)


def _not_waiting(plan: SupportPlan, to: str) -> InvalidTransition:
    """A plan that is not waiting for sign-off cannot be decided on (HTTP 409)."""
    error = InvalidTransition(plan, plan.status, to, allowed_moves(plan))
    message = (f"Only a plan waiting for sign-off can be {DECISION_WORDS[to]}; this one is "
               f"“{plan.get_status_display().lower()}”")
    if plan.decided_at and plan.status in DECISION_WORDS:
        who = (plan.decided_by.get_full_name() or plan.decided_by.username) if plan.decided_by else "an officer"
        message += f" (decided by {who} on {timezone.localtime(plan.decided_at):%-d %B %Y})"
    error.args = (message + ".",)
    return error


def _already_decided_by(plan: SupportPlan, to: str, by: User) -> bool:
    """A second click: the same officer already made this decision on this plan."""
    return plan.status == to and plan.decided_by_id == by.pk


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# Approval limits --------------------------------------------------------------------------------

@transaction.atomic
def approval_limit_set(*, officer: User, weekly_limit_pence: int, by: User, reason: str) -> ApprovalLimit:
    """Set the weekly amount ``officer`` may approve on their own; £0 means they approve nothing.
    Setting the limit they already have changes nothing and records nothing.

    Raises ``PermissionDenied`` unless ``by`` is a Django superuser (the council's system
    administrator), and ``ValidationError`` keyed ``officer`` (not a contract officer),
    ``weekly_limit_pence`` (not whole pence of £0 or more) or ``reason`` (missing).
    """
    if not (getattr(by, "is_authenticated", False) and by.is_active and by.is_superuser):
        raise PermissionDenied("Only the council's system administrator can set approval limits.")
    errors = {}
    if officer is None or not has_role(officer, Role.CONTRACT_OFFICER):
        errors["officer"] = "Choose a contract officer: only contract officers approve plans"
    limit = _whole_number(weekly_limit_pence)
    if limit is None or limit < 0 or limit >= money.MAX_POUNDS * 100:
        errors["weekly_limit_pence"] = "Enter the weekly limit in pence as a whole number, 0 or more"
    reason = _text(reason)
    if not reason:
        errors["reason"] = "Enter why the limit is being set"
    if errors:
        raise ValidationError(errors)
    existing = ApprovalLimit.objects.select_for_update().filter(officer=officer).first()
    before = existing.weekly_limit_pence if existing is not None else None
    if existing is not None and before == limit:
        return existing
    row, _ = ApprovalLimit.objects.update_or_create(officer=officer,
                                                    defaults={"weekly_limit_pence": limit, "set_by": by})
    audit.record(actor=by, verb="approvallimit.set", target=row, reason=reason,
                 before={"officer": officer.pk, "weekly_limit_pence": before},
                 after={"officer": officer.pk, "weekly_limit_pence": limit})
    return row


# Decisions --------------------------------------------------------------------------------------

def _clean_exceptions(exceptions, errors) -> dict[str, str]:
    if exceptions is None:
        return {}
    if not isinstance(exceptions, Mapping):
        errors["exceptions"].append("Give each exception as its code and the reason for it")
        return {}
    clean = {}
    for code, text in exceptions.items():
        if code not in EXCEPTION_CODES:
            errors["exceptions"].append(f"“{code}” is not an exception an officer can agree: the exceptions are "
                                        f"{' and '.join(EXCEPTION_CODES)}")
        elif text is not None and not isinstance(text, str):
            errors[f"exception_{code}"].append("Give the reason for the exception in words")
        else:
            clean[code] = (text or "").strip()
    return clean


def _clean_line_ids(values, errors) -> set[int]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        errors["acknowledged_line_ids"].append("Give the ids of the lines whose specialist price you acknowledge")
        return set()
    ids = set()
    for value in values:
        number = _whole_number(value)
        if number is None:
            errors["acknowledged_line_ids"].append(f"“{value}” is not a line id")
        else:
            ids.add(number)
    return ids


def _transition_kind(choice: Mapping, requirements: ApprovalRequirements, errors) -> str:
    """The officer's choice of how the new budget comes in; always immediate unless it is lower
    than the budget in force [H V]."""
    raw = choice.get("kind") or ""
    kind = raw.strip() if isinstance(raw, str) else None
    if kind is None or (kind and kind not in TransitionKind.values):
        errors["transition_kind"].append("Choose immediately, protected or transitional")
        return ""
    in_force = requirements.budget_in_force_pence
    if requirements.is_reduction:
        if not kind:
            errors["transition_kind"].append(
                f"The new budget of {format_pence(requirements.weekly_pence)} a week is lower than the "
                f"{format_pence(in_force)} in force: choose whether it applies immediately, the higher level is "
                f"protected, or it steps down over a transitional period")
        return kind
    if kind and kind != TransitionKind.IMMEDIATE:
        errors["transition_kind"].append(
            ("The new budget is not lower than the one in force, so it applies at once" if in_force is not None
             else "The person has no budget in force, so the new one applies at once")
            + ": do not choose protected or transitional")
    return TransitionKind.IMMEDIATE


def _placement(cost: checks.LineCost) -> dict:
    line = cost.line
    service = line.kind == LineKind.SERVICE
    return {
        "line": line.pk, "kind": line.kind, "route": line.route,
        "provider_id": line.listing.organisation_id if service else None,
        "provider": line.listing.organisation.name if service else line.assistant_name,
        "listing_id": line.listing_id,
        "service": line.listing.title if service else (line.description or "Personal assistant"),
        "unit": line.unit, "quantity_per_week": format_quantity(line.quantity_per_week),
        "listed_price_pence": line.listed_price_pence, "price_pence": line.agreed_price_pence,
        "weekly_pence": cost.weekly_pence,
    }


def _breakdown_line(cost: checks.LineCost) -> dict:
    """A line of the agreed budget, in the shape of a RAS breakdown's ``service`` line (see
    :mod:`brokerage.ras`), priced at the agreed price instead of the reference rate."""
    line = cost.line
    domains = []
    for outcome in line.outcomes.all():
        if outcome.domain and outcome.domain not in domains:
            domains.append(outcome.domain)
    quantity = format_quantity(line.quantity_per_week)
    label = checks.line_label(line)
    route = DeploymentRoute(line.route).label
    entry = {
        "kind": "service", "line": line.pk, "line_kind": line.kind,
        "domain_label": ", ".join(NeedDomain(domain).label for domain in domains),
        "service": label, "category": line.listing.category.slug if line.listing_id else "",
        "quantity": quantity, "unit": line.unit, "unit_label": line.get_unit_display(),
        "rate_pence": line.agreed_price_pence, "amount_pence": cost.weekly_pence,
        "route": line.route, "route_label": route,
        "description": f"{label}: {quantity} × {format_pence(line.agreed_price_pence)} "
                       f"{line.get_unit_display()} ({route})",
    }
    if len(domains) == 1:
        entry["domain"] = domains[0]
    return entry


def _oversight_errors(error: ValidationError) -> ValidationError:
    """The transition's own rules (weeks, review date, reasons) come back keyed as the officer's
    transition fields."""
    if hasattr(error, "error_dict"):
        return ValidationError({(key if key.startswith("transition") else f"transition_{key}"): messages
                                for key, messages in error.message_dict.items()})
    return ValidationError({"transition": error.messages})


@transaction.atomic
def plan_approve(*, plan: SupportPlan, by: User, reason: str, exceptions: Mapping[str, str] | None = None,
                 acknowledged_line_ids: Iterable[int] = (), transition: Mapping | None = None) -> SupportPlan:
    """Approve a submitted plan: fix the agreed budget, approve each placement and emit
    ``PLAN_APPROVED``; pays nothing.

    ``reason`` is the officer's judgement that the plan does not put the council at unreasonable
    risk or in breach of its duties [H IV(d)]. ``exceptions`` maps ``"tolerance"`` and
    ``"live_in_relative"`` to the officer's reason for agreeing each (needed whenever the plan is
    outside tolerance or pays a live-in relative, whether or not the broker asked; ignored when not
    needed). ``acknowledged_line_ids`` names every specialist line above the reference rate.
    ``transition`` (``kind``, ``weeks``, ``review_on``, ``reason``, ``exception_reason``) says how a
    lower budget than the one in force comes in; ``kind`` is required then, and an increase always
    applies at once.

    The same officer approving the plan again (a second click) gets it back unchanged, with no
    second audit event or domain event.

    Raises ``PermissionDenied`` unless ``by`` is a contract officer who does not work for the
    person's brokerage; ``InvalidTransition`` unless the plan is waiting for sign-off (or was
    approved by another officer); ``ValidationError`` listing every problem at once, keyed
    ``reason``, ``approval_limit`` (the plan costs more a week than ``by`` may approve),
    ``checks`` (sign-off checks that only changing the plan clears), ``exceptions``,
    ``exception_tolerance``, ``exception_live_in_relative``, ``acknowledged_line_ids`` and
    ``transition_kind`` — then nothing has changed. The transitional arrangement's own rules
    (:func:`brokerage.services.oversight.budget_transition_record`) come back keyed
    ``transition_<field>``.
    """
    _require_officer(by, plan)
    locked = _lock(plan)
    if _already_decided_by(locked, PlanStatus.APPROVED, by):
        return locked
    if locked.status != PlanStatus.SUBMITTED:
        raise _not_waiting(locked, PlanStatus.APPROVED)
    plan = with_plan_details(SupportPlan.objects.filter(pk=locked.pk)).get()
    requirements = approval_requirements(plan, officer=by)
    costing = requirements.costing

    errors: dict[str, list[str]] = defaultdict(list)
    reason = _text(reason)
    if not reason:
        errors["reason"].append(REASON_MISSING[PlanStatus.APPROVED])
    if not requirements.within_limit:
        errors["approval_limit"].append(approval_limit_message(requirements))
    errors["checks"].extend(problem.message for problem in requirements.blocking)
    given = _clean_exceptions(exceptions, errors)
    if requirements.tolerance_exception_needed and not given.get(TOLERANCE):
        errors[f"exception_{TOLERANCE}"].append(
            f"The plan costs {format_pence(costing.weekly_pence)} a week, outside the {costing.tolerance_percent}% "
            f"either side of the indicative budget of {format_pence(costing.indicative_weekly_pence)} "
            f"({format_pence(costing.band_low_pence)} to {format_pence(costing.band_high_pence)}): give your reason "
            f"for agreeing an exception, or return the plan")
    if requirements.live_in_lines and not given.get(LIVE_IN_RELATIVE):
        names = ", ".join(line.assistant_name or "a personal assistant" for line in requirements.live_in_lines)
        errors[f"exception_{LIVE_IN_RELATIVE}"].append(
            f"{names} is a relative who lives with the person: give your reason for agreeing an exception to pay "
            f"them by direct payment, or return the plan")
    acknowledged = _clean_line_ids(acknowledged_line_ids or (), errors)
    for line in requirements.specialist_lines:
        if line.pk not in acknowledged:
            reference = costing.line_cost(line).reference_rate_pence
            errors["acknowledged_line_ids"].append(
                f"Acknowledge the specialist price of {checks.line_label(line)}: "
                f"{format_pence(line.agreed_price_pence)}, above the council's usual cost of "
                f"{format_pence(reference)}")
    choice = transition if isinstance(transition, Mapping) else {}
    kind = _transition_kind(choice, requirements, errors)
    errors = {key: messages for key, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    granted = [{"code": code, "reason": given[code], "by": by.pk, "at": now.isoformat()}
               for code in requirements.exception_codes]
    specialist_ids = [line.pk for line in requirements.specialist_lines]
    if specialist_ids:
        PlanLine.objects.filter(pk__in=specialist_ids).update(specialist_acknowledged_by=by,
                                                              specialist_acknowledged_at=now)

    indicative = plan.indicative_budget
    total = costing.weekly_pence
    contribution = min(indicative.weekly_contribution_pence, total)
    agreed = PersonalBudget.objects.create(
        person_id=plan.person_id, kind=BudgetKind.AGREED, assessment_id=indicative.assessment_id,
        ras_version_id=indicative.ras_version_id, weekly_total_pence=total, weekly_contribution_pence=contribution,
        weekly_council_pence=total - contribution, breakdown=[_breakdown_line(cost) for cost in costing.lines],
        contribution_basis=indicative.contribution_basis, created_by=by)

    organisation = plan.person.broker_organisation
    in_force = requirements.plan_in_force
    if in_force is not None:
        # First: the database allows one approved plan per person.
        move(in_force, PlanStatus.SUPERSEDED, by=by, organisation=organisation,
             reason=f"Replaced by version {plan.version}, approved")

    def decide(row):
        row.decided_at, row.decided_by, row.decision_reason = now, by, reason
        row.agreed_budget, row.exceptions_granted = agreed, granted

    approved = move(locked, PlanStatus.APPROVED, by=by, reason=reason, organisation=organisation, apply=decide)
    placements = [_placement(cost) for cost in costing.lines]
    audit.record(actor=by, verb="supportplan.placements_approved", target=approved, organisation=organisation,
                 reason=reason,
                 after={"agreed_budget": agreed.pk, "weekly_pence": total, "placements": placements,
                        "exceptions": granted, "specialist_acknowledged": specialist_ids,
                        "superseded": in_force.pk if in_force is not None else None})

    from brokerage.services import oversight

    if requirements.budget_in_force_pence is not None:
        try:
            oversight.budget_transition_record(
                plan=approved, by=by, from_weekly_pence=requirements.budget_in_force_pence, to_weekly_pence=total,
                kind=kind, weeks=_whole_number(choice.get("weeks")) or 0, review_on=choice.get("review_on"),
                reason=_text(choice.get("reason")), exception_reason=_text(choice.get("exception_reason")))
        except ValidationError as error:
            raise _oversight_errors(error) from None
    # Called for every plan: one without direct payments any more cancels the review still due.
    oversight.dp_reviews_schedule(plan=approved, by=by)

    events.emit(events.PLAN_APPROVED, {
        "plan_id": approved.pk, "person_id": approved.person_id, "agreed_budget_id": agreed.pk,
        "isf_line_ids": [cost.line.pk for cost in costing.lines
                         if cost.line.route == DeploymentRoute.INDIVIDUAL_SERVICE_FUND],
        "starts_on": approved.starts_on.isoformat(),
    })
    return approved


def _send_back(plan: SupportPlan, by: User, reason: str, to: str) -> SupportPlan:
    _require_officer(by, plan)
    locked = _lock(plan)
    if _already_decided_by(locked, to, by):
        return locked
    if locked.status != PlanStatus.SUBMITTED:
        raise _not_waiting(locked, to)
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": REASON_MISSING[to]})
    now = timezone.now()

    def decide(row):
        row.decided_at, row.decided_by, row.decision_reason = now, by, reason

    person = Person.objects.select_related("broker_organisation").get(pk=locked.person_id)
    return move(locked, to, by=by, reason=reason, organisation=person.broker_organisation, apply=decide)


@transaction.atomic
def plan_return(*, plan: SupportPlan, by: User, reason: str) -> SupportPlan:
    """Send a submitted plan back to the broker with what to change; they change it and submit
    it again. The same officer returning it again gets it back unchanged.

    Raises ``PermissionDenied`` as :func:`plan_approve`, ``InvalidTransition`` unless the plan is
    waiting for sign-off, and ``ValidationError`` keyed ``reason`` when none is given.
    """
    return _send_back(plan, by, reason, PlanStatus.RETURNED)


@transaction.atomic
def plan_reject(*, plan: SupportPlan, by: User, reason: str) -> SupportPlan:
    """Refuse a submitted plan, with the reason; a new plan must be started. The same officer
    rejecting it again gets it back unchanged.

    Raises ``PermissionDenied`` as :func:`plan_approve`, ``InvalidTransition`` unless the plan is
    waiting for sign-off, and ``ValidationError`` keyed ``reason`` when none is given.
    """
    return _send_back(plan, by, reason, PlanStatus.REJECTED)
