"""The forecast's rules at their edges (planning/forecast.py): windows without a reset time, a reset
already passed, the jitter of reset times, the smallest amount of data that gives a rate, and the
run-out time. Every figure follows from how the readings were built."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ai_budget.planning.forecast import (
    FIVE_HOUR,
    WEEKLY,
    Observation,
    WindowRule,
    current_window,
    minutes_until,
    pace,
    slope_per_hour,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
RESET = NOW + timedelta(hours=3)


def every_5_min(values: list[float], resets: datetime | None = RESET) -> list[Observation]:
    """Readings 5 minutes apart, the last one at NOW."""
    n = len(values)
    return [Observation(NOW - timedelta(minutes=5 * (n - 1 - i)), v, resets) for i, v in enumerate(values)]


def test_a_window_with_no_reset_time_has_a_rate_but_no_projection() -> None:
    # An idle window (Claude gives no reset time): 10, 11, 12 % over 10 minutes is 12 %/h.
    p = pace(every_5_min([10.0, 11.0, 12.0], resets=None), NOW, FIVE_HOUR)
    assert (p.rate_pct_per_hour, p.projected_at_reset, p.runs_out_at) == (12.0, None, None)


def test_a_reset_time_already_passed_gives_the_rate_alone() -> None:
    p = pace(every_5_min([10.0, 11.0, 12.0], resets=NOW), NOW, FIVE_HOUR)
    assert (p.rate_pct_per_hour, p.projected_at_reset, p.runs_out_at) == (12.0, None, None)
    soon = pace(every_5_min([10.0, 11.0, 12.0], resets=NOW + timedelta(hours=1)), NOW, FIVE_HOUR)
    assert (soon.rate_pct_per_hour, soon.projected_at_reset) == (12.0, 24.0)


def test_without_a_reset_time_every_reading_is_the_same_period() -> None:
    points = every_5_min([10.0, 11.0], resets=RESET) + [Observation(NOW + timedelta(minutes=1), 12.0, None)]
    assert current_window(points) == sorted(points, key=lambda p: p.at)
    assert current_window([]) == []


def test_reset_times_a_minute_apart_are_one_period_and_more_apart_two() -> None:
    jitter = [
        Observation(NOW - timedelta(minutes=10), 10.0, RESET - timedelta(seconds=60)),
        Observation(NOW - timedelta(minutes=5), 11.0, RESET + timedelta(seconds=30)),
        Observation(NOW, 12.0, RESET),
    ]
    assert current_window(jitter) == jitter
    apart = [Observation(NOW - timedelta(minutes=10), 10.0, RESET - timedelta(seconds=61)), *jitter[1:]]
    assert current_window(apart) == apart[1:]
    idle_before = [Observation(NOW - timedelta(minutes=10), 10.0, None), *jitter[1:]]
    assert current_window(idle_before) == idle_before[1:]


def test_three_readings_over_five_minutes_are_just_enough() -> None:
    at = [NOW - timedelta(minutes=5), NOW - timedelta(minutes=2), NOW]
    enough = [Observation(t, 10.0 + i, RESET) for i, t in enumerate(at)]
    assert pace(enough, NOW, FIVE_HOUR).rate_pct_per_hour is not None
    short = [
        Observation(t + timedelta(seconds=1) if i == 0 else t, 10.0 + i, RESET) for i, t in enumerate(at)
    ]
    assert pace(short, NOW, FIVE_HOUR).rate_pct_per_hour is None  # 4 min 59 s between first and last
    two = every_5_min([10.0, 12.0])
    assert pace(two, NOW, FIVE_HOUR).rate_pct_per_hour is None
    four = WindowRule(FIVE_HOUR.span, FIVE_HOUR.lookback, FIVE_HOUR.min_stretch, min_points=4)
    assert pace(every_5_min([10.0, 11.0, 12.0]), NOW, four).rate_pct_per_hour is None


def test_the_lookback_keeps_a_reading_exactly_at_its_edge_and_drops_older_ones() -> None:
    edge = NOW - FIVE_HOUR.lookback
    points = [Observation(edge - timedelta(minutes=1), 0.0, RESET)] + [
        Observation(edge + timedelta(minutes=15 * i), 10.0 + 15.0 * i, RESET) for i in range(3)
    ]
    # 10, 25, 40 % at 30, 15 and 0 minutes ago: 60 %/h; the 0 % a minute earlier is out of the lookback.
    assert pace(points, NOW, FIVE_HOUR).rate_pct_per_hour == 60.0


def test_readings_after_now_are_left_out() -> None:
    later = [Observation(NOW + timedelta(minutes=5), 99.0, RESET)]
    assert pace(every_5_min([10.0, 11.0, 12.0]) + later, NOW, FIVE_HOUR) == pace(
        every_5_min([10.0, 11.0, 12.0]), NOW, FIVE_HOUR
    )


def test_the_slope_needs_two_distinct_times() -> None:
    assert slope_per_hour([]) is None
    assert slope_per_hour([Observation(NOW, 1.0, None)]) is None
    assert slope_per_hour([Observation(NOW, 1.0, None), Observation(NOW, 5.0, None)]) is None
    # (0 h, 0 %), (0.5 h, 1 %), (1 h, 4 %): Σ(x-x̄)(y-ȳ) = 2 over Σ(x-x̄)² = 0.5, so 4 %/h.
    three = [Observation(NOW + timedelta(minutes=m), v, None) for m, v in ((0, 0.0), (30, 1.0), (60, 4.0))]
    assert slope_per_hour(three) == pytest.approx(4.0)
    two = [Observation(NOW, 10.0, None), Observation(NOW + timedelta(minutes=30), 13.0, None)]
    assert slope_per_hour(two) == pytest.approx(6.0)
    # Times 0, 0, 1 h, 1 h: their spread Σ(x - x̄)² is exactly 1, and the slope is still the rise.
    pairs = [(0, 2.0), (0, 4.0), (60, 7.0), (60, 9.0)]
    assert slope_per_hour([Observation(NOW + timedelta(minutes=m), v, None) for m, v in pairs]) == 5.0


def test_running_out_exactly_at_the_reset_counts_and_a_flat_full_window_does_not_run_out() -> None:
    # 64, 66, 68 % rising 24 %/h, and the reset in 80 minutes: 68 + 32 = 100 % exactly at the reset.
    p = pace(every_5_min([64.0, 66.0, 68.0], resets=NOW + timedelta(minutes=80)), NOW, FIVE_HOUR)
    assert (p.projected_at_reset, p.runs_out_at) == (100.0, NOW + timedelta(minutes=80))
    flat = pace(every_5_min([100.0, 100.0, 100.0]), NOW, FIVE_HOUR)
    assert (flat.rate_pct_per_hour, flat.projected_at_reset, flat.runs_out_at) == (0.0, 100.0, None)


def test_a_window_already_past_its_limit_runs_out_now() -> None:
    p = pace(every_5_min([100.0, 102.0, 104.0]), NOW, FIVE_HOUR)
    assert p.runs_out_at == NOW


def test_rate_and_projection_are_rounded_as_shown() -> None:
    # Three readings 5 minutes apart: the least-squares slope is (last - first) / 10 min = 1.23456 × 6 %/h.
    values = [10.0, 10.5, 11.23456]
    p = pace(every_5_min(values), NOW, FIVE_HOUR)
    assert p.rate_pct_per_hour == 7.41  # 7.40736 to two places
    assert p.projected_at_reset == 33.5  # 11.23456 + 3 × 7.40736 = 33.45664, to one place
    idle = pace(every_5_min(values, resets=None), NOW, FIVE_HOUR)
    assert idle.rate_pct_per_hour == 7.41


def test_a_steep_pace_projects_to_the_reset_exactly() -> None:
    # 10, 20, 30 % five minutes apart: 120 %/h; 3 h to the reset: 30 + 360 = 390 %.
    p = pace(every_5_min([10.0, 20.0, 30.0]), NOW, FIVE_HOUR)
    assert (p.rate_pct_per_hour, p.projected_at_reset) == (120.0, 390.0)
    assert p.runs_out_at == NOW + timedelta(minutes=35)  # 70 % left at 120 %/h


def test_a_slow_pace_past_the_limit_still_runs_out() -> None:
    # 99.5 % rising 0.6 %/h (0.05 % per 5 minutes): 101.3 % at the reset in 3 h; 0.5 % left lasts 50 min.
    p = pace(every_5_min([99.4, 99.45, 99.5]), NOW, FIVE_HOUR)
    assert p.rate_pct_per_hour == pytest.approx(0.6)
    assert p.projected_at_reset == 101.3
    assert p.runs_out_at is not None
    assert abs((p.runs_out_at - (NOW + timedelta(minutes=50))).total_seconds()) < 1


def test_the_weekly_rule_needs_an_hour() -> None:
    week_reset = NOW + timedelta(days=2)
    short = [Observation(NOW - timedelta(minutes=m), 20.0 + (59 - m) / 60, week_reset) for m in (59, 30, 0)]
    assert pace(short, NOW, WEEKLY).rate_pct_per_hour is None
    hour = [Observation(NOW - timedelta(minutes=m), 20.0 + (60 - m) / 60, week_reset) for m in (60, 30, 0)]
    assert pace(hour, NOW, WEEKLY).rate_pct_per_hour == 1.0


@pytest.mark.parametrize(
    ("needed", "rate", "minutes"),
    [
        (10.0, 24.0, 25),
        (0.0, 24.0, 0),
        (-1.0, 24.0, None),
        (10.0, -5.0, None),
        (10.0, 0.0, None),
        (1.0, 7.0, 9),
        (0.5, 24.0, 1),
        (1.0, 0.5, 120),  # a slow pace is a pace: 1 % at 0.5 %/h is two hours
    ],
)
def test_minutes_until_at_its_edges(needed: float, rate: float, minutes: int | None) -> None:
    assert minutes_until(needed, rate) == minutes
