"""The session as text: the markdown section from templates/session.md, the commit subject and trailers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from string import Template

from ai_budget.claude.client_cost import compare
from ai_budget.fmt import delta, fmt_units, money, pct, plural, rate
from ai_budget.model.accounts import UNIT_LABEL
from ai_budget.paths import shipped
from ai_budget.session.results import CopilotUse, Item, LogResult, Measurement
from ai_budget.timeutil import age as span


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else f"- {empty}"


def items_summary(items: list[Item]) -> str:
    """'flashcard ×10, feature ×1' or 'no work logged'."""
    if not items:
        return "no work logged"
    return ", ".join(f"{i.type} ×{fmt_units(i.units)}" for i in items)


def copilot_line(use: CopilotUse | None) -> str:
    """Copilot requests (or credits) used this session, or 'not used'."""
    if use is None:
        return "not used"
    label = UNIT_LABEL[use.unit]
    if use.before is None:
        return f"{use.count}/{use.limit} {label} used this month (no earlier count to compare)"
    return f"{use.count - use.before} {label} this session ({use.before} → {use.count} of {use.limit})"


def _heading(m: Measurement, machine: str) -> str:
    """`2026-11-22 15:25 (started 14:05) on laptop`: the merge of two machines' day logs orders the
    sections by the first clock time in it."""
    start, end = m.started_at.astimezone(), m.ended_at.astimezone()
    heading = f"{end:%Y-%m-%d %H:%M}"
    if m.baseline is not None and m.baseline_note is None:
        heading += f" (started {start:%H:%M})"
    return heading + (f" on {machine}" if machine else "")


def average_rate(m: Measurement) -> str:
    """', 13.5 %/h over 1h 20m': the session's own pace (empty when its delta is unknown)."""
    hours = (m.ended_at - m.started_at).total_seconds() / 3600
    if m.deltas.five_hour is None or m.deltas.window_reset or hours < 1 / 60 or m.baseline is None:
        return ""
    return f", {m.deltas.five_hour / hours:.1f} %/h over {span(m.started_at, m.ended_at)}"


def _claude_note(m: Measurement) -> str:
    notes = [n for n in (m.baseline_note, m.end_note) if n]
    if m.deltas.window_reset:
        notes.insert(0, "the 5-hour window reset during the session: its delta means nothing")
    return "".join(f"\n\n> {note}" for note in notes)


def _tokens(m: Measurement) -> tuple[str, str]:
    """The tokens line's scope and text."""
    if m.session_id is not None:
        return _session_tokens(m)
    if m.tokens is None:
        return "", f"not counted ({m.tokens_note})"
    spent = m.tokens.total
    scope = f" (since {m.started_at.astimezone():%H:%M}, all sessions)" if m.baseline else " (newest session)"
    cost = money(spent.cost) if spent.cost is not None else "unknown"
    if m.tokens.unpriced_models:
        cost += f" (no price for {', '.join(m.tokens.unpriced_models)})"
    text = (
        f"{spent.output_tokens:,} output, {spent.input_tokens:,} input, "
        f"{spent.cache_creation_input_tokens:,} cache written, "
        f"{spent.cache_read_input_tokens:,} cache read, {plural(spent.web_search_requests, 'web search')} "
        f"and {plural(spent.web_fetch_requests, 'fetch')}; API-equivalent {cost}"
    )
    return scope, text


def _session_tokens(m: Measurement) -> tuple[str, str]:
    """A Claude Code session's line: what this record adds, the session so far, Claude Code's figure."""
    scope = f" (Claude Code session `{m.session_id}`{', resumed' if m.resumed else ''})"
    if m.recorded is None:
        note = m.tokens_note or "nothing new in its transcript since its last record"
        return scope, f"none new ({note})"
    r = m.recorded
    cost = money(r["cost_usd"]) if r.get("cost_usd") is not None else "unknown"
    if m.unpriced:
        cost += f" (no price for {', '.join(m.unpriced)})"
    text = (
        f"{plural(r['exchanges'], 'API call')}: {r['output_tokens']:,} output, {r['input_tokens']:,} input, "
        f"{r['cache_creation_input_tokens']:,} cache written, {r['cache_read_input_tokens']:,} cache read, "
        f"{plural(r['web_search_requests'], 'web search')} and {plural(r['web_fetch_requests'], 'fetch')}; "
        f"API-equivalent {cost}"
    )
    prior = m.prior or {}
    if prior.get("output_tokens") or prior.get("exchanges"):
        text += (
            f" (new since its last record; the session so far: "
            f"{prior['output_tokens'] + r['output_tokens']:,} output tokens)"
        )
    if m.shared_with:
        others = ", ".join(f"`{s}`" for s in m.shared_with[:5])
        text += (
            f"\n\n> ran at the same time as {others}: "
            "the 5-hour window is the account's, so the delta is shared"
        )
    spent = [c for c in (prior.get("cost_usd"), r.get("cost_usd")) if c is not None]
    ours = float(sum(Decimal(str(c)) for c in spent)) if spent else None
    return scope, text + client_cost_note(ours, m.client_cost, m.unpriced)


def client_cost_note(ours: float | None, theirs: float | None, unpriced: list[str] | None = None) -> str:
    """Claude Code's own figure for the session beside ours (the session so far), and why they differ."""
    if theirs is None:
        return ""
    found = compare(Decimal(str(ours)) if ours is not None else None, theirs, unpriced or [])
    head = f"\n\n> Claude Code's own figure for the session: {money(theirs)}"
    if found.verdict == "same":
        return head + " (the same as ours)"
    if found.difference is None:
        return head
    more = "more" if found.difference > 0 else "less"
    return head + f", {money(abs(found.difference))} {more} than ours: " + "; ".join(found.reasons)


