"""Claude Code hooks: the session opened and a compact brief at its start, its spend recorded at its
end (the warning before each prompt is in fast_hooks). Callers never let an error reach Claude Code."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.errors import BudgetError
from ai_budget.integrations.fast_hooks import note_failure
from ai_budget.journal.journal import Journal
from ai_budget.session import brief_basis, brief_keep, closing, ledger, live, state
from ai_budget.session.brief_text import compact_brief
from ai_budget.session.check import check
from ai_budget.session.log import LogRequest, log
from ai_budget.session.opening import STARTS, Opening
from ai_budget.timeutil import now as utc_now


def _journal() -> Journal:
    return Journal.open(paths.journal_home())


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
    journal = _journal()
    brief = check(journal, paths.primary_claude_dir(), hook=True, opening=opening)
    context = {"hookEventName": "SessionStart", "additionalContext": compact_brief(brief)}
    _keep_basis(journal, brief.now)  # the next start takes the fast path (integrations.fast_start)
    return json.dumps({"hookSpecificOutput": context})


def _keep_basis(journal: Journal, now: datetime) -> None:
    """Keep the brief's basis for the fast session start, unless the kept one still holds; a failure
    only costs the next start its speed (the reason in hooks.log)."""
    try:
        if brief_basis.load(journal.root, now) is None:
            brief_keep.keep(journal, now)
    except Exception as exc:
        note_failure(exc)


def session_end(event: dict[str, Any]) -> str | None:
    """Record the session's spend (see _close), then keep the brief's basis for the next start when
    the session changed the journal (a log, a backlog edit)."""
    sid = state.clean_id(event.get("session_id"))
    if sid is None:
        return None
    journal = _journal()
    try:
        return _close(journal, sid)
    finally:
        _keep_basis(journal, utc_now())


def _close(journal: Journal, sid: str) -> str | None:
    """Record what the session's transcript holds beyond the ledger: a log of its own when nobody
    logged it and it was a real session, else a closing for the day's record. Local sources only."""
    now, dirs = utc_now(), paths.claude_dirs()
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
