"""A backlog task's expected share of the 5-hour window: calibrated, or the size tag's default."""

from __future__ import annotations

from dataclasses import dataclass

from ai_budget.model.backlog import Task
from ai_budget.model.calibration import CalibrationEntry

TAG_DEFAULT_PCT = {"L": 5.0, "M": 15.0, "H": 35.0, "X": 70.0}


@dataclass
class Estimate:
    """A task's expected share of the 5-hour window, and where the number comes from."""

    task: Task
    pct: float
    basis: str  # "calibrated" or "tag"
    pct_per_unit: float | None = None
    unit: str | None = None  # "card" for a type counted "per card"


def estimate(task: Task, calibration: dict[str, CalibrationEntry]) -> Estimate:
    """Calibrated %/unit × units when the type has samples, else the size tag's default."""
    entry = None
    if task.type is not None:
        entry = next((e for name, e in calibration.items() if name.lower() == task.type.lower()), None)
    rate = entry.pct_per_unit if entry is not None else None
    if entry is not None and rate is not None and task.units is not None:
        return Estimate(task, round(rate * task.units, 2), "calibrated", rate, entry.unit_word)
    return Estimate(task, TAG_DEFAULT_PCT[task.tag], "tag")
