"""`integrate install|uninstall|status`: skills, hooks and statusline in Claude Code's settings."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from ai_budget import paths
from ai_budget.cli.app import CONTEXT, cli, emit_json, json_option, show

if TYPE_CHECKING:
    from ai_budget.integrations.claude_settings import Result


@cli.group(name="integrate", context_settings=CONTEXT)
def integrate_group() -> None:
    """Claude Code integration: the skills, three hooks and the statusline, in settings.json."""


def result_json(result: Result) -> dict[str, Any]:
    """install and uninstall as JSON."""
    return {
        "settings": str(result.settings),
        "written": result.written,
        "backup": None if result.backup is None else str(result.backup),
        "changes": [asdict(c) for c in result.changes],
        "skills": [o.as_dict() for o in result.skills],
    }


def result_text(result: Result) -> str:
    """install and uninstall for a person: one line per file and per part of settings.json."""
    lines = [f"{o.action:<10} {o.path}" for o in result.skills]
    lines += [f"{c.action:<10} {c.part}" + (f": {c.detail}" if c.detail else "") for c in result.changes]
    if result.written:
        backup = f" (the file as it was is in {result.backup})" if result.backup else ""
        verb = "written" if result.settings.exists() else "removed"  # install had created it
        lines.append(f"{verb:<10} {result.settings}{backup}")
    else:
        lines.append(f"{'unchanged':<10} {result.settings}")
    return "\n".join(lines)


def status_text(state: dict[str, Any]) -> str:
    """status for a person."""
    if state["error"]:
        return f"Error: {state['error']}"
    lines = [f"settings    {state['settings']}" + ("" if state["exists"] else " (none yet)")]
    code = state.get("claude_code") or {}
    lines.append(f"claude      {code.get('found') or 'not on PATH (skills need Claude Code 2.1 or later)'}")
    if state["plugin"]:  # the plugin carries the skills: copies of ours are only worth naming if there
        lines.append(f"plugin      {'enabled':<10} {state['plugin']}: the skills and the hooks")
    skills = [s for s in state["skills"] if not (state["plugin"] and s["action"] == "missing")]
    lines += [f"skill       {s['action']:<10} {s['path']}" for s in skills]
    lines += [f"hook        {v:<10} {event}" for event, v in state["hooks"].items()]
    statusline = state["statusline"]
    lines.append(f"statusline  {statusline['state']:<10} {statusline['command'] or ''}".rstrip())
    lines.append(f"permission  {'added' if state['permission'] else 'missing':<10} Bash(ai-budget:*)")
    if "twice" in state["hooks"].values():
        lines.append("The plugin and settings.json both run the hooks: integrate install leaves them to it.")
    if "other-path" in state["hooks"].values():
        lines.append(
            f"A hook runs another ai-budget than {state['executable']}: run integrate install again."
        )
    return "\n".join(lines)


@integrate_group.command(name="install")
@click.option("--no-hooks", is_flag=True, help="Leave out the SessionStart, SessionEnd and prompt hooks.")
@click.option("--no-statusline", is_flag=True, help="Leave out the statusline.")
@click.option(
    "--wrap-existing",
    is_flag=True,
    help="If you have a statusline, make ours run it and show its line first (it is kept otherwise).",
)
@click.option("--allow", is_flag=True, help="Add the permission rule Bash(ai-budget:*): skills never stall.")
@click.option(
    "--legacy-commands/--no-legacy-commands",
    default=None,
    help="Also install commands/budget-*.md, for Claude Code before 2.1 (default: only when "
    "`claude --version` says it is older).",
)
@json_option
def integrate_install(
    no_hooks: bool,
    no_statusline: bool,
    wrap_existing: bool,
    allow: bool,
    legacy_commands: bool | None,
    json_: bool,
) -> None:
    """Install the skills, the hooks and the statusline into Claude Code's settings.json."""
    from ai_budget.integrations import claude_settings, claude_version

    if legacy_commands is None:
        legacy_commands = claude_version.wants_legacy(claude_version.found()[1])
    result = claude_settings.install(
        paths.primary_claude_dir(),
        hooks=not no_hooks,
        statusline=not no_statusline,
        wrap=wrap_existing,
        allow=allow,
        legacy=legacy_commands,
    )
    show(json_, lambda: result_json(result), lambda: result_text(result))
    if not json_ and result.written:
        click.echo("Claude Code picks up the new settings in its next session at the latest.")


@integrate_group.command(name="uninstall")
@json_option
def integrate_uninstall(json_: bool) -> None:
    """Remove exactly what install added, and put back a statusline it wrapped."""
    from ai_budget.integrations import claude_settings

    result = claude_settings.uninstall(paths.primary_claude_dir())
    show(json_, lambda: result_json(result), lambda: result_text(result))
    kept = [o.path for o in result.skills if o.action == "kept"]
    if kept and not json_:
        click.echo(f"Kept {', '.join(map(str, kept))}: edited by you; delete by hand if you wish.")


@integrate_group.command(name="status")
@json_option
def integrate_status(json_: bool) -> None:
    """Show what is installed: each skill, each hook, the statusline and the permission rule."""
    from ai_budget.integrations import claude_status, claude_version, skills

    claude_dir = paths.primary_claude_dir()
    state = claude_status.status(claude_dir)
    said, version = claude_version.found()
    state["claude_code"] = {"found": said, "version": ".".join(map(str, version)) if version else None}
    state["skills"] = [o.as_dict() for o in skills.states(claude_dir, claude_version.wants_legacy(version))]
    if json_:
        emit_json(state)
    else:
        click.echo(status_text(state), err=bool(state["error"]))
    if state["error"]:
        raise click.exceptions.Exit(1)
