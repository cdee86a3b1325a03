import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from isf import ledger, services
from isf.constants import AccountKind, InvoiceStatus, TransactionKind
from isf.invoice_checks import invoice_problems
from isf.models import Invoice, InvoiceLine, InvoiceQuery, LedgerTransaction
from isf.selectors.invoices import invoice_context
from isf.services import InvoiceRefused
from marketplace.models import AuditEvent
from marketplace.transitions import InvalidTransition
from tests.isf.invoices.factories import (
    PRICE,
    active_contract,
    add_item,
    draft,
    item_of,
    last_week,
    line,
    staff_of,
    submitted,
    today,
)

pytestmark = pytest.mark.django_db


def refused(contract, by, the_draft) -> list[str]:
    before = (Invoice.objects.count(), InvoiceLine.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvoiceRefused) as caught:
        services.invoice_submit(provider=contract.provider, draft=the_draft, by=by)
    assert (Invoice.objects.count(), InvoiceLine.objects.count(), AuditEvent.objects.count()) == before
    return [str(problem) for problem in caught.value.problems]


def fund(contract) -> int:
    return ledger.balance(ledger.contract_fund_account(contract))


# Submission ------------------------------------------------------------------------------------

def test_a_correct_invoice_is_saved_and_validated_at_once(active, staff):
    invoice = services.invoice_submit(provider=active.provider, draft=draft(active), by=staff)
    assert invoice.status == InvoiceStatus.VALIDATED
    assert invoice.total_pence == 10 * PRICE
    [saved] = invoice.lines.all()
    assert saved.terms.contract_id == active.pk and saved.amount_pence == 24000 and saved.item == item_of(active)
    verbs = list(AuditEvent.objects.filter(target_id=str(invoice.pk), verb__startswith="invoice.")
                 .values_list("verb", flat=True).order_by("pk"))
    assert verbs == ["invoice.submitted", "invoice.validated"]


def test_the_contract_reference_finds_the_contract_too(active, staff):
    the_draft = draft(active, contract_key=active.reference.lower())
    invoice = services.invoice_submit(provider=active.provider, draft=the_draft, by=staff)
    assert invoice.contract_id == active.pk


def test_a_wrong_price_is_refused_with_the_agreed_price(active, staff):
    problems = refused(active, staff, draft(active, lines=[line(item_of(active), price=2500)]))
    assert problems == [f"Line 1: the unit price £25.00 is not the agreed price £24.00 for {item_of(active)}"]


def test_a_duplicate_number_is_refused(active, staff):
    submitted(active, number="INV-7", by=staff)
    problems = refused(active, staff, draft(active, number="INV-7",
                                            lines=[line(item_of(active), quantity="1")]))
    assert problems == ["Invoice number INV-7 has already been used by your organisation"]


def test_another_provider_may_use_the_same_number(active, other, staff, other_staff):
    submitted(active, number="INV-7", by=staff)
    assert submitted(other, number="INV-7", by=other_staff).number == "INV-7"


def test_a_total_above_the_fund_is_refused(officer):
    contract = active_contract(officer, fund_pence=10_000)
    problems = refused(contract, staff_of(contract), draft(contract))
    assert problems == [f"The invoice total £240.00 is more than the £100.00 held in the fund of contract "
                        f"{contract.reference}"]


def test_invoices_waiting_for_approval_count_against_the_fund(officer):
    contract = active_contract(officer, fund_pence=30_000)
    staff = staff_of(contract)
    submitted(contract, number="A", by=staff)  # £240.00 of the £300.00
    start, end = last_week()
    earlier = (start - datetime.timedelta(days=7), end - datetime.timedelta(days=7))
    problems = refused(contract, staff, draft(contract, number="B", start=earlier[0], end=earlier[1],
                                              lines=[line(item_of(contract), start=earlier[0], end=earlier[1])]))
    assert problems == [f"The invoice total £240.00 is more than the £60.00 left in the fund of contract "
                        f"{contract.reference} (£300.00 held, £240.00 claimed by invoices waiting for approval)"]


def test_a_period_outside_the_contract_is_refused(officer):
    contract = active_contract(officer, started_days_ago=3)
    start, end = last_week()
    problems = refused(contract, staff_of(contract), draft(contract))
    assert problems[0] == (f"The invoice period starts on {start:%-d %B %Y}, before contract {contract.reference} "
                           f"starts on {contract.starts_on:%-d %B %Y}")


