"""What every dashboard figure is: a titled table of rows, how it was worked out, and the chart
drawn from it. The table is the figure; the chart is another view of the same rows, so the two can
never disagree, and the CSV download is the table's rows as they are."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from marketplace.money import format_pence, to_pounds

# How a column's values are shown: plain text, a whole number, a percentage (a Decimal, 0–100,
# or None when there is nothing to divide by), money (integer pence), a date, or a month (a date
# on the first of the month).
Kind = Literal["text", "count", "percent", "pence", "date", "month"]


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Chart:
    """How to draw a figure: ``line`` (one line per series over the rows, in order: a trend) or
    ``stacked`` (one bar per row, each series a part of it). ``label`` is the index of the column
    naming each row (a month, a route); ``series`` the indexes of the columns drawn. ``target``
    draws a dashed line across a line chart at that value (a percentage target)."""

    kind: Literal["line", "stacked"]
    label: int
    series: tuple[int, ...]
    target: Decimal | None = None
    target_label: str = ""


@dataclass(frozen=True)
class Figure:
    """One dashboard figure. ``slug`` names it in URLs and file names; ``method`` says in plain
    words how it was worked out (shown beside it); ``rows`` hold raw values (see :data:`Kind`)."""

    slug: str
    title: str
    method: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    chart: Chart | None = None
    empty: str = "Nothing to show for these filters."
    notes: tuple[str, ...] = field(default_factory=tuple)

    def formatted_rows(self) -> list[list[str]]:
        return [[show(value, column.kind) for value, column in zip(row, self.columns, strict=True)]
                for row in self.rows]

    def csv_rows(self) -> list[list]:
        """The header and the rows for a CSV file: money in pounds (12.34), percentages as numbers,
        months as 2026-04."""
        header = [f"{column.label} (£)" if column.kind == "pence" else
                  f"{column.label} (%)" if column.kind == "percent" else column.label for column in self.columns]
        return [header, *([raw(value, column.kind) for value, column in zip(row, self.columns, strict=True)]
                          for row in self.rows)]


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` as a percentage to one decimal place (None when ``whole`` is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def show(value, kind: Kind) -> str:
    if value is None:
        return "–" if kind in ("percent", "pence", "count") else ""
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "pence":
        return format_pence(value)
    if kind == "count":
        return f"{value:,}"
    if kind == "month":
        return f"{value:%B %Y}"
    if kind == "date":
        return f"{value:%-d %B %Y}"
    return str(value)


def raw(value, kind: Kind):
    if value is None:
        return ""
    if kind == "pence":
        return to_pounds(value)
    if kind == "month" and isinstance(value, datetime.date):
        return f"{value:%Y-%m}"
    return value
