"""Statements and remittance advices as files to download: CSV for spreadsheets and finance systems,
PDF (reportlab platypus) to print or keep.

A CSV cell that begins with ``=``, ``+``, ``-`` or ``@`` would be run as a formula by a spreadsheet
(CSV injection), and some of these cells hold text typed by providers (invoice numbers, items), so
such text gets a leading apostrophe. Amounts are written as numbers, which a spreadsheet reads
as numbers whatever their sign.
"""

import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from isf.ledger import StatementLine
from isf.selectors.statements import PersonStatement, ProviderStatement, RemittanceDetail
from marketplace.csv_export import csv_text
from marketplace.money import format_pence, to_pounds

CSV_TYPE = "text/csv; charset=utf-8"
PDF_TYPE = "application/pdf"


def council_name() -> str:
    return getattr(settings, "COUNCIL_NAME", "") or "Mixed Market"


def statement_csv(rows: Iterable[Sequence]) -> str:
    """``rows`` as CSV text, each cell made safe (:func:`marketplace.csv_export.safe_cell`)."""
    return csv_text(rows)


def pounds(pence: int) -> Decimal:
    return to_pounds(pence)


def period_words(start: datetime.date | None, end: datetime.date | None) -> str:
    if start is None and end is None:
        return "All dates"
    if start is None:
        return f"Up to {end:%d %B %Y}"
    if end is None:
        return f"From {start:%d %B %Y}"
    return f"{start:%d %B %Y} to {end:%d %B %Y}"


def file_response(content: str | bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download: the browser saves it as ``filename`` rather than showing it."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _period_slug(start, end) -> str:
    if start is None and end is None:
        return "all"
    return f"{start.isoformat() if start else 'start'}-to-{end.isoformat() if end else 'now'}"


def person_statement_filename(statement: PersonStatement, extension: str) -> str:
    return f"isf-statement-{statement.person.reference}-{_period_slug(statement.start, statement.end)}.{extension}"


def provider_statement_filename(statement: ProviderStatement, extension: str) -> str:
    period = _period_slug(statement.start, statement.end)
    return f"isf-statement-provider-{statement.organisation.pk}-{period}.{extension}"


def remittance_filename(detail: RemittanceDetail, extension: str) -> str:
    return f"remittance-{detail.remittance.reference}.{extension}"


# CSV ---------------------------------------------------------------------------------------------

def _line_rows(reference: str, lines: list[StatementLine]) -> list[list]:
    return [["Transaction", reference, line.occurred_on, line.description, "", "", pounds(line.amount_pence),
             pounds(line.balance_pence)] for line in lines]


def person_statement_csv(statement: PersonStatement) -> str:
    """The person's statement as one table: a summary row per figure and contract, spending by
    item, then every ledger line with its running balance."""
    person = statement.person
    rows: list[list] = [
        ["Section", "Contract", "Date", "Description", "Item", "Quantity", "Amount (£)", "Balance (£)"],
        ["Statement", "", "", f"ISF statement for {person.first_name} {person.last_name} ({person.reference}), "
                                f"{period_words(statement.start, statement.end)}", "", "", "", ""],
    ]
    for row in statement.contracts:
        reference = row.contract.reference
        rows += [
            ["Summary", reference, statement.start, "Balance brought forward", "", "", pounds(row.opening_pence), ""],
            ["Summary", reference, "", "Money the council has put in", "", "", pounds(row.released_pence), ""],
            ["Summary", reference, "", "Your contributions", "", "", pounds(row.contributions_pence), ""],
            ["Summary", reference, "", "Spent on your support", "", "", pounds(row.spent_pence), ""],
            ["Summary", reference, "", "Recovered by the council", "", "", pounds(row.recovered_pence), ""],
            ["Summary", reference, statement.end, "Balance held for you", "", "", "", pounds(row.balance_pence)],
        ]
        rows += [["Spent by item", reference, "", "", spend.item, spend.quantity, pounds(spend.amount_pence), ""]
                 for spend in row.spent_by_item]
        rows += _line_rows(reference, row.lines)
    rows += [
        ["Total", "", "", "Money the council has put in", "", "", pounds(statement.released_pence), ""],
        ["Total", "", "", "Your contributions", "", "", pounds(statement.contributions_pence), ""],
        ["Total", "", "", "Spent on your support", "", "", pounds(statement.spent_pence), ""],
        ["Total", "", "", "Recovered by the council", "", "", pounds(statement.recovered_pence), ""],
        ["Total", "", "", "Balance held for you", "", "", "", pounds(statement.balance_pence)],
    ]
    if statement.has_direct_payments:
        rows += _line_rows("Direct payments", statement.direct_payment_lines)
        rows.append(["Total", "Direct payments", "", "Direct payments paid to you", "", "",
                     pounds(statement.direct_payments_pence), ""])
    return statement_csv(rows)


def provider_statement_csv(statement: ProviderStatement) -> str:
    """The provider's statement: contracts with fund balances, invoices, payments and remittances."""
    rows: list[list] = [
        ["Section", "Reference", "Contract", "Person or period", "Status", "Amount (£)"],
        ["Statement", statement.organisation.name, "", period_words(statement.start, statement.end), "", ""],
    ]
    rows += [["Contract", row.contract.reference, row.contract.listing.title,
              f"{row.contract.person.first_name} {row.contract.person.last_name}",
              row.contract.get_status_display(), pounds(row.balance_pence)] for row in statement.contracts]
    rows.append(["Total", "Held in funds", "", "", "", pounds(statement.held_pence)])
    rows += [["Invoice", invoice.number, invoice.contract.reference,
              f"{invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}",
              invoice.get_status_display(), pounds(invoice.total_pence)] for invoice in statement.invoices]
    rows.append(["Total", "Invoiced", "", "", "", pounds(statement.invoiced_pence)])
    rows += [["Payment", payment.gateway_reference or payment.idempotency_key,
              payment.contract.reference if payment.contract_id else "",
              f"{payment.period_start.isoformat()} to {payment.period_end.isoformat()}",
              payment.get_status_display(), pounds(payment.amount_pence)] for payment in statement.payments]
    rows.append(["Total", "Payments received", "", "", "", pounds(statement.received_pence)])
    rows += [["Remittance", remittance.reference, "", remittance.run.run_on.isoformat(), "",
              pounds(remittance.total_pence)] for remittance in statement.remittances]
    return statement_csv(rows)


def remittance_csv(detail: RemittanceDetail) -> str:
    """A remittance advice: the payments made and the invoices settled on it."""
    remittance = detail.remittance
    rows: list[list] = [
        ["Section", "Reference", "Contract", "Period", "Status", "Amount (£)"],
        ["Remittance", remittance.reference, "", remittance.run.run_on.isoformat(), "", pounds(remittance.total_pence)],
    ]
    rows += [["Payment", payment.gateway_reference or payment.idempotency_key,
              payment.contract.reference if payment.contract_id else "",
              f"{payment.period_start.isoformat()} to {payment.period_end.isoformat()}",
              payment.get_status_display(), pounds(payment.amount_pence)] for payment in detail.payments]
    rows.append(["Total", "Payments", "", "", "", pounds(detail.payments_pence)])
    rows += [["Invoice settled", invoice.number, invoice.contract.reference,
              f"{invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}",
              invoice.get_status_display(), pounds(invoice.total_pence)] for invoice in detail.invoices]
    rows.append(["Total", "Invoices settled", "", "", "", pounds(detail.invoices_pence)])
    return statement_csv(rows)


# PDF ---------------------------------------------------------------------------------------------

_styles = getSampleStyleSheet()


def _money(pence: int) -> str:
    # The PDF's built-in fonts have no Unicode minus sign: use a hyphen so it is not lost.
    return format_pence(pence).replace("\u2212", "-")
TABLE_STYLE = TableStyle([
    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
    ("FONTSIZE", (0, 0), (-1, -1), 9),
    ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])
TOTAL_STYLE = [("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"), ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black)]


