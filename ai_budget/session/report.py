"""`report`: the past per day, week or month, from the daily rollups and the journal's commits (so it
reaches back past Claude Code's transcript cleanup), today added as far as it has got; every machine's
sessions and rollups once a journal is synced, with each machine's part."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget.claude import transcripts
from ai_budget.claude.transcripts.progress import Progress
from ai_budget.errors import BudgetError, InvalidInput
from ai_budget.journal import machine as machines
from ai_budget.journal import rollups, samples
from ai_budget.journal.gitrepo import Commit
from ai_budget.journal.history import calibration_history, session_figures
from ai_budget.journal.journal import Journal
from ai_budget.journal.rollups import DayRow
from ai_budget.session import ledger
from ai_budget.session.rollup import RollupResult, day_rows, local_zone, observed_peaks, rollup
from ai_budget.timeutil import now as utc_now

BY = ("day", "week", "month")
DEFAULT_DAYS = 30
MAX_DAYS = 36_600  # a century: more is a typing slip


@dataclass
class Period:
    """One row of the report: a day, an ISO week (by its Monday) or a month (cut to the range asked for)."""

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
class MachineTotals:
    """One machine's part of the range: its sessions and what its transcripts spent."""

    name: str
    sessions: int = 0
    api_calls: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    unpriced_models: set[str] = field(default_factory=set)
    tokens_unknown: bool = False
    samples: int = 0  # calibration samples its sessions added (and that still count)


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
    machine: str | None = None  # the one machine asked for (`--machine`), or None: all of them
    machines: list[MachineTotals] = field(default_factory=list)  # each machine's part, by name
    # Another machine's days with sessions it has not rolled up (or not synced since): their tokens
    # are on that machine until it rolls them up (its first command the next day) and syncs.
    pending: dict[str, list[date]] = field(default_factory=dict)


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
    """The label of the period a day belongs to: a week is labelled by its Monday's date, as in
    `tokens --by week`."""
    if by == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
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


def _add_counts(into: Period | MachineTotals, r: DayRow) -> None:
    """A rollup row's calls, tokens and cost into a period's or a machine's totals."""
    into.api_calls += r.count("api_calls")
    into.output_tokens += r.count("output_tokens")
    if r.cost is not None:
        into.cost += r.cost
    elif r.counts is not None and any(r.counts):
        into.unpriced_models.add(r.model)
    into.tokens_unknown |= r.counts is None


def _add_rows(period: Period, rows: list[DayRow]) -> None:
    for r in rows:
        _add_counts(period, r)
        for value, name in ((r.peak_five_hour, "peak_five_hour"), (r.peak_weekly, "peak_weekly")):
            old = getattr(period, name)
            if value is not None and (old is None or value > old):
                setattr(period, name, value)


def _local_day(stamp: str, tz: tzinfo) -> date | None:
    try:
        return datetime.fromisoformat(stamp).astimezone(tz).date()
    except ValueError:
        return None


@dataclass
class _Who:
    """Which machine wrote what: commits, sessions, samples (`here`: this machine)."""

    here: str
    by_session: dict[str, str]
    by_sha: dict[str, str] = field(default_factory=dict)

    def commit(self, c: Commit) -> str:
        name = self.by_sha.get(c.sha)
        if name is None:
            name = self.by_sha[c.sha] = machines.of_commit(dict(c.trailers), self.by_session, self.here)
        return name


def _in_period(found: dict[str, Period], stamp: str, by: str, tz: tzinfo) -> Period | None:
    day = _local_day(stamp, tz)
    period = found.get(period_key(day, by)) if day is not None else None
    return period if period is not None and day is not None and period.start <= day <= period.end else None


def _add_commits(
    found: dict[str, Period],
    commits: list[Commit],
    by: str,
    tz: tzinfo,
    who: _Who,
    totals: dict[str, MachineTotals],
) -> None:
    """Sessions logged and calibration samples that count, each in the period of its commit, of the
    machines in `totals`."""
    for c in commits:
        period = _in_period(found, c.date, by, tz)
        name = who.commit(c)
        if period is None or name not in totals or session_figures(c) is None:
            continue
        period.sessions += 1
        totals[name].sessions += 1
    dates = {c.sha: c for c in commits}
    for s in samples.over_time(commits):
        commit = dates.get(s.sha)
        period = _in_period(found, commit.date, by, tz) if commit is not None else None
        name = s.machine or (who.commit(commit) if commit is not None else who.here)
        if period is None or name not in totals:
            continue
        period.calibration[s.type] = period.calibration.get(s.type, 0) + s.count
        totals[name].samples += s.count


