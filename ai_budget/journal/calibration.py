"""Calibration in the journal: record a sample or add a task type, one commit each."""

from __future__ import annotations

from dataclasses import dataclass

from ai_budget.errors import InvalidInput
from ai_budget.fmt import clean_line, plural
from ai_budget.journal import samples
from ai_budget.journal.journal import Journal
from ai_budget.model.calibration import CalibrationEntry, find_type, new_type


@dataclass
class Recorded:
    """What `calibrate` did: the type and its entry before and after."""

    task_type: str
    before: CalibrationEntry
    after: CalibrationEntry


def record(journal: Journal, name: str, units: float, pct: float, tokens: int | None = None) -> Recorded:
    """Add one sample (UNITS of work used PCT of the 5-hour window) to a task type, one commit."""
    with journal.transaction("calibrate") as tx:
        table = tx.budget.calibration
        key = find_type(table, name)
        before = table[key]
        after = table[key] = before.with_sample(units, pct, tokens)
        word = after.unit_word
        tx.message = (
            f"calibrate {key}: {plural(units, word)} at {pct:g}% "
            f"-> {after.pct_per_unit:.2f}%/{word} ({plural(after.samples, 'sample')})"
        )
        tx.trailers.append(("Calibration", after.trailer(key)))
        tx.trailers.append(samples.sample_trailer(key, units, pct, tokens, samples.new_key()))
    return Recorded(key, before, after)


def add_type(journal: Journal, name: str, unit: str) -> CalibrationEntry:
    """Add a new task type with no samples, one commit. A type already there with this unit is left
    as it is (no commit); one with no samples yet takes the new unit (a new journal's types come
    with theirs); one with samples keeps its unit, which its samples were counted in."""
    with journal.transaction(f"calibration: add task type {name} ({clean_line(unit)})") as tx:
        table = tx.budget.calibration
        key = next((known for known in table if known.lower() == name.lower()), None)
        if key is None:
            return table.setdefault(name, new_type(table, name, unit))
        entry, unit = table[key], clean_line(unit)
        if unit and (entry.unit or "").lower() == unit.lower():
            return entry
        if entry.samples or entry.units:
            raise InvalidInput(
                f"task type {key!r} already exists, counted {entry.unit or 'in units'} over "
                f"{plural(entry.samples, 'sample')}: see `ai-budget calibration`"
            )
        tx.message = f"calibration: task type {key} now counts {unit}"
        table[key] = new_type({}, key, unit)
        return table[key]
