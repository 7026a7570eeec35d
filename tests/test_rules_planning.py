"""The planner's rules one by one: tag defaults, calibrated estimates, headroom, checkpoint, waiting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ai_budget.model.backlog import Task
from ai_budget.model.budget import Settings, Tiers
from ai_budget.model.calibration import CalibrationEntry
from ai_budget.planning.estimates import Estimate, estimate
from ai_budget.planning.recommend import Plan, effective_five_hour, recommend
from ai_budget.planning.tiers import battery_tier, metabolic_tier
from ai_budget.severity import severity

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=timezone.utc)
SOON = NOW + timedelta(minutes=10)
# 10 % over 3 cards: 10/3 %/card.
CARDS = {"flashcard": CalibrationEntry(unit="per card", samples=1, units=3, total_5h_pct=10)}


def task(tag: str = "M", task_type: str | None = None, units: float | None = None, number: int = 1) -> Task:
    return Task(number, tag, f"task {number}", task_type, units, None, "")


def est(number: int, pct: float, per_unit: float | None = None, units: float | None = None) -> Estimate:
    """An estimate built by hand: `per_unit` makes it a calibrated one of `units` cards."""
    t = task(task_type="flashcard" if per_unit is not None else None, units=units, number=number)
    return Estimate(t, pct, "calibrated" if per_unit is not None else "tag", per_unit, "card")


def plan(
    estimates: list[Estimate], five: float | None, resets: datetime | None = None, **settings: float
) -> Plan:
    return recommend(estimates, five, resets, 0.0, Settings(**settings), NOW)


def numbers(items: list[Estimate]) -> list[int]:
    return [e.task.number for e in items]


# --- estimates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tag", "pct"), [("L", 5.0), ("M", 15.0), ("H", 35.0), ("X", 70.0)])
def test_each_size_tag_has_its_documented_default(tag: str, pct: float) -> None:
    got = estimate(task(tag), CARDS)
    assert (got.pct, got.basis, got.pct_per_unit, got.unit) == (pct, "tag", None, None)


def test_a_calibrated_estimate_is_rate_times_units_rounded_to_cents() -> None:
    # 10/3 %/card × 2 cards = 6.666… → 6.67; the type is matched whatever its case.
    got = estimate(task("X", "FlashCard", 2), CARDS)
    assert (got.pct, got.basis, got.unit) == (6.67, "calibrated", "card")
    assert got.pct_per_unit == pytest.approx(10 / 3)


@pytest.mark.parametrize(
    ("task_type", "units", "table"),
    [
        ("flashcard", None, CARDS),  # a type without units cannot be multiplied out
        ("essay", 2, CARDS),  # a type calibration does not know
        ("flashcard", 2, {"flashcard": CalibrationEntry(unit="per card")}),  # known, no samples yet
    ],
)
def test_without_a_usable_rate_the_tag_decides(
    task_type: str, units: float | None, table: dict[str, CalibrationEntry]
) -> None:
    got = estimate(task("H", task_type, units), table)
    assert (got.pct, got.basis, got.pct_per_unit) == (35.0, "tag", None)


# --- the 5-hour window now ------------------------------------------------------------------------


def test_a_reset_time_reached_this_very_moment_empties_the_window() -> None:
    assert effective_five_hour(60.0, NOW, NOW) == 0.0
    assert effective_five_hour(60.0, NOW + timedelta(seconds=1), NOW) == 60.0
    assert effective_five_hour(60.0, None, NOW) == 60.0
    assert effective_five_hour(None, NOW - timedelta(hours=1), NOW) is None  # unknown stays unknown


def test_minutes_to_reset_round_up_and_vanish_once_the_reset_is_here() -> None:
    assert plan([], 10.0, NOW + timedelta(seconds=90)).minutes_to_reset == 2
    assert plan([], 10.0, NOW).minutes_to_reset is None
    assert plan([], 10.0, None).minutes_to_reset is None


# --- headroom and the order of the backlog --------------------------------------------------------


def test_headroom_is_what_is_left_after_the_margin_rounded_and_never_negative() -> None:
    assert plan([], 33.333).headroom_pct == 56.67  # 100 - 33.333 - 10
    assert plan([], 40.0, safety_margin_pct=0).headroom_pct == 60.0
    full = plan([est(1, 5.0)], 95.0)
    assert full.headroom_pct == 0.0
    assert full.checkpoint is not None and full.checkpoint.pct_available == 0.0


def test_each_task_done_uses_up_headroom() -> None:
    # 50 % usable: 20 + 20 fit, the third 20 % finds 10 % left.
    p = plan([est(1, 20.0), est(2, 20.0), est(3, 20.0)], 40.0)
    assert numbers(p.do) == [1, 2]
    assert p.checkpoint is not None and p.checkpoint.estimate.task.number == 3
    assert p.checkpoint.pct_available == 10.0


def test_after_the_checkpoint_even_a_small_task_is_deferred() -> None:
    p = plan([est(1, 60.0), est(2, 1.0), est(3, 2.0)], 40.0)
    assert p.do == []
    assert p.checkpoint is not None and p.checkpoint.estimate.task.number == 1
    assert numbers(p.defer) == [2, 3]


def test_the_remaining_headroom_is_rounded_at_the_checkpoint() -> None:
    p = plan([est(1, 90.0)], 3.333)  # 86.667 usable
    assert p.checkpoint is not None and p.checkpoint.pct_available == 86.67


def test_a_sum_of_estimates_that_fills_the_headroom_up_to_float_dust_still_fits() -> None:
    # 90 - 0.2 - 0.4 is 89.39999999999999 in floats: tasks of 0.2, 0.4 and 89.4 fill 90 % exactly.
    p = plan([est(1, 0.2), est(2, 0.4), est(3, 89.4)], 0.0)
    assert numbers(p.do) == [1, 2, 3]
    assert p.checkpoint is None


def test_a_task_over_the_headroom_by_no_more_than_the_tolerance_fits() -> None:
    assert numbers(plan([est(1, 90 + 1e-9)], 0.0).do) == [1]  # FIT_TOLERANCE is 1e-9
    assert plan([est(1, 90 + 1e-8)], 0.0).do == []


def test_the_weekly_focus_follows_its_setting_and_needs_a_weekly_number() -> None:
    tasks = [est(1, 5.0), est(2, 5.0)]
    focused = recommend(tasks, 0.0, None, 50.0, Settings(weekly_focus_pct=50), NOW)
    assert focused.weekly_focus is True and numbers(focused.do) == [1] and numbers(focused.defer) == [2]
    assert recommend(tasks, 0.0, None, None, Settings(), NOW).weekly_focus is False


def test_under_the_weekly_focus_a_top_task_that_does_not_fit_is_the_checkpoint() -> None:
    p = recommend([est(1, 95.0), est(2, 5.0), est(3, 5.0)], 0.0, None, 90.0, Settings(), NOW)
    assert p.do == []
    assert p.checkpoint is not None and p.checkpoint.estimate.task.number == 1
    assert numbers(p.defer) == [2, 3]


# --- units that fit at the checkpoint -------------------------------------------------------------


def units_fit(checkpoint: Estimate) -> int | None:
    """How many units of this task fit in an empty window's 90 %, as its checkpoint says."""
    p = plan([checkpoint], 0.0)
    assert p.checkpoint is not None
    return p.checkpoint.units_fit


