"""The session ledger: one JSON line per recorded piece of a Claude Code session, in git.

`sessions/ledger/YYYY-MM.jsonl` (the local month the line was recorded in). A line holds what was new
in that session since its previous line (its `exchanges`, tokens and cost), so the lines of one session
add up to what its transcript holds: a log, then its tail at the session's end, then a resume and its
log, each counted once. Lines are only ever appended, which is what keeps two writers (or two
machines) from touching the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.claude.transcripts.records import Row
from ai_budget.journal.records import read_lines
from ai_budget.jsonio import record_line

LEDGER_DIR = paths.LEDGER_DIR
COUNT_FIELDS = Row._fields  # exchanges, input_tokens, output_tokens, cache reads and writes, web tools
KINDS = ("session", "auto", "tail", "run")  # by `log`, by the session-end hook, after a log, a short run


def month_file(moment: datetime) -> str:
    """The ledger file (journal-relative) for a line recorded at `moment` (local month)."""
    return f"{LEDGER_DIR}/{moment.astimezone():%Y-%m}.jsonl"


def line(record: dict[str, Any]) -> str:
    """One ledger line (keys sorted, so a line reads the same wherever it was written)."""
    return record_line(record)


def appended(existing: str | None, records: Iterable[dict[str, Any]]) -> str:
    """A ledger file's text with lines added at the end (a missing final newline is mended)."""
    text = existing or ""
    if text and not text.endswith("\n"):
        text += "\n"
    return text + "".join(line(r) for r in records)


def read_all(root: Path) -> list[dict[str, Any]]:
    """Every ledger line of the journal, oldest file first; a line that is not a JSON object is skipped."""
    return read_lines(root / LEDGER_DIR)


def count(record: dict[str, Any], name: str) -> int:
    """A count field of a line (0 when missing or not a whole number)."""
    value = record.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def money(record: dict[str, Any], name: str) -> Decimal | None:
    """A dollar field of a line, or None."""
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return Decimal(str(value))


def session_sums(records: Iterable[dict[str, Any]], session_id: str | None) -> dict[str, Any]:
    """What the ledger holds for one session: each count summed, the cost summed (None if never priced)."""
    sums: dict[str, Any] = dict.fromkeys(COUNT_FIELDS, 0)
    cost: Decimal | None = None
    for record in records:
        if record.get("session_id") != session_id:
            continue
        for name in COUNT_FIELDS:
            sums[name] += count(record, name)
        spent = money(record, "cost_usd")
        if spent is not None:
            cost = (cost or Decimal(0)) + spent
    sums["cost_usd"] = cost
    return sums


def known_ids(records: Iterable[dict[str, Any]]) -> set[str]:
    """The session ids the ledger names."""
    return {r["session_id"] for r in records if isinstance(r.get("session_id"), str)}
