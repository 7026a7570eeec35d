"""The click group, its one-line error handling, and the helpers every command module shares."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ai_budget import paths
from ai_budget.errors import BudgetError
from ai_budget.redact import scrub

if TYPE_CHECKING:
    from ai_budget.claude.usage import UsageFile
    from ai_budget.journal.journal import Journal

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# "-3" is a bad number, not an unknown option: let the parameter type say so.
NUMBERS = dict(CONTEXT, ignore_unknown_options=True)


# `--help` lists the commands by use, in the order a newcomer meets them, each with the one line
# that says what it is for (the command's own help says how). A command not named here (a new one) is
# still listed, under "Other commands", with its help's first sentence; tests/test_help.py asks that
# there be none.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "The session loop",
        (
            ("check", "Session start: the windows, what fits, the brief"),
            ("log", "Session end: measure, calibrate, write the log, commit"),
            ("status", "A read-only glance: the windows, their pace, this session"),
            ("watch", "The same glance, live, with a chart of the 5-hour window"),
        ),
    ),
    (
        "Tokens and reports",
        (
            ("tokens", "Tokens and API-equivalent cost from the transcripts"),
            ("report", "Per day, week or month; --html writes a page of charts"),
            ("history", "The journal's commits, with each session's figures"),
            ("sessions", "The Claude Code sessions the journal knows"),
            ("prices", "The API prices in force, and models with none; update, reset"),
            ("fetch", "Claude's 5-hour and weekly utilisation, into the journal"),
        ),
    ),
    (
        "Planning and routing",
        (
            ("backlog", "Tasks in priority order: list, add, done"),
            ("calibration", "What each task type costs: show, add a type"),
            ("calibrate", "Add one calibration sample by hand"),
            ("tier", "The routing policy's tier now, and why"),
            ("route", "The model to use for a task now, and why"),
        ),
    ),
    (
        "Accounts",
        (
            ("copilot", "GitHub Copilot usage: set, show, fetch"),
            ("gemini", "Gemini status, typed in: set, show"),
            ("console", "An organisation's month from the Admin API"),
            ("credits", "Prepaid API credits: the balance, its burn, alerts"),
        ),
    ),
    (
        "Setup",
        (
            ("init", "Create the journal (~/.ai-budget, a git repo)"),
            ("integrate", "The skills, hooks and statusline in Claude Code"),
            ("skills", "Only the /budget-check and /budget-log skills"),
            ("demo", "The whole loop on sample data, offline"),
            ("sync", "One journal on several machines: merge with the remote, push"),
            ("remote", "The git remote sync uses: show, add, remove"),
            ("machine", "This machine's name in the journal: show, set"),
        ),
    ),
    (
        "Run by Claude Code",
        (
            ("hook", "The hooks: session start, session end, each prompt"),
            ("statusline", "The statusline: records the rate limits, prints one line"),
        ),
    ),
)
OTHER = "Other commands"
SUMMARIES = {name: line for _, members in SECTIONS for name, line in members}


def sections(names: list[str]) -> list[tuple[str, list[str]]]:
    """The section titles with the given command names under each, in SECTIONS order."""
    found = [(title, [name for name, _ in members if name in names]) for title, members in SECTIONS]
    found.append((OTHER, sorted(name for name in names if name not in SUMMARIES)))
    return [(title, members) for title, members in found if members]


class SubGroup(click.Group):
    """A command group that lists its commands in the order they are defined (list, add, done), and
    names the command meant when one is mistyped."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        """The command named first in args; a near miss names the command that was meant."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from ai_budget.fmt import did_you_mean

            ctx.fail(f"No such command {name!r}{did_you_mean(name, self.list_commands(ctx))}.")
        return super().resolve_command(ctx, args)


class Group(SubGroup):
    """The top-level group: its errors are one line on stderr and a non-zero exit; its help lists
    the commands by use (SECTIONS)."""

    group_class = SubGroup

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for _, members in sections(list(self.commands)) for name in members]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        visible = [name for name in names if not self.commands[name].hidden]
        if not visible:
            return
        limit = formatter.width - 6 - max(len(name) for name in visible)
        for title, members in sections(visible):
            rows = [(name, SUMMARIES.get(name) or self._short(name, limit)) for name in members]
            with formatter.section(title):
                formatter.write_dl(rows)

    def _short(self, name: str, limit: int) -> str:
        return self.commands[name].get_short_help_str(limit)


    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        given = args[0] if args else sys.argv[1:]
        if any(_not_utf8(arg) for arg in given or ()):
            click.echo(
                "Error: an argument is not UTF-8 text (a terminal set to another encoding?): type it again",
                err=True,
            )
            sys.exit(2)
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Abort as exc:
            # click turns Ctrl-C at a prompt into Abort: it is still an interruption.
            if isinstance(exc.__context__, KeyboardInterrupt):
                click.echo("Interrupted.", err=True)
                sys.exit(130)
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            click.echo(scrub(f"Error: {exc.format_message()}{hint}"), err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(scrub(f"Error: {exc.format_message()}"), err=True)
            sys.exit(exc.exit_code)
        except BudgetError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:  # a disk, permission or file problem outside what the core expects
            where = f": {exc.filename}" if exc.filename else ""
            line = f"Error: {exc.strerror or exc}{where}: check the path and its permissions"
            click.echo(scrub(line), err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


def _not_utf8(arg: object) -> bool:
    """An argument Python decoded with surrogate escapes: its bytes were not UTF-8."""
    return isinstance(arg, str) and any("\udc80" <= ch <= "\udcff" for ch in arg)


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
    # settings.prices are read from the journal --home names; once the price table is loaded, a
    # later command run in the same process (tests) starts again from the default journal.
    if home is not None or "ai_budget.claude.price_table" in sys.modules:
        from ai_budget.claude.price_table import use_home

        use_home(paths.journal_home(home) if home is not None else None)


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


def journal_home(ctx: click.Context) -> Any:
    """The journal folder named by --home / $AI_BUDGET_HOME / ~/.ai-budget."""
    return paths.journal_home(ctx.find_root().obj.get("home"))


def journal_from(ctx: click.Context) -> Journal:
    """Open the journal named by --home / $AI_BUDGET_HOME / ~/.ai-budget."""
    from ai_budget.journal.journal import Journal

    return Journal.open(journal_home(ctx))


json_option = click.option("--json", "json_", is_flag=True, help="Print as JSON.")
from_file_option = click.option(
    "--from-file",
    "from_file",
    metavar="PATH",
    help="Read a usage response from PATH (or - for stdin) instead of the network.",
)


source_option = click.option(
    "--source",
    type=click.Choice(["auto", "statusline", "claude", "api"]),
    default="auto",
    show_default=True,
    help="Where usage comes from: auto (Claude Code's statusline feed, its cache, ours, then the "
    "endpoint), or only one of them.",
)


def read_usage_arg(from_file: str | None) -> UsageFile | None:
    """The response given with `--from-file` (`-` reads standard input), or None."""
    from ai_budget.claude.usage import read_response_file

    return read_response_file(from_file) if from_file is not None else None
