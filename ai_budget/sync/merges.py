"""Three-way merges of the journal's files by what they mean, so that two machines never conflict.

Each takes the common ancestor's text (empty when both sides added the file), ours and theirs, and
returns the merged text, or raises MergeFailed with one line saying why it cannot:

- the ledger (`sessions/ledger/*.jsonl`): the union of lines, each once, in the order they were recorded;
- a day's session log (`sessions/*.md`): the union of its sections, in time order;
- the backlog and other line files: ours, less the lines theirs removed, plus the lines theirs added
  after the line they follow there;
- a month of rollups (`usage/*/*.csv`): row by (day, model);
- `budget.json`: key by key; the usage readings and account counts the newer side's; calibration sums
  added (the sync then rebuilds them from the merged history's trailers).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget.errors import BudgetError
from ai_budget.journal import rollups
from ai_budget.model import budget as budget_file
from ai_budget.model.budget import BudgetFile
from ai_budget.model.calibration import CalibrationEntry
from ai_budget.timeutil import parse_time


class MergeFailed(BudgetError):
    """A file a driver cannot merge (one side damaged): git sees a conflict, the sync aborts it."""


MISSING: Any = object()
SUMS = ("samples", "units", "total_5h_pct", "token_units", "total_output_tokens")
# Sections whose newer side wins whole: (section, the keys that say when it was written).
TIMED = {
    "claude": ("last_fetched",),
    "copilot": ("last_updated_at", "last_updated"),
    "gemini": ("last_updated",),
    "credits": ("set_at",),
}


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# --- the ledger ---------------------------------------------------------------------------------


def _recorded(line: str) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return ""
    value = record.get("recorded_at") if isinstance(record, dict) else None
    return value if isinstance(value, str) else ""


def ledger(base: str, ours: str, theirs: str) -> str:
    """Every line either side has (and the other did not remove), each once, by when it was recorded."""
    b, o, t = _lines(base), _lines(ours), _lines(theirs)
    gone = (set(b) - set(o)) | (set(b) - set(t))
    kept = dict.fromkeys(line for line in o + t if line not in gone)
    ordered = sorted(kept, key=lambda line: (_recorded(line), line))
    return "".join(line + "\n" for line in ordered)


# --- a day's session log ------------------------------------------------------------------------

_CLOCK = re.compile(r"\b(\d{2}):(\d{2})\b")


def sections(text: str) -> tuple[str, list[str]]:
    """A session log's title part and its `## ` sections (each without trailing blank lines)."""
    head: list[str] = []
    found: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            found.append([line])
        elif found:
            found[-1].append(line)
        else:
            head.append(line)
    return "\n".join(head).strip("\n"), ["\n".join(s).rstrip() for s in found]


def _pick(base: Any, ours: Any, theirs: Any) -> Any:
    """The side that changed (ours when both did)."""
    return theirs if ours == base else ours


def session_log(base: str, ours: str, theirs: str) -> str:
    """The title, then every section either side has, each once, by the clock time of its heading."""
    (hb, sb), (ho, so), (ht, st) = sections(base), sections(ours), sections(theirs)
    gone = (set(sb) - set(so)) | (set(sb) - set(st))
    kept = list(dict.fromkeys(s for s in so + st if s not in gone))
    keyed, last = [], ""
    for section in kept:
        clock = _CLOCK.search(section.splitlines()[0])
        last = f"{clock[1]}:{clock[2]}" if clock else last
        keyed.append((last, section))
    keyed.sort(key=lambda pair: pair[0])  # stable: within a minute, ours first
    head = _pick(hb, ho, ht)
    parts = ([head] if head else []) + [section for _, section in keyed]
    return "\n\n".join(parts) + "\n"


# --- line files: the backlog, completed tasks ---------------------------------------------------


def lines(base: str, ours: str, theirs: str) -> str:
    """Ours without the lines theirs removed, with the lines theirs added, each after the line it
    follows in theirs (a blank line is never an anchor, nor removed)."""
    b, o, t = base.splitlines(), ours.splitlines(), theirs.splitlines()
    in_base, in_theirs = set(b), set(t)
    anchors = in_base | set(o)  # lines that were there before theirs added any
    removed = {line for line in b if line.strip() and line not in in_theirs}
    result = [line for line in o if line not in removed]
    present = set(result)
    after: dict[str, int] = {}  # anchor line -> where the next line theirs added after it goes
    anchor: str | None = None
    for line in t:
        if line.strip() and line in present and line in anchors:
            anchor = line
            continue
        if not line.strip() or line in in_base or line in present:
            continue
        at = after.get("", 0) if anchor is None else after.get(anchor, result.index(anchor) + 1)
        result.insert(at, line)
        present.add(line)
        after = {k: (v + 1 if v >= at else v) for k, v in after.items()}
        after["" if anchor is None else anchor] = at + 1
    newline = "\r\n" if "\r\n" in ours else "\n"
    return newline.join(result).rstrip("\r\n") + newline


# --- a month of rollups -------------------------------------------------------------------------


