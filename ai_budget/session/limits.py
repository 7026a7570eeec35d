"""Limit changes from the journal: session points and per-sample calibration rebuilt from commit trailers."""

from __future__ import annotations

import contextlib
from datetime import datetime, timezone

from ai_budget.errors import BudgetError
from ai_budget.journal.gitrepo import Commit
from ai_budget.journal.journal import Journal
from ai_budget.journal.samples import over_time, shared_sessions
from ai_budget.model.budget import BudgetFile, LimitChange
from ai_budget.model.calibration import CalibrationEntry
from ai_budget.planning import limits
from ai_budget.planning.limits import Change, Point, Sample
from ai_budget.timeutil import parse_time

# Samples no trailer accounts for (the hand-made format, an entry typed in) are older than any trailer.
UNTRACKED = datetime.min.replace(tzinfo=timezone.utc)


# The commits `check` reads when no estimate weighs samples: the detector needs the last
# BEFORE + AFTER (30) usable sessions, and a session makes 2-3 commits (check, session, a day's
# rollup) with about half of sessions over MIN_PCT, so 30 usable ones take about 150 commits. Fewer
# usable ones than that in the last RECENT commits: the whole history is read.
RECENT = 200


def read_history(journal: Journal, limit: int | None = None) -> list[Commit]:
    """The journal's commits, newest first; none when git cannot give them (the limits just stay unknown)."""
    try:
        return journal.history(limit)
    except BudgetError:
        return []


def recent_history(journal: Journal, budget: BudgetFile) -> list[Commit]:
    """The commits `check` needs: every one when estimates weigh samples (their trailers make the
    samples), else the last RECENT if they hold enough sessions for the detector."""
    if changes(budget) or budget.settings.calibration_half_life:
        return read_history(journal)
    recent = read_history(journal, RECENT)
    last = max((c.since for c in budget.limits), default=None)
    found = [p for p in limits.usable(points(recent)) if last is None or p.at >= last]
    if len(recent) < RECENT or len(found) >= limits.BEFORE + limits.AFTER:
        return recent
    return read_history(journal)


def _moment(raw: str | None) -> datetime | None:
    """An ISO time as aware UTC, or None (parse_time reads what `log` and git write the fast way)."""
    with contextlib.suppress(ValueError):
        return parse_time(raw)
    return None


def _when(commit: Commit) -> datetime:
    """When a commit's session started (its Session-Start trailer), else when it was committed."""
    for raw in (commit.trailer("Session-Start"), commit.date):
        moment = _moment(raw)
        if moment is not None:
            return moment
    return UNTRACKED


def points(commits: list[Commit]) -> list[Point]:
    """Each session commit with a numeric 5-hour delta and output tokens, as a detector point."""
    # The two trailers session_figures reads, read alone: `check` runs this on every commit it reads.
    # A session that ran while another machine's did shared its delta: not a point of its own.
    shared = shared_sessions(commits)
    found = []
    for commit in commits:
        if commit.sha in shared:
            continue
        try:
            pct = float(commit.trailer("Five-Hour-Delta") or "-")
            tokens = float(commit.trailer("Output-Tokens") or "-")
        except ValueError:  # no such trailer, or a word such as "reset" or "unknown"
            continue
        found.append(Point(_when(commit), tokens, pct))
    return found


def tracked_samples(commits: list[Commit]) -> dict[str, list[Sample]]:
    """Per type (lower-case), oldest first: each sample that counts, from every machine's commits (its
    `Calibration-Sample` trailer, or for older commits the step between running `Calibration` sums)."""
    found: dict[str, list[Sample]] = {}
    for s in over_time(commits):
        step = Sample(s.when, round(float(s.units), 6), round(float(s.pct), 6), s.count)
        found.setdefault(s.type.lower(), []).append(step)
    return found


