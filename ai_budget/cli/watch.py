"""`watch`: a live dashboard of the status, redrawn every interval; `q` or Ctrl-C leaves it."""

from __future__ import annotations

import select
import sys
import termios
import tty
from datetime import timedelta
from typing import Any

import click

from ai_budget import paths
from ai_budget.cli.app import cli, journal_home


@cli.command(name="watch")
@click.option(
    "--interval",
    type=click.FloatRange(min=1, max=3600),
    default=10.0,
    show_default=True,
    help="Seconds between redraws.",
)
@click.pass_context
def watch_cmd(ctx: click.Context, interval: float) -> None:
    """A live dashboard: the windows, their pace, a chart of the 5-hour window (q to quit)."""
    from ai_budget.errors import InvalidInput

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InvalidInput("watch needs a terminal: in a script use `ai-budget status` (or `status --json`)")
    from rich.console import Console
    from rich.live import Live

    from ai_budget.claude import usage_history
    from ai_budget.cli.views.watch import CHART_HOURS, screen
    from ai_budget.session.status import status
    from ai_budget.timeutil import now

    home = journal_home(ctx)
    console = Console()

    def frame() -> Any:
        moment = now()
        current = status(paths.claude_dirs(), moment, home)
        rows = usage_history.series("five_hour", moment - timedelta(hours=CHART_HOURS))
        # The terminal's width now: a resized window is redrawn to fit at the next refresh.
        return screen(current, [(at, value) for at, value, _ in rows], interval, console.size.width)

    saved = termios.tcgetattr(sys.stdin.fileno())
    try:
        tty.setcbreak(sys.stdin.fileno())  # keys arrive one by one, unechoed; restored below
        with Live(frame(), console=console, screen=True, auto_refresh=False) as live:
            while not _quit_pressed(interval):
                live.update(frame(), refresh=True)
    except KeyboardInterrupt:
        pass
    finally:
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


def _quit_pressed(wait: float) -> bool:
    """Wait up to `wait` seconds for a key; True when it is q (or Q)."""
    ready, _, _ = select.select([sys.stdin], [], [], wait)
    if not ready:
        return False
    return sys.stdin.read(1).lower() == "q"
