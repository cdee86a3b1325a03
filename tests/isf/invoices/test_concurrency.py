"""Two invoices sent at the same moment against the same fund: the contract row is locked while
each is checked and saved, so only one can spend the money."""

import threading

import pytest
from django.db import connection, connections

from isf import services
from isf.models import Invoice
from isf.services import InvoiceRefused
from marketplace.constants import Role
from tests.isf.invoices.factories import active_contract, draft, staff_of


def _send(contract, staff, number, outcomes, barrier=None):
    try:
        if barrier is not None:
            barrier.wait(timeout=10)
        services.invoice_submit(provider=contract.provider, draft=draft(contract, number=number), by=staff)
        outcomes.append("accepted")
    except InvoiceRefused as refused:
        outcomes.append(str(refused.problems[0]))
    finally:
        if barrier is not None:
            connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_invoices_at_once_cannot_both_spend_the_fund(council, make_member):
    officer = make_member(Role.CONTRACT_OFFICER, council)
    # £300.00 held: either £240.00 invoice fits, not both.
    contract = active_contract(officer, fund_pence=30_000)
    staff = staff_of(contract)
    outcomes: list[str] = []
    if connection.vendor == "postgresql":
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=_send, args=(contract, staff, number, outcomes, barrier))
                   for number in ("A", "B")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        # SQLite serialises writers on its own; the same two submissions one after the other.
        for number in ("A", "B"):
            _send(contract, staff, number, outcomes)
    assert sorted(outcomes)[1] == "accepted"
    assert "left in the fund" in sorted(outcomes)[0] or "quantity" in sorted(outcomes)[0]
    assert Invoice.objects.count() == 1
