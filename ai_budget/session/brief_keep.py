"""The full path's side of the kept basis (session.brief_basis): worked out with the models, the
history's rates and the same functions as `check`, whenever the session-start or -end hook finds the
kept one out of date."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from datetime import datetime, timedelta

from ai_budget import paths
from ai_budget.journal.journal import Journal
from ai_budget.model import backlog
from ai_budget.model.budget import BudgetFile
from ai_budget.planning.estimates import estimate
from ai_budget.planning.routing import fallback
from ai_budget.session import brief_basis, rollup_quick
from ai_budget.session import limits as session_limits
from ai_budget.session.check import full_path_needed, standing_warnings
from ai_budget.severity import Thresholds
from ai_budget.timeutil import month_start

# How the accounts beside Claude's windows are shown, from budget.json: the CLI's views (a layer above).
Accounts = Callable[[BudgetFile, datetime], Mapping[str, object]]

# A day ends at local midnight; a clock change may move that by an hour, so the basis ends this early.
DAY_MARGIN = timedelta(hours=1)


def valid_until(budget: BudgetFile, now: datetime) -> datetime | None:
    """When the Copilot warning could change without a file changing (a new day or month, the reset
    given), or None when Copilot is off (nothing else in the basis depends on the date)."""
    section = budget.copilot
    if not section.enabled:
        return None
    local = now.astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1) - DAY_MARGIN
    ends = [midnight, month_start(month_start(now) + timedelta(days=32))]
    if section.resets_at is not None and section.resets_at > now:
        ends.append(section.resets_at)
    return min(ends)


def _section(budget: BudgetFile) -> dict[str, object] | None:
    """budget.json's last known windows, as the model reads them (the hook's last resort)."""
    snap = budget.claude.snapshot()
    if snap is None:
        return None
    return {
        "observed_at": snap.observed_at.isoformat(),
        **{name: getattr(snap, name).model_dump(mode="json") for name in ("five_hour", "seven_day")},
    }


def keep(journal: Journal, now: datetime, accounts: Accounts | None = None) -> None:
    """Work out the basis from the journal as it is and keep it (none when prepaid credits are set up:
    their state needs the transcripts, so those journals take the full path at every start).

    `check` and `log` give how the accounts are shown (text and JSON, from budget.json): then the basis
    serves `check`'s fast path too."""
    before = brief_basis.stamp(journal.root, weighted=True)  # the files as they were before reading
    budget = journal.read_budget()
    if budget.credits is not None:
        brief_basis.forget(journal.root)
        return
    weighted = bool(session_limits.changes(budget) or budget.settings.calibration_half_life)
    text = journal.read(paths.BACKLOG_FILE) or ""
    # check's commits (every one when weighted): its estimates, and the limit change it would record.
    commits = session_limits.recent_history(journal, budget) if weighted or accounts else []
    rates = session_limits.rates(budget, commits if weighted else [])
    tasks = backlog.parse(text)
    settings = budget.settings
    until = valid_until(budget, now)
    by_hand = None
    if accounts is not None:
        change_due = session_limits.review(budget, commits) is not None  # check records it: full path
        by_hand = {
            "head": before[-1],  # the history reviewed (HEAD as it was before reading)
            "routing": settings.routing.model_dump(mode="json"),
            "accounts": accounts(budget, now),
            "full_path_needed": change_due or full_path_needed(budget, now),
            "rollup_record": str(rollup_quick.quick_record(journal.root, paths.claude_dirs())),
        }
    brief_basis.keep(
        journal.root,
        {
            "check": by_hand,
            "stamp": before if weighted else [*before[:-1], None],
            "weighted": weighted,
            "written_at": now.isoformat(),
            "valid_until": until.isoformat() if until is not None else None,
            "settings": {
                "tiers": {name: getattr(settings.tiers, name) for name in Thresholds._fields},
                "safety_margin_pct": settings.safety_margin_pct,
                "weekly_focus_pct": settings.weekly_focus_pct,
                "wait_for_reset_minutes": settings.wait_for_reset_minutes,
                "fallback": fallback(settings.routing),
            },
            "claude": _section(budget),
            "estimates": [asdict(estimate(t, budget.calibration, rates)) for t in tasks],
            "notes": standing_warnings(budget, tasks, backlog.problems(text), now),
        },
    )
