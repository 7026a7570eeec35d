"""Session ids as file names, the state folder of a journal, and Claude Code's own cost figure: the
part of the session state the statusline needs on every assistant message, kept free of dataclasses
(whose import of inspect costs the statusline milliseconds). `state` re-exports all of it."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from ai_budget import paths
from ai_budget.fileio import read_json, write_json

MAX_ID = 128  # Claude Code's ids are UUIDs (36 characters); anything longer is cut to this
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def clean_id(value: object) -> str | None:
    """A session id fit to store and to name a file: printable, at most MAX_ID characters, else None."""
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in value.strip() if ch.isprintable())[:MAX_ID]
    return text or None


def file_stem(session_id: str) -> str:
    """A file name for a session id: the id itself when it is plain, else a readable part and a hash."""
    if not _UNSAFE.search(session_id) and not session_id.startswith("."):
        return session_id
    digest = paths.name_hash(session_id)
    return f"{_UNSAFE.sub('_', session_id)[:40]}-{digest}"


def folder(journal_root: Path) -> Path:
    """This journal's state folder (a journal elsewhere, AI_BUDGET_HOME, has its own)."""
    key = paths.name_hash(str(journal_root.resolve()))
    return paths.state_dir() / "sessions" / key


# --- Claude Code's own cost figure (the statusline keeps it; `log` shows it beside ours) --------


def client_cost_file(root: Path, session_id: str) -> Path:
    """Where the statusline keeps Claude Code's own cost figure for a session."""
    return folder(root) / "cost" / f"{file_stem(session_id)}.json"


def record_client_cost(root: Path, session_id: str, cost: float, moment: datetime) -> None:
    """Keep Claude Code's `cost.total_cost_usd` for a session (the statusline calls this); an unchanged
    figure is not written again (the statusline runs far more often than the cost moves)."""
    path = client_cost_file(root, session_id)
    if (read_json(path) or {}).get("cost_usd") == cost:
        return
    write_json(path, {"cost_usd": cost, "at": moment.isoformat()})


def client_cost(root: Path, session_id: str | None) -> float | None:
    """Claude Code's own cost figure for a session, when its statusline gave one."""
    if session_id is None:
        return None
    data = read_json(client_cost_file(root, session_id)) or {}
    value = data.get("cost_usd")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
        return None
    return float(value)
