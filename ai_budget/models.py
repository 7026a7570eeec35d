"""Pydantic models: budget.json and its sections, and the usage endpoint's response."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ai_budget.timeutil import parse_time


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# A timestamp field: lenient on the way in, ISO 8601 with "+00:00" on the way out.
Timestamp = Annotated[datetime, BeforeValidator(parse_time), PlainSerializer(_iso, when_used="json")]

SCHEMA_VERSION = 1


class Loose(BaseModel):
    """A model that keeps keys it does not know (a user's own, or a newer endpoint's)."""

    model_config = ConfigDict(extra="allow")


# --- the usage endpoint ---------------------------------------------------


class UsageWindow(Loose):
    """One utilisation window: a percentage 0-100 and when it resets (None while idle)."""

    utilization: float | None = None
    resets_at: Timestamp | None = None


class UsageResponse(Loose):
    """GET /api/oauth/usage: five_hour and seven_day, every other key optional."""

    five_hour: UsageWindow
    seven_day: UsageWindow
    limits: list[dict[str, Any]] | None = None
    extra_usage: dict[str, Any] | None = None

    def other_windows(self) -> dict[str, UsageWindow]:
        """The windows besides five_hour/seven_day that carry a utilisation (seven_day_opus…)."""
        found: dict[str, UsageWindow] = {}
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, dict) and "utilization" in value:
                found[key] = UsageWindow.model_validate(value)
        return found


# --- budget.json ------------------------------------------------------------


class ClaudeSection(Loose):
    """The Claude subscription: the original keys first, then what the endpoint adds."""

    plan: str | None = "pro"
    five_hour_util: float | None = None
    seven_day_util: float | None = None
    five_hour_resets_at: Timestamp | None = None
    seven_day_resets_at: Timestamp | None = None
    last_fetched: Timestamp | None = None
    source: str | None = None
    windows: dict[str, UsageWindow] = Field(default_factory=dict)
    limits: list[dict[str, Any]] | None = None
    extra_usage: dict[str, Any] | None = None


class CopilotSection(Loose):
    """GitHub Copilot, updated by hand: premium requests or (since June 2026) AI credits."""

    plan: str | None = "pro"
    premium_requests_used: int | None = None
    premium_requests_limit: int | None = 300
    resets_at: Timestamp | None = None
    last_updated: date | None = None
    unit: Literal["requests", "credits"] = "requests"


class GeminiSection(Loose):
    """Gemini: no API reports its quota, so only a status the user sets."""

    plan: str | None = "api"
    status: str | None = None
    last_updated: date | None = None


class CalibrationEntry(Loose):
    """One task type: the sums the averages come from, and the averages kept for old readers."""

    unit: str | None = None
    samples: int = 0
    avg_output_tokens: int | float | None = None
    avg_5h_pct: float | None = None
    units: int | float = 0
    total_5h_pct: int | float = 0
    token_units: int | float = 0
    total_output_tokens: int = 0

    @property
    def pct_per_unit(self) -> float | None:
        """Unit-weighted share of the 5-hour window per unit (ratio of sums)."""
        return self.total_5h_pct / self.units if self.units else None

    @property
    def tokens_per_unit(self) -> float | None:
        """Unit-weighted output tokens per unit, over the samples that recorded tokens."""
        return self.total_output_tokens / self.token_units if self.token_units else None


class Baseline(Loose):
    """What `check` saw at the start of a session, for `log` to measure against."""

    started_at: Timestamp
    five_hour_util: float | None = None
    seven_day_util: float | None = None
    five_hour_resets_at: Timestamp | None = None
    seven_day_resets_at: Timestamp | None = None
    fetched_at: Timestamp | None = None
    source: str | None = None


class Tiers(Loose):
    """Upper bounds (exclusive) of the green, yellow and orange tiers, in percent."""

    green: float = 50
    yellow: float = 70
    orange: float = 85


class Settings(Loose):
    """Planning settings the user may edit in budget.json."""

    tiers: Tiers = Field(default_factory=Tiers)
    safety_margin_pct: float = 10
    weekly_focus_pct: float = 80
    wait_for_reset_minutes: float = 30


class BudgetFile(Loose):
    """budget.json: the original sections where they were, new keys after them."""

    claude: ClaudeSection = Field(default_factory=ClaudeSection)
    copilot: CopilotSection = Field(default_factory=CopilotSection)
    gemini: GeminiSection = Field(default_factory=GeminiSection)
    calibration: dict[str, CalibrationEntry] = Field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    baseline: Baseline | None = None
    settings: Settings = Field(default_factory=Settings)
