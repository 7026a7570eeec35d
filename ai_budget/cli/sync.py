"""`sync`, `remote` and `machine`: one journal on several machines, through a git remote."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ai_budget.cli.app import CONTEXT, cli, emit_json, journal_from, json_option, show
from ai_budget.fmt import plural

if TYPE_CHECKING:
    from ai_budget.journal.journal import Journal
    from ai_budget.sync.run import SyncResult


def sync_json(result: SyncResult) -> dict[str, Any]:
    """What a sync did, as JSON."""
    return {
        "remote": result.remote.name,
        "url": result.remote.url,
        "received": result.received,
        "sent": result.sent,
        "merge_commit": result.merged,
        "fast_forward": result.fast_forward,
        "remote_was_empty": result.created,
        "sessions_received": result.sessions_in,
        "calibration_samples_withdrawn": result.withdrawn,
        "head": result.head,
        "notes": result.notes,
    }


def sync_text(result: SyncResult) -> str:
    """One line for a person (and one per note)."""
    where = f"{result.remote.name} ({result.remote.url})"
    if result.created:
        line = f"Synced with {where}: it was empty; this journal is on it now"
    elif not result.received and not result.sent:
        line = f"Synced with {where}: nothing new either way"
    else:
        got = f"{plural(result.received, 'commit')} in" if result.received else "nothing in"
        who = ", ".join(f"{plural(n, 'session')} from {m}" for m, n in sorted(result.sessions_in.items()))
        line = f"Synced with {where}: {got}" + (f" ({who})" if who else "") + f", {result.sent} out"
    lines = [line + (f"; at {result.head[:7]}" if result.head else "")]
    if result.withdrawn:
        lines.append(
            f"Calibration: {plural(result.withdrawn, 'sample')} withdrawn: "
            f"{'its session' if result.withdrawn == 1 else 'their sessions'} shared the 5-hour window "
            "with another machine's"
        )
    return "\n".join(lines + [f"Note: {note}" for note in result.notes])


@cli.command(name="sync")
@json_option
@click.pass_context
def sync_cmd(ctx: click.Context, json_: bool) -> None:
    """Merge this journal with its remote's and push the result (see `ai-budget remote add`).

    Pulls the other machines' sessions, merges every file by what it means (never a conflict), rebuilds
    calibration from the merged history, and pushes. Nothing is pushed until a remote is named."""
    from ai_budget.sync.run import sync

    journal = journal_from(ctx)
    result = sync(journal, interactive=sys.stdin.isatty() and not json_)
    show(json_, lambda: sync_json(result), lambda: sync_text(result))


def sync_after_log(journal: Journal) -> None:
    """`settings.sync.after_log`: sync once the log is committed; a failure is a warning, never the log's."""
    from ai_budget.errors import BudgetError

    try:
        if not journal.read_budget().settings.sync.after_log:
            return
        from ai_budget.sync.run import sync  # only when set: five modules every `log` would import

        result = sync(journal, interactive=False)
    except BudgetError as exc:
        click.echo(f"Warning: sync after log: {exc}", err=True)
        return
    click.echo(sync_text(result).splitlines()[0], err=True)


@cli.group(name="remote", invoke_without_command=True, context_settings=CONTEXT)
@json_option
@click.pass_context
def remote_group(ctx: click.Context, json_: bool) -> None:
    """The git remote `sync` uses (a private repository, a bare one over ssh, a folder)."""
    if ctx.invoked_subcommand is not None:
        return
    from ai_budget.sync import remote

    journal = journal_from(ctx)
    found = remote.listed(journal.repo)
    try:
        used = remote.chosen(journal.repo).name
    except remote.SyncFailed:
        used = None
    rows = [{"name": r.name, "url": r.url, "synced": r.name == used} for r in found]
    text = "\n".join(f"{'*' if r['synced'] else ' '} {r['name']}  {r['url']}" for r in rows)
    show(json_, lambda: rows, lambda: text or "No remote: `ai-budget remote add URL` names one to sync with")


@remote_group.command(name="add")
@click.argument("url")
@click.option("--name", default="origin", show_default=True, help="The git remote's name.")
@click.pass_context
def remote_add(ctx: click.Context, url: str, name: str) -> None:
    """Sync with the repository at URL from now on (no password in it: git's credential helper asks)."""
    from ai_budget.sync import remote

    added = remote.add(journal_from(ctx).repo, url, name)
    click.echo(f"Remote {added.name} is {added.url}: `ai-budget sync` merges with it and pushes there.")


@remote_group.command(name="remove")
@click.argument("name")
@click.pass_context
def remote_remove(ctx: click.Context, name: str) -> None:
    """Forget the remote NAME (nothing on it is touched)."""
    from ai_budget.sync import remote

    remote.remove(journal_from(ctx).repo, name)
    click.echo(f"Remote {name} removed; nothing will be pushed there.")


@cli.command(name="machine")
@click.argument("name", required=False)
@json_option
@click.pass_context
def machine_cmd(ctx: click.Context, name: str | None, json_: bool) -> None:
    """This machine's name in the journal (the host name unless set); with NAME, set it."""
    from ai_budget.journal import machine

    journal = journal_from(ctx)
    if name is None:
        current = machine.name(journal.repo.config_path)
        show(json_, lambda: {"machine": current}, lambda: current)
        return
    from ai_budget.sync.naming import rename

    named = rename(journal, name)
    moved = f"; {named.moved} rollup files moved to usage/{named.after}/" if named.moved else ""
    if json_:
        emit_json({"machine": named.after, "before": named.before, "rollup_files_moved": named.moved})
    else:
        click.echo(f"This machine is {named.after} in the journal (was {named.before}){moved}.")
