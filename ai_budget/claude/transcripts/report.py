"""The `tokens` query: choose the files, total them, and the report it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.chains import Session, of_main, related, select, split
from ai_budget.claude.transcripts.discover import (
    WHERE_HINT,
    Transcript,
    find_transcripts,
    newest_session,
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
    # A session's copies of messages that first appeared in an earlier session (a resume
    # chain): not in `total`. None for a time window.
    inherited: Counts | None = None
    inherited_from: list[str] = field(default_factory=list)
    main_file_missing: bool = False

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
        data["inherited"] = self.inherited.as_dict() if self.inherited is not None else None
        data["inherited_from"] = self.inherited_from
        data["main_file_missing"] = self.main_file_missing
        return data


def window_files(transcripts: list[Transcript], since: datetime | None, subagents: bool) -> list[Transcript]:
    """Every file that can hold entries since `since`, subagents left out when not wanted."""
    low = since.timestamp() if since else None
    # A file last written before the window starts cannot hold entries in it.
    files = [t for t in transcripts if low is None or t.mtime >= low]
    return files if subagents else [t for t in files if not t.is_agent]


def all_transcripts(
    claude_dirs: list[Path], unreadable: list[str] | None = None, listed: list[Transcript] | None = None
) -> list[Transcript]:
    """Every transcript file (`listed` when the caller has them), or a clear error when there is none."""
    transcripts = find_transcripts(claude_dirs, unreadable) if listed is None else listed
    if not transcripts:
        where = ", ".join(str(d / "projects") for d in claude_dirs) or "(no Claude dir)"
        raise InvalidInput(f"no Claude Code transcripts under {where}: {WHERE_HINT}")
    return transcripts


def _stamp(moment: datetime | None) -> float | None:
    """Epoch seconds of a moment, or None."""
    return moment.timestamp() if moment is not None else None


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
    listing: tuple[list[Transcript], list[str]] | None = None,
) -> Report:
    """`ai-budget tokens`: a session's totals, or every entry in a time window (or of all time)."""
    # `listing`: a `find_transcripts` (and its unreadable paths) the caller made in the same command.
    index = index or Index(use_cache=use_cache)
    unreadable: list[str] = list(listing[1]) if listing is not None else []
    transcripts = all_transcripts(claude_dirs, unreadable, listing[0] if listing is not None else None)
    chosen: Session | Transcript | None = None
    if session is not None:
        chosen = select(transcripts, session, index.scan, subagents)
    elif since is None and until is None and not all_sessions:
        main = newest_session(transcripts, cwd or Path.cwd(), index.scan)
        chosen = of_main(main, transcripts, index.scan, subagents)
    if isinstance(chosen, Session):
        report = _session_report(index, chosen, transcripts, subagents, (since, until))
    else:
        files = [chosen] if chosen is not None else window_files(transcripts, since, subagents)
        index.prefetch(files)
        total, by_model, unpriced = priced(by_model_totals(index, files, _stamp(since), _stamp(until)))
        report = Report(total, by_model, sorted(t.path for t in files), unpriced, since=since, until=until)
        if chosen is not None:
            report.session_file = chosen.path
            report.session_id = index.scan(chosen.path).session_id
    index.save()
    skipped = sum(index.scan(p).skipped_lines for p in report.files)
    report.warnings = warnings(unreadable, skipped)
    return report


def _session_report(
    index: Index,
    chosen: Session,
    transcripts: list[Transcript],
    subagents: bool,
    window: tuple[datetime | None, datetime | None],
) -> Report:
    """One session's own totals, and apart from them what it holds of earlier sessions."""
    since, until = window
    index.prefetch(chosen.files)
    others = related(chosen, transcripts, index.scan, subagents)
    index.prefetch([t for s in others for t in s.files])
    part = split(index, [chosen, *others], _stamp(since), _stamp(until))[chosen]
    total, by_model, unpriced = priced(part.own)
    inherited, _, _ = priced(part.inherited)
    return Report(
        total,
        by_model,
        sorted(t.path for t in chosen.files),
        unpriced,
        session_id=chosen.session_id,
        session_file=chosen.main.path if chosen.main is not None else None,
        since=since,
        until=until,
        inherited=inherited,
        inherited_from=sorted(part.inherited_from),
        main_file_missing=chosen.main is None,
    )


def warnings(unreadable: list[str], skipped_lines: int = 0) -> list[str]:
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
