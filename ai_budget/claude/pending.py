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
    """The statusline's way in: one appended line (no SQLite, no lock: it runs on every message).
    A write this small with O_APPEND lands whole even with many writers."""
    line = json.dumps(
        [at.timestamp(), source, [(w, u, (r.timestamp() if r is not None else None)) for w, u, r in rows]],
        separators=(",", ":"),
    )
    path = pending_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)
