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
    try:
        from ai_budget.integrations.hooks import read_event

        out = handler(read_event(sys.stdin.buffer.read()))
    except BaseException as exc:  # a hook never fails Claude Code and prints nothing, on stdout or stderr
        if not isinstance(exc, (SystemExit, KeyboardInterrupt)):
            _note_failure(exc)  # why, in the state folder's hooks.log
        return
    if out:
        click.echo(out)


def _note_failure(exc: BaseException) -> None:
    """Why a hook did nothing, as the last line of `hooks.log` in the state folder (never printed)."""
    import contextlib
    from datetime import datetime, timezone

    from ai_budget import paths
    from ai_budget.redact import scrub

    with contextlib.suppress(Exception):
        path = paths.state_dir() / "hooks.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = scrub(f"{datetime.now(timezone.utc).isoformat()} {type(exc).__name__}: {exc}".splitlines()[0])
        path.write_text(line[:500] + "\n", encoding="utf-8")


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
    from ai_budget.integrations import hooks

    _run_hook(hooks.prompt)
