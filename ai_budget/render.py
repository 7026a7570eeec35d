"""Human and JSON views of core results (plain text; the CLI only prints them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ai_budget.quantities import fmt_units, plural
from ai_budget.timeutil import age, countdown, local_clock, now

# Type names only: `tokens` must not pay for pydantic at start-up.
if TYPE_CHECKING:
    from ai_budget.calibration import Recorded
    from ai_budget.copilot import CopilotState
    from ai_budget.journal import Commit
    from ai_budget.models import CalibrationEntry, GeminiSection, UsageWindow
    from ai_budget.planner import Estimate
    from ai_budget.session import Brief, LogResult
    from ai_budget.transcripts import Counts, Report
    from ai_budget.usage import Usage


def calibration_json(name: str, entry: CalibrationEntry) -> dict[str, Any]:
    """One task type's calibration as JSON."""
    pct, tokens = entry.pct_per_unit, entry.tokens_per_unit
    return {
        "type": name,
        "unit": entry.unit,
        "samples": entry.samples,
        "units": entry.units,
        "total_5h_pct": entry.total_5h_pct,
        "total_output_tokens": entry.total_output_tokens,
        "pct_per_unit": round(pct, 4) if pct is not None else None,
        "output_tokens_per_unit": round(tokens, 2) if tokens is not None else None,
    }


def calibrated(done: Recorded) -> str:
    """The line `calibrate` prints."""
    from ai_budget.calibration import unit_word

    after, word = done.after, unit_word(done.after)
    tokens = after.tokens_per_unit
    token_part = f", {tokens:.0f} output tokens/{word}" if tokens is not None else ""
    return (
        f"{done.task_type}: {after.pct_per_unit:.2f} %/{word}{token_part} "
        f"({plural(after.samples, 'sample')}, {plural(after.units, word)})"
    )


def calibration_table(entries: dict[str, CalibrationEntry]) -> str:
    """The calibration table."""
    if not entries:
        return 'No task types yet: add one with `ai-budget calibration add TYPE --unit "per X"`'
    rows: list[tuple[str, ...]] = [("type", "unit", "samples", "units", "%/unit", "tokens/unit")]
    for name, e in sorted(entries.items()):
        pct, tokens = e.pct_per_unit, e.tokens_per_unit
        rows.append(
            (
                name,
                e.unit or "-",
                str(e.samples),
                fmt_units(e.units),
                f"{pct:.2f}" if pct is not None else "-",
                f"{tokens:.0f}" if tokens is not None else "-",
            )
        )
    return table(rows, right={2, 3, 4, 5})


def table(rows: Sequence[tuple[str, ...]], right: set[int] | None = None) -> str:
    """Align rows into columns; the first row is the header."""
    right = right or set()
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def copilot_json(st: CopilotState) -> dict[str, Any]:
    """Copilot as JSON."""
    data = st.section.model_dump(mode="json")
    data.update(
        {
            "remaining": st.remaining,
            "reset_since_update": st.reset_since_update,
            "stale": st.stale,
            "unit_label": st.label,
        }
    )
    return data


def copilot_text(st: CopilotState) -> str:
    """Copilot in one or two lines."""
    s = st.section
    if s.premium_requests_used is None:
        return "Copilot: no count yet: run `ai-budget copilot set N` after checking GitHub billing"
    line = f"Copilot ({s.plan}): {s.premium_requests_used}/{s.premium_requests_limit} {st.label} used"
    if st.remaining is not None:
        line += f", {st.remaining} left"
    if s.resets_at is not None:
        line += f"; resets {s.resets_at:%Y-%m-%d} 00:00 UTC"
    if s.last_updated is not None:
        line += f" (updated {s.last_updated:%Y-%m-%d})"
    if st.reset_since_update:
        line += (
            "\nThe monthly counter has reset since this count was taken: "
            "check GitHub billing and run `ai-budget copilot set N`"
        )
    return line


def gemini_text(section: GeminiSection) -> str:
    """Gemini in one line."""
    status = section.status or "unknown"
    when = f" (updated {section.last_updated:%Y-%m-%d})" if section.last_updated else ""
    return f"Gemini ({section.plan}): {status}{when}"


def commit_json(commit: Commit) -> dict[str, Any]:
    """One history entry as JSON."""
    return {
        "sha": commit.sha,
        "date": commit.date,
        "message": commit.subject,
        "trailers": [{"key": k, "value": v} for k, v in commit.trailers],
    }


