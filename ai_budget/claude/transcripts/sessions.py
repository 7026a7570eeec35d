"""The sessions there are, newest first, each with its calls, output tokens and cost (`tokens --list`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.discover import Transcript, find_transcripts, subagents_of
from ai_budget.claude.transcripts.totals import by_model_totals, priced


@dataclass(frozen=True)
class SessionRow:
    """One session: its id, project, last write, and what it spent (subagents included)."""

    session_id: str
    project: str
    last_write: datetime
    exchanges: int
    output_tokens: int
    cost: float | None
    subagents: int

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "session_id": self.session_id,
            "project": self.project,
            "last_write": self.last_write.isoformat(),
            "exchanges": self.exchanges,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost,
            "subagents": self.subagents,
        }


def list_sessions(
    claude_dirs: list[Path], since: datetime | None = None, index: Index | None = None
) -> list[SessionRow]:
    """Every session (a top-level `<id>.jsonl`) last written since `since`, newest first."""
    index = index or Index()
    transcripts = find_transcripts(claude_dirs)
    sessions = [t for t in transcripts if t.is_session and (since is None or t.mtime >= since.timestamp())]
    rows = [_row(t, transcripts, index) for t in sorted(sessions, key=lambda t: t.mtime, reverse=True)]
    index.save()
    return rows


def _row(session: Transcript, transcripts: list[Transcript], index: Index) -> SessionRow:
    agents = subagents_of(session, transcripts, index.scan)
    total, _, _ = priced(by_model_totals(index, [session, *agents], None, None))
    return SessionRow(
        session_id=session.path.stem,
        project=session.project.name,
        last_write=datetime.fromtimestamp(session.mtime, timezone.utc),
        exchanges=total.exchanges,
        output_tokens=total.output_tokens,
        cost=float(round(total.cost, 6)) if total.cost is not None else None,
        subagents=len(agents),
    )
