"""What a session measured: the windows at its start and end, their deltas, and its tokens.

A session inside Claude Code is measured by its own transcript (Claude Code's session id); a session
in a terminal, with no Claude Code session to name, by every transcript since its start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ai_budget.claude import local_sources, transcripts, usage
from ai_budget.claude.transcripts.discover import Transcript
from ai_budget.claude.transcripts.progress import Progress
from ai_budget.errors import BudgetError
from ai_budget.journal.gitrepo import GitRepo
from ai_budget.journal.samples import Span, session_span
from ai_budget.model.budget import BudgetFile
from ai_budget.model.usage import RESET_JITTER, Baseline, Snapshot
from ai_budget.session import ledger, live
from ai_budget.session.results import Deltas, Measurement
from ai_budget.session.state import OpenSession
from ai_budget.timeutil import local_clock

FIVE_HOURS = timedelta(hours=5)
CLOCK_SLACK = timedelta(days=1)
Listing = tuple[list[Transcript], list[str]]  # find_transcripts and the unreadable paths


@dataclass(frozen=True)
class Scope:
    """Which session is measured, and what the journal already holds of it."""

    root: Path  # the journal's folder (its open sessions live under the state folder by it)
    session_id: str | None
    opened: OpenSession | None
    records: Sequence[dict[str, Any]] = field(default_factory=list)
    local_only: bool = False  # a hook: local sources only, never the endpoint
    here: str | None = None  # this machine's name: the journal's session commits are read for overlaps


def measure(
    budget: BudgetFile,
    scope: Scope,
    req: Any,
    progress: Progress | None = None,
    listing: Listing | None = None,
) -> Measurement:
    """The baseline, fresh end values, the deltas and the tokens spent (reads; writes nothing)."""
    base, baseline_note = _start(budget, scope.opened, req.now)
    end, end_note = _end(req, budget, base, scope.local_only)
    started_at = (
        scope.opened.measure_from
        if scope.opened is not None
        else (base.started_at if base is not None else req.now)
    )
    index = transcripts.Index(progress=progress)  # one cache for every query: each file read once
    m = Measurement(
        started_at=started_at,
        ended_at=req.now,
        baseline=base,
        baseline_note=baseline_note,
        end=end,
        end_note=end_note,
        deltas=deltas(base, end),
        tokens=None,
        tokens_note=None,
        newest=None,
        session_id=scope.session_id,
        resumed=bool(scope.opened is not None and scope.opened.resumed),
    )
    if scope.session_id is not None:
        _session_tokens(m, req.claude_dirs, scope, index, listing)
    else:
        since = started_at if base is not None else None
        m.tokens, m.tokens_note = _tokens(req.claude_dirs, since, index, listing)
        m.newest, _ = _tokens(req.claude_dirs, None, index, listing)
        m.recorded = _counts(m.tokens)
        m.span_output = m.tokens.total.output_tokens if m.tokens is not None else None
    logged = _logged_since(scope, started_at)
    m.shared_with = live.overlapping(
        scope.root, scope.session_id, started_at, req.now, list(scope.records), logged, scope.here or ""
    )
    return m


def _logged_since(scope: Scope, since: datetime) -> list[Span]:
    """The sessions the journal's commits hold that may have run since `since` (a session logged in a
    terminal has no ledger line); a day's slack for another machine's clock."""
    if scope.here is None or scope.local_only:
        return []  # a hook adds no sample (no work items), and has no time for a git process to spare
    try:
        commits = GitRepo(scope.root).history(since=since - CLOCK_SLACK)
    except BudgetError:
        return []  # no history to read: the ledger and the open sessions still count
    return [span for c in commits if (span := session_span(c, scope.here)) is not None]


def _session_tokens(
    m: Measurement, claude_dirs: list[Path], scope: Scope, index: transcripts.Index, listing: Listing | None
) -> None:
    """A Claude Code session's own tokens: the whole of it, what is new since the ledger's lines, and
    what fell in the measured span (the part the 5-hour delta covers)."""
    sid = scope.session_id
    assert sid is not None
    try:
        m.tokens = transcripts.tokens(claude_dirs, session=sid, index=index, listing=listing)
    except BudgetError as exc:
        m.tokens_note = f"no transcript of session {sid} ({exc})"
        return
    observed = live.observed_in(m.tokens, sid, index)  # the report just made: no second count
    if observed is None:
        return
    m.prior = ledger.session_sums(scope.records, sid)
    m.recorded = live.increment({**observed.counts, "cost_usd": observed.cost}, m.prior)
    m.unpriced = observed.unpriced
    span = live.observe(claude_dirs, sid, index, since=m.started_at, listing=listing)
    m.span_output = span.counts["output_tokens"] if span is not None else 0
    m.first_time = observed.first


def _counts(report: transcripts.Report | None) -> dict[str, Any] | None:
    """A report's totals as a ledger line's counts."""
    if report is None:
        return None
    total = report.total
    found: dict[str, Any] = {name: int(getattr(total, name)) for name in ledger.COUNT_FIELDS}
    found["cost_usd"] = round(float(total.cost), 6) if total.cost is not None else None
    return found


def _start(
    budget: BudgetFile, opened: OpenSession | None, now: datetime
) -> tuple[Baseline | None, str | None]:
    """The windows when the session began (or its last log), else the last known values; and a note
    when they are not exact."""
    base = _opened_baseline(opened) if opened is not None else budget.baseline
    if base is not None:
        if base.source == "last-known" and base.fetched_at is not None:
            return base, (
                f"the fetch at `check` failed, so the start values are from "
                f"{local_clock(base.fetched_at, now)}: the delta may include earlier use"
            )
        if base.fetched_at is not None and base.fetched_at > base.started_at + RESET_JITTER:
            return base, (
                f"the start values were read at {local_clock(base.fetched_at, now)}, after the session "
                "began: the delta leaves out what came before"
            )
        return base, None
    kept = [budget.claude.snapshot(), local_sources.history()]  # check no longer writes budget.json
    known = max((k for k in kept if k is not None), key=lambda k: k.observed_at, default=None)
    if known is None:
        return None, "no `ai-budget check` this session and no earlier values: the delta is unknown"
    known = known.as_last_known("no start values this session")
    return Baseline.of(known, known.observed_at), (
        "no `ai-budget check` this session: measured against the last known values "
        f"from {local_clock(known.observed_at, now)}"
    )


def _opened_baseline(opened: OpenSession) -> Baseline | None:
    """The windows an open session recorded at its start (None when none was known then)."""
    if opened.baseline is None:
        return None
    try:
        return Baseline.model_validate(opened.baseline)
    except ValidationError:
        return None


def _end(
    req: Any, budget: BudgetFile, base: Baseline | None, local_only: bool
) -> tuple[Snapshot | None, str | None]:
    """Fresh end values (skipping the cache, honouring a 429 wait); last known ones only if newer."""
    try:
        end = usage.fresh_or_last_known(
            req.claude_dirs[0],
            budget.claude,
            force=True,
            file=req.usage_file,
            source=req.usage_source,
            allow_api=budget.settings.usage_api and not local_only,
            in_hook=local_only,
            moment=req.now,
        )
    except BudgetError as exc:
        return None, str(exc)
    if end.fresh:
        return end, None
    if base is not None and base.fetched_at is not None and end.observed_at > base.fetched_at:
        return end, f"{end.error}; using values from {local_clock(end.observed_at, req.now)}"
    return None, f"{end.error}; no values newer than the session start"


def window_reset(base: Baseline, end: Snapshot) -> bool:
    """Whether the 5-hour window reset between the baseline and this fetch.

    It did when the baseline's reset time has passed (a reset time that moves later by more
    than a minute means the same); with no reset time at the start (an idle window), when the
    session lasted over five hours.
    """
    resets = base.five_hour_resets_at
    if resets is None:
        return end.observed_at - base.started_at > FIVE_HOURS
    if end.observed_at >= resets:
        return True
    later = end.five_hour.resets_at
    return later is not None and later - resets > RESET_JITTER


def deltas(base: Baseline | None, end: Snapshot | None) -> Deltas:
    """How the windows moved between the baseline and the end values; None across a reset."""
    if base is None or end is None:
        return Deltas()
    found = Deltas(
        window_reset=window_reset(base, end),
        weekly_reset=base.seven_day_resets_at is not None and end.observed_at >= base.seven_day_resets_at,
    )
    five, seven = end.five_hour.utilization, end.seven_day.utilization
    if not found.window_reset and base.five_hour_util is not None and five is not None:
        found.five_hour = round(five - base.five_hour_util, 2)
    if not found.weekly_reset and base.seven_day_util is not None and seven is not None:
        found.seven_day = round(seven - base.seven_day_util, 2)
    return found


def _tokens(
    claude_dirs: list[Path], since: datetime | None, index: transcripts.Index, listing: Listing | None
) -> tuple[transcripts.Report | None, str | None]:
    try:
        return transcripts.tokens(claude_dirs, since=since, index=index, listing=listing), None
    except BudgetError as exc:
        return None, str(exc)
