"""`ai-budget sessions`: every Claude Code session the journal knows, summed over its ledger lines, with
the open ones and the closings still waiting for the journal."""

from __future__ import annotations

from typing import Any

from ai_budget.journal import machine
from ai_budget.journal.journal import Journal
from ai_budget.session import ledger, live, state
from ai_budget.timeutil import parse_time

FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


def _blank(session_id: str | None) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "started_at": None,
        "ended_at": None,
        "state": "ended",
        "entrypoint": None,
        "records": 0,
        "kinds": [],
        "calls": 0,
        **dict.fromkeys(FIELDS, 0),
        "cost_usd": None,
        "client_cost_usd": None,
        "pending": False,
        "machine": None,  # the machine it ran on (its ledger lines say; an open or waiting one: this one)
    }


def _earliest(a: str | None, b: Any) -> str | None:
    if not isinstance(b, str) or parse_time(b) is None:
        return a
    return b if a is None or parse_time(b) < parse_time(a) else a  # type: ignore[operator]


def _latest(a: str | None, b: Any) -> str | None:
    if not isinstance(b, str) or parse_time(b) is None:
        return a
    return b if a is None or parse_time(b) > parse_time(a) else a  # type: ignore[operator]


def _add(row: dict[str, Any], line: dict[str, Any]) -> None:
    """One ledger line into its session's row."""
    row["records"] += 1
    row["kinds"].append(line.get("kind"))
    row["calls"] += ledger.count(line, "exchanges")
    for name in FIELDS:
        row[name] += ledger.count(line, name)
    cost = ledger.money(line, "cost_usd")
    if cost is not None:
        row["cost_usd"] = round((row["cost_usd"] or 0) + float(cost), 6)
    client = ledger.money(line, "client_cost_usd")
    if client is not None:
        row["client_cost_usd"] = float(client)
    row["started_at"] = _earliest(row["started_at"], line.get("started_at"))
    row["ended_at"] = _latest(row["ended_at"], line.get("ended_at"))
    row["entrypoint"] = row["entrypoint"] or line.get("entrypoint")
    row["machine"] = row["machine"] or (line.get("machine") if isinstance(line.get("machine"), str) else None)
    row["state"] = "logged" if line.get("kind") == "session" else "ended"


def journal_sessions(journal: Journal) -> list[dict[str, Any]]:
    """Every session, newest first: the ledger's lines summed, then what is waiting and what is open."""
    root = journal.root
    here = machine.name(journal.repo.config_path)
    records = ledger.read_all(root)
    rows: dict[str | None, dict[str, Any]] = {}
    for line in records:
        sid = line.get("session_id") if isinstance(line.get("session_id"), str) else None
        _add(rows.setdefault(sid, _blank(sid)), line)
    for _, waiting in state.pending(root):
        sid = waiting.get("session_id")
        if not isinstance(sid, str):
            continue
        new = live.increment(waiting.get("observed") or {}, ledger.session_sums(records, sid))
        if new is not None:
            row = rows.setdefault(sid, _blank(sid))
            _add(row, {**waiting, **new, "machine": here})
            row["pending"] = True
    for opened in state.all_open(root):
        row = rows.setdefault(opened.session_id, _blank(opened.session_id))
        row["state"] = "open"
        row["machine"] = row["machine"] or here
        row["started_at"] = _earliest(row["started_at"], opened.opened_at.isoformat())
        row["entrypoint"] = row["entrypoint"] or opened.entrypoint
    return sorted(rows.values(), key=lambda r: r["ended_at"] or r["started_at"] or "", reverse=True)
