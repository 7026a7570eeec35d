"""`prices`: the price table in force, `prices update --from FILE|URL` and `prices reset`."""

from __future__ import annotations

import click

from ai_budget import paths
from ai_budget.cli.app import cli, show


@cli.group(name="prices", invoke_without_command=True)
@click.option("--json", "json_", is_flag=True, help="Print as JSON.")
@click.option(
    "--no-transcripts", is_flag=True, help="Do not look through the transcripts for models with no price."
)
@click.pass_context
def prices_cmd(ctx: click.Context, json_: bool, no_transcripts: bool) -> None:
    """The API prices in force: each model's rates by date, where each came from, and the models your
    transcripts name that have no price."""
    if ctx.invoked_subcommand is not None:
        return
    from ai_budget.claude.price_report import report
    from ai_budget.cli.views.prices import render

    found = report(paths.claude_dirs(), look=not no_transcripts)
    show(json_, found.as_dict, lambda: render(found))


@prices_cmd.command(name="update")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="FILE|URL",
    help="genai-prices' data.json, or a table in ai-budget's format: a file, or an http(s) address.",
)
@click.option("--json", "json_", is_flag=True, help="Print as JSON.")
def update_cmd(source: str, json_: bool) -> None:
    """Replace the shipped prices with a newer table, without a new release (the network only for a URL)."""
    from ai_budget.claude.price_import import update
    from ai_budget.cli.views.prices import render_update

    result = update(source)
    show(json_, result.as_dict, lambda: render_update(result))


@prices_cmd.command(name="reset")
def reset_cmd() -> None:
    """Forget the table `prices update` wrote: the shipped prices apply again."""
    from ai_budget.claude.price_import import reset

    removed = reset()
    click.echo(
        f"Removed {removed}: the shipped prices apply." if removed else "No updated table: nothing to do."
    )
