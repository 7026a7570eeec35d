"""The usage history: every observation of every window from every source, in SQLite (WAL) under
the state folder, not in git. Many writers at once; raw rows for 90 days, then one per hour."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.claude import pending

FILE = "usage.sqlite3"
SAME_WITHIN_S = 60  # an unchanged reading within a minute is not stored again
RAW_DAYS = 90
COMPACT_EVERY_S = 86400
RESET_JITTER_S = 60
# Ordered migrations: MIGRATIONS[n] takes the schema from version n to n + 1.
MIGRATIONS = [
    """
    CREATE TABLE observations (
        observed_at REAL NOT NULL,
        source TEXT NOT NULL,
        window TEXT NOT NULL,
        utilization REAL NOT NULL,
        resets_at REAL
    );
    CREATE INDEX observations_by_window ON observations (window, observed_at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]


def history_file() -> Path:
    """The history database's path."""
    return paths.state_dir() / FILE


@contextlib.contextmanager
def connected(wait_s: float = 2.0, path: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A connection with the schema up to date; `wait_s` bounds how long a busy database is waited for."""
    path = path or history_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    conn = sqlite3.connect(path, timeout=wait_s, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        _migrate(conn)
        yield conn
    finally:
        conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= len(MIGRATIONS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another writer may have done it
        for step in MIGRATIONS[version:]:
            for statement in filter(str.strip, step.split(";")):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def insert(
    conn: sqlite3.Connection, rows: list[tuple[str, float, datetime | None]], source: str, at: datetime
) -> int:
    """Store (window, utilisation, resets_at) readings taken at `at`; return how many were new."""
    stored = 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        for window, utilization, resets_at in rows:
            last = conn.execute(
                "SELECT observed_at, utilization, resets_at FROM observations WHERE window = ? "
                "ORDER BY observed_at DESC LIMIT 1",
                (window,),
            ).fetchone()
            reset = _epoch(resets_at)
            if last is not None and _same(last, at.timestamp(), utilization, reset):
                continue
            # The same reading seen again through another door (Claude Code's cache read twice).
            again = conn.execute(
                "SELECT 1 FROM observations WHERE window = ? AND utilization = ?"
                " AND abs(observed_at - ?) < 1",
                (window, utilization, at.timestamp()),
            ).fetchone()
            if again is not None:
                continue
            conn.execute(
                "INSERT INTO observations VALUES (?, ?, ?, ?, ?)",
                (at.timestamp(), source, window, utilization, reset),
            )
            stored += 1
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return stored


def _same(
    last: tuple[float, float, float | None], at: float, utilization: float, reset: float | None
) -> bool:
    then, value, old_reset = last
    if not all(isinstance(v, (int, float)) for v in (then, value)):  # a damaged row: compare nothing
        return False
    if abs(at - then) > SAME_WITHIN_S or value != utilization:
        return False
    if old_reset is None or reset is None or not isinstance(old_reset, (int, float)):
        return old_reset is reset
    return abs(old_reset - reset) <= RESET_JITTER_S


def ingest(conn: sqlite3.Connection) -> int:
    """Move the statusline's pending lines into the database; return how many rows were new."""
    path = pending.pending_file()
    if not path.exists():
        return 0
    taking = path.with_name(f"{path.name}.{os.getpid()}.ingest")
    try:
        os.replace(path, taking)  # new lines go to a fresh file meanwhile
    except FileNotFoundError:
        return 0  # another reader took them
    stored = 0
    try:
        for raw in pending.taken(taking).splitlines():
            try:
                at, source, rows = json.loads(raw)
                readings = [(w, float(u), _time(r) if r is not None else None) for w, u, r in rows]
                stored += insert(conn, readings, str(source), _time(float(at)))
            except (ValueError, TypeError, OverflowError):
                continue  # a torn or foreign line: skipped
    finally:
        taking.unlink(missing_ok=True)
    return stored


def record(
    window_rows: list[tuple[str, float, datetime | None]], source: str, at: datetime, wait_s: float = 2.0
) -> int:
    """Store readings; a history that cannot be written only costs the forecast (never an error)."""
    if not window_rows:
        return 0
    try:
        with connected(wait_s) as conn:
            ingest(conn)
            stored = insert(conn, window_rows, source, at)
            _compact_now_and_then(conn, at)
            return stored
    except (sqlite3.Error, OSError, ValueError, TypeError, OverflowError):
        return 0


def series(
    window: str, since: datetime, path: Path | None = None
) -> list[tuple[datetime, float, datetime | None]]:
    """A window's readings since `since`, oldest first."""
    try:
        with connected(path=path) as conn:
            ingest(conn)
            rows = conn.execute(
                "SELECT observed_at, utilization, resets_at FROM observations "
                "WHERE window = ? AND observed_at >= ? ORDER BY observed_at",
                (window, since.timestamp()),
            ).fetchall()
    except (sqlite3.Error, OSError):
        return []
    return [row for row in map(_reading, rows) if row is not None]


def _reading(row: tuple[Any, Any, Any]) -> tuple[datetime, float, datetime | None] | None:
    """A stored row as (time, utilisation, reset), or None for a row no reading can come from (a time
    out of range, a value that is not a finite number: a damaged or foreign database): left out."""
    at, used, resets = row
    if isinstance(used, bool) or not isinstance(used, (int, float)) or not math.isfinite(used):
        return None
    try:
        return _time(at), float(used), _time(resets) if resets is not None else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def newest(path: Path | None = None) -> tuple[datetime, dict[str, dict[str, Any]]] | None:
    """The newest reading of the two main windows (each its own last row) and when the newer was seen."""
    found: dict[str, dict[str, Any]] = {}
    latest = None
    try:
        with connected(path=path) as conn:
            ingest(conn)
            for window in ("five_hour", "seven_day"):
                row = conn.execute(
                    "SELECT observed_at, utilization, resets_at FROM observations WHERE window = ? "
                    "ORDER BY observed_at DESC LIMIT 1",
                    (window,),
                ).fetchone()
                if row is None:
                    continue
                at, used, resets = row
                found[window] = {
                    "utilization": used,
                    "resets_at": _time(resets).isoformat() if resets is not None else None,
                }
                latest = max(latest or at, at)
    except (sqlite3.Error, OSError):
        return None
    return (_time(latest), found) if latest is not None and len(found) == 2 else None


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def _compact_now_and_then(conn: sqlite3.Connection, at: datetime) -> None:
    """Once a day: rows older than 90 days become one row per window per hour (the hour's last)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'compacted_at'").fetchone()
    if row is not None and at.timestamp() - float(row[0]) < COMPACT_EVERY_S:
        return
    compact(conn, at - timedelta(days=RAW_DAYS))
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('compacted_at', ?)", (str(at.timestamp()),))


def compact(conn: sqlite3.Connection, before: datetime) -> None:
    """Keep, of the rows older than `before`, only the last one of each window in each hour."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "DELETE FROM observations WHERE observed_at < ? AND rowid NOT IN ("
            " SELECT rowid FROM (SELECT rowid, MAX(observed_at) FROM observations WHERE observed_at < ?"
            " GROUP BY window, CAST(observed_at / 3600 AS INTEGER)))",
            (before.timestamp(), before.timestamp()),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def rows_of(response: Any) -> list[tuple[str, float, datetime | None]]:
    """(window, utilisation, resets_at) for each window of a usage response that carries a number."""
    windows = [("five_hour", response.five_hour), ("seven_day", response.seven_day)]
    windows += list(response.other_windows().items())
    return [(name, w.utilization, w.resets_at) for name, w in windows if w.utilization is not None]
