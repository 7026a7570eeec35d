"""`prices` for a person: the table in force, where it came from, and what has no price."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ai_budget.cli.views.table import table

if TYPE_CHECKING:
    from ai_budget.claude.price_import import Update
    from ai_budget.claude.price_report import PriceReport, Row

HEADER = ("model", "ids", "since", "input", "output", "5m write", "1h write", "cache read", "fast", "from")


def _num(value: Decimal) -> str:
    """A rate as the pricing page writes it: no trailing zeros, at least cents (0.10, 2.50, 8)."""
    text = f"{value.normalize():f}"
    whole, _, frac = text.partition(".")
    return text if not frac or len(frac) >= 2 else f"{whole}.{frac}0"


def _cells(r: Row) -> list[tuple[str, ...]]:
    """A period's line, and under it its band's."""
    p = r.period
    fast = f"×{p.fast.normalize():f}" if p.fast is not None else ""
    since = p.since.isoformat() if p.since else "-"
    line = (p.name, ", ".join(r.ids), since, *(_num(v) for v in p.rates), fast, p.origin)
    if p.band is None:
        return [line]
    over = f"  over {p.band.above:,} prompt tokens"
    return [line, ("", over, "", *(_num(v) for v in p.band.rates), "", "")]


def render(report: PriceReport) -> str:
    """The table and the notes under it."""
    rows = [HEADER] + [cells for r in report.rows for cells in _cells(r)]
    lines = [
        f"Prices in force, USD per million tokens (the shipped table was read on {report.read};"
        " docs/prices.md lists its sources)",
        "",
        table(rows, right={3, 4, 5, 6, 7}),
        "",
    ]
    geo = ", ".join(f'×{v.normalize():f} for "{k}"' for k, v in sorted(report.geo.items()) if v != 1)
    lines.append(f"inference_geo: every token price {geo}. Web search ${_num(report.web_search)} a request.")
    if report.update:
        u = report.update
        lines.append(f"Updated table: {u['dataset']} from {u['from']} ({u['fetched']}), in {u['file']}.")
    if report.overrides:
        lines.append(f"settings.prices in {report.budget}: {report.overrides} item(s), applied last.")
    lines += _gaps(report)
    return "\n".join(lines)


def _gaps(report: PriceReport) -> list[str]:
    """What in the transcripts has no price, and how to give it one."""
    if report.transcripts is None:
        return []
    if not report.transcripts:
        return ["No Claude Code transcripts found: nothing to look through for unpriced models."]
    if not report.unpriced:
        return ["Every model in your transcripts has a price."]
    lines = ["No price known for (counted in tokens, never at $0):"]
    lines += [f"  {u.model}: {u.calls:,} call(s): {u.why}" for u in report.unpriced]
    lines.append(
        "Give them one in budget.json's settings.prices (docs/prices.md), or `ai-budget prices update`."
    )
    return lines


def render_update(result: Update) -> str:
    """What `prices update` read and changed."""
    lines = [
        f"Read {len(result.models)} model id(s) from {result.source} ({result.dataset}); "
        f"written to {result.path}: they now replace the shipped prices of those ids."
    ]
    if result.changed:
        lines.append("Changed prices (today's rates):")
        lines += [f"  {c}" for c in result.changed]
    else:
        lines.append("No price in force today changed.")
    if result.skipped:
        lines.append("Left out (no usable price):")
        lines += [f"  {s}" for s in result.skipped]
    return "\n".join(lines)
