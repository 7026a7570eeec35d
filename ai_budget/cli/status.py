"""`status`: a read-only glance at where the windows are heading."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ai_budget import paths
from ai_budget.cli.app import cli, journal_home, json_option, show


def write_status(target: str, data: dict[str, Any], result: Any) -> None:
    """The status for other tools, with the keys the original usage file had (tier, percents)."""
    from pathlib import Path

    from ai_budget.fileio import write_atomic
    from ai_budget.jsonio import dumps_pretty

    five = next((w["utilization"] for w in data["windows"] if w["name"] == "five_hour"), None)
    week = next((w["utilization"] for w in data["windows"] if w["name"] == "seven_day"), None)
    data = data | {
        "tier": result.route.tier if result.route else None,
        "fiveHourPercent": five,
        "weeklyPercent": week,
    }
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dumps_pretty(data) + "\n")


@cli.command(name="status")
@click.option(
    "--check",
    "check_",
    is_flag=True,
    help="Exit 10 at the warning tier, 11 heading past the limit, 20 at it; credit alerts too "
    "(CAUTION 10, WARNING 11, CRITICAL 20).",
)
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set).")
@click.option("--write", "write_to", metavar="PATH", help="Also write the status JSON to PATH (atomically).")
@json_option
@click.pass_context
def status_cmd(ctx: click.Context, check_: bool, no_color: bool, write_to: str | None, json_: bool) -> None:
    """A read-only glance: each window, its burn rate and projection, the session, Copilot, and the
    prepaid credits and the Console when they are set up."""
    from ai_budget.cli.views.status import status_json, status_text
    from ai_budget.session.status import status as glance
    from ai_budget.timeutil import now

    result = glance(paths.claude_dirs(), now(), journal_home(ctx))
    colour = not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
    if write_to is not None:
        write_status(write_to, status_json(result), result)
    show(json_, lambda: status_json(result), lambda: status_text(result, colour))
    if check_ and result.exit_code:
        raise click.exceptions.Exit(result.exit_code)
