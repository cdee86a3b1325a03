"""Posting a batch with ``ledger.post_many``: every rule of ``post`` holds for each posting, a
refused posting refuses the whole batch, and the batch costs the same queries however long it is."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from isf import ledger
from isf.constants import AccountKind, TransactionKind
from isf.ledger import Posting
from isf.models import Entry, LedgerTransaction
from marketplace.models import AuditEvent
from tests.isf.factories_ledger import ledger_contract

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 4, 6)


def funding():
    return ledger.council_account(AccountKind.COUNCIL_FUNDING)


def release(contract, pence, *, key=None, description="Four weeks in advance", on=DAY) -> Posting:
    return Posting(kind=TransactionKind.RELEASE, description=description, occurred_on=on, contract=contract,
                   entries=[(funding(), -pence), (ledger.contract_fund_account(contract), pence)],
                   idempotency_key=key)


def drawdown(contract, pence, *, key=None) -> Posting:
    return Posting(kind=TransactionKind.DRAWDOWN, description="Support delivered", occurred_on=DAY,
                   contract=contract, idempotency_key=key,
                   entries=[(ledger.contract_fund_account(contract), -pence),
                            (ledger.provider_income_account(contract.provider), pence)])


def fund_balance(contract) -> int:
    return ledger.balance(ledger.contract_fund_account(contract))


def nothing_written():
    return (not LedgerTransaction.objects.exists() and not Entry.objects.exists()
            and not AuditEvent.objects.filter(verb="ledger.posted").exists())


# Posting ---------------------------------------------------------------------------------------

def test_a_batch_posts_each_transaction_in_order_with_its_entries_and_audit_event(contract, other_contract,
                                                                                   finance_officer):
    posted = ledger.post_many([release(contract, 5000, key="r:1"), release(other_contract, 7000),
                               drawdown(contract, 2000, key="d:1")], by=finance_officer)
    assert [row.kind for row in posted] == [TransactionKind.RELEASE, TransactionKind.RELEASE, TransactionKind.DRAWDOWN]
    assert [row.idempotency_key for row in posted] == ["r:1", None, "d:1"]
    assert all(row.pk is not None and row.created_by == finance_officer for row in posted)
    assert (fund_balance(contract), fund_balance(other_contract)) == (3000, 7000)
    assert ledger.balance(ledger.provider_income_account(contract.provider)) == 2000
    assert sorted(posted[0].entries.values_list("account_id", "amount_pence")) == sorted(
        [(funding().pk, -5000), (ledger.contract_fund_account(contract).pk, 5000)])
    event = AuditEvent.objects.for_object(posted[2]).get()
    assert (event.verb, event.actor, event.organisation) == ("ledger.posted", finance_officer, contract.provider)
    assert event.after == {
        "kind": TransactionKind.DRAWDOWN, "description": "Support delivered", "occurred_on": "2026-04-06",
        "contract": contract.pk, "idempotency_key": "d:1", "reverses": None,
        "entries": [[ledger.contract_fund_account(contract).pk, -2000],
                    [ledger.provider_income_account(contract.provider).pk, 2000]]}


def test_a_batch_writes_the_same_audit_event_as_posting_one_by_one(contract, finance_officer):
    one = ledger.post(kind=TransactionKind.RELEASE, description="  Four weeks  ", occurred_on=DAY, contract=contract,
                      entries=[(funding(), -5000), (ledger.contract_fund_account(contract), 5000)],
                      idempotency_key="one", by=finance_officer)
    [many] = ledger.post_many([release(contract, 5000, key="many", description="  Four weeks  ")],
                              by=finance_officer)

    def shown(row):
        event = AuditEvent.objects.for_object(row).get()
        after = dict(event.after, idempotency_key=None)
        return event.verb, event.actor_label, event.organisation_id, event.target_label, after

    assert shown(one) == shown(many)


def test_an_empty_batch_writes_nothing():
    assert ledger.post_many([], by=None) == []
    assert nothing_written()


# Refusals: one bad posting refuses the whole batch ----------------------------------------------

def _bad(contract, what):
    fund = ledger.contract_fund_account(contract)
    council = funding()
    base = {"kind": TransactionKind.RELEASE, "description": "Release", "occurred_on": DAY,
            "entries": [(council, -100), (fund, 100)]}
    return Posting(**(base | {
        "unbalanced": {"entries": [(council, -100), (fund, 99)]},
        "single": {"entries": [(fund, 100)]},
        "zero": {"entries": [(council, 0), (fund, 0)]},
        "fraction": {"entries": [(council, -10.5), (fund, 10.5)]},
        "unsaved account": {"entries": [(council, -100), (type(fund)(kind=AccountKind.CONTRACT_FUND), 100)]},
        "unknown kind": {"kind": "gift"},
        "reversal naming nothing": {"kind": TransactionKind.REVERSAL},
        "no description": {"description": "   "},
        "a time, not a date": {"occurred_on": datetime.datetime(2026, 4, 6, 9, 0)},
        "overdraws": {"kind": TransactionKind.DRAWDOWN,
                      "entries": [(fund, -1), (ledger.provider_income_account(contract.provider), 1)]},
    }[what]))


@pytest.mark.parametrize("what, message", [
    ("unbalanced", "do not balance"),
    ("single", "at least two"),
    ("zero", "for nothing"),
    ("fraction", "whole number of pence"),
    ("unsaved account", "saved account"),
    ("unknown kind", "not a kind of transaction"),
    ("reversal naming nothing", "names the transaction"),
    ("no description", "Describe"),
    ("a time, not a date", "date"),
    ("overdraws", "below zero"),
])
def test_one_posting_breaking_a_rule_refuses_the_whole_batch(contract, other_contract, what, message):
    with pytest.raises(ValidationError, match=message):
        ledger.post_many([release(other_contract, 5000, key="good"), _bad(contract, what)], by=None)
    assert nothing_written()


def test_a_non_reversal_naming_a_transaction_is_refused(contract):
    [original] = ledger.post_many([release(contract, 5000)], by=None)
    wrong = Posting(kind=TransactionKind.RELEASE, description="Release", occurred_on=DAY, reverses=original,
                    entries=[(funding(), -100), (ledger.contract_fund_account(contract), 100)])
    with pytest.raises(ValidationError, match="names the transaction"):
        ledger.post_many([wrong], by=None)
    assert LedgerTransaction.objects.count() == 1


def test_two_postings_that_together_overdraw_a_fund_are_refused(contract):
    ledger.post_many([release(contract, 10000)], by=None)
    with pytest.raises(ValidationError, match="below zero"):
        ledger.post_many([drawdown(contract, 6000), drawdown(contract, 5000)], by=None)
    assert fund_balance(contract) == 10000
    assert LedgerTransaction.objects.count() == 1


def test_a_fund_is_checked_after_each_posting_in_the_order_given(contract):
    # Paid in then drawn down: never below zero.
    ledger.post_many([release(contract, 4000), drawdown(contract, 4000)], by=None)
    assert fund_balance(contract) == 0
    # Drawn down before it is paid in: below zero in between, refused as post() one by one would.
    with pytest.raises(ValidationError, match="below zero"):
        ledger.post_many([drawdown(contract, 4000), release(contract, 4000)], by=None)
    assert LedgerTransaction.objects.count() == 2


def test_a_reversal_in_a_batch_follows_the_reversal_rules(contract):
    [original] = ledger.post_many([release(contract, 9000)], by=None)
    undo = Posting(kind=TransactionKind.REVERSAL, description="Undo", occurred_on=DAY, contract=contract,
                   reverses=original, entries=[(funding(), 9000), (ledger.contract_fund_account(contract), -9000)])
    with pytest.raises(ValidationError, match="already been reversed"):
        ledger.post_many([undo, undo], by=None)
    assert fund_balance(contract) == 9000
    [reversal] = ledger.post_many([undo], by=None)
    assert reversal.reverses == original and fund_balance(contract) == 0
    with pytest.raises(ValidationError, match="already been reversed"):
        ledger.post_many([undo], by=None)
    assert LedgerTransaction.objects.count() == 2


# Idempotency -----------------------------------------------------------------------------------

def test_posting_the_same_batch_again_returns_the_first_transactions_and_writes_nothing(contract, other_contract):
    batch = [release(contract, 5000, key="r:1"), release(other_contract, 6000, key="r:2")]
    first = ledger.post_many(batch, by=None)
    events = AuditEvent.objects.count()
    again = ledger.post_many(batch, by=None)
    assert [row.pk for row in again] == [row.pk for row in first]
    assert LedgerTransaction.objects.count() == 2 and AuditEvent.objects.count() == events
    assert (fund_balance(contract), fund_balance(other_contract)) == (5000, 6000)


def test_a_mixed_batch_posts_the_new_and_returns_the_old(contract, other_contract):
    [old] = ledger.post_many([release(contract, 5000, key="r:1")], by=None)
    posted = ledger.post_many([release(other_contract, 1000, key="r:2"), release(contract, 5000, key="r:1"),
                               release(contract, 300)], by=None)
    assert posted[1].pk == old.pk
    assert posted[0].pk not in (None, old.pk) and posted[2].pk not in (None, old.pk, posted[0].pk)
    assert LedgerTransaction.objects.count() == 3
    assert (fund_balance(contract), fund_balance(other_contract)) == (5300, 1000)


def test_an_existing_key_is_not_counted_twice_against_a_fund(contract):
    # The release already posted is not posted again, so the fund holds 5000, not 10000.
    ledger.post_many([release(contract, 5000, key="r:1")], by=None)
    with pytest.raises(ValidationError, match="below zero"):
        ledger.post_many([release(contract, 5000, key="r:1"), drawdown(contract, 6000)], by=None)
    ledger.post_many([release(contract, 5000, key="r:1"), drawdown(contract, 5000)], by=None)
    assert fund_balance(contract) == 0


def test_different_entries_under_a_key_already_used_refuse_the_batch(contract, other_contract):
    ledger.post_many([release(contract, 5000, key="r:1")], by=None)
    with pytest.raises(ValidationError, match="already posted for r:1"):
        ledger.post_many([release(other_contract, 100, key="r:2"), release(contract, 6000, key="r:1")], by=None)
    assert LedgerTransaction.objects.count() == 1


def test_the_same_key_twice_in_one_batch_is_one_transaction_or_refused(contract):
    first, second = ledger.post_many([release(contract, 5000, key="r:1"), release(contract, 5000, key="r:1")],
                                     by=None)
    assert first.pk == second.pk and fund_balance(contract) == 5000
    with pytest.raises(ValidationError, match="already posted for r:2"):
        ledger.post_many([release(contract, 5000, key="r:2"), release(contract, 4000, key="r:2")], by=None)
    assert LedgerTransaction.objects.count() == 1


# Cost ------------------------------------------------------------------------------------------

def _queries(postings) -> int:
    with CaptureQueriesContext(connection) as captured:
        ledger.post_many(postings, by=None)
    return len(captured)


def test_a_batch_costs_the_same_queries_however_many_postings():
    contracts = [ledger_contract() for _ in range(12)]
    for contract in contracts:  # accounts exist before counting, as they do in a payment run
        ledger.contract_fund_account(contract), ledger.provider_income_account(contract.provider)
    funding()
    ContentType.objects.get_for_model(LedgerTransaction)
    few = _queries([release(contract, 5000, key=f"r:{contract.pk}") for contract in contracts[:2]])
    many = _queries([release(contract, 5000, key=f"r:{contract.pk}") for contract in contracts[2:]])
    assert few == many
    # Taking from funds adds the lock and the balances, once.
    few_taking = _queries([drawdown(contract, 100, key=f"d:{contract.pk}") for contract in contracts[:2]])
    many_taking = _queries([drawdown(contract, 100, key=f"d:{contract.pk}") for contract in contracts[2:]])
    assert few_taking == many_taking == many + 2
