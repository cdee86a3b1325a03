import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from isf.constants import PaymentStatus, RunStatus, RunTrigger
from isf.models import Payment, PaymentRun
from isf.services import payment_run_execute, payment_run_start
from marketplace.constants import Role
from tests.conftest import wait_until
from tests.isf.payments.factories import START, paid_contract

pytestmark = pytest.mark.django_db


def login(client, user):
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)


@pytest.fixture
def today(monkeypatch):
    """Console runs are for today; today is the day the contracts' first period starts."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args: START)
    return START


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_finance_officer_starts_a_run_and_sees_the_summary(client, finance_officer, today, task_worker):
    """The button queues the run: run in process on the embedded set-up, by a real Celery worker
    through Redis otherwise."""
    contract = paid_contract()
    login(client, finance_officer)
    page = client.get(reverse("isf_payment_runs"))
    assert page.status_code == 200 and "Start a payment run" in page.content.decode()
    response = client.post(reverse("isf_payment_runs"))
    run = wait_until(lambda: PaymentRun.objects.filter(status=RunStatus.COMPLETED).first())
    assert response.status_code == 302 and response.url == reverse("isf_payment_run", args=[run.pk])
    assert (run.trigger, run.started_by, run.status) == (RunTrigger.CONSOLE, finance_officer, RunStatus.COMPLETED)
    html = client.get(response.url).content.decode()
    assert '<td id="payments-made">1</td>' in html and '<td id="total">£1,376.00</td>' in html
    assert "1 of 1 contracts and people checked" in html and contract.provider.name in html
    assert 'http-equiv="refresh"' not in html
    assert "Confirm the bank has paid this file" in html

    client.post(response.url)
    assert Payment.objects.get().status == PaymentStatus.SETTLED
    assert "Confirm the bank has paid this file" not in client.get(response.url).content.decode()


def test_a_running_run_refreshes_its_page(client, contract_officer):
    run = payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START)
    login(client, contract_officer)
    html = client.get(reverse("isf_payment_run", args=[run.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in html and "Running" in html


def test_a_contract_officer_may_look_but_not_start_confirm_or_cancel(client, contract_officer):
    paid_contract(with_bank=False)
    run = payment_run_execute(run=payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START))
    payment = Payment.objects.get()
    login(client, contract_officer)
    listing = client.get(reverse("isf_payment_runs"))
    assert listing.status_code == 200 and "Start a payment run" not in listing.content.decode()
    assert client.post(reverse("isf_payment_runs")).status_code == 403
    assert PaymentRun.objects.count() == 1
    detail = client.get(reverse("isf_payment_run", args=[run.pk]))
    assert detail.status_code == 200 and "has no bank details" in detail.content.decode()
    assert client.post(reverse("isf_payment_run", args=[run.pk])).status_code == 403
    assert client.get(reverse("isf_payment", args=[payment.pk])).status_code == 200
    assert client.post(reverse("isf_payment", args=[payment.pk]), {"reason": "No"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_provider_staff_are_refused_the_console(client, make_member):
    contract = paid_contract()
    run = payment_run_execute(run=payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START))
    staff = make_member(Role.PROVIDER_STAFF, contract.provider)
    login(client, staff)
    for url in (reverse("isf_payment_runs"), reverse("isf_payment_run", args=[run.pk]),
                reverse("isf_payment_file", args=[run.pk]), reverse("isf_payment", args=[Payment.objects.get().pk])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("isf_payment_runs")).status_code == 403
    assert PaymentRun.objects.count() == 1


def test_the_payment_file_downloads_as_csv(client, finance_officer):
    contract = paid_contract()
    run = payment_run_execute(run=payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START))
    login(client, finance_officer)
    response = client.get(reverse("isf_payment_file", args=[run.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="payment-file-{run.reference}.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines == ["payee_name,sort_code,account_number,amount,reference,payment_key",
                     f"Acme Care Ltd,309430,00733445,1376.00,ISF{contract.pk} 060426,isf:{contract.pk}:2026-04-06"]


def test_cancelling_needs_a_reason_and_then_reverses(client, finance_officer):
    paid_contract(with_bank=False)
    payment_run_execute(run=payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=START))
    payment = Payment.objects.get()
    login(client, finance_officer)
    url = reverse("isf_payment", args=[payment.pk])
    page = client.post(url, {"reason": ""})
    assert page.status_code == 400 and "Enter why you are cancelling the payment" in page.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert client.post(url, {"reason": "The provider has closed"}).status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.cancelled_reason) == (PaymentStatus.CANCELLED, "The provider has closed")
    assert "The provider has closed" in client.get(url).content.decode()


def test_an_unknown_run_or_payment_is_not_found(client, finance_officer):
    login(client, finance_officer)
    assert client.get(reverse("isf_payment_run", args=[999999])).status_code == 404
    assert client.get(reverse("isf_payment", args=[999999])).status_code == 404


def test_the_menu_shows_payment_runs_to_council_officers_only(rf, contract_officer, make_member):
    from isf.console_payments import menu_items

    staff = make_member(Role.PROVIDER_STAFF, paid_contract().provider)
    item = menu_items[0]()
    for user, shown in ((contract_officer, True), (staff, False)):
        request = rf.get("/admin/")
        request.user = user
        assert item.is_shown(request) is shown


def test_the_command_prints_progress_and_the_summary():
    from io import StringIO

    from django.core.management import CommandError, call_command

    paid_contract()
    out = StringIO()
    call_command("payment_run", "--date", "2026-04-06", stdout=out)
    text = out.getvalue()
    assert "Payment run PR-20260406-1: 1 contracts and people to check" in text
    assert "checked 1 of 1" in text and "Payments made: 1, total £1,376.00" in text
    with pytest.raises(CommandError):
        call_command("payment_run", "--date", "23/11/2026", stdout=StringIO())
    assert PaymentRun.objects.get().run_on == datetime.date(2026, 4, 6)
