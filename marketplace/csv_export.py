"""CSV files the platform writes (statements, payment files, templates): one rule for every cell.

A spreadsheet runs a cell beginning with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return)
as a formula, so text from people and providers could run in a council officer's spreadsheet.
Such text gets a leading apostrophe, which spreadsheets show as plain text. Numbers stay numbers
(a negative amount is data, not a formula).
"""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | Decimal | int:
    """``value`` ready for a CSV cell: None is empty, booleans are Yes/No, numbers are left as
    they are, dates are ISO 8601, and text that would run as a formula is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence]) -> str:
    """``rows`` as CSV text (CRLF line ends, as spreadsheets expect), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
