"""Where a window is heading: its history's readings run through the forecast's pure functions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ai_budget.claude import usage_history
from ai_budget.planning.forecast import FIVE_HOUR, WEEKLY, Observation, Pace, WindowRule, pace

if TYPE_CHECKING:  # any window-shaped value will do: `check`'s fast path has no pydantic
    from ai_budget.model.usage import UsageWindow

RULES = {"five_hour": FIVE_HOUR, "seven_day": WEEKLY}


def window_pace(name: str, window: UsageWindow, now: datetime, rule: WindowRule | None = None) -> Pace:
    """The pace of one window from the usage history (after its last reset only), plus the reading now."""
    rule = rule or RULES[name]
    rows = usage_history.series(name, now - rule.span)
    points = [Observation(at, value, resets) for at, value, resets in rows]
    if window.utilization is not None:
        points.append(Observation(now, window.utilization, window.resets_at))
    return pace(points, now, rule)
