"""The Python API for routers and agents: what the budget says now, the tier, and the model to use.
It never raises, never blocks longer than the endpoint's deadline, and is safe from many threads."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ai_budget import paths
from ai_budget.fmt import did_you_mean
from ai_budget.model.budget import Tiers
from ai_budget.model.routing import PRESETS, Routing
from ai_budget.model.usage import Snapshot
from ai_budget.planning.routing import Route, fallback, route
from ai_budget.severity import UNKNOWN
from ai_budget.timeutil import now


@dataclass(frozen=True)
class QuotaStatus:
    """Both windows (utilisation 0-100 and reset time), where the numbers came from, the policy's tier
    and the budget's severity (green…red on the worse window; `at_limit`: the primary is unavailable)."""

    five_hour: float | None
    five_hour_resets_at: datetime | None
    seven_day: float | None
    seven_day_resets_at: datetime | None
    source: str
    age_seconds: float
    tier: str | None
    severity: str = UNKNOWN
    at_limit: bool = False


def _settings() -> tuple[Routing, bool, Tiers]:
    """The routing settings, `usage_api` and the severity's thresholds from budget.json; the defaults
    when it cannot be read."""
    try:
        from ai_budget.fileio import read_text
        from ai_budget.model.budget import parse

        path = paths.journal_home() / paths.BUDGET_FILE
        text = read_text(path)
        if text is None:
            return Routing(), True, Tiers()
        settings = parse(text, path).settings
        return settings.routing, settings.usage_api, settings.tiers
    except Exception:
        return Routing(), True, Tiers()


class QuotaMonitor:
    """`QuotaMonitor().select_model("high")`: the model the budget allows, cached `cache_seconds`. A
    policy name it does not know is refused here, once (ValueError), rather than routed as another."""

    def __init__(
        self,
        policy: str | Routing | None = None,
        cache_seconds: float = 30,
        source: str = "auto",
        claude_dir: Path | None = None,
    ):
        if isinstance(policy, str) and policy not in PRESETS:
            close = did_you_mean(policy, PRESETS)
            raise ValueError(f"unknown policy {policy!r}{close} (known: {', '.join(PRESETS)})")
        self._policy = policy
        self.cache_seconds = cache_seconds
        self.source = source
        self.claude_dir = claude_dir
        self._lock = threading.Lock()
        self._at: float | None = None
        self._snap: Snapshot | None = None

    def routing(self) -> Routing:
        """The policy in force: the one given, else budget.json's `settings.routing`."""
        return self._in_force(_settings()[0])

    def _in_force(self, configured: Routing) -> Routing:
        if isinstance(self._policy, Routing):
            return self._policy
        if isinstance(self._policy, str):
            try:
                data = {"preset": self._policy, "models": configured.models, "custom": configured.custom}
                return Routing.model_validate(data)
            except Exception:
                return Routing(models=configured.models)
        return configured

    def _snapshot(self) -> Snapshot | None:
        with self._lock:  # one refresh at a time; the others wait for it and share its answer
            fresh = self._at is not None and time.monotonic() - self._at < self.cache_seconds
            if not fresh:
                self._snap = self._fetch()
                self._at = time.monotonic()
            return self._snap

    def _fetch(self) -> Snapshot | None:
        try:
            from ai_budget.claude import usage

            _, allow_api, _ = _settings()
            claude_dir = self.claude_dir or paths.primary_claude_dir()
            return usage.fresh_or_last_known(claude_dir, None, source=self.source, allow_api=allow_api)
        except Exception:  # a router gating calls on quota must never crash on us
            return None

    def _route(self, task_class: str = "normal", user_requested: bool = False) -> Route | None:
        try:
            snap = self._snapshot()
            five = snap.five_hour.utilization if snap else None
            seven = snap.seven_day.utilization if snap else None
            configured, _, bounds = _settings()
            return route(self._in_force(configured), five, seven, task_class, user_requested, bounds)
        except Exception:
            return None

    def status(self) -> QuotaStatus | None:
        """Both windows, the source, the age and the tier; None when nothing is known."""
        snap = self._snapshot()
        if snap is None:
            return None
        decided = self._route()
        return QuotaStatus(
            five_hour=snap.five_hour.utilization,
            five_hour_resets_at=snap.five_hour.resets_at,
            seven_day=snap.seven_day.utilization,
            seven_day_resets_at=snap.seven_day.resets_at,
            source=snap.source,
            age_seconds=max((now() - snap.observed_at).total_seconds(), 0.0),
            tier=decided.tier if decided else None,
            severity=decided.severity.level if decided and decided.severity else UNKNOWN,
            at_limit=bool(decided and decided.severity and decided.severity.at_limit),
        )

    def tier(self) -> str | None:
        """The policy's tier now (GREEN… or BURST…), or None when nothing is known."""
        decided = self._route()
        return decided.tier if decided else None

    def select_model(self, task_class: str = "normal", user_requested: bool = False) -> str:
        """The model for a task of this class (routine, normal, high, critical); always an answer."""
        decided = self._route(task_class, user_requested)
        if decided is not None:
            return decided.model
        try:
            return fallback(self.routing())
        except Exception:
            return Routing().models.fallback

    def should_use_cloud(self, task_value: str = "normal") -> bool:
        """Whether this task may use a cloud model now; never for routine work."""
        if task_value == "routine":
            return False
        decided = self._route(task_value)
        return bool(decided and decided.cloud)
