"""Route work by the budget: the tier a policy gives the windows, and the model for a task class.
Pure functions; there is always an answer (with no usage at all, the policy's fallback)."""

from __future__ import annotations

from dataclasses import dataclass

from ai_budget.model.routing import TASK_CLASSES, CustomPolicy, Models, Routing
from ai_budget.planning.tiers import battery_tier, metabolic_tier

LABELS = {"five_hour": "5-hour", "seven_day": "weekly"}


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
    return m.local_large, "red: everything goes to the fallback"


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
    return m.local_large if routing.preset == "battery" else m.local_small


def cloud_models(routing: Routing) -> set[str]:
    """The models that cost the subscription (the rest run locally)."""
    if routing.preset == "custom" and routing.custom is not None:
        return set(routing.custom.cloud_models)
    m = routing.models
    return {m.primary, m.light} if routing.preset == "battery" else {m.primary}


def route(
    routing: Routing,
    five: float | None,
    seven: float | None,
    task: str = "normal",
    user_requested: bool = False,
) -> Route:
    """The model for a task of class `task` (routine, normal, high, critical) given the windows."""
    if task not in TASK_CLASSES:
        raise ValueError(f"task class must be one of {', '.join(TASK_CLASSES)}, got {task!r}")
    preset = routing.preset
    if preset == "custom" and routing.custom is not None:
        found = custom_tier(routing.custom, five, seven)
    else:
        found = battery_tier(five, seven) if preset == "battery" else metabolic_tier(five, seven)
    if found is None:
        model = fallback(routing)
        return Route(
            preset, None, None, None, model, model in cloud_models(routing), "no usage known: the fallback"
        )
    tier, window, value = found
    if preset == "custom" and routing.custom is not None:
        table = routing.custom
        wanted = table.user_requested.get(tier) if user_requested else None
        model = wanted or table.route[tier].get(task) or table.fallback
        reason = f"{tier.lower()}: your table"
    elif preset == "battery":
        model, reason = _battery_model(tier, task, user_requested, routing.models)
    else:
        model, reason = _metabolic_model(tier, task, routing.models)
    cloud = model in cloud_models(routing)
    if task == "routine" and preset == "metabolic" and cloud:  # whatever the table says
        model, cloud, reason = routing.models.local_small, False, "routine work never goes to the cloud"
    return Route(
        preset, tier, window, value, model, cloud, f"{reason} ({LABELS[window]} window at {value:g} %)"
    )