def _newest(m: Measurement) -> str:
    if m.session_id is not None or m.newest is None or not m.newest.session_id:
        return ""
    n = m.newest.total
    price = f", {money(n.cost)}" if n.cost is not None else ""
    return (
        f"\n\nNewest session {m.newest.session_id}: {n.output_tokens:,} output tokens, "
        f"{n.exchanges} API calls{price}"
    )


def _cost_items(result: LogResult) -> list[str]:
    lines = []
    units_of = {c.name: c.after.unit_word for c in result.decided.changes}
    for i in result.decided.items:
        if i.pct is None:
            lines.append(f"{i.type}: not measured ({result.decided.calibration_note})")
            continue
        word = units_of[i.type]
        toks = ""
        if i.output_tokens is not None:
            toks = f", {i.output_tokens:,} output tokens ({i.output_tokens / i.units:,.0f}/{word})"
        lines.append(f"{i.type}: {i.pct:.1f}% of the 5-hour window ({i.pct / i.units:.2f}%/{word}){toks}")
    return lines


def render(result: LogResult) -> str:
    """One `## Session` section, in the order docs/design.md gives."""
    m, d = result.measured, result.decided
    base = m.baseline
    after = m.end.response if m.end is not None else None
    scope, tokens = _tokens(m)
    work = [
        f"{i.type} ×{fmt_units(i.units)}" + (f": {i.description}" if i.description else "") for i in d.items
    ]
    work += [f"moved to completed: {t.label()}" for t in result.moved]
    changes = [
        f"{c.name}: {plural(c.before.samples, 'sample')} → {c.after.samples}, "
        f"{rate(c.before.pct_per_unit)} → {rate(c.after.pct_per_unit)} %/{c.after.unit_word}"
        for c in d.changes
    ]
    values = dict(
        heading=_heading(m, result.machine),
        five_before=pct(base.five_hour_util) if base else "?",
        five_after=pct(after.five_hour.utilization) if after else "?",
        five_delta=delta(m.deltas.five_hour, m.deltas.window_reset) + average_rate(m),
        week_before=pct(base.seven_day_util) if base else "?",
        week_after=pct(after.seven_day.utilization) if after else "?",
        week_delta=delta(m.deltas.seven_day, m.deltas.weekly_reset),
        claude_note=_claude_note(m),
        newest=_newest(m),
        copilot=copilot_line(d.copilot),
        gemini=result.gemini,
        work=_bullets(work, "nothing logged"),
        cost_items=_bullets(_cost_items(result), "nothing to split"),
        calibration=_bullets(changes, d.calibration_note or "unchanged"),
        lessons=_bullets(result.lessons, "none noted"),
        next_up=_bullets(result.next_up, "backlog empty"),
        tokens_scope=scope,
        tokens=tokens,
    )
    template = Template((shipped("templates") / "session.md").read_text(encoding="utf-8"))
    return template.substitute(values)


def appended(existing: str | None, section: str, day: datetime) -> str:
    """The day's file with a section added (created with a title); earlier sessions stay as they were."""
    text = existing if existing is not None else f"# Sessions {day:%Y-%m-%d}\n"
    return text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"


def commit_subject(result: LogResult) -> str:
    """`session 2026-11-22 14:05: flashcard ×10, 5h +25.0%`."""
    m = result.measured
    return (
        f"session {m.ended_at.astimezone():%Y-%m-%d %H:%M}: {items_summary(result.decided.items)}, "
        f"5h {delta(m.deltas.five_hour, m.deltas.window_reset)}"
        + (" (automatic)" if result.automatic else "")
    )


def _figure(value: float | None, reset: bool) -> str:
    return "reset" if reset else ("unknown" if value is None else f"{value:.1f}")


def commit_trailers(result: LogResult) -> list[tuple[str, str]]:
    """Trailers from which `history` rebuilds the session's figures."""
    m = result.measured
    spent = m.tokens.total if m.tokens is not None else None
    output: str = str(spent.output_tokens) if spent else "unknown"
    cost_text = f"{spent.cost:.4f}" if spent and spent.cost is not None else "unknown"
    if m.session_id is not None:  # the record's own part of the session
        r = m.recorded or {}
        output = str(r.get("output_tokens", 0)) if m.tokens is not None else "unknown"
        cost_text = f"{r['cost_usd']:.4f}" if r.get("cost_usd") is not None else cost_text
    trailers = [
        ("Session-Start", m.started_at.isoformat()),
        ("Five-Hour-Delta", _figure(m.deltas.five_hour, m.deltas.window_reset)),
        ("Seven-Day-Delta", _figure(m.deltas.seven_day, m.deltas.weekly_reset)),
        ("Output-Tokens", output),
        ("Cost-USD", cost_text),
        ("Tasks", "; ".join(f"{i.type}={fmt_units(i.units)}" for i in result.decided.items) or "none"),
    ]
    trailers += [("Calibration", c.after.trailer(c.name)) for c in result.decided.changes]
    if m.session_id is not None:
        trailers.append(("Claude-Session", m.session_id))
    if m.recorded is not None:
        r = m.recorded
        trailers += [
            ("Input-Tokens", str(r["input_tokens"])),
            (
                "Cache-Tokens",
                f"written={r['cache_creation_input_tokens']} read={r['cache_read_input_tokens']}",
            ),
        ]
    if m.client_cost is not None:
        trailers.append(("Client-Cost-USD", f"{m.client_cost:.4f}"))
    if m.shared_with:
        trailers.append(("Shared-With", " ".join(m.shared_with[:10])))
    if result.automatic:
        trailers.append(("Logged-By", "session-end hook"))
    return trailers
