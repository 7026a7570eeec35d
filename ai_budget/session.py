"""The session loop: `check` records a baseline and builds the brief; `log` measures and journals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ai_budget import backlog, calibration, copilot, paths, planner, session_log, transcripts, usage
from ai_budget.backlog import Task
from ai_budget.copilot import CopilotState
from ai_budget.errors import BudgetError, InvalidInput
from ai_budget.journal import Journal
from ai_budget.models import Baseline, BudgetFile, CalibrationEntry, GeminiSection
from ai_budget.quantities import fmt_units, parse_number
from ai_budget.timeutil import age, local_clock
from ai_budget.timeutil import now as utc_now
from ai_budget.usage import Usage, pct

FIVE_HOURS = timedelta(hours=5)


# --- check -------------------------------------------------------------------------------------


@dataclass
class Brief:
    """Everything `check` prints."""

    now: datetime
    usage: Usage | None
    error: str | None
    copilot: CopilotState
    gemini: GeminiSection
    tier: str
    estimates: list[planner.Estimate]
    plan: planner.Plan
    warnings: list[str]


def build_brief(
    budget: BudgetFile, got: Usage | None, error: str | None, tasks: list[Task], now: datetime
) -> Brief:
    """The brief from what is known: utilisation, Copilot, Gemini, the backlog and calibration."""
    r = got.response if got is not None else None
    five = r.five_hour.utilization if r else None
    five_resets = r.five_hour.resets_at if r else None
    seven = r.seven_day.utilization if r else None
    estimates = [planner.estimate(task, budget) for task in tasks]
    plan = planner.recommend(estimates, five, five_resets, seven, budget.settings, now)
    state = copilot.state(budget.copilot, now)
    return Brief(
        now=now,
        usage=got,
        error=error,
        copilot=state,
        gemini=budget.gemini,
        tier=planner.tier(five, seven, budget.settings.tiers),
        estimates=estimates,
        plan=plan,
        warnings=_claude_warnings(got, error, plan, budget, now)
        + _copilot_warnings(state, now)
        + _backlog_warnings(tasks, budget),
    )


def _claude_warnings(
    got: Usage | None, error: str | None, plan: planner.Plan, budget: BudgetFile, now: datetime
) -> list[str]:
    if got is None:
        return [f"no Claude utilisation known ({error}): the plan assumes an unused window"]
    found = []
    if not got.fresh:
        found.append(
            f"Claude data is {age(got.fetched_at, now)} old ({got.error}); using the last known values"
        )
    resets = got.response.five_hour.resets_at
    if resets is not None and resets <= now:
        found.append(
            f"the 5-hour window reset at {local_clock(resets, now)}: "
            "it is planned as empty; fetch again for the real figure"
        )
    if plan.weekly_focus:
        found.append(
            f"weekly window at {pct(got.response.seven_day.utilization)} "
            f"(≥ {budget.settings.weekly_focus_pct:g}%): only the top task is recommended"
        )
    return found


def _copilot_warnings(state: CopilotState, now: datetime) -> list[str]:
    section, action = state.section, "check GitHub billing and run `ai-budget copilot set N`"
    if section.premium_requests_used is None:
        return [f"Copilot: no count yet: {action}"]
    if state.reset_since_update:
        return [f"Copilot: the monthly counter has reset since the last count: {action}"]
    if state.stale and section.last_updated is not None:
        return [
            f"Copilot count is {(now.astimezone().date() - section.last_updated).days} days old: {action}"
        ]
    return []


def _backlog_warnings(tasks: list[Task], budget: BudgetFile) -> list[str]:
    if not tasks:
        return ['the backlog is empty: add tasks with `ai-budget backlog add "[M] …"`']
    known = {name.lower() for name in budget.calibration}
    return [
        f"task {t.number} uses type {t.type!r}, which is not a known type: "
        f'add it with `ai-budget calibration add {t.type} --unit "per item"`'
        for t in tasks
        if t.type is not None and t.type.lower() not in known
    ]


def check(
    journal: Journal,
    claude_dir: Path,
    text: str | None = None,
    origin: str = "the file",
    now: datetime | None = None,
) -> Brief:
    """Fetch (or fall back), record the session baseline in one commit, and build the brief."""
    now = now or utc_now()
    got: Usage | None
    error: str | None = None
    try:
        got = usage.obtain(claude_dir, journal.load().claude, text=text, origin=origin)
    except BudgetError as exc:
        got, error = None, str(exc)
    with journal.locked():
        budget = journal.load()
        if got is not None and got.fresh and usage.changed(budget.claude, got.response):
            budget.claude = usage.apply(budget.claude, got)
        r = got.response if got is not None else None
        budget.baseline = Baseline(
            started_at=now,
            five_hour_util=r.five_hour.utilization if r else None,
            seven_day_util=r.seven_day.utilization if r else None,
            five_hour_resets_at=r.five_hour.resets_at if r else None,
            seven_day_resets_at=r.seven_day.resets_at if r else None,
            fetched_at=got.fetched_at if got else None,
            source=got.source if got else None,
        )
        journal.save(budget)
        journal.commit(
            [paths.BUDGET_FILE],
            f"check: session start, 5h {pct(budget.baseline.five_hour_util)}, "
            f"week {pct(budget.baseline.seven_day_util)}",
        )
    return build_brief(budget, got, error, backlog.load(journal.root), now)


# --- log ----------------------------------------------------------------------------------------


@dataclass
class DoneItem:
    """One completed piece of work and its share of the session."""

    type: str
    units: float
    description: str
    share: float = 0.0
    pct: float | None = None
    output_tokens: int | None = None


def parse_done(text: str, budget: BudgetFile) -> DoneItem:
    """`TYPE UNITS description` (the type must be known; units a positive number)."""
    parts = text.split(None, 2)
    if len(parts) < 2:
        raise InvalidInput(
            f'--done {text!r} must read TYPE UNITS description, for example --done "flashcard 10 chapter 4"'
        )
    name = calibration.find_type(budget, parts[0])
    units = parse_number(parts[1], f"the units in --done {text!r}", positive=True)
    return DoneItem(name, units, parts[2].strip() if len(parts) == 3 else "")


@dataclass
class CalibrationChange:
    """A type's calibration before and after this session."""

    name: str
    before: CalibrationEntry
    after: CalibrationEntry


