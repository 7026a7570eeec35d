"""Find transcript files, and pick a session, its subagents, or the newest session."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISREG
from typing import NamedTuple

from ai_budget.claude.transcripts.scan import FileScan
from ai_budget.errors import InvalidInput

# What a file records about itself (session id, cwd): the index's cached scan of it.
Lookup = Callable[[Path], FileScan]

WHERE_HINT = "use Claude Code first, or point CLAUDE_CONFIG_DIR at its config folder"


class Transcript(NamedTuple):
    """A transcript file: a main session (`<uuid>.jsonl` in a project folder) or another file."""

    path: Path
    project: Path
    is_session: bool
    size: int
    mtime_ns: int

    @property
    def mtime(self) -> float:
        """Last write, in epoch seconds."""
        return self.mtime_ns / 1e9

    @property
    def is_agent(self) -> bool:
        """A subagent transcript (`agent-*.jsonl`, beside the sessions or under subagents/)."""
        return self.path.name.startswith("agent-")


def find_transcripts(claude_dirs: Iterable[Path], unreadable: list[str] | None = None) -> list[Transcript]:
    """Every regular `*.jsonl` under `<claude dir>/projects/` but journal.jsonl; lists the unreadable."""
    found: dict[tuple[int, int], Transcript] = {}
    missed = unreadable if unreadable is not None else []
    for claude_dir in claude_dirs:
        root = claude_dir / "projects"
        if not root.is_dir():
            continue
        for dirpath, _, filenames in os.walk(root, onerror=lambda err: missed.append(str(err.filename))):
            folder = Path(dirpath)
            depth = len(folder.relative_to(root).parts)
            project = folder if depth <= 1 else root / folder.relative_to(root).parts[0]
            for name in filenames:
                if not name.endswith(".jsonl") or name == "journal.jsonl":
                    continue
                path = folder / name
                try:
                    stat = os.stat(path)
                except OSError:
                    missed.append(str(path))
                    continue
                if not S_ISREG(stat.st_mode):
                    continue  # a FIFO, socket or device: reading it could hang or never end
                if not os.access(path, os.R_OK):
                    missed.append(str(path))
                    continue
                # The same file reached through two config dirs (a symlink) counts once.
                identity = (stat.st_dev, stat.st_ino)
                if identity not in found:
                    is_session = depth == 1 and not name.startswith("agent-")
                    found[identity] = Transcript(path, project, is_session, stat.st_size, stat.st_mtime_ns)
    return list(found.values())


def project_name(cwd: str) -> str:
    """Claude Code's folder name for a working directory: every non-alphanumeric becomes '-'."""
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


def _matches_dir(project: Path, folder: str) -> bool:
    """Whether a project folder is Claude Code's name for `folder`."""
    name = project_name(folder)
    if len(name) > 200:  # long names are cut to 200 characters plus a hash
        return project.name.startswith(name[:200])
    return project.name == name


def newest_session(transcripts: list[Transcript], cwd: Path, lookup: Lookup) -> Transcript:
    """The newest session of the project of `cwd` (or a parent of it), else the newest anywhere."""
    sessions = [t for t in transcripts if t.is_session]
    if not sessions:
        raise InvalidInput(f"no Claude Code sessions found: {WHERE_HINT}")
    for folder in (cwd, *cwd.parents):
        mine = [t for t in sessions if _matches_dir(t.project, str(folder))]
        # The folder name is lossy; the cwd recorded inside the transcript decides.
        mine = [t for t in mine if lookup(t.path).cwd in (None, str(folder))]
        if mine:
            return max(mine, key=lambda t: t.mtime)
        if folder == folder.parent:
            break
    return max(sessions, key=lambda t: t.mtime)


def find_session(transcripts: list[Transcript], selector: str) -> Transcript:
    """A session by file path, full id, or unique id prefix."""
    path = Path(selector).expanduser()
    if path.suffix == ".jsonl" or os.sep in selector:
        if not path.is_file():
            raise InvalidInput(f"no transcript file at {path}")
        stat = path.stat()
        for t in transcripts:
            if os.path.samefile(t.path, path):
                return t
        return Transcript(
            path.absolute(),
            path.absolute().parent,
            not path.name.startswith("agent-"),
            stat.st_size,
            stat.st_mtime_ns,
        )
    exact = [t for t in transcripts if t.is_session and t.path.stem == selector]
    if exact:
        return max(exact, key=lambda t: t.mtime)
    prefixed = [t for t in transcripts if t.is_session and t.path.stem.startswith(selector)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise InvalidInput(
            f"session id prefix {selector!r} matches {len(prefixed)} sessions: give more of it"
        )
    raise InvalidInput(f"no session {selector!r} found: `ai-budget tokens --list` lists them, newest first")


def subagents_of(session: Transcript, transcripts: list[Transcript], lookup: Lookup) -> list[Transcript]:
    """Subagent files of a session, attributed by the sessionId inside them, never by name."""
    session_id = session.path.stem
    return [
        t
        for t in transcripts
        if t.path != session.path
        and not t.is_session
        and t.project == session.project
        and lookup(t.path).session_id == session_id
    ]