# --- Claude usage ------------------------------------------------------------------------

SOURCE_LABEL = {
    "api": "from the usage endpoint",
    "cache": "cached",
    "file": "from a file",
    "last-known": "last known values",
}


def bar(percent: float | None, width: int = 20) -> str:
    """A fixed-width bar for a 0-100 percentage."""
    if percent is None:
        return "·" * width
    filled = round(min(max(percent, 0.0), 100.0) / 100 * width)
    return "█" * filled + "░" * (width - filled)


def window_json(window: UsageWindow, at: datetime | None = None) -> dict[str, Any]:
    """One window as JSON, with minutes to its reset."""
    minutes = None
    if window.resets_at is not None:
        minutes = max(round((window.resets_at - (at or now())).total_seconds() / 60), 0)
    return {
        "utilization": window.utilization,
        "resets_at": window.resets_at.isoformat() if window.resets_at else None,
        "minutes_to_reset": minutes,
    }


def window_line(label: str, window: UsageWindow, at: datetime | None = None, label_width: int = 14) -> str:
    """'5-hour  ███░░  37.0%  resets 17:59, in 3h 57m'."""
    value = "    ?" if window.utilization is None else f"{window.utilization:5.1f}%"
    if window.resets_at is None:
        reset = "no reset scheduled (idle window)"
    elif window.resets_at <= (at or now()):
        reset = f"reset time passed ({local_clock(window.resets_at, at)}): fetch again"
    else:
        reset = f"resets {local_clock(window.resets_at, at)}, in {countdown(window.resets_at, at)}"
    return f"  {label.ljust(label_width)} {bar(window.utilization)} {value}  {reset}"


def usage_json(result: Usage, at: datetime | None = None) -> dict[str, Any]:
    """`fetch --json`."""
    r = result.response
    return {
        "source": result.source,
        "fresh": result.fresh,
        "fetched_at": result.fetched_at.isoformat(),
        "age_seconds": round(((at or now()) - result.fetched_at).total_seconds()),
        "error": result.error,
        "five_hour": window_json(r.five_hour, at),
        "seven_day": window_json(r.seven_day, at),
        "windows": {k: window_json(w, at) for k, w in r.other_windows().items()},
        "limits": r.limits,
        "extra_usage": r.extra_usage,
    }


def extra_usage_line(extra: dict[str, Any] | None) -> str | None:
    """Extra usage (pay-as-you-go credits), amounts given in minor units."""
    if not extra or not extra.get("is_enabled"):
        return None
    places = extra.get("decimal_places")
    scale = 10 ** (places if isinstance(places, int) else 2)
    currency = extra.get("currency") or "USD"
    used, limit = extra.get("used_credits"), extra.get("monthly_limit")
    if used is None or limit is None:
        return "  extra usage    enabled"
    share = f" ({extra['utilization']:.1f}%)" if extra.get("utilization") is not None else ""
    return f"  extra usage    enabled: {used / scale:.2f} of {limit / scale:.2f} {currency} used{share}"


def usage_text(result: Usage, at: datetime | None = None) -> str:
    """`fetch` for a person: a line per window with bar, percentage and reset countdown."""
    head = f"Claude usage ({SOURCE_LABEL[result.source]}, {local_clock(result.fetched_at, at)}"
    if result.source in ("cache", "last-known"):
        head += f", {age(result.fetched_at, at)} old"
    from ai_budget.usage import window_rows

    lines = [head + ")"]
    lines += [window_line(label, w, at) for label, w in window_rows(result.response)]
    extra = extra_usage_line(result.response.extra_usage)
    if extra:
        lines.append(extra)
    return "\n".join(lines)


# --- tokens ---------------------------------------------------------------------------------------


def money(value: Decimal | None) -> str:
    """'$1.23' (cents), or '?' when unpriced."""
    return "?" if value is None else f"${value:,.2f}"


def _token_row(name: str, c: Counts) -> tuple[str, ...]:
    return (
        name,
        f"{c.exchanges:,}",
        f"{c.input_tokens:,}",
        f"{c.output_tokens:,}",
        f"{c.cache_creation_input_tokens:,}",
        f"{c.cache_read_input_tokens:,}",
        money(c.cost),
    )


