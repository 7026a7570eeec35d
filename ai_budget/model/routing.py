"""Routing policies in budget.json (`settings.routing`): tiers from the windows, a model per tier and
task class. Two presets ship (`battery`, `metabolic`); `custom` is the user's own table."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from ai_budget.fmt import did_you_mean
from ai_budget.model.classes import TASK_CLASSES
from ai_budget.model.fields import Loose

Window = Literal["five_hour", "seven_day"]
Preset = Literal["battery", "metabolic", "custom"]
PRESETS: tuple[str, ...] = get_args(Preset)


class TierRule(Loose):
    """A tier reached when `window` is at `at_least` percent or more (the last rule reached wins)."""

    name: str
    window: Window = "seven_day"
    at_least: float = Field(default=0.0, ge=0, le=1000)


class Models(Loose):
    """The user's model names for each role (defaults are only examples). `fallback` is where work goes
    when the primary is out of reach (battery's red tier, a window at its limit, nothing known): a
    smaller Claude model by default, which every Claude user has; a local model is the user's choice."""

    primary: str = "claude-sonnet-4-6"
    light: str = "flash"
    fallback: str = "claude-haiku-4-5"
    local_large: str = "qwen3:14b"
    local_small: str = "qwen3:8b"


class CustomPolicy(Loose):
    """The user's own table: tiers, then for each tier a model per task class."""

    tiers: list[TierRule] = Field(min_length=1)
    route: dict[str, dict[str, str]]
    fallback: str
    cloud_models: list[str] = Field(default_factory=list)
    user_requested: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> CustomPolicy:
        names = [t.name for t in self.tiers]
        missing = [n for n in names if n not in self.route]
        if missing:
            raise ValueError(f"route has no models for tier {', '.join(missing)}")
        for name, table in self.route.items():
            unknown = sorted(set(table) - set(TASK_CLASSES))
            if unknown:
                raise ValueError(
                    f"tier {name}: unknown task class {', '.join(unknown)} (known: {', '.join(TASK_CLASSES)})"
                )
        return self


class Routing(Loose):
    """`settings.routing`: which policy, the model names, and a custom table when chosen."""

    preset: Preset = "battery"
    models: Models = Field(default_factory=Models)
    custom: CustomPolicy | None = None

    @field_validator("preset", mode="before")
    @classmethod
    def _known_preset(cls, value: object) -> object:
        if isinstance(value, str) and value not in PRESETS:
            raise ValueError(
                f"unknown policy {value!r}{did_you_mean(value, PRESETS)} (known: {', '.join(PRESETS)})"
            )
        return value

    @model_validator(mode="after")
    def _custom_given(self) -> Routing:
        if self.preset == "custom" and self.custom is None:
            raise ValueError("preset is custom but there is no settings.routing.custom table")
        return self
