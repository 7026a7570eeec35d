"""Whether the daily rollup has anything to do, decided from a stat of each transcript and month file
against the quick record the last rollup left beside its state. Light (no git, no pydantic): the record's
place is kept in the brief's basis, and `check`'s fast path reads the day it was rolled through."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta, tzinfo
from pathlib import Path

from ai_budget import paths
from ai_budget.claude import price_table
from ai_budget.fileio import read_json
from ai_budget.journal.month_files import month_files

STATE_VERSION = 1
QUICK = ".quick.json"  # the suffix of the quick record, beside the state


def local_zone() -> tzinfo:
    """The machine's zone, daylight saving included (the one `tokens --by day` dates messages in)."""
    from ai_budget.claude.transcripts.breakdown import LocalZone

    return LocalZone()


def state_path(root: Path, claude_dirs: list[Path]) -> Path:
    """The state file of one journal, Claude dirs and price table (another starts afresh, recosting)."""
    key = "\n".join([str(root.resolve()), *sorted(str(d) for d in claude_dirs), price_table.prices().digest])
    return paths.cache_dir() / f"rollups-{hashlib.sha1(key.encode()).hexdigest()[:16]}.json"


def quick_record(root: Path, claude_dirs: list[Path]) -> Path:
    """The quick record of one journal's rollup (its `through` is the last finished day rolled up)."""
    return state_path(root, claude_dirs).with_suffix(QUICK)


def digest(stats: dict[str, tuple[int, int]], leave_out: set[str]) -> str:
    """One hash of every listed transcript's (size, mtime) but those still growing today."""
    lines = sorted(f"{p}\0{s}\0{m}\n" for p, (s, m) in stats.items() if p not in leave_out)
    return hashlib.sha1("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def csv_stat(root: Path) -> dict[str, list[int]]:
    """This machine's month files, each as [size, mtime_ns] (a hand edit means: look again)."""
    found = {}
    for p in month_files(root):
        st = p.stat()
        found[p.relative_to(root).as_posix()] = [st.st_size, st.st_mtime_ns]
    return found


def quick_quiet(where: Path, stats: dict[str, tuple[int, int]], csv: dict[str, list[int]], day: date) -> bool:
    """The quick record says nothing changed since the last rollup, which covered the days before `day`."""
    data = read_json(where.with_suffix(QUICK)) or {}
    growing = data.get("growing")
    if data.get("version") != STATE_VERSION or data.get("csv") != csv or not isinstance(growing, list):
        return False  # a damaged record is a look at the state, nothing else
    yesterday = (day - timedelta(days=1)).isoformat()
    return data.get("through") == yesterday and data.get("digest") == digest(stats, set(map(str, growing)))
