"""What the brief says about a window that is high or at its limit (the severity's thresholds)."""

from __future__ import annotations

from datetime import datetime

from ai_budget.model.budget import Settings
from ai_budget.model.usage import Snapshot
from ai_budget.planning.routing import fallback
from ai_budget.session import brief_text


def window_warnings(snap: Snapshot | None, settings: Settings, now: datetime) -> list[str]:
    """A warning for each window at its limit, and for a 5-hour window in red (it runs out first)."""
    return brief_text.window_warnings(snap, settings.tiers, fallback(settings.routing), now)
