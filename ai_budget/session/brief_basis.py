"""The kept basis of the brief: what the session-start hook cannot work out cheaply (the estimates from
the backlog, calibration and the history's rates, the settings as the model reads them, the warnings
that do not depend on the reading), kept by the full path in the journal's state folder.

The hook's fast path reads it as plain JSON and adds what it can read cheaply (the windows now). It is
good while budget.json and the backlog are the files it was made from (inode, mtime and size), while
the journal's HEAD is the same when estimates weigh samples from the history, and until the date when a
Copilot count could turn stale; otherwise the hook takes the full path, which keeps a new one.
Light: no pydantic, no git.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.fileio import read_json, write_json
from ai_budget.session.names import folder
from ai_budget.timeutil import parse_time

VERSION = 1
FILE = "brief-basis.json"


def basis_file(root: Path) -> Path:
    """Where this journal's basis is kept (state, never history)."""
    return folder(root) / FILE


def git_dir(root: Path) -> Path:
    """The journal's git directory (a worktree's or a separate one: `.git` is then a file naming it)."""
    git = root / ".git"
    if git.is_file():  # `gitdir: PATH`
        git = (root / git.read_text(encoding="utf-8").strip().removeprefix("gitdir:").strip()).resolve()
    return git


def interrupted(root: Path) -> bool:
    """A command died mid-write, or a sync mid-merge: the next full command puts it right and says so."""
    git = git_dir(root)
    return any((git / name).exists() for name in (paths.TRANSACTION_MARKER, paths.SYNC_MARKER))


def head(root: Path) -> str | None:
    """The commit the journal's HEAD names, read from git's own files (no git process); None if unsure."""
    try:
        git = git_dir(root)
        text = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not text.startswith("ref: "):
            return text or None
        ref = text[5:]
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for base in (git, common):
            if (base / ref).is_file():
                return (base / ref).read_text(encoding="utf-8").strip() or None
        for line in (common / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        pass
    return None


def stamp(root: Path, weighted: bool) -> list[Any]:
    """What the basis was made from: budget.json's and the backlog's (inode, mtime, size), and HEAD when
    the estimates weigh the history's samples."""
    found: list[Any] = []
    for name in (paths.BUDGET_FILE, paths.BACKLOG_FILE):
        try:
            st = (root / name).stat()
        except OSError:
            found.append(None)
            continue
        found.append([st.st_ino, st.st_mtime_ns, st.st_size])
    found.append(head(root) if weighted else None)
    return found


def zone() -> list[Any]:
    """The local time zone as the C library has it (TZ, else the system's): the Copilot state kept in
    the basis compares local dates, so a basis made in another zone does not hold."""
    return [*time.tzname, time.timezone, time.altzone]


def keep(root: Path, basis: dict[str, Any]) -> None:
    """Write the basis (atomic: a reader sees the old one or the new one)."""
    write_json(basis_file(root), {"version": VERSION, "zone": zone(), **basis})


def forget(root: Path) -> None:
    """No basis: the hook takes the full path."""
    with contextlib.suppress(FileNotFoundError):
        basis_file(root).unlink()


def load(root: Path, moment: datetime) -> dict[str, Any] | None:
    """The basis if it still holds for the journal as it is now, else None."""
    data = read_json(basis_file(root))
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    weighted = data.get("weighted") is True
    if data.get("stamp") != stamp(root, weighted) or (weighted and data["stamp"][-1] is None):
        return None
    if data.get("zone") != zone():
        return None
    until = parse_time(data.get("valid_until"))
    if until is not None and moment >= until:
        return None
    return data
