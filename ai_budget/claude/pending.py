"""Readings waiting for the usage history: the statusline appends one JSON line per reading here,
without SQLite or a lock (it runs on every assistant message); the next reader moves them in."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from ai_budget import paths

PENDING = "pending.jsonl"


def pending_file() -> Path:
    """Readings the statusline appended, not yet in the database (one JSON line each)."""
    return paths.state_dir() / PENDING


def append_pending(rows: list[tuple[str, float, datetime | None]], source: str, at: datetime) -> None:
    """The statusline's way in: one appended line (no SQLite: it runs on every message). A write this
    small with O_APPEND lands whole even with many writers."""
    line = json.dumps(
        [at.timestamp(), source, [(w, u, (r.timestamp() if r is not None else None)) for w, u, r in rows]],
        separators=(",", ":"),
    )
    path = pending_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for _ in range(5):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # A reader renames the file away and then takes it whole (`taken`). Writers share the
            # lock, so they never wait for each other, only for a reader's read of a small file; the
            # file still being the one at `path` once it is held means no reader has taken it yet,
            # and that it will wait for this write. Otherwise the line would land in a file already read.
            _lock(fd, shared=True)
            if _same_file(fd, path):
                os.write(fd, (line + "\n").encode())
                return
        finally:
            os.close(fd)


def taken(path: Path) -> str:
    """The text of a pending file a reader has renamed away, once no writer is still writing to it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        _lock(fd, shared=False)
        with os.fdopen(os.dup(fd), encoding="utf-8", errors="replace") as handle:
            return handle.read()
    finally:
        os.close(fd)


def _lock(fd: int, shared: bool) -> None:
    """An advisory lock held until the descriptor is closed (none where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: appends are not coordinated with readers there
        return
    fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