def tokens_text(result: Report) -> str:
    """`tokens` for a person: what was counted, a row per model, totals, web tools, flags."""
    if result.session_file is not None:
        extra = len(result.files) - 1
        head = f"Session {result.session_id} ({result.session_file}"
        head += f", + {plural(extra, 'subagent file')})" if extra else ")"
    else:
        since = f"since {result.since.astimezone():%Y-%m-%d %H:%M}" if result.since else "of all time"
        until = f" until {result.until.astimezone():%Y-%m-%d %H:%M}" if result.until else ""
        head = f"All sessions {since}{until} ({plural(len(result.files), 'file')})"
    rows: list[tuple[str, ...]] = [
        ("model", "calls", "input", "output", "cache write", "cache read", "API cost")
    ]
    rows += [_token_row(m, c) for m, c in sorted(result.by_model.items())]
    rows.append(_token_row("total", result.total))
    lines = [head, table(rows, right={1, 2, 3, 4, 5, 6})]
    t = result.total
    lines.append(
        f"cache writes: {t.cache_creation_5m_tokens:,} at 5 min, {t.cache_creation_1h_tokens:,} at 1 h; "
        f"web: {plural(t.web_search_requests, 'search')}, {plural(t.web_fetch_requests, 'fetch')}"
    )
    if result.unpriced_models:
        lines.append(
            f"No price known for {', '.join(result.unpriced_models)}: counted in tokens, left out of the cost"
        )
    return "\n".join(lines)


# --- the brief -------------------------------------------------------------------------------------


def task_json(est: Estimate) -> dict[str, Any]:
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


def brief_json(brief: Brief) -> dict[str, Any]:
    """`check --json`."""
    claude: dict[str, Any] = {"source": None, "fresh": False, "fetched_at": None, "error": brief.error}
    if brief.usage is not None:
        claude = usage_json(brief.usage, brief.now)
    plan = brief.plan
    checkpoint = None
    if plan.checkpoint is not None:
        checkpoint = {
            "task": task_json(plan.checkpoint.estimate),
            "units_fit": plan.checkpoint.units_fit,
            "pct_available": plan.checkpoint.pct_available,
        }
    return {
        "claude": claude,
        "copilot": copilot_json(brief.copilot),
        "gemini": brief.gemini.model_dump(mode="json"),
        "tier": brief.tier,
        "tasks": [task_json(e) for e in brief.estimates],
        "recommendation": {
            "headroom_pct": plan.headroom_pct,
            "do": [task_json(e) for e in plan.do],
            "checkpoint": checkpoint,
            "defer": [task_json(e) for e in plan.defer],
            "wait_for_reset": plan.wait_for_reset,
            "minutes_to_reset": plan.minutes_to_reset,
            "weekly_focus": plan.weekly_focus,
        },
        "warnings": brief.warnings,
    }


def _basis(est: Estimate) -> str:
    if est.basis == "calibrated":
        return f"calibrated, {est.pct_per_unit:.2f} %/{est.unit}"
    return f"tag {est.task.tag} default"


def _short(est: Estimate) -> str:
    return f"{est.task.number}. {est.task.text} ({est.pct:.1f}%)"


def brief_text(brief: Brief) -> str:
    """`check` for a person."""
    now_local = brief.now.astimezone()
    lines = [f"Budget brief, {now_local:%a %d %b %H:%M}: tier {brief.tier.upper()}", ""]
    if brief.usage is not None:
        lines.append(usage_text(brief.usage, brief.now))
    else:
        lines.append("Claude usage: unknown")
    lines.append(copilot_text(brief.copilot).replace("\n", "\n  "))
    lines.append(gemini_text(brief.gemini))
    lines.append("")
    if brief.estimates:
        rows: list[tuple[str, ...]] = [("#", "task", "estimate", "basis")]
        for est in brief.estimates:
            rows.append((str(est.task.number), est.task.label(), f"{est.pct:.1f}%", _basis(est)))
        lines.append("Backlog (priority order)")
        lines += ["  " + row for row in table(rows, right={2}).splitlines()]
        lines.append("")
    plan = brief.plan
    lines.append(
        f"Recommendation ({plan.headroom_pct:.1f}% of the 5-hour window usable, after the safety margin)"
    )
    if plan.do:
        first = plan.do[0]
        lines.append(
            f"  Do first: {_short(first)}: top of the backlog"
            + (" that fits" if first.task.number != 1 else "")
            + "."
        )
        if plan.do[1:]:
            lines.append("  Then: " + "; ".join(_short(e) for e in plan.do[1:]))
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
        lines.append("  Defer: " + "; ".join(_short(e) for e in plan.defer))
    if not (plan.do or plan.checkpoint or plan.defer):
        lines.append("  Nothing in the backlog.")
    if plan.wait_for_reset and plan.minutes_to_reset is not None:
        lines.append(
            f"  Wait for the 5-hour reset in {plan.minutes_to_reset} min: the next task "
            "would not get far before it."
        )
    if brief.warnings:
        lines.append("")
        lines.append("Warnings")
        lines += [f"  - {w}" for w in brief.warnings]
    return "\n".join(lines)


