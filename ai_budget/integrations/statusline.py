"""`ai-budget statusline`: Claude Code's statusline command. It records the `rate_limits` Claude
Code hands over and prints one short line. No network, no git, no pydantic, never a traceback."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime, timezone

from ai_budget import paths
from ai_budget.claude import feeds
from ai_budget.integrations.fast_hooks import budget_settings
from ai_budget.severity import Thresholds, level, paint, severity, thresholds

TYPE_CHECKING = False  # not typing's own: the statusline runs on every assistant message
if TYPE_CHECKING:
    from typing import Any

WRAP_TIMEOUT_S = 2.0
FALLBACK = "ai-budget: no usage yet"
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# A session's cost beyond this is no real figure (a damaged payload): it is left out, not printed.
MAX_COST_USD = 1_000_000


def _bounds() -> Thresholds:
    """The severity's thresholds from budget.json's settings, read as plain JSON (defaults when absent)."""
    return thresholds(budget_settings())


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


def _cost(payload: Any) -> str | None:
    """'$0.41' from the payload's session cost; None when absent or not a believable figure."""
    cost = (payload.get("cost") or {}).get("total_cost_usd") if isinstance(payload, dict) else None
    if isinstance(cost, (int, float)) and not isinstance(cost, bool) and 0 <= cost <= MAX_COST_USD:
        return f"${cost:,.2f}"
    return None


def line(payload: Any, windows: dict[str, dict[str, Any]], moment: datetime, colour: bool) -> str:
    """`5h 37% ↺13:24 · wk 22% · $0.41 · GREEN`: each window in its level's colour, then the severity."""
    five, week = windows.get("five_hour"), windows.get("seven_day")
    five_v, week_v = (five["utilization"] if five else None), (week["utilization"] if week else None)
    bounds = _bounds() if five or week else None
    parts = []
    if five is not None:
        text = f"5h {five_v:.0f}%"
        parts.append(paint(text, level(five_v, bounds), colour) + _clock(five.get("resets_at"), moment))
    if week is not None:
        parts.append(paint(f"wk {week_v:.0f}%", level(week_v, bounds), colour))
    cost = _cost(payload)
    if cost:
        parts.append(cost)
    if bounds is None:
        return " · ".join([FALLBACK, *parts])
    sev = severity(five_v, week_v, bounds)
    label = sev.level.upper() + (" (at limit)" if sev.at_limit else "")
    parts.append(paint(label, sev.level, colour))
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
    from ai_budget.session import names  # plain files: no pydantic, no git, no dataclasses

    sid = names.clean_id(payload.get("session_id"))
    cost = (
        (payload.get("cost") or {}).get("total_cost_usd") if isinstance(payload.get("cost"), dict) else None
    )
    if sid is not None and isinstance(cost, (int, float)) and not isinstance(cost, bool) and 0 <= cost < 1e9:
        names.record_client_cost(paths.journal_home(), sid, float(cost), moment)


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
