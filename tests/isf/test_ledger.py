import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from isf import ledger
from isf.constants import AccountKind, TransactionKind
from isf.models import Account, Entry, LedgerImmutable, LedgerTransaction
from marketplace.models import AuditEvent
from marketplace.scoping import get_visible_or_404, visible_to
from tests.brokerage.factories import PersonFactory
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 4, 6)


def release(contract, pence, *, on=DAY, key=None, by=None):
    return ledger.post(kind=TransactionKind.RELEASE, description="Four weeks in advance", occurred_on=on,
                       entries=[(ledger.council_account(AccountKind.COUNCIL_FUNDING), -pence),
                                (ledger.contract_fund_account(contract), pence)],
                       contract=contract, idempotency_key=key, by=by)


def drawdown(contract, pence, *, on=DAY, key=None):
    return ledger.post(kind=TransactionKind.DRAWDOWN, description="Support delivered", occurred_on=on,
                       entries=[(ledger.contract_fund_account(contract), -pence),
                                (ledger.provider_income_account(contract.provider), pence)],
                       contract=contract, idempotency_key=key)


# Accounts ----------------------------------------------------------------------------------------

def test_each_account_is_created_once_and_then_reused(contract):
    assert ledger.contract_fund_account(contract) == ledger.contract_fund_account(contract)
    assert ledger.provider_income_account(contract.provider) == ledger.provider_income_account(contract.provider)
    assert ledger.person_contribution_account(contract.person) == ledger.person_contribution_account(contract.person)
    assert ledger.council_account(AccountKind.RECOVERIES) == ledger.council_account(AccountKind.RECOVERIES)
    assert Account.objects.count() == 4


def test_a_council_account_is_only_a_council_kind():
    with pytest.raises(ValueError):
        ledger.council_account(AccountKind.CONTRACT_FUND)


# Posting -----------------------------------------------------------------------------------------

def test_a_balanced_posting_writes_its_entries_and_an_audit_event(contract, finance_officer):
    posted = release(contract, 153600, by=finance_officer)
    fund = ledger.contract_fund_account(contract)
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    assert sorted(posted.entries.values_list("account_id", "amount_pence")) == sorted(
        [(funding.pk, -153600), (fund.pk, 153600)])
    assert posted.created_by == finance_officer
    assert posted.contract == contract
    event = AuditEvent.objects.for_object(posted).get()
    assert event.verb == "ledger.posted"
    assert event.actor == finance_officer


def test_entries_that_do_not_add_up_to_zero_are_refused_and_nothing_is_written(contract):
    fund = ledger.contract_fund_account(contract)
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    with pytest.raises(ValidationError, match="do not balance"):
        ledger.post(kind=TransactionKind.RELEASE, description="Release", occurred_on=DAY,
                    entries=[(funding, -1000), (fund, 999)])
    assert not LedgerTransaction.objects.exists()
    assert not Entry.objects.exists()
    assert not AuditEvent.objects.filter(verb="ledger.posted").exists()


def test_a_single_entry_is_refused(contract):
    with pytest.raises(ValidationError, match="at least two"):
        ledger.post(kind=TransactionKind.RELEASE, description="Release", occurred_on=DAY,
                    entries=[(ledger.contract_fund_account(contract), 100)])
    assert not LedgerTransaction.objects.exists()


@pytest.mark.parametrize("amount", [0, 10.0, True, Decimal("10.5"), "10"])
def test_an_amount_that_is_not_a_non_zero_whole_number_of_pence_is_refused(contract, amount):
    fund = ledger.contract_fund_account(contract)
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    with pytest.raises(ValidationError):
        ledger.post(kind=TransactionKind.RELEASE, description="Release", occurred_on=DAY,
                    entries=[(funding, -amount if not isinstance(amount, str) else "-10"), (fund, amount)])
    assert not LedgerTransaction.objects.exists()


def test_a_whole_decimal_amount_is_taken_as_pence(contract):
    fund = ledger.contract_fund_account(contract)
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    ledger.post(kind=TransactionKind.RELEASE, description="Release", occurred_on=DAY,
                entries=[(funding, Decimal("-500")), (fund, Decimal("500"))])
    assert ledger.balance(fund) == 500


def test_a_contract_fund_cannot_go_below_zero(contract):
    release(contract, 10000)
    with pytest.raises(ValidationError, match="below zero"):
        drawdown(contract, 10001)
    assert ledger.balance(ledger.contract_fund_account(contract)) == 10000
    assert LedgerTransaction.objects.count() == 1


