"""Find transcript files, and pick a session, its subagents, or the newest session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISREG

from ai_budget import paths
from ai_budget.claude.transcripts.scan import FileScan
from ai_budget.errors import InvalidInput

# What a file records about itself (session id, cwd): the index's cached scan of it.
Lookup = Callable[[Path], FileScan]

WHERE_HINT = "use Claude Code first, or point CLAUDE_CONFIG_DIR at its config folder"
LIST_HINT = "`ai-budget tokens --list` lists them, newest first"


class Transcript:
    """A transcript file: a main session (`<uuid>.jsonl` in a project folder) or another file."""

    __slots__ = ("_path", "file", "is_session", "mtime_ns", "project", "size")

    def __init__(self, path: Path | str, project: Path, is_session: bool, size: int, mtime_ns: int):
        # A listing keeps the path as text and makes its Path when asked: of the thousands of files
        # listed at every `check` and `log`, only a few are ever opened.
        self.file = str(path)
        self._path = path if isinstance(path, Path) else None
        self.project = project
        self.is_session = is_session
        self.size = size
        self.mtime_ns = mtime_ns

    def __repr__(self) -> str:
        return f"Transcript({self.file!r}, session={self.is_session}, size={self.size})"

    @property
    def path(self) -> Path:
        """The file."""
        if self._path is None:
            self._path = Path(self.file)
        return self._path

    @property
    def mtime(self) -> float:
        """Last write, in epoch seconds."""
        return self.mtime_ns / 1e9

    @property
    def is_agent(self) -> bool:
        """A subagent transcript (`agent-*.jsonl`, beside the sessions or under subagents/)."""
        return os.path.basename(self.file).startswith("agent-")


def find_transcripts(claude_dirs: Iterable[Path], unreadable: list[str] | None = None) -> list[Transcript]:
    """Every regular `*.jsonl` under `<claude dir>/projects/` but journal.jsonl; lists the unreadable."""
    found: dict[tuple[int, int], Transcript] = {}
    missed = unreadable if unreadable is not None else []
    for claude_dir in claude_dirs:
        root = claude_dir / "projects"
        if root.is_dir():
            _walk(str(root), 0, root, found, missed)
    return list(found.values())


def _walk(
    folder: str, depth: int, project: Path, found: dict[tuple[int, int], Transcript], missed: list[str]
) -> None:
    """One folder's transcripts, then its subfolders': os.walk's order and rules, with os.scandir."""
    # os.scandir, and paths kept as text (a Path per project folder only): thousands of files make
    # os.walk's joins and pathlib's parsing count.
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError as err:
        missed.append(str(err.filename))
        return
    if depth == 1:
        project = Path(folder)  # below a project folder, files belong to it
    subfolders = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not entry.is_symlink():  # like os.walk: a linked folder is not entered
                subfolders.append(entry.name)
            continue
        name = entry.name
        if not name.endswith(".jsonl") or name == "journal.jsonl":
            continue
        try:
            stat = entry.stat()  # follows a symlink, as os.stat does
        except OSError:
            missed.append(entry.path)
            continue
        if not S_ISREG(stat.st_mode):
            continue  # a FIFO, socket or device: reading it could hang or never end
        if not os.access(entry.path, os.R_OK):
            missed.append(entry.path)
            continue
        # The same file reached through two config dirs (a symlink) counts once.
        identity = (stat.st_dev, stat.st_ino)
        if identity not in found:
            is_session = depth == 1 and not name.startswith("agent-")
            found[identity] = Transcript(entry.path, project, is_session, stat.st_size, stat.st_mtime_ns)
    for sub in subfolders:
        _walk(os.path.join(folder, sub), depth + 1, project, found, missed)


