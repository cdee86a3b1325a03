from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from isf import ledger
from isf.constants import InvoiceStatus, PaymentStatus
from isf.models import IsfContract
from isf.selectors.statements import person_statement, provider_statement, remittance_detail
from tests.isf.statements.helpers import (
    approved_invoice,
    contribute,
    day,
    direct_payment,
    payment,
    payment_run,
    recover,
    release,
    remittance,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(isf):
    """£1,000 released, a £200 release reversed, £40 contributed, two invoices (£285 on day 4, £60 on
    day 6) and £50 recovered: £645 held."""
    release(isf, 100000, day(0))
    wrong = release(isf, 20000, day(1))
    ledger.reverse(transaction=wrong, by=None, reason="Paid twice", occurred_on=day(2))
    contribute(isf, 4000, day(3))
    approved_invoice(isf, [("Personal care", "10", 2400), ("Shopping", "3", 1500)], on=day(4))
    approved_invoice(isf, [("Personal care", "2.5", 2400)], on=day(6), status=InvoiceStatus.PAID)
    recover(isf, 5000, day(5))
    return isf


def test_the_person_statement_adds_up_by_hand(history):
    statement = person_statement(history.person)
    [row] = statement.contracts
    assert row.contract == history
    assert (row.released_pence, row.contributions_pence, row.spent_pence, row.recovered_pence, row.balance_pence) == (
        100000, 4000, 34500, 5000, 64500)
    assert row.balance_pence == ledger.balance(ledger.contract_fund_account(history))
    assert [(spend.item, spend.quantity, spend.amount_pence) for spend in row.spent_by_item] == [
        ("Personal care", Decimal("12.50"), 30000), ("Shopping", Decimal("3.00"), 4500)]
    assert statement.balance_pence == 64500 and statement.released_pence == 100000


def test_a_reversed_release_is_netted_off_money_put_in_not_shown_as_spending(isf):
    release(isf, 50000, day(0))
    wrong = release(isf, 20000, day(1))
    ledger.reverse(transaction=wrong, by=None, reason="Paid twice", occurred_on=day(2))
    [row] = person_statement(isf.person).contracts
    assert (row.released_pence, row.spent_pence, row.balance_pence) == (50000, 0, 50000)


def test_the_statement_lines_are_the_ledgers_own(history):
    [row] = person_statement(history.person, start=day(1), end=day(5)).contracts
    assert row.lines == ledger.statement(ledger.contract_fund_account(history), start=day(1), end=day(5))


def test_a_period_brings_the_balance_forward_and_counts_only_its_own_movements(history):
    statement = person_statement(history.person, start=day(3), end=day(4))
    [row] = statement.contracts
    assert row.opening_pence == 100000
    assert (row.released_pence, row.contributions_pence, row.spent_pence, row.recovered_pence) == (0, 4000, 28500, 0)
    assert row.balance_pence == 75500
    assert [(spend.item, spend.amount_pence) for spend in row.spent_by_item] == [("Personal care", 24000),
                                                                               ("Shopping", 4500)]
    assert row.lines[0].is_opening and row.lines[0].balance_pence == 100000
    assert row.other_pence == 0


def test_invoices_not_yet_approved_are_not_spending(isf):
    release(isf, 50000, day(0))
    approved_invoice(isf, [("Personal care", "1", 2400)], status=InvoiceStatus.VALIDATED)
    [row] = person_statement(isf.person).contracts
    assert row.spent_by_item == [] and row.spent_pence == 0


def test_the_statement_shows_direct_payments_and_nobody_elses_money(history, accepted):
    other = accepted()
    release(other, 99900, day(0))
    direct_payment(history.person, 30000, day(2))
    statement = person_statement(history.person)
    assert [row.contract for row in statement.contracts] == [history]
    assert statement.has_direct_payments and statement.direct_payments_pence == 30000


def test_person_statement_queries_stay_the_same_as_contracts_grow(isf, accepted):
    def add_contract():
        contract = accepted()
        IsfContract.objects.filter(pk=contract.pk).update(person=isf.person)
        contract.refresh_from_db()
        release(contract, 50000, day(0))
        approved_invoice(contract, [("Personal care", "1", 2400), ("Shopping", "1", 1500)], on=day(1))
        return contract

    add_contract_to_first = [release(isf, 50000, day(0)), approved_invoice(isf, [("Personal care", "1", 2400)])]
    assert add_contract_to_first
    direct_payment(isf.person, 100, day(0))
    with CaptureQueriesContext(connection) as one:
        assert len(person_statement(isf.person).contracts) == 1
    add_contract()
    add_contract()
    with CaptureQueriesContext(connection) as three:
        statement = person_statement(isf.person)
    assert len(statement.contracts) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_provider_statement_lists_its_contracts_invoices_payments_and_remittances(history, accepted):
    other = accepted()
    release(other, 12300, day(0))
    run = payment_run(day(7))
    advice = remittance(history.provider, run, total=34400)
    paid = payment(history, 34400, run=run, period_start=day(8), remittance=advice)
    payment(history, 34400, run=run, period_start=day(36), status=PaymentStatus.FAILED)
    statement = provider_statement(history.provider)
    assert [row.contract for row in statement.contracts] == [history]
    assert statement.held_pence == 64500 + 34400 + 34400
    assert statement.invoiced_pence == 34500
    assert statement.received_pence == 34400
    assert paid in statement.payments and len(statement.payments) == 2
    assert statement.remittances == [advice]
    assert remittance_detail(history.provider, advice.pk).payments == [paid]
    with pytest.raises(type(advice).DoesNotExist):
        remittance_detail(other.provider, advice.pk)


def test_the_provider_statement_for_a_period_shows_invoices_of_that_period_and_balances_at_its_end(history):
    statement = provider_statement(history.provider, start=day(5), end=day(5))
    # The £285 invoice's period ended on day 4; the £60 invoice's runs to day 6.
    assert [invoice.total_pence for invoice in statement.invoices] == [6000]
    assert statement.held_pence == 100000 + 4000 - 28500 - 5000
