"""Random sequences of ledger postings keep the books right after every step: each transaction
balances, no contract's fund is below zero, all accounts together sum to zero, and a posting that
would overdraw a fund is refused and changes nothing.

Each example runs inside its own savepoint, rolled back at the end, so every example starts from
the same empty ledger with the same contracts.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from isf import ledger
from isf.constants import AccountKind, TransactionKind
from isf.models import Account, Entry, LedgerTransaction
from tests.isf.factories_ledger import ledger_contract

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 4, 6)
AMOUNTS = st.integers(min_value=1, max_value=500_000)


def machine_for(contracts):
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            assert not LedgerTransaction.objects.exists() and not Account.objects.exists(), "example did not start clean"
            self.contracts = contracts
            self.expected: dict[int, int] = {}
            self.reversible: list[LedgerTransaction] = []
            self.day = DAY

        def teardown(self):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        # Postings --------------------------------------------------------------------------

        def _post(self, kind, contract, entries, *, may_overdraw=False):
            self.day += datetime.timedelta(days=1)
            fund = ledger.contract_fund_account(contract)
            change = sum(amount for account, amount in entries if account.pk == fund.pk)
            would_overdraw = self.expected.get(fund.pk, 0) + change < 0
            before = (LedgerTransaction.objects.count(), Entry.objects.count())
            if would_overdraw:
                assert may_overdraw
                with pytest.raises(ValidationError, match="below zero"):
                    ledger.post(kind=kind, description=str(kind), occurred_on=self.day, entries=entries,
                                contract=contract)
                assert (LedgerTransaction.objects.count(), Entry.objects.count()) == before
                return
            posted = ledger.post(kind=kind, description=str(kind), occurred_on=self.day, entries=entries,
                                 contract=contract)
            assert (LedgerTransaction.objects.count(), Entry.objects.count()) == (before[0] + 1,
                                                                                  before[1] + len(entries))
            for account, amount in entries:
                self.expected[account.pk] = self.expected.get(account.pk, 0) + amount
            self.reversible.append(posted)

        @rule(index=st.integers(0, 2), pence=AMOUNTS)
        def release(self, index, pence):
            contract = self.contracts[index]
            self._post(TransactionKind.RELEASE, contract,
                       [(ledger.council_account(AccountKind.COUNCIL_FUNDING), -pence),
                        (ledger.contract_fund_account(contract), pence)])

        @rule(index=st.integers(0, 2), pence=AMOUNTS)
        def drawdown(self, index, pence):
            contract = self.contracts[index]
            self._post(TransactionKind.DRAWDOWN, contract,
                       [(ledger.contract_fund_account(contract), -pence),
                        (ledger.provider_income_account(contract.provider), pence)], may_overdraw=True)

        @rule(index=st.integers(0, 2), pence=AMOUNTS)
        def contribution(self, index, pence):
            contract = self.contracts[index]
            self._post(TransactionKind.CONTRIBUTION, contract,
                       [(ledger.person_contribution_account(contract.person), -pence),
                        (ledger.contract_fund_account(contract), pence)])

        @rule(index=st.integers(0, 2), pence=AMOUNTS)
        def recovery(self, index, pence):
            contract = self.contracts[index]
            self._post(TransactionKind.RECOVERY, contract,
                       [(ledger.contract_fund_account(contract), -pence),
                        (ledger.council_account(AccountKind.RECOVERIES), pence)], may_overdraw=True)

        @precondition(lambda self: self.reversible)
        @rule(data=st.data())
        def reversal(self, data):
            original = data.draw(st.sampled_from(self.reversible))
            entries = list(original.entries.values_list("account_id", "amount_pence"))
            fund = ledger.contract_fund_account(original.contract)
            change = -sum(amount for account_id, amount in entries if account_id == fund.pk)
            before = (LedgerTransaction.objects.count(), Entry.objects.count())
            self.day += datetime.timedelta(days=1)
            if self.expected.get(fund.pk, 0) + change < 0:
                with pytest.raises(ValidationError, match="below zero"):
                    ledger.reverse(transaction=original, by=None, reason="Posted in error", occurred_on=self.day)
                assert (LedgerTransaction.objects.count(), Entry.objects.count()) == before
                return
            reversal = ledger.reverse(transaction=original, by=None, reason="Posted in error", occurred_on=self.day)
            assert reversal.reverses_id == original.pk
            for account_id, amount in entries:
                self.expected[account_id] -= amount
            self.reversible.remove(original)
            with pytest.raises(ValidationError, match="already been reversed"):
                ledger.reverse(transaction=original, by=None, reason="Again", occurred_on=self.day)
            with pytest.raises(ValidationError, match="cannot itself be reversed"):
                ledger.reverse(transaction=reversal, by=None, reason="Undo the undo", occurred_on=self.day)

        # What must always hold -------------------------------------------------------------

        @invariant()
        def every_transaction_balances(self):
            unbalanced = (Entry.objects.order_by().values("transaction_id").annotate(total=Sum("amount_pence"))
                          .exclude(total=0))
            assert not unbalanced.exists()

        @invariant()
        def no_contract_fund_is_below_zero(self):
            funds = Account.objects.filter(kind=AccountKind.CONTRACT_FUND)
            assert all(held >= 0 for held in ledger.balances(funds).values())

        @invariant()
        def all_accounts_sum_to_zero(self):
            assert (Entry.objects.aggregate(total=Sum("amount_pence"))["total"] or 0) == 0

        @invariant()
        def balances_are_what_was_posted(self):
            held = ledger.balances(Account.objects.all())
            assert held == {pk: self.expected.get(pk, 0) for pk in held}

    return LedgerMachine


def test_random_postings_keep_the_books_balanced_and_no_fund_overdrawn(db):
    contracts = [ledger_contract() for _ in range(3)]
    run_state_machine_as_test(
        machine_for(contracts),
        settings=settings(max_examples=50, stateful_step_count=15, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