def _pending(
    found: dict[str, Period],
    commits: list[Commit],
    per_machine: dict[str, dict[date, list[DayRow]]],
    who: _Who,
    totals: dict[str, MachineTotals],
    tz: tzinfo,
) -> dict[str, list[date]]:
    """Another machine's days in the range with sessions but no rollup rows here: what it spent then is
    unknown here (not zero) until it rolls those days up and syncs."""
    pending: dict[str, set[date]] = {}
    for c in commits:
        name, day = who.commit(c), _local_day(c.date, tz)
        if name == who.here or name not in totals or day is None or session_figures(c) is None:
            continue
        period = next((p for p in found.values() if p.start <= day <= p.end), None)
        if period is not None and day not in per_machine.get(name, {}):
            pending.setdefault(name, set()).add(day)
            period.tokens_unknown = totals[name].tokens_unknown = True
    return {name: sorted(days) for name, days in sorted(pending.items())}


def _machine_rows(totals: MachineTotals, rows: list[DayRow]) -> None:
    for r in rows:
        _add_counts(totals, r)


def _who(journal: Journal) -> _Who:
    """This machine's name, and the machine each session's ledger lines name."""
    found = {}
    for line in ledger.read_all(journal.root):
        sid, name = line.get("session_id"), line.get("machine")
        if isinstance(sid, str) and isinstance(name, str):
            found[sid] = name
    return _Who(rollups.machine_name(journal.root), found)


def _chosen(
    asked: str | None, per_machine: dict[str, Any], commits: list[Commit], who: _Who
) -> dict[str, MachineTotals]:
    """The machines the report covers (every one with sessions or tokens in it, or the one asked for).
    Not every name in the commits: the first commits of a journal carry the host name it had before
    `ai-budget machine NAME`."""
    known = {who.here, *per_machine} | {who.commit(c) for c in commits if session_figures(c) is not None}
    if asked is not None and asked not in known:
        names = ", ".join(sorted(known))
        if any(who.commit(c) == asked for c in commits):  # it synced, but logged nothing in the range
            raise InvalidInput(f"{asked} has no sessions or tokens in this range: give one of {names}")
        raise InvalidInput(f"no machine named {asked!r} in this journal: give one of {names}")
    return {name: MachineTotals(name) for name in sorted(known) if asked in (None, name)}


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
    machine: str | None = None,
) -> ReportData:
    """Roll up what is finished (its own commit), then the report over the range asked for: every
    machine's days and sessions, or only those of `machine`."""
    tz = tz or local_zone()
    now = now or utc_now()
    if by not in BY:
        raise InvalidInput(f"--by must be one of {', '.join(BY)}, got {by!r}")
    first, last = report_range(days, since, now, tz)
    done = rollup(journal, claude_dirs, now, progress=progress, tz=tz)
    who = _who(journal)
    per_machine = rollups.read_machines(journal.root)
    today_rows = _today_rows(journal, claude_dirs, last, tz)  # this machine's transcripts
    if today_rows:
        per_machine.setdefault(who.here, {})[last] = today_rows
    commits = journal.history()
    totals = _chosen(machine, per_machine, commits, who)
    periods = _periods(first, last, by, last)
    shown: dict[date, list[DayRow]] = {}
    for name, days_of in per_machine.items():
        for day, rows in days_of.items():
            if name in totals and first <= day <= last:
                shown.setdefault(day, []).extend(rows)
                _add_rows(periods[period_key(day, by)], rows)
                _machine_rows(totals[name], rows)
    _add_commits(periods, commits, by, tz, who, totals)
    pending = _pending(periods, commits, per_machine, who, totals, tz)
    table = journal.read_budget().calibration
    types = [type_series(name, entry.unit_word, commits, first, tz) for name, entry in sorted(table.items())]
    return ReportData(
        first, last, by, list(periods.values()), dict(sorted(shown.items())), types, done,
        machine=machine, machines=list(totals.values()), pending=pending,
    )  # fmt: skip
