import csv
import io

import pytest

from isf import statement_files
from isf.selectors.statements import person_statement, provider_statement, remittance_detail
from tests.isf.statements.helpers import approved_invoice, contribute, day, payment, payment_run, release, remittance

pytestmark = pytest.mark.django_db

READABLE = {"invariant": 1, "pageCompression": 0}


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("text", ["=SUM(A1:A2)", "+44 20", "-1+1", "@cmd", "\tsneaky"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(text):
    [[cell]] = rows(statement_files.statement_csv([[text]]))
    assert cell == "'" + text


def test_csv_numbers_and_plain_text_are_left_alone():
    [[amount, negative, words]] = rows(statement_files.statement_csv([[statement_files.pounds(12345),
                                                                       statement_files.pounds(-500), "Shopping"]]))
    assert (amount, negative, words) == ("123.45", "-5.00", "Shopping")


@pytest.fixture
def funded(isf):
    release(isf, 100000, day(0))
    contribute(isf, 4000, day(1))
    approved_invoice(isf, [("=HYPERLINK(\"http://evil\")", "2", 2400), ("Shopping", "3", 1500)], on=day(2))
    return isf


def test_the_person_csv_has_the_figures_and_spending_by_item(funded):
    table = rows(statement_files.person_statement_csv(person_statement(funded.person)))
    assert table[0] == ["Section", "Contract", "Date", "Description", "Item", "Quantity", "Amount (£)", "Balance (£)"]
    summary = {(row[1], row[3]): row for row in table if row[0] == "Summary"}
    assert summary[(funded.reference, "Money the council has put in")][6] == "1000.00"
    assert summary[(funded.reference, "Your contributions")][6] == "40.00"
    assert summary[(funded.reference, "Spent on your support")][6] == "93.00"
    assert summary[(funded.reference, "Balance held for you")][7] == "947.00"
    items = [(row[4], row[5], row[6]) for row in table if row[0] == "Spent by item"]
    assert ("'=HYPERLINK(\"http://evil\")", "2.00", "48.00") in items
    assert ("Shopping", "3.00", "45.00") in items
    assert [row[7] for row in table if row[0] == "Transaction"][-1] == "947.00"


def test_the_person_pdf_is_a_pdf_with_the_totals(funded):
    pdf = statement_files.person_statement_pdf(person_statement(funded.person), **READABLE)
    assert pdf.startswith(b"%PDF")
    for words in (b"Balance held for you", b"947.00", b"1,000.00", b"Page 1", b"Period"):
        assert words in pdf, words


def test_the_provider_and_remittance_files_carry_their_totals(funded):
    run = payment_run(day(7))
    advice = remittance(funded.provider, run, total=34400)
    payment(funded, 34400, run=run, period_start=day(8), remittance=advice)
    statement = provider_statement(funded.provider)
    table = rows(statement_files.provider_statement_csv(statement))
    assert ["Total", "Payments received", "", "", "", "344.00"] in table
    assert ["Total", "Held in funds", "", "", "", "1291.00"] in table
    assert b"1,291.00" in statement_files.provider_statement_pdf(statement, **READABLE)
    detail = remittance_detail(funded.provider, advice.pk)
    assert ["Total", "Payments", "", "", "", "344.00"] in rows(statement_files.remittance_csv(detail))
    pdf = statement_files.remittance_pdf(detail, **READABLE)
    assert pdf.startswith(b"%PDF") and b"344.00" in pdf and advice.reference.encode() in pdf


def test_the_pdf_names_the_council(funded, settings):
    settings.COUNCIL_NAME = "Hackney Borough Council"
    pdf = statement_files.person_statement_pdf(person_statement(funded.person), **READABLE)
    assert b"Hackney Borough Council" in pdf