@dataclass
class LogResult:
    """Everything `log` measured and wrote."""

    started_at: datetime
    ended_at: datetime
    baseline: Baseline | None
    baseline_note: str | None
    end: Usage | None
    end_note: str | None
    window_reset: bool
    weekly_reset: bool
    five_delta: float | None
    seven_delta: float | None
    tokens: transcripts.Report | None
    tokens_note: str | None
    newest: transcripts.Report | None
    items: list[DoneItem]
    changes: list[CalibrationChange]
    calibration_note: str | None
    copilot_line: str
    gemini_line: str
    lessons: list[str]
    next_up: list[str]
    moved: list[Task]
    session_file: str
    markdown: str = ""
    commit: str | None = None


def window_reset(base: Baseline, end: Usage) -> bool:
    """Whether the 5-hour window reset between the baseline and this fetch.

    It did when the baseline's reset time has passed (a reset time that moves later by more
    than a minute means the same); with no reset time at the start (an idle window), when the
    session lasted over five hours.
    """
    resets = base.five_hour_resets_at
    if resets is None:
        return end.fetched_at - base.started_at > FIVE_HOURS
    if end.fetched_at >= resets:
        return True
    later = end.response.five_hour.resets_at
    return later is not None and later - resets > usage.RESET_JITTER


def _baseline_from_last_known(budget: BudgetFile) -> Baseline | None:
    c = budget.claude
    if c.last_fetched is None:
        return None
    return Baseline(
        started_at=c.last_fetched,
        five_hour_util=c.five_hour_util,
        seven_day_util=c.seven_day_util,
        five_hour_resets_at=c.five_hour_resets_at,
        seven_day_resets_at=c.seven_day_resets_at,
        fetched_at=c.last_fetched,
        source="last-known",
    )


def _tokens(
    claude_dirs: list[Path], since: datetime | None, index: transcripts.Index
) -> tuple[transcripts.Report | None, str | None]:
    try:
        return transcripts.tokens(claude_dirs, since=since, index=index), None
    except BudgetError as exc:
        return None, str(exc)


