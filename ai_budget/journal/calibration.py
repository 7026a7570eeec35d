"""Calibration in the journal: record a sample or add a task type, one commit each."""

from __future__ import annotations

from dataclasses import dataclass

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
    """Add a new task type with no samples, one commit."""
    with journal.transaction(f"calibration: add task type {name} ({clean_line(unit)})") as tx:
        entry = tx.budget.calibration[name] = new_type(tx.budget.calibration, name, unit)
    return entry
