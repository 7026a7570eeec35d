"""The `tokens` query: choose the files, total them, and the report it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.discover import (
    WHERE_HINT,
    Transcript,
    find_session,
    find_transcripts,
    newest_session,
    subagents_of,
)
from ai_budget.claude.transcripts.totals import Counts, by_model_totals, priced
from ai_budget.errors import InvalidInput


@dataclass
class Report:
    """What `ai-budget tokens` prints."""

    total: Counts
    by_model: dict[str, Counts]
    files: list[Path]
    unpriced_models: list[str]
    session_id: str | None = None
    session_file: Path | None = None
    since: datetime | None = None
    until: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document (the original keys first)."""
        data = self.total.as_dict()
        data["by_model"] = {m: c.as_dict() for m, c in sorted(self.by_model.items())}
        data["unpriced_models"] = self.unpriced_models
        data["session_id"] = self.session_id
        data["session_file"] = str(self.session_file) if self.session_file else None
        data["files"] = [str(p) for p in self.files]
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        data["warnings"] = self.warnings
        return data


def _session_files(
    chosen: Transcript, transcripts: list[Transcript], subagents: bool, index: Index
) -> list[Transcript]:
    """A chosen file, with its subagents when it is a session and they are wanted."""
    if subagents and chosen.is_session:
        return [chosen, *subagents_of(chosen, transcripts, index.scan)]
    return [chosen]


def _window_files(transcripts: list[Transcript], since: datetime | None, subagents: bool) -> list[Transcript]:
    """Every file that can hold entries since `since`, subagents left out when not wanted."""
    low = since.timestamp() if since else None
    # A file last written before the window starts cannot hold entries in it.
    files = [t for t in transcripts if low is None or t.mtime >= low]
    return files if subagents else [t for t in files if not t.is_agent]


def tokens(
    claude_dirs: list[Path],
    *,
    session: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_sessions: bool = False,
    subagents: bool = True,
    use_cache: bool = True,
    cwd: Path | None = None,
    index: Index | None = None,
) -> Report:
    """`ai-budget tokens`: a session's totals, or every entry in a time window (or of all time)."""
    index = index or Index(use_cache=use_cache)
    unreadable: list[str] = []
    transcripts = find_transcripts(claude_dirs, unreadable)
    if not transcripts:
        where = ", ".join(str(d / "projects") for d in claude_dirs) or "(no Claude dir)"
        raise InvalidInput(f"no Claude Code transcripts under {where}: {WHERE_HINT}")
    chosen: Transcript | None = None
    if session is not None:
        chosen = find_session(transcripts, session)
    elif since is None and until is None and not all_sessions:
        chosen = newest_session(transcripts, cwd or Path.cwd(), index.scan)
    if chosen is not None:
        files = _session_files(chosen, transcripts, subagents, index)
    else:
        files = _window_files(transcripts, since, subagents)
    index.prefetch(files)
    rows = by_model_totals(
        index, files, since.timestamp() if since else None, until.timestamp() if until else None
    )
    total, by_model, unpriced = priced(rows)
    index.save()
    session_id = None
    if chosen is not None:
        session_id = chosen.path.stem if chosen.is_session else index.scan(chosen.path).session_id
    return Report(
        total=total,
        by_model=by_model,
        files=sorted(t.path for t in files),
        unpriced_models=unpriced,
        session_id=session_id,
        session_file=chosen.path if chosen else None,
        since=since,
        until=until,
        warnings=_warnings(unreadable, sum(index.scan(t.path).skipped_lines for t in files)),
    )


def _warnings(unreadable: list[str], skipped_lines: int) -> list[str]:
    """One line each for what was not counted: files that could not be read, lines too long to be records."""
    found = []
    if unreadable:
        shown = ", ".join(unreadable[:3]) + (
            f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else ""
        )
        found.append(f"{len(unreadable)} transcript file(s) or folder(s) unreadable, not counted: {shown}")
    if skipped_lines:
        found.append(
            f"{skipped_lines} line(s) over 32 MB were skipped unread: no transcript record is that long"
        )
    return found
