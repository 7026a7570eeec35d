"""The `backlog` group: tasks in priority order, added and moved to completed.md."""

from __future__ import annotations

import click

from ai_budget.cli.app import CONTEXT, cli, emit_json, journal_from, json_option, show
from ai_budget.cli.params import UNITS


@cli.group(name="backlog", context_settings=CONTEXT)
def backlog_group() -> None:
    """The backlog (tasks/backlog.md): `[L|M|H|X] text {type: units}` lines in priority order."""


@backlog_group.command(name="list")
@json_option
@click.pass_context
def backlog_list(ctx: click.Context, json_: bool) -> None:
    """List backlog tasks with their numbers and estimates."""
    from ai_budget import paths
    from ai_budget.cli.views.brief import task_json
    from ai_budget.journal import backlog
    from ai_budget.model.backlog import problems
    from ai_budget.planning.estimates import estimate
    from ai_budget.session import limits

    journal = journal_from(ctx)
    budget = journal.read_budget()
    _, rates = limits.weighting(journal, budget)  # the same weighted %/unit as the brief
    estimates = [estimate(t, budget.calibration, rates) for t in backlog.tasks(journal)]
    for problem in problems(journal.read(paths.BACKLOG_FILE) or ""):
        click.echo(f"Warning: {paths.BACKLOG_FILE} {problem}", err=True)
    if json_:
        emit_json([task_json(e) for e in estimates])
    elif not estimates:
        click.echo('The backlog is empty: `ai-budget backlog add "[M] Add login page {feature: 1}"`')
    else:
        for e in estimates:
            click.echo(f"{e.task.number:>3}  {e.task.label()}  ~{e.pct:.1f}% ({e.basis})")


@backlog_group.command(name="add")
@click.argument("text")
@click.option(
    "--tag",
    type=click.Choice(["L", "M", "H", "X"], case_sensitive=False),
    help="Size: light, medium, heavy, extra heavy (default M).",
)
@click.option("--type", "task_type", help="Task type for a calibrated estimate.")
@click.option("--units", type=UNITS, help="Units of that type (default 1).")
@click.option("--section", help="The ## section to add to (default: the first).")
@json_option
@click.pass_context
def backlog_add(
    ctx: click.Context,
    text: str,
    tag: str | None,
    task_type: str | None,
    units: float | None,
    section: str | None,
    json_: bool,
) -> None:
    """Add a task: `"[M] Add login page {feature: 1}"`, or TEXT with --tag/--type/--units."""
    from ai_budget.journal import backlog
    from ai_budget.model.backlog import new_line

    task = backlog.add(journal_from(ctx), new_line(text, tag, task_type, units), section)
    show(
        json_,
        lambda: {"tag": task.tag, "text": task.text, "type": task.type, "units": task.units},
        lambda: f"Added {task.label()}",
    )


@backlog_group.command(name="done")
@click.argument("refs", nargs=-1, required=True)
@json_option
@click.pass_context
def backlog_done(ctx: click.Context, refs: tuple[str, ...], json_: bool) -> None:
    """Move tasks (by number or a unique piece of text) to tasks/completed.md, in one commit."""
    from ai_budget.journal import backlog
    from ai_budget.timeutil import today

    moved = backlog.complete(journal_from(ctx), list(refs), today())
    if json_:
        emit_json([t.label() for t in moved])
    else:
        for task in moved:
            click.echo(f"Done: {task.label()}")
