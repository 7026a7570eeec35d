"""`log`: measure the session against its baseline, decide what it taught, write it down in one commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from ai_budget import paths
from ai_budget.claude import transcripts, usage
from ai_budget.claude.transcripts.progress import Progress
from ai_budget.claude.usage import UsageFile
from ai_budget.errors import BudgetError, InvalidInput
from ai_budget.fmt import clean_line
from ai_budget.journal import backlog as journal_backlog
from ai_budget.journal.journal import Journal
from ai_budget.journal.transaction import Transaction
from ai_budget.model import backlog
from ai_budget.model.accounts import copilot_state, copilot_updated
from ai_budget.model.budget import BudgetFile
from ai_budget.model.calibration import CalibrationEntry, find_type, split_weights
from ai_budget.model.usage import RESET_JITTER, Baseline, Snapshot
from ai_budget.quantities import MAX_TOKENS, MAX_UNITS, parse_number
from ai_budget.session import markdown
from ai_budget.session.refresh import keep_current
from ai_budget.session.results import (
    CalibrationChange,
    CopilotUse,
    Decision,
    Deltas,
    Item,
    LogResult,
    Measurement,
)
from ai_budget.session.rollup import rollup_quietly
from ai_budget.timeutil import local_clock
from ai_budget.timeutil import now as utc_now

FIVE_HOURS = timedelta(hours=5)
Listing = tuple[list[transcripts.Transcript], list[str]]  # find_transcripts and the unreadable paths
MAX_SESSION_PCT = 100.0  # one window cannot give more than all of itself


# --- the request, parsed at the edge ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Done:
    """One completed piece of work as the user named it: `TYPE UNITS description`."""

    type: str
    units: float
    description: str = ""


def parse_done(text: str) -> Done:
    """`TYPE UNITS description` (units a positive number; the type is checked against the journal)."""
    parts = text.split(None, 2)
    if len(parts) < 2:
        raise InvalidInput(
            f'--done {text!r} must read TYPE UNITS description, for example --done "flashcard 10 chapter 4"'
        )
    units = parse_number(parts[1], f"the units in --done {text!r}", positive=True, maximum=MAX_UNITS)
    return Done(type=parts[0], units=units, description=clean_line(parts[2]) if len(parts) == 3 else "")


@dataclass(frozen=True, kw_only=True)
class LogRequest:
    """What `log` was asked to do, every value already parsed."""

    claude_dirs: list[Path]
    done: tuple[Done, ...] = ()
    lessons: tuple[str, ...] = ()
    next_notes: tuple[str, ...] = ()
    usage_file: UsageFile | None = None
    usage_source: str = "auto"
    # A hook has a time budget: then only local sources (feed, caches), never the endpoint.
    local_only: bool = False
    # Logged by the session-end hook rather than by the user: said in the subject and a trailer.
    automatic: bool = False
    copilot_count: int | None = None
    backlog_refs: tuple[str, ...] = ()
    now: datetime = field(default_factory=utc_now)


# --- the steps: measure, decide, write ----------------------------------------------------------


def log(journal: Journal, req: LogRequest, progress: Progress | None = None) -> LogResult:
    """Measure the session, decide what it changes, and write it all in one commit (or nothing)."""
    budget = journal.read_budget()
    items = _checked(journal, budget, req)
    unreadable: list[str] = []  # one listing for both measurements and the rollup (thousands of files)
    listing = (transcripts.find_transcripts(req.claude_dirs, unreadable), unreadable)
    measured = measure(budget, req, progress, listing)
    # Its own commit, before the session's; a problem with it is for `check` and `report` to say.
    # Not in the session-end hook (local_only): a first backfill could outlast its time budget.
    if not req.local_only:
        rollup_quietly(journal, req.claude_dirs, req.now, progress, listing)
    with journal.transaction("session") as tx:
        decided = decide(tx.budget, items, measured, req)
        result = _write(tx, req, measured, decided)
    result.commit = tx.sha
    return result


def _checked(journal: Journal, budget: BudgetFile, req: LogRequest) -> list[Item]:
    """Refuse bad input before any request or write: unknown types, counts, backlog refs."""
    items = [Item(find_type(budget.calibration, d.type), d.units, d.description) for d in req.done]
    if req.copilot_count is not None:
        copilot_updated(budget.copilot, req.copilot_count, moment=req.now, today=_day(req))
    backlog.choose(journal_backlog.tasks(journal), list(req.backlog_refs))
    return items


def _day(req: LogRequest) -> date:
    """The session's local date."""
    return req.now.astimezone().date()


def measure(
    budget: BudgetFile, req: LogRequest, progress: Progress | None = None, listing: Listing | None = None
) -> Measurement:
    """The baseline, fresh end values, the deltas and the tokens spent (reads; writes nothing)."""
    base, baseline_note = _start(budget, req.now)
    end, end_note = _end(req, budget, base)
    started_at = base.started_at if base is not None else req.now
    index = transcripts.Index(progress=progress)  # one cache for both queries: each file read once
    spent, tokens_note = _tokens(req.claude_dirs, started_at if base is not None else None, index, listing)
    newest, _ = _tokens(req.claude_dirs, None, index, listing)
    return Measurement(
        started_at=started_at,
        ended_at=req.now,
        baseline=base,
        baseline_note=baseline_note,
        end=end,
        end_note=end_note,
        deltas=deltas(base, end),
        tokens=spent,
        tokens_note=tokens_note,
        newest=newest,
    )


