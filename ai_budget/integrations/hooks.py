"""Claude Code hooks: a baseline and a compact brief at session start, an automatic log at session
end, a line of warning when a window crosses a threshold. Callers never let an error reach Claude Code."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.claude import feeds, local_sources
from ai_budget.fileio import read_json, write_json
from ai_budget.fmt import pct
from ai_budget.journal.journal import Journal
from ai_budget.model.usage import Snapshot
from ai_budget.session.check import Brief, check
from ai_budget.session.log import LogRequest, log
from ai_budget.timeutil import countdown, local_clock, now

MAX_CONTEXT = 1500
DEFAULT_THRESHOLDS = (80.0, 90.0, 95.0)
LABELS = {"five_hour": "5-hour", "seven_day": "weekly"}


def read_event(stdin: bytes) -> dict[str, Any]:
    """The hook's JSON payload; anything else is a ValueError (the caller stays silent)."""
    event = json.loads(stdin)
    if not isinstance(event, dict):
        raise ValueError("a hook payload is a JSON object")
    return event


def _journal() -> Journal:
    return Journal.open(paths.journal_home())


def compact_brief(brief: Brief) -> str:
    """The brief in a few lines for the model's context (at most MAX_CONTEXT characters)."""
    lines = [f"ai-budget: severity {brief.severity.describe()}."]
    if brief.usage is not None:
        for name, window in (("5-hour", brief.usage.five_hour), ("weekly", brief.usage.seven_day)):
            reset, at = "", window.resets_at
            if at is not None and at > brief.now:
                reset = f", resets {local_clock(at, brief.now)} (in {countdown(at, brief.now)})"
            lines.append(f"{name} window {pct(window.utilization)}{reset}.")
    plan = brief.plan
    if plan.do:
        lines.append(f"Do first: {plan.do[0].task.label()} (~{plan.do[0].pct:.0f}% of the 5-hour window).")
    if plan.checkpoint is not None:
        lines.append(f"Checkpoint before: {plan.checkpoint.estimate.task.label()} (would cross the limit).")
    if plan.wait_for_reset and plan.minutes_to_reset is not None:
        lines.append(f"Better to wait for the 5-hour reset in {plan.minutes_to_reset} min.")
    lines += [f"Warning: {w}" for w in brief.warnings[:3]]
    lines.append("Run /budget-log at the end of the session.")
    text = "\n".join(lines)
    return text if len(text) <= MAX_CONTEXT else text[: MAX_CONTEXT - 1] + "…"


def session_start(event: dict[str, Any]) -> str | None:
    """On a fresh start (not resume or compact): the baseline, as `check` records it, and a brief."""
    if event.get("source") != "startup":
        return None
    session_id = event.get("session_id") if isinstance(event.get("session_id"), str) else None
    brief = check(_journal(), paths.primary_claude_dir(), session_id=session_id, hook=True)
    context = {"hookEventName": "SessionStart", "additionalContext": compact_brief(brief)}
    return json.dumps({"hookSpecificOutput": context})


def session_end(event: dict[str, Any]) -> str | None:
    """Log the session's spend (no work items) when no `log` consumed its baseline; no endpoint call."""
    journal = _journal()
    base = journal.read_budget().baseline
    if base is None:
        return None  # `/budget-log` already logged it
    ending = event.get("session_id")
    if base.session_id is not None and isinstance(ending, str) and ending != base.session_id:
        return None  # another session's baseline: that session's end will log it
    log(journal, LogRequest(claude_dirs=paths.claude_dirs(), local_only=True, automatic=True))
    return None


def _alerts_file(claude_dir: Path) -> Path:
    return (
        paths.cache_dir()
        / f"prompt-alerts-{feeds.feed_file(claude_dir).stem.removeprefix('statusline-')}.json"
    )


def _thresholds() -> tuple[float, ...]:
    data = read_json(paths.journal_home() / paths.BUDGET_FILE) or {}
    given = (data.get("settings") or {}).get("prompt_thresholds") if isinstance(data, dict) else None
    if isinstance(given, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in given
    ):
        return tuple(sorted(float(v) for v in given))
    return DEFAULT_THRESHOLDS


def prompt(event: dict[str, Any], moment: datetime | None = None) -> str | None:
    """One line of context when a window crossed a threshold since the last prompt (once each)."""
    moment = moment or now()
    claude_dir = paths.primary_claude_dir()
    snaps = local_sources.all_local(claude_dir)
    if not snaps:
        return None
    snap = max(snaps, key=lambda s: s.observed_at)
    path = _alerts_file(claude_dir)
    told = read_json(path) or {}
    lines = []
    for name, label in LABELS.items():
        line = _crossing(snap, name, label, told, moment)
        if line:
            lines.append(line)
    write_json(path, told)
    return "\n".join(lines) or None


def _crossing(snap: Snapshot, name: str, label: str, told: dict[str, Any], moment: datetime) -> str | None:
    """The warning for one window, if it reached a threshold not yet told for this window's period."""
    window = getattr(snap, name)
    if window.utilization is None:
        return None
    period = window.resets_at.isoformat() if window.resets_at else "idle"
    seen = told.get(name)
    if not isinstance(seen, dict):
        seen = {}
    done = set(seen.get("told", [])) if seen.get("period") == period else set()
    reached = [t for t in _thresholds() if window.utilization >= t and t not in done]
    told[name] = {"period": period, "told": sorted(done | set(reached))}
    if not reached:
        return None
    reset = ""
    if window.resets_at is not None and window.resets_at > moment:
        reset = f", resets in {countdown(window.resets_at, moment)}"
    advice = (
        "finish the current step, then suggest /budget-log" if name == "five_hour" else "keep to the top task"
    )
    return f"ai-budget: {label} window at {window.utilization:.0f} %{reset}: {advice}."
