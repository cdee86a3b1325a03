import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from brokerage.constants import DeploymentRoute, TransitionKind
from isf import ledger, services
from isf.constants import AccountKind, ContractStatus, Gateway, InvoiceStatus, PaymentKind, PaymentStatus, RunStatus
from isf.models import Entry, Invoice, LedgerTransaction, Payment, PaymentRun, Remittance
from isf.payment_file import payment_file_csv
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from tests.isf.payments.factories import (
    START,
    bank_details,
    card_contribution,
    direct_payment_plan,
    isf_terms,
    next_plan,
    paid_contract,
    taper,
)

pytestmark = pytest.mark.django_db

NET_WEEK = 38400 - 4000  # 16 h × £24.00, less the £40.00 contribution


def fund_balance(contract):
    return ledger.balance(ledger.contract_fund_account(contract))


# Amounts ----------------------------------------------------------------------------------------

def test_a_four_week_period_pays_four_weeks_net_in_advance(run_payments):
    contract = paid_contract()
    run = run_payments()
    payment = Payment.objects.get()
    assert (payment.period_start, payment.period_end) == (START, datetime.date(2026, 5, 3))
    assert payment.release_pence == payment.amount_pence == 4 * NET_WEEK == 137600
    assert (payment.kind, payment.payee_organisation, payment.status) == (
        PaymentKind.ISF_RELEASE, contract.provider, PaymentStatus.SENT)
    assert payment.idempotency_key == f"isf:{contract.pk}:2026-04-06"
    assert fund_balance(contract) == 137600
    assert (run.status, run.payments_made, run.total_pence, run.checked) == (RunStatus.COMPLETED, 1, 137600, 1)
    assert run.reference == "PR-20260406-1"


def test_the_next_period_is_paid_once_it_starts_within_the_lead_days(run_payments):
    contract = paid_contract()
    run_payments(run_on=datetime.date(2026, 4, 26))  # covers until 3 May: nothing new starts
    run_payments(run_on=datetime.date(2026, 4, 27))  # covers until 4 May: the second period starts then
    starts = sorted(Payment.objects.filter(contract=contract).values_list("period_start", flat=True))
    assert starts == [START, datetime.date(2026, 5, 4)]


def test_finished_periods_are_never_caught_up(run_payments):
    paid_contract()
    run_payments(run_on=datetime.date(2026, 5, 10))
    assert list(Payment.objects.values_list("period_start", flat=True)) == [datetime.date(2026, 5, 4)]


def test_a_first_period_before_the_terms_start_is_paid_pro_rata(run_payments):
    paid_contract(terms_from=START + datetime.timedelta(days=3))
    run_payments()
    # 25 of 28 days at £344.00 a week: 25 × 34400 / 7 = 122857.14p.
    assert Payment.objects.get().release_pence == 122857


def test_terms_changing_mid_period_pay_each_day_at_the_terms_in_force(run_payments):
    contract = paid_contract()
    first = contract.terms.get().plan
    second = next_plan(first, weekly_hours="20", starts_on=START + datetime.timedelta(days=14))
    isf_terms(contract, second, effective_from=second.starts_on)
    run_payments()
    # Two weeks at £344.00, then two at 20 × £24.00 − £40.00 = £440.00.
    assert Payment.objects.get().release_pence == 2 * 34400 + 2 * 44000


def test_a_taper_pays_the_lines_pro_rata_at_the_higher_level(run_payments):
    contract = paid_contract()
    taper(contract.terms.get().plan, from_pence=50000, to_pence=38400, weeks=4)
    run_payments()
    # Weekly budget steps 47100, 44200, 41300, 38400 against the agreed 38400:
    # 34400 × 171000 / 38400 = 153187.5p, rounded once, half up.
    assert Payment.objects.get().release_pence == 153188


def test_a_protected_level_keeps_paying_at_the_old_level(run_payments):
    contract = paid_contract()
    taper(contract.terms.get().plan, from_pence=76800, to_pence=38400, weeks=0, kind=TransitionKind.PROTECTED)
    run_payments()
    assert Payment.objects.get().release_pence == 2 * 137600


def test_suspended_and_offered_contracts_are_not_paid(run_payments):
    suspended = paid_contract(status=ContractStatus.SUSPENDED)
    offered = paid_contract(status=ContractStatus.OFFERED)
    active = paid_contract()
    run = run_payments()
    assert list(Payment.objects.values_list("contract", flat=True)) == [active.pk]
    assert not Payment.objects.filter(contract__in=[suspended, offered]).exists()
    assert run.to_check == 1


