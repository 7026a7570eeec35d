"""`report` for a person (a table per period) and as JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_budget.cli.views.table import table
from ai_budget.fmt import money, pct
from ai_budget.journal.rollups import COLUMNS, COUNT_COLUMNS, DayRow, cost_text, span_label
from ai_budget.session.report import MachineTotals, Period, ReportData

UNKNOWN_NOTE = (
    "?: some days are known only from their usage readings (their transcripts are on another "
    "machine or were gone before the rollup): their tokens and cost are unknown, not zero"
)
HEAD = ("period", "sessions", "API calls", "output", "cost", "peak 5h", "peak week", "calibration")


def calibration_text(counts: dict[str, int]) -> str:
    """`flashcard +2, feature +1` (samples added per task type)."""
    merged: dict[str, int] = {}
    for name, n in counts.items():
        merged[name] = merged.get(name, 0) + n
    return ", ".join(f"{name} +{n}" for name, n in sorted(merged.items()))


def _peak(value: float | None) -> str:
    return "-" if value is None else pct(value)


def _known(text: str, some_unknown: bool, zero: bool) -> str:
    """A figure, `+?` after it when part of it is unknown, `?` alone when all that is known is 0."""
    if not some_unknown:
        return text
    return "?" if zero else text + "+?"


def _spend_cells(x: Period | MachineTotals) -> tuple[str, str, str]:
    """API calls, output tokens and cost of a period or a machine, each marked where part is unknown."""
    unknown = x.tokens_unknown
    return (
        _known(f"{x.api_calls:,}", unknown, x.api_calls == 0),
        _known(f"{x.output_tokens:,}", unknown, x.output_tokens == 0),
        _known(money(x.cost), unknown or bool(x.unpriced_models), x.cost == 0 and not x.unpriced_models),
    )


def period_cells(p: Period) -> tuple[str, ...]:
    """A period's cells, as the text table and the HTML table show them."""
    return (
        p.label,
        str(p.sessions),
        *_spend_cells(p),
        _peak(p.peak_five_hour),
        _peak(p.peak_weekly),
        calibration_text(p.calibration) or "-",
    )


def total_period(data: ReportData) -> Period:
    """The sum of every period (peaks: the highest)."""
    total = Period("total", data.since, data.until)
    for p in data.periods:
        total.sessions += p.sessions
        total.api_calls += p.api_calls
        total.output_tokens += p.output_tokens
        total.cost += p.cost
        total.unpriced_models |= p.unpriced_models
        total.tokens_unknown |= p.tokens_unknown
        for name, n in p.calibration.items():
            total.calibration[name] = total.calibration.get(name, 0) + n
        for field in ("peak_five_hour", "peak_weekly"):
            value, best = getattr(p, field), getattr(total, field)
            if value is not None and (best is None or value > best):
                setattr(total, field, value)
    return total


MACHINE_HEAD = ("machine", "sessions", "API calls", "output", "cost", "samples")


def pending_notes(data: ReportData) -> list[str]:
    """Another machine's days whose tokens are still on it (not rolled up, or not synced since)."""
    return [
        f"{name}'s tokens for {span_label(days)} are still on {name}: they appear here once it rolls "
        "those days up (its first command the next day) and syncs"
        for name, days in data.pending.items()
    ]


def machine_cells(m: MachineTotals) -> tuple[str, ...]:
    """A machine's part of the range, as the breakdown shows it."""
    return (m.name, str(m.sessions), *_spend_cells(m), str(m.samples))