def log(
    journal: Journal,
    claude_dir: Path,
    claude_dirs: list[Path],
    done: Sequence[str],
    lessons: Sequence[str] = (),
    next_notes: Sequence[str] = (),
    text: str | None = None,
    origin: str = "the file",
    copilot_used: str | None = None,
    backlog_done: Sequence[str] = (),
    now: datetime | None = None,
) -> LogResult:
    """Measure the session against its baseline, update calibration, append the log, one commit."""
    now = now or utc_now()
    budget = journal.load()
    # Refuse bad input before any work.
    items = [parse_done(entry, budget) for entry in done]
    if copilot_used is not None:
        copilot.updated(budget.copilot, copilot_used)
    tasks = backlog.load(journal.root)
    for ref in backlog_done:
        backlog.find(tasks, ref)

    base, baseline_note = _start(budget, now)
    end, end_note = _end(claude_dir, budget, base, text, origin, now)
    reset, weekly_reset, five_delta, seven_delta = _deltas(base, end)
    started_at = base.started_at if base is not None else now
    index = transcripts.Index()  # one cache for both queries: each file is read at most once
    spent, tokens_note = _tokens(claude_dirs, started_at if base is not None else None, index)
    newest, _ = _tokens(claude_dirs, None, index)
    calibration_note = _calibration_note(items, reset, five_delta)

    with journal.locked():
        budget = journal.load()
        changes: list[CalibrationChange] = []
        if calibration_note is None and five_delta is not None:
            out = spent.total.output_tokens if spent is not None else None
            changes = _calibrate(budget, items, five_delta, out)
        copilot_line = _copilot_line(budget, copilot_used)
        if copilot_used is not None:
            budget.copilot = copilot.updated(budget.copilot, copilot_used)
        if end is not None and end.fresh and usage.changed(budget.claude, end.response):
            budget.claude = usage.apply(budget.claude, end)
        budget.baseline = None  # consumed
        local = now.astimezone()
        moved = backlog.move_lines(journal.root, list(backlog_done), local.date())
        rel = f"{paths.SESSIONS_DIR}/{local:%Y-%m-%d}.md"
        result = LogResult(
            started_at=started_at,
            ended_at=now,
            baseline=base,
            baseline_note=baseline_note,
            end=end,
            end_note=end_note,
            window_reset=reset,
            weekly_reset=weekly_reset,
            five_delta=five_delta,
            seven_delta=seven_delta,
            tokens=spent,
            tokens_note=tokens_note,
            newest=newest,
            items=items,
            changes=changes,
            calibration_note=calibration_note,
            copilot_line=copilot_line,
            gemini_line=_gemini_line(budget.gemini),
            lessons=list(lessons),
            next_up=[t.label() for t in backlog.load(journal.root)[:3]] + list(next_notes),
            moved=moved,
            session_file=rel,
        )
        result.markdown = session_log.render(result)
        session_log.append(journal.root / rel, result.markdown, local)
        journal.save(budget)
        result.commit = journal.commit(
            [paths.BUDGET_FILE, rel, paths.BACKLOG_FILE, paths.COMPLETED_FILE],
            commit_subject(result),
            commit_trailers(result),
        )
    return result


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
    base = _baseline_from_last_known(budget)
    if base is None:
        return None, "no `ai-budget check` this session and no earlier values: the delta is unknown"
    return base, (
        "no `ai-budget check` this session: measured against the last known values "
        f"from {local_clock(base.started_at, now)}"
    )


def _end(
    claude_dir: Path, budget: BudgetFile, base: Baseline | None, text: str | None, origin: str, now: datetime
) -> tuple[Usage | None, str | None]:
    """Fresh end values (skipping the cache, honouring a 429 wait); last known ones only if newer."""
    try:
        end = usage.obtain(claude_dir, budget.claude, force=True, text=text, origin=origin)
    except BudgetError as exc:
        return None, str(exc)
    if end.fresh:
        return end, None
    if base is not None and base.fetched_at is not None and end.fetched_at > base.fetched_at:
        return end, f"{end.error}; using values from {local_clock(end.fetched_at, now)}"
    return None, f"{end.error}; no values newer than the session start"


