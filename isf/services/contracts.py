"""Individual Service Fund contracts: offered when the council approves a plan, accepted or declined
by the provider, suspended, reinstated and ended by the council.

Each approved plan line with the ``individual_service_fund`` route leads to one contract with the
line's provider for the line's service. A later approved version of the plan amends the contract in
force for the same person, provider and service (a new :class:`~isf.models.ContractTerms` row from
the new plan's start) instead of making a new one; a contract whose line is missing from the new
version ends the day before that version starts.

The person's contribution: the agreed budget's weekly contribution is taken from the plan's ISF
lines in proportion to their weekly cost (see :func:`contribution_shares`), so each contract shows
its weekly amount gross (quantity × agreed price), the person's share of the contribution and the
net amount the council pays.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from brokerage.checks import line_weekly_pence
from brokerage.constants import DeploymentRoute, PlanStatus
from brokerage.models import PlanLine, SupportPlan
from isf.constants import ContractStatus
from isf.models import ContractTerms, IsfContract
from marketplace import audit, money
from marketplace.constants import PROVIDER_ROLES, Role
from marketplace.models import User
from marketplace.permissions import require_role
from marketplace.transitions import InvalidTransition, transition
from providers.selectors import provider_staff_addresses

__all__ = ["contracts_offer_for_plan", "contract_accept", "contract_decline", "contract_suspend",
           "contract_reinstate", "contract_end", "contribution_shares", "OFFICER_ROLES"]

OFFICER_ROLES = (Role.CONTRACT_OFFICER, Role.FINANCE_OFFICER)
REASON_MISSING = "Give a reason"


def contribution_shares(contribution_pence: int, weekly_costs: dict[int, int]) -> dict[int, int]:
    """Share a weekly contribution between lines in proportion to their weekly cost.

    ``weekly_costs`` maps a line id to its weekly cost. The contribution is capped at the lines'
    total; each line gets its proportional share rounded down, and the pennies left over go one
    each to the lines in id order (``money.split``), so the shares add up exactly.
    """
    total = sum(weekly_costs.values())
    contribution = min(int(contribution_pence), total)
    if not weekly_costs or contribution <= 0:
        return {line_id: 0 for line_id in weekly_costs}
    ordered = sorted(weekly_costs)
    shares = {line_id: contribution * weekly_costs[line_id] // total for line_id in ordered}
    left = contribution - sum(shares.values())
    for line_id, penny in zip(ordered, money.split(left, len(ordered))):
        shares[line_id] += penny
    return shares


def _plan_isf_lines(plan: SupportPlan) -> list[PlanLine]:
    return list(PlanLine.objects.filter(plan=plan, route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND)
                .select_related("listing").prefetch_related("outcomes").order_by("pk"))


def _text(value) -> str:
    return (value or "").strip() if isinstance(value, str) else ""


def _need_reason(reason) -> str:
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": [REASON_MISSING]})
    return reason


def _provisional_reference() -> str:
    return f"ISF-new-{uuid.uuid4().hex[:12]}"


def _live_contract(person_id: int, provider_id: int, listing_id: int) -> IsfContract | None:
    return (IsfContract.objects.select_for_update(of=("self",))
            .filter(person_id=person_id, provider_id=provider_id, listing_id=listing_id)
            .exclude(status=ContractStatus.ENDED).first())


def _terms_for(contract: IsfContract, plan: SupportPlan, line: PlanLine, effective_from: datetime.date):
    """Add the line's terms to the contract; None when the line already has terms (a repeat)."""
    try:
        with transaction.atomic():
            return ContractTerms.objects.create(
                contract=contract, plan=plan, plan_line=line, effective_from=effective_from,
                item=line.listing.title, unit=line.unit, quantity_per_week=line.quantity_per_week,
                price_pence=line.agreed_price_pence, weekly_pence=line_weekly_pence(line),
                outcomes=[outcome.text for outcome in line.outcomes.all()])
    except IntegrityError:
        if ContractTerms.objects.filter(plan_line=line).exists():
            return None
        raise


def _new_contract(plan: SupportPlan, line: PlanLine, starts_on: datetime.date) -> IsfContract | None:
    """A new offered contract for the line, or None when another one is live for the same person,
    provider and service (made concurrently)."""
    try:
        with transaction.atomic():
            contract = IsfContract.objects.create(
                reference=_provisional_reference(), person_id=plan.person_id,
                provider_id=line.listing.organisation_id, listing=line.listing, starts_on=starts_on,
                ends_on=line.ends_on if line.ends_on and line.ends_on >= starts_on else None)
            contract.reference = f"ISF-{contract.pk:06d}"
            contract.save(update_fields=["reference"])
            return contract
    except IntegrityError:
        return None


