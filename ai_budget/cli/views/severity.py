"""The severity and the routing policy's tier as JSON and text, named apart: "severity" is the budget's
one level (ai_budget.severity), "tier" is always the routing policy's own word (GREEN…, BURST…)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ai_budget.planning.routing import Route
    from ai_budget.severity import Severity


def severity_json(sev: Severity) -> dict[str, Any]:
    """The severity as JSON: the level, the window that decided it, its value, and the limit state."""
    return {
        "level": sev.level,
        "window": sev.window,
        "value": sev.value,
        "at_limit": sev.at_limit,
        "limit": sev.limit,
    }


def routing_json(r: Route | None) -> dict[str, Any] | None:
    """The routing policy's answer for normal work: its tier, the model, and why."""
    if r is None:
        return None
    return {"policy": r.policy, "tier": r.tier, "model": r.model, "cloud": r.cloud, "reason": r.reason}


def tier_text(r: Route) -> str:
    """'battery tier GREEN' (or 'battery tier unknown')."""
    return f"{r.policy} tier {r.tier or 'unknown'}"
