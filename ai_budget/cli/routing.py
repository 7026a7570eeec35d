"""`tier` and `route`: what the routing policy makes of the budget now."""

from __future__ import annotations

from typing import Any

import click

from ai_budget import paths
from ai_budget.cli.app import cli, journal_home, json_option, show
from ai_budget.severity import WINDOWS

CLASSES = ["routine", "normal", "high", "critical"]


def decide(home: Any, task: str = "normal", user_requested: bool = False) -> tuple[Any, Any]:
    """(the route, the snapshot) from budget.json's policy and the freshest usage there is."""
    from ai_budget.claude import usage
    from ai_budget.errors import BudgetError, NotAJournal
    from ai_budget.journal.journal import Journal
    from ai_budget.model.budget import BudgetFile
    from ai_budget.planning.routing import route

    try:
        budget = Journal.open(home).read_budget()
    except NotAJournal:
        budget = BudgetFile()  # no journal: the default policy
    try:
        snap = usage.fresh_or_last_known(
            paths.primary_claude_dir(), budget.claude, allow_api=budget.settings.usage_api
        )
    except BudgetError:
        snap = None
    five = snap.five_hour.utilization if snap else None
    seven = snap.seven_day.utilization if snap else None
    return route(budget.settings.routing, five, seven, task, user_requested, budget.settings.tiers), snap


def route_json(decided: Any, snap: Any) -> dict[str, Any]:
    """A routing decision and the numbers behind it: the policy's tier, and the severity apart."""
    from ai_budget.cli.views.severity import severity_json

    return {
        "policy": decided.policy,
        "tier": decided.tier,
        "window": decided.window,
        "value": decided.value,
        "model": decided.model,
        "cloud": decided.cloud,
        "reason": decided.reason,
        "five_hour": snap.five_hour.utilization if snap else None,
        "seven_day": snap.seven_day.utilization if snap else None,
        "source": snap.source if snap else None,
        "severity": severity_json(decided.severity),
    }


@cli.command(name="tier")
@json_option
@click.pass_context
def tier_cmd(ctx: click.Context, json_: bool) -> None:
    """The routing policy's tier now (GREEN… or BURST…), the window that decided it, and its value."""
    decided, snap = decide(journal_home(ctx))

    def text() -> str:
        sev = decided.severity
        if decided.tier is None:
            head = f"unknown ({decided.policy} policy: {decided.reason})"
        else:
            where = f"{WINDOWS[decided.window]} window at {decided.value:g} %"
            head = f"{decided.tier} ({decided.policy} policy: {where})"
        if sev.window is None:
            return f"{head}: {decided.model}"
        tail = f"; every task goes to the fallback, {decided.model}" if sev.at_limit else ""
        return f"{head}; severity {sev.describe()}{tail}"

    show(json_, lambda: route_json(decided, snap), text)


@cli.command(name="route")
@click.option(
    "--class",
    "task",
    type=click.Choice(CLASSES),
    default="normal",
    show_default=True,
    help="How much the task matters.",
)
@click.option("--user-requested", is_flag=True, help="The user asked for this task themselves.")
@json_option
@click.pass_context
def route_cmd(ctx: click.Context, task: str, user_requested: bool, json_: bool) -> None:
    """The model to use for a task now, and why (always an answer: the policy's fallback at worst)."""
    decided, snap = decide(journal_home(ctx), task, user_requested)
    show(
        json_,
        lambda: route_json(decided, snap) | {"class": task},
        lambda: f"{decided.model}: {decided.reason}",
    )
