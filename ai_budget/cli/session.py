"""`check` and `log`: the start and the end of a session."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ai_budget import paths
from ai_budget.cli.app import (
    NUMBERS,
    cli,
    from_file_option,
    journal_from,
    json_option,
    read_usage_arg,
    show,
    source_option,
)
from ai_budget.cli.params import COPILOT_COUNT, DONE

if TYPE_CHECKING:
    from datetime import datetime

    from ai_budget.journal.journal import Journal
    from ai_budget.model.budget import BudgetFile
    from ai_budget.session.log import Done


@cli.command(name="check")
@from_file_option
@source_option
@json_option
@click.pass_context
def check_cmd(ctx: click.Context, from_file: str | None, source: str, json_: bool) -> None:
    """Session start: fetch usage, open the session (inside one, refresh it), and print the brief."""
    from ai_budget.cli.progress import terminal_bar
    from ai_budget.cli.views.brief import brief_json, brief_text
    from ai_budget.session.check import Opening, check

    journal = journal_from(ctx)
    usage_file = read_usage_arg(from_file)
    with terminal_bar(json_) as bar:  # the first rollup backfill reads every transcript
        brief = check(
            journal,
            paths.primary_claude_dir(),
            file=usage_file,
            source=source,
            progress=bar,
            opening=Opening(resolve=True),
        )
    show(json_, lambda: brief_json(brief), lambda: brief_text(brief))
    keep_basis(journal, brief.now)


def keep_basis(journal: Journal, now: datetime) -> None:
    """Keep what the next `check` needs to answer on its fast path (cli.fast_check); never a failure."""
    import contextlib

    from ai_budget.errors import BudgetError
    from ai_budget.session import brief_keep

    with contextlib.suppress(BudgetError, OSError):  # only the next check's speed depends on it
        brief_keep.keep(journal, now, _accounts)


def _accounts(budget: BudgetFile, now: datetime) -> dict[str, Any]:
    """The accounts' part of the brief, text and JSON, as `check` shows them (prepaid credits and the
    Console are left out: with either set up, `check` always takes the full path)."""
    from ai_budget.cli.views.brief import accounts_json, accounts_text
    from ai_budget.model.accounts import copilot_state

    copilot = copilot_state(budget.copilot, now)
    return {"text": accounts_text(copilot, budget.gemini), "json": accounts_json(copilot, budget.gemini)}


def ask_done(journal: Journal) -> list[Done]:
    """In a terminal: what was completed, one item per line, until an empty line.

    A line that cannot be read is explained and asked again; the items typed so far are kept.
    """
    from ai_budget.errors import InvalidInput, UnknownTaskType
    from ai_budget.model.calibration import find_type

    table = journal.read_budget().calibration
    click.echo("What did you complete? One per line as TYPE UNITS description; empty line to finish.")
    items: list[Done] = []
    while entry := click.prompt("done", default="", show_default=False).strip():
        try:
            item = DONE.convert(entry, None, None)
            find_type(table, item.type)
        except (InvalidInput, UnknownTaskType) as exc:
            click.echo(f"  {exc}: type that line again", err=True)
            continue
        items.append(item)
    return items


@cli.command(name="log", context_settings=NUMBERS)
@click.option(
    "--done",
    "done",
    multiple=True,
    type=DONE,
    metavar="'TYPE UNITS description'",
    help="A completed item (repeatable), for example --done 'flashcard 10 chapter 4'.",
)
@click.option("--lesson", "lessons", multiple=True, metavar="TEXT", help="A lesson for the log (repeatable).")
@click.option(
    "--next", "next_notes", multiple=True, metavar="TEXT", help="A note for next session (repeatable)."
)
@click.option(
    "--copilot",
    "copilot_count",
    type=COPILOT_COUNT,
    metavar="N",
    help="Copilot's count now (requests or credits).",
)
@click.option(
    "--backlog-done",
    "backlog_done",
    multiple=True,
    metavar="REF",
    help="Also move this backlog task (number or text) to completed.md (repeatable).",
)
@from_file_option
@source_option
@json_option
@click.pass_context
def log_cmd(
    ctx: click.Context,
    done: tuple[Done, ...],
    lessons: tuple[str, ...],
    next_notes: tuple[str, ...],
    copilot_count: int | None,
    backlog_done: tuple[str, ...],
    from_file: str | None,
    source: str,
    json_: bool,
) -> None:
    """Session end: measure the session, update calibration, append the session log, commit."""
    import gc

    gc.disable()  # loading the modules below makes thousands of objects that live to the exit:
    from ai_budget.cli.progress import terminal_bar
    from ai_budget.cli.views.log import log_json, log_text
    from ai_budget.session.log import LogRequest, log

    gc.freeze()  # no collection looks at them, during the loading or after
    gc.enable()
    journal = journal_from(ctx)
    items = list(done)
    if not items and from_file != "-" and sys.stdin.isatty() and not json_:
        items = ask_done(journal)
    request = LogRequest(
        claude_dirs=paths.claude_dirs(),
        done=tuple(items),
        lessons=lessons,
        next_notes=next_notes,
        usage_file=read_usage_arg(from_file),
        usage_source=source,
        copilot_count=copilot_count,
        backlog_refs=backlog_done,
        resolve_session=True,
    )
    with terminal_bar(json_) as bar:  # the first rollup backfill reads every transcript
        result = log(journal, request, progress=bar)
    show(json_, lambda: log_json(result), lambda: log_text(result))
    from ai_budget.cli.sync import sync_after_log

    sync_after_log(journal)  # settings.sync.after_log; a hook's log never syncs
    keep_basis(journal, request.now)  # the next session's start and check answer from it


@cli.command(name="sessions")
@click.option("-n", "limit", type=click.IntRange(min=1), help="Show only the newest N sessions.")
@json_option
@click.pass_context
def sessions_cmd(ctx: click.Context, limit: int | None, json_: bool) -> None:
    """The Claude Code sessions in the journal, newest first: each one's tokens and cost over all its
    records (a log, its tail, a resume), open ones too. Sessions that ended are written down first."""
    from ai_budget.cli.views.sessions import sessions_text
    from ai_budget.session.closing import fold_quietly
    from ai_budget.session.listing import journal_sessions
    from ai_budget.timeutil import now

    journal = journal_from(ctx)
    journal.read_budget()  # a journal that cannot be read says so before anything is folded
    note = fold_quietly(journal, paths.claude_dirs(), now())
    if note:
        click.echo(f"Warning: {note}", err=True)
    rows = journal_sessions(journal)[:limit]
    show(json_, lambda: rows, lambda: sessions_text(rows))
