"""The command line: click only. Every computation lives in the core modules."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from ai_budget import paths
from ai_budget.errors import BudgetError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Group(click.Group):
    """A click group whose errors are one line on stderr and a non-zero exit."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            click.echo(f"Error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except BudgetError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


def emit_json(data: Any) -> None:
    """Print data as indented JSON."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def journal_from(ctx: click.Context) -> Any:
    """Open the journal named by --home / $AI_BUDGET_HOME / ~/.ai-budget."""
    from ai_budget.journal import Journal

    return Journal.open(paths.journal_home(ctx.obj.get("home")))


def read_usage_arg(from_file: str | None) -> tuple[str | None, str]:
    """The text of `--from-file` (`-` reads standard input) and its name for messages."""
    from ai_budget import usage

    if from_file is None:
        return None, ""
    if from_file == "-":
        return sys.stdin.read(), "standard input"
    return usage.read_source(from_file)


@click.group(cls=Group, context_settings=CONTEXT)
@click.option(
    "--home",
    type=click.Path(),
    envvar=None,
    help="Journal folder (default: $AI_BUDGET_HOME or ~/.ai-budget).",
)
@click.version_option(package_name="ai-budget", message="ai-budget %(version)s")
@click.pass_context
def cli(ctx: click.Context, home: str | None) -> None:
    """A local, git-backed budget journal for Claude Pro/Max, Copilot and Gemini."""
    ctx.ensure_object(dict)
    ctx.obj["home"] = home


# --- init ---------------------------------------------------------------------


@cli.command(name="init")
@click.option("--json", "json_", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def init_cmd(ctx: click.Context, json_: bool) -> None:
    """Create the journal (a git repo) if it does not exist; safe to run again."""
    from ai_budget.journal import Journal

    root = paths.journal_home(ctx.obj.get("home"))
    _, committed = Journal.init(root)
    if json_:
        emit_json({"home": str(root), "created": committed})
    elif committed:
        click.echo(f"Journal ready at {root}")
    else:
        click.echo(f"Journal already set up at {root}; nothing changed")


# --- calibration ----------------------------------------------------------------


@cli.command(name="calibrate")
@click.argument("task_type")
@click.argument("units")
@click.argument("pct_delta")
@click.argument("output_tokens", required=False)
@click.option("--json", "json_", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def calibrate_cmd(
    ctx: click.Context, task_type: str, units: str, pct_delta: str, output_tokens: str | None, json_: bool
) -> None:
    """Record that UNITS of TASK_TYPE used PCT_DELTA % of the 5-hour window (and OUTPUT_TOKENS)."""
    from ai_budget import calibration, render

    done = calibration.record(journal_from(ctx), task_type, units, pct_delta, output_tokens)
    if json_:
        emit_json(render.calibration_json(done.task_type, done.after))
    else:
        click.echo(render.calibrated(done))


@cli.group(name="calibration", invoke_without_command=True, context_settings=CONTEXT)
@click.option("--json", "json_", is_flag=True, help="Print the table as JSON.")
@click.pass_context
def calibration_group(ctx: click.Context, json_: bool) -> None:
    """Show the calibration table (per task type: samples, units, %/unit, tokens/unit)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(calibration_show, json_=json_)


@calibration_group.command(name="show")
@click.option("--json", "json_", is_flag=True, help="Print the table as JSON.")
@click.pass_context
def calibration_show(ctx: click.Context, json_: bool) -> None:
    """Show the calibration table."""
    from ai_budget import render

    budget = journal_from(ctx).load()
    if json_:
        emit_json({name: render.calibration_json(name, e) for name, e in budget.calibration.items()})
    else:
        click.echo(render.calibration_table(budget.calibration))


@calibration_group.command(name="add")
@click.argument("task_type")
@click.option("--unit", required=True, help='The unit of work, for example "per card".')
@click.option("--json", "json_", is_flag=True, help="Print the new entry as JSON.")
@click.pass_context
def calibration_add(ctx: click.Context, task_type: str, unit: str, json_: bool) -> None:
    """Add a task type to calibrate."""
    from ai_budget import calibration, render

    entry = calibration.add_type(journal_from(ctx), task_type, unit)
    if json_:
        emit_json(render.calibration_json(task_type, entry))
    else:
        click.echo(f"Added task type {task_type} ({unit})")


# --- copilot and gemini ----------------------------------------------------------


@cli.group(name="copilot", context_settings=CONTEXT)
def copilot_group() -> None:
    """GitHub Copilot usage, entered by hand from GitHub's billing page."""


