"""A backlog task's expected share of the 5-hour window: calibrated, or the size tag's default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ai_budget.model.backlog import Task

if TYPE_CHECKING:  # the session-start hook rebuilds estimates without pydantic
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


def estimate(
    task: Task, calibration: dict[str, CalibrationEntry], rates: Mapping[str, float] | None = None
) -> Estimate:
    """Calibrated %/unit × units when the type has samples, else the size tag's default."""
    # `rates` (by stored type name) replace a type's ratio of sums: the weighted %/unit of
    # planning/limits.py after a limit change or with a recency half-life.
    entry, rate = None, None
    if task.type is not None:
        key = next((name for name in calibration if name.lower() == task.type.lower()), None)
        if key is not None:
            entry = calibration[key]
            rate = (
                rates[key]
                if rates and key in rates and entry.pct_per_unit is not None
                else entry.pct_per_unit
            )
    if entry is not None and rate is not None and task.units is not None:
        return Estimate(task, round(rate * task.units, 2), "calibrated", rate, entry.unit_word)
    return Estimate(task, TAG_DEFAULT_PCT[task.tag], "tag")
