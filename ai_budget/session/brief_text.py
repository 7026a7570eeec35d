"""What the brief says about the reading (the windows, their age, their reset) and the compact brief the
session-start hook gives Claude. Light (no pydantic, no git): `check` and the hook's fast path both
say it with these functions, on the models or on plain values of the same shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ai_budget.fmt import pct
from ai_budget.severity import WINDOWS
from ai_budget.timeutil import age, countdown, local_clock

MAX_CONTEXT = 1500


def window_warnings(snap: Any, bounds: Any, fallback: str, now: datetime) -> list[str]:
    """A warning for each window at its limit, and for a 5-hour window in red (it runs out first);
    `fallback` is the model routing sends work to."""
    if snap is None:
        return []
    found = []
    for name, label in WINDOWS.items():
        window = getattr(snap, name)
        used, resets = window.utilization, window.resets_at
        if used is None or (resets is not None and resets <= now):  # reset already: planned as empty
            continue
        when = (
            f"until it resets at {local_clock(resets, now)} (in {countdown(resets, now)})" if resets else ""
        )
        if used >= bounds.limit:
            found.append(
                f"{label} window at {used:g} %, at its limit: the primary model is unavailable "
                f"{when or 'until it resets'}; routing sends work to {fallback}"
            )
        elif name == "five_hour" and used >= bounds.orange:
            left = max(100 - used, 0)
            found.append(
                f"{label} window at {used:g} %: about {left:g} % left {when or 'in this window'}; "
                "keep to small steps and log before it runs out"
            )
    return found


def reading_warnings(
    snap: Any, error: str | None, plan: Any, weekly_focus_pct: float, now: datetime
) -> list[str]:
    """Stale or missing Claude numbers, a reset already passed, the weekly focus."""
    if snap is None:
        return [f"no Claude utilisation known ({error}): the plan assumes an unused window"]
    found = []
    if not snap.fresh:
        found.append(
            f"Claude data is {age(snap.observed_at, now)} old ({snap.error}); using the last known values"
        )
    resets = snap.five_hour.resets_at
    if resets is not None and resets <= now:
        found.append(
            f"the 5-hour window reset at {local_clock(resets, now)}: "
            "it is planned as empty; fetch again for the real figure"
        )
    if plan.weekly_focus:
        found.append(
            f"weekly window at {pct(snap.seven_day.utilization)} "
            f"(≥ {weekly_focus_pct:g}%): only the top task is recommended"
        )
    return found


def compact_brief(brief: Any) -> str:
    """The brief in a few lines for the model's context (at most MAX_CONTEXT characters): a
    session.check.Brief, or the fast path's brief of the same shape."""
    lines = [f"ai-budget: severity {brief.severity.describe()}."]
    if brief.usage is not None:
        for name, window in (("5-hour", brief.usage.five_hour), ("weekly", brief.usage.seven_day)):
            reset, at = "", window.resets_at
            if at is not None and at > brief.now:
                reset = f", resets {local_clock(at, brief.now)} (in {countdown(at, brief.now)})"
            lines.append(f"{name} window {pct(window.utilization)}{reset}.")
    plan = brief.plan
    if plan.do:
        lines.append(f"Do first: {plan.do[0].task.label()} (~{plan.do[0].pct:.0f}% of the 5-hour window).")
    if plan.checkpoint is not None:
        lines.append(f"Checkpoint before: {plan.checkpoint.estimate.task.label()} (would cross the limit).")
    if plan.wait_for_reset and plan.minutes_to_reset is not None:
        lines.append(f"Better to wait for the 5-hour reset in {plan.minutes_to_reset} min.")
    lines += [f"Warning: {w}" for w in brief.warnings[:3]]
    lines.append("Run /budget-log at the end of the session.")
    text = "\n".join(lines)
    return text if len(text) <= MAX_CONTEXT else text[: MAX_CONTEXT - 1] + "…"
