"""`check`: fetch (or fall back), open or refresh the session it belongs to (state, no commit), and
build the brief."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ai_budget import paths
from ai_budget.claude import usage
from ai_budget.claude.admin_api import key_configured
from ai_budget.claude.transcripts.progress import Progress
from ai_budget.claude.usage import UsageFile
from ai_budget.errors import BudgetError
from ai_budget.journal.gitrepo import Commit
from ai_budget.journal.journal import Journal
from ai_budget.model import backlog
from ai_budget.model.accounts import CopilotState, copilot_state
from ai_budget.model.backlog import Task
from ai_budget.model.budget import BudgetFile, GeminiSection
from ai_budget.model.usage import Snapshot
from ai_budget.planning.estimates import Estimate, estimate
from ai_budget.planning.forecast import Pace
from ai_budget.planning.limits import Change
from ai_budget.planning.recommend import Plan, recommend
from ai_budget.planning.routing import Route, route
from ai_budget.session import closing, live
from ai_budget.session import limits as session_limits
from ai_budget.session.brief_text import reading_warnings
from ai_budget.session.opening import Opening, open_session
from ai_budget.session.pace import RULES, window_pace
from ai_budget.session.refresh import copilot_into_journal
from ai_budget.session.rollup import rollup_quietly
from ai_budget.session.severity import window_warnings
from ai_budget.severity import Severity, severity
from ai_budget.timeutil import now as utc_now

if TYPE_CHECKING:  # the credits and Console code is imported only when they are set up
    from ai_budget.planning.credits import ConsoleMonth
    from ai_budget.session.credits import CreditsState

COPILOT_ACTION = "check GitHub billing and run `ai-budget copilot set N`"


@dataclass
class Brief:
    """Everything `check` prints."""

    now: datetime
    usage: Snapshot | None
    error: str | None
    copilot: CopilotState
    gemini: GeminiSection
    severity: Severity
    estimates: list[Estimate]
    plan: Plan
    warnings: list[str]
    paces: dict[str, Pace] = field(default_factory=dict)
    route: Route | None = None
    credits: CreditsState | None = None
    console: ConsoleMonth | None = None

    @property
    def tier(self) -> str:
        """The severity's level (green…red, unknown): the brief's older name for it."""
        return self.severity.level


def build_brief(
    budget: BudgetFile,
    snap: Snapshot | None,
    error: str | None,
    tasks: list[Task],
    now: datetime,
    backlog_problems: Sequence[str] = (),
    rates: Mapping[str, float] | None = None,
) -> Brief:
    """The brief from what is known: utilisation, Copilot, Gemini, the backlog and calibration."""
    five = snap.five_hour if snap is not None else None
    seven = snap.seven_day.utilization if snap is not None else None
    five_util = five.utilization if five is not None else None
    estimates = [estimate(task, budget.calibration, rates) for task in tasks]
    plan = recommend(estimates, five_util, five.resets_at if five else None, seven, budget.settings, now)
    state = copilot_state(budget.copilot, now)
    return Brief(
        now=now,
        usage=snap,
        error=error,
        copilot=state,
        gemini=budget.gemini,
        severity=severity(five_util, seven, budget.settings.tiers),
        estimates=estimates,
        plan=plan,
        route=route(budget.settings.routing, five_util, seven, bounds=budget.settings.tiers),
        warnings=window_warnings(snap, budget.settings, now)
        + claude_warnings(snap, error, plan, budget, now)
        + standing_warnings(budget, tasks, backlog_problems, now),
    )


def standing_warnings(
    budget: BudgetFile, tasks: list[Task], problems: Sequence[str], now: datetime
) -> list[str]:
    """The brief's warnings that do not depend on the reading (Copilot, the backlog), in its order."""
    return (
        copilot_warnings(copilot_state(budget.copilot, now))
        + backlog_warnings(tasks, budget)
        + [f"{paths.BACKLOG_FILE} {problem}" for problem in problems]
    )


def claude_warnings(
    snap: Snapshot | None, error: str | None, plan: Plan, budget: BudgetFile, now: datetime
) -> list[str]:
    """Stale or missing Claude numbers, a reset already passed, the weekly focus."""
    return reading_warnings(snap, error, plan, budget.settings.weekly_focus_pct, now)


def copilot_warnings(state: CopilotState) -> list[str]:
    """No count yet, a monthly reset since the count, or a count over two days old (none when off)."""
    if not state.section.enabled:
        return []
    if state.section.premium_requests_used is None:
        return [f"Copilot: no count yet: {COPILOT_ACTION}"]
    if state.reset_since_update:
        return [f"Copilot: the monthly counter has reset since the last count: {COPILOT_ACTION}"]
    if state.stale and state.age_days is not None:
        return [f"Copilot count is {state.age_days} days old: {COPILOT_ACTION}"]
    return []


def backlog_warnings(tasks: list[Task], budget: BudgetFile) -> list[str]:
    """An empty backlog, or tasks of a type calibration does not know."""
    if not tasks:
        return ['the backlog is empty: add tasks with `ai-budget backlog add "[M] …"`']
    known = {name.lower() for name in budget.calibration}
    return [
        f"task {t.number} uses type {t.type!r}, which is not a known type: "
        f'add it with `ai-budget calibration add {t.type} --unit "per item"`'
        for t in tasks
        if t.type is not None and t.type.lower() not in known
    ]


