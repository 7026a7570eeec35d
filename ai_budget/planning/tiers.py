"""The routing presets' own tiers (battery colours, metabolic states); the budget's severity is
ai_budget.severity."""

from __future__ import annotations


def battery_tier(five: float | None, seven: float | None) -> tuple[str, str, float] | None:
    """GREEN < 50 ≤ YELLOW < 70 ≤ ORANGE < 85 ≤ RED, on the weekly window."""
    if seven is None:
        return None
    for bound, name in ((50, "GREEN"), (70, "YELLOW"), (85, "ORANGE")):
        if seven < bound:
            return name, "seven_day", seven
    return "RED", "seven_day", seven


def metabolic_tier(five: float | None, seven: float | None) -> tuple[str, str, float] | None:
    """RESTING above 80 % on either window; else ACTIVE from 50 % of the 5-hour one; else BURST."""
    if five is None and seven is None:
        return None
    if seven is not None and seven > 80:
        return "RESTING", "seven_day", seven
    if five is not None and five > 80:
        return "RESTING", "five_hour", five
    if five is not None and five >= 50:
        return "ACTIVE", "five_hour", five
    return ("BURST", "five_hour", five) if five is not None else ("BURST", "seven_day", seven or 0.0)
