"""A usage snapshot as plain values (model.usage.Snapshot's reading side, without pydantic) for the fast
paths of `check` and of the session-start hook; and the reading `check` by hand takes from the free local
sources, with the rule of claude.local_sources.freshest (the youngest source within the cache lifetime,
given the per-model windows, limits and extra usage of the freshest source that has them), on the same
files. A test keeps what the brief shows of the two equal. None when no local reading is young: the full
path decides then (it may ask the endpoint)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from ai_budget.claude import feeds
from ai_budget.fileio import read_json
from ai_budget.integrations.fast_hooks import window
from ai_budget.model.scoped import scoped
from ai_budget.timeutil import parse_time

MAIN = ("five_hour", "seven_day")
TYPED = {"limits": list, "extra_usage": dict}  # the response's other typed keys (model.usage)


class Window(NamedTuple):
    utilization: float | None
    resets_at: datetime | None


class Response:
    """model.usage.UsageResponse's reading side, over a checked plain body."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.five_hour = Window(*window(body, "five_hour"))
        self.seven_day = Window(*window(body, "seven_day"))
        self.limits: list[dict[str, Any]] | None = body.get("limits")
        self.extra_usage: dict[str, Any] | None = body.get("extra_usage")
        for key, kind in TYPED.items():
            value = body.get(key)
            if value is not None and not (isinstance(value, kind) and _items_ok(value)):
                raise ValueError(f"{key}: not a {kind.__name__}")
        self.other_windows()  # a window the model would refuse makes the source unusable here too

    def other_windows(self) -> dict[str, Window]:
        """The windows besides five_hour/seven_day that carry a utilisation (seven_day_opus…)."""
        return {
            key: Window(*window(self.body, key))
            for key, value in self.body.items()
            if key not in MAIN and key not in TYPED and isinstance(value, dict) and "utilization" in value
        }

    def scoped_windows(self) -> list[tuple[str, Window]]:
        """Per-model weekly windows given in `limits[]` (kind weekly_scoped), labelled."""
        found = []
        for label, body in filter(None, map(scoped, self.limits or [])):
            try:
                found.append((label, Window(*window({"w": body}, "w"))))
            except (ValueError, TypeError):
                continue
        return found

    def rich(self) -> bool:
        """What claude.local_sources calls richness: more than the two main windows."""
        return bool(self.other_windows() or self.limits or self.extra_usage)


def _items_ok(value: Any) -> bool:
    return not isinstance(value, list) or all(isinstance(item, dict) for item in value)


class Snapshot(NamedTuple):
    """model.usage.Snapshot's reading side, with plain windows (the model's own class would bring
    pydantic's window types along)."""

    response: Response
    observed_at: datetime
    source: str
    error: str | None = None

    @property
    def fresh(self) -> bool:
        return self.source != "last-known"

    @property
    def five_hour(self) -> Window:
        return self.response.five_hour

    @property
    def seven_day(self) -> Window:
        return self.response.seven_day

    def as_last_known(self, error: str) -> Snapshot:
        return self._replace(source="last-known", error=error)


def of_windows(
    source: str, at: datetime, windows: dict[str, tuple[float | None, datetime | None]]
) -> Snapshot:
    """A snapshot of the two main windows as fast_hooks reads them (the session-start hook's reading)."""
    body = {name: {"utilization": used, "resets_at": resets} for name, (used, resets) in windows.items()}
    return Snapshot(Response(body), at, source)


def _snapshot(source: str, observed: Any, body: Any) -> Snapshot | None:
    try:
        at = parse_time(observed)
        if at is None or not isinstance(body, dict):
            return None
        return Snapshot(Response(body), at, source)
    except (ValueError, TypeError):
        return None


def all_local(claude_dir: Path) -> list[Snapshot]:
    """Every local snapshot there is, best source first (claude.local_sources.all_local)."""
    found = []
    feed = feeds.read_statusline(claude_dir)
    if feed is not None:
        found.append(_snapshot("statusline", feed.get("observed_at"), {n: feed[n] for n in feeds.WINDOWS}))
    cached = feeds.read_claude_cache(claude_dir)
    if cached is not None:
        found.append(_snapshot("claude-cache", *cached))
    ours = read_json(feeds.cache_file(claude_dir, "usage"))
    if isinstance(ours, dict):
        found.append(_snapshot("cache", ours.get("fetched_at"), ours.get("response")))
    return [snap for snap in found if snap is not None]


def freshest(claude_dir: Path, moment: datetime) -> Snapshot | None:
    """The youngest local snapshot within the cache lifetime, merged, or None when all are stale."""
    snaps = all_local(claude_dir)
    ttl = feeds.ttl_seconds()
    young = [s for s in snaps if (moment - s.observed_at).total_seconds() < ttl]
    if not young:
        return None
    best = max(young, key=lambda s: s.observed_at)  # max keeps the first of equals: the better source
    if best.response.rich():
        return best
    donors = sorted((s for s in snaps if s is not best and s.response.rich()), key=lambda s: s.observed_at)
    if not donors:
        return best
    donor = donors[-1].response
    body = (
        best.response.body
        | {key: donor.body[key] for key in donor.other_windows()}
        | {"limits": donor.limits, "extra_usage": donor.extra_usage}
    )
    return best._replace(response=Response(body))
