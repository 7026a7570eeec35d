"""The hooks Claude Code runs before every prompt, on the fast path: plain JSON files in, a line out.

`hook prompt` runs before each prompt the user sends, so `entry.py` routes it here before click is
imported. This module imports only light modules (paths, fileio, claude.feeds, timeutil): no click,
pydantic, git or journal. Whatever goes wrong, Claude Code is never blocked: exit 0, nothing on
stdout or stderr, the reason in the state folder's hooks.log.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime
from pathlib import Path

from ai_budget import paths
from ai_budget.claude import feeds
from ai_budget.fileio import read_json, write_json
from ai_budget.timeutil import countdown, now, parse_time

TYPE_CHECKING = False  # not typing's own: the hook's start-up is what the user waits for
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DEFAULT_THRESHOLDS = (80.0, 90.0, 95.0)
LABELS = {"five_hour": "5-hour", "seven_day": "weekly"}
MAX_UTILIZATION = 200.0  # model.usage's bound: past it a value is no usage (a test keeps them equal)

# A window as the hooks need it: (utilization or None, resets_at or None).
Window = tuple[float | None, datetime | None]


def read_event(stdin: bytes) -> dict[str, Any]:
    """The hook's JSON payload; anything else is a ValueError (the caller stays silent)."""
    event = json.loads(stdin)
    if not isinstance(event, dict):
        raise ValueError("a hook payload is a JSON object")
    return event


def note_failure(exc: BaseException) -> None:
    """Why a hook did nothing, as the last line of `hooks.log` in the state folder (never printed)."""
    import contextlib
    from datetime import timezone

    from ai_budget.redact import scrub

    with contextlib.suppress(Exception):
        path = paths.state_dir() / "hooks.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = scrub(f"{datetime.now(timezone.utc).isoformat()} {type(exc).__name__}: {exc}".splitlines()[0])
        path.write_text(line[:500] + "\n", encoding="utf-8")


def run(handler: Callable[[dict[str, Any]], str | None], stdin: bytes | None = None) -> str | None:
    """Run a hook on its payload (`stdin`, else read here); on any problem, None (the reason in hooks.log)."""
    try:
        if stdin is None:
            stdin = sys.stdin.buffer.read() if not sys.stdin.isatty() else b""
        return handler(read_event(stdin))
    except BaseException as exc:  # a hook never fails Claude Code and prints nothing, on stdout or stderr
        if not isinstance(exc, (SystemExit, KeyboardInterrupt)):
            note_failure(exc)
        return None


def main(argv: list[str]) -> int:
    """`ai-budget hook prompt` without click: the line (if any) on stdout, exit 0 whatever happens."""
    out = run(prompt) if argv == ["prompt"] else None
    if out:
        try:
            sys.stdout.write(out + "\n")
            sys.stdout.flush()
        except BaseException as exc:  # Claude Code closed the pipe: nothing to tell it any more
            note_failure(exc)
    return 0


def window(body: Any, name: str) -> Window:
    """One window of a usage-shaped body, checked as the usage model checks it (else ValueError)."""
    raw = body.get(name) if isinstance(body, dict) else None
    if not isinstance(raw, dict):
        raise ValueError(f"no {name} window")
    used = raw.get("utilization")
    if used is not None:
        if isinstance(used, bool) or not isinstance(used, (int, float)):
            raise ValueError(f"{name}: utilization is no number")
        if not (math.isfinite(used) and 0 <= used <= MAX_UTILIZATION):
            raise ValueError(f"{name}: utilization out of range")
        used = float(used)
    return used, parse_time(raw.get("resets_at"))


def _reading(observed: Any, body: Any) -> tuple[datetime, dict[str, Window]] | None:
    try:
        at = parse_time(observed)
        windows = {name: window(body, name) for name in LABELS}
    except (ValueError, TypeError):
        return None
    return (at, windows) if at is not None else None


