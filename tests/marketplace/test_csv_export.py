"""Every CSV the platform writes neutralises text a spreadsheet would run as a formula."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from marketplace.csv_export import csv_text, safe_cell


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\")", "+44 20", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_would_run_as_a_formula_is_shown_as_text(text):
    assert safe_cell(text) == "'" + text


def test_numbers_dates_and_plain_text_are_left_alone():
    assert safe_cell(-1250) == -1250 and safe_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert safe_cell(datetime.date(2026, 11, 23)) == "2026-11-23"
    assert safe_cell("INV-1") == "INV-1" and safe_cell(None) == "" and safe_cell(True) == "Yes"


def test_csv_text_makes_every_cell_safe_and_reads_back():
    text = csv_text([["name", "amount"], ["=cmd|' /C calc'!A0", Decimal("-3.00")]])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [["name", "amount"], ["'=cmd|' /C calc'!A0", "-3.00"]]
