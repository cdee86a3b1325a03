"""Reading providers' invoice CSV files into drafts, and writing the template they start from.

One row per invoice line, with the invoice's own fields repeated on each of its rows:
``invoice_number, contract_reference, period_start, period_end, item, date_from, date_to,
quantity, unit_price``. Dates are YYYY-MM-DD or DD/MM/YYYY; the unit price is in pounds ("24.00").
Rows of one invoice sit together and agree on the invoice's fields. Rows are numbered as a
spreadsheet shows them: the header is row 1.

A cell is only ever data: one starting with ``=``, ``+``, ``-`` or ``@`` is read (and stored) as the
text it is, and every CSV written here starts such a cell with ``'`` so a spreadsheet opening it
does not run it as a formula.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from isf.invoice_checks import DraftLine, InvoiceDraft
from marketplace import money
from marketplace.csv_export import csv_text

COLUMNS = ("invoice_number", "contract_reference", "period_start", "period_end", "item", "date_from", "date_to",
           "quantity", "unit_price")
INVOICE_COLUMNS = ("contract_reference", "period_start", "period_end")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


@dataclass
class ParsedUpload:
    """The drafts read from a file (each line numbered by its row) and every error found, each
    starting "Row n: "."""

    drafts: list[InvoiceDraft] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # The rows of each draft, by invoice number: where to point invoice-level problems.
    rows: dict[str, list[int]] = field(default_factory=dict)
    # Invoice numbers with a row that could not be read: their drafts are not worth checking.
    broken: set[str] = field(default_factory=set)


def write_rows(rows) -> str:
    """CSV text of ``rows`` with every cell made safe."""
    return csv_text(rows)


def template_csv(example_contract: str = "ISF-000123") -> str:
    """The header and two example lines of one invoice."""
    return write_rows([
        COLUMNS,
        ("INV-1001", example_contract, "2026-06-01", "2026-06-14", "Home care", "2026-06-01", "2026-06-07", "16",
         "24.00"),
        ("INV-1001", example_contract, "2026-06-01", "2026-06-14", "Home care", "2026-06-08", "2026-06-14", "16",
         "24.00"),
    ])


def read_upload(file) -> tuple[str | None, list[str]]:
    """The text of an uploaded file, or None with the reason it cannot be read: larger than 2 MB,
    or not UTF-8 (a byte-order mark is fine)."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        return None, [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files"]
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_BYTES + 1) if hasattr(file, "read") else bytes(file)
    if len(data) > MAX_BYTES:
        return None, [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files"]
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), []
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        return None, [f"The file is not UTF-8 text (a byte at position {error.start + 1} could not be read): in "
                      f"your spreadsheet, save it as “CSV UTF-8”"]


def _date(value: str) -> datetime.date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def parse_invoices(text: str) -> ParsedUpload:
    """Read ``text`` into drafts, one per invoice number, listing every error. A file with any
    error should be refused as a whole."""
    parsed = ParsedUpload()
    errors = parsed.errors
    records = list(csv.reader(io.StringIO(text, newline="")))
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    if not records:
        errors.append("Row 1: the file is empty: start from the template, which has the header row")
        return parsed
    header = [cell.strip().lower() for cell in records[0]]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        errors.append(f"Row 1: the header row must name the columns {', '.join(COLUMNS)}; missing: "
                      f"{', '.join(missing)}")
        return parsed
    position = {name: header.index(name) for name in COLUMNS}
    data = [(number, row) for number, row in enumerate(records[1:], start=2) if any(cell.strip() for cell in row)]
    if not data:
        errors.append("Row 2: the file has no invoice lines under the header")
        return parsed
    if len(data) > MAX_ROWS:
        errors.append(f"The file has {len(data):,} rows of invoice lines: at most {MAX_ROWS:,} can be uploaded at "
                      f"once, so split it into smaller files")
        return parsed

    invoices: dict[str, dict] = {}
    last_number = None
    for row_number, row in data:
        cells = {name: (row[index].strip() if index < len(row) else "") for name, index in position.items()}
        number = cells["invoice_number"]
        problems = []
        if not number:
            problems.append("enter the invoice number")
        header_fields = {}
        for name, label in (("period_start", "period start"), ("period_end", "period end")):
            value = cells[name]
            header_fields[name] = _date(value) if value else None
            if not value:
                problems.append(f"enter the {label}")
            elif header_fields[name] is None:
                problems.append(f"the {label} “{value}” is not a date: use YYYY-MM-DD or DD/MM/YYYY")
        if not cells["contract_reference"]:
            problems.append("enter the contract reference")
        header_fields["contract_reference"] = cells["contract_reference"]
        line = {"item": cells["item"]}
        if not cells["item"]:
            problems.append("enter the item")
        for name, label in (("date_from", "date from"), ("date_to", "date to")):
            value = cells[name]
            line[name] = _date(value) if value else None
            if not value:
                problems.append(f"enter the {label}")
            elif line[name] is None:
                problems.append(f"the {label} “{value}” is not a date: use YYYY-MM-DD or DD/MM/YYYY")
        line["quantity"] = None
        if not cells["quantity"]:
            problems.append("enter the quantity")
        else:
            try:
                line["quantity"] = Decimal(cells["quantity"].replace(",", ""))
                if not line["quantity"].is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                line["quantity"] = None
                problems.append(f"the quantity “{cells['quantity']}” is not a number")
        line["unit_price_pence"] = None
        if not cells["unit_price"]:
            problems.append("enter the unit price in pounds, like 24.00")
        else:
            try:
                line["unit_price_pence"] = money.to_pence(cells["unit_price"])
            except money.MoneyError:
                problems.append(f"the unit price “{cells['unit_price']}” is not an amount in pounds, like 24.00")

        if number:
            invoice = invoices.get(number)
            if invoice is None:
                invoices[number] = invoice = {"fields": header_fields, "raw": cells, "rows": [], "lines": []}
            elif last_number != number:
                first, last = invoice["rows"][0], invoice["rows"][-1]
                where = f"row {first}" if first == last else f"rows {first} to {last}"
                problems.append(f"invoice number {number} is already used in this file, on {where}: put the lines of "
                                f"one invoice on rows next to each other, and give each invoice its own number")
            else:
                for name in INVOICE_COLUMNS:
                    if cells[name] != invoice["raw"][name] and header_fields[name] != invoice["fields"][name]:
                        problems.append(f"the {name.replace('_', ' ')} “{cells[name]}” does not match "
                                        f"“{invoice['raw'][name]}” on row {invoice['rows'][0]} of invoice {number}")
            invoice["rows"].append(row_number)
            invoice["lines"].append(DraftLine(number=row_number, **line))
        last_number = number or last_number
        if problems and number:
            parsed.broken.add(number)
        errors.extend(f"Row {row_number}: {problem}" for problem in problems)

    for number, invoice in invoices.items():
        parsed.rows[number] = invoice["rows"]
        fields = invoice["fields"]
        parsed.drafts.append(InvoiceDraft(number=number, contract=fields["contract_reference"],
                                          period_start=fields["period_start"], period_end=fields["period_end"],
                                          lines=tuple(invoice["lines"]), row=invoice["rows"][0]))
    return parsed
