"""Which Claude Code session is live: the one a by-hand command belongs to, the newest active transcript,
an open session idle past its end. Light (stat calls, no transcript reading, no pydantic): `check`'s
fast path asks it too; session.live has the rest (what a session's transcripts say)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, NamedTuple

from ai_budget import paths
from ai_budget.session import state
from ai_budget.session.state import OpenSession

if TYPE_CHECKING:  # only its attributes are read: importing the transcripts package costs `check`
    from ai_budget.claude.transcripts.discover import Transcript

ACTIVE = timedelta(minutes=30)  # a transcript written this recently belongs to a session still running
IDLE_OVER = timedelta(hours=2)  # an open session unwritten this long has ended (its end hook never ran)


def newest_active(
    claude_dirs: list[Path], now: datetime, cwd: Path, listed: list[Transcript] | None = None
) -> str | None:
    """The session of the newest transcript written in the last ACTIVE minutes (this folder's first).
    `listed`: the command's `find_transcripts`, when it made one (its sessions are `session_files`')."""
    cutoff = (now - ACTIVE).timestamp()
    if listed is None:
        recent = [found for found in session_files(claude_dirs) if found.mtime_ns / 1e9 >= cutoff]
    else:  # only the recent few get their names taken apart
        recent = [
            SessionFile(t.project.name, t.path.stem, t.mtime_ns)
            for t in listed
            if t.is_session and t.mtime_ns / 1e9 >= cutoff
        ]
    if not recent:
        return None
    name = paths.claude_project(str(cwd))
    here = [found for found in recent if paths.same_project(found.project, name)]
    return max(here or recent, key=lambda found: found.mtime_ns).session_id


class SessionFile(NamedTuple):
    """A session's main transcript: its project folder's name, the session id, its last write."""

    project: str
    session_id: str
    mtime_ns: int


def session_files(claude_dirs: list[Path]) -> list[SessionFile]:
    """The session transcripts `find_transcripts` lists (`is_session`), in its order, by the same rules
    (regular, readable, a file reached twice counted once, linked folders not entered), without
    listing the subagents' folders or making a Path per file: `check` and `log` look for the newest
    session at every run, in trees of thousands of files."""
    found: list[SessionFile] = []
    seen: set[tuple[int, int]] = set()
    for claude_dir in claude_dirs:
        root = claude_dir / "projects"
        if root.is_dir():
            for project in _entries(str(root)):
                if _is_dir(project) and not project.is_symlink():
                    found += _sessions_in(project, seen)
    return found


def _sessions_in(project: os.DirEntry[str], seen: set[tuple[int, int]]) -> list[SessionFile]:
    found = []
    for entry in _entries(project.path):
        name = entry.name
        if not name.endswith(".jsonl") or name == "journal.jsonl" or name.startswith("agent-"):
            continue
        if _is_dir(entry):
            continue
        try:
            stat = entry.stat()
        except OSError:
            continue
        identity = (stat.st_dev, stat.st_ino)
        if S_ISREG(stat.st_mode) and identity not in seen and os.access(entry.path, os.R_OK):
            seen.add(identity)
            found.append(SessionFile(project.name, name[: -len(".jsonl")], stat.st_mtime_ns))
    return found


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def resolve(
    root: Path,
    claude_dirs: list[Path],
    now: datetime,
    cwd: Path | None = None,
    listed: list[Transcript] | None = None,
) -> str | None:
    """The session a by-hand command belongs to: Claude Code's id when it runs the command, else the
    newest active transcript's (an open one first), else None (a session in a terminal). `listed`: the
    command's `find_transcripts`, when it made one (no second look at the folders)."""
    sid = state.current_session_id()
    if sid is not None:
        return sid
    if state.load(root, None) is not None:
        return None  # a terminal session was opened by `check`: `log` closes that one
    return newest_active(claude_dirs, now, cwd or Path.cwd(), listed)


def ended(session: OpenSession, now: datetime) -> bool:
    """An open session (of Claude Code's) whose transcript has not been written for IDLE_OVER, or that
    names none and opened that long ago: it ended without its end hook, and a by-hand command closes it."""
    if session.session_id is None:
        return False
    return now - (transcript_written(session) or session.opened_at) >= IDLE_OVER


def transcript_written(session: OpenSession) -> datetime | None:
    """When an open session's transcript was last written, if it names one that exists."""
    if session.transcript_path is None:
        return None
    try:
        return datetime.fromtimestamp(Path(session.transcript_path).stat().st_mtime, timezone.utc)
    except (OSError, ValueError):
        return None
