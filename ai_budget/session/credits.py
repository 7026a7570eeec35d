"""Prepaid credits: the balance typed in (one commit), the spend since then from the transcripts'
API-equivalent cost or the Console's cost report, the forecast, and the alerts it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from ai_budget.claude import console, transcripts
from ai_budget.errors import BudgetError, InvalidInput
from ai_budget.journal.journal import Journal
from ai_budget.model.budget import BudgetFile
from ai_budget.model.credits import CreditsSection, cents
from ai_budget.planning.credits import (
    ConsoleMonth,
    CreditsForecast,
    Spend,
    console_month,
    daily_costs,
    forecast,
    spent_after,
)
from ai_budget.session.alerts import announce
from ai_budget.timeutil import month_start, next_month_start

BURN_SOURCES: dict[str, Literal["transcripts", "console"]] = {
    "transcripts": "transcripts",
    "console": "console",
}
NO_CREDITS = (
    "no prepaid balance yet: run `ai-budget credits set REMAINING` with the balance the Console shows"
)


@dataclass
class CreditsState:
    """Where the prepaid balance stands, where the spend came from, and what the alerts did."""

    section: CreditsSection
    forecast: CreditsForecast
    source: str
    now: datetime
    notes: list[str] = field(default_factory=list)
    alert_problems: list[str] = field(default_factory=list)


def set_credits(
    journal: Journal,
    remaining: Decimal,
    *,
    total: Decimal | None = None,
    expires: date | None = None,
    burn_source: str | None = None,
    now: datetime,
) -> CreditsSection:
    """Record the balance read from the Console now, one commit; what is not given is kept from before."""
    if total is not None and total < remaining:
        raise InvalidInput(f"--total ${total:,.2f} is less than the remaining ${remaining:,.2f}: check both")
    with journal.transaction("credits") as tx:
        before = tx.budget.credits
        kept = before.total_usd if before and total is None else None
        if kept is not None and kept < remaining:
            raise InvalidInput(
                f"the remaining ${remaining:,.2f} is more than the total ${kept:,.2f} set before: "
                "give the new total with --total"
            )
        section = CreditsSection(
            remaining_usd=cents(remaining),
            total_usd=cents(total) if total is not None else kept,
            expires=expires if expires is not None else (before.expires if before else None),
            set_at=now,
            burn_source=BURN_SOURCES.get(burn_source or "", before.burn_source if before else "transcripts"),
        )
        tx.budget.credits = section
        of = f" of ${section.total_usd:,.2f}" if section.total_usd is not None else ""
        tx.message = f"credits: ${section.remaining_usd:,.2f}{of} remaining"
    return section


def _cost(
    claude_dirs: list[Path],
    since: datetime,
    until: datetime,
    index: transcripts.Index,
    listing: tuple[list[transcripts.Transcript], list[str]],
) -> Decimal:
    try:
        report = transcripts.tokens(claude_dirs, since=since, until=until, index=index, listing=listing)
    except InvalidInput:  # no transcripts at all: nothing spent through Claude Code
        return Decimal(0)
    return report.total.cost or Decimal(0)


def spend_from_transcripts(claude_dirs: list[Path], set_at: datetime, now: datetime) -> Spend:
    """API-equivalent cost of the transcripts since the balance was set, over the last 7 × 24 h, and today."""
    index = transcripts.Index()
    unreadable: list[str] = []  # one listing for the three windows (thousands of files)
    listing = (transcripts.find_transcripts(claude_dirs, unreadable), unreadable)
    midnight = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    return Spend(
        since_set=_cost(claude_dirs, set_at, now, index, listing),
        last_7_days=_cost(claude_dirs, now - timedelta(days=7), now, index, listing),
        today=_cost(claude_dirs, midnight, now, index, listing),
    )


def spend_from_console(key_file: str | None, set_at: datetime, now: datetime) -> Spend:
    """The organisation's cost per UTC day: since the balance was set (of the day it was set, the share
    of the day after it), over the 7 days to today, and today."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=6)
    days = daily_costs(console.fetch_daily_cost(key_file, min(set_at, week), now))
    return Spend(
        since_set=spent_after(days, set_at, now),
        last_7_days=sum((a for start, _e, a in days if start >= week), Decimal(0)),
        today=sum((a for start, _e, a in days if start >= today), Decimal(0)),
    )


def credits_state(
    budget: BudgetFile, claude_dirs: list[Path], now: datetime, home: Path | None = None
) -> CreditsState | None:
    """The forecast of the recorded balance (None when there is none); with `home`, alert_command runs
    for each level newly reached."""
    section = budget.credits
    if section is None:
        return None
    notes: list[str] = []
    source = section.burn_source
    spend = None
    if source == "console":
        try:
            spend = spend_from_console(budget.settings.console.admin_key_file, section.set_at, now)
        except BudgetError as exc:
            notes.append(f"using the transcripts: the Console's cost report could not be had: {exc}")
            source = "transcripts"
    if spend is None:
        try:
            spend = spend_from_transcripts(claude_dirs, section.set_at, now)
        except BudgetError as exc:  # a glance must still show the balance; the gap is said
            notes.append(f"the transcripts could not be read ({exc}): the spend since is not counted")
            spend = Spend(Decimal(0), Decimal(0), Decimal(0))
    cast = forecast(section.remaining_usd, spend, now, section.expires, budget.settings.alerts)
    state = CreditsState(section, cast, source, now, notes)
    if home is not None:
        state.alert_problems = announce(home, section.set_at, cast, budget.settings.alert_command, now)
    return state


def credits_from(journal: Journal, claude_dirs: list[Path], now: datetime) -> CreditsState:
    """`credits show`: the state of the journal's balance, alerts announced; an error when none is set."""
    state = credits_state(journal.read_budget(), claude_dirs, now, journal.root)
    if state is None:
        raise InvalidInput(NO_CREDITS)
    return state


def console_configured(budget: BudgetFile) -> bool:
    """Whether an Admin API key is set up (the environment, or a key file in settings)."""
    return console.key_configured(budget.settings.console.admin_key_file)


def console_report(
    budget: BudgetFile,
    now: datetime,
    start: datetime | None = None,
    force: bool = False,
    glance: bool = False,
) -> ConsoleMonth:
    """The Console's month (this one unless `start` names another) from the Admin API or our copy;
    a glance repeats a failure of the last 2 minutes rather than ask again."""
    start = start or month_start(now)
    if start > now:
        raise InvalidInput(f"{start:%Y-%m} has not begun yet: give this month or an earlier one")
    end = next_month_start(start)
    settings = budget.settings.console
    answers, at, cached = console.fetch_month(
        settings.admin_key_file, settings.email, list(settings.api_key_names), start, end, now, force, glance
    )
    return console_month(answers, start, end, now, (at, cached), dict(settings.workspace_limits))


def console_or_error(budget: BudgetFile, now: datetime) -> tuple[ConsoleMonth | None, str | None]:
    """For `status` and the brief: the month when a key is set up, else nothing; a failure is a line."""
    if not console_configured(budget):
        return None, None
    try:
        return console_report(budget, now, glance=True), None
    except BudgetError as exc:
        return None, str(exc)


def credits_warnings(state: CreditsState) -> list[str]:
    """The alerts reached, a failed alert_command, and notes, as warnings of the brief."""
    found = [f"credits {a.level}: {a.reason}" for a in state.forecast.alerts]
    return found + state.alert_problems + state.notes