def rollup(base: str, ours: str, theirs: str, rel: str) -> str:
    """Row by (day, model): the side that changed it; when both did (two machines under one name),
    the one with more output tokens."""

    def rows(text: str) -> dict[tuple[Any, str], rollups.DayRow]:
        try:
            return {(r.day, r.model): r for r in rollups.parse(text, rel)} if text.strip() else {}
        except rollups.DamagedRollup as exc:
            raise MergeFailed(str(exc)) from None

    b, o, t = rows(base), rows(ours), rows(theirs)
    merged = []
    for key in sorted(set(b) | set(o) | set(t)):
        x, y, z = b.get(key, MISSING), o.get(key, MISSING), t.get(key, MISSING)
        if y == z or z == x:
            pick = y
        elif y == x:
            pick = z
        else:
            pick = max((r for r in (y, z) if r is not MISSING), key=lambda r: r.count("output_tokens"))
        if pick is not MISSING:
            merged.append(pick)
    return rollups.render(merged)


# --- budget.json --------------------------------------------------------------------------------


def _budget(text: str, side: str) -> dict[str, Any]:
    try:
        return budget_file.parse(text, Path("budget.json")).model_dump(mode="json")
    except BudgetError as exc:
        raise MergeFailed(f"{side} budget.json cannot be read ({exc})") from None


def _when(section: Any, keys: tuple[str, ...]) -> float:
    for key in keys:
        value = section.get(key) if isinstance(section, dict) else None
        try:
            moment = parse_time(value)
        except ValueError:
            moment = None
        if moment is not None:
            return moment.timestamp()
    return float("-inf")


def _sum(x: Any, y: Any, z: Any) -> Any:
    """ours + theirs - base for a calibration sum (never below zero)."""
    total = Decimal(str(y or 0)) + Decimal(str(z or 0)) - Decimal(str(x or 0))
    total = max(total, Decimal(0))
    return int(total) if isinstance(y, int) and isinstance(z, int) else float(round(total, 6))


def _calibration(base: Any, ours: Any, theirs: Any) -> dict[str, Any]:
    base, ours, theirs = base or {}, ours or {}, theirs or {}
    merged: dict[str, Any] = {}
    for name in dict.fromkeys([*ours, *theirs]):
        x, y, z = base.get(name, {}), ours.get(name, MISSING), theirs.get(name, MISSING)
        if y is MISSING or z is MISSING:
            if (y is MISSING and z == x) or (z is MISSING and y == x):
                continue  # removed on one side, untouched on the other
            merged[name] = z if y is MISSING else y
            continue
        entry = _dict(x, y, z, ("calibration", name))
        entry.update({key: _sum(x.get(key), y.get(key), z.get(key)) for key in SUMS})
        merged[name] = CalibrationEntry.model_validate(entry).synced().model_dump(mode="json")
    return merged


def _limits(base: Any, ours: Any, theirs: Any) -> list[Any]:
    found: dict[str, dict[str, Any]] = {}
    for change in [*(ours or []), *(theirs or [])]:
        kept = found.setdefault(str(change.get("since")), dict(change))
        kept["dismissed"] = bool(kept.get("dismissed")) or bool(change.get("dismissed"))
    return [found[key] for key in sorted(found)]


def _value(base: Any, ours: Any, theirs: Any, path: tuple[str, ...]) -> Any:
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    special: dict[tuple[str, ...], Callable[[Any, Any, Any], Any]] = {
        ("calibration",): _calibration,
        ("limits",): _limits,
        ("schema_version",): lambda b, o, t: max(o, t),
    }
    if path in special and ours is not MISSING and theirs is not MISSING:
        return special[path](base, ours, theirs)
    if len(path) == 1 and path[0] in TIMED and isinstance(ours, dict) and isinstance(theirs, dict):
        keys = TIMED[path[0]]
        return theirs if _when(theirs, keys) > _when(ours, keys) else ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return _dict(base if isinstance(base, dict) else {}, ours, theirs, path)
    return ours  # both changed one setting: this machine's


def _dict(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], path: tuple[str, ...]) -> Any:
    merged = {}
    for key in dict.fromkeys([*ours, *theirs, *base]):
        value = _value(base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING), (*path, key))
        if value is not MISSING:
            merged[key] = value
    return merged


def budget(base: str, ours: str, theirs: str) -> str:
    """budget.json merged key by key (a file both sides added merges against the defaults)."""
    o, t = _budget(ours, "this machine's"), _budget(theirs, "the remote's")
    try:  # an ancestor damaged by hand (and mended since on both sides) is no reason to stop
        b = _budget(base, "the common") if base.strip() else BudgetFile().model_dump(mode="json")
    except MergeFailed:
        b = BudgetFile().model_dump(mode="json")
    merged = _dict(b, o, t, ())
    try:
        return budget_file.dumps(BudgetFile.model_validate(merged))
    except ValueError as exc:
        raise MergeFailed(f"budget.json merged into something invalid ({exc})") from None
