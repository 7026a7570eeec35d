"""The sessions there are, newest first, each with its calls, output tokens and cost (`tokens --list`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.chains import Session, Split, group_sessions, split
from ai_budget.claude.transcripts.report import all_transcripts
from ai_budget.claude.transcripts.totals import Counts, priced


def _iso(moment: datetime | None) -> str | None:
    """ISO text of a moment, or None."""
    return moment.isoformat() if moment is not None else None


@dataclass(frozen=True)
class SessionRow:
    """One session: id, project, its own first and last message, what it spent itself (subagents included)."""

    session_id: str
    project: str
    first_time: datetime | None
    last_time: datetime | None
    last_write: datetime
    counts: Counts
    subagents: int
    main_file_missing: bool = False
    inherited: Counts = field(default_factory=Counts)  # copies of earlier sessions' messages
    inherited_from: tuple[str, ...] = ()

    @property
    def exchanges(self) -> int:
        """API calls of its own."""
        return self.counts.exchanges

    @property
    def output_tokens(self) -> int:
        """Output tokens of its own."""
        return self.counts.output_tokens

    @property
    def cost(self) -> float | None:
        """Its own API-equivalent cost in dollars; None when none of its models has a price."""
        return float(round(self.counts.cost, 6)) if self.counts.cost is not None else None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "session_id": self.session_id,
            "project": self.project,
            "first_time": _iso(self.first_time),
            "last_time": _iso(self.last_time),
            "last_write": self.last_write.isoformat(),
            "exchanges": self.exchanges,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost,
            "cost_is_lower_bound": self.counts.cost_is_lower_bound,
            "unpriced_models": list(self.counts.unpriced),
            "subagents": self.subagents,
            "main_file_missing": self.main_file_missing,
            "inherited_exchanges": self.inherited.exchanges,
            "inherited_output_tokens": self.inherited.output_tokens,
            "inherited_from": list(self.inherited_from),
        }


def list_sessions(
    claude_dirs: list[Path],
    since: datetime | None = None,
    index: Index | None = None,
    until: datetime | None = None,
    subagents: bool = True,
    unreadable: list[str] | None = None,
) -> list[SessionRow]:
    """Every session active in [since, until) by its own messages (else its last write), newest first."""
    # Owners of shared messages are decided over every session, so a resumed session's
    # history is counted where it first appeared whatever the listing shows.
    index = index or Index()
    transcripts = [t for t in all_transcripts(claude_dirs, unreadable) if subagents or not t.is_agent]
    index.prefetch(transcripts)
    sessions = group_sessions(transcripts, index.scan)
    parts = split(index, sessions)
    rows = [_row(s, parts[s], index) for s in sessions]
    index.save()
    low = since.timestamp() if since else None
    high = until.timestamp() if until else None
    rows = [r for r in rows if (low is None or _latest(r) >= low) and (high is None or _earliest(r) < high)]
    return sorted(rows, key=lambda r: (_latest(r), r.session_id), reverse=True)


def _earliest(row: SessionRow) -> float:
    """Its first message, else its last write, in epoch seconds."""
    return (row.first_time or row.last_write).timestamp()


def _latest(row: SessionRow) -> float:
    """Its last message, else its last write, in epoch seconds."""
    return (row.last_time or row.last_write).timestamp()


def _row(s: Session, part: Split, index: Index) -> SessionRow:
    """One session's row from its share of the messages."""
    first, last = part.first, part.last
    if first is None or last is None:  # nothing of its own (a copy, or undated): what its files hold
        scans = [index.scan(t.path) for t in s.files]
        first = min((x.first_ts for x in scans if x.first_ts is not None), default=None)
        last = max((x.last_ts for x in scans if x.last_ts is not None), default=None)
    return SessionRow(
        session_id=s.session_id,
        project=s.project.name,
        first_time=datetime.fromtimestamp(first, timezone.utc) if first is not None else None,
        last_time=datetime.fromtimestamp(last, timezone.utc) if last is not None else None,
        last_write=datetime.fromtimestamp(s.mtime, timezone.utc),
        counts=priced(part.own)[0],
        subagents=len(s.agents),
        main_file_missing=s.main is None,
        inherited=priced(part.inherited)[0],
        inherited_from=tuple(sorted(part.inherited_from)),
    )
