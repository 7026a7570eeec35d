"""The `copilot` and `gemini` groups: counts (typed in, or from GitHub) and statuses, and switching
an account off when it is not used."""

from __future__ import annotations

import click

from ai_budget.cli.app import CONTEXT, NUMBERS, cli, journal_from, json_option, show
from ai_budget.cli.params import COPILOT_COUNT


@cli.group(name="copilot", context_settings=CONTEXT)
def copilot_group() -> None:
    """GitHub Copilot usage: typed in from GitHub's billing page (`set`), or fetched from its billing
    API (`fetch`); `off` when you do not use Copilot."""


@copilot_group.command(name="set", context_settings=NUMBERS)
@click.argument("used", type=COPILOT_COUNT)
@click.option("--limit", type=COPILOT_COUNT, help="Monthly allowance (default: the plan's).")
@click.option(
    "--unit",
    type=click.Choice(["requests", "credits"]),
    help="premium requests (legacy plans) or AI credits (since June 2026).",
)
@click.option("--plan", help="free, pro, pro+, business, enterprise, max.")
@json_option
@click.pass_context
def copilot_set(
    ctx: click.Context, used: int, limit: int | None, unit: str | None, plan: str | None, json_: bool
) -> None:
    """Set how many premium requests (or AI credits) are used this month."""
    from ai_budget.cli.views import journal as views
    from ai_budget.journal import accounts

    st = accounts.set_copilot(journal_from(ctx), used, limit=limit, unit=unit, plan=plan)
    show(json_, lambda: views.copilot_json(st), lambda: views.copilot_text(st))


@copilot_group.command(name="show")
@json_option
@click.pass_context
def copilot_show(ctx: click.Context, json_: bool) -> None:
    """Show Copilot usage, and whether the monthly counter has reset since."""
    from ai_budget.cli.views import journal as views
    from ai_budget.model.accounts import copilot_state
    from ai_budget.timeutil import now

    st = copilot_state(journal_from(ctx).read_budget().copilot, now())
    show(json_, lambda: views.copilot_json(st), lambda: views.copilot_text(st))


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
    from ai_budget.cli.views import journal as views
    from ai_budget.journal import accounts

    section = accounts.set_gemini(journal_from(ctx), status, plan)
    show(json_, lambda: section.model_dump(mode="json"), lambda: views.gemini_text(section))


@gemini_group.command(name="show")
@json_option
@click.pass_context
def gemini_show(ctx: click.Context, json_: bool) -> None:
    """Show the Gemini status."""
    from ai_budget.cli.views import journal as views

    section = journal_from(ctx).read_budget().gemini
    data = section.model_dump(mode="json") | {"note": views.GEMINI_NOTE}
    show(json_, lambda: data, lambda: views.gemini_text(section, note=True))


@copilot_group.command(name="fetch")
@click.option("--force", is_flag=True, help="Skip the 15-minute cache (a rate-limit wait is still honoured).")
@json_option
@click.pass_context
def copilot_fetch(ctx: click.Context, force: bool, json_: bool) -> None:
    """Fetch this month's Copilot count from GitHub's billing API (GH_TOKEN, GITHUB_TOKEN or `gh`)."""
    from ai_budget.cli.views import journal as views
    from ai_budget.session.refresh import copilot_into_journal
    from ai_budget.timeutil import now

    st, changed = copilot_into_journal(journal_from(ctx), now(), force)
    show(json_, lambda: views.copilot_json(st) | {"changed": changed}, lambda: views.copilot_text(st))


def _switch(ctx: click.Context, account: str, enabled: bool, json_: bool) -> None:
    from ai_budget.journal import accounts

    changed = accounts.switch(journal_from(ctx), account, enabled)
    name = account.capitalize()
    if enabled:
        said = f"{name} is on: the brief shows it again" if changed else f"{name} was already on"
    else:
        said = (
            f"{name} is off: the brief no longer shows it or asks for it (`ai-budget {account} on` to undo)"
            if changed
            else f"{name} was already off"
        )
    show(json_, lambda: {"account": account, "enabled": enabled, "changed": changed}, lambda: said)


@copilot_group.command(name="off")
@json_option
@click.pass_context
def copilot_off(ctx: click.Context, json_: bool) -> None:
    """You do not use Copilot: the brief, status and watch leave it out and never ask for a count."""
    _switch(ctx, "copilot", False, json_)


@copilot_group.command(name="on")
@json_option
@click.pass_context
def copilot_on(ctx: click.Context, json_: bool) -> None:
    """Show Copilot in the brief again (after `copilot off`)."""
    _switch(ctx, "copilot", True, json_)


@gemini_group.command(name="off")
@json_option
@click.pass_context
def gemini_off(ctx: click.Context, json_: bool) -> None:
    """You do not use Gemini: the brief leaves it out."""
    _switch(ctx, "gemini", False, json_)


@gemini_group.command(name="on")
@json_option
@click.pass_context
def gemini_on(ctx: click.Context, json_: bool) -> None:
    """Show Gemini in the brief again (after `gemini off`)."""
    _switch(ctx, "gemini", True, json_)
