import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from isf import services
from isf.constants import InvoiceSource, InvoiceStatus
from isf.invoice_csv import COLUMNS, MAX_ROWS, parse_invoices, template_csv
from marketplace.csv_export import safe_cell
from isf.models import Invoice, InvoiceLine
from isf.services import InvoiceRefused
from tests.isf.invoices.factories import active_contract, item_of, last_week, staff_of, submitted

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def csv_file(*rows, header=HEADER, encoding="utf-8", name="invoices.csv") -> SimpleUploadedFile:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def row(contract, number="INV-1", *, item=None, quantity="5", price="24.00", start=None, end=None, period=None,
        reference=None):
    week_start, week_end = last_week()
    period_start, period_end = period or (week_start, week_end)
    return ",".join([number, reference or contract.reference, period_start.isoformat(), period_end.isoformat(),
                     item or item_of(contract), (start or week_start).isoformat(), (end or week_end).isoformat(),
                     quantity, price])


def refused(contract, by, upload) -> list[str]:
    before = Invoice.objects.count(), InvoiceLine.objects.count()
    with pytest.raises(InvoiceRefused) as caught:
        services.invoices_import_csv(provider=contract.provider, file=upload, by=by)
    assert (Invoice.objects.count(), InvoiceLine.objects.count()) == before
    return [str(problem) for problem in caught.value.problems]


def test_a_file_of_invoices_is_imported_grouped_by_number(active, staff, officer):
    second = active_contract(officer)
    # Move the second contract to the same provider, so one file can invoice both.
    type(second).objects.filter(pk=second.pk).update(provider=active.provider)
    second.refresh_from_db()
    upload = csv_file(row(active, "A", quantity="5"), row(active, "A", quantity="3"), row(second, "B", quantity="2"))
    invoices = services.invoices_import_csv(provider=active.provider, file=upload, by=staff)
    assert [(invoice.number, invoice.total_pence, invoice.lines.count()) for invoice in invoices] == [
        ("A", 8 * 2400, 2), ("B", 2 * 2400, 1)]
    assert {invoice.status for invoice in invoices} == {InvoiceStatus.VALIDATED}
    assert {invoice.source for invoice in invoices} == {InvoiceSource.CSV}


def test_uk_dates_pound_signs_and_a_byte_order_mark_are_read(active, staff):
    start, end = last_week()
    dates = f"{start:%d/%m/%Y},{end:%d/%m/%Y}"
    line = f"INV-1,{active.reference},{dates},{item_of(active)},{dates},4,£24.00"
    upload = SimpleUploadedFile("x.csv", ("\ufeff" + HEADER + "\n" + line + "\n").encode("utf-8"))
    [invoice] = services.invoices_import_csv(provider=active.provider, file=upload, by=staff)
    assert invoice.period_start == start and invoice.total_pence == 9600


def test_row_errors_are_listed_with_row_numbers_and_nothing_is_imported(active, staff):
    problems = refused(active, staff, csv_file(
        row(active, "A"),
        row(active, "B", price="25.00"),
        row(active, "C", quantity="lots"),
        row(active, "D", item="Gardening")))
    assert problems[0] == f"Row 3: the unit price £25.00 is not the agreed price £24.00 for {item_of(active)}"
    assert problems[1] == "Row 4: the quantity “lots” is not a number"
    assert problems[2].startswith("Row 5: “Gardening” is not one of the items of contract")
    assert len(problems) == 3


def test_a_duplicate_number_within_the_file_is_refused(active, staff):
    problems = refused(active, staff, csv_file(row(active, "A", quantity="1"), row(active, "B", quantity="1"),
                                               row(active, "A", quantity="1")))
    assert problems == ["Row 4: invoice number A is already used in this file, on row 2: put the lines of one invoice "
                        "on rows next to each other, and give each invoice its own number"]


def test_rows_of_one_invoice_must_agree(active, staff):
    start, end = last_week()
    problems = refused(active, staff, csv_file(
        row(active, "A", quantity="1"),
        row(active, "A", quantity="1", period=(start - datetime.timedelta(days=1), end))))
    assert problems == [f"Row 3: the period start “{start - datetime.timedelta(days=1):%Y-%m-%d}” does not match "
                        f"“{start:%Y-%m-%d}” on row 2 of invoice A"]


def test_a_number_already_used_is_refused(active, staff):
    submitted(active, number="INV-7", by=staff)
    problems = refused(active, staff, csv_file(row(active, "INV-7", quantity="1")))
    assert problems == ["Row 2: invoice INV-7: invoice number INV-7 has already been used by your organisation"]


def test_invoices_in_one_file_cannot_spend_the_same_money(officer):
    contract = active_contract(officer, fund_pence=30_000)
    staff = staff_of(contract)
    start, end = last_week()
    earlier = (start - datetime.timedelta(days=7), end - datetime.timedelta(days=7))
    problems = refused(contract, staff, csv_file(
        row(contract, "A", quantity="10"),
        row(contract, "B", quantity="10", period=earlier, start=earlier[0], end=earlier[1])))
    assert problems == [f"Row 3: invoice B: the invoice total £240.00 is more than the £60.00 left in the fund of "
                        f"contract {contract.reference} (£300.00 held, £240.00 claimed by invoices waiting for "
                        f"approval)"]


def test_a_file_not_in_utf8_is_refused(active, staff):
    upload = csv_file(row(active, "Facture-é", quantity="1"), encoding="latin-1")
    problems = refused(active, staff, upload)
    assert len(problems) == 1 and problems[0].startswith("The file is not UTF-8 text")
    assert "CSV UTF-8" in problems[0]


def test_too_many_rows_are_refused(active, staff):
    rows = [row(active, f"N{index}", quantity="0.01") for index in range(MAX_ROWS + 1)]
    problems = refused(active, staff, csv_file(*rows))
    assert problems == [f"The file has {MAX_ROWS + 1:,} rows of invoice lines: at most {MAX_ROWS:,} can be uploaded "
                        f"at once, so split it into smaller files"]


def test_a_file_over_two_megabytes_is_refused(active, staff):
    upload = SimpleUploadedFile("big.csv", b"x" * (2 * 1024 * 1024 + 1))
    assert refused(active, staff, upload) == ["The file is larger than 2 MB: split it into smaller files"]


def test_a_header_without_the_columns_is_refused(active, staff):
    problems = refused(active, staff, csv_file(row(active), header="number,contract"))
    assert problems[0].startswith("Row 1: the header row must name the columns")


def test_formula_cells_are_stored_as_plain_text(active, staff):
    [invoice] = services.invoices_import_csv(provider=active.provider, file=csv_file(
        row(active, '=HYPERLINK("http://evil.example")', quantity="1").replace(
            '=HYPERLINK("http://evil.example")', '"=HYPERLINK(""http://evil.example"")"')), by=staff)
    assert invoice.number == '=HYPERLINK("http://evil.example")'


def test_only_the_providers_staff_upload(active, other_staff):
    with pytest.raises(PermissionDenied):
        services.invoices_import_csv(provider=active.provider, file=csv_file(row(active)), by=other_staff)


def test_the_template_neutralises_formulas_and_parses_back():
    assert safe_cell("=1+2") == "'=1+2" and safe_cell("+44") == "'+44" and safe_cell("-3") == "'-3"
    assert safe_cell("@SUM") == "'@SUM" and safe_cell("INV-1") == "INV-1"
    parsed = parse_invoices(template_csv())
    assert parsed.errors == [] and [draft.number for draft in parsed.drafts] == ["INV-1001"]
    assert [line.number for line in parsed.drafts[0].lines] == [2, 3]
