"""`report`: the past per day, week or month, from the daily rollups and the journal's commits (so it
reaches back past Claude Code's transcript cleanup), today added as far as it has got."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path

from ai_budget.claude import transcripts
from ai_budget.claude.transcripts.progress import Progress
from ai_budget.errors import BudgetError, InvalidInput
from ai_budget.journal import rollups
from ai_budget.journal.gitrepo import Commit
from ai_budget.journal.history import calibration_history, session_figures
from ai_budget.journal.journal import Journal
from ai_budget.journal.rollups import DayRow
from ai_budget.model.calibration import parse_trailer
from ai_budget.session.rollup import RollupResult, day_rows, local_zone, observed_peaks, rollup
from ai_budget.timeutil import now as utc_now

BY = ("day", "week", "month")
DEFAULT_DAYS = 30
MAX_DAYS = 36_600  # a century: more is a typing slip


@dataclass
class Period:
    """One row of the report: a day, an ISO week or a month (cut to the range asked for)."""

    label: str
    start: date
    end: date
    sessions: int = 0
    api_calls: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    unpriced_models: set[str] = field(default_factory=set)
    # Some day of it is known only from its readings (a `-` row): its tokens are unknown, not zero.
    tokens_unknown: bool = False
    peak_five_hour: float | None = None
    peak_weekly: float | None = None
    calibration: dict[str, int] = field(default_factory=dict)  # task type -> samples added
    partial: bool = False  # holds today, which is not over yet


@dataclass
class TypeSeries:
    """A task type's %/unit over time: the average after each sample, and each sample on its own."""

    name: str
    unit: str
    averages: list[tuple[datetime, float]] = field(default_factory=list)
    samples: list[tuple[datetime, float]] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything `report` shows."""

    since: date
    until: date
    by: str
    periods: list[Period]
    days: dict[date, list[DayRow]]  # every day in the range that has rows, today's included
    types: list[TypeSeries]
    rollup: RollupResult
    warnings: list[str] = field(default_factory=list)


def report_range(days: int | None, since: datetime | None, now: datetime, tz: tzinfo) -> tuple[date, date]:
    """The first and last local day asked for: the last `days` days (today included), or since WHEN."""
    today = now.astimezone(tz).date()
    if days is not None and since is not None:
        raise InvalidInput("give --days or --since, not both")
    if since is not None:
        if since > now:
            raise InvalidInput(
                f"--since {since.astimezone(tz):%Y-%m-%d %H:%M} is in the future: give a past time"
            )
        first = since.astimezone(tz).date()
        if (today - first).days >= MAX_DAYS:
            raise InvalidInput(f"--since {first} is over {MAX_DAYS:,} days ago: give a later time")
        return first, today
    count = DEFAULT_DAYS if days is None else days
    if not 1 <= count <= MAX_DAYS:
        raise InvalidInput(f"--days must be from 1 to {MAX_DAYS:,}, got {count}: for example --days 30")
    return today - timedelta(days=count - 1), today


def period_key(day: date, by: str) -> str:
    """The label of the period a day belongs to."""
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day:%Y-%m}"
    return day.isoformat()


def _periods(first: date, last: date, by: str, today: date) -> dict[str, Period]:
    found: dict[str, Period] = {}
    day = first
    while day <= last:
        key = period_key(day, by)
        period = found.setdefault(key, Period(key, day, day))
        period.end = day
        period.partial |= day == today
        day += timedelta(days=1)
    return found


def _add_rows(period: Period, rows: list[DayRow]) -> None:
    for r in rows:
        period.api_calls += r.count("api_calls")
        period.output_tokens += r.count("output_tokens")
        if r.cost is not None:
            period.cost += r.cost
        elif r.counts is not None and any(r.counts):
            period.unpriced_models.add(r.model)
        period.tokens_unknown |= r.counts is None
        for value, name in ((r.peak_five_hour, "peak_five_hour"), (r.peak_weekly, "peak_weekly")):
            old = getattr(period, name)
            if value is not None and (old is None or value > old):
                setattr(period, name, value)


def _local_day(stamp: str, tz: tzinfo) -> date | None:
    try:
        return datetime.fromisoformat(stamp).astimezone(tz).date()
    except ValueError:
        return None


def _add_commits(found: dict[str, Period], commits: list[Commit], by: str, tz: tzinfo) -> None:
    """Sessions logged and calibration samples added, each in the period of its commit."""
    for c in commits:
        day = _local_day(c.date, tz)
        period = found.get(period_key(day, by)) if day is not None else None
        if period is None or day is None or not period.start <= day <= period.end:
            continue
        if session_figures(c) is not None:
            period.sessions += 1
        for key, value in c.trailers:
            if key == "Calibration":
                name = parse_trailer(value)[0]
                period.calibration[name] = period.calibration.get(name, 0) + 1


def type_series(name: str, unit: str, commits: list[Commit], first: date, tz: tzinfo) -> TypeSeries:
    """A type's average after each sample, and each sample's own %/unit (every machine's samples)."""
    series = TypeSeries(name, unit)
    for row in calibration_history(name, commits):
        at = datetime.fromisoformat(row["date"]).astimezone(tz)
        if at.date() < first:
            continue
        if row["pct_per_unit"] is not None:
            series.averages.append((at, row["pct_per_unit"]))
        series.samples.append((at, max(row["sample_pct_per_unit"], 0.0)))
    return series


def _today_rows(journal: Journal, claude_dirs: list[Path], today: date, tz: tzinfo) -> list[DayRow]:
    """Today so far: the transcripts since local midnight and today's readings (written nowhere)."""
    midnight = datetime.combine(today, time(), tz)
    try:
        spent = transcripts.tokens(claude_dirs, since=midnight, until=midnight + timedelta(days=1))
        by_model = spent.by_model
    except BudgetError:
        by_model = {}  # no transcripts at all: today is known from its readings only
    return day_rows(today, by_model, observed_peaks(journal, today, tz).get(today, {}))


def build_report(
    journal: Journal,
    claude_dirs: list[Path],
    *,
    days: int | None = None,
    since: datetime | None = None,
    by: str = "day",
    now: datetime | None = None,
    progress: Progress | None = None,
    tz: tzinfo | None = None,
) -> ReportData:
    """Roll up what is finished (its own commit), then the report over the range asked for."""
    tz = tz or local_zone()
    now = now or utc_now()
    if by not in BY:
        raise InvalidInput(f"--by must be one of {', '.join(BY)}, got {by!r}")
    first, last = report_range(days, since, now, tz)
    done = rollup(journal, claude_dirs, now, progress=progress, tz=tz)
    every = rollups.read_all(journal.root)
    shown = {d: rows for d, rows in every.items() if first <= d <= last}
    today_rows = _today_rows(journal, claude_dirs, last, tz)
    if today_rows:
        shown[last] = today_rows
    periods = _periods(first, last, by, last)
    for day, rows in shown.items():
        _add_rows(periods[period_key(day, by)], rows)
    commits = journal.history()
    _add_commits(periods, commits, by, tz)
    table = journal.read_budget().calibration
    types = [type_series(name, entry.unit_word, commits, first, tz) for name, entry in sorted(table.items())]
    return ReportData(first, last, by, list(periods.values()), dict(sorted(shown.items())), types, done)