def test_a_contract_fund_can_be_drawn_down_to_exactly_zero(contract):
    release(contract, 10000)
    drawdown(contract, 10000)
    assert ledger.balance(ledger.contract_fund_account(contract)) == 0


def test_an_empty_fund_cannot_pay_anything(contract):
    with pytest.raises(ValidationError, match="below zero"):
        drawdown(contract, 1)


def test_a_reversal_must_name_the_transaction_it_undoes(contract):
    fund = ledger.contract_fund_account(contract)
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    with pytest.raises(ValidationError, match="names the transaction"):
        ledger.post(kind=TransactionKind.REVERSAL, description="Undo", occurred_on=DAY,
                    entries=[(funding, 100), (fund, -100)])


# Idempotency ---------------------------------------------------------------------------------

def test_posting_the_same_event_again_returns_the_first_transaction(contract):
    first = release(contract, 5000, key="release:1:2026-04-06")
    again = release(contract, 5000, key="release:1:2026-04-06")
    assert again.pk == first.pk
    assert LedgerTransaction.objects.count() == 1
    assert ledger.balance(ledger.contract_fund_account(contract)) == 5000


def test_different_entries_under_a_key_already_used_are_refused(contract):
    release(contract, 5000, key="release:1:2026-04-06")
    with pytest.raises(ValidationError, match="already posted"):
        release(contract, 6000, key="release:1:2026-04-06")
    assert LedgerTransaction.objects.count() == 1
    assert ledger.balance(ledger.contract_fund_account(contract)) == 5000


# Reversal ------------------------------------------------------------------------------------

def test_a_reversal_negates_every_entry_of_the_original(contract, finance_officer):
    release(contract, 9000)
    original = drawdown(contract, 4000)
    reversal = ledger.reverse(transaction=original, by=finance_officer, reason="Invoice raised twice",
                              occurred_on=DAY + datetime.timedelta(days=3))
    assert reversal.kind == TransactionKind.REVERSAL
    assert reversal.reverses == original
    assert reversal.contract == contract
    assert reversal.created_by == finance_officer
    assert sorted(reversal.entries.values_list("account_id", "amount_pence")) == sorted(
        (account_id, -amount) for account_id, amount in original.entries.values_list("account_id", "amount_pence"))
    assert ledger.balance(ledger.contract_fund_account(contract)) == 9000
    assert ledger.balance(ledger.provider_income_account(contract.provider)) == 0


def test_a_transaction_can_be_reversed_only_once(contract, finance_officer):
    original = release(contract, 9000)
    ledger.reverse(transaction=original, by=finance_officer, reason="Released in error")
    with pytest.raises(ValidationError, match="already been reversed"):
        ledger.reverse(transaction=original, by=finance_officer, reason="Again")
    assert LedgerTransaction.objects.count() == 2


def test_the_database_refuses_a_second_reversal_that_slips_past_the_check(contract, finance_officer):
    original = release(contract, 9000)
    ledger.reverse(transaction=original, by=finance_officer, reason="Released in error")
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    fund = ledger.contract_fund_account(contract)
    with pytest.raises(ValidationError, match="already been reversed"):
        ledger.post(kind=TransactionKind.REVERSAL, description="Undo again", occurred_on=DAY,
                    entries=[(funding, -9000), (fund, 9000)], reverses=original)


def test_a_reversal_cannot_be_reversed(contract, finance_officer):
    original = release(contract, 9000)
    reversal = ledger.reverse(transaction=original, by=finance_officer, reason="Released in error")
    with pytest.raises(ValidationError, match="cannot itself be reversed"):
        ledger.reverse(transaction=reversal, by=finance_officer, reason="Undo the undo")


def test_a_reversal_that_would_overdraw_the_fund_is_refused(contract, finance_officer):
    original = release(contract, 9000)
    drawdown(contract, 5000)
    with pytest.raises(ValidationError, match="below zero"):
        ledger.reverse(transaction=original, by=finance_officer, reason="Released in error")
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


def test_a_reversal_needs_a_reason(contract, finance_officer):
    original = release(contract, 9000)
    with pytest.raises(ValidationError, match="reason"):
        ledger.reverse(transaction=original, by=finance_officer, reason="  ")


# Append-only -------------------------------------------------------------------------------------