def _start(budget: BudgetFile, now: datetime) -> tuple[Baseline | None, str | None]:
    """The baseline `check` recorded, else the last known values; and a note when it is not exact."""
    base = budget.baseline
    if base is not None:
        if base.source == "last-known" and base.fetched_at is not None:
            return base, (
                f"the fetch at `check` failed, so the start values are from "
                f"{local_clock(base.fetched_at, now)}: the delta may include earlier use"
            )
        return base, None
    known = budget.claude.snapshot()
    if known is None:
        return None, "no `ai-budget check` this session and no earlier values: the delta is unknown"
    return Baseline.of(known, known.observed_at), (
        "no `ai-budget check` this session: measured against the last known values "
        f"from {local_clock(known.observed_at, now)}"
    )


def _end(req: LogRequest, budget: BudgetFile, base: Baseline | None) -> tuple[Snapshot | None, str | None]:
    """Fresh end values (skipping the cache, honouring a 429 wait); last known ones only if newer."""
    try:
        end = usage.fresh_or_last_known(
            req.claude_dirs[0],
            budget.claude,
            force=True,
            file=req.usage_file,
            source=req.usage_source,
            allow_api=budget.settings.usage_api and not req.local_only,
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


def decide(budget: BudgetFile, items: list[Item], measured: Measurement, req: LogRequest) -> Decision:
    """The session's lessons for calibration and Copilot (computed; budget is not changed here)."""
    note = calibration_note(items, measured.deltas)
    changes: list[CalibrationChange] = []
    if note is None and measured.deltas.five_hour is not None:
        out = measured.tokens.total.output_tokens if measured.tokens is not None else None
        # No tokens in the window (transcripts gone, or elsewhere), or an impossible count: no tokens sample.
        out = out if out and out <= MAX_TOKENS else None
        changes = samples(budget.calibration, items, measured.deltas.five_hour, out)
    return Decision(items, changes, note, _copilot_use(budget, req))


def calibration_note(items: list[Item], moved: Deltas) -> str | None:
    """Why calibration stays as it is, or None when this session counts."""
    if not items:
        return "no work items: calibration unchanged"
    if moved.window_reset:
        return "the 5-hour window reset during the session: calibration unchanged"
    if moved.five_hour is None:
        return "the 5-hour delta is unknown: calibration unchanged"
    if moved.five_hour < 0:
        return f"the 5-hour window went down ({moved.five_hour:+.1f}%): calibration unchanged"
    if moved.five_hour > MAX_SESSION_PCT:
        return f"a {moved.five_hour:.1f}% session is not plausible: calibration unchanged"
    return None


def samples(
    table: dict[str, CalibrationEntry], items: list[Item], five_delta: float, output_tokens: int | None
) -> list[CalibrationChange]:
    """Split the delta and the tokens by expected cost and add one sample per item."""
    current = dict(table)
    changes = []
    weights = split_weights(table, [(i.type, i.units) for i in items])
    for item, weight in zip(items, weights, strict=True):
        item.share = weight
        item.pct = round(five_delta * weight, 4)
        item.output_tokens = round(output_tokens * weight) if output_tokens is not None else None
        before = current[item.type]
        after = current[item.type] = before.with_sample(item.units, item.pct, item.output_tokens)
        changes.append(CalibrationChange(item.type, before, after))
    return changes


def _copilot_use(budget: BudgetFile, req: LogRequest) -> CopilotUse | None:
    """The Copilot count given to `log`, with the earlier count when the two can be compared."""
    if req.copilot_count is None:
        return None
    section, count = budget.copilot, req.copilot_count
    before = section.premium_requests_used
    if before is not None and (copilot_state(section, req.now).reset_since_update or count < before):
        before = None  # a new month, or a count typed wrong earlier: no session figure
    after = copilot_updated(section, count, moment=req.now, today=_day(req))
    return CopilotUse(count, before, after.premium_requests_limit, after.unit)


def _write(tx: Transaction, req: LogRequest, measured: Measurement, decided: Decision) -> LogResult:
    """Within the transaction: budget.json, the backlog moves and the session log, one commit."""
    budget = tx.budget
    for change in decided.changes:
        budget.calibration[change.name] = change.after
    if req.copilot_count is not None:
        budget.copilot = copilot_updated(budget.copilot, req.copilot_count, moment=req.now, today=_day(req))
    keep_current(budget, measured.end)
    budget.baseline = None  # consumed
    local = req.now.astimezone()
    moved = journal_backlog.move(tx, list(req.backlog_refs), local.date())
    next_up = [t.label() for t in backlog.parse(tx.read(paths.BACKLOG_FILE) or "")[:3]]
    rel = f"{paths.SESSIONS_DIR}/{local:%Y-%m-%d}.md"
    result = LogResult(
        measured=measured,
        decided=decided,
        lessons=[clean_line(lesson) for lesson in req.lessons if clean_line(lesson)],
        next_up=next_up + [clean_line(note) for note in req.next_notes if clean_line(note)],
        moved=moved,
        gemini=budget.gemini.status or "not set",
        session_file=rel,
        automatic=req.automatic,
    )
    result.markdown = markdown.render(result)
    tx.write(rel, markdown.appended(tx.read(rel), result.markdown, local))
    tx.message = markdown.commit_subject(result)
    tx.trailers = markdown.commit_trailers(result)
    return result
