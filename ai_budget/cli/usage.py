"""`fetch` and `tokens`: Claude's utilisation windows and the tokens in its transcripts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from ai_budget import paths
from ai_budget.cli.app import (
    cli,
    from_file_option,
    journal_from,
    json_option,
    read_usage_arg,
    show,
    source_option,
)
from ai_budget.cli.params import WHEN

if TYPE_CHECKING:
    from ai_budget.claude.transcripts.cache import Index
    from ai_budget.cli.progress import ProgressBar


@cli.command(name="fetch")
@click.option(
    "--force",
    is_flag=True,
    help="Ask the usage endpoint now: no local source, not our cache (a 429 wait is still honoured).",
)
@from_file_option
@source_option
@json_option
@click.pass_context
def fetch_cmd(ctx: click.Context, force: bool, from_file: str | None, source: str, json_: bool) -> None:
    """Fetch Claude's 5-hour and weekly utilisation into the journal."""
    from ai_budget.cli.views.usage import usage_json, usage_text
    from ai_budget.session.refresh import fetch_into_journal

    if force and source in ("statusline", "claude"):
        from ai_budget.errors import InvalidInput

        raise InvalidInput(f"--force asks the usage endpoint, --source {source} never does: drop one of them")
    if force:
        source = "api"  # a fresh statusline reading is still a reading from before: ask the endpoint
    journal = journal_from(ctx)
    file = read_usage_arg(from_file)
    snap = fetch_into_journal(journal, paths.primary_claude_dir(), force=force, file=file, source=source)
    show(json_, lambda: usage_json(snap), lambda: usage_text(snap))
    if not snap.fresh:
        click.echo(f"Error: {snap.error} (showing the last known values)", err=True)
        raise click.exceptions.Exit(1)


BREAKDOWNS = ("day", "week", "month", "session", "model")
Window = tuple[datetime | None, datetime | None]
Out = tuple[bool, "ProgressBar | None"]  # --json, and the bar to clear before printing


@cli.command(name="tokens")
@click.option("--session", metavar="ID|PATH", help="A session id (or unique prefix) or a transcript file.")
@click.option(
    "--since", type=WHEN, metavar="WHEN", help="Every entry since WHEN: ISO time, or 90m, 5h, 2d, 1w ago."
)
@click.option("--until", type=WHEN, metavar="WHEN", help="Every entry before WHEN (same forms as --since).")
@click.option("--all", "all_", is_flag=True, help="Every entry of every session, all time.")
@click.option("--no-subagents", is_flag=True, help="Leave out subagent transcripts.")
@click.option("--no-cache", is_flag=True, help="Read every file afresh and write no cache.")
@click.option(
    "--list",
    "list_",
    is_flag=True,
    help="List the sessions, newest first (with --since/--until: those active then).",
)
@click.option(
    "--by",
    type=click.Choice(BREAKDOWNS),
    metavar="PERIOD",
    help="A row per day, week (from Monday), month, session or model, and a total row.",
)
@click.option("--utc", is_flag=True, help="With --by day|week|month: UTC dates, not local ones.")
@json_option
def tokens_cmd(
    list_: bool,
    by: str | None,
    utc: bool,
    session: str | None,
    since: datetime | None,
    until: datetime | None,
    all_: bool,
    no_subagents: bool,
    no_cache: bool,
    json_: bool,
) -> None:
    """Tokens and API-equivalent cost from Claude Code's transcripts (each message counted once).

    With no selector: the newest session of the current directory's project, else the newest
    anywhere. A session counts its own messages; what a resumed session copied from an earlier
    one is shown apart, as inherited. No journal is needed.
    """
    from ai_budget.claude import transcripts
    from ai_budget.cli.progress import terminal_bar

    _refuse_conflicts(list_, by, utc, session, (since, until), all_)
    with terminal_bar(json_) as bar:
        index = transcripts.Index(use_cache=not no_cache, progress=bar)
        if list_:
            _list(index, (since, until), not no_subagents, (json_, bar))
        elif by:
            _breakdown(index, by, utc, (since, until), not no_subagents, (json_, bar))
        else:
            _tokens(index, session, (since, until), all_, not no_subagents, (json_, bar))


def _refuse_conflicts(
    list_: bool, by: str | None, utc: bool, session: str | None, window: Window, all_: bool
) -> None:
    """One line for options that contradict each other or do nothing together."""
    from ai_budget.errors import InvalidInput

    since, until = window
    view = "--list" if list_ else f"--by {by}" if by else None
    if since is not None and until is not None and until <= since:
        raise InvalidInput("--until must be later than --since: swap them, or widen the window")
    if list_ and by:
        raise InvalidInput("--list and --by are two views: give one of them")
    if view and session is not None:
        raise InvalidInput(f"{view} covers every session: drop --session, or drop {view.split()[0]}")
    if all_ and (session is not None or since is not None or until is not None):
        given = "--session" if session is not None else "--since/--until"
        raise InvalidInput(f"--all is every entry of all time: drop {given}, or drop --all")
    if utc and by not in ("day", "week", "month"):
        raise InvalidInput("--utc sets the dates of --by day|week|month: add one of them, or drop --utc")


def _tokens(index: Index, session: str | None, window: Window, all_: bool, subagents: bool, out: Out) -> None:
    """A session's totals, or a window's."""
    from ai_budget.claude import transcripts
    from ai_budget.cli.views.tokens import tokens_text

    since, until = window
    result = transcripts.tokens(
        paths.claude_dirs(),
        session=session,
        since=since,
        until=until,
        all_sessions=all_,
        subagents=subagents,
        index=index,
    )
    _show(out, lambda: result.as_dict(), lambda: tokens_text(result))


def _list(index: Index, window: Window, subagents: bool, out: Out) -> None:
    """`tokens --list`."""
    from ai_budget.claude.transcripts.sessions import list_sessions
    from ai_budget.cli.views.tokens import sessions_text

    unreadable: list[str] = []
    rows = list_sessions(paths.claude_dirs(), window[0], index, window[1], subagents, unreadable)
    _show(out, lambda: [r.as_dict() for r in rows], lambda: sessions_text(rows))
    _warn(unreadable)


def _breakdown(index: Index, by: str, utc: bool, window: Window, subagents: bool, out: Out) -> None:
    """`tokens --by`."""
    from ai_budget.claude.transcripts.breakdown import breakdown
    from ai_budget.cli.views.tokens import breakdown_text

    since, until = window
    unreadable: list[str] = []
    result = breakdown(
        paths.claude_dirs(),
        by,
        since=since,
        until=until,
        utc=utc,
        subagents=subagents,
        index=index,
        unreadable=unreadable,
    )
    _show(out, lambda: result.as_dict(), lambda: breakdown_text(result))
    _warn(unreadable)


def _warn(unreadable: list[str]) -> None:
    """The folders and files that could not be read, named on stderr (a list or table has no room)."""
    from ai_budget.claude.transcripts.report import warnings

    for line in warnings(unreadable):
        click.echo(f"Warning: {line}", err=True)


def _show(out: Out, data: Callable[[], Any], text: Callable[[], str]) -> None:
    """Clear the progress bar, then print."""
    json_, bar = out
    if bar is not None:
        bar.close()
    show(json_, data, text)
