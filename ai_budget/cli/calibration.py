"""`calibrate` and the `calibration` group: per-task-type averages."""

from __future__ import annotations

import click

from ai_budget.cli.app import CONTEXT, NUMBERS, cli, journal_from, json_option, show
from ai_budget.cli.params import PERCENT, TOKENS, UNITS


@cli.command(name="calibrate", context_settings=NUMBERS)
@click.argument("task_type")
@click.argument("units", type=UNITS)
@click.argument("pct_delta", type=PERCENT)
@click.argument("output_tokens", type=TOKENS, required=False)
@json_option
@click.pass_context
def calibrate_cmd(
    ctx: click.Context, task_type: str, units: float, pct_delta: float, output_tokens: int | None, json_: bool
) -> None:
    """Record that UNITS of TASK_TYPE used PCT_DELTA % of the 5-hour window (and OUTPUT_TOKENS)."""
    from ai_budget.cli.views import journal as views
    from ai_budget.journal import calibration

    done = calibration.record(journal_from(ctx), task_type, units, pct_delta, output_tokens)
    show(json_, lambda: views.calibration_json(done.task_type, done.after), lambda: views.calibrated(done))


@cli.group(name="calibration", invoke_without_command=True, context_settings=CONTEXT)
@json_option
@click.pass_context
def calibration_group(ctx: click.Context, json_: bool) -> None:
    """Show the calibration table (per task type: samples, units, %/unit, tokens/unit)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(calibration_show, json_=json_)


@calibration_group.command(name="show")
@json_option
@click.pass_context
def calibration_show(ctx: click.Context, json_: bool) -> None:
    """Show the calibration table (types whose samples predate a limit change are marked)."""
    from ai_budget.cli.views import journal as views
    from ai_budget.session import limits

    journal = journal_from(ctx)
    budget = journal.read_budget()
    table = budget.calibration
    marks, rates = limits.weighting(journal, budget)
    show(
        json_,
        lambda: views.calibration_show_json(table, marks, rates),
        lambda: views.calibration_table(table, marks, rates),
    )


@calibration_group.command(name="add")
@click.argument("task_type")
@click.option("--unit", required=True, help='The unit of work, for example "per card".')
@json_option
@click.pass_context
def calibration_add(ctx: click.Context, task_type: str, unit: str, json_: bool) -> None:
    """Add a task type to calibrate (or give one with no samples yet another unit)."""
    from ai_budget.cli.views import journal as views
    from ai_budget.journal import calibration

    journal = journal_from(ctx)
    before = {name.lower(): (name, entry.unit) for name, entry in journal.read_budget().calibration.items()}
    entry = calibration.add_type(journal, task_type, unit)
    name, old_unit = before.get(task_type.lower(), (task_type, None))
    if task_type.lower() not in before:
        said = f"Added task type {name} ({entry.unit})"
    elif old_unit == entry.unit:
        said = f"Task type {name} is already there ({entry.unit}): nothing changed"
    else:
        said = f"Task type {name} now counts {entry.unit} (it had no samples yet)"
    show(json_, lambda: views.calibration_json(name, entry), lambda: said)
