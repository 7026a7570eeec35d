"""Planning: estimate backlog tasks, pick a tier, and recommend what fits in the 5-hour window."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from ai_budget.backlog import Task
from ai_budget.calibration import unit_word
from ai_budget.models import BudgetFile, Settings, Tiers

TAG_DEFAULT_PCT = {"L": 5.0, "M": 15.0, "H": 35.0, "X": 70.0}


@dataclass
class Estimate:
    """A task's expected share of the 5-hour window, and where the number comes from."""

    task: Task
    pct: float
    basis: str  # "calibrated" or "tag"
    pct_per_unit: float | None = None
    unit: str | None = None  # "card" for a type counted "per card"


def estimate(task: Task, budget: BudgetFile) -> Estimate:
    """Calibrated %/unit × units when the type has samples, else the size tag's default."""
    entry = None
    if task.type is not None:
        entry = next((e for name, e in budget.calibration.items() if name.lower() == task.type.lower()), None)
    rate = entry.pct_per_unit if entry is not None else None
    if entry is not None and rate is not None and task.units is not None:
        return Estimate(task, round(rate * task.units, 2), "calibrated", rate, unit_word(entry))
    return Estimate(task, TAG_DEFAULT_PCT[task.tag], "tag")


def tier(five_hour: float | None, seven_day: float | None, tiers: Tiers) -> str:
    """green / yellow / orange / red on the worse of the two windows; unknown without numbers."""
    known = [v for v in (five_hour, seven_day) if v is not None]
    if not known:
        return "unknown"
    worst = max(known)
    if worst < tiers.green:
        return "green"
    if worst < tiers.yellow:
        return "yellow"
    if worst < tiers.orange:
        return "orange"
    return "red"


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
        elif est.pct <= remaining + 1e-9:
            plan.do.append(est)
            remaining -= est.pct
        else:
            units_fit = None
            if est.pct_per_unit and est.task.units is not None:
                units_fit = min(math.floor(remaining / est.pct_per_unit), math.floor(est.task.units))
            plan.checkpoint = Checkpoint(est, units_fit, round(remaining, 2))
    plan.defer += estimates[len(candidates) :]
    # Waiting is better when the next task cannot start in earnest and the window resets soon.
    blocked = plan.checkpoint is not None and (plan.checkpoint.units_fit in (None, 0) or not plan.do)
    plan.wait_for_reset = (
        minutes is not None and minutes <= settings.wait_for_reset_minutes and used > 0 and blocked
    )
    return plan