def test_a_period_after_the_contract_ends_is_refused(officer):
    contract = active_contract(officer, ends_on=today() - datetime.timedelta(days=3))
    problems = refused(contract, staff_of(contract), draft(contract))
    assert f"after contract {contract.reference} ends on" in problems[0]


def test_a_period_in_the_future_or_backwards_is_refused(active, staff):
    tomorrow = today() + datetime.timedelta(days=1)
    problems = refused(active, staff, draft(active, end=tomorrow, lines=[line(item_of(active), quantity="1")]))
    assert problems == [f"The invoice period ends on {tomorrow:%-d %B %Y}, which is in the future: invoice only for "
                        f"support already delivered"]
    start, end = last_week()
    problems = refused(active, staff, draft(active, start=end, end=start))
    assert problems[0] == "The invoice period must end on or after the day it starts"


def test_a_contract_not_active_is_refused(active, staff, officer):
    services.contract_suspend(contract=active, by=officer, reason="Safeguarding review")
    problems = refused(active, staff, draft(active))
    assert problems == [f"Contract {active.reference} is suspended: you can only invoice against a contract in force"]


def test_another_providers_contract_is_not_found(active, other, staff):
    problems = refused(active, staff, draft(other))
    assert problems == [f"Contract {other.pk} was not found among your organisation's contracts"]
    problems = refused(active, staff, draft(other, contract_key=other.reference))
    assert problems == [f"Contract {other.reference} was not found among your organisation's contracts"]


def test_a_quantity_above_the_plan_is_refused(active, staff):
    # 16 hours a week planned: 17 in one week is too many.
    problems = refused(active, staff, draft(active, lines=[line(item_of(active), quantity="17")]))
    assert problems == [f"Line 1: the quantity 17 is more than planned for {item_of(active)} from "
                        f"{last_week()[0]:%-d %B %Y} to {last_week()[1]:%-d %B %Y}: 16 planned, so at most 16"]


def test_quantities_already_invoiced_count_against_the_plan(active, staff):
    submitted(active, number="A", by=staff)  # 10 of the week's 16 hours
    problems = refused(active, staff, draft(active, number="B", lines=[line(item_of(active), quantity="7")]))
    assert problems[0].endswith("16 planned, 10 already invoiced, so at most 6")
    assert submitted(active, number="C", by=staff, lines=[line(item_of(active), quantity="6")]).status == "validated"


def test_a_rejected_invoice_no_longer_counts(active, staff, officer):
    first = submitted(active, number="A", by=staff)
    services.invoice_reject(invoice=first, reason="Wrong person", by=officer)
    assert submitted(active, number="B", by=staff, lines=[line(item_of(active), quantity="16")]).total_pence == 38400


def test_two_lines_of_one_invoice_share_the_plan(active, staff):
    item = item_of(active)
    problems = refused(active, staff, draft(active, lines=[line(item, quantity="10"), line(item, quantity="10")]))
    assert problems == [f"Line 2: the quantity 10 is more than planned for {item} from {last_week()[0]:%-d %B %Y} "
                        f"to {last_week()[1]:%-d %B %Y}: 16 planned, 10 already invoiced, so at most 6"]


def test_flexible_use_moves_quantity_between_items_but_not_above_the_value(officer):
    contract = active_contract(officer, flexible_use=True)
    add_item(contract, item="Night sitting", quantity_per_week="4", price_pence=3000)
    staff = staff_of(contract)
    # Planned value of the week: 16 × £24 + 4 × £30 = £504. 21 hours of home care (£504) moves the
    # night sitting's hours to home care.
    invoice = submitted(contract, by=staff, lines=[line(item_of(contract), quantity="21")])
    assert invoice.total_pence == 50400
    start, end = last_week()
    earlier = (start - datetime.timedelta(days=7), end - datetime.timedelta(days=7))
    problems = refused(contract, staff, draft(contract, number="B", start=earlier[0], end=earlier[1], lines=[
        line(item_of(contract), quantity="20", start=earlier[0], end=earlier[1]),
        line("Night sitting", quantity="1", price=3000, start=earlier[0], end=earlier[1])]))
    assert problems == [f"The invoice total £510.00 is more than the value planned for {earlier[0]:%-d %B %Y} to "
                        f"{earlier[1]:%-d %B %Y}: £504.00 planned, so at most £504.00"]


