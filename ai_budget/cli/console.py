"""`console`: the organisation's month from the Anthropic Admin API."""

from __future__ import annotations

from datetime import datetime

import click

from ai_budget.cli.app import cli, journal_home, json_option, show
from ai_budget.cli.params import MONTH


@cli.command(name="console")
@click.option("--month", type=MONTH, help="Another month than this one (YYYY-MM).")
@click.option("--force", is_flag=True, help="Skip our copy of the answers (a 429 wait is still honoured).")
@json_option
@click.pass_context
def console_cmd(ctx: click.Context, month: datetime | None, force: bool, json_: bool) -> None:
    """The Console's month: cost to date and projected, per model, per workspace, your Claude Code."""
    from ai_budget.cli.views.console import console_json, console_text
    from ai_budget.errors import NotAJournal
    from ai_budget.journal.journal import Journal
    from ai_budget.model.budget import BudgetFile
    from ai_budget.session.credits import console_report
    from ai_budget.timeutil import now

    try:
        budget = Journal.open(journal_home(ctx)).read_budget()
    except NotAJournal:
        budget = BudgetFile()  # no journal: the key from the environment still works
    report = console_report(budget, now(), month, force)
    show(json_, lambda: console_json(report), lambda: console_text(report))
