"""The recommendation: what fits in the 5-hour headroom, where to checkpoint, what to defer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ai_budget.planning.estimates import Estimate

if TYPE_CHECKING:  # the session-start hook plans without pydantic: any object with these settings
    from ai_budget.model.budget import Settings

# Float sums of task estimates may miss an exact fit by dust.
FIT_TOLERANCE = 1e-9


@dataclass
class Checkpoint:
    """The task that would cross the limit, and how much of it fits before stopping."""

    estimate: Estimate
    units_fit: int | None
    pct_available: float


@dataclass
class Plan:
    """The recommendation."""

    headroom_pct: float
    do: list[Estimate] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    defer: list[Estimate] = field(default_factory=list)
    wait_for_reset: bool = False
    weekly_focus: bool = False
    minutes_to_reset: int | None = None


def effective_five_hour(util: float | None, resets_at: datetime | None, now: datetime) -> float | None:
    """The 5-hour utilisation now: once its reset time has passed the window starts again at 0."""
    if util is not None and resets_at is not None and resets_at <= now:
        return 0.0
    return util


def recommend(
    estimates: list[Estimate],
    five_hour: float | None,
    five_resets_at: datetime | None,
    seven_day: float | None,
    settings: Settings,
    now: datetime,
) -> Plan:
    """In priority order: what fits in the headroom (after a safety margin), the first task that
    would cross the limit as a checkpoint, the rest deferred; at 80 % weekly, only the top task."""
    used = effective_five_hour(five_hour, five_resets_at, now) or 0.0
    headroom = max(100.0 - used - settings.safety_margin_pct, 0.0)
    weekly_focus = seven_day is not None and seven_day >= settings.weekly_focus_pct
    minutes = None
    if five_resets_at is not None and five_resets_at > now:
        minutes = math.ceil((five_resets_at - now).total_seconds() / 60)
    plan = Plan(round(headroom, 2), weekly_focus=weekly_focus, minutes_to_reset=minutes)
    candidates = estimates[:1] if weekly_focus else estimates
    remaining = headroom
    for est in candidates:
        if plan.checkpoint is not None:
            plan.defer.append(est)
        elif est.pct <= remaining + FIT_TOLERANCE:
            plan.do.append(est)
            remaining -= est.pct
        else:
            plan.checkpoint = Checkpoint(est, _units_fit(est, remaining), round(remaining, 2))
    plan.defer += estimates[len(candidates) :]
    # Waiting is better when the next task cannot start in earnest and the window resets soon.
    blocked = plan.checkpoint is not None and (plan.checkpoint.units_fit in (None, 0) or not plan.do)
    plan.wait_for_reset = (
        minutes is not None and minutes <= settings.wait_for_reset_minutes and used > 0 and blocked
    )
    return plan


def _units_fit(est: Estimate, remaining: float) -> int | None:
    """Whole units of a calibrated task that fit in what is left (None when uncalibrated)."""
    if not est.pct_per_unit or est.task.units is None:
        return None
    return min(math.floor(remaining / est.pct_per_unit), math.floor(est.task.units))