def test_an_ending_contract_is_paid_to_its_last_day_only(run_payments):
    paid_contract(ends_on=START + datetime.timedelta(days=13))
    run_payments()
    assert Payment.objects.get().release_pence == 2 * NET_WEEK


def test_no_period_after_the_contract_ends(run_payments):
    paid_contract(ends_on=datetime.date(2026, 5, 3))
    run_payments()
    run_payments(run_on=datetime.date(2026, 4, 30))
    assert Payment.objects.count() == 1


# Direct payments --------------------------------------------------------------------------------

def test_a_direct_payment_is_paid_to_the_person_less_the_contribution_not_taken_by_isf(run_payments):
    plan = direct_payment_plan()
    run_payments()
    payment = Payment.objects.get()
    # £120.00 a week of assistant, less the £40.00 contribution (no ISF line takes any): £80.00.
    assert payment.amount_pence == 4 * 8000
    assert (payment.kind, payment.person, payment.contract, payment.payee_organisation, payment.gateway) == (
        PaymentKind.DIRECT_PAYMENT, plan.person, None, None, Gateway.PAYMENT_FILE)
    assert payment.idempotency_key == f"dp:{plan.person.pk}:2026-04-06"
    assert ledger.balance(ledger.direct_payment_account(plan.person)) == 32000
    assert payment.release.kind == "direct_payment"


def test_a_third_party_direct_payment_with_the_contribution_taken_by_the_isf(run_payments):
    plan = direct_payment_plan(route=DeploymentRoute.THIRD_PARTY_DIRECT_PAYMENT, isf=True)
    run_payments()
    payment = Payment.objects.get(kind=PaymentKind.DIRECT_PAYMENT)
    assert payment.amount_pence == 4 * 12000
    assert payment.person == plan.person and payment.status == PaymentStatus.SENT
    line = payment_file_csv(payment.run).splitlines()[1]
    assert line.startswith(f"{plan.person.first_name} Example,309430,00733445,480.00,DP{plan.person.pk} 060426,")


def test_a_direct_payment_starting_mid_period_is_paid_pro_rata(run_payments):
    direct_payment_plan(line_starts_on=START + datetime.timedelta(days=14))
    run_payments()
    assert Payment.objects.get().amount_pence == 2 * 8000


def test_direct_payments_use_the_gateway_file_even_when_the_run_uses_stripe():
    direct_payment_plan()
    run = services.payment_run_start(by=None, trigger="command", run_on=START, gateway=Gateway.STRIPE)
    services.payment_run_execute(run=run)
    assert Payment.objects.get().gateway == Gateway.PAYMENT_FILE


# Card contributions, ledger, idempotency --------------------------------------------------------

def test_card_contributions_are_passed_on_once(run_payments):
    contract = paid_contract()
    card = card_contribution(contract, 5000)
    run_payments()
    run_payments(run_on=datetime.date(2026, 5, 1))
    first, second = Payment.objects.filter(contract=contract).order_by("period_start")
    assert (first.contributions_pence, first.amount_pence) == (5000, 137600 + 5000)
    assert (second.contributions_pence, second.amount_pence) == (0, 137600)
    card.refresh_from_db()
    assert card.passed_on_in == first


def test_the_ledger_balances_and_credits_the_fund(run_payments):
    contracts = [paid_contract(), paid_contract()]
    direct_payment_plan()
    run_payments()
    assert Entry.objects.aggregate(total=Sum("amount_pence"))["total"] == 0
    for posted in LedgerTransaction.objects.all():
        assert sum(posted.entries.values_list("amount_pence", flat=True)) == 0
    council = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    assert ledger.balance(council) == -(2 * 137600 + 32000)
    assert [fund_balance(contract) for contract in contracts] == [137600, 137600]


def test_running_again_pays_nothing_new(run_payments):
    paid_contract()
    direct_payment_plan()
    run_payments()
    again = run_payments()
    assert Payment.objects.count() == 2 and LedgerTransaction.objects.count() == 2
    assert (again.payments_made, again.total_pence, again.reference) == (0, 0, "PR-20260406-2")


def test_executing_the_same_run_twice_pays_once(run_payments):
    paid_contract()
    run = run_payments()
    again = services.payment_run_execute(run=run)
    assert Payment.objects.count() == 1 and LedgerTransaction.objects.count() == 1
    assert (again.payments_made, again.total_pence) == (1, 137600)
    assert AuditEvent.objects.filter(verb="paymentrun.completed").count() == 1