# --- the log ------------------------------------------------------------------------------------


def log_json(result: LogResult) -> dict[str, Any]:
    """`log --json`."""
    base = result.baseline
    return {
        "started_at": result.started_at.isoformat(),
        "ended_at": result.ended_at.isoformat(),
        "baseline": base.model_dump(mode="json") if base is not None else None,
        "baseline_note": result.baseline_note,
        "end": usage_json(result.end) if result.end is not None else None,
        "end_note": result.end_note,
        "window_reset": result.window_reset,
        "five_hour_delta": result.five_delta,
        "seven_day_delta": result.seven_delta,
        "tokens": result.tokens.as_dict() if result.tokens is not None else None,
        "newest_session": result.newest.as_dict() if result.newest is not None else None,
        "items": [
            {
                "type": i.type,
                "units": i.units,
                "description": i.description,
                "share": round(i.share, 6),
                "five_hour_pct": i.pct,
                "output_tokens": i.output_tokens,
            }
            for i in result.items
        ],
        "calibration": [
            {
                "type": c.name,
                "before": calibration_json(c.name, c.before),
                "after": calibration_json(c.name, c.after),
            }
            for c in result.changes
        ],
        "calibration_note": result.calibration_note,
        "copilot": result.copilot_line,
        "gemini": result.gemini_line,
        "backlog_done": [t.label() for t in result.moved],
        "session_file": result.session_file,
        "commit": result.commit,
        "tokens_note": result.tokens_note,
    }


def log_text(result: LogResult) -> str:
    """`log` for a person: the session section as written, and where."""
    head = f"Logged to {result.session_file}"
    if result.commit:
        head += f" (commit {result.commit[:7]})"
    return f"{head}\n\n{result.markdown.rstrip()}"


# --- history ------------------------------------------------------------------------------------


def history_json(commits: list[Commit]) -> list[dict[str, Any]]:
    """`history --json`: commits, with session figures where there are some."""
    from ai_budget.history import session_figures

    return [dict(commit_json(c), session=session_figures(c)) for c in commits]


def history_lines(commits: list[Commit]) -> str:
    """`history`: a line per commit; session commits add their tokens and cost."""
    from ai_budget.history import session_figures

    if not commits:
        return "No history yet."
    out = []
    for c in commits:
        line = f"{c.date[:10]} {c.date[11:16]}  {c.sha[:7]}  {c.subject}"
        figures = session_figures(c)
        if figures is not None:
            extra = []
            if isinstance(figures["seven_day_delta"], float):
                extra.append(f"week {figures['seven_day_delta']:+.1f}%")
            if isinstance(figures["output_tokens"], float):
                extra.append(f"{figures['output_tokens']:,.0f} output tokens")
            if isinstance(figures["cost_usd"], float):
                extra.append(f"${figures['cost_usd']:,.2f}")
            if extra:
                line += f" ({', '.join(extra)})"
        out.append(line)
    return "\n".join(out)


def calibration_history_text(name: str, rows: list[dict[str, Any]]) -> str:
    """`history --calibration TYPE` for a person."""
    if not rows:
        return f"No calibration history for {name!r} yet."
    table_rows: list[tuple[str, ...]] = [("date", "samples", "units", "%/unit", "tokens/unit")]
    for r in rows:
        table_rows.append(
            (
                f"{r['date'][:10]} {r['date'][11:16]}",
                str(r["samples"]),
                fmt_units(r["units"] or 0),
                "-" if r["pct_per_unit"] is None else f"{r['pct_per_unit']:.2f}",
                "-" if r["tokens_per_unit"] is None else f"{r['tokens_per_unit']:.0f}",
            )
        )
    return f"Calibration of {name}, oldest first\n" + table(table_rows, right={1, 2, 3, 4})
