"""The markdown session log: rendered from templates/session.md, appended to sessions/DAY.md."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from ai_budget.calibration import unit_word
from ai_budget.paths import shipped
from ai_budget.quantities import fmt_units, plural
from ai_budget.store import write_atomic
from ai_budget.usage import pct

if TYPE_CHECKING:
    from ai_budget.session import LogResult


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else f"- {empty}"


def render(result: LogResult) -> str:
    """One `## Session` section, in the order DESIGN.md gives."""
    from ai_budget.session import delta_text

    start, end = result.started_at.astimezone(), result.ended_at.astimezone()
    heading = f"{end:%Y-%m-%d %H:%M}"
    if result.baseline is not None and result.baseline_note is None:
        heading += f" (started {start:%H:%M})"
    base = result.baseline
    after = result.end.response if result.end is not None else None
    notes = [n for n in (result.baseline_note, result.end_note) if n]
    if result.window_reset:
        notes.insert(0, "the 5-hour window reset during the session: its delta means nothing")
    claude_note = "".join(f"\n\n> {note}" for note in notes)

    spent = result.tokens.total if result.tokens is not None else None
    if spent is not None:
        scope = f" (since {start:%H:%M}, all sessions)" if base is not None else " (newest session)"
        cost = f"${spent.cost:,.2f}" if spent.cost is not None else "unknown"
        unpriced = result.tokens.unpriced_models if result.tokens else []
        if unpriced:
            cost += f" (no price for {', '.join(unpriced)})"
        searches, fetches = spent.web_search_requests, spent.web_fetch_requests
        tokens = (
            f"{spent.output_tokens:,} output, {spent.cache_creation_input_tokens:,} cache written, "
            f"{spent.cache_read_input_tokens:,} cache read, {plural(searches, 'web search')} and "
            f"{plural(fetches, 'fetch')}; API-equivalent {cost}"
        )
    else:
        scope, tokens = "", f"not counted ({result.tokens_note})"
    newest = ""
    if result.newest is not None and result.newest.session_id:
        n = result.newest.total
        newest = (
            f"\n\nNewest session {result.newest.session_id}: {n.output_tokens:,} output tokens, "
            f"{n.exchanges} API calls" + (f", ${n.cost:,.2f}" if n.cost is not None else "")
        )

    work = [
        f"{i.type} ×{fmt_units(i.units)}" + (f": {i.description}" if i.description else "")
        for i in result.items
    ]
    work += [f"moved to completed: {t.label()}" for t in result.moved]
    cost_items = []
    for i in result.items:
        if i.pct is None:
            cost_items.append(f"{i.type}: not measured ({result.calibration_note})")
            continue
        word = unit_word(next(c.after for c in result.changes if c.name == i.type))
        per = f"{i.pct / i.units:.2f}%/{word}"
        toks = ""
        if i.output_tokens is not None:
            toks = f", {i.output_tokens:,} output tokens ({i.output_tokens / i.units:,.0f}/{word})"
        cost_items.append(f"{i.type}: {i.pct:.1f}% of the 5-hour window ({per}){toks}")
    changes = [
        f"{c.name}: {plural(c.before.samples, 'sample')} → {c.after.samples}, "
        f"{_rate(c.before.pct_per_unit)} → {_rate(c.after.pct_per_unit)} %/{unit_word(c.after)}"
        for c in result.changes
    ]
    values = dict(
        heading=heading,
        five_before=pct(base.five_hour_util) if base else "?",
        five_after=pct(after.five_hour.utilization) if after else "?",
        five_delta=delta_text(result.five_delta, result.window_reset),
        week_before=pct(base.seven_day_util) if base else "?",
        week_after=pct(after.seven_day.utilization) if after else "?",
        week_delta=delta_text(result.seven_delta, result.weekly_reset),
        claude_note=claude_note,
        newest=newest,
        copilot=result.copilot_line,
        gemini=result.gemini_line,
        work=_bullets(work, "nothing logged"),
        cost_items=_bullets(cost_items, "nothing to split"),
        calibration=_bullets(changes, result.calibration_note or "unchanged"),
        lessons=_bullets(result.lessons, "none noted"),
        next_up=_bullets(result.next_up, "backlog empty"),
        tokens_scope=scope,
        tokens=tokens,
    )
    template = Template((shipped("templates") / "session.md").read_text(encoding="utf-8"))
    return template.substitute(values)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def append(path: Path, section: str, day: datetime) -> None:
    """Add a section to the day's file (created with a title); earlier sessions stay as they were."""
    existing = path.read_text(encoding="utf-8") if path.exists() else f"# Sessions {day:%Y-%m-%d}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, existing.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n")