def _refresh_copilot(journal: Journal, now: datetime) -> str | None:
    """With settings.copilot_fetch on, a stale Copilot count is asked of GitHub first; a failure is a
    warning (the last known count stays)."""
    budget = journal.read_budget()
    if not budget.settings.copilot_fetch or not copilot_state(budget.copilot, now).stale:
        return None
    try:
        copilot_into_journal(journal, now)
    except BudgetError as exc:
        return f"Copilot: GitHub did not give the count ({exc}); using the last known one"
    return None


def full_path_needed(budget: BudgetFile, now: datetime) -> bool:
    """Whether `check` by hand has work beyond the brief however the journal stands: a Copilot count to
    fetch, the Console to ask (its key set up), prepaid credits to work out from the transcripts."""
    copilot_due = budget.settings.copilot_fetch and copilot_state(budget.copilot, now).stale
    console = key_configured(budget.settings.console.admin_key_file)
    return bool(copilot_due or console or budget.credits is not None)


def _limit_change(
    journal: Journal, budget: BudgetFile, commits: list[Commit], now: datetime
) -> Change | None:
    """A limit change not warned about yet, recorded in a commit of its own (so it warns once)."""
    change = session_limits.review(budget, commits)
    if change is None:
        return None
    with journal.transaction("limits") as tx:
        tx.budget.limits.append(session_limits.recorded(change, now))
        tx.trailers.append(("Limit-Change", f"since={change.since.isoformat()} ratio={change.ratio:g}"))
        tx.message = (
            f"limits: the 5-hour window changed about {change.ratio:g}× since {change.since:%Y-%m-%d}"
        )
    return change


def check(
    journal: Journal,
    claude_dir: Path,
    *,
    file: UsageFile | None = None,
    source: str = "auto",
    now: datetime | None = None,
    session_id: str | None = None,
    progress: Progress | None = None,
    hook: bool = False,
    opening: Opening | None = None,
) -> Brief:
    """Fetch (or fall back), open or refresh the session (no commit), and build the brief."""
    # A hook must not stall the session's start: it leaves the rollup (a first backfill reads every
    # transcript), the waiting closings and the Console (the network) to the next `check` by hand.
    now = now or utc_now()
    opening = opening or Opening(session_id=session_id)
    snap: Snapshot | None
    error: str | None = None
    # A hook reads only what costs nothing (the statusline feed, Claude Code's own cache, ours): no
    # endpoint, no GitHub, no commit (a limit change is noted by the next check by hand).
    try:
        known = journal.read_budget()
        allow_api = known.settings.usage_api and not hook
        snap = usage.fresh_or_last_known(
            claude_dir,
            known.claude,
            file=file,
            moment=now,
            source=source,
            allow_api=allow_api,
            in_hook=hook,
        )
    except BudgetError as exc:
        snap, error = None, str(exc)
    text = journal.read(paths.BACKLOG_FILE) or ""  # a backlog that cannot be read stops check first
    copilot_note = None if hook else _refresh_copilot(journal, now)
    notes = [] if hook else [_fold(journal, now), rollup_quietly(journal, None, now, progress)]
    if opening.resolve and opening.session_id is None:
        opening = Opening(live.resolve(journal.root, paths.claude_dirs(), now), "check", resolve=True)
    open_session(journal.root, opening, snap, now)
    budget = journal.read_budget()
    commits = session_limits.recent_history(journal, budget)
    change = None if hook else _limit_change(journal, budget, commits, now)
    if change is not None:
        budget = journal.read_budget()
        if len(commits) >= session_limits.RECENT:  # cut short: estimates now weigh samples,
            commits = session_limits.read_history(journal)  # which need every trailer
    rates = session_limits.rates(budget, commits)
    brief = build_brief(budget, snap, error, backlog.parse(text), now, backlog.problems(text), rates)
    if change is not None:
        brief.warnings.append(session_limits.warning(change))
    brief.warnings += [note for note in (copilot_note, *notes) if note]
    if snap is not None:
        brief.paces = {name: window_pace(name, getattr(snap, name), now) for name in RULES}
    _api_accounts(brief, budget, journal.root, now, console=not hook)
    return brief


def _fold(journal: Journal, now: datetime) -> str | None:
    """Sessions that ended since the last command: into the journal first."""
    return closing.fold_quietly(journal, paths.claude_dirs(), now)


def _api_accounts(brief: Brief, budget: BudgetFile, home: Path, now: datetime, console: bool) -> None:
    """Prepaid credits and the Console beside the windows, when set up; their alerts as warnings."""
    # Imported only when set up: most journals have neither, and the modules cost every check ms.
    if budget.credits is not None:
        from ai_budget.session.credits import credits_state, credits_warnings

        brief.credits = credits_state(budget, paths.claude_dirs(), now, home)
        if brief.credits is not None:
            brief.warnings += credits_warnings(brief.credits)
    if not console or not key_configured(budget.settings.console.admin_key_file):
        return
    from ai_budget.session.credits import console_or_error

    brief.console, error = console_or_error(budget, now)
    if error:
        brief.warnings.append(f"Console: {error}")
