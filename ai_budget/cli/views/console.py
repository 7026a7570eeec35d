"""`console` for people and scripts: the month's cost and its projection, tokens and cost per model,
each workspace against its spend limit, and your own Claude Code spend."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_budget.cli.views.credits import usd
from ai_budget.cli.views.table import table
from ai_budget.fmt import clean_line, money, plural
from ai_budget.planning.credits import ConsoleMonth, WorkspaceLine
from ai_budget.timeutil import age, local_clock

BAR = 20


def bar(used: Decimal, limit: Decimal) -> str:
    """'[#####---------------]  25%' (full, and the share shown, past the limit)."""
    share = used / limit if limit > 0 else Decimal(1)
    filled = min(int(share * BAR), BAR)
    return f"[{'#' * filled}{'-' * (BAR - filled)}] {share * 100:4.0f}%"


def _workspace(w: WorkspaceLine) -> tuple[str, ...]:
    if w.limit is None:
        return (clean_line(w.name), money(w.cost), "-", "no limit given")
    return (clean_line(w.name), money(w.cost), money(w.limit), bar(w.cost, w.limit))


def console_line(month: ConsoleMonth) -> str:
    """One line for `status` and the brief."""
    text = f"Console {month.month}: {money(month.total)} so far, about {money(month.projection)} by month end"
    if month.you is not None:
        text += f"; your Claude Code {money(month.you.cost)}"
    return text


def console_text(month: ConsoleMonth) -> str:
    """`console` for a person."""
    where = "our copy" if month.cached else "the Admin API"
    lines = [
        f"Console, {month.start:%B %Y} (from {where}, fetched {local_clock(month.fetched_at, month.now)}, "
        f"{age(month.fetched_at, month.now)} ago)",
        f"  Cost: {money(month.total)} "
        + (
            "for the month (complete)"
            if month.fetched_at >= month.end
            else f"month to date; projected to month end: {money(month.projection)}"
        ),
    ]
    if month.models:
        rows: list[tuple[str, ...]] = [("model", "cost", "input", "output", "cache read", "cache write")]
        for m in month.models:
            rows.append(
                (
                    clean_line(m.model),
                    money(m.cost),
                    f"{m.input_tokens:,}",
                    f"{m.output_tokens:,}",
                    f"{m.cache_read_tokens:,}",
                    f"{m.cache_write_tokens:,}",
                )
            )
        lines += ["", "Per model"] + ["  " + r for r in table(rows, right={1, 2, 3, 4, 5}).splitlines()]
    if month.workspaces:
        rows = [("workspace", "cost", "limit", "")] + [_workspace(w) for w in month.workspaces]
        lines += ["", "Workspaces"] + ["  " + r for r in table(rows, right={1, 2}).splitlines()]
        if any(w.limit is None for w in month.workspaces):
            lines.append(
                "  (the Admin API does not report spend limits: give them in "
                "settings.console.workspace_limits)"
            )
    if month.you is not None:
        y = month.you
        lines += [
            "",
            f"Your Claude Code ({clean_line(y.who)}): {money(y.cost)} estimated, "
            f"{plural(y.sessions, 'session')} on {plural(y.days, 'day')}",
        ]
    lines += [f"  ({clean_line(note)})" for note in month.notes]
    return "\n".join(lines)


def console_json(month: ConsoleMonth) -> dict[str, Any]:
    """`console --json`."""
    you = None
    if month.you is not None:
        you = {
            "who": month.you.who,
            "cost_usd": usd(month.you.cost),
            "sessions": month.you.sessions,
            "days": month.you.days,
        }
    return {
        "month": month.month,
        "fetched_at": month.fetched_at.isoformat(),
        "cached": month.cached,
        "cost_usd": usd(month.total),
        "projected_usd": usd(month.projection),
        "complete": month.fetched_at >= month.end,
        "daily": [{"date": d.isoformat(), "cost_usd": usd(a)} for d, a in month.daily],
        "models": [
            {
                "model": m.model,
                "cost_usd": usd(m.cost),
                "input_tokens": m.input_tokens,
                "output_tokens": m.output_tokens,
                "cache_read_tokens": m.cache_read_tokens,
                "cache_write_tokens": m.cache_write_tokens,
            }
            for m in month.models
        ],
        "workspaces": [
            {"id": w.id, "name": w.name, "cost_usd": usd(w.cost), "limit_usd": usd(w.limit)}
            for w in month.workspaces
        ],
        "claude_code": you,
        "notes": month.notes,
    }
