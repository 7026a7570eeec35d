"""The `credits` group: a prepaid balance typed in from the Console, its burn rate and alerts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from ai_budget.cli.app import CONTEXT, NUMBERS, cli, journal_from, json_option, show

MAX_USD = Decimal(10**9)
_AMOUNT = re.compile(r"\$?\s*([0-9]+(?:\.[0-9]+)?|[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?)")


class Dollars(click.ParamType):
    """A dollar amount, zero or more: 12.50, $12.50 or 1,250."""

    name = "dollars"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        """The amount, or a one-line error naming the parameter."""
        from ai_budget.errors import InvalidInput

        if isinstance(value, Decimal):
            return value
        name = param.opts[0] if isinstance(param, click.Option) else "REMAINING"
        text = str(value).strip()
        if text.startswith("-"):
            raise InvalidInput(f"{name} cannot be negative, got {text!r}: give the balance the Console shows")
        found = _AMOUNT.fullmatch(text)
        try:
            amount = Decimal(found.group(1).replace(",", "")) if found else None
        except InvalidOperation:
            amount = None
        if amount is None:
            raise InvalidInput(f"{name} must be a dollar amount like 12.50, got {text!r}")
        if amount > MAX_USD:
            raise InvalidInput(f"{name} must be at most ${MAX_USD:,}, got {text!r}")
        return amount


class Day(click.ParamType):
    """A calendar date, YYYY-MM-DD, today or later."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        """The date, or a one-line error."""
        from ai_budget.errors import InvalidInput
        from ai_budget.timeutil import today

        if isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(f"--expires must be a date like 2027-03-31, got {str(value)!r}") from None
        if day < today():
            raise InvalidInput(f"--expires {day} has already passed: give the date the Console shows")
        return day


@cli.group(name="credits", context_settings=CONTEXT)
def credits_group() -> None:
    """Prepaid API credits: the balance from the Console, the burn rate, days left and alerts."""


@credits_group.command(name="set", context_settings=NUMBERS)
@click.argument("remaining", type=Dollars())
@click.option("--total", type=Dollars(), help="The credits bought in all (for the 'of $T' part).")
@click.option("--expires", type=Day(), help="When the credits expire (YYYY-MM-DD).")
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