def test_without_flexible_use_each_item_keeps_its_own_plan(active, staff):
    add_item(active, item="Night sitting", quantity_per_week="4", price_pence=3000)
    problems = refused(active, staff, draft(active, lines=[line(item_of(active), quantity="21")]))
    assert "so at most 16" in problems[0]


def test_an_item_not_in_the_contract_is_refused_with_its_items(active, staff):
    problems = refused(active, staff, draft(active, lines=[line("Gardening")]))
    assert problems == [f"Line 1: “Gardening” is not one of the items of contract {active.reference} on those dates "
                        f"(its items are: {item_of(active)})"]


def test_line_dates_outside_the_period_are_refused(active, staff):
    start, end = last_week()
    early = line(item_of(active), start=start - datetime.timedelta(days=1))
    problems = refused(active, staff, draft(active, lines=[early]))
    assert problems[0].startswith("Line 1: the dates ") and "are not inside the invoice period" in problems[0]


def test_every_failure_is_listed_at_once(active, staff):
    submitted(active, number="INV-7", by=staff, lines=[line(item_of(active), quantity="1")])
    problems = refused(active, staff, draft(active, number="INV-7", lines=[
        line(item_of(active), price=2500), line("Gardening"), line(item_of(active), quantity="0")]))
    assert problems[0] == "Invoice number INV-7 has already been used by your organisation"
    assert [problem.split(":")[0] for problem in problems[1:]] == ["Line 1", "Line 2", "Line 3"]
    assert "agreed price" in problems[1] and "Gardening" in problems[2] and "more than 0" in problems[3]


def test_only_the_providers_staff_submit(active, other_staff, officer):
    with pytest.raises(PermissionDenied):
        services.invoice_submit(provider=active.provider, draft=draft(active), by=other_staff)
    with pytest.raises(PermissionDenied):
        services.invoice_submit(provider=active.provider, draft=draft(active), by=officer)
    assert not Invoice.objects.exists()


def test_refused_is_a_validation_error_listing_the_problems(active, staff):
    with pytest.raises(ValidationError) as caught:
        services.invoice_submit(provider=active.provider, draft=draft(active, lines=[line("Gardening")]), by=staff)
    assert "Gardening" in caught.value.messages[0]


def test_checking_takes_the_same_queries_however_many_lines(officer):
    contract = active_contract(officer, started_days_ago=400, fund_pence=10_000_000)
    item = item_of(contract)

    def many(count, number):
        end = today() - datetime.timedelta(days=1)
        days = [end - datetime.timedelta(days=index) for index in range(count)]
        return draft(contract, number=number, start=days[-1], end=end,
                     lines=[line(item, quantity="1", start=day, end=day) for day in days])

    counts = []
    for count, number in ((5, "A"), (50, "B")):
        the_draft = many(count, number)
        with CaptureQueriesContext(connection) as loading:
            context = invoice_context(contract.provider, [contract.pk], numbers=[number])
            assert invoice_problems(the_draft, context) == []
        with CaptureQueriesContext(connection) as submitting:
            services.invoice_submit(provider=contract.provider, draft=the_draft, by=staff_of(contract))
        counts.append((len(loading), len(submitting)))
    assert counts[0] == counts[1]
    # The contract with its terms and fund balance, the live invoices' lines, the numbers used.
    assert counts[0][0] == 3


# Query, answer, approve, reject ----------------------------------------------------------------

def test_approval_draws_down_the_fund_once(active, staff, finance):
    invoice = submitted(active, by=staff)
    income = ledger.provider_income_account(active.provider)
    approved = services.invoice_approve(invoice=invoice, by=finance)
    assert approved.status == InvoiceStatus.APPROVED and approved.approved_by == finance
    assert approved.approved_at is not None
    assert fund(active) == 200_000 - 24_000 and ledger.balance(income) == 24_000
    drawdown = approved.drawdown
    assert drawdown.kind == TransactionKind.DRAWDOWN and drawdown.idempotency_key == f"invoice:{invoice.pk}"
    assert sum(drawdown.entries.values_list("amount_pence", flat=True)) == 0
    again = services.invoice_approve(invoice=invoice, by=finance)
    assert again.drawdown_id == drawdown.pk
    assert LedgerTransaction.objects.filter(kind=TransactionKind.DRAWDOWN).count() == 1
    assert fund(active) == 176_000


