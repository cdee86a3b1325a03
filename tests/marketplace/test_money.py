from decimal import Decimal

import pytest
from django.template import Context, Template

from marketplace import money


@pytest.mark.parametrize("pounds, pence", [
    ("24.50", 2450), ("£1,234.56", 123456), ("  7 ", 700), (Decimal("0.01"), 1), (12, 1200), ("-3.20", -320),
])
def test_to_pence_reads_pounds(pounds, pence):
    assert money.to_pence(pounds) == pence


@pytest.mark.parametrize("bad", ["", "twelve", "12.345", "1e400000", "NaN", "Infinity"])
def test_to_pence_refuses_what_is_not_money(bad):
    with pytest.raises(money.MoneyError):
        money.to_pence(bad)


def test_floats_are_refused_everywhere():
    with pytest.raises(TypeError):
        money.to_pence(24.5)
    with pytest.raises(TypeError):
        money.multiply(2450, 1.5)


def test_multiply_rounds_once_half_up():
    assert money.multiply(2650, Decimal("1.5")) == 3975
    # 2333 × 0.5 = 1166.5 → 1167 (half away from zero), not banker's 1166
    assert money.multiply(2333, "0.5") == 1167
    # 15 minutes at £23.99 an hour = 599.75p → 600p
    assert money.multiply(2399, "0.25") == 600


def test_weekly_to_annual_uses_52_weeks():
    assert money.weekly_to_annual(31_050) == 1_614_600


def test_percentage_of():
    assert money.percentage_of(100_000, 10) == 10_000
    assert money.percentage_of(333, "12.5") == 42


@pytest.mark.parametrize("total, parts", [(100, 3), (1, 4), (1_000_001, 13), (0, 2)])
def test_split_always_adds_back_to_the_whole(total, parts):
    shares = money.split(total, parts)
    assert sum(shares) == total
    assert len(shares) == parts
    assert max(shares) - min(shares) <= 1


def test_to_pounds():
    assert money.to_pounds(123456) == Decimal("1234.56")


@pytest.mark.parametrize("pence, shown", [(123450, "£1,234.50"), (5, "£0.05"), (-1200, "−£12.00"), (None, "")])
def test_format_pence(pence, shown):
    assert money.format_pence(pence) == shown


def test_template_filter_shows_pounds():
    rendered = Template("{% load money %}{{ amount|gbp }} {{ whole|gbp_whole }}").render(
        Context({"amount": 2650, "whole": 3000}))
    assert rendered == "£26.50 £30"
