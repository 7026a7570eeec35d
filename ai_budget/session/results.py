"""What `log` measured, decided and wrote: plain data shared by the steps and the session log view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ai_budget.claude import transcripts
from ai_budget.model.backlog import Task
from ai_budget.model.calibration import CalibrationEntry
from ai_budget.model.usage import Baseline, Snapshot


@dataclass
class Deltas:
    """How the windows moved; a delta across a reset is None."""

    window_reset: bool = False
    weekly_reset: bool = False
    five_hour: float | None = None
    seven_day: float | None = None


@dataclass
class Measurement:
    """The session's numbers: where it started, where it ended, and the tokens it spent."""

    started_at: datetime
    ended_at: datetime
    baseline: Baseline | None
    baseline_note: str | None
    end: Snapshot | None
    end_note: str | None
    deltas: Deltas
    tokens: transcripts.Report | None
    tokens_note: str | None
    newest: transcripts.Report | None


@dataclass
class Item:
    """One completed piece of work and its share of the session."""

    type: str
    units: float
    description: str
    share: float = 0.0
    pct: float | None = None
    output_tokens: int | None = None


@dataclass
class CalibrationChange:
    """A type's calibration before and after this session."""

    name: str
    before: CalibrationEntry
    after: CalibrationEntry


@dataclass
class CopilotUse:
    """Copilot's count at the end of the session, and at the start when it can be compared."""

    count: int
    before: int | None
    limit: int | None
    unit: str


@dataclass
class Decision:
    """What the session changes: item shares, calibration samples, the Copilot count."""

    items: list[Item]
    changes: list[CalibrationChange]
    calibration_note: str | None
    copilot: CopilotUse | None


@dataclass
class LogResult:
    """Everything `log` measured, decided and wrote."""

    measured: Measurement
    decided: Decision
    lessons: list[str]
    next_up: list[str]
    moved: list[Task]
    gemini: str
    session_file: str
    automatic: bool = False
    markdown: str = ""
    commit: str | None = None
