"""`ai-budget statusline`: Claude Code's statusline command. It records the `rate_limits` Claude
Code hands over and prints one short line. No network, no git, no pydantic, never a traceback."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from ai_budget import paths
from ai_budget.claude import feeds
from ai_budget.fileio import read_json
from ai_budget.planning.tiers import battery_tier, metabolic_tier, tier

COLOURS = {
    "green": "32",
    "yellow": "33",
    "orange": "38;5;208",
    "red": "31",
    "burst": "32",
    "active": "33",
    "resting": "31",
}
DEFAULT_TIERS = {"green": 50.0, "yellow": 70.0, "orange": 85.0}
WRAP_TIMEOUT_S = 2.0
FALLBACK = "ai-budget: no usage yet"
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def _thresholds() -> SimpleNamespace:
    """The tier bounds from budget.json's settings, read as plain JSON (defaults when absent)."""
    try:
        data = read_json(paths.journal_home() / paths.BUDGET_FILE) or {}
    except Exception:  # an empty --home in the environment, an odd file: the defaults serve
        data = {}
    given = ((data.get("settings") or {}).get("tiers") or {}) if isinstance(data, dict) else {}
    bounds = {}
    for name, default in DEFAULT_TIERS.items():
        value = given.get(name) if isinstance(given, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            bounds[name] = float(value)
        else:
            bounds[name] = default
    return SimpleNamespace(**bounds)


def _policy_tier(five: float | None, week: float | None) -> str:
    """The tier as the routing policy in budget.json names it (battery by default)."""
    try:
        data = read_json(paths.journal_home() / paths.BUDGET_FILE) or {}
    except Exception:
        data = {}
    routing = (data.get("settings") or {}).get("routing") if isinstance(data, dict) else None
    preset = routing.get("preset", "battery") if isinstance(routing, dict) else "battery"
    found = metabolic_tier(five, week) if preset == "metabolic" else battery_tier(five, week)
    if preset == "custom" or found is None:  # a custom table needs pydantic: the plain tier serves
        return tier(five, week, _thresholds())
    return found[0].lower()


def _clock(iso: str | None, moment: datetime) -> str:
    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    if when <= moment:
        return ""
    return " ↺" + when.astimezone().strftime("%H:%M")


def line(payload: Any, windows: dict[str, dict[str, Any]], moment: datetime, colour: bool) -> str:
    """`5h 37% ↺13:24 · wk 22% · $0.41 · GREEN` from the windows and the payload's session cost."""
    five, week = windows.get("five_hour"), windows.get("seven_day")
    parts = []
    if five is not None:
        parts.append(f"5h {five['utilization']:.0f}%{_clock(five.get('resets_at'), moment)}")
    if week is not None:
        parts.append(f"wk {week['utilization']:.0f}%")
    cost = (payload.get("cost") or {}).get("total_cost_usd") if isinstance(payload, dict) else None
    if isinstance(cost, (int, float)) and not isinstance(cost, bool) and cost >= 0:
        parts.append(f"${cost:.2f}")
    if five is None and week is None:
        return " · ".join([FALLBACK, *parts])
    five_v, week_v = (five["utilization"] if five else None), (week["utilization"] if week else None)
    name = _policy_tier(five_v, week_v)
    label = name.upper()
    parts.append(f"\x1b[{COLOURS[name]}m{label}\x1b[0m" if colour and name in COLOURS else label)
    return " · ".join(parts)


def _fit(text: str) -> str:
    """Cut to $COLUMNS when it is set (colour codes take no room; a cut line loses its colour)."""
    try:
        width = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        return text
    plain = ESCAPE.sub("", text)
    if width <= 0 or len(plain) <= width:
        return text
    return plain[: max(width - 1, 0)] + "…"


def _remember(windows: dict[str, dict[str, Any]], moment: datetime) -> None:
    """Into the usage history's pending lines (the next reader moves them into SQLite)."""
    from ai_budget.claude import pending

    rows = []
    for name, window in windows.items():
        resets = window.get("resets_at")
        rows.append((name, window["utilization"], datetime.fromisoformat(resets) if resets else None))
    pending.append_pending(rows, "statusline", moment)


def _client_cost(payload: Any, moment: datetime) -> None:
    """Claude Code's own cost of this session, kept for `log` to show beside the transcript's."""
    if not isinstance(payload, dict):
        return
    from ai_budget.session import state  # plain files: no pydantic, no git

    sid = state.clean_id(payload.get("session_id"))
    cost = (
        (payload.get("cost") or {}).get("total_cost_usd") if isinstance(payload.get("cost"), dict) else None
    )
    if sid is not None and isinstance(cost, (int, float)) and not isinstance(cost, bool) and 0 <= cost < 1e9:
        state.record_client_cost(paths.journal_home(), sid, float(cost), moment)


def _wrapped(command: str, stdin: bytes) -> str:
    """The user's own statusline command's output, run with the same stdin (never fatal)."""
    import subprocess  # only when wrapping

    try:
        done = subprocess.run(
            command, shell=True, input=stdin, capture_output=True, timeout=WRAP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return ""
    return done.stdout.decode("utf-8", errors="replace").rstrip("\n")


def run(argv: list[str], stdin: bytes, moment: datetime | None = None) -> str:
    """The statusline text for this stdin (and records its windows); never raises."""
    moment = moment or datetime.now(timezone.utc)
    wrap = argv[argv.index("--wrap") + 1] if "--wrap" in argv[:-1] else None
    try:
        payload = json.loads(stdin) if stdin.strip() else {}
    except ValueError:
        payload = {}
    ours = FALLBACK
    try:
        windows = feeds.windows_from_statusline(payload)
        if windows:
            feeds.record_statusline(paths.primary_claude_dir(), windows, moment)
            _remember(windows, moment)
        _client_cost(payload, moment)
        colour = not os.environ.get("NO_COLOR") and "--no-color" not in argv
        ours = line(payload, windows, moment, colour)
    except Exception:  # the statusline must never break Claude Code's screen
        pass
    theirs = _wrapped(wrap, stdin) if wrap else ""
    if theirs:
        first, _, rest = theirs.partition("\n")
        return f"{first} · {ours}" + (f"\n{rest}" if rest else "")
    return _fit(ours)


def main(argv: list[str]) -> int:
    """Entry for the fast path: read stdin, print one line, exit 0 whatever happens."""
    try:
        stdin = sys.stdin.buffer.read() if not sys.stdin.isatty() else b""
        sys.stdout.write(run(argv, stdin) + "\n")
        sys.stdout.flush()
    except BaseException:  # even Ctrl-C or a closed pipe: a statusline never shows a traceback
        return 0
    return 0
