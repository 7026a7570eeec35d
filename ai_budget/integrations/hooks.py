"""Claude Code hooks: the session opened and a compact brief at its start, its spend recorded at its
end (the warning before each prompt is in fast_hooks). Callers never let an error reach Claude Code."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.errors import BudgetError
from ai_budget.fmt import pct
from ai_budget.journal.journal import Journal
from ai_budget.session import closing, ledger, live, state
from ai_budget.session.check import Brief, Opening, check
from ai_budget.session.log import LogRequest, log
from ai_budget.timeutil import countdown, local_clock
from ai_budget.timeutil import now as utc_now

MAX_CONTEXT = 1500


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


STARTS = ("startup", "resume", "clear")  # a compaction keeps the session, and its context has the brief
HOOK_LOCK_S = 2.5  # within the session-end hook's 5 s: past it the closing waits in the state folder


def session_start(event: dict[str, Any]) -> str | None:
    """Open the session (state only, no commit) and give Claude a compact brief."""
    source = event.get("source")
    if source not in STARTS:
        return None
    transcript = event.get("transcript_path")
    opening = Opening(
        session_id=state.clean_id(event.get("session_id")),
        source=str(source),
        transcript_path=transcript if isinstance(transcript, str) and len(transcript) < 4096 else None,
    )
    brief = check(_journal(), paths.primary_claude_dir(), hook=True, opening=opening)
    context = {"hookEventName": "SessionStart", "additionalContext": compact_brief(brief)}
    return json.dumps({"hookSpecificOutput": context})


def session_end(event: dict[str, Any]) -> str | None:
    """Record what the session's transcript holds beyond the ledger: a log of its own when nobody
    logged it and it was a real session, else a closing for the day's record. Local sources only."""
    sid = state.clean_id(event.get("session_id"))
    if sid is None:
        return None
    journal, now, dirs = _journal(), utc_now(), paths.claude_dirs()
    opened = state.load(journal.root, sid)
    observed = live.observe(dirs, sid)
    if observed is None:  # no transcript (it vanished, or the session wrote none): nothing to count
        state.remove(journal.root, sid)
        return None
    sums = ledger.session_sums(ledger.read_all(journal.root), sid)
    if live.increment({**observed.counts, "cost_usd": observed.cost}, sums) is None:
        state.remove(journal.root, sid)  # all of it is in the journal already (a second end event)
        return None
    entry = (opened.entrypoint if opened else None) or live.entrypoint_of(observed.transcript)
    kind = "tail" if opened is not None and opened.logged else "auto"
    if kind == "auto" and live.is_short(entry, observed):
        kind = "run"
    if kind == "auto" and _log_now(journal, dirs, sid, now):
        return None
    record = closing.closing(kind, observed, opened, now, journal.root, entry)
    state.add_pending(journal.root, record, now)
    state.remove(journal.root, sid)
    return None


def _log_now(journal: Journal, dirs: list[Path], sid: str, moment: datetime) -> bool:
    """The automatic log of a session nobody logged, if the journal can be had within the hook's budget."""
    request = LogRequest(
        claude_dirs=dirs,
        local_only=True,
        automatic=True,
        session_id=sid,
        lock_timeout=HOOK_LOCK_S,
        now=moment,
    )
    try:
        log(journal, request)
    except BudgetError:  # busy or damaged: the closing waits for the next command instead
        return False
    return True