def test_small_chunks_pay_everyone_and_show_progress(run_payments):
    for _ in range(5):
        paid_contract()
    seen = []
    run = run_payments(chunk_size=2, on_progress=lambda run: seen.append(run.checked))
    assert Payment.objects.count() == 5 and run.checked == run.to_check == 5
    assert seen[:3] == [2, 4, 5]


# Failures, retries and crashes ------------------------------------------------------------------

def test_a_payee_without_bank_details_is_a_failure_retried_with_the_same_key(run_payments):
    contract = paid_contract(with_bank=False)
    run = run_payments()
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED and payment.attempts == 1
    assert run.failures == [{"payment": payment.pk, "key": payment.idempotency_key, "payee": contract.provider.name,
                             "reason": f"{contract.provider.name} has no bank details", "retryable": False}]
    assert (run.payments_made, run.total_pence) == (0, 0)
    assert payment_file_csv(run).count("\n") == 1

    bank_details(organisation=contract.provider)
    later = run_payments(run_on=START + datetime.timedelta(days=1))
    payment.refresh_from_db()
    assert (payment.status, payment.attempts, payment.run) == (PaymentStatus.SENT, 2, later)
    assert Payment.objects.count() == 1 and LedgerTransaction.objects.count() == 1
    assert later.failures == [] and later.payments_made == 1
    assert payment.idempotency_key in payment_file_csv(later)


@pytest.mark.parametrize("batch_safe, recorder", [(True, "_record_sent_many"), (False, "_record_sent")],
                         ids=["a chunk in one transaction", "one transaction each"])
def test_a_crash_after_sending_is_recovered_without_a_second_payment(run_payments, monkeypatch, batch_safe,
                                                                     recorder):
    from isf.gateways.payment_file import PaymentFileGateway
    from isf.services import payments as module

    monkeypatch.setattr(PaymentFileGateway, "batch_safe", batch_safe)
    paid_contract()
    real = getattr(module, recorder)
    calls = {"n": 0}

    def crash_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, recorder, crash_once)
    run = services.payment_run_start(by=None, trigger="command", run_on=START)
    with pytest.raises(RuntimeError):
        services.payment_run_execute(run=run)
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING  # recorded and posted, its sending lost
    assert LedgerTransaction.objects.count() == 1

    services.payment_run_execute(run=run)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SENT and payment.attempts == 1
    assert Payment.objects.count() == 1 and LedgerTransaction.objects.count() == 1
    lines = payment_file_csv(PaymentRun.objects.get(pk=run.pk)).splitlines()
    assert len(lines) == 2 and lines[1].endswith(payment.idempotency_key)


# Remittances -------------------------------------------------------------------------------------

def test_a_remittance_lists_the_payments_and_settles_approved_invoices(run_payments):
    contract = paid_contract()
    invoice = Invoice.objects.create(provider=contract.provider, contract=contract, number="INV-1",
                                     period_start=START, period_end=START, status=InvoiceStatus.APPROVED,
                                     total_pence=1000)
    run = run_payments()
    remittance = Remittance.objects.get()
    assert (remittance.run, remittance.organisation, remittance.total_pence) == (run, contract.provider, 137600)
    assert remittance.reference == f"RA-20260406-1-{contract.provider_id}"
    assert list(remittance.payments.all()) == [Payment.objects.get()]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.remittance) == (InvoiceStatus.PAID, remittance) and invoice.paid_at


# Cancelling and confirming -----------------------------------------------------------------------

def test_cancelling_a_failed_payment_reverses_its_release(run_payments, finance_officer):
    contract = paid_contract(with_bank=False)
    run_payments()
    payment = Payment.objects.get()
    services.payment_cancel(payment=payment, by=finance_officer, reason="Provider closed")
    payment.refresh_from_db()
    assert (payment.status, payment.cancelled_reason) == (PaymentStatus.CANCELLED, "Provider closed")
    assert fund_balance(contract) == 0
    assert LedgerTransaction.objects.filter(reverses=payment.release).exists()
    services.payment_cancel(payment=payment, by=finance_officer, reason="Again")  # harmless
    bank_details(organisation=contract.provider)
    run_payments()
    assert Payment.objects.count() == 1  # the period keeps its cancelled payment; it is not paid again


