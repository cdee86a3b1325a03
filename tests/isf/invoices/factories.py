"""Active ISF contracts made the council's way (an approved plan, then the provider's acceptance),
moved into the past so support can be invoiced, with money released into their funds, and invoice
drafts against them."""

import datetime
from decimal import Decimal

from django.utils import timezone

from brokerage.constants import DeploymentRoute
from isf import ledger, services
from isf.constants import AccountKind, TransactionKind
from isf.invoice_checks import DraftLine, InvoiceDraft
from isf.models import ContractTerms, IsfContract
from marketplace.constants import Role
from tests.brokerage.factories import PlanLineFactory
from tests.isf.factories_contracts import approve, isf_plan
from tests.marketplace.factories import MembershipFactory, UserFactory

# The factories' plan line: 16 hours a week at £24.00.
PRICE = 2400
WEEKLY_HOURS = Decimal("16")


def today() -> datetime.date:
    return timezone.localdate()


def release(contract: IsfContract, pence: int, *, key: str | None = None):
    """The council releases ``pence`` into the contract's fund."""
    return ledger.post(kind=TransactionKind.RELEASE, description=f"Release to {contract.reference}",
                       occurred_on=today(), idempotency_key=key, contract=contract,
                       entries=[(ledger.council_account(AccountKind.COUNCIL_FUNDING), -pence),
                                (ledger.contract_fund_account(contract), pence)])


def staff_of(contract: IsfContract, role=Role.PROVIDER_STAFF):
    user = UserFactory()
    MembershipFactory(user=user, organisation=contract.provider, role=role)
    return user


def active_contract(officer, *, fund_pence: int = 200_000, started_days_ago: int = 56, flexible_use: bool = False,
                    ends_on: datetime.date | None = None) -> IsfContract:
    """An accepted contract (16 hours a week at £24.00) that started ``started_days_ago`` days ago,
    with ``fund_pence`` released into its fund."""
    plan = approve(isf_plan(), officer)
    # In a transactional test the approval's handler has already offered the contract on commit.
    offered = services.contracts_offer_for_plan(plan=plan) or list(IsfContract.objects.filter(terms__plan=plan))
    contract = offered[0]
    services.contract_accept(contract=contract, by=staff_of(contract))
    starts_on = today() - datetime.timedelta(days=started_days_ago)
    IsfContract.objects.filter(pk=contract.pk).update(starts_on=starts_on, flexible_use=flexible_use, ends_on=ends_on)
    ContractTerms.objects.filter(contract=contract).update(effective_from=starts_on)
    contract.refresh_from_db()
    if fund_pence:
        release(contract, fund_pence)
    return contract


def add_item(contract: IsfContract, *, item: str, quantity_per_week="4", price_pence: int = 3000) -> ContractTerms:
    """Another item in the contract's current terms (as if the plan had a second line for it)."""
    first = contract.terms.order_by("effective_from", "pk").first()
    line = PlanLineFactory(plan=first.plan, route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND, listing=contract.listing,
                           quantity_per_week=Decimal(quantity_per_week), agreed_price_pence=price_pence,
                           listed_price_pence=price_pence, starts_on=first.effective_from)
    return ContractTerms.objects.create(
        contract=contract, plan=first.plan, plan_line=line, effective_from=first.effective_from, item=item,
        unit=first.unit, quantity_per_week=Decimal(quantity_per_week), price_pence=price_pence,
        weekly_pence=int(Decimal(price_pence) * Decimal(quantity_per_week)))


def last_week() -> tuple[datetime.date, datetime.date]:
    end = today() - datetime.timedelta(days=1)
    return end - datetime.timedelta(days=6), end


def line(item, *, quantity="10", price: int = PRICE, start=None, end=None, number=None) -> DraftLine:
    week_start, week_end = last_week()
    return DraftLine(item=item, date_from=start or week_start, date_to=end or week_end, quantity=Decimal(quantity),
                     unit_price_pence=price, number=number)


def draft(contract: IsfContract, *, number: str = "INV-1", lines=None, start=None, end=None,
          contract_key=None) -> InvoiceDraft:
    """A draft invoice for last week: by default one line of 10 hours of the contract's item at the
    agreed price (£240.00)."""
    week_start, week_end = last_week()
    item = contract.terms.order_by("effective_from", "pk").first().item
    return InvoiceDraft(number=number, contract=contract.pk if contract_key is None else contract_key,
                        period_start=start or week_start, period_end=end or week_end,
                        lines=tuple(lines if lines is not None else [line(item)]))


def item_of(contract: IsfContract) -> str:
    return contract.terms.order_by("effective_from", "pk").first().item


def submitted(contract: IsfContract, *, number: str = "INV-1", by=None, **kwargs):
    """A validated invoice of ``draft(contract, …)``."""
    return services.invoice_submit(provider=contract.provider, draft=draft(contract, number=number, **kwargs),
                                   by=by or staff_of(contract))
