"""Human and JSON views of core results (plain text; the CLI only prints them)."""

from __future__ import annotations

from collections.abc import Sequence
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
    return {"sha": commit.sha, "date": commit.date, "message": commit.subject, "trailers": commit.trailers}


def history_text(commits: list[Commit]) -> str:
    """History, one line per commit."""
    if not commits:
        return "No history yet."
    return "\n".join(f"{c.date[:10]} {c.date[11:16]}  {c.sha[:7]}  {c.subject}" for c in commits)


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


def window_json(window: UsageWindow) -> dict[str, Any]:
    """One window as JSON, with minutes to its reset."""
    minutes = None
    if window.resets_at is not None:
        minutes = max(round((window.resets_at - now()).total_seconds() / 60), 0)
    return {
        "utilization": window.utilization,
        "resets_at": window.resets_at.isoformat() if window.resets_at else None,
        "minutes_to_reset": minutes,
    }


def window_line(label: str, window: UsageWindow, label_width: int = 14) -> str:
    """'5-hour  ███░░  37.0%  resets 17:59, in 3h 57m'."""
    value = "    ?" if window.utilization is None else f"{window.utilization:5.1f}%"
    if window.resets_at is None:
        reset = "no reset scheduled (idle window)"
    elif window.resets_at <= now():
        reset = f"reset time passed ({local_clock(window.resets_at)}): fetch again"
    else:
        reset = f"resets {local_clock(window.resets_at)}, in {countdown(window.resets_at)}"
    return f"  {label.ljust(label_width)} {bar(window.utilization)} {value}  {reset}"


def usage_json(result: Usage) -> dict[str, Any]:
    """`fetch --json`."""
    r = result.response
    return {
        "source": result.source,
        "fresh": result.fresh,
        "fetched_at": result.fetched_at.isoformat(),
        "age_seconds": round((now() - result.fetched_at).total_seconds()),
        "error": result.error,
        "five_hour": window_json(r.five_hour),
        "seven_day": window_json(r.seven_day),
        "windows": {k: window_json(w) for k, w in r.other_windows().items()},
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


def usage_text(result: Usage) -> str:
    """`fetch` for a person: a line per window with bar, percentage and reset countdown."""
    head = f"Claude usage ({SOURCE_LABEL[result.source]}, {local_clock(result.fetched_at)}"
    if result.source in ("cache", "last-known"):
        head += f", {age(result.fetched_at)} old"
    from ai_budget.usage import window_rows

    lines = [head + ")"]
    lines += [window_line(label, w) for label, w in window_rows(result.response)]
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
        since = f"since {result.since.astimezone():%Y-%m-%d %H:%M}" if result.since else "all time"
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
