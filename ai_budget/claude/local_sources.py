"""Snapshots from the sources that cost nothing: the statusline feed, Claude Code's own cache and
ours. The freshest one answers; windows it lacks come from the freshest source that has them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from ai_budget.claude import feeds, usage_cache
from ai_budget.model.usage import Snapshot, UsageResponse
from ai_budget.timeutil import parse_time


def statusline(claude_dir: Path) -> Snapshot | None:
    """The windows the statusline recorded last (only the two main ones), whatever their age."""
    data = feeds.read_statusline(claude_dir)
    if data is None:
        return None
    try:
        observed = parse_time(data.get("observed_at"))
        body = {name: data[name] for name in feeds.WINDOWS}
        response = UsageResponse.checked(body)
    except (ValueError, ValidationError):
        return None
    return Snapshot(response, observed, "statusline") if observed is not None else None


def history() -> Snapshot | None:
    """The newest readings in the usage history (every source's), whatever their age."""
    from ai_budget.claude import usage_history

    found = usage_history.newest()
    if found is None:
        return None
    observed, body = found
    try:
        return Snapshot(UsageResponse.checked(body), observed, "history")
    except ValidationError:
        return None


def claude_cache(claude_dir: Path) -> Snapshot | None:
    """Claude Code's cached usage answer (`cachedUsageUtilization`), whatever its age."""
    found = feeds.read_claude_cache(claude_dir)
    if found is None:
        return None
    fetched, body = found
    try:
        return Snapshot(UsageResponse.checked(body), fetched, "claude-cache")
    except ValidationError:
        return None


def all_local(claude_dir: Path) -> list[Snapshot]:
    """Every local snapshot there is, best source first (the order breaks ties of age)."""
    found = [statusline(claude_dir), claude_cache(claude_dir), usage_cache.read(claude_dir)]
    return [snap for snap in found if snap is not None]


def _richness(snap: Snapshot) -> bool:
    r = snap.response
    return bool(r.other_windows() or r.limits or r.extra_usage)


def merged(best: Snapshot, others: list[Snapshot]) -> Snapshot:
    """`best` with the per-model windows, limits and extra usage of the freshest source that has them."""
    if _richness(best):
        return best
    donors = sorted((s for s in others if s is not best and _richness(s)), key=lambda s: s.observed_at)
    if not donors:
        return best
    donor = donors[-1].response
    extra = {k: v for k, v in (donor.model_extra or {}).items() if k in donor.other_windows()}
    body = (
        best.response.model_dump(mode="json")
        | extra
        | {"limits": donor.limits, "extra_usage": donor.extra_usage}
    )
    return Snapshot(UsageResponse.model_validate(body), best.observed_at, best.source, best.error)


def freshest(claude_dir: Path, moment: datetime, *, skip_our_cache: bool = False) -> Snapshot | None:
    """The youngest local snapshot within the cache lifetime (merged), or None when all are stale."""
    snaps = all_local(claude_dir)
    young = [
        s for s in snaps if usage_cache.is_fresh(s, moment) and not (skip_our_cache and s.source == "cache")
    ]
    if not young:
        return None
    best = max(young, key=lambda s: s.observed_at)  # max keeps the first of equals: the better source
    return merged(best, snaps)


def only(claude_dir: Path, source: str) -> Snapshot | None:
    """One named local source (`statusline` or `claude`), whatever its age, merged."""
    snap = statusline(claude_dir) if source == "statusline" else claude_cache(claude_dir)
    return merged(snap, all_local(claude_dir)) if snap is not None else None
