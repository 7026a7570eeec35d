"""Open Claude Code sessions and records waiting for the journal: state, never history, so never in git.

Each journal has its own folder under the state folder: `open/<id>.json` for a session that started
and has not ended, `pending/<stamp>-<id>.json` for a closing a hook could not commit within its time
budget. Several sessions run at once, so every session has a file of its own and nothing is shared
between two writers.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget.fileio import read_json, write_json

# The names and Claude Code's cost figure live in `names` (the statusline imports it alone); callers
# keep using them as state.X.
from ai_budget.session.names import (  # noqa: F401
    MAX_ID,
    clean_id,
    client_cost,
    client_cost_file,
    file_stem,
    folder,
    record_client_cost,
)
from ai_budget.timeutil import parse_time

SESSION_ENV = "CLAUDE_CODE_SESSION_ID"  # set for every command Claude Code runs, skills included
ENTRYPOINT_ENV = "CLAUDE_CODE_ENTRYPOINT"  # `cli` interactive, `sdk-cli` for `claude -p`


@dataclass
class OpenSession:
    """A Claude Code session between its start and its end, as ai-budget knows it."""

    session_id: str | None  # None: a session in a terminal, outside Claude Code
    opened_at: datetime  # when ai-budget first saw it (a resume opens it again)
    measure_from: datetime  # start of the span the 5-hour delta covers: the open, or the last log
    source: str = "check"  # startup, resume, clear, compact, check, log
    entrypoint: str | None = None
    transcript_path: str | None = None
    baseline: dict[str, Any] | None = None  # the windows at measure_from (Baseline's JSON)
    logged: bool = False  # `log` ran in it: what follows is its tail
    resumed: list[str] = field(default_factory=list)  # times it was resumed

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["opened_at"] = self.opened_at.isoformat()
        data["measure_from"] = self.measure_from.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OpenSession | None:
        """The session a state file describes, or None when the file is not one (it is then ignored)."""
        opened, start = parse_time(data.get("opened_at")), parse_time(data.get("measure_from"))
        if opened is None or start is None:
            return None
        text = {k: data.get(k) if isinstance(data.get(k), str) else None for k in ("source", "entrypoint")}
        base = data.get("baseline")
        resumed = data.get("resumed")
        return cls(
            session_id=clean_id(data.get("session_id")),
            opened_at=opened,
            measure_from=start,
            source=text["source"] or "check",
            entrypoint=text["entrypoint"],
            transcript_path=path if isinstance(path := data.get("transcript_path"), str) else None,
            baseline=base if isinstance(base, dict) else None,
            logged=data.get("logged") is True,
            resumed=[r for r in resumed if isinstance(r, str)] if isinstance(resumed, list) else [],
        )


TERMINAL = "terminal"  # the file of the session with no Claude Code id


def _open_file(root: Path, session_id: str | None) -> Path:
    return folder(root) / "open" / f"{file_stem(session_id) if session_id else TERMINAL}.json"


def load(root: Path, session_id: str | None) -> OpenSession | None:
    """The open session with this id (None: the terminal one), if it is open."""
    data = read_json(_open_file(root, session_id))
    found = OpenSession.from_json(data) if data is not None else None
    return found if found is not None and found.session_id == session_id else None


def save(root: Path, session: OpenSession) -> None:
    """Write an open session's file (atomic: a reader sees the old one or the new one)."""
    write_json(_open_file(root, session.session_id), session.to_json())


def remove(root: Path, session_id: str | None) -> None:
    """Forget an open session (it ended)."""
    with contextlib.suppress(FileNotFoundError):
        _open_file(root, session_id).unlink()


def all_open(root: Path) -> list[OpenSession]:
    """Every open session of this journal, oldest first."""
    found = []
    for path in sorted((folder(root) / "open").glob("*.json")):
        data = read_json(path)
        session = OpenSession.from_json(data) if data is not None else None
        if session is not None:
            found.append(session)
    return sorted(found, key=lambda s: s.opened_at)


# --- closings waiting for the journal ---------------------------------------------------------


def add_pending(root: Path, record: dict[str, Any], moment: datetime) -> Path:
    """Keep a closing for the next command that can take the journal's lock (one file each)."""
    sid = record.get("session_id")
    stem = file_stem(sid) if isinstance(sid, str) else TERMINAL
    path = folder(root) / "pending" / f"{moment.timestamp():017.6f}-{os.getpid()}-{stem}.json"
    write_json(path, record)
    return path


def pending(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The closings waiting, oldest first (a file that is not JSON is left for a person to look at)."""
    found = []
    for path in sorted((folder(root) / "pending").glob("*.json")):
        data = read_json(path)
        if data is not None:
            found.append((path, data))
    return found


def done_pending(paths_done: list[Path]) -> None:
    """Remove closings the journal now holds."""
    for path in paths_done:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def current_session_id(env: dict[str, str] | None = None) -> str | None:
    """The Claude Code session this command runs in (its Bash tool sets the variable), if any."""
    return clean_id((env if env is not None else os.environ).get(SESSION_ENV))


def current_entrypoint(env: dict[str, str] | None = None) -> str | None:
    """How Claude Code was started, as it tells the commands it runs (`cli`, `sdk-cli`, …)."""
    value = clean_id((env if env is not None else os.environ).get(ENTRYPOINT_ENV))
    return value[:32] if value else None