def entry_samples(entry: CalibrationEntry, tracked: list[Sample]) -> list[Sample] | None:
    """The entry's samples: a lump of what no trailer accounts for, then the tracked ones; None if unknown."""
    # None when the trailers hold more than the entry (edited down by hand): only the sums are known.
    count = entry.samples - sum(s.count for s in tracked)
    units = round(entry.units - sum(s.units for s in tracked), 6)
    pct = round(entry.total_5h_pct - sum(s.pct for s in tracked), 6)
    if count < 0:
        return None
    if count == 0:
        if not tracked:
            return []
        # Trailers round %/unit to four decimals: the newest sample takes the rest, so the samples add
        # up to the stored sums exactly.
        last = tracked[-1]
        newest = Sample(last.at, round(last.units + units, 6), max(0.0, round(last.pct + pct, 6)), last.count)
        return [*tracked[:-1], newest] if newest.units > 0 else None
    return [Sample(UNTRACKED, units, max(0.0, pct), count), *tracked] if units > 0 else None


def changes(budget: BudgetFile) -> list[Change]:
    """The changes `check` has recorded and nobody dismissed, oldest first (the ones estimates weigh by)."""
    kept = [c for c in budget.limits if not c.dismissed]
    return [Change(c.since, c.ratio, 0, 0) for c in sorted(kept, key=lambda c: c.since)]


def review(budget: BudgetFile, commits: list[Commit]) -> Change | None:
    """A change not recorded yet: the detector over the sessions since the latest record, dismissed or not."""
    last = max((c.since for c in budget.limits), default=None)
    return limits.detect(points(commits), after=last)


def recorded(change: Change, now: datetime) -> LimitChange:
    """The budget.json record of a change, so the brief warns about it once."""
    return LimitChange(since=change.since, ratio=change.ratio, noticed_at=now)


def _per_type(budget: BudgetFile, commits: list[Commit]) -> dict[str, list[Sample]]:
    tracked = tracked_samples(commits)
    found = {}
    for name, entry in budget.calibration.items():
        samples = entry_samples(entry, tracked.get(name.lower(), []))
        if samples:
            found[name] = samples
    return found


def rates(
    budget: BudgetFile, commits: list[Commit], per_type: dict[str, list[Sample]] | None = None
) -> dict[str, float]:
    """Weighted %/unit per type for estimates; empty when no change is known and no half-life is set."""
    known, half_life = changes(budget), budget.settings.calibration_half_life
    if not known and not half_life:
        return {}
    found = {}
    for name, samples in (per_type if per_type is not None else _per_type(budget, commits)).items():
        value = limits.weighted_rate(samples, known, half_life)
        if value is not None:
            found[name] = value
    return found


def marks(
    budget: BudgetFile, commits: list[Commit], per_type: dict[str, list[Sample]] | None = None
) -> dict[str, Change]:
    """Per type, the latest recorded change that some of its samples predate."""
    known = changes(budget)
    if not known:
        return {}
    found = {}
    for name, samples in (per_type if per_type is not None else _per_type(budget, commits)).items():
        change = limits.predating(samples, known)
        if change is not None:
            found[name] = change
    return found


def warning(change: Change) -> str:
    """The brief's one warning about a change."""
    if change.ratio >= 1:
        how = f"about {change.ratio:.1f}× more tokens per %"
    else:
        how = f"about {1 / change.ratio:.1f}× fewer tokens per %"
    day = f"{change.since.astimezone():%Y-%m-%d}"
    return (
        f"Claude's 5-hour window seems to hold {how} since {day}: "
        "calibrations before that date are weighted down"
    )


def weighting(journal: Journal, budget: BudgetFile) -> tuple[dict[str, Change], dict[str, float]]:
    """Per type, the change its samples predate and the weighted %/unit (git is read only when needed)."""
    if not budget.limits and not budget.settings.calibration_half_life:
        return {}, {}
    commits = read_history(journal)
    per_type = _per_type(budget, commits)  # the samples rebuilt from every trailer, once
    return marks(budget, commits, per_type), rates(budget, commits, per_type)