def _text(value) -> Paragraph:
    return Paragraph(escape(str(value)), _styles["BodyText"])


def _table(header: list[str], rows: list[list], *, numeric: Sequence[int] = (), total: bool = False) -> Table:
    data = [header] + [[cell if isinstance(cell, str | Flowable) else str(cell) for cell in row] for row in rows]
    table = Table(data, repeatRows=1, hAlign="LEFT")
    style = TableStyle(TABLE_STYLE.getCommands())
    for column in numeric:
        style.add("ALIGN", (column, 0), (column, -1), "RIGHT")
    if total:
        for command in TOTAL_STYLE:
            style.add(*command)
    table.setStyle(style)
    return table


def _heading(text: str, level: int = 2) -> Paragraph:
    return Paragraph(escape(text), _styles[f"Heading{level}"])


def _pdf(title: str, subtitle: str, period: str, story: list, *, wide: bool = False, **options) -> bytes:
    """A PDF with the council's name, the title, the period and the generated date at the top and
    a page number at the foot of every page. ``options`` go to reportlab's document (tests pass
    ``invariant=1, pageCompression=0`` to read the text back)."""
    buffer = io.BytesIO()
    pagesize = landscape(A4) if wide else A4
    generated = timezone.localtime().strftime("%d %B %Y at %H:%M")

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(15 * mm, 10 * mm, f"{council_name()}: {title}. Generated {generated}.")
        canvas.drawRightString(pagesize[0] - 15 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=pagesize, title=title, author=council_name(),
                                 leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=18 * mm,
                                 **options)
    head = [_text(council_name()), _heading(title, 1), _text(subtitle), _text(f"Period: {period}"),
            _text(f"Generated {generated}"), Spacer(1, 4 * mm)]
    document.build(head + story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _line_cells(lines: list[StatementLine]) -> list[list]:
    return [[f"{line.occurred_on:%d %b %Y}" if line.occurred_on else "", _text(line.description),
             _money(line.amount_pence), _money(line.balance_pence)] for line in lines]


def person_statement_pdf(statement: PersonStatement, **options) -> bytes:
    person = statement.person
    story: list = [
        _heading("Summary"),
        _table(["", "Amount"], [
            ["Balance brought forward", _money(statement.opening_pence)],
            ["Money the council has put in", _money(statement.released_pence)],
            ["Your contributions", _money(statement.contributions_pence)],
            ["Spent on your support", _money(statement.spent_pence)],
            ["Recovered by the council", _money(statement.recovered_pence)],
            ["Balance held for you", _money(statement.balance_pence)],
        ], numeric=[1], total=True),
    ]
    for row in statement.contracts:
        contract = row.contract
        story += [
            _heading(f"{contract.reference}: {contract.listing.title} from {contract.provider.name}"),
            _text(f"Status: {contract.get_status_display()}. Balance held for you: {_money(row.balance_pence)}."),
        ]
        if row.spent_by_item:
            story.append(_table(["Spent by item", "Quantity", "Amount"],
                                [[spend.item, f"{spend.quantity.normalize():f}", _money(spend.amount_pence)]
                                 for spend in row.spent_by_item]
                                + [["Total spent", "", _money(row.spent_pence)]], numeric=[1, 2], total=True))
            story.append(Spacer(1, 3 * mm))
        story.append(_table(["Date", "Description", "Amount", "Balance"],
                            _line_cells(row.lines), numeric=[2, 3]))
    if statement.has_direct_payments:
        story += [_heading("Direct payments paid to you"),
                  _table(["Date", "Description", "Amount", "Balance"],
                         _line_cells(statement.direct_payment_lines)
                         + [["", "Total paid", _money(statement.direct_payments_pence), ""]],
                         numeric=[2, 3], total=True)]
    if not statement.contracts and not statement.has_direct_payments:
        story.append(_text("There is no Individual Service Fund or direct payment to show."))
    return _pdf("Individual Service Fund statement", f"{person.first_name} {person.last_name} ({person.reference})",
                period_words(statement.start, statement.end), story, **options)


def provider_statement_pdf(statement: ProviderStatement, **options) -> bytes:
    story: list = [
        _heading("Contracts"),
        _table(["Contract", "Person", "Status", "Held in the fund"],
               [[row.contract.reference, f"{row.contract.person.first_name} {row.contract.person.last_name}",
                 row.contract.get_status_display(), _money(row.balance_pence)] for row in statement.contracts]
               + [["Total held", "", "", _money(statement.held_pence)]], numeric=[3], total=True),
        _heading("Invoices"),
        _table(["Number", "Contract", "Period", "Status", "Total"],
               [[_text(invoice.number), invoice.contract.reference,
                 f"{invoice.period_start:%d %b %Y} to {invoice.period_end:%d %b %Y}", invoice.get_status_display(),
                 _money(invoice.total_pence)] for invoice in statement.invoices]
               + [["Total invoiced", "", "", "", _money(statement.invoiced_pence)]], numeric=[4], total=True),
        _heading("Payments received"),
        _table(["Reference", "Contract", "Period", "Status", "Amount"],
               [[payment.gateway_reference or payment.idempotency_key,
                 payment.contract.reference if payment.contract_id else "",
                 f"{payment.period_start:%d %b %Y} to {payment.period_end:%d %b %Y}", payment.get_status_display(),
                 _money(payment.amount_pence)] for payment in statement.payments]
               + [["Total received", "", "", "", _money(statement.received_pence)]], numeric=[4], total=True),
        _heading("Remittances"),
        _table(["Reference", "Payment run date", "Total"],
               [[remittance.reference, f"{remittance.run.run_on:%d %b %Y}", _money(remittance.total_pence)]
                for remittance in statement.remittances], numeric=[2]),
    ]
    return _pdf("Individual Service Fund statement", statement.organisation.name,
                period_words(statement.start, statement.end), story, wide=True, **options)


def remittance_pdf(detail: RemittanceDetail, **options) -> bytes:
    remittance = detail.remittance
    story: list = [
        _heading("Payments"),
        _table(["Reference", "Contract", "Period", "Status", "Amount"],
               [[payment.gateway_reference or payment.idempotency_key,
                 payment.contract.reference if payment.contract_id else "",
                 f"{payment.period_start:%d %b %Y} to {payment.period_end:%d %b %Y}", payment.get_status_display(),
                 _money(payment.amount_pence)] for payment in detail.payments]
               + [["Total paid", "", "", "", _money(detail.payments_pence)]], numeric=[4], total=True),
        _heading("Invoices settled"),
        _table(["Number", "Contract", "Period", "Total"],
               [[_text(invoice.number), invoice.contract.reference,
                 f"{invoice.period_start:%d %b %Y} to {invoice.period_end:%d %b %Y}",
                 _money(invoice.total_pence)] for invoice in detail.invoices]
               + [["Total settled", "", "", _money(detail.invoices_pence)]], numeric=[3], total=True),
    ]
    return _pdf(f"Remittance advice {remittance.reference}", remittance.organisation.name,
                f"Payment run of {remittance.run.run_on:%d %B %Y}", story, wide=True, **options)