def _deltas(base: Baseline | None, end: Usage | None) -> tuple[bool, bool, float | None, float | None]:
    """(5-hour reset, weekly reset, 5-hour delta, weekly delta); a delta across a reset is None."""
    if base is None or end is None:
        return False, False, None, None
    r = end.response
    reset = window_reset(base, end)
    weekly_reset = base.seven_day_resets_at is not None and end.fetched_at >= base.seven_day_resets_at
    five = seven = None
    if not reset and base.five_hour_util is not None and r.five_hour.utilization is not None:
        five = round(r.five_hour.utilization - base.five_hour_util, 2)
    if not weekly_reset and base.seven_day_util is not None and r.seven_day.utilization is not None:
        seven = round(r.seven_day.utilization - base.seven_day_util, 2)
    return reset, weekly_reset, five, seven


def _calibration_note(items: list[DoneItem], reset: bool, five_delta: float | None) -> str | None:
    """Why calibration stays as it is, or None when this session counts."""
    if not items:
        return "no work items: calibration unchanged"
    if reset:
        return "the 5-hour window reset during the session: calibration unchanged"
    if five_delta is None:
        return "the 5-hour delta is unknown: calibration unchanged"
    if five_delta < 0:
        return f"the 5-hour window went down ({five_delta:+.1f}%): calibration unchanged"
    return None


def _calibrate(
    budget: BudgetFile, items: list[DoneItem], five_delta: float, output_tokens: int | None
) -> list[CalibrationChange]:
    """Split the delta and the tokens by expected cost and add one sample per item."""
    changes = []
    weights = calibration.split_weights(budget, [(i.type, i.units) for i in items])
    for item, weight in zip(items, weights, strict=True):
        item.share = weight
        item.pct = round(five_delta * weight, 4)
        item.output_tokens = round(output_tokens * weight) if output_tokens is not None else None
        before = budget.calibration[item.type]
        after = calibration.with_sample(before, item.units, item.pct, item.output_tokens)
        budget.calibration[item.type] = after
        changes.append(CalibrationChange(item.type, before, after))
    return changes


def _copilot_line(budget: BudgetFile, used: str | None) -> str:
    section = budget.copilot
    if used is None:
        return "not used"
    count = int(used)
    before = section.premium_requests_used
    label = copilot.UNIT_LABEL[section.unit]
    if before is None or copilot.state(section).reset_since_update or count < before:
        return (
            f"{count}/{section.premium_requests_limit} {label} used this month (no earlier count to compare)"
        )
    return f"{count - before} {label} this session ({before} → {count} of {section.premium_requests_limit})"


def _gemini_line(section: GeminiSection) -> str:
    return section.status or "not set"


def delta_text(value: float | None, reset: bool = False) -> str:
    """'+25.0%', 'reset' or '?'."""
    if reset:
        return "reset"
    return "?" if value is None else f"{value:+.1f}%"


def items_summary(items: list[DoneItem]) -> str:
    """'flashcard ×10, feature ×1' or 'no work logged'."""
    if not items:
        return "no work logged"
    return ", ".join(f"{i.type} ×{fmt_units(i.units)}" for i in items)


def commit_subject(result: LogResult) -> str:
    """`session 2026-11-22 14:05: flashcard ×10, 5h +25.0%`."""
    local = result.ended_at.astimezone()
    return (
        f"session {local:%Y-%m-%d %H:%M}: {items_summary(result.items)}, "
        f"5h {delta_text(result.five_delta, result.window_reset)}"
    )


def commit_trailers(result: LogResult) -> list[tuple[str, str]]:
    """Trailers from which `history` rebuilds the session's figures."""

    def figure(value: float | None, reset: bool) -> str:
        return "reset" if reset else ("unknown" if value is None else f"{value:.1f}")

    spent = result.tokens.total if result.tokens is not None else None
    trailers = [
        ("Session-Start", result.started_at.isoformat()),
        ("Five-Hour-Delta", figure(result.five_delta, result.window_reset)),
        ("Seven-Day-Delta", figure(result.seven_delta, result.weekly_reset)),
        ("Output-Tokens", str(spent.output_tokens) if spent else "unknown"),
        ("Cost-USD", f"{spent.cost:.4f}" if spent and spent.cost is not None else "unknown"),
        ("Tasks", "; ".join(f"{i.type}={fmt_units(i.units)}" for i in result.items) or "none"),
    ]
    trailers += [("Calibration", calibration.trailer(c.name, c.after)) for c in result.changes]
    return trailers