def sourced_readings(claude_dir: Path) -> list[tuple[str, datetime, dict[str, Window]]]:
    """The local readings of both windows with their source's name, best source first: the statusline
    feed, Claude Code's cached answer, our usage cache (claude.local_sources, read as plain JSON)."""
    found = []
    feed = feeds.read_statusline(claude_dir)
    if feed is not None:
        found.append(("statusline", _reading(feed.get("observed_at"), feed)))
    cached = feeds.read_claude_cache(claude_dir)
    if cached is not None:
        found.append(("claude-cache", _reading(cached[0], cached[1])))
    ours = read_json(feeds.cache_file(claude_dir, "usage"))
    if ours:
        found.append(("cache", _reading(ours.get("fetched_at"), ours.get("response"))))
    return [(source, *r) for source, r in found if r is not None]


def readings(claude_dir: Path) -> list[tuple[datetime, dict[str, Window]]]:
    """The local readings of both windows, best source first (sourced_readings without the names)."""
    return [(at, windows) for _, at, windows in sourced_readings(claude_dir)]


def budget_settings() -> dict[str, Any]:
    """budget.json's `settings` as plain JSON, for the fast paths (the statusline, the hooks), or {}:
    the full model (pydantic) costs them most of their time; a missing or odd file is no settings."""
    try:
        data = read_json(paths.journal_home() / paths.BUDGET_FILE) or {}
    except Exception:  # an empty --home in the environment, an odd file: the defaults serve
        return {}
    settings = data.get("settings") if isinstance(data, dict) else None
    return settings if isinstance(settings, dict) else {}


def thresholds() -> tuple[float, ...]:
    """The user's `settings.prompt_thresholds` from budget.json (plain JSON), else the defaults."""
    given = budget_settings().get("prompt_thresholds")
    if isinstance(given, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in given
    ):
        return tuple(sorted(float(v) for v in given))
    return DEFAULT_THRESHOLDS


def alerts_file(claude_dir: Path) -> Path:
    """What the prompt hook already said, per Claude config dir."""
    return feeds.cache_file(claude_dir, "prompt-alerts")


def prompt(event: dict[str, Any], moment: datetime | None = None) -> str | None:
    """One line of context when a window crossed a threshold since the last prompt (once each)."""
    moment = moment or now()
    claude_dir = paths.primary_claude_dir()
    found = readings(claude_dir)
    if not found:
        return None
    _, windows = max(found, key=lambda r: r[0])  # max keeps the first of equals: the better source
    path = alerts_file(claude_dir)
    told = read_json(path) or {}
    before = dict(told)  # crossing() replaces entries, never changes one in place
    limits = thresholds()
    lines = []
    for name, label in LABELS.items():
        line = crossing(windows[name], name, label, told, moment, limits)
        if line:
            lines.append(line)
    if told != before:  # most prompts change nothing: no write, no fsync
        write_json(path, told)
    return "\n".join(lines) or None


def crossing(
    win: Window, name: str, label: str, told: dict[str, Any], moment: datetime, limits: tuple[float, ...]
) -> str | None:
    """The warning for one window, if it reached a threshold not yet told for this window's period."""
    used, resets_at = win
    if used is None:
        return None
    period = resets_at.isoformat() if resets_at else "idle"
    seen = told.get(name)
    if not isinstance(seen, dict):
        seen = {}
    done = set(seen.get("told", [])) if seen.get("period") == period else set()
    reached = [t for t in limits if used >= t and t not in done]
    told[name] = {"period": period, "told": sorted(done | set(reached))}
    if not reached:
        return None
    reset = ""
    if resets_at is not None and resets_at > moment:
        reset = f", resets in {countdown(resets_at, moment)}"
    advice = "keep to the top task"
    if name == "five_hour":
        advice = "finish the current step, then suggest /budget-log"
    return f"ai-budget: {label} window at {used:.0f} %{reset}: {advice}."
