"""`log`: measure the session against its baseline, decide what it taught, write it down in one commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.claude import transcripts
from ai_budget.claude.transcripts.progress import Progress
from ai_budget.claude.usage import UsageFile
from ai_budget.errors import InvalidInput
from ai_budget.fileio import LOCK_TIMEOUT_S
from ai_budget.fmt import clean_line
from ai_budget.journal import backlog as journal_backlog
from ai_budget.journal import machine
from ai_budget.journal.journal import Journal
from ai_budget.journal.samples import SESSION_END, new_key, sample_trailer
from ai_budget.journal.transaction import Transaction
from ai_budget.model import backlog
from ai_budget.model.accounts import copilot_state, copilot_updated
from ai_budget.model.budget import BudgetFile
from ai_budget.model.calibration import CalibrationEntry, find_type, split_weights
from ai_budget.model.usage import Baseline
from ai_budget.quantities import MAX_TOKENS, MAX_UNITS, parse_number
from ai_budget.session import closing, ledger, live, markdown, state
from ai_budget.session.measure import Scope, deltas, measure, window_reset
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
from ai_budget.session.state import OpenSession
from ai_budget.timeutil import now as utc_now

__all__ = ["Done", "LogRequest", "deltas", "log", "measure", "parse_done", "window_reset"]

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
    # The Claude Code session being logged; None with `resolve_session`: the one this command runs in.
    session_id: str | None = None
    resolve_session: bool = False
    lock_timeout: float | None = None  # a hook's budget for the journal's lock (JournalBusy past it)


# --- the steps: measure, decide, write ----------------------------------------------------------


def log(journal: Journal, req: LogRequest, progress: Progress | None = None) -> LogResult:
    """Measure the session, decide what it changes, and write it all in one commit (or nothing)."""
    budget = journal.read_budget()
    items = _checked(journal, budget, req)
    # One listing for the session's lookup, both measurements and the rollup (thousands of files).
    unreadable: list[str] = []
    listing = (transcripts.find_transcripts(req.claude_dirs, unreadable), unreadable)
    sid = req.session_id
    if req.resolve_session and sid is None:
        sid = live.resolve(journal.root, req.claude_dirs, req.now, listed=listing[0])
    if not req.local_only:
        closing.fold_quietly(journal, req.claude_dirs, req.now)  # waiting runs first, in their own commit
    opened = state.load(journal.root, sid)
    here = machine.name(journal.repo.config_path)
    scope = Scope(journal.root, sid, opened, ledger.read_all(journal.root), req.local_only, here)
    measured = measure(budget, scope, req, progress, listing)
    measured.client_cost = state.client_cost(journal.root, sid)
    # Its own commit, before the session's; a problem with it is for `check` and `report` to say.
    # Not in the session-end hook (local_only): a first backfill could outlast its time budget.
    if not req.local_only:
        rollup_quietly(journal, req.claude_dirs, req.now, progress, listing)
    hook = req.lock_timeout is not None
    with journal.transaction("session", req.lock_timeout or LOCK_TIMEOUT_S, quiet=hook) as tx:
        _recount(measured, ledger.read_all(journal.root))  # a closing may have landed meanwhile
        decided = decide(tx.budget, items, measured, req)
        result = _write(tx, req, measured, decided)
    result.commit = tx.sha
    _after(journal, req, measured, opened)
    return result


def _recount(m: Measurement, records: list[dict[str, Any]]) -> None:
    """What is new of the session against the ledger as it is under the lock."""
    if m.session_id is None or m.prior is None or m.recorded is None:
        return
    observed = {k: (m.prior.get(k) or 0) + (m.recorded.get(k) or 0) for k in ledger.COUNT_FIELDS}
    cost = m.recorded.get("cost_usd")
    observed["cost_usd"] = None if cost is None else Decimal(str(cost)) + (m.prior.get("cost_usd") or 0)
    m.prior = ledger.session_sums(records, m.session_id)
    m.recorded = live.increment(observed, m.prior)


def _after(journal: Journal, req: LogRequest, m: Measurement, opened: OpenSession | None) -> None:
    """The open session after its log: ended (the end hook logged it), or logged and measured anew
    from now on, so what follows is its tail and a second log measures from here."""
    if req.automatic:
        state.remove(journal.root, m.session_id)
        return
    if m.session_id is None:
        state.remove(journal.root, None)  # a terminal session ends with its log
        return
    end = m.end
    base = Baseline.of(end, req.now, m.session_id) if end is not None else None
    now_open = opened or state.OpenSession(
        m.session_id, req.now, req.now, source="log", entrypoint=state.current_entrypoint()
    )
    now_open.logged, now_open.measure_from = True, req.now
    now_open.baseline = base.model_dump(mode="json") if base is not None else None
    if now_open.transcript_path is None and m.tokens is not None and m.tokens.session_file is not None:
        now_open.transcript_path = str(m.tokens.session_file)
    state.save(journal.root, now_open)


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


def decide(budget: BudgetFile, items: list[Item], measured: Measurement, req: LogRequest) -> Decision:
    """The session's lessons for calibration and Copilot (computed; budget is not changed here)."""
    note = calibration_note(items, measured.deltas)
    changes: list[CalibrationChange] = []
    if note is None and measured.shared_with:
        note = (
            f"other sessions ran at the same time ({', '.join(measured.shared_with[:3])}): "
            "the 5-hour delta is shared, calibration unchanged"
        )
    if note is None and measured.deltas.five_hour is not None:
        out = measured.span_output
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
        machine=tx.machine,
    )
    result.markdown = markdown.render(result)
    tx.write(rel, markdown.appended(tx.read(rel), result.markdown, local))
    line = _ledger_line(req, measured)
    if line is not None:
        line["machine"] = tx.machine
        month = ledger.month_file(req.now)
        tx.write(month, ledger.appended(tx.read(month), [line]))
    tx.message = markdown.commit_subject(result)
    tx.trailers = markdown.commit_trailers(result) + _sync_trailers(decided, req.now)
    return result


def _sync_trailers(decided: Decision, now: datetime) -> list[tuple[str, str]]:
    """When the measured span ended, to the microsecond (whether it overlapped another machine's session
    is decided on it), and a trailer per sample with an id of its own (what a merged history's
    calibration is summed from)."""
    found = [(SESSION_END, now.isoformat())]
    if decided.changes:
        found += [
            sample_trailer(i.type, i.units, i.pct, i.output_tokens, new_key())
            for i in decided.items
            if i.pct is not None
        ]
    return found


def _ledger_line(req: LogRequest, m: Measurement) -> dict[str, Any] | None:
    """This log's line in the ledger: what is new of the session (nothing new: no line)."""
    if m.recorded is None:
        return None
    before = m.prior is not None and any(m.prior.get(name) for name in ledger.COUNT_FIELDS)
    first = m.first_time if m.first_time is not None and not before else m.started_at
    transcript = m.tokens.session_file if m.tokens is not None else None
    return {
        **m.recorded,
        "kind": "auto" if req.automatic else "session",
        "session_id": m.session_id,
        "recorded_at": req.now.isoformat(),
        "started_at": min(first, m.started_at).isoformat(),
        "ended_at": req.now.isoformat(),
        "entrypoint": state.current_entrypoint() or live.entrypoint_of(transcript),
        "resumed": m.resumed,
        "unpriced_models": m.unpriced,
        "client_cost_usd": m.client_cost,
        "five_hour_delta": m.deltas.five_hour,
        "seven_day_delta": m.deltas.seven_day,
        "shared_with": m.shared_with,
    }