def test_the_orm_refuses_to_change_or_delete_transactions_and_entries(contract):
    posted = release(contract, 9000)
    for queryset in (LedgerTransaction.objects.filter(pk=posted.pk), Entry.objects.filter(transaction=posted)):
        with pytest.raises(LedgerImmutable):
            queryset.update(pk=queryset.first().pk)
        with pytest.raises(LedgerImmutable):
            queryset.delete()
    assert LedgerTransaction.objects.filter(pk=posted.pk).exists()
    assert Entry.objects.filter(transaction=posted).count() == 2


def test_saving_a_changed_row_or_deleting_one_is_refused(contract):
    posted = release(contract, 9000)
    entry = posted.entries.first()
    entry.amount_pence = 1
    with pytest.raises(LedgerImmutable):
        entry.save()
    posted.description = "rewritten"
    with pytest.raises(LedgerImmutable):
        posted.save()
    for row in (entry, posted):
        with pytest.raises(LedgerImmutable):
            row.delete()
    assert Entry.objects.get(pk=entry.pk).amount_pence != 1
    assert LedgerTransaction.objects.get(pk=posted.pk).description == "Four weeks in advance"


@pytest.mark.parametrize("table", ["isf_ledgertransaction", "isf_entry"])
def test_the_database_refuses_an_update_by_raw_sql(contract, table):
    posted = release(contract, 9000)
    row = posted.pk if table == "isf_ledgertransaction" else posted.entries.first().pk
    column = "description" if table == "isf_ledgertransaction" else "amount_pence"
    value = "rewritten" if table == "isf_ledgertransaction" else 1
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, row])
    assert LedgerTransaction.objects.get(pk=posted.pk).description == "Four weeks in advance"
    assert ledger.balance(ledger.contract_fund_account(contract)) == 9000


@pytest.mark.parametrize("table", ["isf_entry", "isf_ledgertransaction"])
def test_the_database_refuses_a_delete_by_raw_sql(contract, table):
    posted = release(contract, 9000)
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            if table == "isf_entry":
                cursor.execute("DELETE FROM isf_entry WHERE transaction_id = %s", [posted.pk])
            else:
                # Entries first would be refused too; the trigger fires before any foreign key check.
                cursor.execute("DELETE FROM isf_ledgertransaction WHERE id = %s", [posted.pk])
    assert Entry.objects.filter(transaction=posted).count() == 2
    assert LedgerTransaction.objects.filter(pk=posted.pk).exists()


# Balances and statements ---------------------------------------------------------------------

def test_balance_sums_the_entries_up_to_a_date(contract):
    release(contract, 10000, on=DAY)
    drawdown(contract, 2500, on=DAY + datetime.timedelta(days=7))
    release(contract, 10000, on=DAY + datetime.timedelta(days=28))
    fund = ledger.contract_fund_account(contract)
    assert ledger.balance(fund) == 17500
    assert ledger.balance(fund, on=DAY - datetime.timedelta(days=1)) == 0
    assert ledger.balance(fund, on=DAY) == 10000
    assert ledger.balance(fund, on=DAY + datetime.timedelta(days=27)) == 7500
    assert ledger.balance(ledger.council_account(AccountKind.COUNCIL_FUNDING)) == -20000


def test_balances_reads_many_accounts_in_one_query(contract, other_contract):
    release(contract, 10000)
    drawdown(contract, 2500)
    release(other_contract, 4000)
    fund = ledger.contract_fund_account(contract)
    other_fund = ledger.contract_fund_account(other_contract)
    income = ledger.provider_income_account(contract.provider)
    untouched = ledger.person_contribution_account(contract.person)
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    with CaptureQueriesContext(connection) as queries:
        result = ledger.balances([fund, other_fund, income, untouched, funding.pk])
    assert len(queries) == 1
    assert result == {fund.pk: 7500, other_fund.pk: 4000, income.pk: 2500, untouched.pk: 0, funding.pk: -14000}


