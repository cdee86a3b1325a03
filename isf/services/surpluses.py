"""Money a provider holds above the contract's surplus rule: found, then recovered or left with it.

The rule [issue 5, "ISF contracts"]: unspent money up to ``surplus_carry_weeks`` of the weekly
amount net of the person's contribution may be carried; more is recovered by the council through a
recorded ledger transaction. Finding is a scheduled job (``isf.find_surpluses``) and a management
command; deciding is a finance officer's job in the console.
"""

import datetime
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from isf import ledger
from isf.constants import AccountKind, ContractStatus, SurplusStatus, TransactionKind
from brokerage.constants import DeploymentRoute
from brokerage.models import PlanLine
from isf.models import ContractTerms, Entry, IsfContract, SurplusFlag
from isf.selectors.contracts import terms_on, weekly_amounts, with_terms
from isf.services.contracts import contribution_shares
from marketplace import audit
from marketplace.constants import Role
from marketplace.models import User
from marketplace.money import format_pence, multiply
from marketplace.permissions import has_role
from marketplace.transitions import transition

__all__ = ["surplus_allowed_pence", "surplus_allowed_many", "surplus_recover", "surplus_waive", "surpluses_find"]

REASON_MAX = 2000


def surplus_allowed_pence(contract: IsfContract, on: datetime.date) -> int | None:
    """What the fund may hold on ``on``: the carry weeks × the net weekly amount of the terms in
    force then; None before the contract has terms in force."""
    terms = terms_on(contract, on)
    if terms is None:
        return None
    return contract.surplus_carry_weeks * weekly_amounts(terms).net_pence


def surplus_allowed_many(contracts: QuerySet, on: datetime.date) -> dict[int, int | None]:
    """:func:`surplus_allowed_pence` for every contract of ``contracts``, in three queries however
    many there are (plain rows: a report may read thousands)."""
    carry = dict(contracts.order_by().values_list("pk", "surplus_carry_weeks"))
    in_force = {}
    # Ordered oldest first, so the terms in force (the latest to start, then the highest id) come last.
    for row in (ContractTerms.objects.filter(contract__in=contracts.values("pk"), effective_from__lte=on)
                .order_by("contract_id", "effective_from", "pk")
                .values_list("contract_id", "plan_id", "plan_line_id", "weekly_pence",
                             "plan__agreed_budget__weekly_contribution_pence")):
        in_force[row[0]] = row
    costs: dict[int, dict[int, int]] = defaultdict(dict)
    lines = (PlanLine.objects.filter(route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND,
                                     plan__in=ContractTerms.objects.filter(contract__in=contracts.values("pk"))
                                     .values("plan_id"))
             .order_by().values_list("plan_id", "pk", "agreed_price_pence", "quantity_per_week"))
    for plan_id, line_id, price, quantity in lines:
        costs[plan_id][line_id] = multiply(price, quantity)
    allowed: dict[int, int | None] = {}
    for contract_id, weeks in carry.items():
        row = in_force.get(contract_id)
        if row is None:
            allowed[contract_id] = None
            continue
        _, plan_id, line_id, weekly, contribution = row
        share = contribution_shares(contribution or 0, costs[plan_id]).get(line_id, 0)
        allowed[contract_id] = weeks * (weekly - share)
    return allowed


def _fund_balances_on(contract_ids: list[int], on: datetime.date) -> dict[int, int]:
    """``{contract id: fund balance on ``on``}`` in one query."""
    rows = (Entry.objects.filter(account__kind=AccountKind.CONTRACT_FUND, account__contract_id__in=contract_ids,
                                 transaction__occurred_on__lte=on)
            .order_by().values("account__contract_id").annotate(total=Sum("amount_pence"))
            .values_list("account__contract_id", "total"))
    return dict(rows)


