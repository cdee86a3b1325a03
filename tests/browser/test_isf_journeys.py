"""Individual Service Funds in Chromium, with axe on every page: a provider accepts a contract,
records its bank details and invoices the council, which queries and approves the invoice; a
finance officer runs a payment run, downloads its payment file and confirms the bank paid it; a
person reads their statement and starts paying their contribution by card."""

import csv
import datetime
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone

from isf import services
from isf.constants import ContractStatus, InvoiceStatus, PaymentStatus, RunStatus, RunTrigger, SurplusStatus
from isf.models import ContractTerms, Invoice, IsfContract, PayeeAccount, Payment, PaymentRun
from marketplace.constants import Role
from marketplace.money import format_pence, to_pounds
from tests.browser.conftest import SCREENSHOTS, axe_violations
from tests.conftest import wait_until
from tests.isf.factories_contracts import approve, isf_plan
from tests.isf.invoices.factories import release
from tests.isf.payments.factories import direct_payment_plan, paid_contract
from tests.isf.stripe.conftest import localstripe_url, on_localstripe, stripe_keys  # noqa: F401
from tests.marketplace.factories import PASSWORD, CouncilFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PRICE = "24.00"  # the plan line's agreed price: 16 hours a week at £24.00


def sign_in(page, user):
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def messages_shown(page):
    """Wagtail fades its messages in; measure their contrast once they are fully shown."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.messages > ul')].every(ul => getComputedStyle(ul).opacity === '1')")


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    return context, context.new_page()


def offered_in_the_past(officer, *, started_days_ago: int = 56) -> IsfContract:
    """A contract offered from a newly approved ISF plan, moved so it started ``started_days_ago``
    days ago: support already delivered under it can be invoiced once it is accepted."""
    plan = approve(isf_plan(), officer)
    # In a transactional test the approval's handler has already offered the contract on commit.
    contract = (services.contracts_offer_for_plan(plan=plan) or list(IsfContract.objects.filter(terms__plan=plan)))[0]
    starts_on = timezone.localdate() - datetime.timedelta(days=started_days_ago)
    IsfContract.objects.filter(pk=contract.pk).update(starts_on=starts_on)
    ContractTerms.objects.filter(contract=contract).update(effective_from=starts_on)
    contract.refresh_from_db()
    return contract


def fill_invoice(page, contract, *, number: str, unit_price: str):
    end = timezone.localdate() - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=6)
    page.get_by_label("Contract").select_option(str(contract.pk))
    page.get_by_label("Invoice number").fill(number)
    page.get_by_label("Period start").fill(start.isoformat())
    page.get_by_label("Period end").fill(end.isoformat())
    # Exact labels: a line needs every one of its fields, so none is labelled "(optional)".
    line = page.get_by_role("group", name="Line 1", exact=True)
    line.get_by_label("Item", exact=True).select_option(index=1)
    line.get_by_label("Date from", exact=True).fill(start.isoformat())
    line.get_by_label("Date to", exact=True).fill(end.isoformat())
    line.get_by_label("Quantity", exact=True).fill("10")
    line.get_by_label("Unit price in pounds", exact=True).fill(unit_price)


def test_provider_accepts_a_contract_and_gets_an_invoice_approved(
        live_server, browser, page, check_accessible, make_member):
    council = CouncilFactory()
    officer = make_member(Role.CONTRACT_OFFICER, council, username="olu")
    finance = make_member(Role.FINANCE_OFFICER, council, username="fran")
    contract = offered_in_the_past(officer)
    provider = contract.provider
    staff = make_member(Role.PROVIDER_STAFF, provider, username="sam")
    admin = make_member(Role.PROVIDER_ADMIN, provider, username="priya")
    portal = f"{live_server.url}/portal/{provider.pk}"

    # The offered contract, from the organisation's page.
    page.goto(f"{portal}/")
    sign_in(page, staff)
    page.wait_for_url(f"**/portal/{provider.pk}/")
    page.get_by_role("link", name="Individual Service Funds").click()
    page.wait_for_url(f"**/portal/{provider.pk}/contracts/")
    assert page.locator("h1").inner_text() == "Individual Service Fund contracts"
    check_accessible(page, "isf-portal-contracts")
    page.get_by_role("link", name=contract.reference).click()
    page.wait_for_url(f"**/contracts/{contract.pk}/")
    assert page.locator("h1").inner_text() == f"Individual Service Fund contract {contract.reference}"
    check_accessible(page, "isf-portal-contract-offered")

    page.get_by_role("button", name="Accept the contract").click()
    page.wait_for_url(f"**/contracts/{contract.pk}/")
    page.get_by_text("You have accepted the contract: it is now in force").wait_for()
    assert page.get_by_role("button", name="Accept the contract").count() == 0
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    check_accessible(page, "isf-portal-contract-accepted")

    # Bank details, so the council can pay the fund: staff are told an administrator adds them.
    page.goto(f"{portal}/bank-details/")
    assert page.locator("#no-details").is_visible()
    assert page.locator("#admin-only").is_visible()
    check_accessible(page, "isf-portal-bank-details-staff")
    admin_context, admin_page = new_page(browser)
    admin_page.goto(f"{portal}/bank-details/")
    sign_in(admin_page, admin)
    admin_page.wait_for_url(f"**/portal/{provider.pk}/bank-details/")
    check_accessible(admin_page, "isf-portal-bank-details-empty")
    admin_page.get_by_label("Name on the account").fill("Acme Care Ltd")
    admin_page.get_by_label("Sort code").fill("30-94-30")
    admin_page.get_by_label("Account number").fill("0073344")
    admin_page.get_by_role("button", name="Save bank details").click()
    admin_page.wait_for_load_state()
    assert admin_page.title().startswith("Error: ")
    summary = admin_page.locator(".govuk-error-summary")
    assert summary.get_by_role("link", name=re.compile("account number")).count() == 1
    assert not PayeeAccount.objects.exists()
    check_accessible(admin_page, "isf-portal-bank-details-error")
    admin_page.get_by_label("Account number").fill("00733445")
    admin_page.get_by_role("button", name="Save bank details").click()
    admin_page.wait_for_url(f"**/portal/{provider.pk}/bank-details/")
    admin_page.get_by_text("Your bank details have been saved").wait_for()
    assert admin_page.locator("#current-details").get_by_text("Acme Care Ltd").is_visible()
    assert admin_page.locator("#current-details").get_by_text("00733445").count() == 0
    check_accessible(admin_page, "isf-portal-bank-details-saved")
    admin_context.close()

    # Tonight's payment run puts the current period's money in the fund.
    run = services.payment_run_execute(run=services.payment_run_start(by=None, trigger=RunTrigger.COMMAND))
    assert run.payments_made == 1 and run.failures == []
    assert Payment.objects.get(contract=contract).status == PaymentStatus.SENT

    # An invoice: first at the wrong price, which saves nothing and says why.
    page.goto(f"{portal}/invoices/")
    assert page.locator("h1").inner_text() == "Invoices"
    check_accessible(page, "isf-portal-invoices-empty")
    page.get_by_role("link", name="Send an invoice").click()
    page.wait_for_url(f"**/portal/{provider.pk}/invoices/new/")
    check_accessible(page, "isf-portal-invoice-new")
    fill_invoice(page, contract, number="INV-001", unit_price="30.00")
    page.get_by_role("button", name="Send the invoice").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    problem = summary.get_by_role("link", name=re.compile(r"unit price £30\.00 is not the agreed price"))
    assert problem.is_visible()
    assert not Invoice.objects.exists()
    check_accessible(page, "isf-portal-invoice-new-error")
    problem.click()
    assert page.evaluate("document.activeElement.id") == "id_lines-0-unit_price"

    page.get_by_role("group", name="Line 1", exact=True).get_by_label("Unit price in pounds").fill(PRICE)
    page.get_by_role("button", name="Send the invoice").click()
    page.wait_for_url(re.compile(r".*/invoices/\d+/$"))
    invoice = Invoice.objects.get()
    assert page.get_by_text("Invoice INV-001 received and checked: it is waiting for the council's "
                            "approval").is_visible()
    assert page.locator("#status").inner_text() == "Validated"
    assert page.locator("#total").inner_text() == "£240.00"
    check_accessible(page, "isf-portal-invoice-validated")

    # The council asks a question, in the console.
    console_context, console = new_page(browser)
    console.goto(f"{live_server.url}/admin/")
    sign_in(console, finance)
    console.wait_for_url("**/admin/")
    console.get_by_role("link", name="ISF invoices").first.click()
    console.wait_for_url("**/admin/invoices/")
    check_accessible(console, "isf-console-invoices")
    console.get_by_role("link", name="INV-001").first.click()
    console.wait_for_url(f"**/admin/invoices/{invoice.pk}/")
    check_accessible(console, "isf-console-invoice")
    console.get_by_label("Your question for the provider").fill("Which days were the 10 hours delivered?")
    console.get_by_role("button", name="Send the question").click()
    console.wait_for_url(f"**/admin/invoices/{invoice.pk}/")
    console.get_by_text("Question sent to the provider: invoice INV-001").wait_for()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.QUERIED
    messages_shown(console)
    check_accessible(console, "isf-console-invoice-queried")

    # The provider answers it.
    page.reload()
    assert page.locator("#status").inner_text() == "Queried"
    assert page.get_by_text("Which days were the 10 hours delivered?").is_visible()
    check_accessible(page, "isf-portal-invoice-queried")
    page.get_by_role("button", name="Send your answer").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary").get_by_role(
        "link", name="Enter your answer to the council's question").is_visible()
    check_accessible(page, "isf-portal-invoice-answer-error")
    page.get_by_label("Your answer").fill("Two hours each weekday morning.")
    page.get_by_role("button", name="Send your answer").click()
    page.wait_for_url(f"**/invoices/{invoice.pk}/")
    page.get_by_text("Thank you: your answer is sent").wait_for()
    assert page.locator("#status").inner_text() == "Validated"
    check_accessible(page, "isf-portal-invoice-answered")

    # The finance officer approves it.
    console.reload()
    assert console.locator("[id^=query-]").get_by_text("Two hours each weekday morning.").is_visible()
    console.get_by_role("button", name="Approve", exact=True).click()
    console.wait_for_url(f"**/admin/invoices/{invoice.pk}/")
    console.get_by_text("Approved: the fund is drawn down: invoice INV-001").wait_for()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    messages_shown(console)
    check_accessible(console, "isf-console-invoice-approved")
    console_context.close()

    page.reload()
    assert page.locator("#status").inner_text() == "Approved"
    check_accessible(page, "isf-portal-invoice-approved")
    page.goto(f"{portal}/invoices/")
    assert page.get_by_role("row", name=re.compile("INV-001")).get_by_text("Approved").is_visible()
    check_accessible(page, "isf-portal-invoices")

    # The statement, the remittance advice of the run and the CSV upload page.
    page.goto(f"{portal}/statement/")
    assert page.locator("h1").inner_text() == "Individual Service Fund statement"
    assert page.get_by_text(contract.reference).first.is_visible()
    check_accessible(page, "isf-portal-statement")
    page.goto(f"{portal}/remittances/")
    assert page.locator("h1").inner_text() == "Remittance advices"
    check_accessible(page, "isf-portal-remittances")
    remittance = run.remittances.get(organisation=provider)
    page.get_by_role("link", name=remittance.reference).click()
    page.wait_for_url(f"**/remittances/{remittance.pk}/")
    assert page.locator("h1").inner_text() == f"Remittance advice {remittance.reference}"
    check_accessible(page, "isf-portal-remittance")
    page.goto(f"{portal}/invoices/upload/")
    assert page.locator("h1").inner_text() == "Upload invoices from a CSV file"
    check_accessible(page, "isf-portal-invoice-upload")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").get_by_role("link", name="Choose a CSV file to upload").is_visible()
    check_accessible(page, "isf-portal-invoice-upload-error")


def test_finance_officer_runs_a_payment_run_and_confirms_the_file(
        live_server, page, check_accessible, make_member, task_worker):
    finance = make_member(Role.FINANCE_OFFICER, CouncilFactory(), username="fran")
    first, second = paid_contract(), paid_contract()
    unpaid = paid_contract(with_bank=False)
    missing = unpaid.provider.name

    page.goto(f"{live_server.url}/admin/")
    sign_in(page, finance)
    page.wait_for_url("**/admin/")
    page.get_by_role("link", name="Payment runs").first.click()
    page.wait_for_url("**/admin/payment-runs/")
    assert page.get_by_text("No payment runs yet.").is_visible()
    check_accessible(page, "isf-console-payment-runs-empty")

    page.get_by_role("button", name="Start a payment run").click()
    page.wait_for_url(re.compile(r".*/admin/payment-runs/\d+/$"))
    # Run in process on the embedded set-up; by a real Celery worker through Redis otherwise,
    # while the page refreshes itself.
    run = wait_until(lambda: PaymentRun.objects.filter(status=RunStatus.COMPLETED).first())
    page.reload()
    sent = list(Payment.objects.filter(run=run, status=PaymentStatus.SENT).order_by("pk"))
    assert {payment.contract_id for payment in sent} == {first.pk, second.pk}
    assert page.locator("#run-status").inner_text() == run.get_status_display()
    assert page.locator("#payments-made").inner_text() == "2"
    total = sum(payment.amount_pence for payment in sent)
    assert page.locator("#total").inner_text() == format_pence(total)
    failure = page.locator("#failures tbody tr")
    assert failure.count() == 1
    assert failure.get_by_text(f"{missing} has no bank details").is_visible()
    messages_shown(page)
    check_accessible(page, "isf-console-payment-run")

    # One payment, then back to the run.
    page.get_by_role("link", name=sent[0].idempotency_key).click()
    page.wait_for_url(f"**/admin/payment-runs/payments/{sent[0].pk}/")
    assert page.locator("#payment-status").inner_text() == "Sent"
    check_accessible(page, "isf-console-payment")
    page.get_by_role("link", name=f"Payment run {run.reference}").click()
    page.wait_for_url(f"**/admin/payment-runs/{run.pk}/")

    # The payment file: one BACS line for each payment sent, none for the payee with no bank details.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the payment file (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == f"payment-file-{run.reference}.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["payment_key"] for row in rows] == [payment.idempotency_key for payment in sent]
    assert {row["payee_name"] for row in rows} == {"Acme Care Ltd"}
    assert {row["sort_code"] for row in rows} == {"309430"}
    assert [row["amount"] for row in rows] == [str(to_pounds(payment.amount_pence)) for payment in sent]
    assert missing not in text

    page.get_by_role("button", name="Confirm the bank has paid this file").click()
    page.wait_for_url(f"**/admin/payment-runs/{run.pk}/")
    page.get_by_text("Confirmed: the payments in the file are marked paid").wait_for()
    assert page.get_by_role("button", name="Confirm the bank has paid this file").count() == 0
    assert set(Payment.objects.filter(run=run, contract__in=[first, second]).values_list("status", flat=True)) == {
        PaymentStatus.SETTLED}
    messages_shown(page)
    check_accessible(page, "isf-console-payment-run-confirmed")

    # The payment that failed: given up, with a reason, so its money goes back to the council.
    failed = Payment.objects.get(run=run, contract=unpaid)
    page.locator("#failures").get_by_role("link", name=failed.idempotency_key).click()
    page.wait_for_url(f"**/admin/payment-runs/payments/{failed.pk}/")
    assert page.locator("#payment-status").inner_text() == "Failed"
    check_accessible(page, "isf-console-payment-failed")
    page.get_by_role("button", name="Cancel the payment").click()
    page.wait_for_load_state()
    assert page.locator("form").get_by_text("Enter why you are cancelling the payment").is_visible()
    messages_shown(page)
    check_accessible(page, "isf-console-payment-cancel-error")
    page.get_by_label("Why cancel this payment?").fill("The provider closed; the person moved to another provider.")
    page.get_by_role("button", name="Cancel the payment").click()
    page.wait_for_url(f"**/admin/payment-runs/payments/{failed.pk}/")
    page.get_by_text("The payment is cancelled and its release reversed").wait_for()
    assert page.locator("#payment-status").inner_text().startswith("Cancelled")
    messages_shown(page)
    check_accessible(page, "isf-console-payment-cancelled")

    page.goto(f"{live_server.url}/admin/payment-runs/")
    assert page.get_by_role("row", name=re.compile(run.reference)).is_visible()
    check_accessible(page, "isf-console-payment-runs")
    page.goto(f"{live_server.url}/admin/isf/")
    assert page.get_by_role("link", name=first.reference).is_visible()
    check_accessible(page, "isf-console-contracts")
    page.get_by_role("link", name=first.reference).click()
    page.wait_for_url(f"**/admin/isf/{first.pk}/")
    check_accessible(page, "isf-console-contract")
    page.goto(f"{live_server.url}/admin/surpluses/")
    check_accessible(page, "isf-console-surpluses")
    page.goto(f"{live_server.url}/admin/payees/")
    check_accessible(page, "isf-console-payees")


def test_finance_officer_decides_a_surplus_and_records_a_direct_payment_account(
        live_server, page, check_accessible, make_member):
    finance = make_member(Role.FINANCE_OFFICER, CouncilFactory(), username="fran")
    contract = paid_contract()
    release(contract, 1_000_000)
    flag = services.surpluses_find()[0]
    person = direct_payment_plan(with_bank=False).person
    name = f"{person.first_name} {person.last_name}"

    page.goto(f"{live_server.url}/admin/surpluses/")
    sign_in(page, finance)
    page.wait_for_url("**/admin/surpluses/")
    page.get_by_role("link", name=contract.reference).click()
    page.wait_for_url(f"**/admin/surpluses/{flag.pk}/")
    check_accessible(page, "isf-console-surplus")
    page.get_by_role("button", name="Leave with the provider").click()
    page.wait_for_load_state()
    assert page.get_by_text("Enter why the surplus is being left with the provider").is_visible()
    messages_shown(page)
    check_accessible(page, "isf-console-surplus-error")
    page.get_by_label("Why leave it with the provider?").fill("A planned respite week next month.")
    page.get_by_role("button", name="Leave with the provider").click()
    page.wait_for_url(f"**/admin/surpluses/{flag.pk}/")
    page.get_by_text(f"the surplus on {contract.reference}").wait_for()
    flag.refresh_from_db()
    assert flag.status == SurplusStatus.WAIVED
    assert page.get_by_role("button", name="Leave with the provider").count() == 0
    messages_shown(page)
    check_accessible(page, "isf-console-surplus-waived")

    page.goto(f"{live_server.url}/admin/payees/")
    page.get_by_role("link", name=f"Record the account for {name}").click()
    page.wait_for_url(f"**/admin/payees/person/{person.pk}/")
    check_accessible(page, "isf-console-payee")
    page.get_by_label("The person", exact=True).check()
    page.get_by_label("Name on the account").fill(name)
    page.get_by_label("Sort code").fill("3094")
    page.get_by_label("Account number").fill("00733445")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_text("Nothing was changed. Correct the errors below.").is_visible()
    assert not PayeeAccount.objects.filter(person=person).exists()
    messages_shown(page)
    check_accessible(page, "isf-console-payee-error")
    page.get_by_label("Sort code").fill("30-94-30")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/admin/payees/")
    page.get_by_text(f"Saved the account for {name}").wait_for()
    assert PayeeAccount.objects.get(person=person).sort_code == "309430"
    messages_shown(page)
    check_accessible(page, "isf-console-payee-saved")


def check_own_markup_accessible(page, name: str, third_party: str):
    """Like ``check_accessible``, but violations inside ``third_party`` (a widget another site
    draws into the page) are left out: only the page's own markup is judged."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    own, theirs = [], []
    for violation in axe_violations(page):
        nodes = [node for node in violation["nodes"]
                 if not page.eval_on_selector(node, f"n => !!n.closest({third_party!r})")]
        if nodes:
            own.append(violation | {"nodes": nodes})
        if len(nodes) < len(violation["nodes"]):
            theirs.append(violation["id"])
    assert own == [], f"{name}: {own}"
    return theirs