@transaction.atomic
def contracts_offer_for_plan(*, plan: SupportPlan, by: User | None = None) -> list[IsfContract]:
    """Offer (or amend) a contract for each ISF line of an approved plan, and end the person's live
    contracts whose service the plan no longer buys through an ISF; returns the contracts offered or
    amended now.

    Safe to call again for the same plan: a line that already has terms is skipped. A plan that is
    not (or no longer) the approved plan in force changes nothing. Each new offer is emailed to the
    provider's staff after the commit.
    """
    plan = SupportPlan.objects.select_related("agreed_budget").get(pk=plan.pk)
    if plan.status != PlanStatus.APPROVED:
        return []
    lines = _plan_isf_lines(plan)
    changed: list[IsfContract] = []
    offered: list[IsfContract] = []
    kept: set[tuple[int, int]] = set()
    for line in lines:
        key = (line.listing.organisation_id, line.listing_id)
        kept.add(key)
        if ContractTerms.objects.filter(plan_line=line).exists():
            continue
        starts_on = max(plan.starts_on, line.starts_on)
        contract = _live_contract(plan.person_id, *key)
        created = False
        if contract is None:
            contract = _new_contract(plan, line, starts_on)
            created = contract is not None
            if contract is None:
                contract = _live_contract(plan.person_id, *key)
        effective_from = max(starts_on, contract.starts_on)
        terms = _terms_for(contract, plan, line, effective_from)
        if terms is None:
            continue
        if created:
            audit.record(actor=by, verb="isfcontract.offered", target=contract, organisation=contract.provider,
                         after={"reference": contract.reference, "plan": plan.pk, "plan_line": line.pk,
                                "weekly_pence": terms.weekly_pence, "starts_on": contract.starts_on.isoformat()})
            offered.append(contract)
        else:
            before_end = contract.ends_on
            new_end = line.ends_on if line.ends_on and line.ends_on >= contract.starts_on else None
            if new_end != before_end:
                contract.ends_on = new_end
                contract.save(update_fields=["ends_on"])
            audit.record(actor=by, verb="isfcontract.amended", target=contract, organisation=contract.provider,
                         reason=f"Version {plan.version} of the plan approved",
                         after={"plan": plan.pk, "plan_line": line.pk, "terms": terms.pk,
                                "effective_from": effective_from.isoformat(), "weekly_pence": terms.weekly_pence,
                                "ends_on": new_end.isoformat() if new_end else None})
        changed.append(contract)

    # Contracts for services this version no longer buys through an ISF end before it starts.
    dropped = (IsfContract.objects.select_for_update(of=("self",)).filter(person_id=plan.person_id)
               .exclude(status=ContractStatus.ENDED)
               .exclude(pk__in=ContractTerms.objects.filter(plan=plan).values("contract_id")).order_by("pk"))
    for contract in dropped:
        if (contract.provider_id, contract.listing_id) in kept:
            continue
        last_day = max(contract.starts_on, plan.starts_on - datetime.timedelta(days=1))
        _end(contract, by=by, reason=f"Not in version {plan.version} of the plan, which starts on "
                                     f"{plan.starts_on:%-d %B %Y}", ends_on=last_day)
    for contract in offered:
        _tell_provider(contract)
    return changed


def _tell_provider(contract: IsfContract) -> None:
    """Email the provider's staff after commit: the reference, the service, the start and where to
    answer. The person's name is on the contract in the portal, not in the email."""
    recipients = provider_staff_addresses([contract.provider_id]).get(contract.provider_id, [])
    if not recipients:
        return
    link = settings.SITE_URL + reverse("isf:contract", kwargs={"org_id": contract.provider_id,
                                                               "contract_id": contract.pk})
    subject = f"Individual Service Fund contract {contract.reference} offered"
    body = "\n".join([
        f"The council offers you an Individual Service Fund contract, {contract.reference}, for "
        f"{contract.listing.title}, starting on {contract.starts_on:%-d %B %Y}.",
        "Please read it and accept or decline it in your provider portal:",
        link,
    ])
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))


# The provider's answer --------------------------------------------------------------------------

def _require_provider(by: User, contract: IsfContract) -> None:
    require_role(by, *PROVIDER_ROLES, organisation_id=contract.provider_id)


