"""The `credits` group: a prepaid balance typed in from the Console, its burn rate and alerts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import click

from ai_budget.cli.app import CONTEXT, NUMBERS, cli, journal_from, json_option, show
from ai_budget.cli.params import DAY_AHEAD, DOLLARS


@cli.group(name="credits", context_settings=CONTEXT)
def credits_group() -> None:
    """Prepaid API credits: the balance from the Console, the burn rate, days left and alerts."""


@credits_group.command(name="set", context_settings=NUMBERS)
@click.argument("remaining", type=DOLLARS)
@click.option("--total", type=DOLLARS, help="The credits bought in all (for the 'of $T' part).")
@click.option("--expires", type=DAY_AHEAD, help="When the credits expire (YYYY-MM-DD).")
@click.option(
    "--burn-source",
    type=click.Choice(["transcripts", "console"]),
    help="Spend from the transcripts' API-equivalent cost (default) or the Console's cost report.",
)
@json_option
@click.pass_context
def credits_set(
    ctx: click.Context,
    remaining: Decimal,
    total: Decimal | None,
    expires: date | None,
    burn_source: str | None,
    json_: bool,
) -> None:
    """Record the prepaid balance the Console shows now (one commit)."""
    from ai_budget.cli.views import credits as views
    from ai_budget.session.credits import set_credits
    from ai_budget.timeutil import now

    section = set_credits(
        journal_from(ctx), remaining, total=total, expires=expires, burn_source=burn_source, now=now()
    )
    show(json_, lambda: views.section_json(section), lambda: views.section_text(section))


@credits_group.command(name="show")
@click.option("--check", "check_", is_flag=True, help="Exit 10 on CAUTION, 11 on WARNING, 20 on CRITICAL.")
@json_option
@click.pass_context
def credits_show(ctx: click.Context, check_: bool, json_: bool) -> None:
    """Show the estimated balance, the burn rate, days left, the run-out date and the alerts."""
    from ai_budget import paths
    from ai_budget.cli.views import credits as views
    from ai_budget.session.credits import credits_from
    from ai_budget.timeutil import now

    state = credits_from(journal_from(ctx), paths.claude_dirs(), now())
    show(json_, lambda: views.credits_json(state), lambda: views.credits_text(state))
    if check_ and state.forecast.exit_code:
        raise click.exceptions.Exit(state.forecast.exit_code)
