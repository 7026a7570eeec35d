"""Per-task-type calibration: unit-weighted averages from stored totals, and cost splitting."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ai_budget.errors import InvalidInput, UnknownTaskType
from ai_budget.journal import Journal
from ai_budget.models import BudgetFile, CalibrationEntry
from ai_budget.quantities import fmt_units, parse_count, parse_number, plural

TYPE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def unit_word(entry: CalibrationEntry) -> str:
    """'per card' -> 'card'; a type without a unit counts in 'unit'."""
    unit = (entry.unit or "").strip()
    return unit[4:].strip() if unit.lower().startswith("per ") else (unit or "unit")


def with_sample(entry: CalibrationEntry, units: float, pct: float, tokens: int | None) -> CalibrationEntry:
    """The entry after one more sample; the legacy average keys follow the totals."""
    updated = entry.model_copy(deep=True)
    updated.samples += 1
    updated.units = round(entry.units + units, 6)
    updated.total_5h_pct = round(entry.total_5h_pct + pct, 6)  # no float dust in the file
    if tokens is not None:
        updated.token_units = round(entry.token_units + units, 6)
        updated.total_output_tokens = entry.total_output_tokens + tokens
    return sync_averages(updated)


def sync_averages(entry: CalibrationEntry) -> CalibrationEntry:
    """Set avg_5h_pct / avg_output_tokens from the totals (rounded once, never compounded)."""
    pct, tokens = entry.pct_per_unit, entry.tokens_per_unit
    entry.avg_5h_pct = round(pct, 2) if pct is not None else None
    entry.avg_output_tokens = round(tokens) if tokens is not None else None
    return entry


def trailer(name: str, entry: CalibrationEntry) -> str:
    """A `Calibration:` commit trailer, so `history --calibration` can replay averages from git."""
    pct, tokens = entry.pct_per_unit, entry.tokens_per_unit
    return (
        f"{name} samples={entry.samples} units={fmt_units(entry.units)} "
        f"pct_per_unit={'-' if pct is None else f'{pct:.4f}'} "
        f"tokens_per_unit={'-' if tokens is None else f'{tokens:.1f}'}"
    )


def parse_trailer(value: str) -> tuple[str, dict[str, str]]:
    """('flashcard', {'samples': '3', ...}) from a Calibration trailer."""
    name, _, rest = value.partition(" ")
    fields = dict(part.split("=", 1) for part in rest.split() if "=" in part)
    return name, fields


def find_type(budget: BudgetFile, name: str) -> str:
    """The stored name of a task type (case-insensitive), or an error listing the known ones."""
    for known in budget.calibration:
        if known.lower() == name.lower():
            return known
    known_list = ", ".join(sorted(budget.calibration)) or "none yet"
    raise UnknownTaskType(
        f"unknown task type {name!r} (known: {known_list}): "
        f'add it with `ai-budget calibration add {name} --unit "per item"`'
    )


@dataclass
class Recorded:
    """What `calibrate` did: the type and its entry before and after."""

    task_type: str
    before: CalibrationEntry
    after: CalibrationEntry


def record(
    journal: Journal, name: str, units: str | float, pct: str | float, tokens: str | int | None = None
) -> Recorded:
    """Add one sample to a task type's calibration and commit."""
    units_v = parse_number(units, "UNITS", positive=True)
    pct_v = parse_number(pct, "PCT_DELTA")
    tokens_v = parse_count(tokens, "OUTPUT_TOKENS") if tokens not in (None, "") else None
    with journal.locked():
        budget = journal.load()
        key = find_type(budget, name)
        before = budget.calibration[key]
        after = with_sample(before, units_v, pct_v, tokens_v)
        budget.calibration[key] = after
        journal.save(budget)
        word = unit_word(after)
        journal.commit(
            ["budget.json"],
            f"calibrate {key}: {plural(units_v, word)} at {pct_v:g}% "
            f"-> {after.pct_per_unit:.2f}%/{word} ({plural(after.samples, 'sample')})",
            [("Calibration", trailer(key, after))],
        )
    return Recorded(key, before, after)


def add_type(journal: Journal, name: str, unit: str) -> CalibrationEntry:
    """Add a new task type with no samples and commit."""
    if not TYPE_NAME.match(name):
        raise InvalidInput(f"task type {name!r} must be one word of letters, digits, '-', '_' or '.'")
    unit = unit.strip()
    if not unit:
        raise InvalidInput('--unit must name the unit of work, for example --unit "per card"')
    with journal.locked():
        budget = journal.load()
        for known in budget.calibration:
            if known.lower() == name.lower():
                raise InvalidInput(f"task type {known!r} already exists: see `ai-budget calibration`")
        entry = CalibrationEntry(unit=unit)
        budget.calibration[name] = entry
        journal.save(budget)
        journal.commit(["budget.json"], f"calibration: add task type {name} ({unit})")
    return entry


def mean_pct_per_unit(budget: BudgetFile) -> float | None:
    """The mean %/unit over calibrated types (for types with no samples yet)."""
    rates = [e.pct_per_unit for e in budget.calibration.values() if e.pct_per_unit is not None]
    return sum(rates) / len(rates) if rates else None


def split_weights(budget: BudgetFile, items: list[tuple[str | None, float]]) -> list[float]:
    """Shares (summing to 1) of a session's cost for (type, units) items, by expected cost."""
    if not items:
        return []
    fallback = mean_pct_per_unit(budget)
    costs: list[float] = []
    for task_type, units in items:
        entry = budget.calibration.get(task_type) if task_type else None
        rate = entry.pct_per_unit if entry is not None else None
        if rate is None:
            rate = fallback
        # With nothing calibrated at all, plain units decide.
        costs.append(units * (rate if rate is not None else 1.0))
    total = sum(costs)
    if total <= 0:
        total_units = sum(units for _, units in items)
        return [units / total_units for _, units in items]
    return [cost / total for cost in costs]