def report_text(data: ReportData) -> str:
    """The report as a table, a row per period and a total; with several machines, each one's part."""
    scope = f", machine {data.machine}" if data.machine else ""
    lines = [f"Report {data.since} .. {data.until}, by {data.by}{scope} (today so far)"]
    rows = [HEAD] + [period_cells(p) for p in data.periods]
    if len(data.periods) > 1:
        rows.append(period_cells(total_period(data)))
    lines.append(table(rows, right={1, 2, 3, 4, 5, 6}))
    if len(data.machines) > 1:
        lines += ["", "By machine:"]
        lines.append(table([MACHINE_HEAD] + [machine_cells(m) for m in data.machines], right={1, 2, 3, 4, 5}))
    unpriced = sorted({m for p in data.periods for m in p.unpriced_models})
    if unpriced:
        lines.append(
            f"No price known for {', '.join(unpriced)}: counted in tokens, left out of the cost (+?)"
        )
    if any(p.tokens_unknown for p in data.periods):
        lines.append(UNKNOWN_NOTE)
    lines += pending_notes(data)
    done = data.rollup
    if done.written:
        if done.sha:
            lines.append(f"Rolled up {span_label(done.written)} into the journal ({done.sha[:7]}).")
        else:  # rows removed from a month file by hand, not committed: written back as committed
            lines.append(f"Wrote {span_label(done.written)} back into the journal's month files.")
    if done.kept:
        lines.append(
            f"Kept {span_label(done.kept)} as rolled up: some of their transcripts are gone, "
            "so a recount would lose tokens."
        )
    lines += [f"Warning: {w}" for w in data.warnings]
    return "\n".join(lines)


def _cost(value: Decimal | None) -> float | None:
    return float(cost_text(value)) if value is not None else None


def _day_json(r: DayRow) -> dict[str, Any]:
    data: dict[str, Any] = {"date": r.day.isoformat(), "model": r.model}
    for column in COUNT_COLUMNS:
        data[column] = r.count(column) if r.counts is not None else None
    data[COLUMNS[9]] = _cost(r.cost)
    data[COLUMNS[10]] = r.peak_five_hour
    data[COLUMNS[11]] = r.peak_weekly
    return data


def _period_json(p: Period) -> dict[str, Any]:
    return {
        "period": p.label,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "partial": p.partial,
        "sessions": p.sessions,
        "api_calls": p.api_calls,
        "output_tokens": p.output_tokens,
        "cost_usd": _cost(p.cost),
        "unpriced_models": sorted(p.unpriced_models),
        "tokens_unknown": p.tokens_unknown,
        "peak_5h_pct": p.peak_five_hour,
        "peak_weekly_pct": p.peak_weekly,
        "calibration": dict(sorted(p.calibration.items())),
    }


def report_json(data: ReportData) -> dict[str, Any]:
    """The JSON document: periods, the daily rows behind them, each type's %/unit series, the rollup."""
    return {
        "since": data.since.isoformat(),
        "until": data.until.isoformat(),
        "by": data.by,
        "periods": [_period_json(p) for p in data.periods],
        "days": [_day_json(r) for rows in data.days.values() for r in rows],
        "task_types": [
            {
                "name": s.name,
                "unit": s.unit,
                "averages": [{"at": at.isoformat(), "pct_per_unit": v} for at, v in s.averages],
                "samples": [{"at": at.isoformat(), "pct_per_unit": round(v, 4)} for at, v in s.samples],
            }
            for s in data.types
        ],
        "rollup": {
            "written": [d.isoformat() for d in data.rollup.written],
            "corrected": [d.isoformat() for d in data.rollup.corrected],
            "kept": [d.isoformat() for d in data.rollup.kept],
            "commit": data.rollup.sha,
        },
        "warnings": data.warnings,
        "machine": data.machine,
        "pending_rollups": {name: [d.isoformat() for d in days] for name, days in data.pending.items()},
        "machines": [
            {
                "machine": m.name,
                "sessions": m.sessions,
                "api_calls": m.api_calls,
                "output_tokens": m.output_tokens,
                "cost_usd": _cost(m.cost),
                "unpriced_models": sorted(m.unpriced_models),
                "tokens_unknown": m.tokens_unknown,
                "calibration_samples": m.samples,
            }
            for m in data.machines
        ],
    }
