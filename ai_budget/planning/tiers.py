"""The tier: green, yellow, orange or red on the worse of the two windows."""

from __future__ import annotations

from typing import Protocol


class Thresholds(Protocol):
    """Upper bounds (exclusive) of the green, yellow and orange tiers, in percent."""

    green: float
    yellow: float
    orange: float


def tier(five_hour: float | None, seven_day: float | None, tiers: Thresholds) -> str:
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
