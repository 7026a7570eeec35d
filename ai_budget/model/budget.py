"""budget.json: its sections, the settings, schema upgrades, and text in and out (validated both ways)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from ai_budget.errors import CorruptBudget, NewerSchema
from ai_budget.model.calibration import CalibrationEntry
from ai_budget.model.credits import Alerts, ConsoleSettings, CreditsSection
from ai_budget.model.fields import Loose, Timestamp
from ai_budget.model.routing import Routing
from ai_budget.model.usage import Baseline, ClaudeSection
from ai_budget.severity import DEFAULTS

SCHEMA_VERSION = 1


class CopilotSection(Loose):
    """GitHub Copilot, updated by hand: premium requests or (since June 2026) AI credits."""

    plan: str | None = "pro"
    premium_requests_used: int | None = None
    premium_requests_limit: int | None = 300
    resets_at: Timestamp | None = None
    last_updated: date | None = None
    unit: Literal["requests", "credits"] = "requests"
    # When the count was taken, to the second: the date alone cannot say which side of a UTC
    # midnight reset it falls on.
    last_updated_at: Timestamp | None = None
    # Where the count came from: typed in ("manual") or GitHub's billing API ("github").
    source: str | None = None
    # False (`ai-budget copilot off`): not used, so never shown in the brief and never asked for.
    enabled: bool = True


class GeminiSection(Loose):
    """Gemini: no API reports its quota, so only a status the user sets."""

    plan: str | None = "api"
    status: str | None = None
    last_updated: date | None = None
    # False (`ai-budget gemini off`): not used, so never shown in the brief.
    enabled: bool = True


class Tiers(Loose):
    """The severity's thresholds (ai_budget.severity): upper bounds (exclusive) of green, yellow and
    orange, and the limit from which a window counts as at its limit, in percent."""

    green: float = DEFAULTS.green
    yellow: float = DEFAULTS.yellow
    orange: float = DEFAULTS.orange
    limit: float = DEFAULTS.limit


class SyncSettings(Loose):
    """`ai-budget sync`: the remote is named in the journal's git config; these say when to sync."""

    # True: `log` syncs right after it commits (never a hook: hooks never sync).
    after_log: bool = False


class Settings(Loose):
    """Planning settings the user may edit in budget.json."""

    tiers: Tiers = Field(default_factory=Tiers)
    safety_margin_pct: float = 10
    weekly_focus_pct: float = 80
    wait_for_reset_minutes: float = 30
    # False: never call the usage endpoint (use what Claude Code hands over, and the caches).
    usage_api: bool = True
    routing: Routing = Field(default_factory=Routing)
    # True: `check` refreshes a stale Copilot count from GitHub's billing API.
    copilot_fetch: bool = False
    # Calibration estimates halve a sample's weight every this many newer samples; None: all count alike.
    calibration_half_life: float | None = Field(default=None, gt=0, le=10**6)
    # Credit alerts: the thresholds, and a command (argument list, no shell) run with each new alert.
    alerts: Alerts = Field(default_factory=Alerts)
    alert_command: list[str] | None = Field(default=None, min_length=1)
    # The Admin API (`console`): the key's file, your address, workspace spend limits.
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)


class LimitChange(Loose):
    """A step in Claude's tokens per 5-hour percent that `check` found and warned about once."""

    since: Timestamp
    ratio: float = Field(gt=0, le=10**6)  # tokens per % after the change over before it
    noticed_at: Timestamp | None = None
    # Set by hand for a false alarm: estimates ignore it, and it is not found and warned about again.
    dismissed: bool = False


class BudgetFile(Loose):
    """budget.json: the original sections where they were, new keys after them."""

    claude: ClaudeSection = Field(default_factory=ClaudeSection)
    copilot: CopilotSection = Field(default_factory=CopilotSection)
    gemini: GeminiSection = Field(default_factory=GeminiSection)
    calibration: dict[str, CalibrationEntry] = Field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    baseline: Baseline | None = None
    settings: Settings = Field(default_factory=Settings)
    limits: list[LimitChange] = Field(default_factory=list)
    credits: CreditsSection | None = None


def restore_hint(path: Path) -> str:
    """How to get back the last good budget.json."""
    return f"restore the last good copy with `git -C {path.parent} checkout budget.json`"


def _upgrade_0_to_1(data: dict[str, Any]) -> dict[str, Any]:
    """The original hand-made format: averages and samples, no totals, no schema_version."""
    for entry in (data.get("calibration") or {}).values():
        if not isinstance(entry, dict) or "units" in entry:
            continue
        samples = entry.get("samples") or 0
        pct, tokens = entry.get("avg_5h_pct"), entry.get("avg_output_tokens")
        # Each earlier sample counts as one unit at the stored averages.
        entry["units"] = samples if pct is not None else 0
        entry["total_5h_pct"] = round(samples * pct, 6) if pct is not None else 0
        entry["token_units"] = samples if tokens is not None else 0
        entry["total_output_tokens"] = round(samples * tokens) if tokens is not None else 0
    copilot = data.get("copilot")
    if isinstance(copilot, dict):
        copilot.setdefault("unit", "requests")
    data["schema_version"] = 1
    return data


# Ordered upgrade steps: UPGRADES[n] turns version n into n + 1.
UPGRADES: list[Callable[[dict[str, Any]], dict[str, Any]]] = [_upgrade_0_to_1]


def parse(text: str, path: Path) -> BudgetFile:
    """Parse budget.json text, upgrading older formats; refuse newer ones."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptBudget(f"{path} is not valid JSON (line {exc.lineno}): {restore_hint(path)}") from None
    if not isinstance(data, dict):
        raise CorruptBudget(f"{path} does not hold a JSON object: {restore_hint(path)}")
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or version < 0:
        raise CorruptBudget(f"{path} has schema_version {version!r}: {restore_hint(path)}")
    if version > SCHEMA_VERSION:
        raise NewerSchema(
            f"{path} was written by a newer ai-budget (schema {version}, this one reads "
            f"{SCHEMA_VERSION}): upgrade with `pipx upgrade ai-budget` or `pip install -U ai-budget`"
        )
    for step in UPGRADES[version:]:
        data = step(data)
    try:
        return BudgetFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CorruptBudget(f"{path}: {where}: {first['msg']}: {restore_hint(path)}") from None


def as_data(budget: BudgetFile) -> dict[str, Any]:
    """budget.json as JSON-ready data, validated again (never write what could not be read back)."""
    data = budget.model_dump(mode="json")
    BudgetFile.model_validate(data)
    return data


def dumps(budget: BudgetFile) -> str:
    """budget.json text: indented, with a final newline."""
    return json.dumps(as_data(budget), indent=2, ensure_ascii=False) + "\n"
