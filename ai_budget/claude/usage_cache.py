"""Our on-disk copy of the last usage answer and the 429 backoff, keyed by the Claude config dir
(never by the token)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import ValidationError

from ai_budget.claude import feeds
from ai_budget.claude.feeds import DEFAULT_TTL_S, ttl_seconds  # noqa: F401 (callers use usage_cache's)
from ai_budget.fileio import read_json, write_json
from ai_budget.model.usage import Snapshot, UsageResponse
from ai_budget.timeutil import now, parse_time

BACKOFF_START_S = 60
BACKOFF_CAP_S = 1800
MAX_WAIT_S = 86400  # a Retry-After beyond a day is a server's mistake, not a wait to honour


def _file(claude_dir: Path, kind: str) -> Path:
    return feeds.cache_file(claude_dir, kind)


def read(claude_dir: Path) -> Snapshot | None:
    """The last answer kept on disk, whatever its age."""
    data = read_json(_file(claude_dir, "usage"))
    if not data:
        return None
    try:
        observed = parse_time(data.get("fetched_at"))
        response = UsageResponse.checked(data.get("response"))
    except (ValueError, ValidationError):
        return None
    return Snapshot(response, observed, "cache") if observed is not None else None


def is_fresh(snap: Snapshot, moment: datetime) -> bool:
    """Whether a cached answer is younger than the cache lifetime."""
    return (moment - snap.observed_at).total_seconds() < ttl_seconds()


def remember(claude_dir: Path, snap: Snapshot) -> None:
    """Keep this answer as the cache."""
    write_json(
        _file(claude_dir, "usage"),
        {"fetched_at": snap.observed_at.isoformat(), "response": snap.response.model_dump(mode="json")},
    )


def backoff_until(claude_dir: Path) -> datetime | None:
    """When the next request is allowed after a 429, if that is still in the future."""
    data = read_json(_file(claude_dir, "backoff")) or {}
    try:
        until = parse_time(data.get("until"))
    except ValueError:
        return None
    return until if until is not None and until > now() else None


def backoff_file(claude_dir: Path) -> Path:
    """Where the 429 wait is kept (deleting it lets the next command try at once)."""
    return _file(claude_dir, "backoff")


def note_429(claude_dir: Path, retry_after: str | None) -> tuple[datetime, bool]:
    """Record a 429; return when the next request is allowed, and whether the wait was capped."""
    path = _file(claude_dir, "backoff")
    failures = int((read_json(path) or {}).get("failures", 0)) + 1
    wait = wait_after_429(failures, retry_after)
    capped = wait > MAX_WAIT_S
    until = now() + timedelta(seconds=min(wait, MAX_WAIT_S))
    write_json(path, {"until": until.isoformat(), "failures": failures})
    return until, capped


def wait_after_429(failures: int, retry_after: str | None) -> float:
    """Seconds to wait after the `failures`-th 429 in a row: Retry-After, else 60 s doubling to 30 min."""
    wait = retry_after_seconds(retry_after)
    if not wait:  # absent or 0 (seen on a persistently throttled account): back off exponentially
        wait = min(BACKOFF_START_S * 2 ** min(failures - 1, 20), BACKOFF_CAP_S)
    return wait


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if math.isnan(seconds):
            return None
        return max(min(seconds, MAX_WAIT_S + 1), 0.0)  # "1e999" or 400 digits: longer than a day
    import email.utils  # only for an HTTP-date Retry-After: it costs every start milliseconds

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - now()).total_seconds(), 0.0)


def clear_backoff(claude_dir: Path) -> None:
    """Forget the 429 backoff after a successful request."""
    _file(claude_dir, "backoff").unlink(missing_ok=True)
