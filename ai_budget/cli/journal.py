"""`init` and `history`: the journal itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ai_budget.cli.app import cli, emit_json, journal_from, journal_home, json_option, show

if TYPE_CHECKING:
    from ai_budget.journal.journal import Journal


@cli.command(name="init")
@json_option
@click.pass_context
def init_cmd(ctx: click.Context, json_: bool) -> None:
    """Create the journal (a git repo) if it does not exist; safe to run again."""
    from ai_budget.journal import machine
    from ai_budget.journal.journal import Journal

    root = journal_home(ctx)
    journal, committed = Journal.init(root)
    name = machine.name(journal.repo.config_path)
    if json_:
        emit_json({"home": str(root), "created": committed, "machine": name})
    elif committed:
        click.echo(f"Journal ready at {root}")
        click.echo(
            f"This machine is {name} in it: `ai-budget machine NAME` names it otherwise "
            "(each machine that syncs one journal needs a name of its own)"
        )
    else:
        click.echo(f"Journal already set up at {root}; nothing changed")


@cli.command(name="history")
@click.option("-n", "limit", type=click.IntRange(min=1), help="Show only the newest N entries.")
@click.option("--calibration", "task_type", metavar="TYPE", help="How TYPE's average moved over time.")
@json_option
@click.pass_context
def history_cmd(ctx: click.Context, limit: int | None, task_type: str | None, json_: bool) -> None:
    """The journal's history from git, newest first, with each session's figures."""
    from ai_budget.cli.views import journal as views
    from ai_budget.journal.history import calibration_history

    journal = journal_from(ctx)
    fold_ended(journal)
    if task_type is not None:
        rows = calibration_history(task_type, journal.history())
        rows = rows[-limit:] if limit else rows
        show(json_, lambda: rows, lambda: views.calibration_history_text(task_type, rows))
        return
    commits = journal.history(limit)
    show(json_, lambda: views.history_json(commits), lambda: views.history_lines(commits))


def fold_ended(journal: Journal) -> None:
    """Sessions that ended since the last command go into the journal before it is shown."""
    from ai_budget import paths
    from ai_budget.session.closing import fold_quietly
    from ai_budget.timeutil import now

    journal.read_budget()
    note = fold_quietly(journal, paths.claude_dirs(), now())
    if note:
        click.echo(f"Warning: {note}", err=True)
