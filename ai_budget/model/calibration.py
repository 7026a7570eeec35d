"""Per-task-type calibration: unit-weighted averages from stored totals, and splitting a session's cost."""

from __future__ import annotations

import re

from pydantic import Field

from ai_budget.errors import InvalidInput, UnknownTaskType
from ai_budget.fmt import clean_line, did_you_mean, fmt_units
from ai_budget.model.fields import Loose
from ai_budget.quantities import MAX_TOKENS

TYPE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class CalibrationEntry(Loose):
    """One task type: the sums the averages come from, and the averages kept for old readers."""

    # Bounds far past any real history: a value beyond them is damage, refused with its field.
    unit: str | None = None
    samples: int = Field(default=0, ge=0, le=10**9)
    avg_output_tokens: int | float | None = Field(default=None, ge=0, le=10**15)
    avg_5h_pct: float | None = Field(default=None, ge=0, le=10**9)
    units: int | float = Field(default=0, ge=0, le=10**12)
    total_5h_pct: int | float = Field(default=0, ge=0, le=10**12)
    token_units: int | float = Field(default=0, ge=0, le=10**12)
    total_output_tokens: int = Field(default=0, ge=0, le=10**18)

    @property
    def pct_per_unit(self) -> float | None:
        """Unit-weighted share of the 5-hour window per unit (ratio of sums)."""
        return self.total_5h_pct / self.units if self.units else None

    @property
    def tokens_per_unit(self) -> float | None:
        """Unit-weighted output tokens per unit, over the samples that recorded tokens."""
        return self.total_output_tokens / self.token_units if self.token_units else None

    @property
    def unit_word(self) -> str:
        """'per card' -> 'card'; a type without a unit counts in 'unit'."""
        unit = (self.unit or "").strip()
        return unit[4:].strip() if unit.lower().startswith("per ") else (unit or "unit")

    def with_sample(self, units: float, pct: float, tokens: int | None) -> CalibrationEntry:
        """The entry after one more sample; the legacy average keys follow the totals."""
        if units <= 0 or pct < 0 or (tokens is not None and not 0 <= tokens <= MAX_TOKENS):
            raise InvalidInput(
                f"a calibration sample needs units > 0 and no negative cost, got {units}, {pct}"
            )
        updated = self.model_copy(deep=True)
        updated.samples += 1
        updated.units = round(self.units + units, 6)
        updated.total_5h_pct = round(self.total_5h_pct + pct, 6)  # no float dust in the file
        if tokens is not None:
            updated.token_units = round(self.token_units + units, 6)
            updated.total_output_tokens = self.total_output_tokens + tokens
        return updated.synced()

    def synced(self) -> CalibrationEntry:
        """Set avg_5h_pct / avg_output_tokens from the totals (rounded once, never compounded)."""
        pct, tokens = self.pct_per_unit, self.tokens_per_unit
        self.avg_5h_pct = round(pct, 2) if pct is not None else None
        self.avg_output_tokens = round(tokens) if tokens is not None else None
        return self

    def trailer(self, name: str) -> str:
        """A `Calibration:` commit trailer, so `history --calibration` can replay averages from git."""
        pct, tokens = self.pct_per_unit, self.tokens_per_unit
        return (
            f"{name} samples={self.samples} units={fmt_units(self.units)} "
            f"pct_per_unit={'-' if pct is None else f'{pct:.4f}'} "
            f"tokens_per_unit={'-' if tokens is None else f'{tokens:.1f}'}"
        )


def parse_trailer(value: str) -> tuple[str, dict[str, str]]:
    """('flashcard', {'samples': '3', ...}) from a Calibration trailer."""
    name, _, rest = value.partition(" ")
    fields = dict(part.split("=", 1) for part in rest.split() if "=" in part)
    return name, fields


def find_type(table: dict[str, CalibrationEntry], name: str) -> str:
    """The stored name of a task type (case-insensitive), or an error listing the known ones."""
    for known in table:
        if known.lower() == name.lower():
            return known
    known_list = ", ".join(sorted(table)) or "none yet"
    close = did_you_mean(name, table)
    if close:  # a typo: naming the near one beats suggesting to add the typo as a type
        raise UnknownTaskType(f"unknown task type {name!r}{close} (known: {known_list})")
    raise UnknownTaskType(
        f"unknown task type {name!r} (known: {known_list}): "
        f'add it with `ai-budget calibration add {name} --unit "per item"`'
    )


def new_type(table: dict[str, CalibrationEntry], name: str, unit: str) -> CalibrationEntry:
    """A new task type with no samples; refuses a bad name, an empty unit or a known type."""
    if not TYPE_NAME.match(name):
        raise InvalidInput(f"task type {name!r} must be one word of letters, digits, '-', '_' or '.'")
    unit = clean_line(unit)
    if not unit:
        raise InvalidInput('--unit must name the unit of work, for example --unit "per card"')
    for known in table:
        if known.lower() == name.lower():
            raise InvalidInput(f"task type {known!r} already exists: see `ai-budget calibration`")
    return CalibrationEntry(unit=unit)


def mean_pct_per_unit(table: dict[str, CalibrationEntry]) -> float | None:
    """The mean %/unit over calibrated types (for types with no samples yet)."""
    rates = [e.pct_per_unit for e in table.values() if e.pct_per_unit is not None]
    return sum(rates) / len(rates) if rates else None


def split_weights(table: dict[str, CalibrationEntry], items: list[tuple[str | None, float]]) -> list[float]:
    """Shares (summing to 1) of a session's cost for (type, units) items, by expected cost."""
    if not items:
        return []
    fallback = mean_pct_per_unit(table)
    own = [table[t].pct_per_unit if t and t in table else None for t, _ in items]
    if fallback is None or all(rate is None for rate in own):
        # None of these types calibrated: units of different kinds cannot be compared (15 cards
        # are not 15 features), so each item takes an equal share.
        return [1 / len(items)] * len(items)
    costs: list[float] = []
    for task_type, units in items:
        entry = table.get(task_type) if task_type else None
        rate = entry.pct_per_unit if entry is not None else None
        costs.append(units * (rate if rate is not None else fallback))
    total = sum(costs)
    if total <= 0:  # every calibrated rate is 0 %: equal shares again
        return [1 / len(items)] * len(items)
    return [cost / total for cost in costs]