def test_cancelling_is_refused_for_sent_payments_card_money_and_non_finance_staff(
        run_payments, finance_officer, contract_officer):
    sent_contract = paid_contract()
    carded = paid_contract(with_bank=False)
    card_contribution(carded)
    run_payments()
    sent = Payment.objects.get(contract=sent_contract)
    with pytest.raises(InvalidTransition):
        services.payment_cancel(payment=sent, by=finance_officer, reason="Wrong")
    with pytest.raises(ValidationError, match="the person paid by card"):
        services.payment_cancel(payment=Payment.objects.get(contract=carded), by=finance_officer, reason="No")
    with pytest.raises(PermissionDenied):
        services.payment_cancel(payment=sent, by=contract_officer, reason="No")
    with pytest.raises(ValidationError):
        services.payment_cancel(payment=Payment.objects.get(contract=carded), by=finance_officer, reason=" ")
    assert not Payment.objects.filter(status=PaymentStatus.CANCELLED).exists()


def test_confirming_the_file_settles_its_payments_once(run_payments, finance_officer, contract_officer):
    paid_contract()
    run = run_payments()
    with pytest.raises(PermissionDenied):
        services.payment_file_confirm(run=run, by=contract_officer)
    confirmed = services.payment_file_confirm(run=run, by=finance_officer)
    assert Payment.objects.get().status == PaymentStatus.SETTLED
    assert confirmed.file_confirmed_by == finance_officer and confirmed.file_confirmed_at
    again = services.payment_file_confirm(run=run, by=finance_officer)
    assert again.file_confirmed_at == confirmed.file_confirmed_at
    assert AuditEvent.objects.filter(verb="paymentrun.file_confirmed").count() == 1


def test_only_finance_officers_start_runs_by_hand(finance_officer, contract_officer):
    with pytest.raises(PermissionDenied):
        services.payment_run_start(by=contract_officer, trigger="console")
    with pytest.raises(PermissionDenied):
        services.payment_run_start(by=None, trigger="console")
    run = services.payment_run_start(by=finance_officer, trigger="console", run_on=START)
    assert run.covers_until == datetime.date(2026, 4, 13) and run.gateway == Gateway.PAYMENT_FILE
    assert AuditEvent.objects.filter(verb="paymentrun.started").count() == 1
    with pytest.raises(ValidationError):
        services.payment_run_start(by=finance_officer, trigger="console", gateway="cheque")


def test_the_scheduled_job_resumes_todays_running_run(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: START)
    paid_contract()
    left = services.payment_run_start(by=None, trigger="schedule", run_on=START)
    run = services.payment_run_scheduled()
    assert run.pk == left.pk and run.status == RunStatus.COMPLETED and run.payments_made == 1
    assert services.payment_run_scheduled().pk != left.pk


def test_the_payment_file_neutralises_cells_a_spreadsheet_would_run(run_payments):
    contract = paid_contract(with_bank=False)
    bank_details(organisation=contract.provider, holder_name='=HYPERLINK("http://evil.example")')
    run = run_payments()
    row = payment_file_csv(run).splitlines()[1]
    assert row.startswith('"\'=HYPERLINK(""http://evil.example"")",309430,00733445,1376.00,')


@pytest.mark.parametrize("batch_safe", [True, False], ids=["a chunk in one transaction", "one transaction each"])
def test_sending_a_chunk_at_once_writes_the_same_history_as_one_by_one(run_payments, monkeypatch, batch_safe):
    from isf.gateways.payment_file import PaymentFileGateway

    monkeypatch.setattr(PaymentFileGateway, "batch_safe", batch_safe)
    paid, unpaid = paid_contract(), paid_contract(with_bank=False)
    first = run_payments()
    bank_details(organisation=unpaid.provider)
    second = run_payments(run_on=START + datetime.timedelta(days=1))

    def history(contract):
        payment = Payment.objects.get(contract=contract)
        return [(event.verb, event.before, event.after, event.reason, event.organisation_id, event.actor_label)
                for event in AuditEvent.objects.for_object(payment).order_by("pk")]

    provider = paid.provider_id
    assert history(paid) == [
        ("payment.recorded", {}, history(paid)[0][2], "", provider, "system"),
        ("payment.sent", {"status": "pending"}, {"status": "sent"}, f"Sent in payment run {first.reference}",
         provider, "system")]
    reason = f"{unpaid.provider.name} has no bank details"
    assert history(unpaid)[1:] == [
        ("payment.failed", {"status": "pending"}, {"status": "failed"}, reason, unpaid.provider_id, "system"),
        ("payment.sent", {"status": "failed"}, {"status": "sent"}, f"Sent in payment run {second.reference}",
         unpaid.provider_id, "system")]
    payment = Payment.objects.get(contract=unpaid)
    assert (payment.attempts, payment.last_error, payment.run_id, payment.gateway_reference) == (
        2, "", second.pk, f"ISF{unpaid.pk} 060426")
    assert payment.sent_at is not None
