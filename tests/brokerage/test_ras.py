"""The RAS arithmetic with numbers worked out by hand (no database)."""

from decimal import Decimal

import pytest

from brokerage import ras
from brokerage.constants import NeedDomain

ALL_NONE = {domain: 0 for domain in NeedDomain.values}
FLAT_POINTS = {(domain, level): value for domain in NeedDomain.values for level, value in enumerate((0, 4, 9, 15))}


def levels(**chosen):
    return ALL_NONE | chosen


def test_points_budget_is_points_times_value_times_factor():
    # personal care 3 → 15, nutrition 2 → 9, continence 1 → 4: 28 points × £2.75 = £77.00; × 1.15 = £88.55
    result = ras.points_budget(levels=levels(personal_care=3, nutrition=2, continence=1), points=FLAT_POINTS,
                               pence_per_point=275, client_group="learning_disability", factor=Decimal("1.150"))
    assert result.total_pence == 8855
    by_domain = {line["domain"]: line for line in result.lines if line["kind"] == "points"}
    assert by_domain["personal_care"]["points"] == 15 and by_domain["personal_care"]["amount_pence"] == 4125
    assert by_domain["nutrition"]["amount_pence"] == 2475
    assert by_domain["continence"]["amount_pence"] == 1100
    factor_line = result.lines[-1]
    assert factor_line["kind"] == "factor" and factor_line["amount_pence"] == 1155
    assert factor_line["client_group_label"] == "Learning disability"
    assert sum(line["amount_pence"] for line in result.lines) == result.total_pence


def test_points_factor_is_rounded_once_half_away_from_zero():
    # 1 point × 250p = 250p; × 1.002 = 250.5p → 251p (banker's rounding would give 250p)
    points = {**{key: 0 for key in FLAT_POINTS}, ("mobility", 1): 1}
    result = ras.points_budget(levels=levels(mobility=1), points=points, pence_per_point=250,
                               client_group="older_person", factor=Decimal("1.002"))
    assert result.total_pence == 251
    assert result.lines[-1]["amount_pence"] == 1


def test_points_factor_rounding_is_on_the_sum_not_each_line():
    # Two domains at 4 points × 3p = 12p each. Per line × 1.125 = 13.5 → 14 each, 28 in all;
    # rounding once on the sum: 24 × 1.125 = 27.0 → 27.
    result = ras.points_budget(levels=levels(home=1, safety=1), points=FLAT_POINTS, pence_per_point=3,
                               client_group="mental_health", factor=Decimal("1.125"))
    assert result.total_pence == 27


def test_points_factor_below_one_gives_a_negative_adjustment_line():
    result = ras.points_budget(levels=levels(personal_care=2), points=FLAT_POINTS, pence_per_point=100,
                               client_group="carer", factor=Decimal("0.950"))
    assert result.total_pence == 855  # 900 × 0.95
    assert result.lines[-1]["amount_pence"] == -45


def test_points_budget_refuses_missing_points_or_levels():
    incomplete = {key: value for key, value in FLAT_POINTS.items() if key != ("carer_role", 3)}
    with pytest.raises(ras.RasGap, match="caring for someone else"):
        ras.points_budget(levels=levels(carer_role=3), points=incomplete, pence_per_point=275,
                          client_group="carer", factor=Decimal(1))
    partial = {key: value for key, value in ALL_NONE.items() if key != "mobility"}
    with pytest.raises(ras.RasGap, match="moving around"):
        ras.points_budget(levels=partial, points=FLAT_POINTS, pence_per_point=275, client_group="carer",
                          factor=Decimal(1))


def service(domain, level, slug, unit, quantity, name=None):
    return ras.TypicalService(domain=domain, level=level, category_slug=slug, category_name=name or slug.title(),
                              unit=unit, quantity_per_week=Decimal(quantity))


COST_TABLE = [
    service("personal_care", 2, "homecare", "hour", "7"),
    service("personal_care", 3, "homecare", "hour", "14"),
    service("nutrition", 1, "homecare", "hour", "1.75"),
    service("safety", 1, "telecare", "week", "1"),
    service("mobility", 2, "reablement", "hour", "3"),
    service("mobility", 2, "transport", "item", "4"),
]
RATES = {("homecare", "hour"): 2850, ("telecare", "week"): 650, ("transport", "item"): 1975,
         ("reablement", "hour"): 2850}


def test_cost_budget_prices_the_typical_services_for_each_level_at_reference_rates():
    # homecare 7h × £28.50 = £199.50; 1.75h × £28.50 = £49.875 → £49.88; telecare £6.50;
    # transport 4 × £19.75 = £79.00; reablement 3h free. Total £334.88.
    result = ras.cost_budget(levels=levels(personal_care=2, nutrition=1, safety=1, mobility=2),
                             typical_services=COST_TABLE, rates=RATES)
    assert result.total_pence == 33488
    amounts = [(line["domain"], line["category"], line["amount_pence"]) for line in result.lines]
    assert amounts == [
        ("personal_care", "homecare", 19950),
        ("nutrition", "homecare", 4988),
        ("mobility", "reablement", 0),
        ("mobility", "transport", 7900),
        ("safety", "telecare", 650),
    ]
    assert sum(line["amount_pence"] for line in result.lines) == result.total_pence


def test_reablement_is_never_counted_even_with_a_rate():
    result = ras.cost_budget(levels=levels(mobility=2), typical_services=COST_TABLE, rates=RATES)
    reablement = [line for line in result.lines if line["category"] == "reablement"]
    assert len(reablement) == 1
    assert reablement[0]["amount_pence"] == 0
    assert reablement[0]["description"] == "Reablement: free, not part of the budget"
    assert reablement[0]["kind"] == "reablement"
    assert result.total_pence == 7900  # transport only


def test_reablement_needs_no_reference_rate():
    rates = {key: value for key, value in RATES.items() if key[0] != "reablement"}
    result = ras.cost_budget(levels=levels(mobility=2), typical_services=COST_TABLE, rates=rates)
    assert result.total_pence == 7900


def test_cost_budget_refuses_a_counted_service_without_a_rate():
    rates = {key: value for key, value in RATES.items() if key != ("telecare", "week")}
    with pytest.raises(ras.RasGap, match="No reference rate for Telecare per week"):
        ras.cost_budget(levels=levels(safety=1), typical_services=COST_TABLE, rates=rates)


def test_cost_budget_of_no_needs_is_nothing():
    result = ras.cost_budget(levels=ALL_NONE, typical_services=COST_TABLE, rates=RATES)
    assert result.total_pence == 0 and result.lines == []


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        ras.points_budget(levels=ALL_NONE, points=FLAT_POINTS, pence_per_point=275, client_group="carer",
                          factor=1.1)


def test_quantities_read_naturally():
    assert ras.format_quantity(Decimal("3.50")) == "3.5"
    assert ras.format_quantity(Decimal("7.00")) == "7"
    assert ras.format_quantity(Decimal("0.25")) == "0.25"
