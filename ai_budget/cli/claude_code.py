"""`statusline` and `hook …`: the commands Claude Code runs; they never block it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from ai_budget.cli.app import CONTEXT, cli


@cli.command(name="statusline")
@click.option("--wrap", metavar="COMMAND", help="Run your own statusline COMMAND too and append ours to it.")
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set).")
def statusline_cmd(wrap: str | None, no_color: bool) -> None:
    """Claude Code's statusline: record its rate limits and print `5h 37% · wk 22% · $0.41 · GREEN`."""
    from ai_budget.integrations.statusline import run

    argv = (["--wrap", wrap] if wrap else []) + (["--no-color"] if no_color else [])
    stdin = sys.stdin.buffer.read() if not sys.stdin.isatty() else b""
    click.echo(run(argv, stdin), color=True)  # Claude Code shows ANSI colour; its pipe is no terminal


@cli.group(name="hook", context_settings=CONTEXT)
def hook_group() -> None:
    """Claude Code hooks (JSON on stdin); on any problem they exit 0 and print nothing."""


def _run_hook(handler: Callable[[dict[str, Any]], str | None]) -> None:
    """Read the payload, run the hook; whatever goes wrong, Claude Code is never blocked."""
    from ai_budget.integrations.fast_hooks import run

    out = run(handler)
    if out:
        click.echo(out)


@hook_group.command(name="session-start")
def hook_session_start() -> None:
    """SessionStart: on startup, record the session baseline and give Claude a compact brief."""
    from ai_budget.integrations import hooks

    _run_hook(hooks.session_start)


@hook_group.command(name="session-end")
def hook_session_end() -> None:
    """SessionEnd: log the session's spend if `/budget-log` did not (no endpoint call)."""
    from ai_budget.integrations import hooks

    _run_hook(hooks.session_end)


@hook_group.command(name="prompt")
def hook_prompt() -> None:
    """UserPromptSubmit: one line of context when a window crosses 80, 90 or 95 %."""
    from ai_budget.integrations import fast_hooks  # entry.py runs it before click; this is for --help's sake

    _run_hook(fast_hooks.prompt)
