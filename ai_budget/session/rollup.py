"""Daily rollups: each finished local day's tokens per model and peak utilisation, into the journal
once (`usage/MACHINE/YYYY-MM.csv`), corrected while its transcripts are still there, never after."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.claude import usage_history
from ai_budget.claude.transcripts import Counts, Index, Transcript, counts_of, find_transcripts
from ai_budget.claude.transcripts.discover import transcript_stats
from ai_budget.claude.transcripts.progress import Progress
from ai_budget.errors import BudgetError
from ai_budget.fileio import read_json, write_json
from ai_budget.journal import rollups
from ai_budget.journal.history import window_readings
from ai_budget.journal.journal import Journal
from ai_budget.journal.rollups import NO_MODEL, DayRow
from ai_budget.session.rollup_quick import (
    QUICK,
    STATE_VERSION,
    csv_stat,
    digest,
    local_zone,
    quick_quiet,
    state_path,
)
from ai_budget.timeutil import now as utc_now

WINDOWS = ("five_hour", "seven_day")
# The state kept between runs (in the cache dir, never in git), so that deciding "nothing to roll
# up" costs a walk of the transcripts folder and a stat of each file:
#   through: the last day that was finished at the last run
#   csv:     {month file: [size, mtime_ns]} as the last run left them (a hand edit means: look again)
#   files:   {transcript: [size, mtime_ns, {day: [messages, sum of counts]}]}, a fingerprint per day
#   frozen:  days some of whose transcripts are gone: never rewritten


@dataclass
class RollupResult:
    """What one rollup did: the days it wrote (new or corrected), those it left, its commit."""

    written: list[date] = field(default_factory=list)
    corrected: list[date] = field(default_factory=list)
    kept: list[date] = field(default_factory=list)  # recomputed, but their transcripts had shrunk
    sha: str | None = None


@dataclass
class _State:
    through: date | None = None
    csv: dict[str, list[int]] = field(default_factory=dict)
    files: dict[str, list[Any]] = field(default_factory=dict)
    frozen: set[date] = field(default_factory=set)


def _load_state(path: Path) -> _State:
    data = read_json(path)
    if not data or data.get("version") != STATE_VERSION:
        return _State()
    try:
        through = data.get("through")
        return _State(
            through=date.fromisoformat(through) if through else None,
            csv={str(k): list(v) for k, v in data.get("csv", {}).items()},
            files={str(k): list(v) for k, v in data.get("files", {}).items()},
            frozen={date.fromisoformat(d) for d in data.get("frozen", [])},
        )
    except (TypeError, ValueError, AttributeError):
        return _State()  # a damaged state costs one full look, nothing else


def _save_state(path: Path, state: _State) -> None:
    data = {
        "version": STATE_VERSION,
        "through": state.through.isoformat() if state.through else None,
        "csv": state.csv,
        "files": state.files,
        "frozen": sorted(d.isoformat() for d in state.frozen),
    }
    with contextlib.suppress(OSError):  # a state that cannot be kept only costs the next run a full look
        path.with_suffix(QUICK).unlink(missing_ok=True)  # it spoke for the state being replaced
        write_json(path, data)


# Beside the state, a small record that says "nothing to roll up" without reading the state (every
# file's fingerprints, hundreds of KB): a digest of a quiet listing's (path, size, mtime) but for the
# files holding only that day's messages (they may grow). The same digest is quiet, as `_quiet` says.
def _save_quick(where: Path, state: _State, stats: dict[str, tuple[int, int]]) -> None:
    """The quick record of a quiet listing (the state's `through` and `csv`, the listing's stats)."""
    day = (state.through + timedelta(days=1)).isoformat() if state.through else None
    growing = sorted(p for p, v in state.files.items() if p in stats and list(v[2]) == [day])
    through = state.through.isoformat() if state.through else None
    data: dict[str, Any] = {"version": STATE_VERSION, "through": through, "csv": state.csv}
    data |= {"growing": growing, "digest": digest(stats, set(growing))}
    with contextlib.suppress(OSError):
        write_json(where.with_suffix(QUICK), data)


def _quiet(state: _State, stats: dict[str, tuple[int, int]], csv: dict[str, list[int]], today: date) -> bool:
    """Nothing to roll up: the last run was today, no month file was touched, and every transcript
    that changed since held only today's messages (an append to it adds only today's)."""
    if state.through != today - timedelta(days=1) or state.csv != csv:
        return False
    only_today = [today.isoformat()]
    files = state.files
    for path, (size, mtime_ns) in stats.items():
        old = files.get(path)
        if old is None:
            return False
        if (old[0] != size or old[1] != mtime_ns) and list(old[2]) != only_today:
            return False
    return True


def _day(ts: float, tz: tzinfo, cache: dict[int, date]) -> date:
    """The local date of an epoch time; cached per quarter hour (every zone's offset is a multiple)."""
    bucket = int(ts // 900)
    found = cache.get(bucket)
    if found is None:
        found = cache[bucket] = datetime.fromtimestamp(bucket * 900, tz).date()
    return found


def _fingerprint(index: Index, t: Transcript, tz: tzinfo, cache: dict[int, date]) -> dict[str, list[int]]:
    """Per local day of one file: how many messages it holds and the sum of their counts."""
    days: dict[str, list[int]] = {}
    for m in index.messages(t.path).values():
        if m.timestamp is None:
            continue
        entry = days.setdefault(_day(m.timestamp, tz, cache).isoformat(), [0, 0])
        entry[0] += 1
        entry[1] += sum(counts_of(m))
    return days


@dataclass
class _Plan:
    days: set[date]  # to compute
    fingerprints: dict[str, dict[str, list[int]]]
    frozen: set[date]
    peaks: dict[date, dict[str, float]]


@dataclass
class _Context:
    journal: Journal
    index: Index
    tz: tzinfo
    today: date
    unreadable: list[str]


def _fingerprints(
    state: _State, files: list[Transcript], ctx: _Context
) -> tuple[dict[str, dict[str, list[int]]], set[date]]:
    """Every file's per-day fingerprint (read again only for files that changed), and the days whose
    fingerprint changed in some file."""
    stale = [
        t
        for t in files
        if (o := state.files.get(t.file)) is None or (o[0], o[1]) != (t.size, t.mtime_ns)
    ]
    ctx.index.prefetch(stale)  # in two processes when there are many (a first run)
    prints = {t.file: state.files[t.file][2] for t in files if t.file in state.files}
    changed: set[date] = set()
    cache: dict[int, date] = {}
    for t in stale:
        old = state.files.get(t.file)
        before = old[2] if old is not None else {}
        now = prints[t.file] = _fingerprint(ctx.index, t, ctx.tz, cache)
        changed |= {date.fromisoformat(d) for d, v in now.items() if before.get(d) != v}
    return prints, changed


def _plan(
    state: _State, files: list[Transcript], csv: dict[str, list[int]], have: set[date], ctx: _Context
) -> _Plan:
    """Which finished days to compute: new ones, and rolled-up ones a changed transcript touches."""
    through = state.through if state.csv == csv else None  # a hand-edited file: look at every day
    prints, changed = _fingerprints(state, files, ctx)
    listed = {t.file for t in files} | set(ctx.unreadable)
    frozen = set(state.frozen)
    for key, old in state.files.items():
        if key not in listed:  # deleted (Claude Code's cleanup): its days stay as they were rolled up
            frozen |= {date.fromisoformat(d) for d in old[2]}
    again = {d for d in changed if d < ctx.today and d in have and d not in frozen}
    peaks: dict[date, dict[str, float]] = {}
    if through is None:
        peaks = observed_peaks(ctx.journal, None, ctx.tz)
    elif again or through + timedelta(days=1) < ctx.today:
        peaks = observed_peaks(ctx.journal, min(again | {through + timedelta(days=1)}), ctx.tz)
    with_data = {date.fromisoformat(d) for p in prints.values() for d in p} | set(peaks)
    new = {
        d
        for d in with_data
        if d < ctx.today and d not in have and (through is None or d > through or d in changed)
    }
    return _Plan(new | again, prints, frozen, peaks)


def observed_peaks(journal: Journal, since: date | None, tz: tzinfo) -> dict[date, dict[str, float]]:
    """Each local day's highest 5-hour and weekly reading: the usage history and the journal's snapshots."""
    start = datetime.combine(since, time(), tz) if since is not None else datetime.fromtimestamp(0, tz)
    readings = [(at, w, u) for w in WINDOWS for at, u, _ in usage_history.series(w, start)]
    readings += window_readings(journal.repo, start if since is not None else None)
    peaks: dict[date, dict[str, float]] = {}
    for at, window, value in readings:
        if at < start:
            continue
        day = peaks.setdefault(at.astimezone(tz).date(), {})
        day[window] = max(day.get(window, value), value)
    return peaks


def day_rows(day: date, counts: dict[str, Counts], peaks: dict[str, float]) -> list[DayRow]:
    """A day's rows: one per model, or one NO_MODEL row for a day known only from its readings."""
    five, week = peaks.get("five_hour"), peaks.get("seven_day")
    rows = [
        DayRow(
            day,
            model,
            (
                c.exchanges,
                c.input_tokens,
                c.output_tokens,
                c.cache_creation_5m_tokens,
                c.cache_creation_1h_tokens,
                c.cache_read_input_tokens,
                c.web_search_requests,
            ),
            c.cost,
            five,
            week,
        )
        for model, c in sorted(counts.items())
    ]
    if not rows and (five is not None or week is not None):
        rows = [DayRow(day, NO_MODEL, None, None, five, week)]
    return rows


def _shrank(old: list[DayRow], new: list[DayRow]) -> bool:
    """Whether any count of any model went down: some of the day's transcripts must be gone."""
    now = {r.model: r.counts for r in new}
    for r in old:
        if r.counts is None:
            continue
        after = now.get(r.model)
        if after is None or any(a < b for a, b in zip(after, r.counts, strict=True)):
            return True
    return False


def _with_old_peaks(old: list[DayRow], new: list[DayRow]) -> list[DayRow]:
    """Peaks never drop on a recount: the history thins old readings out (one per hour)."""
    five = max((v for r in old + new if (v := r.peak_five_hour) is not None), default=None)
    week = max((v for r in old + new if (v := r.peak_weekly) is not None), default=None)
    return [DayRow(r.day, r.model, r.counts, r.cost, five, week) for r in new]


def _computed(ctx: _Context, plan: _Plan, files: list[Transcript]) -> dict[date, list[DayRow]]:
    """The rows of every planned day, from the transcripts that hold it (a day either side for copies)."""
    from ai_budget.claude.transcripts.breakdown import daily_by_model

    near = {(d + timedelta(days=k)).isoformat() for d in plan.days for k in (-1, 0, 1)}
    holding = [t for t in files if not near.isdisjoint(plan.fingerprints.get(t.file, {}))]
    by_day: dict[date, dict[str, Counts]] = {}
    for (day, model), counts in daily_by_model(ctx.index, holding, ctx.tz).items():
        if day in plan.days:
            by_day.setdefault(day, {})[model] = counts
    return {d: day_rows(d, by_day.get(d, {}), plan.peaks.get(d, {})) for d in plan.days}


def rollup(
    journal: Journal,
    claude_dirs: list[Path],
    now: datetime | None = None,
    *,
    progress: Progress | None = None,
    tz: tzinfo | None = None,
    listing: tuple[list[Transcript], list[str]] | None = None,
) -> RollupResult:
    """Roll up every finished day not in the journal yet (and correct changed ones), one commit.

    `listing` is the caller's `find_transcripts` and its unreadable paths, made in the same command."""
    tz = tz or local_zone()
    today = (now or utc_now()).astimezone(tz).date()
    where = state_path(journal.root, claude_dirs)
    csv = csv_stat(journal.root)
    # The common case, nothing to roll up, first: a listing without Paths, and the quick record.
    if listing is None:
        stats = transcript_stats(claude_dirs)
    else:
        stats = {t.file: (t.size, t.mtime_ns) for t in listing[0]}
    if stats is not None and quick_quiet(where, stats, csv, today):
        return RollupResult()
    state = _load_state(where)
    if stats is not None and _quiet(state, stats, csv, today):
        _save_quick(where, state, stats)
        return RollupResult()
    if listing is None:
        unreadable: list[str] = []
        listing = (find_transcripts(claude_dirs, unreadable), unreadable)
    files, unreadable = listing
    ctx = _Context(journal, Index(progress=progress), tz, today, unreadable)
    have = rollups.read_all(journal.root)  # a damaged file stops here, before anything is written
    plan = _plan(state, files, csv, set(have), ctx)
    result = _commit(journal, have, _computed(ctx, plan, files) if plan.days else {})
    ctx.index.save()
    kept = {t.file: [t.size, t.mtime_ns, plan.fingerprints[t.file]] for t in files}
    saved = _State(today - timedelta(days=1), csv_stat(journal.root), kept, plan.frozen)
    _save_state(where, saved)
    _save_quick(where, saved, {t.file: (t.size, t.mtime_ns) for t in files})
    return result


def _commit(
    journal: Journal, have: dict[date, list[DayRow]], computed: dict[date, list[DayRow]]
) -> RollupResult:
    """Write the days that changed into their month files, in one commit."""
    result = RollupResult()
    changes: dict[str, dict[date, list[DayRow]]] = {}
    for day, rows in sorted(computed.items()):
        old = have.get(day)
        if old is not None:
            if _shrank(old, rows):
                result.kept.append(day)
                continue
            rows = _with_old_peaks(old, rows)
            if rollups.render(rows) == rollups.render(old):  # as written: costs and peaks rounded
                continue
            result.corrected.append(day)
        if not rows:
            continue
        result.written.append(day)
        changes.setdefault(rollups.month_file(day, journal.root), {})[day] = rows
    if not changes:
        return result
    with journal.transaction(f"usage: rollup {rollups.span_label(result.written)}") as tx:
        rollups.write_months(tx, changes)
    result.sha = tx.sha
    return result


def rollup_quietly(
    journal: Journal,
    claude_dirs: list[Path] | None,
    now: datetime | None = None,
    progress: Progress | None = None,
    listing: tuple[list[Transcript], list[str]] | None = None,
) -> str | None:
    """The rollup as part of `check` or `log`: a problem is a warning for the caller, never a failure."""
    dirs = claude_dirs if claude_dirs is not None else paths.claude_dirs()
    try:
        rollup(journal, dirs, now, progress=progress, listing=listing)
    except BudgetError as exc:
        return f"daily rollup skipped: {exc}"
    except OSError as exc:
        return f"daily rollup skipped: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return None
