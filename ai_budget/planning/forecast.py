"""Burn rate and projection for a usage window: pure functions over observed (time, utilisation) points.

The rate is the least-squares slope over a recent stretch of the current window (observations after
its last reset only); with too few points, too short a stretch, or a falling value, it is unknown
rather than a wild number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

RESET_JITTER = timedelta(minutes=1)
LIMIT_PCT = 100.0


@dataclass(frozen=True)
class Observation:
    """One reading of a window: when, how full, and when that window resets."""

    at: datetime
    utilization: float
    resets_at: datetime | None


@dataclass(frozen=True)
class Pace:
    """How a window is being used: %/hour lately, where it ends at the reset, when it runs out."""

    rate_pct_per_hour: float | None = None
    projected_at_reset: float | None = None
    runs_out_at: datetime | None = None


@dataclass(frozen=True)
class WindowRule:
    """How to judge a window: its length, how far back the rate looks, and what is too little data."""

    span: timedelta
    lookback: timedelta
    min_stretch: timedelta
    min_points: int = 3


FIVE_HOUR = WindowRule(timedelta(hours=5), timedelta(minutes=30), timedelta(minutes=5))
WEEKLY = WindowRule(timedelta(days=7), timedelta(hours=24), timedelta(hours=1))


def current_window(points: list[Observation]) -> list[Observation]:
    """The points of the newest window period, oldest first (a reset starts a new period)."""
    ordered = sorted(points, key=lambda p: p.at)
    if not ordered:
        return []
    latest = ordered[-1].resets_at
    if latest is None:
        return ordered

    def same(p: Observation) -> bool:
        return p.resets_at is not None and abs(p.resets_at - latest) <= RESET_JITTER

    # Walk back from the newest point while it belongs to the same period.
    start = len(ordered)
    while start > 0 and same(ordered[start - 1]):
        start -= 1
    return ordered[start:]


def slope_per_hour(points: list[Observation]) -> float | None:
    """Least-squares slope in %/hour (None for fewer than two distinct times)."""
    if len(points) < 2:
        return None
    t0 = points[0].at
    xs = [(p.at - t0).total_seconds() / 3600 for p in points]
    ys = [p.utilization for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def pace(points: list[Observation], now: datetime, rule: WindowRule) -> Pace:
    """The window's rate over the rule's lookback, its projection at the reset, its run-out time."""
    window = [p for p in current_window(points) if p.at <= now]
    recent = [p for p in window if p.at >= now - rule.lookback]
    if len(recent) < rule.min_points or recent[-1].at - recent[0].at < rule.min_stretch:
        return Pace()
    rate = slope_per_hour(recent)
    if rate is None or rate < 0:  # a falling value is a reset or a refund, not a pace
        return Pace()
    latest = window[-1]
    resets_at = latest.resets_at
    if resets_at is None or resets_at <= now:
        return Pace(round(rate, 2))
    hours_left = (resets_at - now).total_seconds() / 3600
    projected = latest.utilization + rate * hours_left
    runs_out = None
    if projected >= LIMIT_PCT and rate > 0:
        runs_out = now + timedelta(hours=max(LIMIT_PCT - latest.utilization, 0.0) / rate)
    return Pace(round(rate, 2), round(projected, 1), runs_out)


def minutes_until(pct_needed: float, rate: float | None) -> int | None:
    """At `rate` %/hour, minutes until `pct_needed` more of the window is used (None when unknown)."""
    if rate is None or rate <= 0 or pct_needed < 0:
        return None
    return round(pct_needed / rate * 60)
