"""Two workers running the same payment run at once pay each contract once."""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, connections
from django.test.utils import CaptureQueriesContext

from isf import ledger, services
from isf.constants import AccountKind, PaymentStatus, RunTrigger, TransactionKind
from isf.models import CardPayment, IsfContract, LedgerTransaction, Payment
from isf.services import payments as module
from marketplace.models import AuditEvent
from tests.isf.payments.factories import START, card_contribution, paid_contract


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_running_the_same_run_pay_each_contract_once():
    contracts = [paid_contract() for _ in range(6)]
    run = services.payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START)
    errors = []

    def worker(barrier):
        try:
            if barrier is not None:
                barrier.wait(timeout=30)
            services.payment_run_execute(run=run, chunk_size=2)
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)
        finally:
            connections.close_all()

    if connection.vendor == "postgresql":
        # Each thread has its own connection: the workers really overlap, and the row locks decide.
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    else:
        # SQLite serialises writers across connections; the second worker runs after the first.
        worker(None)
        worker(None)
    assert errors == []
    for contract in contracts:
        assert Payment.objects.filter(contract=contract).count() == 1
        assert LedgerTransaction.objects.filter(contract=contract, kind=TransactionKind.RELEASE).count() == 1
    assert ledger.balance(ledger.council_account(AccountKind.COUNCIL_FUNDING)) == -6 * 137600
    run.refresh_from_db()
    assert (run.payments_made, run.total_pence, run.checked) == (6, 6 * 137600, 6)


def _record_queries(run, ids):
    council = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    with CaptureQueriesContext(connection) as captured:
        recorded = module._record_contracts(run, ids, council=council, rates=module._Rates(), by=None)
    assert len(recorded) == len(ids)
    return len(captured), recorded


def _send_queries(run, recorded):
    with CaptureQueriesContext(connection) as captured:
        module._Sender(run, None).send_all(recorded)
    return len(captured)


@pytest.mark.django_db
def test_recording_and_sending_a_chunk_cost_the_same_queries_however_many_contracts():
    ids = [paid_contract().pk for _ in range(15)]
    card_contribution(IsfContract.objects.get(pk=ids[0]))
    card_contribution(IsfContract.objects.get(pk=ids[5]))
    run = services.payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START)
    ContentType.objects.get_for_models(Payment, LedgerTransaction)  # cached after the first audit event
    three, recorded_three = _record_queries(run, ids[:3])
    twelve, recorded_twelve = _record_queries(run, ids[3:])
    assert three == twelve
    assert _send_queries(run, recorded_three) == _send_queries(run, recorded_twelve)
    assert Payment.objects.filter(status=PaymentStatus.SENT).count() == 15
    assert CardPayment.objects.filter(passed_on_in__isnull=False).count() == 2


@pytest.mark.django_db
def test_recording_does_not_query_per_terms_row():
    one = [paid_contract().pk for _ in range(3)]
    many = [paid_contract(extra_terms=3).pk for _ in range(3)]
    run = services.payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START)
    assert _record_queries(run, one)[0] == _record_queries(run, many)[0]


@pytest.mark.django_db
def test_a_chunk_refused_by_the_database_is_rolled_back_whole_and_recorded_once_more(monkeypatch):
    contracts = [paid_contract() for _ in range(3)]
    run = services.payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START)
    real, calls = module._record_due, []

    def clash_once(run, due, by):
        calls.append(len(due))
        recorded = real(run, due, by)
        if len(calls) == 1:
            # What the unique keys do to a payment another worker recorded meanwhile.
            raise IntegrityError("duplicate key value violates unique constraint")
        return recorded

    monkeypatch.setattr(module, "_record_due", clash_once)
    services.payment_run_execute(run=run)
    assert calls == [3, 3]
    for contract in contracts:
        assert Payment.objects.filter(contract=contract).count() == 1
        assert LedgerTransaction.objects.filter(contract=contract).count() == 1
    assert AuditEvent.objects.filter(verb="payment.recorded").count() == 3