@transaction.atomic
def surpluses_find(*, on: datetime.date | None = None, by: User | None = None) -> list[SurplusFlag]:
    """Flag each active or suspended contract whose fund holds more than its surplus rule allows
    on ``on`` (today by default) and return the new flags.

    A fund holding exactly the allowance is within the rule. A contract that already has an open
    flag keeps it unchanged, so running the job again (or twice at once) adds nothing. Queries do
    not grow with the number of contracts, only one audit event per new flag
    (``surplusflag.found``).
    """
    on = on or timezone.localdate()
    contracts = list(with_terms(IsfContract.objects.filter(
        status__in=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED])).order_by("pk"))
    ids = [contract.pk for contract in contracts]
    held = _fund_balances_on(ids, on)
    already = set(SurplusFlag.objects.filter(contract_id__in=ids, status=SurplusStatus.OPEN)
                  .values_list("contract_id", flat=True))
    found = []
    for contract in contracts:
        balance = held.get(contract.pk, 0)
        if contract.pk in already or balance <= 0:
            continue
        allowed = surplus_allowed_pence(contract, on)
        if allowed is None or balance <= allowed:
            continue
        found.append(SurplusFlag(contract=contract, found_on=on, balance_pence=balance, allowed_pence=allowed,
                                 surplus_pence=balance - allowed))
    if not found:
        return []
    try:
        with transaction.atomic():
            created = SurplusFlag.objects.bulk_create(found)
    except IntegrityError:
        # Another run flagged some of these contracts in the meantime: keep its flags, add the rest.
        created = []
        for flag in found:
            try:
                with transaction.atomic():
                    flag.save()
            except IntegrityError:
                continue
            created.append(flag)
    for flag in created:
        audit.record(actor=by, verb="surplusflag.found", target=flag, organisation=flag.contract.provider,
                     after={"balance_pence": flag.balance_pence, "allowed_pence": flag.allowed_pence,
                            "surplus_pence": flag.surplus_pence, "found_on": on.isoformat()})
    return created


def _require_finance_officer(by: User) -> None:
    if not has_role(by, Role.FINANCE_OFFICER):
        raise PermissionDenied("Only a council finance officer can decide what happens to a surplus.")


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": message})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"The reason must be {REASON_MAX:,} characters or fewer"})
    return reason


def _decided(by: User, reason: str, **fields):
    def apply(flag: SurplusFlag) -> None:
        flag.decided_by, flag.decided_at, flag.reason = by, timezone.now(), reason
        for name, value in fields.items():
            setattr(flag, name, value)

    return apply


@transaction.atomic
def surplus_recover(*, flag: SurplusFlag, by: User, reason: str, amount_pence: int | None = None) -> SurplusFlag:
    """Take the surplus (or ``amount_pence`` of it) back from the contract's fund into the council's
    recoveries, and mark the flag recovered.

    The ledger transaction's key is ``surplus:<flag id>``, so recovering the same flag again moves
    no more money: a flag already recovered is returned unchanged.

    Raises ``PermissionDenied`` unless ``by`` is a finance officer; ``ValidationError`` without a
    reason, for an amount of £0 or less, or for more than the fund holds now;
    ``InvalidTransition`` for a flag already waived.
    """
    _require_finance_officer(by)
    reason = _reason(reason, "Enter why the surplus is being recovered")
    locked = SurplusFlag.objects.select_for_update().select_related("contract", "contract__provider").get(pk=flag.pk)
    if locked.status == SurplusStatus.RECOVERED:
        return locked
    if locked.status != SurplusStatus.OPEN:
        return transition(locked, SurplusStatus.RECOVERED, by=by, reason=reason)  # raises InvalidTransition
    amount = locked.surplus_pence if amount_pence is None else amount_pence
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError({"amount_pence": "Enter an amount to recover of more than £0"})
    contract = locked.contract
    fund = ledger.contract_fund_account(contract)
    held = ledger.balance(fund)
    if amount > held:
        raise ValidationError({"amount_pence": f"The fund holds {format_pence(held)} now: "
                                               f"recover no more than that"})
    recovery = ledger.post(
        kind=TransactionKind.RECOVERY, description=f"Surplus recovered from ISF {contract.reference}",
        occurred_on=timezone.localdate(), contract=contract, by=by, idempotency_key=f"surplus:{locked.pk}",
        entries=[(fund, -amount), (ledger.council_account(AccountKind.RECOVERIES), amount)])
    return transition(locked, SurplusStatus.RECOVERED, by=by, reason=reason, organisation=contract.provider,
                      apply=_decided(by, reason, recovery=recovery))


@transaction.atomic
def surplus_waive(*, flag: SurplusFlag, by: User, reason: str) -> SurplusFlag:
    """Leave the surplus with the provider, for the reason given (for example, a planned holiday the
    money is saved for).

    Raises ``PermissionDenied`` unless ``by`` is a finance officer, ``ValidationError`` without a
    reason and ``InvalidTransition`` for a flag already recovered.
    """
    _require_finance_officer(by)
    reason = _reason(reason, "Enter why the surplus is being left with the provider")
    contract = IsfContract.objects.select_related("provider").get(pk=flag.contract_id)
    return transition(flag, SurplusStatus.WAIVED, by=by, reason=reason, organisation=contract.provider,
                      apply=_decided(by, reason))