def test_a_contract_officer_cannot_approve(active, staff, officer):
    invoice = submitted(active, by=staff)
    with pytest.raises(PermissionDenied):
        services.invoice_approve(invoice=invoice, by=officer)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VALIDATED and fund(active) == 200_000


def test_approval_rechecks_the_fund(active, staff, finance):
    invoice = submitted(active, by=staff)
    # Money recovered from the fund after the invoice was validated.
    ledger.post(kind=TransactionKind.RECOVERY, description="Recovered", occurred_on=today(),
                entries=[(ledger.contract_fund_account(active), -190_000),
                         (ledger.council_account(AccountKind.RECOVERIES), 190_000)])
    with pytest.raises(ValidationError) as caught:
        services.invoice_approve(invoice=invoice, by=finance)
    assert caught.value.messages == [f"The fund of contract {active.reference} holds £100.00: not enough to approve "
                                     f"invoice INV-1 for £240.00"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VALIDATED


def test_query_and_answer_return_the_invoice_to_the_queue(active, staff, officer):
    invoice = submitted(active, by=staff)
    queried = services.invoice_query(invoice=invoice, question="Which days were the visits?", by=officer)
    assert queried.status == InvoiceStatus.QUERIED
    answered = services.invoice_answer(invoice=invoice, answer="Every weekday morning.", by=staff)
    assert answered.status == InvoiceStatus.VALIDATED and answered.problems == []
    query = InvoiceQuery.objects.get(invoice=invoice)
    assert (query.question, query.answer, query.answered_by) == ("Which days were the visits?",
                                                                  "Every weekday morning.", staff)


def test_an_answer_stays_queried_when_the_checks_now_fail(active, staff, officer):
    invoice = submitted(active, by=staff)
    services.invoice_query(invoice=invoice, question="Please confirm the hours", by=officer)
    ledger.post(kind=TransactionKind.RECOVERY, description="Recovered", occurred_on=today(),
                entries=[(ledger.contract_fund_account(active), -190_000),
                         (ledger.council_account(AccountKind.RECOVERIES), 190_000)])
    answered = services.invoice_answer(invoice=invoice, answer="Confirmed.", by=staff)
    assert answered.status == InvoiceStatus.QUERIED
    assert [str(problem) for problem in answered.problems] == [
        f"The invoice total £240.00 is more than the £100.00 held in the fund of contract {active.reference}"]
    assert InvoiceQuery.objects.get(invoice=invoice).answer == "Confirmed."


def test_only_the_council_queries_and_only_the_provider_answers(active, staff, other_staff, officer):
    invoice = submitted(active, by=staff)
    with pytest.raises(PermissionDenied):
        services.invoice_query(invoice=invoice, question="Why?", by=staff)
    services.invoice_query(invoice=invoice, question="Why?", by=officer)
    with pytest.raises(PermissionDenied):
        services.invoice_answer(invoice=invoice, answer="Because", by=other_staff)
    with pytest.raises(ValidationError):
        services.invoice_answer(invoice=invoice, answer="  ", by=staff)
    with pytest.raises(ValidationError):
        services.invoice_query(invoice=invoice, question="", by=officer)


def test_a_queried_invoice_cannot_be_approved(active, staff, officer, finance):
    invoice = submitted(active, by=staff)
    services.invoice_query(invoice=invoice, question="Why?", by=officer)
    with pytest.raises(InvalidTransition):
        services.invoice_approve(invoice=invoice, by=finance)


def test_reject_needs_a_reason(active, staff, officer):
    invoice = submitted(active, by=staff)
    with pytest.raises(ValidationError) as caught:
        services.invoice_reject(invoice=invoice, reason=" ", by=officer)
    assert caught.value.message_dict == {"reason": ["Enter why you are rejecting the invoice"]}
    rejected = services.invoice_reject(invoice=invoice, reason="Not delivered", by=officer)
    assert rejected.status == InvoiceStatus.REJECTED and rejected.rejected_reason == "Not delivered"


def test_an_approved_invoice_cannot_be_rejected(active, staff, officer, finance):
    invoice = submitted(active, by=staff)
    services.invoice_approve(invoice=invoice, by=finance)
    with pytest.raises(InvalidTransition):
        services.invoice_reject(invoice=invoice, reason="Too late", by=officer)
    with pytest.raises(PermissionDenied):
        services.invoice_reject(invoice=invoice, reason="Too late", by=staff)
