"""Which Claude Code session a command belongs to, what its transcript holds, and what is new of it.

The rule that keeps every token once: a session's transcript is the truth, the ledger holds what was
already recorded of it, and a new record takes only the difference (`increment`). Repeating a closing,
resuming a session, or a tail after `/budget-log` can therefore neither lose nor double a token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ai_budget.claude import transcripts
from ai_budget.claude.transcripts.discover import Transcript
from ai_budget.errors import BudgetError
from ai_budget.session import state
from ai_budget.session.active import (  # noqa: F401 (the finding of live sessions, light, lives there)
    ACTIVE,
    IDLE_OVER,
    SessionFile,
    ended,
    newest_active,
    resolve,
    session_files,
    transcript_written,
)
from ai_budget.session.ledger import COUNT_FIELDS
from ai_budget.timeutil import parse_time

if TYPE_CHECKING:
    from ai_budget.journal.samples import Span

# What a person would not call a session: a run Claude Code's SDK or `claude -p` made, or one that
# lasted under SHORT_SPAN with at most SHORT_CALLS responses. Folded into the day's record.
SHORT_SPAN = timedelta(minutes=2)
SHORT_CALLS = 5
HEAD_BYTES = 65536  # where the entrypoint is looked for: the first lines of a transcript


@dataclass
class Observed:
    """A session's own totals in its transcript now (main file and subagents, nothing inherited)."""

    session_id: str
    counts: dict[str, int]
    cost: Decimal | None
    unpriced: list[str]
    first: datetime | None
    last: datetime | None
    transcript: Path | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.counts,
            "cost_usd": round(float(self.cost), 6) if self.cost is not None else None,
            "unpriced_models": self.unpriced,
            "first_time": self.first.isoformat() if self.first else None,
            "last_time": self.last.isoformat() if self.last else None,
        }


def observe(
    claude_dirs: list[Path],
    session_id: str,
    index: transcripts.Index | None = None,
    since: datetime | None = None,
    listing: tuple[list[Transcript], list[str]] | None = None,
) -> Observed | None:
    """The session's own counts (from `since` when given), or None when no transcript of it is found."""
    try:
        report = transcripts.tokens(
            claude_dirs, session=session_id, since=since, index=index, listing=listing
        )
    except BudgetError:
        return None
    return observed_in(report, session_id, index)


def observed_in(
    report: transcripts.Report, session_id: str, index: transcripts.Index | None = None
) -> Observed | None:
    """A session's report (`tokens --session`) as what the ledger compares against; None when the
    report is of another session (a prefix of another id is not this one)."""
    if report.session_id != session_id:
        return None
    total = report.total
    stamps = [scan_times(index, p) for p in report.files]
    firsts = [f for f, _ in stamps if f is not None]
    lasts = [t for _, t in stamps if t is not None]
    first, last = (min(firsts) if firsts else None), (max(lasts) if lasts else None)
    return Observed(
        session_id,
        {name: int(getattr(total, name)) for name in COUNT_FIELDS},
        total.cost,
        list(report.unpriced_models),
        first,
        last,
        report.session_file,
    )


def scan_times(index: transcripts.Index | None, path: Path) -> tuple[datetime | None, datetime | None]:
    """A file's first and last dated line (from the per-file scan the totals were made from)."""
    scan = (index or transcripts.Index()).scan(path)
    first = datetime.fromtimestamp(scan.first_ts, timezone.utc) if scan.first_ts is not None else None
    last = datetime.fromtimestamp(scan.last_ts, timezone.utc) if scan.last_ts is not None else None
    return first, last


def increment(observed: dict[str, Any], sums: dict[str, Any]) -> dict[str, Any] | None:
    """What the transcript holds beyond what the ledger has: per count, never below zero; None if nothing."""
    new: dict[str, Any] = {
        name: max(0, int(observed.get(name) or 0) - int(sums.get(name) or 0)) for name in COUNT_FIELDS
    }
    if not any(new.values()):
        return None
    cost, had = observed.get("cost_usd"), sums.get("cost_usd")
    if cost is None:
        new["cost_usd"] = None
    else:
        new["cost_usd"] = round(max(0.0, float(cost) - float(had or 0)), 6)
    return new


def entrypoint_of(transcript: Path | None) -> str | None:
    """How the session was started (`cli`, `sdk-cli`, …) as its transcript's first lines say."""
    if transcript is None:
        return None
    try:
        with open(transcript, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    for raw in head.splitlines():
        if b'"entrypoint"' not in raw:
            continue
        try:
            value = orjson.loads(raw).get("entrypoint")
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if isinstance(value, str) and value:
            return value[:32]
    return None


def is_short(entrypoint: str | None, observed: Observed | None) -> bool:
    """Whether a session nobody logged is a run for the day's record rather than a session of its own."""
    if entrypoint is not None and entrypoint.startswith("sdk"):
        return True
    if observed is None:
        return True
    span = (observed.last - observed.first) if observed.first and observed.last else timedelta(0)
    return span < SHORT_SPAN and observed.counts.get("exchanges", 0) <= SHORT_CALLS


def _label(name: str, machine: str | None, here: str) -> str:
    """How a session that shared the window is named: its id (or what stands for one), with its machine
    when it ran on another (one word: labels are joined by spaces in a trailer)."""
    word = "-".join(name.split())
    return word if machine in (None, here) else f"{machine}:{word}"


def overlapping(
    root: Path,
    session_id: str | None,
    since: datetime,
    now: datetime,
    records: list[dict[str, Any]],
    logged: Iterable[Span] = (),
    here: str = "",
) -> list[str]:
    """Other sessions that ran during [since, now]: the 5-hour window is the account's, so they shared it.
    Open ones here, the ledger's lines (every machine's, once synced) and other machines' session
    commits (`logged`: a session logged there in a terminal has no ledger line; `here`: this machine,
    whose terminal sessions run one after another, each measured from the last one's reading)."""
    found = set()
    for other in state.all_open(root):
        if other.session_id == session_id:
            continue
        written = transcript_written(other)
        if other.opened_at <= now and (written is None or written >= since):
            found.add(other.session_id or state.TERMINAL)
    for record in records:
        sid, who = record.get("session_id"), record.get("machine")
        if sid == session_id and who in (None, here):
            continue
        start, end = parse_time(record.get("started_at")), parse_time(record.get("ended_at"))
        if start is not None and end is not None and start < now and end > since:
            name = sid if isinstance(sid, str) else "terminal session"
            found.add(_label(name, who if isinstance(who, str) else None, here))
    for span in logged:
        if span.machine != here and span.start < now and span.end > since:
            found.add(_label(span.label, span.machine, here))
    return sorted(found)
