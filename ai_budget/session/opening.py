"""Opening a session: state, not history (no commit). Light (no pydantic, no git), so the session-start
hook's fast path and `check` open a session with the same code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget.session import state
from ai_budget.session.state import OpenSession

# The sources a session-start hook opens a session for: a compaction keeps the session, and its
# context has the brief already.
STARTS = ("startup", "resume", "clear")


@dataclass(frozen=True)
class Opening:
    """The Claude Code session a `check` belongs to, and how it was reached."""

    session_id: str | None = None
    source: str = "check"  # startup, resume, clear, compact (a hook), or check (by hand)
    transcript_path: str | None = None
    resolve: bool = False  # by hand: find the session this command runs in


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def baseline(snap: Any, started_at: datetime, session_id: str | None = None) -> dict[str, Any]:
    """The JSON of model.usage.Baseline.of(snap, started_at, session_id) from any snapshot-shaped value
    (the model's or the fast path's reading); a test keeps the two equal."""
    five = snap.five_hour if snap is not None else None
    seven = snap.seven_day if snap is not None else None
    return {
        "five_hour_util": five.utilization if five is not None else None,
        "seven_day_util": seven.utilization if seven is not None else None,
        "five_hour_resets_at": _iso(five.resets_at) if five is not None else None,
        "seven_day_resets_at": _iso(seven.resets_at) if seven is not None else None,
        "started_at": started_at.isoformat(),
        "fetched_at": _iso(snap.observed_at) if snap is not None else None,
        "source": snap.source if snap is not None else None,
        "session_id": session_id,
    }


def open_session(root: Path, opening: Opening, snap: Any, now: datetime) -> OpenSession:
    """Open the session (state, not history), or refresh an open one: never moves its start."""
    sid = opening.session_id
    current = state.load(root, sid)
    if current is not None and opening.source != "resume":
        if not (current.baseline or {}).get("fetched_at") and snap is not None:  # nothing known at the start
            current.baseline = baseline(snap, current.measure_from, sid)
        current.transcript_path = current.transcript_path or opening.transcript_path
        state.save(root, current)
        return current
    opened = current or OpenSession(sid, now, now, source=opening.source)
    if opening.source == "resume":  # a new span: measured from here, and no longer after its log
        opened.resumed.append(now.isoformat())
        opened.measure_from, opened.logged = now, False
    opened.baseline = baseline(snap, now, sid)
    opened.entrypoint = opened.entrypoint or state.current_entrypoint()
    opened.transcript_path = opening.transcript_path or opened.transcript_path
    state.save(root, opened)
    return opened
