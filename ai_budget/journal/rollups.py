"""The daily rollups: `usage/MACHINE/YYYY-MM.csv`, a row per day and model, read strictly and written
whole. Each machine writes only its own folder, so two machines never touch the same file; a journal
from before machine names has its files in `usage/` itself, which are this machine's and move into its
folder the next time it writes one."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ai_budget import paths
from ai_budget.journal.month_files import MONTH_FILE, DamagedRollup, legacy_files, machine_name, month_files
from ai_budget.journal.month_files import folder as _folder
from ai_budget.journal.month_files import months as _months
from ai_budget.journal.transaction import Transaction

USAGE_DIR = paths.USAGE_DIR
COLUMNS = (
    "date",
    "model",
    "api_calls",
    "input_tokens",
    "output_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "web_searches",
    "cost_usd",
    "peak_5h_pct",
    "peak_weekly_pct",
)
COUNT_COLUMNS = COLUMNS[2:9]
# A day with usage observations but no transcripts on this machine: one row, its counts left empty
# (unknown, not zero: the tokens may have been spent elsewhere, or their transcripts were gone).
NO_MODEL = "-"
MAX_PEAK = 200.0  # what a usage window can read (model/usage.py): more is a typing slip
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
CENT_HUNDREDTHS = Decimal("0.0001")


@dataclass(frozen=True)
class DayRow:
    """One model's totals on one local day, and that day's peak utilisation (the same on each row)."""

    day: date
    model: str
    counts: tuple[int, ...] | None  # in COUNT_COLUMNS order; None on a NO_MODEL row
    cost: Decimal | None  # None: unpriced model, or no transcripts
    peak_five_hour: float | None = None
    peak_weekly: float | None = None

    def count(self, column: str) -> int:
        """One count (0 when the row has none)."""
        return self.counts[COUNT_COLUMNS.index(column)] if self.counts is not None else 0


def month_file(day: date, root: Path) -> str:
    """The journal path holding a day's rows of this machine."""
    return f"{USAGE_DIR}/{machine_name(root)}/{day:%Y-%m}.csv"


def _peak(value: float | None) -> str:
    return "" if value is None else f"{round(value, 2):g}"


def cost_text(cost: Decimal | None) -> str:
    """A cost as the file writes it: dollars to a hundredth of a cent."""
    return "" if cost is None else f"{cost.quantize(CENT_HUNDREDTHS):f}"


def render(rows: Iterable[DayRow]) -> str:
    """A month file's text: the header, then rows by day and model."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in sorted(rows, key=lambda r: (r.day, r.model)):
        counts = [str(c) for c in r.counts] if r.counts is not None else [""] * len(COUNT_COLUMNS)
        writer.writerow(
            [
                r.day.isoformat(),
                r.model,
                *counts,
                cost_text(r.cost),
                _peak(r.peak_five_hour),
                _peak(r.peak_weekly),
            ]
        )
    return out.getvalue()


def parse(text: str, rel: str, root: Path | None = None) -> list[DayRow]:
    """Rows of a month file; anything hand-damaged is a DamagedRollup naming the line."""
    month = MONTH_FILE.fullmatch(Path(rel).name)
    lines = list(csv.reader(io.StringIO(text)))
    where = f" (`git -C {root} log -p -- {rel}` shows what it was)" if root is not None else ""

    def damaged(number: int, problem: str) -> DamagedRollup:
        return DamagedRollup(
            f"{rel} line {number}: {problem}: fix or remove that line{where}, then run it again"
        )

    if not lines:
        raise DamagedRollup(f"{rel} is empty: remove it{where}, then run it again")
    if tuple(c.strip() for c in lines[0]) != COLUMNS:
        raise damaged(1, f"the header is not {','.join(COLUMNS)}")
    rows: list[DayRow] = []
    seen: set[tuple[date, str]] = set()
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line harms nothing
        try:
            row = _row(cells)
        except ValueError as exc:
            raise damaged(number, str(exc)) from None
        if month is not None and (row.day.year, row.day.month) != (int(month[1]), int(month[2])):
            raise damaged(number, f"{row.day} does not belong in {Path(rel).name}")
        if (row.day, row.model) in seen:
            raise damaged(number, f"a second row for {row.day} {row.model}")
        seen.add((row.day, row.model))
        rows.append(row)
    return rows


def _row(cells: list[str]) -> DayRow:
    """One line's cells as a DayRow; ValueError says which cell is wrong."""
    if len(cells) != len(COLUMNS):
        raise ValueError(f"{len(cells)} cells where {len(COLUMNS)} belong")
    cells = [c.strip() for c in cells]
    try:
        if not ISO_DAY.fullmatch(cells[0]):
            raise ValueError
        day = date.fromisoformat(cells[0])
    except ValueError:
        raise ValueError(f"date {cells[0]!r} is not YYYY-MM-DD") from None
    model = cells[1]
    if not model:
        raise ValueError("the model is empty")
    raw_counts = cells[2:9]
    counts: tuple[int, ...] | None
    if model == NO_MODEL and not any(raw_counts):
        counts = None
    else:
        counts = tuple(_count(value, name) for value, name in zip(raw_counts, COUNT_COLUMNS, strict=True))
    return DayRow(
        day, model, counts, _cost(cells[9]), _pct(cells[10], COLUMNS[10]), _pct(cells[11], COLUMNS[11])
    )


