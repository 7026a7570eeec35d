"""`status`: a read-only glance at the windows, their pace and projection, the current session's
tokens and Copilot. No baseline, no commit; the endpoint only when every local source is stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ai_budget import paths
from ai_budget.claude import transcripts, usage
from ai_budget.errors import BudgetError, NotAJournal
from ai_budget.journal.journal import Journal
from ai_budget.model.accounts import CopilotState, copilot_state
from ai_budget.model.budget import BudgetFile
from ai_budget.model.usage import Snapshot, UsageWindow
from ai_budget.planning.credits import ConsoleMonth
from ai_budget.planning.forecast import Pace
from ai_budget.planning.routing import Route, route
from ai_budget.session.credits import CreditsState, console_or_error, credits_state
from ai_budget.session.pace import RULES, window_pace
from ai_budget.severity import WINDOWS, Severity, Thresholds, level, severity

LABELS = WINDOWS
# Exit statuses of `status --check`, for scripts.
OK, WARNING, RUNS_OUT, AT_LIMIT = 0, 10, 11, 20


@dataclass
class WindowStatus:
    """One window now, and where it is heading."""

    name: str
    window: UsageWindow
    pace: Pace
    tokens_per_hour: float | None = None


@dataclass
class Status:
    """What `status` shows."""

    now: datetime
    usage: Snapshot | None
    error: str | None
    windows: list[WindowStatus]
    severity: Severity
    session: transcripts.Report | None
    copilot: CopilotState | None
    bounds: Thresholds
    route: Route | None = None
    # Prepaid credits and the Console, beside the subscription windows, when they are set up.
    credits: CreditsState | None = None
    console: ConsoleMonth | None = None
    console_error: str | None = None

    @property
    def tier(self) -> str:
        """The severity's level (green…red, unknown)."""
        return self.severity.level

    @property
    def exit_code(self) -> int:
        """0 fine, 10 a window orange or red, 11 heading past 100 % before the reset, 20 a window at
        its limit (the severity's); the credit alerts count too (CAUTION 10, WARNING 11, CRITICAL 20)."""
        code = self.credits.forecast.exit_code if self.credits is not None else OK
        for w in self.windows:
            used = w.window.utilization
            if used is not None and used >= self.bounds.limit:
                return AT_LIMIT
            if w.pace.runs_out_at is not None:
                code = max(code, RUNS_OUT)
            elif level(used, self.bounds) in ("orange", "red"):
                code = max(code, WARNING)
        return code


def _tokens_per_hour(report: transcripts.Report | None, hours: float) -> float | None:
    if report is None or hours <= 0:
        return None
    return round(report.total.output_tokens / hours, 1)


def _load(home: Path) -> tuple[Journal | None, BudgetFile]:
    """The journal and its budget; with no journal, the defaults (the windows and tokens still show).
    A damaged budget.json is said, as every other command says it: not shown as "usage unknown"."""
    try:
        journal = Journal.open(home)
    except NotAJournal:
        return None, BudgetFile()
    return journal, journal.read_budget()


def status(claude_dirs: list[Path], now: datetime, home: Path | None = None) -> Status:
    """Everything `status` shows, reading only (our caches and the usage history may be filled)."""
    journal, budget = _load(home or paths.journal_home())
    snap: Snapshot | None = None
    error = None
    try:
        snap = usage.fresh_or_last_known(claude_dirs[0], budget.claude, allow_api=budget.settings.usage_api)
    except BudgetError as exc:
        error = str(exc)
    windows = []
    for name, rule in RULES.items():
        if snap is None:
            continue
        window = getattr(snap, name)
        state = WindowStatus(name, window, window_pace(name, window, now, rule))
        if name == "five_hour" and window.resets_at is not None and window.resets_at > now:
            began = window.resets_at - rule.span
            spent = _report(claude_dirs, since=began)
            state.tokens_per_hour = _tokens_per_hour(spent, (now - began) / timedelta(hours=1))
        windows.append(state)
    five = snap.five_hour.utilization if snap else None
    seven = snap.seven_day.utilization if snap else None
    month, month_error = console_or_error(budget, now)
    t = budget.settings.tiers
    bounds = Thresholds(t.green, t.yellow, t.orange, t.limit)
    return Status(
        now=now,
        usage=snap,
        error=error or (snap.error if snap else None),
        windows=windows,
        severity=severity(five, seven, bounds),
        session=_report(claude_dirs),
        copilot=copilot_state(budget.copilot, now)
        if journal is not None and budget.copilot.enabled
        else None,
        bounds=bounds,
        route=route(budget.settings.routing, five, seven, bounds=bounds),
        credits=credits_state(budget, claude_dirs, now, journal.root if journal is not None else None),
        console=month,
        console_error=month_error,
    )


def _report(claude_dirs: list[Path], since: datetime | None = None) -> transcripts.Report | None:
    """Tokens of the newest session (or every entry since `since`); None when there are no transcripts."""
    try:
        return transcripts.tokens(claude_dirs, since=since)
    except BudgetError:
        return None