def transcript_stats(claude_dirs: Iterable[Path]) -> dict[str, tuple[int, int]] | None:
    """Each transcript's (size, mtime_ns) by path, as listed by find_transcripts; None if unreadable."""
    # No Path objects and no access checks: this only answers "has anything changed?", cheaply.
    found: dict[str, tuple[int, int]] = {}
    seen: set[tuple[int, int]] = set()
    stack = [str(d / "projects") for d in claude_dirs if (d / "projects").is_dir()]
    stack.reverse()
    while stack:  # depth first, as _walk: which path of a doubly listed file counts is the same
        try:
            with os.scandir(stack.pop()) as listing:
                entries = list(listing)
            subfolders = []
            for entry in entries:
                name = entry.name
                if entry.is_dir():
                    if not entry.is_symlink():
                        subfolders.append(entry.path)
                elif name.endswith(".jsonl") and name != "journal.jsonl":
                    stat = entry.stat()
                    if S_ISREG(stat.st_mode) and (stat.st_dev, stat.st_ino) not in seen:
                        seen.add((stat.st_dev, stat.st_ino))
                        found[entry.path] = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            return None  # the full listing says what cannot be read
        stack.extend(reversed(subfolders))
    return found


def newest_session(transcripts: list[Transcript], cwd: Path, lookup: Lookup) -> Transcript:
    """The newest session of the project of `cwd` (or a parent of it), else the newest anywhere."""
    sessions = [t for t in transcripts if t.is_session]
    if not sessions:
        raise InvalidInput(f"no Claude Code sessions found: {WHERE_HINT}")
    named = [(t.project.name, t) for t in sessions]  # each name once: thousands of sessions, many folders
    for folder in (cwd, *cwd.parents):
        name = paths.claude_project(str(folder))
        mine = [t for project, t in named if paths.same_project(project, name)]
        # The folder name is lossy; the cwd recorded inside the transcript decides.
        mine = [t for t in mine if lookup(t.path).cwd in (None, str(folder))]
        if mine:
            return max(mine, key=lambda t: t.mtime)
        if folder == folder.parent:
            break
    return max(sessions, key=lambda t: t.mtime)


def looks_like_path(selector: str) -> bool:
    """Whether a --session value names a file rather than a session id."""
    return selector.endswith(".jsonl") or os.sep in selector


def find_session(transcripts: list[Transcript], selector: str) -> Transcript:
    """A session by file path, full id, or unique id prefix."""
    path = Path(selector).expanduser()
    if not selector.strip():
        raise InvalidInput(f"--session needs a session id or a .jsonl file: {LIST_HINT}")
    if looks_like_path(selector):
        if not path.exists():
            raise InvalidInput(f"no file at {path}: give a transcript (.jsonl) or a session id ({LIST_HINT})")
        if not path.is_file() or path.suffix != ".jsonl":
            kind = "a regular file" if not path.is_file() else "a transcript (.jsonl)"
            raise InvalidInput(
                f"{path} is not {kind}: give a transcript (.jsonl) or a session id ({LIST_HINT})"
            )
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
        raise ambiguous(selector, [t.path.stem for t in prefixed])
    raise InvalidInput(f"no session {selector!r} found: {LIST_HINT}")


def ambiguous(selector: str, ids: list[str]) -> InvalidInput:
    """The error for a prefix of several session ids, naming a few of them."""
    shown = ", ".join(sorted(ids)[:3]) + (", …" if len(ids) > 3 else "")
    return InvalidInput(
        f"session id prefix {selector!r} matches {len(ids)} sessions ({shown}): give more of it"
    )


def session_of(t: Transcript, lookup: Lookup) -> str:
    """The session a file belongs to: a main file's own id, else the sessionId inside it."""
    # Without a sessionId inside (no records yet), a file under `<session>/subagents/` is
    # that folder's; a sibling `agent-*.jsonl` is a session of its own name.
    if t.is_session:
        return t.path.stem
    found = lookup(t.path).session_id
    if found:
        return found
    parts = t.path.relative_to(t.project).parts if t.path.is_relative_to(t.project) else ()
    return parts[0] if len(parts) > 1 else t.path.stem


def subagents_of(session: Transcript, transcripts: list[Transcript], lookup: Lookup) -> list[Transcript]:
    """Subagent files of a session, attributed by the sessionId inside them, never by name."""
    session_id = session.path.stem
    return [  # the cheap tests first: every transcript of every project passes here
        t
        for t in transcripts
        if not t.is_session
        and t.project == session.project
        and t.path != session.path
        and session_of(t, lookup) == session_id
    ]
