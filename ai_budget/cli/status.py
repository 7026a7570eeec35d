"""`status`: a read-only glance at where the windows are heading."""

from __future__ import annotations

import os
import sys

import click

from ai_budget import paths
from ai_budget.cli.app import cli, journal_home, json_option, show


@cli.command(name="status")
@click.option(
    "--check",
    "check_",
    is_flag=True,
    help="Exit 10 at the warning tier, 11 heading past the limit, 20 at it.",
)
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set).")
@json_option
@click.pass_context
def status_cmd(ctx: click.Context, check_: bool, no_color: bool, json_: bool) -> None:
    """A read-only glance: each window, its burn rate and projection, the session, Copilot."""
    from ai_budget.cli.views.status import status_json, status_text
    from ai_budget.session.status import status as glance
    from ai_budget.timeutil import now

    result = glance(paths.claude_dirs(), now(), journal_home(ctx))
    colour = not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
    show(json_, lambda: status_json(result), lambda: status_text(result, colour))
    if check_ and result.exit_code:
        raise click.exceptions.Exit(result.exit_code)
