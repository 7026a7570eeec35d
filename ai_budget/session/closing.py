"""Closings the hooks leave for later, folded into the journal in one commit: short runs and tails.

A closing carries what the session's transcript held when it ended (cumulative), never a difference:
the difference is taken against the ledger when the closing is applied, under the journal's lock. So a
closing applied twice, two end events for one session, or a closing applied after a later log, add
nothing that is already there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.errors import BudgetError
from ai_budget.fileio import LOCK_TIMEOUT_S
from ai_budget.fmt import money, plural
from ai_budget.journal.journal import Journal
from ai_budget.session import ledger, live, state
from ai_budget.session.live import Observed
from ai_budget.session.state import OpenSession
from ai_budget.timeutil import parse_time

MAX_FOLD = 500  # closings applied in one commit; more wait for the next command


def closing(
    kind: str,
    observed: Observed,
    opened: OpenSession | None,
    now: datetime,
    root: Path,
    entrypoint: str | None = None,
) -> dict[str, Any]:
    """A closing of a session for the ledger (cumulative counts; `kind` run, tail or auto)."""
    start = opened.opened_at if opened is not None else observed.first
    return {
        "kind": kind,
        "session_id": observed.session_id,
        "observed": observed.to_json(),
        "started_at": (start or now).isoformat(),
        "ended_at": now.isoformat(),
        "entrypoint": entrypoint or (opened.entrypoint if opened else None),
        "resumed": bool(opened is not None and opened.resumed),
        "client_cost_usd": state.client_cost(root, observed.session_id),
    }


def ledger_line(record: dict[str, Any], new: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The ledger line of a closing: what is new of the session, with when and how it ran."""
    observed = record.get("observed") or {}
    return {
        **new,
        "kind": record.get("kind") if record.get("kind") in ledger.KINDS else "run",
        "session_id": record.get("session_id"),
        "recorded_at": now.isoformat(),
        "started_at": record.get("started_at"),
        "ended_at": record.get("ended_at"),
        "entrypoint": record.get("entrypoint"),
        "resumed": record.get("resumed") is True,
        "unpriced_models": observed.get("unpriced_models") or [],
        "client_cost_usd": record.get("client_cost_usd"),
    }


def apply_pending(journal: Journal, now: datetime, timeout: float | None = None) -> str | None:
    """Fold every waiting closing into the journal in one commit; the commit's sha, or None if none."""
    waiting = state.pending(journal.root)[:MAX_FOLD]
    if not waiting:
        return None
    with journal.transaction("runs", timeout or LOCK_TIMEOUT_S, quiet=timeout is not None) as tx:
        records = ledger.read_all(journal.root)
        lines: list[dict[str, Any]] = []
        for _, record in waiting:
            sid = record.get("session_id")
            if not isinstance(sid, str):
                continue
            sums = ledger.session_sums([*records, *lines], sid)
            new = live.increment(record.get("observed") or {}, sums)
            if new is not None:
                lines.append(ledger_line(record, new, now))
        if lines:
            _write_fold(tx, lines, now)
    state.done_pending([path for path, _ in waiting])
    return tx.sha


def _write_fold(tx: Any, lines: list[dict[str, Any]], now: datetime) -> None:
    """The ledger lines, the day's markdown record of them, and the commit's subject."""
    for line in lines:
        line["machine"] = tx.machine
    rel = ledger.month_file(now)
    tx.write(rel, ledger.appended(tx.read(rel), lines))
    local = now.astimezone()
    day = f"{paths.SESSIONS_DIR}/{local:%Y-%m-%d}.md"
    existing = tx.read(day)
    text = existing if existing is not None else f"# Sessions {local:%Y-%m-%d}\n"
    section = [f"## Runs folded {local:%H:%M}", ""] + [f"- {describe(line)}" for line in lines]
    tx.write(day, text.rstrip("\n") + "\n\n" + "\n".join(section) + "\n")
    output = sum(ledger.count(line, "output_tokens") for line in lines)
    ids = {line["session_id"] for line in lines}
    tx.message = f"runs {local:%Y-%m-%d}: {plural(len(ids), 'Claude Code session')}, {output:,} output tokens"
    tx.trailers = [("Claude-Session", f"{line['session_id']} {line['kind']}") for line in lines]


def describe(line: dict[str, Any]) -> str:
    """One ledger line for a person: whose, what kind, its tokens and cost."""
    sid = str(line.get("session_id"))
    what = {
        "tail": "after its log",
        "run": "run",
        "auto": "session (nobody logged it)",
        "session": "session",
    }.get(str(line.get("kind")), "run")
    if line.get("resumed"):
        what += ", resumed"
    how = f", {line['entrypoint']}" if line.get("entrypoint") else ""
    cost = ledger.money(line, "cost_usd")
    spent = money(cost) if cost is not None else "no price"
    client = ledger.money(line, "client_cost_usd")
    theirs = f" (Claude Code says {money(client)} for the whole session)" if client is not None else ""
    return (
        f"`{sid}` {what}{how}: {plural(ledger.count(line, 'exchanges'), 'API call')}, "
        f"{ledger.count(line, 'input_tokens'):,} input, {ledger.count(line, 'output_tokens'):,} output, "
        f"{ledger.count(line, 'cache_creation_input_tokens'):,} cache written, "
        f"{ledger.count(line, 'cache_read_input_tokens'):,} cache read; {spent}{theirs}"
    )


def close_idle(journal: Journal, claude_dirs: list[Path], now: datetime) -> None:
    """Open sessions whose transcript has not been written for a long while ended without their end
    hook (a killed terminal): leave their closings for the fold, and forget them."""
    for opened in state.all_open(journal.root):
        if opened.session_id is None or not live.ended(opened, now):
            continue
        observed = live.observe(claude_dirs, opened.session_id)
        if observed is not None:
            kind = "tail" if opened.logged else "run"
            state.add_pending(journal.root, closing(kind, observed, opened, now, journal.root), now)
        state.remove(journal.root, opened.session_id)


def fold_quietly(journal: Journal, claude_dirs: list[Path], now: datetime) -> str | None:
    """What a by-hand command does first: idle sessions closed, waiting closings folded; a problem
    here is a warning for the command to show, never its failure."""
    try:
        close_idle(journal, claude_dirs, now)
        apply_pending(journal, now)
    except BudgetError as exc:
        return f"the waiting session records were not written ({exc}); the next command tries again"
    except OSError as exc:
        return f"the waiting session records were not written ({exc.strerror}); the next command tries again"
    return None


def ended_sessions(records: Iterable[dict[str, Any]]) -> dict[str, datetime]:
    """When each session the ledger knows last ended."""
    ends: dict[str, datetime] = {}
    for record in records:
        sid, end = record.get("session_id"), parse_time(record.get("ended_at"))
        if isinstance(sid, str) and end is not None:
            ends[sid] = max(end, ends.get(sid, end))
    return ends
