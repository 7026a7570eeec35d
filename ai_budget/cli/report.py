"""`report`: the past per day, week or month, as a table, JSON or a page with charts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from ai_budget.cli.app import NUMBERS, cli, journal_from, json_option, show
from ai_budget.cli.journal import fold_ended
from ai_budget.cli.params import WHEN, Count


class OutputFile(click.ParamType):
    """A file to write: its folder must exist and be writable, and it must not be a folder itself."""

    name = "path"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        """The path, or a one-line error saying what to give instead."""
        from ai_budget.errors import InvalidInput

        if not str(value).strip():
            raise InvalidInput("--html is empty: give a file name such as report.html")
        path = Path(value).expanduser().absolute()
        denied = InvalidInput(f"--html: {path} cannot be written (permission denied): choose another path")
        try:
            if path.is_dir():
                raise InvalidInput(
                    f"--html {path} is a folder: give a file in it, such as {path / 'report.html'}"
                )
            folder = path.parent
            if not folder.is_dir():
                raise InvalidInput(
                    f"--html: the folder {folder} does not exist: create it, or choose another path"
                )
            writable = os.access(folder, os.W_OK | os.X_OK) and (
                not path.exists() or os.access(path, os.W_OK)
            )
        except PermissionError:  # a folder on the way that cannot be looked into
            raise denied from None
        if not writable:
            raise denied
        return path


@cli.command(name="report", context_settings=NUMBERS)
@click.option("--days", type=Count(), metavar="N", help="The last N days, today included (default 30).")
@click.option(
    "--since", type=WHEN, metavar="WHEN", help="From WHEN (an ISO date or time, or 2d, 1w ago) to today."
)
@click.option(
    "--by",
    type=click.Choice(["day", "week", "month"]),
    default="day",
    show_default=True,
    help="One row per day, ISO week or month.",
)
@click.option(
    "--html", "html_path", type=OutputFile(), metavar="PATH", help="Also write a page with charts to PATH."
)
@click.option(
    "--machine", metavar="NAME", help="Only this machine's sessions and days (a synced journal has several)."
)
@json_option
@click.pass_context
def report_cmd(
    ctx: click.Context,
    days: int | None,
    since: Any,
    by: str,
    html_path: Path | None,
    machine: str | None,
    json_: bool,
) -> None:
    """The past per day, week or month: sessions, API calls, tokens, cost, peak utilisation, calibration.

    Finished days are first rolled up into the journal (usage/MACHINE/YYYY-MM.csv, one commit), so the
    report reaches back past Claude Code's transcript cleanup.
    """
    from ai_budget import paths
    from ai_budget.cli.progress import terminal_bar
    from ai_budget.cli.views.report import report_json, report_text
    from ai_budget.session.report import build_report
    from ai_budget.timeutil import now

    journal = journal_from(ctx)
    fold_ended(journal)
    with terminal_bar(json_) as bar:  # the first rollup backfill reads every transcript
        data = build_report(
            journal, paths.claude_dirs(), days=days, since=since, by=by, progress=bar, machine=machine
        )
    if html_path is not None:
        from ai_budget.cli.views.report_html import report_html
        from ai_budget.errors import InvalidInput
        from ai_budget.fileio import write_atomic

        try:
            write_atomic(html_path, report_html(data, now().astimezone()))
        except OSError as exc:
            raise InvalidInput(
                f"--html: cannot write {html_path} ({exc.strerror}): choose another path"
            ) from None
    show(json_, lambda: report_json(data), lambda: report_text(data))
    if html_path is not None:
        click.echo(f"Wrote {html_path}", err=json_)