def test_person_reads_their_statement_and_starts_a_card_payment(
        live_server, page, check_accessible, on_localstripe, settings):  # noqa: F811
    contract = paid_contract()
    services.payment_run_execute(run=services.payment_run_start(by=None, trigger=RunTrigger.COMMAND))
    person = contract.person
    user = UserFactory(username="alice")
    person.user = user
    person.save(update_fields=["user"])

    page.goto(f"{live_server.url}/people/{person.pk}/isf/")
    sign_in(page, user)
    page.wait_for_url(f"**/people/{person.pk}/isf/")
    assert page.locator("h1").inner_text() == "Your Individual Service Fund statement"
    assert page.get_by_role("heading", name=f"{contract.listing.title} from {contract.provider.name}").is_visible()
    check_accessible(page, "isf-person-statement")

    page.goto(f"{live_server.url}/people/{person.pk}/isf/pay/")
    assert page.locator("h1").inner_text() == "Pay into your Individual Service Fund"
    check_accessible(page, "isf-card-start")

    page.get_by_label("Amount, in pounds").fill("")
    page.get_by_role("button", name="Continue to card details").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary").get_by_role("link", name="Enter the amount you are paying").is_visible()
    check_accessible(page, "isf-card-start-error")

    page.get_by_label("Amount, in pounds").fill("160.00")
    page.get_by_role("button", name="Continue to card details").click()
    page.wait_for_url(re.compile(rf".*/people/{person.pk}/isf/pay/\d+/$"))
    assert page.locator("h1").inner_text() == "Pay £160.00 by card"
    # localstripe's stand-in for Stripe.js draws its own card inputs into the card element.
    page.locator("#card-element input").first.wait_for()
    assert page.get_by_role("button", name="Pay £160.00").is_visible()
    # Stripe's real card element is an iframe with labelled inputs; localstripe's stand-in draws
    # bare inputs with placeholders only, which axe rightly reports. Only they are left out.
    assert set(check_own_markup_accessible(page, "isf-card-pay", "#card-element")) <= {"label"}

    # A council without Stripe says so rather than showing a form that cannot work.
    settings.STRIPE_SECRET_KEY = ""
    page.goto(f"{live_server.url}/people/{person.pk}/isf/pay/")
    assert page.locator("h1").inner_text() == "Card payments are not available"
    check_accessible(page, "isf-card-unavailable")