def _count(value: str, name: str) -> int:
    if not value.isdigit():
        raise ValueError(f"{name} {value!r} is not a whole number")
    return int(value)


def _cost(value: str) -> Decimal | None:
    if not value:
        return None
    try:
        cost = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"cost_usd {value!r} is not a number") from None
    if not cost.is_finite() or cost < 0:
        raise ValueError(f"cost_usd {value!r} is not a cost")
    return cost


def _pct(value: str, name: str) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number) or not 0 <= number <= MAX_PEAK:
        raise ValueError(f"{name} {value!r} is not a percentage from 0 to {MAX_PEAK:g}")
    return number


def _read(root: Path, files: Iterable[Path], days: dict[date, list[DayRow]]) -> None:
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise DamagedRollup(f"{rel} is not UTF-8 text: fix or remove it, then run it again") from None
        for row in parse(text, rel, root):
            days.setdefault(row.day, []).append(row)


def read_all(root: Path) -> dict[date, list[DayRow]]:
    """Every day this machine rolled up, with its rows."""
    days: dict[date, list[DayRow]] = {}
    _read(root, month_files(root), days)
    return days


def read_machines(root: Path) -> dict[str, dict[date, list[DayRow]]]:
    """Every machine's rolled-up days (those from before machine names are this machine's)."""
    found: dict[str, dict[date, list[DayRow]]] = {}
    folder = _folder(root)
    others = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    for sub in others:
        _read(root, _months(sub), found.setdefault(sub.name, {}))
    _read(root, legacy_files(root), found.setdefault(machine_name(root), {}))
    return {name: days for name, days in found.items() if days}


def migrate_legacy(tx: Transaction) -> list[str]:
    """Move month files from before machine names into this machine's folder (days already there stay
    as they are); the files moved."""
    moved = []
    for path in legacy_files(tx.root):
        rel = path.relative_to(tx.root).as_posix()
        rows = parse(tx.read(rel) or "", rel, tx.root) if path.stat().st_size else []
        target = f"{USAGE_DIR}/{tx.machine}/{path.name}"
        have = parse(tx.read(target) or "", target, tx.root) if tx.read(target) else []
        days = {r.day for r in have}
        tx.write(target, render(have + [r for r in rows if r.day not in days]))
        tx.remove(rel)
        moved.append(rel)
    return moved


def merged(text: str | None, rel: str, replace: dict[date, list[DayRow]], root: Path | None = None) -> str:
    """A month file's text with these days' rows replaced (or added); the other days as they were."""
    kept = [r for r in parse(text, rel, root) if r.day not in replace] if text else []
    return render(kept + [r for rows in replace.values() for r in rows])


def write_months(tx: Transaction, changes: dict[str, dict[date, list[DayRow]]]) -> None:
    """Within a transaction: these days' rows into this machine's month files (any from before machine
    names moved into its folder first)."""
    migrate_legacy(tx)
    for rel, days in sorted(changes.items()):
        tx.write(rel, merged(tx.read(rel), rel, days, tx.root))


def span_label(days: Iterable[date]) -> str:
    """`2026-11-20..21`, `2026-10-30..2026-11-02`, or several such runs joined by commas."""
    ordered = sorted(set(days))
    runs: list[tuple[date, date]] = []
    for d in ordered:
        if runs and (d - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    parts = []
    for first, last in runs[:3]:
        if first == last:
            parts.append(first.isoformat())
        elif (first.year, first.month) == (last.year, last.month):
            parts.append(f"{first.isoformat()}..{last.day:02d}")
        else:
            parts.append(f"{first.isoformat()}..{last.isoformat()}")
    more = len(runs) - 3
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")
