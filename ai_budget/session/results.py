"""What `log` measured, decided and wrote: plain data shared by the steps and the session log view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
    tokens: transcripts.Report | None  # the session's own totals (in a terminal: every session's since start)
    tokens_note: str | None
    newest: transcripts.Report | None
    session_id: str | None = None  # the Claude Code session measured (None: a terminal session)
    recorded: dict[str, Any] | None = None  # what this record adds to the ledger (new since its last line)
    prior: dict[str, Any] | None = None  # what the ledger already held of the session
    unpriced: list[str] = field(default_factory=list)
    span_output: int | None = None  # output tokens in the span the 5-hour delta covers (calibration's)
    first_time: datetime | None = None
    shared_with: list[str] = field(default_factory=list)  # sessions that ran at the same time
    client_cost: float | None = None  # Claude Code's own cost figure for the session, when it gave one
    resumed: bool = False  # the session was resumed (claude --resume) since ai-budget first saw it


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
    machine: str = ""  # the machine it ran on (a synced journal's day log holds several)
    markdown: str = ""
    commit: str | None = None
