"""The command line: click only. Every computation lives in the core modules."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ai_budget import paths
from ai_budget.errors import BudgetError

if TYPE_CHECKING:
    from ai_budget.journal import Journal

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
        except OSError as exc:  # a disk, permission or file problem outside what the core expects
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}: check the path and its permissions", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


def emit_json(data: Any) -> None:
    """Print data as indented JSON."""
    from ai_budget.jsonio import dumps_pretty

    click.echo(dumps_pretty(data))


def show(json_: bool, data: Callable[[], Any], text: Callable[[], str]) -> None:
    """Print the JSON view or the human one."""
    if json_:
        emit_json(data())
    else:
        click.echo(text())


def journal_from(ctx: click.Context) -> Journal:
    """Open the journal named by --home / $AI_BUDGET_HOME / ~/.ai-budget."""
    from ai_budget.journal import Journal

    return Journal.open(paths.journal_home(ctx.obj.get("home")))


json_option = click.option("--json", "json_", is_flag=True, help="Print as JSON.")
from_file_option = click.option(
    "--from-file",
    "from_file",
    metavar="PATH",
    help="Read a usage response from PATH (or - for stdin) instead of the network.",
)


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
@json_option
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


# "-3" is a bad number, not an unknown option: let the core say so.
NUMBERS = dict(CONTEXT, ignore_unknown_options=True)


@cli.command(name="calibrate", context_settings=NUMBERS)
@click.argument("task_type")
@click.argument("units")
@click.argument("pct_delta")
@click.argument("output_tokens", required=False)
@json_option
@click.pass_context
def calibrate_cmd(
    ctx: click.Context, task_type: str, units: str, pct_delta: str, output_tokens: str | None, json_: bool
) -> None:
    """Record that UNITS of TASK_TYPE used PCT_DELTA % of the 5-hour window (and OUTPUT_TOKENS)."""
    from ai_budget import calibration, render

    done = calibration.record(journal_from(ctx), task_type, units, pct_delta, output_tokens)
    show(json_, lambda: render.calibration_json(done.task_type, done.after), lambda: render.calibrated(done))


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
    """Show the calibration table."""
    from ai_budget import render

    budget = journal_from(ctx).load()
    show(
        json_,
        lambda: {name: render.calibration_json(name, e) for name, e in budget.calibration.items()},
        lambda: render.calibration_table(budget.calibration),
    )


@calibration_group.command(name="add")
@click.argument("task_type")
@click.option("--unit", required=True, help='The unit of work, for example "per card".')
@json_option
@click.pass_context
def calibration_add(ctx: click.Context, task_type: str, unit: str, json_: bool) -> None:
    """Add a task type to calibrate."""
    from ai_budget import calibration, render

    entry = calibration.add_type(journal_from(ctx), task_type, unit)
    show(
        json_,
        lambda: render.calibration_json(task_type, entry),
        lambda: f"Added task type {task_type} ({unit})",
    )


# --- copilot and gemini ----------------------------------------------------------


@cli.group(name="copilot", context_settings=CONTEXT)
def copilot_group() -> None:
    """GitHub Copilot usage, entered by hand from GitHub's billing page."""


@copilot_group.command(name="set", context_settings=NUMBERS)
@click.argument("used")
@click.option("--limit", help="Monthly allowance (default: the plan's).")
@click.option(
    "--unit",
    type=click.Choice(["requests", "credits"]),
    help="premium requests (legacy plans) or AI credits (since June 2026).",
)
@click.option("--plan", help="free, pro, pro+, business, enterprise, max.")
@json_option
@click.pass_context
def copilot_set(
    ctx: click.Context, used: str, limit: str | None, unit: str | None, plan: str | None, json_: bool
) -> None:
    """Set how many premium requests (or AI credits) are used this month."""
    from ai_budget import copilot, render

    st = copilot.set_usage(journal_from(ctx), used, limit, unit, plan)
    show(json_, lambda: render.copilot_json(st), lambda: render.copilot_text(st))