def test_units_fit_only_for_a_calibrated_task_with_units() -> None:
    assert units_fit(est(1, 95.0, per_unit=5.0, units=None)) is None
    assert units_fit(est(1, 95.0)) is None
    assert units_fit(est(1, 95.0, per_unit=0.0, units=3)) is None  # a 0 %/unit rate never divides by 0
    assert units_fit(est(1, 100.0, per_unit=20.0, units=5)) == 4  # 90 % at 20 %/card: 4 of the 5 cards


# --- waiting for the reset ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimates", "waits"),
    [
        ([est(1, 40.0), est(2, 60.0, per_unit=30.0, units=2)], True),  # 0 of 2 cards fit in 20 %
        ([est(1, 40.0), est(2, 60.0)], True),  # an uncalibrated task: nothing known to fit
        ([est(1, 40.0), est(2, 60.0, per_unit=10.0, units=6)], False),  # 2 of 6 cards fit: start
        ([est(1, 80.0, per_unit=10.0, units=8)], True),  # nothing done before the checkpoint
        ([est(1, 40.0), est(2, 20.0)], False),  # everything fits
    ],
)
def test_wait_only_when_the_next_task_cannot_start_in_earnest(estimates: list[Estimate], waits: bool) -> None:
    # 30 % used: 60 % usable; the reset is 10 minutes away.
    assert plan(estimates, 30.0, SOON).wait_for_reset is waits


def test_the_wait_setting_is_read_from_settings() -> None:
    big = [est(1, 95.0)]
    assert plan(big, 30.0, SOON, wait_for_reset_minutes=5).wait_for_reset is False
    assert plan(big, 30.0, NOW + timedelta(minutes=45), wait_for_reset_minutes=60).wait_for_reset is True
    assert plan(big, None, SOON).wait_for_reset is False  # nothing known to be used: no reason to wait


# --- tiers ----------------------------------------------------------------------------------------


def test_custom_tier_bounds_are_exclusive_upper_bounds() -> None:
    bounds = Tiers(green=30, yellow=60, orange=90)
    assert [severity(v, None, bounds).level for v in (29.9, 30, 59.9, 60, 89.9, 90)] == [
        "green",
        "yellow",
        "yellow",
        "orange",
        "orange",
        "red",
    ]
    assert severity(None, 60, bounds).level == "orange"


@pytest.mark.parametrize(
    ("seven", "name"),
    [
        (0, "GREEN"),
        (49.9, "GREEN"),
        (50, "YELLOW"),
        (69.9, "YELLOW"),
        (70, "ORANGE"),
        (84.9, "ORANGE"),
        (85, "RED"),
    ],
)
def test_the_battery_preset_reads_the_weekly_window_only(seven: float, name: str) -> None:
    assert battery_tier(99.0, seven) == (name, "seven_day", seven)
    assert battery_tier(None, seven) == (name, "seven_day", seven)


def test_the_battery_preset_without_a_weekly_number_has_no_tier() -> None:
    assert battery_tier(10.0, None) is None


@pytest.mark.parametrize(
    ("five", "seven", "expected"),
    [
        (None, None, None),
        (10.0, 80.1, ("RESTING", "seven_day", 80.1)),
        (90.0, 81.0, ("RESTING", "seven_day", 81.0)),  # the weekly window speaks first
        (80.1, 80.0, ("RESTING", "five_hour", 80.1)),
        (80.0, 10.0, ("ACTIVE", "five_hour", 80.0)),
        (50.0, None, ("ACTIVE", "five_hour", 50.0)),
        (49.9, 80.0, ("BURST", "five_hour", 49.9)),
        (0.0, None, ("BURST", "five_hour", 0.0)),
        (None, 30.0, ("BURST", "seven_day", 30.0)),
        (None, 0.0, ("BURST", "seven_day", 0.0)),
        (None, 80.5, ("RESTING", "seven_day", 80.5)),
    ],
)
def test_the_metabolic_preset(
    five: float | None, seven: float | None, expected: tuple[str, str, float] | None
) -> None:
    assert metabolic_tier(five, seven) == expected
