"""Claude utilisation as one vocabulary: the endpoint's windows, a snapshot, the claude section
of budget.json and the session baseline, with the one mapping between them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, ValidationError

from ai_budget.model.fields import Loose, Timestamp
from ai_budget.model.scoped import scoped

Source = Literal["statusline", "claude-cache", "api", "cache", "file", "history", "last-known"]
# The endpoint's resets_at jitters by fractions of a second between calls.
RESET_JITTER = timedelta(minutes=1)
MAX_UTILIZATION = 200.0


class UsageWindow(Loose):
    """One utilisation window: a percentage 0-100 and when it resets (None while idle)."""

    # A share of the window: a little over 100 is possible past the limit; beyond that is not usage.
    # A JSON number (strict): text or true/false is not a usage, here as on the fast paths, which read
    # these bodies as plain JSON (integrations.fast_hooks.window).
    utilization: float | None = Field(default=None, ge=0, le=MAX_UTILIZATION, strict=True)
    resets_at: Timestamp | None = None


class UsageResponse(Loose):
    """GET /api/oauth/usage: five_hour and seven_day, every other key optional."""

    five_hour: UsageWindow
    seven_day: UsageWindow
    limits: list[dict[str, Any]] | None = None
    extra_usage: dict[str, Any] | None = None

    @classmethod
    def checked(cls, body: Any) -> UsageResponse:
        """A saved body read whole: a per-model window the model refuses fails here (ValidationError),
        as the endpoint's answer does, rather than later, in other_windows."""
        response = cls.model_validate(body)
        response.other_windows()
        return response

    def other_windows(self) -> dict[str, UsageWindow]:
        """The windows besides five_hour/seven_day that carry a utilisation (seven_day_opus…)."""
        found: dict[str, UsageWindow] = {}
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, dict) and "utilization" in value:
                found[key] = UsageWindow.model_validate(value)
        return found

    def scoped_windows(self) -> list[tuple[str, UsageWindow]]:
        """Per-model weekly windows given in `limits[]` (kind weekly_scoped), labelled."""
        found = []
        for label, body in filter(None, map(scoped, self.limits or [])):
            try:
                found.append((label, UsageWindow.model_validate(body)))
            except ValidationError:
                continue
        return found


@dataclass(frozen=True)
class Snapshot:
    """Utilisation at a time, from a source; last-known values carry why fresh ones failed."""

    response: UsageResponse
    observed_at: datetime
    source: Source
    error: str | None = None

    @property
    def fresh(self) -> bool:
        """Whether these numbers come from this call (endpoint, cache within its TTL, or a file)."""
        return self.source != "last-known"

    @property
    def five_hour(self) -> UsageWindow:
        """The 5-hour window."""
        return self.response.five_hour

    @property
    def seven_day(self) -> UsageWindow:
        """The weekly window."""
        return self.response.seven_day

    def as_last_known(self, error: str) -> Snapshot:
        """The same numbers, labelled as last known because a fresh fetch failed with `error`."""
        return replace(self, source="last-known", error=error)


class MainWindows(Loose):
    """The two main windows under the original flat keys (budget.json's claude section, the baseline)."""

    five_hour_util: float | None = None
    seven_day_util: float | None = None
    five_hour_resets_at: Timestamp | None = None
    seven_day_resets_at: Timestamp | None = None


def _flat(response: UsageResponse) -> dict[str, Any]:
    """The main windows of a response under the flat keys: the mapping, written once."""
    return {
        "five_hour_util": response.five_hour.utilization,
        "seven_day_util": response.seven_day.utilization,
        "five_hour_resets_at": response.five_hour.resets_at,
        "seven_day_resets_at": response.seven_day.resets_at,
    }


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

    def snapshot(self) -> Snapshot | None:
        """The values this section holds, as last-known numbers; None when it holds none."""
        if self.five_hour_util is None or self.last_fetched is None:
            return None
        data: dict[str, Any] = {name: w.model_dump(mode="json") for name, w in self.windows.items()}
        data["five_hour"] = {"utilization": self.five_hour_util, "resets_at": self.five_hour_resets_at}
        data["seven_day"] = {"utilization": self.seven_day_util, "resets_at": self.seven_day_resets_at}
        data["limits"] = self.limits
        data["extra_usage"] = self.extra_usage
        return Snapshot(UsageResponse.model_validate(data), self.last_fetched, "last-known")

    def holding(self, snap: Snapshot) -> ClaudeSection:
        """A copy holding these numbers (keys the user added are kept)."""
        r = snap.response
        return self.model_copy(
            deep=True,
            update=_flat(r)
            | {
                "last_fetched": snap.observed_at,
                "source": snap.source,
                "windows": r.other_windows(),
                "limits": r.limits,
                "extra_usage": r.extra_usage,
            },
        )

    def differs_from(self, response: UsageResponse) -> bool:
        """Whether a utilisation changed or a reset moved by more than a minute."""
        r = response
        if (self.five_hour_util, self.seven_day_util) != (r.five_hour.utilization, r.seven_day.utilization):
            return True
        if _moved(self.five_hour_resets_at, response.five_hour.resets_at):
            return True
        if _moved(self.seven_day_resets_at, response.seven_day.resets_at):
            return True
        old, new = self.windows, response.other_windows()
        if set(old) != set(new):
            return True
        return any(
            old[k].utilization != new[k].utilization or _moved(old[k].resets_at, new[k].resets_at)
            for k in new
        )


def _moved(old: datetime | None, new: datetime | None) -> bool:
    if old is None or new is None:
        return old is not new
    return abs(new - old) > RESET_JITTER


class Baseline(MainWindows):
    """What `check` saw at the start of a session, for `log` to measure against."""

    started_at: Timestamp
    fetched_at: Timestamp | None = None
    source: str | None = None
    # The Claude Code session that started it, when a hook did (the session-end hook logs only its own).
    session_id: str | None = None

    @classmethod
    def of(cls, snap: Snapshot | None, started_at: datetime, session_id: str | None = None) -> Baseline:
        """The baseline of a session starting at `started_at` with these numbers (or none)."""
        if snap is None:
            return cls(started_at=started_at, session_id=session_id)
        return cls(
            started_at=started_at,
            fetched_at=snap.observed_at,
            source=snap.source,
            session_id=session_id,
            **_flat(snap.response),
        )
