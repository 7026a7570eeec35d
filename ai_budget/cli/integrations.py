"""`skills install` and `demo`: what ai-budget puts into Claude Code, and the offline tour."""

from __future__ import annotations

import click

from ai_budget import paths
from ai_budget.cli.app import CONTEXT, cli, emit_json, journal_home, json_option


@cli.group(name="skills", context_settings=CONTEXT)
def skills_group() -> None:
    """The Claude Code skills /budget-check and /budget-log."""


@skills_group.command(name="install")
@click.option("--force", is_flag=True, help="Overwrite copies you have edited.")
@click.option(
    "--legacy-commands/--no-legacy-commands",
    default=None,
    help="Also install commands/budget-*.md, for Claude Code before 2.1 (default: only when "
    "`claude --version` says it is older).",
)
@json_option
@click.pass_context
def skills_install(ctx: click.Context, force: bool, legacy_commands: bool | None, json_: bool) -> None:
    """Install the skills (and the legacy commands, for Claude Code before 2.1) into the Claude dir."""
    from ai_budget.integrations import claude_version, skills

    if legacy_commands is None:
        legacy_commands = claude_version.wants_legacy(claude_version.found()[1])
    target = paths.primary_claude_dir()
    outcomes = skills.install(target, force=force, legacy=legacy_commands)
    if json_:
        emit_json({"claude_dir": str(target), "files": [o.as_dict() for o in outcomes]})
        return
    for o in outcomes:
        click.echo(f"{o.action:<10} {o.path}")
    click.echo("")
    click.echo("Run /budget-check at the start of a Claude Code session and /budget-log at the end.")
    click.echo("Optional, for your CLAUDE.md memory file:")
    click.echo(skills.memory_snippet(journal_home(ctx)))


@cli.command(name="demo")
@click.option("--keep", is_flag=True, help="Keep the temporary HOME to look around in.")
def demo_cmd(keep: bool) -> None:
    """Run the whole loop on a temporary copy of the sample HOME (offline, sample data)."""
    from ai_budget.integrations import demo

    status = demo.run(click.echo, keep=keep)
    if status:
        raise click.exceptions.Exit(status)
