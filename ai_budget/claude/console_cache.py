"""Our on-disk copy of the Admin API's answers, its 429 wait and its last failure, keyed by the API
base and a fingerprint of the key (never the key), so two organisations never share a copy."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.claude import usage_cache
from ai_budget.claude.usage_cache import MAX_WAIT_S
from ai_budget.fileio import read_json, write_json
from ai_budget.timeutil import parse_time

MIN_TTL_S = 120  # the Admin API asks for at most one poll a minute: never ask more often than this


def _file(base: str, key: str, kind: str) -> Path:
    # A one-way fingerprint: the file name tells organisations apart, and cannot give the key back.
    tag = hashlib.sha256(f"{base}\n{hashlib.sha256(key.encode()).hexdigest()}".encode()).hexdigest()[:16]
    return paths.cache_dir() / f"console-{kind}-{tag}.json"


def ttl_seconds() -> float:
    """How long an answer counts as fresh: as for the usage endpoint ($AI_BUDGET_CACHE_TTL, default
    300 s), but never under 120 s."""
    return max(usage_cache.ttl_seconds(), MIN_TTL_S)


def read(base: str, key: str, name: str, moment: datetime) -> tuple[dict[str, Any], datetime] | None:
    """The answers kept under `name` and when they were fetched, when younger than the lifetime."""
    data = read_json(_file(base, key, f"report-{name}"))
    if not data or not isinstance(data.get("answers"), dict):
        return None
    try:
        at = parse_time(data.get("fetched_at"))
    except ValueError:
        return None
    if at is None or not 0 <= (moment - at).total_seconds() < ttl_seconds():
        return None
    return data["answers"], at


def remember(base: str, key: str, name: str, answers: dict[str, Any], moment: datetime) -> None:
    """Keep answers under `name` (the reports only: no header, no key); a failure kept is forgotten."""
    write_json(_file(base, key, f"report-{name}"), {"fetched_at": moment.isoformat(), "answers": answers})
    _file(base, key, f"failed-{name}").unlink(missing_ok=True)


def note_failure(base: str, key: str, name: str, message: str, moment: datetime) -> None:
    """Keep why the answers under `name` could not be had (our own one-line message), and when."""
    write_json(_file(base, key, f"failed-{name}"), {"at": moment.isoformat(), "message": message})


def recent_failure(base: str, key: str, name: str, moment: datetime) -> tuple[str, datetime] | None:
    """The failure kept under `name` and when it was, if under 2 minutes ago (the answers had since
    remove it: `remember`)."""
    data = read_json(_file(base, key, f"failed-{name}")) or {}
    try:
        at = parse_time(data.get("at"))
    except ValueError:
        return None
    message = data.get("message")
    if at is None or not isinstance(message, str) or not 0 <= (moment - at).total_seconds() < MIN_TTL_S:
        return None
    return message, at


def read_settled(base: str, key: str, name: str) -> dict[str, Any]:
    """Answers that no longer change (days long past), whatever their age; empty when there are none."""
    data = read_json(_file(base, key, f"settled-{name}")) or {}
    days = data.get("days")
    return days if isinstance(days, dict) else {}


def keep_settled(base: str, key: str, name: str, days: dict[str, Any]) -> None:
    """Keep the answers of days long past."""
    write_json(_file(base, key, f"settled-{name}"), {"days": days})


def backoff_until(base: str, key: str, moment: datetime) -> datetime | None:
    """When the next request is allowed after a 429, if that is still ahead."""
    data = read_json(_file(base, key, "backoff")) or {}
    try:
        until = parse_time(data.get("until"))
    except ValueError:
        return None
    return until if until is not None and until > moment else None


def note_429(base: str, key: str, retry_after: str | None, moment: datetime) -> datetime:
    """Record a 429 (Retry-After honoured, else exponential from 60 s to 30 min); when to try next."""
    path = _file(base, key, "backoff")
    try:
        failures = int((read_json(path) or {}).get("failures", 0)) + 1
    except (TypeError, ValueError):
        failures = 1
    until = moment + timedelta(seconds=min(usage_cache.wait_after_429(failures, retry_after), MAX_WAIT_S))
    write_json(path, {"until": until.isoformat(), "failures": failures})
    return until


def clear_backoff(base: str, key: str) -> None:
    """Forget the 429 wait after an answer."""
    _file(base, key, "backoff").unlink(missing_ok=True)