@copilot_group.command(name="show")
@json_option
@click.pass_context
def copilot_show(ctx: click.Context, json_: bool) -> None:
    """Show Copilot usage, and whether the monthly counter has reset since."""
    from ai_budget import copilot, render

    st = copilot.state(journal_from(ctx).load().copilot)
    show(json_, lambda: render.copilot_json(st), lambda: render.copilot_text(st))


@cli.group(name="gemini", context_settings=CONTEXT)
def gemini_group() -> None:
    """Gemini status, entered by hand (no API reports its quota)."""


@gemini_group.command(name="set")
@click.argument("status")
@click.option("--plan", help="api, free, …")
@json_option
@click.pass_context
def gemini_set(ctx: click.Context, status: str, plan: str | None, json_: bool) -> None:
    """Set the Gemini status (for example active, billing_pending, quota_exceeded)."""
    from ai_budget import copilot, render

    section = copilot.set_gemini(journal_from(ctx), status, plan)
    show(json_, lambda: section.model_dump(mode="json"), lambda: render.gemini_text(section))


@gemini_group.command(name="show")
@json_option
@click.pass_context
def gemini_show(ctx: click.Context, json_: bool) -> None:
    """Show the Gemini status."""
    from ai_budget import render

    section = journal_from(ctx).load().gemini
    show(json_, lambda: section.model_dump(mode="json"), lambda: render.gemini_text(section))


# --- history ------------------------------------------------------------------------


@cli.command(name="history")
@click.option("-n", "limit", type=click.IntRange(min=1), help="Show only the newest N entries.")
@click.option("--calibration", "task_type", metavar="TYPE", help="How TYPE's average moved over time.")
@json_option
@click.pass_context
def history_cmd(ctx: click.Context, limit: int | None, task_type: str | None, json_: bool) -> None:
    """The journal's history from git, newest first, with each session's figures."""
    from ai_budget import history, render

    journal = journal_from(ctx)
    if task_type is not None:
        rows = history.calibration_history(task_type, journal.history())
        rows = rows[-limit:] if limit else rows
        show(json_, lambda: rows, lambda: render.calibration_history_text(task_type, rows))
        return
    commits = journal.history(limit)
    show(json_, lambda: render.history_json(commits), lambda: render.history_lines(commits))


# --- backlog --------------------------------------------------------------------------------------


@cli.group(name="backlog", context_settings=CONTEXT)
def backlog_group() -> None:
    """The backlog (tasks/backlog.md): `[L|M|H|X] text {type: units}` lines in priority order."""


@backlog_group.command(name="list")
@json_option
@click.pass_context
def backlog_list(ctx: click.Context, json_: bool) -> None:
    """List backlog tasks with their numbers and estimates."""
    from ai_budget import backlog, planner, render

    journal = journal_from(ctx)
    budget = journal.load()
    estimates = [planner.estimate(t, budget) for t in backlog.load(journal.root)]
    if json_:
        emit_json([render.task_json(e) for e in estimates])
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
@click.option("--units", help="Units of that type (default 1).")
@click.option("--section", help="The ## section to add to (default: the first).")
@json_option
@click.pass_context
def backlog_add(
    ctx: click.Context,
    text: str,
    tag: str | None,
    task_type: str | None,
    units: str | None,
    section: str | None,
    json_: bool,
) -> None:
    """Add a task: `"[M] Add login page {feature: 1}"`, or TEXT with --tag/--type/--units."""
    from ai_budget import backlog

    journal = journal_from(ctx)
    task = backlog.add(journal, backlog.parse_new(text, tag, task_type, units), section)
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
    from ai_budget import backlog
    from ai_budget.timeutil import today

    moved = backlog.complete(journal_from(ctx), list(refs), today())
    if json_:
        emit_json([t.label() for t in moved])
    else:
        for task in moved:
            click.echo(f"Done: {task.label()}")


# --- the session loop --------------------------------------------------------------------------


@cli.command(name="check")
@from_file_option
@json_option
@click.pass_context
def check_cmd(ctx: click.Context, from_file: str | None, json_: bool) -> None:
    """Session start: fetch usage, record the baseline, and print the brief."""
    from ai_budget import render, session

    text, origin = read_usage_arg(from_file)
    brief = session.check(journal_from(ctx), paths.primary_claude_dir(), text, origin)
    show(json_, lambda: render.brief_json(brief), lambda: render.brief_text(brief))


