"""Usage that Claude Code hands over for free: the statusline's `rate_limits` (which we record) and
its own cached usage answer in `.claude.json`. Plain data, no pydantic: the statusline must be quick."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from ai_budget import paths
from ai_budget.fileio import read_json, write_json

TYPE_CHECKING = False  # typing's own costs every hook milliseconds of start-up
if TYPE_CHECKING:
    from typing import Any

WINDOWS = ("five_hour", "seven_day")
DEFAULT_TTL_S = 300
API_OFF = "settings.usage_api is false in budget.json, so the usage endpoint is never called"
HOOK_NO_API = "a hook never calls the usage endpoint (the next check by hand may)"


def ttl_seconds() -> float:
    """How long a cached answer counts as fresh ($AI_BUDGET_CACHE_TTL, default 300 s)."""
    import math

    try:
        ttl = float(os.environ.get("AI_BUDGET_CACHE_TTL", DEFAULT_TTL_S))
    except ValueError:
        return DEFAULT_TTL_S
    # NaN or Infinity would make every answer stale or fresh for ever: the default instead.
    return max(ttl, 0.0) if math.isfinite(ttl) else DEFAULT_TTL_S


def nothing_fresh(no_api: str = API_OFF) -> str:
    """Why no fresh numbers were had when the endpoint is not to be called: `no_api` says why not
    (HOOK_NO_API in a hook, whatever the settings; API_OFF when usage_api is off)."""
    return f"no local usage is younger than {ttl_seconds():g} s and {no_api}"


def _key(claude_dir: Path) -> str:
    return paths.name_hash(str(claude_dir.resolve()))


def cache_file(claude_dir: Path, kind: str) -> Path:
    """A file of the cache folder kept per Claude config dir (never per token): `KIND-<key>.json`."""
    return paths.cache_dir() / f"{kind}-{_key(claude_dir)}.json"


def feed_file(claude_dir: Path) -> Path:
    """Where the statusline's last rate_limits are kept (the cache folder, beside our usage cache)."""
    return cache_file(claude_dir, "statusline")


def windows_from_statusline(data: Any) -> dict[str, dict[str, Any]]:
    """The usage-shaped windows in a statusline payload (each may be absent), or {} when none."""
    limits = data.get("rate_limits") if isinstance(data, dict) else None
    found: dict[str, dict[str, Any]] = {}
    if not isinstance(limits, dict):
        return found
    for name in WINDOWS:
        window = limits.get(name)
        if not isinstance(window, dict):
            continue
        used, resets = window.get("used_percentage"), window.get("resets_at")
        if isinstance(used, bool) or not isinstance(used, (int, float)) or not 0 <= used <= 200:
            continue
        when = None
        if isinstance(resets, (int, float)) and not isinstance(resets, bool) and 0 < resets < 1e11:
            when = datetime.fromtimestamp(resets, timezone.utc).isoformat()  # epoch seconds here
        found[name] = {"utilization": float(used), "resets_at": when}
    return found


def record_statusline(claude_dir: Path, windows: dict[str, dict[str, Any]], moment: datetime) -> None:
    """Keep the newest windows (a window missing from this payload keeps its last value)."""
    path = feed_file(claude_dir)
    old = read_json(path) or {}
    merged = {name: old[name] for name in WINDOWS if isinstance(old.get(name), dict)}
    merged.update(windows)
    write_json(path, {"observed_at": moment.isoformat(), **merged})


def read_statusline(claude_dir: Path) -> dict[str, Any] | None:
    """The recorded feed: {"observed_at", "five_hour", "seven_day"}, or None before the first one."""
    data = read_json(feed_file(claude_dir))
    if not data or not all(isinstance(data.get(name), dict) for name in WINDOWS):
        return None
    return data


def claude_json(claude_dir: Path) -> Path:
    """Claude Code's own state file: `~/.claude.json`, or `.claude.json` in CLAUDE_CONFIG_DIR."""
    if os.environ.get(paths.CLAUDE_ENV):
        return claude_dir / ".claude.json"
    return Path.home() / ".claude.json"


def read_claude_cache(claude_dir: Path) -> tuple[datetime, dict[str, Any]] | None:
    """Claude Code's cached usage answer: (when it was fetched, the usage body), or None."""
    from ai_budget.jsonio import loads  # orjson: the file can be megabytes; the statusline never reads it

    try:
        data = loads(claude_json(claude_dir).read_bytes())
    except (OSError, ValueError):
        return None
    cached = data.get("cachedUsageUtilization") if isinstance(data, dict) else None
    if not isinstance(cached, dict):
        return None
    at, body = cached.get("fetchedAtMs"), cached.get("utilization")
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not isinstance(body, dict):
        return None
    try:
        return datetime.fromtimestamp(at / 1000, timezone.utc), body
    except (OverflowError, OSError, ValueError):
        return None
