"""Route work by the budget: the tier a policy gives the windows, and the model for a task class.
Pure functions; there is always an answer: with no usage at all, or a window at its limit (the
severity's `limit`, 95 % by default), the policy's fallback, whatever its tier says."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ai_budget.model.classes import TASK_CLASSES
from ai_budget.planning.tiers import battery_tier, metabolic_tier
from ai_budget.severity import DEFAULTS, WINDOWS, Severity, severity

if TYPE_CHECKING:  # the rule reads attributes only: `check`'s fast path gives it routing_view's
    from ai_budget.model.routing import CustomPolicy, Models, Routing


@dataclass(frozen=True)
class Route:
    """The decision: the tier, what decided it, the model, and why."""

    policy: str
    tier: str | None
    window: str | None
    value: float | None
    model: str
    cloud: bool
    reason: str
    # The budget's severity beside the policy's tier (they may differ: battery reads the weekly window).
    severity: Severity | None = None


def custom_tier(
    policy: CustomPolicy, five: float | None, seven: float | None
) -> tuple[str, str, float] | None:
    """The last of the user's tier rules whose window is at its threshold or above."""
    values = {"five_hour": five, "seven_day": seven}
    if all(v is None for v in values.values()):
        return None
    found = None
    for rule in policy.tiers:
        value = values[rule.window]
        if value is not None and value >= rule.at_least:
            found = (rule.name, rule.window, value)
    return found or (policy.tiers[0].name, policy.tiers[0].window, values[policy.tiers[0].window] or 0.0)


def _battery_model(tier: str, task: str, user_requested: bool, m: Models) -> tuple[str, str]:
    if tier == "GREEN":
        return m.primary, "green: the primary model for everything"
    if tier == "YELLOW":
        if task in ("high", "critical"):
            return m.primary, "yellow: important work stays on the primary model"
        return m.light, "yellow: non-critical work goes to the light model"
    if tier == "ORANGE":
        if user_requested or task == "critical":
            return m.primary, "orange: only user-requested or complex-judgement work keeps the primary model"
        return m.light, "orange: everything else goes to the light model"
    return m.fallback, "red: everything goes to the fallback"


def _metabolic_model(tier: str, task: str, m: Models) -> tuple[str, str]:
    if tier == "BURST":
        if task in ("high", "critical"):
            return m.primary, "burst: high-value work goes to the cloud"
        if task == "normal":
            return m.local_large, "burst: medium work stays local"
        return m.local_small, "burst: routine work never goes to the cloud"
    if tier == "ACTIVE":
        return m.local_large, "active: the larger local model only"
    return m.local_small, "resting: the smaller local model only"


def fallback(routing: Routing) -> str:
    """The model when nothing is known: never fully stop."""
    m = routing.models
    if routing.preset == "custom" and routing.custom is not None:
        return routing.custom.fallback
    # metabolic is the local-first policy: its fallback is the small local model.
    return m.fallback if routing.preset == "battery" else m.local_small


def cloud_models(routing: Routing) -> set[str]:
    """The models that cost the subscription: every role's but the two local ones."""
    if routing.preset == "custom" and routing.custom is not None:
        return set(routing.custom.cloud_models)
    m = routing.models
    return {m.primary, m.light, m.fallback} - {m.local_large, m.local_small}


def _policy_tier(routing: Routing, five: float | None, seven: float | None) -> tuple[str, str, float] | None:
    if routing.preset == "custom" and routing.custom is not None:
        return custom_tier(routing.custom, five, seven)
    return battery_tier(five, seven) if routing.preset == "battery" else metabolic_tier(five, seven)


def _tier_model(routing: Routing, tier: str, task: str, user_requested: bool) -> tuple[str, str]:
    """The model the policy's table gives a tier and a task class, and why."""
    if routing.preset == "custom" and routing.custom is not None:
        table = routing.custom
        wanted = table.user_requested.get(tier) if user_requested else None
        return wanted or table.route[tier].get(task) or table.fallback, f"{tier.lower()}: your table"
    if routing.preset == "battery":
        return _battery_model(tier, task, user_requested, routing.models)
    return _metabolic_model(tier, task, routing.models)


def route(
    routing: Routing,
    five: float | None,
    seven: float | None,
    task: str = "normal",
    user_requested: bool = False,
    bounds: Any = DEFAULTS,
) -> Route:
    """The model for a task of class `task` (routine, normal, high, critical) given the windows; a
    window at its limit (`bounds.limit`, the severity's) sends every class to the fallback."""
    if task not in TASK_CLASSES:
        raise ValueError(f"task class must be one of {', '.join(TASK_CLASSES)}, got {task!r}")
    sev = severity(five, seven, bounds)
    found = _policy_tier(routing, five, seven)
    tier, window, value = found if found is not None else (None, None, None)
    if sev.at_limit:
        model = fallback(routing)
        reason = (
            f"the {sev.label} window is at {sev.value:g} %, at its limit (from {sev.limit:g} %): "
            "the primary model is unavailable now, so the fallback"
        )
    elif found is None:
        model = fallback(routing)
        reason = (
            "no usage known: the fallback" if sev.window is None else "no weekly usage known: the fallback"
        )
    else:
        model, reason = _tier_model(routing, found[0], task, user_requested)
        reason = f"{reason} ({WINDOWS[found[1]]} window at {found[2]:g} %)"
    # Metabolic's routine work stays local by its table and its local fallback: never the cloud.
    return Route(routing.preset, tier, window, value, model, model in cloud_models(routing), reason, sev)


def routing_view(dump: dict[str, Any]) -> Any:
    """What the rule reads of a Routing, from its `model_dump()` (the kept basis of `check`'s fast path,
    without pydantic); a test keeps route() on the two equal."""
    custom = dump.get("custom")
    if custom is not None:
        custom = SimpleNamespace(**{**custom, "tiers": [SimpleNamespace(**rule) for rule in custom["tiers"]]})
    return SimpleNamespace(preset=dump["preset"], models=SimpleNamespace(**dump["models"]), custom=custom)