def test_a_statement_has_the_opening_balance_and_a_running_balance(contract):
    release(contract, 10000, on=DAY)
    drawdown(contract, 2500, on=DAY + datetime.timedelta(days=7))
    drawdown(contract, 1500, on=DAY + datetime.timedelta(days=14))
    release(contract, 10000, on=DAY + datetime.timedelta(days=28))
    fund = ledger.contract_fund_account(contract)

    lines = ledger.statement(fund, start=DAY + datetime.timedelta(days=7), end=DAY + datetime.timedelta(days=20))
    assert [(line.kind, line.amount_pence, line.balance_pence) for line in lines] == [
        ("opening", 10000, 10000),
        (TransactionKind.DRAWDOWN, -2500, 7500),
        (TransactionKind.DRAWDOWN, -1500, 6000),
    ]
    assert lines[0].is_opening and lines[0].occurred_on == DAY + datetime.timedelta(days=7)
    assert [line.occurred_on for line in lines[1:]] == [DAY + datetime.timedelta(days=7),
                                                       DAY + datetime.timedelta(days=14)]
    assert lines[1].description == "Support delivered"


def test_a_statement_without_dates_starts_from_nothing_and_ends_at_the_balance(contract):
    release(contract, 10000, on=DAY + datetime.timedelta(days=28))
    drawdown(contract, 2500, on=DAY + datetime.timedelta(days=30))
    release(contract, 3000, on=DAY)  # posted later, dated earlier: listed first
    lines = ledger.statement(ledger.contract_fund_account(contract))
    assert [(line.amount_pence, line.balance_pence) for line in lines] == [
        (0, 0), (3000, 3000), (10000, 13000), (-2500, 10500)]
    assert lines[-1].balance_pence == ledger.balance(ledger.contract_fund_account(contract))


# Who sees what -----------------------------------------------------------------------------------

@pytest.fixture
def books(contract, other_contract):
    release(contract, 10000)
    drawdown(contract, 2500)
    release(other_contract, 4000)
    drawdown(other_contract, 1000)
    ledger.person_contribution_account(contract.person)
    ledger.person_contribution_account(other_contract.person)
    return contract, other_contract


def test_a_finance_officer_sees_every_account_and_transaction(books, finance_officer, contract_officer):
    for officer in (finance_officer, contract_officer):
        assert visible_to(officer, Account).count() == Account.objects.count()
        assert visible_to(officer, LedgerTransaction).count() == LedgerTransaction.objects.count()
        assert visible_to(officer, Entry).count() == Entry.objects.count()


def test_a_provider_sees_its_contract_funds_and_income_only(books, provider_user):
    contract, other_contract = books
    mine = {ledger.contract_fund_account(contract), ledger.provider_income_account(contract.provider)}
    assert set(visible_to(provider_user, Account)) == mine
    assert set(visible_to(provider_user, LedgerTransaction)) == set(LedgerTransaction.objects.filter(contract=contract))
    # Of its transactions' entries, the ones on the council's accounts stay hidden.
    assert {entry.account for entry in visible_to(provider_user, Entry)} == mine


def test_another_providers_account_is_not_found(books, provider_user):
    _, other_contract = books
    theirs = ledger.contract_fund_account(other_contract)
    with pytest.raises(Http404):
        get_visible_or_404(provider_user, Account, pk=theirs.pk)
    with pytest.raises(Http404):
        get_visible_or_404(provider_user, Account, pk=ledger.provider_income_account(other_contract.provider).pk)
    with pytest.raises(Http404):
        get_visible_or_404(provider_user, LedgerTransaction, pk=other_contract.transactions.first().pk)
    with pytest.raises(Http404):
        get_visible_or_404(provider_user, Account, pk=ledger.council_account(AccountKind.COUNCIL_FUNDING).pk)
    assert get_visible_or_404(provider_user, Account, pk=ledger.contract_fund_account(books[0]).pk)


def test_a_person_sees_their_contract_funds_and_contributions(books, person_user):
    contract, _ = books
    assert set(visible_to(person_user, Account)) == {ledger.contract_fund_account(contract),
                                                     ledger.person_contribution_account(contract.person)}


def test_a_representative_sees_what_the_person_sees(books):
    contract, _ = books
    representative = UserFactory()
    contract.person.representative = representative
    contract.person.save(update_fields=["representative"])
    assert set(visible_to(representative, Account)) == {ledger.contract_fund_account(contract),
                                                        ledger.person_contribution_account(contract.person)}


def test_someone_with_no_role_sees_nothing(books):
    nobody = UserFactory()
    PersonFactory()
    assert not visible_to(nobody, Account).exists()
    assert not visible_to(nobody, LedgerTransaction).exists()
    assert not visible_to(nobody, Entry).exists()


def test_an_anonymous_visitor_sees_nothing(books):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(AnonymousUser(), Account).exists()
    assert not visible_to(AnonymousUser(), LedgerTransaction).exists()
