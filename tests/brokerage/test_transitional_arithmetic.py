"""The arithmetic of a transitional taper [H V]: weekly steps from the old budget to the new,
rounded once to the penny, the last step exactly the new budget."""

import datetime

import pytest

from brokerage.transitional import taper_schedule

MONDAY = datetime.date(2026, 4, 6)


def test_thirteen_week_taper_steps_down_ten_pounds_a_week_from_500_to_370():
    schedule = taper_schedule(50000, 37000, 13, MONDAY)

    # Worked by hand: (£500 − £370) / 13 = £10 a week, the first step already down.
    assert [pence for _, pence in schedule] == [49000, 48000, 47000, 46000, 45000, 44000, 43000, 42000, 41000,
                                                40000, 39000, 38000, 37000]
    assert [starts for starts, _ in schedule] == [MONDAY + datetime.timedelta(weeks=week) for week in range(13)]
    assert schedule[-1] == (datetime.date(2026, 6, 29), 37000)


def test_a_drop_that_does_not_divide_is_rounded_from_the_exact_value_each_week():
    # £100 → £90 over 3 weeks: 10000 − 1000/3 = 9666.67 → 9667; 10000 − 2000/3 = 9333.33 → 9333.
    assert [pence for _, pence in taper_schedule(10000, 9000, 3, MONDAY)] == [9667, 9333, 9000]


def test_half_a_penny_rounds_up():
    # 1001 − 1001 × 1/2 = 500.5p, rounded half away from zero to 501p.
    assert [pence for _, pence in taper_schedule(1001, 0, 2, MONDAY)] == [501, 0]


def test_rounding_never_accumulates_over_thirteen_weeks():
    # £412.34 → £287.65: the drop of 12469p is not a multiple of 13 (959.15… a week).
    schedule = [pence for _, pence in taper_schedule(41234, 28765, 13, MONDAY)]
    assert schedule[0] == 40275  # 41234 − 959.15… = 40274.85 → 40275
    assert schedule[6] == 34520  # 41234 − 12469 × 7/13 = 34519.92 → 34520
    assert schedule[-1] == 28765
    assert schedule == sorted(schedule, reverse=True)


def test_the_last_step_is_the_new_budget_exactly():
    for weeks in range(1, 27):
        assert taper_schedule(33333, 11111, weeks, MONDAY)[-1] == (MONDAY + datetime.timedelta(weeks=weeks - 1),
                                                                   11111)


def test_a_one_week_taper_is_the_new_budget_from_the_start():
    assert taper_schedule(50000, 37000, 1, MONDAY) == [(MONDAY, 37000)]


@pytest.mark.parametrize("weeks", [0, -1, True, "13"])
def test_a_taper_of_no_weeks_is_refused(weeks):
    with pytest.raises(ValueError):
        taper_schedule(50000, 37000, weeks, MONDAY)


@pytest.mark.parametrize("amounts", [(-1, 100), (100, -1), (100.0, 50)])
def test_amounts_are_whole_pence_not_floats_or_negative(amounts):
    with pytest.raises(ValueError):
        taper_schedule(*amounts, 4, MONDAY)
