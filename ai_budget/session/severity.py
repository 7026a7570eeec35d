"""What the brief says about a window that is high or at its limit (the severity's thresholds)."""

from __future__ import annotations

from datetime import datetime

from ai_budget.model.budget import Settings
from ai_budget.model.usage import Snapshot
from ai_budget.planning.routing import fallback
from ai_budget.severity import WINDOWS
from ai_budget.timeutil import countdown, local_clock


def window_warnings(snap: Snapshot | None, settings: Settings, now: datetime) -> list[str]:
    """A warning for each window at its limit, and for a 5-hour window in red (it runs out first)."""
    if snap is None:
        return []
    bounds, found = settings.tiers, []
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
                f"{when or 'until it resets'}; routing sends work to {fallback(settings.routing)}"
            )
        elif name == "five_hour" and used >= bounds.orange:
            left = max(100 - used, 0)
            found.append(
                f"{label} window at {used:g} %: about {left:g} % left {when or 'in this window'}; "
                "keep to small steps and log before it runs out"
            )
    return found
