"""The brief `check` prints: windows, accounts, task estimates, the recommendation, warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ai_budget.cli.views.severity import routing_json, severity_json, tier_text
from ai_budget.cli.views.table import table
from ai_budget.cli.views.usage import usage_json, usage_text
from ai_budget.fmt import fmt_units
from ai_budget.planning.estimates import Estimate
from ai_budget.planning.forecast import minutes_until
from ai_budget.planning.recommend import Plan

# Light (no pydantic): `check`'s fast path prints its brief with these functions, the accounts' part
# (Copilot, Gemini, credits, the Console: models) given as kept by the full path.
if TYPE_CHECKING:
    from ai_budget.session.check import Brief

# A long backlog must not bury the brief: the text shows the top of it (JSON has it all).
MAX_TASKS_SHOWN = 20
MAX_DEFER_SHOWN = 5


def task_json(est: Estimate) -> dict[str, Any]:
    """One backlog task and its estimate as JSON."""
    t = est.task
    return {
        "number": t.number,
        "tag": t.tag,
        "text": t.text,
        "type": t.type,
        "units": t.units,
        "section": t.section,
        "estimate_pct": est.pct,
        "basis": est.basis,
        "pct_per_unit": round(est.pct_per_unit, 4) if est.pct_per_unit is not None else None,
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    """The recommendation as JSON."""
    checkpoint = None
    if plan.checkpoint is not None:
        checkpoint = {
            "task": task_json(plan.checkpoint.estimate),
            "units_fit": plan.checkpoint.units_fit,
            "pct_available": plan.checkpoint.pct_available,
        }
    return {
        "headroom_pct": plan.headroom_pct,
        "do": [task_json(e) for e in plan.do],
        "checkpoint": checkpoint,
        "defer": [task_json(e) for e in plan.defer],
        "wait_for_reset": plan.wait_for_reset,
        "minutes_to_reset": plan.minutes_to_reset,
        "weekly_focus": plan.weekly_focus,
    }


def accounts_json(copilot: Any, gemini: Any, credits: Any = None, console: Any = None) -> dict[str, Any]:
    """The accounts beside Claude's windows, as JSON: Copilot (its state), Gemini (budget.json's
    section), prepaid credits and the Console (None when not set up)."""
    from ai_budget.cli.views.journal import copilot_json

    return {
        "copilot": copilot_json(copilot),
        "gemini": gemini.model_dump(mode="json"),
        "credits": _credits_json(credits),
        "console": _console_json(console),
    }


def brief_json(brief: Any, accounts: dict[str, Any] | None = None) -> dict[str, Any]:
    """`check --json`; `accounts` as accounts_json gives them (the fast path's, kept), else worked out."""
    kept = accounts if accounts is not None else accounts_json(*_accounts(brief))
    claude: dict[str, Any] = {"source": None, "fresh": False, "fetched_at": None, "error": brief.error}
    if brief.usage is not None:
        claude = usage_json(brief.usage, brief.now)
    claude["pace"] = {
        name: {
            "rate_pct_per_hour": p.rate_pct_per_hour,
            "projected_at_reset": p.projected_at_reset,
            "runs_out_at": p.runs_out_at.isoformat() if p.runs_out_at else None,
        }
        for name, p in brief.paces.items()
    }
    return {
        "claude": claude,
        "severity": severity_json(brief.severity),
        "routing": routing_json(brief.route),
        "copilot": kept["copilot"],
        "gemini": kept["gemini"],
        "tasks": [task_json(e) for e in brief.estimates],
        "recommendation": plan_json(brief.plan),
        "warnings": brief.warnings,
        "credits": kept["credits"],
        "console": kept["console"],
    }


def _basis(est: Estimate) -> str:
    if est.basis == "calibrated":
        return f"calibrated, {est.pct_per_unit:.2f} %/{est.unit}"
    return f"tag {est.task.tag} default"


def _short(est: Estimate) -> str:
    return f"{est.task.number}. {est.task.text} ({est.pct:.1f}%)"


def plan_lines(plan: Plan) -> list[str]:
    """The recommendation for a person: do first, then, checkpoint, defer, wait."""
    lines = [
        f"Recommendation ({plan.headroom_pct:.1f}% of the 5-hour window usable, after the safety margin)"
    ]
    if plan.do:
        first = plan.do[0]
        fits = " that fits" if first.task.number != 1 else ""
        lines.append(f"  Do first: {_short(first)}: top of the backlog{fits}.")
        if plan.do[1:]:
            then = plan.do[1 : MAX_DEFER_SHOWN + 1]
            more = len(plan.do) - 1 - len(then)
            lines.append(
                "  Then: " + "; ".join(_short(e) for e in then) + (f"; and {more} more" if more > 0 else "")
            )
    if plan.checkpoint is not None:
        cp = plan.checkpoint
        fit = ""
        if cp.units_fit is not None and cp.estimate.task.type is not None:
            fit = f"; about {cp.units_fit} of {fmt_units(cp.estimate.task.units or 0)} units fit"
        lines.append(
            f"  Checkpoint: {_short(cp.estimate)} would cross the limit: "
            f"{cp.pct_available:.1f}% left{fit}. Stop and log there."
        )
    if plan.defer:
        shown = "; ".join(_short(e) for e in plan.defer[:MAX_DEFER_SHOWN])
        more = len(plan.defer) - MAX_DEFER_SHOWN
        lines.append("  Defer: " + shown + (f"; and {more} more" if more > 0 else ""))
    if not (plan.do or plan.checkpoint or plan.defer):
        lines.append("  Nothing in the backlog.")
    if plan.wait_for_reset and plan.minutes_to_reset is not None:
        lines.append(
            f"  Wait for the 5-hour reset in {plan.minutes_to_reset} min: the next task "
            "would not get far before it."
        )
    return lines


def pace_line(brief: Brief) -> str | None:
    """When the 5-hour window is moving: how long the headroom, and the work before the checkpoint, last."""
    five = brief.paces.get("five_hour")
    rate = five.rate_pct_per_hour if five is not None else None
    if not rate:
        return None
    plan = brief.plan
    lasts = minutes_until(plan.headroom_pct, rate)
    text = f"  At your pace ({rate:.1f} %/h) the usable headroom lasts about {lasts} min"
    if plan.checkpoint is not None:
        before = sum(e.pct for e in plan.do)
        text += f"; the checkpoint comes in about {minutes_until(before, rate)} min"
    return text + "."


def _credits_json(credits: Any) -> dict[str, Any] | None:
    """The credits part of the JSON (its view imported only when credits are set up)."""
    if credits is None:
        return None
    from ai_budget.cli.views.credits import credits_json

    return credits_json(credits)


def _console_json(console: Any) -> dict[str, Any] | None:
    """The Console part of the JSON (its view imported only when a key is set up)."""
    if console is None:
        return None
    from ai_budget.cli.views.console import console_json

    return console_json(console)


def _accounts(brief: Brief) -> tuple[Any, Any, Any, Any]:
    return brief.copilot, brief.gemini, brief.credits, brief.console


def accounts_text(copilot: Any, gemini: Any, credits: Any = None, console: Any = None) -> list[str]:
    """The accounts' lines beside Claude's windows: Copilot (its state), Gemini (budget.json's section),
    prepaid credits and the Console (None when not set up)."""
    from ai_budget.cli.views.journal import copilot_text, gemini_text

    lines = []
    if copilot.section.enabled:  # an account switched off is not shown
        lines.append(copilot_text(copilot).replace("\n", "\n  "))
    if gemini.enabled:
        lines.append(gemini_text(gemini))
    if credits is not None:
        from ai_budget.cli.views.credits import credits_line  # only when set up (most journals)

        lines.append(credits_line(credits))
    if console is not None:
        from ai_budget.cli.views.console import console_line

        lines.append(console_line(console))
    return lines


def brief_text(brief: Any, accounts: list[str] | None = None) -> str:
    """`check` for a person; `accounts` as accounts_text gives them (the fast path's, kept)."""
    lines = [
        f"Budget brief, {brief.now.astimezone():%a %d %b %H:%M}: severity {brief.severity.describe()}",
        "",
    ]
    lines.append(usage_text(brief.usage, brief.now) if brief.usage is not None else "Claude usage: unknown")
    lines += accounts if accounts is not None else accounts_text(*_accounts(brief))
    lines.append("")
    if brief.estimates:
        rows: list[tuple[str, ...]] = [("#", "task", "estimate", "basis")]
        for est in brief.estimates[:MAX_TASKS_SHOWN]:
            rows.append((str(est.task.number), est.task.label(), f"{est.pct:.1f}%", _basis(est)))
        lines.append("Backlog (priority order)")
        lines += ["  " + row for row in table(rows, right={2}).splitlines()]
        if len(brief.estimates) > MAX_TASKS_SHOWN:
            more = len(brief.estimates) - MAX_TASKS_SHOWN
            lines.append(f"  … and {more} more: `ai-budget backlog list`")
        lines.append("")
    lines += plan_lines(brief.plan)
    r = brief.route
    if r is not None and (r.tier is not None or r.severity is not None and r.severity.at_limit):
        lines.append(f"  Model for normal work: {r.model} ({tier_text(r)}): {r.reason}")
    pace = pace_line(brief)
    if pace:
        lines.append(pace)
    if brief.warnings:
        lines += ["", "Warnings"] + [f"  - {w}" for w in brief.warnings]
    return "\n".join(lines)