@cli.command(name="log")
@click.option(
    "--done",
    "done",
    multiple=True,
    metavar="'TYPE UNITS description'",
    help="A completed item (repeatable), for example --done 'flashcard 10 chapter 4'.",
)
@click.option("--lesson", "lessons", multiple=True, metavar="TEXT", help="A lesson for the log (repeatable).")
@click.option(
    "--next", "next_notes", multiple=True, metavar="TEXT", help="A note for next session (repeatable)."
)
@click.option(
    "--copilot", "copilot_used", metavar="N", help="Copilot's count now (premium requests or credits)."
)
@click.option(
    "--backlog-done",
    "backlog_done",
    multiple=True,
    metavar="REF",
    help="Also move this backlog task (number or text) to completed.md (repeatable).",
)
@from_file_option
@json_option
@click.pass_context
def log_cmd(
    ctx: click.Context,
    done: tuple[str, ...],
    lessons: tuple[str, ...],
    next_notes: tuple[str, ...],
    copilot_used: str | None,
    backlog_done: tuple[str, ...],
    from_file: str | None,
    json_: bool,
) -> None:
    """Session end: measure the session, update calibration, append the session log, commit."""
    from ai_budget import render, session

    journal = journal_from(ctx)
    items = list(done)
    if not items and from_file != "-" and sys.stdin.isatty() and not json_:
        click.echo("What did you complete? One per line as TYPE UNITS description; empty line to finish.")
        while entry := click.prompt("done", default="", show_default=False).strip():
            items.append(entry)
    text, origin = read_usage_arg(from_file)
    result = session.log(
        journal,
        paths.primary_claude_dir(),
        paths.claude_dirs(),
        items,
        lessons,
        next_notes,
        text,
        origin,
        copilot_used,
        backlog_done,
    )
    show(json_, lambda: render.log_json(result), lambda: render.log_text(result))


# --- skills -----------------------------------------------------------------------------------------


@cli.group(name="skills", context_settings=CONTEXT)
def skills_group() -> None:
    """The Claude Code skills /budget-check and /budget-log."""


@skills_group.command(name="install")
@click.option("--force", is_flag=True, help="Overwrite copies you have edited.")
@json_option
def skills_install(force: bool, json_: bool) -> None:
    """Install the skills (and legacy commands) into the Claude config dir."""
    from ai_budget import skills

    target = paths.primary_claude_dir()
    outcomes = skills.install(target, force=force)
    if json_:
        emit_json({"claude_dir": str(target), "files": [o.as_dict() for o in outcomes]})
        return
    for o in outcomes:
        click.echo(f"{o.action:<10} {o.path}")
    click.echo("")
    click.echo("Run /budget-check at the start of a Claude Code session and /budget-log at the end.")
    click.echo("Optional, for your CLAUDE.md memory file:")
    click.echo(skills.memory_snippet(paths.journal_home()))


# --- Claude usage -------------------------------------------------------------------------


@cli.command(name="fetch")
@click.option("--force", is_flag=True, help="Skip the 5-minute cache (a 429 wait is still honoured).")
@from_file_option
@json_option
@click.pass_context
def fetch_cmd(ctx: click.Context, force: bool, from_file: str | None, json_: bool) -> None:
    """Fetch Claude's 5-hour and weekly utilisation into the journal."""
    from ai_budget import render, usage

    journal = journal_from(ctx)
    text, origin = read_usage_arg(from_file)
    result = usage.fetch(journal, paths.primary_claude_dir(), force=force, text=text, origin=origin)
    show(json_, lambda: render.usage_json(result), lambda: render.usage_text(result))
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
@json_option
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

    since_at = parse_when_option(since, "--since")
    until_at = parse_when_option(until, "--until")
    result = transcripts.tokens(
        paths.claude_dirs(),
        session=session,
        since=since_at,
        until=until_at,
        all_sessions=all_,
        subagents=not no_subagents,
        use_cache=not no_cache,
    )
    show(json_, lambda: result.as_dict(), lambda: render.tokens_text(result))


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