@copilot_group.command(name="set")
@click.argument("used")
@click.option("--limit", help="Monthly allowance (default: the plan's).")
@click.option(
    "--unit",
    type=click.Choice(["requests", "credits"]),
    help="premium requests (legacy plans) or AI credits (since June 2026).",
)
@click.option("--plan", help="free, pro, pro+, business, enterprise, max.")
@click.option("--json", "json_", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def copilot_set(
    ctx: click.Context, used: str, limit: str | None, unit: str | None, plan: str | None, json_: bool
) -> None:
    """Set how many premium requests (or AI credits) are used this month."""
    from ai_budget import copilot, render

    st = copilot.set_usage(journal_from(ctx), used, limit, unit, plan)
    if json_:
        emit_json(render.copilot_json(st))
    else:
        click.echo(render.copilot_text(st))


@copilot_group.command(name="show")
@click.option("--json", "json_", is_flag=True, help="Print as JSON.")
@click.pass_context
def copilot_show(ctx: click.Context, json_: bool) -> None:
    """Show Copilot usage, and whether the monthly counter has reset since."""
    from ai_budget import copilot, render

    st = copilot.state(journal_from(ctx).load().copilot)
    if json_:
        emit_json(render.copilot_json(st))
    else:
        click.echo(render.copilot_text(st))


@cli.group(name="gemini", context_settings=CONTEXT)
def gemini_group() -> None:
    """Gemini status, entered by hand (no API reports its quota)."""


@gemini_group.command(name="set")
@click.argument("status")
@click.option("--plan", help="api, free, …")
@click.option("--json", "json_", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def gemini_set(ctx: click.Context, status: str, plan: str | None, json_: bool) -> None:
    """Set the Gemini status (for example active, billing_pending, quota_exceeded)."""
    from ai_budget import copilot, render

    section = copilot.set_gemini(journal_from(ctx), status, plan)
    if json_:
        emit_json(section.model_dump(mode="json"))
    else:
        click.echo(render.gemini_text(section))


@gemini_group.command(name="show")
@click.option("--json", "json_", is_flag=True, help="Print as JSON.")
@click.pass_context
def gemini_show(ctx: click.Context, json_: bool) -> None:
    """Show the Gemini status."""
    from ai_budget import render

    section = journal_from(ctx).load().gemini
    if json_:
        emit_json(section.model_dump(mode="json"))
    else:
        click.echo(render.gemini_text(section))


# --- history ------------------------------------------------------------------------


@cli.command(name="history")
@click.option("-n", "limit", type=click.IntRange(min=1), help="Show only the newest N entries.")
@click.option("--json", "json_", is_flag=True, help="Print as JSON.")
@click.pass_context
def history_cmd(ctx: click.Context, limit: int | None, json_: bool) -> None:
    """The journal's history from git, newest first."""
    from ai_budget import render

    commits = journal_from(ctx).history(limit)
    if json_:
        emit_json([render.commit_json(c) for c in commits])
    else:
        click.echo(render.history_text(commits))


# --- Claude usage -------------------------------------------------------------------------


@cli.command(name="fetch")
@click.option("--force", is_flag=True, help="Skip the 5-minute cache (a 429 wait is still honoured).")
@click.option(
    "--from-file",
    "from_file",
    metavar="PATH",
    help="Read a usage response from PATH (or - for stdin) instead of the network.",
)
@click.option("--json", "json_", is_flag=True, help="Print as JSON.")
@click.pass_context
def fetch_cmd(ctx: click.Context, force: bool, from_file: str | None, json_: bool) -> None:
    """Fetch Claude's 5-hour and weekly utilisation into the journal."""
    from ai_budget import render, usage

    journal = journal_from(ctx)
    text, origin = read_usage_arg(from_file)
    result = usage.fetch(journal, paths.primary_claude_dir(), force=force, text=text, origin=origin)
    if json_:
        emit_json(render.usage_json(result))
    else:
        click.echo(render.usage_text(result))
    if not result.fresh:
        click.echo(f"Error: {result.error} (showing the last known values)", err=True)
        raise click.exceptions.Exit(1)


# --- transcripts -----------------------------------------------------------------------------


def parse_when_option(value: str | None, name: str) -> Any:
    """`--since`/`--until` as an aware datetime, or a one-line error."""
    from ai_budget.errors import InvalidInput
    from ai_budget.timeutil import parse_when

    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        raise InvalidInput(f"{name}: {exc}") from None


@cli.command(name="tokens")
@click.option("--session", metavar="ID|PATH", help="A session id (or unique prefix) or a transcript file.")
@click.option("--since", metavar="WHEN", help="Every entry since WHEN: ISO time, or 90m, 5h, 2d, 1w ago.")
@click.option("--until", metavar="WHEN", help="Every entry before WHEN (same forms as --since).")
@click.option("--all", "all_", is_flag=True, help="Every entry of every session, all time.")
@click.option("--no-subagents", is_flag=True, help="Leave out subagent transcripts.")
@click.option("--no-cache", is_flag=True, help="Read every file afresh and write no cache.")
@click.option("--json", "json_", is_flag=True, help="Print as JSON.")
def tokens_cmd(
    session: str | None,
    since: str | None,
    until: str | None,
    all_: bool,
    no_subagents: bool,
    no_cache: bool,
    json_: bool,
) -> None:
    """Tokens and API-equivalent cost from Claude Code's transcripts (each message counted once).

    With no selector: the newest session of the current directory's project, else the newest
    anywhere. No journal is needed.
    """
    from ai_budget import render, transcripts
    from ai_budget.timeutil import parse_time

    since_at = parse_when_option(since, "--since")
    until_at = parse_when_option(until, "--until")
    if all_ and since_at is None:
        since_at = parse_time(0)
    result = transcripts.tokens(
        paths.claude_dirs(),
        session=session,
        since=since_at,
        until=until_at,
        subagents=not no_subagents,
        use_cache=not no_cache,
    )
    if json_:
        emit_json(result.as_dict())
    else:
        click.echo(render.tokens_text(result))


@cli.command(name="demo")
@click.option("--keep", is_flag=True, help="Keep the temporary HOME to look around in.")
def demo_cmd(keep: bool) -> None:
    """Run the whole loop on a temporary copy of the sample HOME (offline, sample data)."""
    from ai_budget import demo

    status = demo.run(click.echo, keep=keep)
    if status:
        raise click.exceptions.Exit(status)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ai-budget")
