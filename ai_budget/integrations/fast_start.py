"""`hook session-start` on the fast path: open the session and give Claude the compact brief from plain
JSON, without click, pydantic, git or the journal.

The brief's parts that need the models or the history (estimates, settings, the standing warnings) come
from the basis the full path keeps (session.brief_basis); the windows are read here, from the same
local sources and with the same rule as `check` in a hook; the plan, the severity, the warnings on the
windows and the text come from the very functions `check` uses. When the basis is missing or out of
date (budget.json or the backlog changed, a new day with Copilot on), the full path runs instead and
keeps a new one. Whatever goes wrong, Claude Code is never blocked: exit 0, the reason in hooks.log.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

from ai_budget import paths
from ai_budget.claude import feeds
from ai_budget.integrations import fast_hooks, fast_reading
from ai_budget.integrations.fast_reading import Snapshot as Reading
from ai_budget.model.backlog import Task
from ai_budget.planning.estimates import Estimate
from ai_budget.planning.recommend import Plan, recommend
from ai_budget.session import brief_basis, brief_text, state
from ai_budget.session.opening import STARTS, Opening, open_session
from ai_budget.severity import Severity, Thresholds, severity
from ai_budget.timeutil import now as utc_now
from ai_budget.timeutil import parse_time


class NotKept(Exception):
    """No basis that holds for the journal as it is: the full path answers."""


class FastBrief(NamedTuple):
    """What compact_brief reads of session.check.Brief."""

    now: datetime
    usage: Reading | None
    severity: Severity
    plan: Plan
    warnings: list[str]
    estimates: list[Estimate]  # the backlog's, in its order (check's fast path shows them)


def _of(source: str, at: datetime, windows: dict[str, fast_hooks.Window]) -> Reading:
    return fast_reading.of_windows(source, at, windows)


def _last_known(kept_claude: Any) -> list[Reading]:
    """The usage history's newest reading and budget.json's (kept in the basis), as last resorts."""
    from ai_budget.claude import usage_history  # sqlite3: only when nothing local is fresh

    found = []
    for source, raw in (("history", usage_history.newest()), ("last-known", kept_claude)):
        if raw is None:
            continue
        at, body = raw if isinstance(raw, tuple) else (raw.get("observed_at"), raw)
        try:
            windows = {name: fast_hooks.window(body, name) for name in feeds.WINDOWS}
            moment = parse_time(at)
        except (ValueError, TypeError):
            continue
        if moment is not None:
            found.append(_of(source, moment, windows))
    return found


def reading(claude_dir: Path, kept_claude: Any, moment: datetime) -> tuple[Reading | None, str | None]:
    """What claude.usage.fresh_or_last_known gives a hook (no endpoint): the freshest local reading
    within the cache lifetime, else the newest known anywhere, labelled last known with the reason."""
    local = [_of(*r) for r in fast_hooks.sourced_readings(claude_dir)]
    ttl = feeds.ttl_seconds()
    young = [r for r in local if (moment - r.observed_at).total_seconds() < ttl]
    if young:
        best = max(young, key=lambda r: r.observed_at)  # max keeps the first of equals: the better source
        if best.source != "cache":  # into the usage history, the statusline's way (ours is in already)
            from ai_budget.claude import pending

            windows = zip(feeds.WINDOWS, (best.five_hour, best.seven_day), strict=True)
            rows = [(n, w.utilization, w.resets_at) for n, w in windows if w.utilization is not None]
            pending.append_pending(rows, best.source, best.observed_at)
        return best, None
    error = feeds.nothing_fresh(feeds.HOOK_NO_API)
    known = local + _last_known(kept_claude)
    if not known:
        return None, error
    return max(known, key=lambda r: r.observed_at).as_last_known(error), None


def brief(kept: dict[str, Any], snap: Any, error: str | None, moment: datetime) -> FastBrief:
    """session.check.build_brief's brief, from the basis and the reading."""
    knobs = kept["settings"]
    bounds = Thresholds(**knobs["tiers"])
    five, seven = (snap.five_hour, snap.seven_day.utilization) if snap is not None else (None, None)
    five_util = five.utilization if five is not None else None
    estimates = [Estimate(**{**e, "task": Task(**e["task"])}) for e in kept["estimates"]]
    settings: Any = SimpleNamespace(**knobs)
    plan = recommend(estimates, five_util, five.resets_at if five else None, seven, settings, moment)
    warnings = (
        brief_text.window_warnings(snap, bounds, knobs["fallback"], moment)
        + brief_text.reading_warnings(snap, error, plan, knobs["weekly_focus_pct"], moment)
        + list(kept["notes"])
    )
    return FastBrief(moment, snap, severity(five_util, seven, bounds), plan, warnings, estimates)


def session_start(event: dict[str, Any], moment: datetime | None = None) -> str | None:
    """Open the session (state only) and give Claude the compact brief; NotKept without a basis."""
    source = event.get("source")
    if source not in STARTS:
        return None
    moment = moment or utc_now()
    root = paths.journal_home()
    kept = brief_basis.load(root, moment)
    if kept is None:
        raise NotKept
    snap, error = reading(paths.primary_claude_dir(), kept.get("claude"), moment)
    transcript = event.get("transcript_path")
    opening = Opening(
        session_id=state.clean_id(event.get("session_id")),
        source=str(source),
        transcript_path=transcript if isinstance(transcript, str) and len(transcript) < 4096 else None,
    )
    open_session(root, opening, snap, moment)
    context = {
        "hookEventName": "SessionStart",
        "additionalContext": brief_text.compact_brief(brief(kept, snap, error, moment)),
    }
    return json.dumps({"hookSpecificOutput": context})


def _answer(stdin: bytes) -> str | None:
    """The fast answer, else the full path's (which keeps a basis for the next start)."""
    try:
        return session_start(fast_hooks.read_event(stdin))
    except NotKept:
        from ai_budget.integrations import hooks

        return fast_hooks.run(hooks.session_start, stdin)


def main() -> int:
    """`ai-budget hook session-start` without click: the brief on stdout, exit 0 whatever happens."""
    try:
        stdin = sys.stdin.buffer.read() if not sys.stdin.isatty() else b""
        out = _answer(stdin)
        if out:
            sys.stdout.write(out + "\n")
            sys.stdout.flush()
    except BaseException as exc:  # a hook never fails Claude Code and prints nothing, on stdout or stderr
        if not isinstance(exc, (SystemExit, KeyboardInterrupt)):
            fast_hooks.note_failure(exc)
    return 0