@transaction.atomic
def contract_accept(*, contract: IsfContract, by: User) -> IsfContract:
    """The provider accepts the offer: the contract is in force (offered → active).

    Raises ``PermissionDenied`` unless ``by`` is staff or an administrator of the contract's
    provider; ``InvalidTransition`` unless the contract is offered (accepting twice is harmless).
    """
    _require_provider(by, contract)
    locked = IsfContract.objects.select_for_update(of=("self",)).get(pk=contract.pk)
    if locked.status == ContractStatus.SUSPENDED:
        # Only the council lifts a suspension; the table's suspended → active is its reinstatement.
        _refuse(locked, ContractStatus.ACTIVE)

    def accepted(row):
        row.accepted_at, row.accepted_by = timezone.now(), by

    return transition(locked, ContractStatus.ACTIVE, by=by, organisation=contract.provider, apply=accepted)


def _refuse(contract: IsfContract, target: str):
    allowed = set() if contract.status == ContractStatus.ENDED else {ContractStatus.ENDED}
    raise InvalidTransition(contract, contract.status, target, allowed)


@transaction.atomic
def contract_decline(*, contract: IsfContract, by: User, reason: str) -> IsfContract:
    """The provider declines the offer, with a reason: the contract ends (offered → ended).

    Raises ``PermissionDenied`` unless ``by`` is staff or an administrator of the contract's
    provider; ``ValidationError`` keyed ``reason`` without one; ``InvalidTransition`` unless the
    contract is offered.
    """
    _require_provider(by, contract)
    reason = _need_reason(reason)
    locked = IsfContract.objects.select_for_update(of=("self",)).get(pk=contract.pk)
    if locked.status != ContractStatus.OFFERED:
        _refuse(locked, ContractStatus.ENDED)
    return _end(locked, by=by, reason=reason, ends_on=None)


# The council's decisions ------------------------------------------------------------------------

@transaction.atomic
def contract_suspend(*, contract: IsfContract, by: User, reason: str) -> IsfContract:
    """Stop payments for now (active → suspended), with a reason.

    Raises ``PermissionDenied`` unless ``by`` is a contract or finance officer; ``ValidationError``
    keyed ``reason`` without one; ``InvalidTransition`` unless the contract is active.
    """
    require_role(by, *OFFICER_ROLES)
    reason = _need_reason(reason)

    def suspended(row):
        row.suspended_reason = reason

    return transition(contract, ContractStatus.SUSPENDED, by=by, reason=reason, organisation=contract.provider,
                      apply=suspended)


@transaction.atomic
def contract_reinstate(*, contract: IsfContract, by: User, reason: str) -> IsfContract:
    """Restart payments (suspended → active), with a reason.

    Raises ``PermissionDenied`` unless ``by`` is a contract or finance officer; ``ValidationError``
    keyed ``reason`` without one; ``InvalidTransition`` unless the contract is suspended.
    """
    require_role(by, *OFFICER_ROLES)
    reason = _need_reason(reason)
    locked = IsfContract.objects.select_for_update(of=("self",)).get(pk=contract.pk)
    if locked.status != ContractStatus.SUSPENDED:
        _refuse(locked, ContractStatus.ACTIVE)

    def reinstated(row):
        row.suspended_reason = ""

    return transition(locked, ContractStatus.ACTIVE, by=by, reason=reason, organisation=contract.provider,
                      apply=reinstated)


@transaction.atomic
def contract_end(*, contract: IsfContract, by: User, reason: str,
                 ends_on: datetime.date | None = None) -> IsfContract:
    """End the contract (offered, active or suspended → ended), with a reason; ``ends_on`` is its
    last day (today by default, never before it starts).

    Raises ``PermissionDenied`` unless ``by`` is a contract or finance officer; ``ValidationError``
    keyed ``reason`` without one or ``ends_on`` before the start; ``InvalidTransition`` when it has
    already ended.
    """
    require_role(by, *OFFICER_ROLES)
    reason = _need_reason(reason)
    locked = IsfContract.objects.select_for_update(of=("self",)).get(pk=contract.pk)
    if locked.status == ContractStatus.ENDED:
        _refuse(locked, ContractStatus.ENDED)
    if ends_on is not None and ends_on < locked.starts_on:
        raise ValidationError({"ends_on": [f"The contract starts on {locked.starts_on:%-d %B %Y}: it cannot end "
                                           f"before then"]})
    last_day = ends_on or max(timezone.localdate(), locked.starts_on)
    return _end(locked, by=by, reason=reason, ends_on=last_day)


def _end(contract: IsfContract, *, by: User | None, reason: str, ends_on: datetime.date | None) -> IsfContract:
    def ended(row):
        row.ended_at, row.ended_reason = timezone.now(), reason
        if ends_on is not None:
            row.ends_on = ends_on

    return transition(contract, ContractStatus.ENDED, by=by, reason=reason, organisation=contract.provider,
                      apply=ended)
