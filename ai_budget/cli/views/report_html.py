"""`report --html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape

from ai_budget.cli.views.report import (
    MACHINE_HEAD,
    UNKNOWN_NOTE,
    calibration_text,
    machine_cells,
    pending_notes,
    period_cells,
    total_period,
)
from ai_budget.cli.views.report_svg import PALETTE, Frame, attrs, label_room, line_series, nice_max, num
from ai_budget.fmt import money
from ai_budget.session.report import ReportData, TypeSeries

WIDTH = 1040
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2327;
       margin: 24px auto; max-width: 1080px; padding: 0 16px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 6px; }
h3 { font-size: 14px; margin: 14px 0 2px; } .sub, .note { color: #50575e; margin: 0 0 8px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e2e4e7; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th { background: #f6f7f7; font-weight: 600; } tr.total td { font-weight: 600; border-top: 2px solid #c3c4c7; }
tr.partial td:first-child::after { content: " (so far)"; color: #50575e; font-weight: normal; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 2px 0 4px; padding: 0; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; font-size: 13px; }
.swatch { width: 12px; height: 12px; border-radius: 2px; display: inline-block; }
.swatch.dot { border-radius: 50%; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #50575e; }
svg .ylabel { text-anchor: end; } svg .xlabel { text-anchor: middle; }
svg .grid { stroke: #e2e4e7; stroke-width: 1; } svg .axis { stroke: #8c8f94; stroke-width: 1; }
svg .line { stroke-width: 2; } svg .gap { stroke-width: 1.5; stroke-dasharray: 4 4; opacity: 0.6; }
svg .average { stroke-width: 2; fill: none; }
svg .sample { stroke: #fff; stroke-width: 1; }
.types { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 4px 24px; }
"""
WINDOWS = (("five_hour", "5-hour window", PALETTE[0]), ("seven_day", "weekly window", PALETTE[5]))


def _days(data: ReportData) -> list[date]:
    return [data.since + timedelta(days=i) for i in range((data.until - data.since).days + 1)]


def _day_labels(days: list[date]) -> list[str]:
    """`11-20` along the x axis, `2025-11-20` once the range passes a year end (the year matters)."""
    if days and days[0].year != days[-1].year:
        return [d.isoformat() for d in days]
    return [f"{d:%m-%d}" for d in days]


def _legend(items: list[tuple[str, str]], dots: bool = False) -> str:
    cls = "swatch dot" if dots else "swatch"
    rows = "".join(
        f'<li><span class="{cls}" style="background:{colour}"></span>{escape(name)}</li>'
        for name, colour in items
    )
    return f'<ul class="legend">{rows}</ul>'


def peaks_chart(data: ReportData) -> str:
    """Each day's highest 5-hour and weekly reading, one line each."""
    days = _days(data)
    series: dict[str, list[tuple[float, float, str]]] = {name: [] for name, _, _ in WINDOWS}
    for slot, day in enumerate(days):
        rows = data.days.get(day, [])
        for name, label, _ in WINDOWS:
            values = [
                v
                for r in rows
                if (v := r.peak_five_hour if name == "five_hour" else r.peak_weekly) is not None
            ]
            if values:
                series[name].append((slot, max(values), f"{day}: {label} peaked at {max(values):g}%"))
    if not any(series.values()):
        return '<p class="note">No utilisation readings in this range.</p>'
    top = max(100.0, *(v for points in series.values() for _, v, _ in points))
    frame = Frame(WIDTH, 260, len(days), nice_max(top))
    frame.axes(_day_labels(days), "%")
    for name, _, colour in WINDOWS:
        if series[name]:
            frame.parts.append(line_series(frame, series[name], colour, data_series=name))
    legend = _legend([(label, colour) for _, label, colour in WINDOWS], dots=True)
    return legend + frame.svg("Peak utilisation per day")


def _cost_notes(data: ReportData) -> str:
    """What the cost chart cannot show: models with no price, days whose tokens are unknown."""
    unpriced = sorted({m for p in data.periods for m in p.unpriced_models})
    notes = (
        [f"No price known for {', '.join(unpriced)}: in the table's tokens, not in this chart."]
        if unpriced
        else []
    )
    if any(p.tokens_unknown for p in data.periods):
        notes.append(UNKNOWN_NOTE + ".")
    notes += [note + "." for note in pending_notes(data)]
    return "".join(f'<p class="note">{escape(n)}</p>' for n in notes)


def cost_chart(data: ReportData) -> str:
    """API-equivalent cost per day, a bar per day stacked by model (one group per model)."""
    return _cost_bars(data) + _cost_notes(data)


def _cost_bars(data: ReportData) -> str:
    days = _days(data)
    costs: dict[str, dict[int, Decimal]] = {}
    for slot, day in enumerate(days):
        for r in data.days.get(day, []):
            if r.cost is not None and r.cost > 0:
                costs.setdefault(r.model, {})[slot] = costs.get(r.model, {}).get(slot, Decimal(0)) + r.cost
    if not costs:
        return '<p class="note">No priced tokens in this range.</p>'
    totals = [sum((c.get(slot, Decimal(0)) for c in costs.values()), Decimal(0)) for slot in range(len(days))]
    top = nice_max(float(max(totals)))
    frame = Frame(WIDTH, 280, len(days), top, left=label_room(top, "$"))
    frame.axes(_day_labels(days), "$")
    stacked = [0.0] * len(days)
    width = max(min(frame.slot_width() * 0.7, 36), 1.0)  # years of days: a bar a pixel wide
    colours = {model: PALETTE[i % len(PALETTE)] for i, model in enumerate(sorted(costs))}
    for model in sorted(costs):
        group = [f'<g class="series"{attrs(data_model=model)} fill="{colours[model]}">']
        for slot, cost in sorted(costs[model].items()):
            low, high = stacked[slot], stacked[slot] + float(cost)
            stacked[slot] = high
            y_top, y_low = frame.y(high), frame.y(low)
            group.append(
                f'<rect x="{num(frame.x(slot) - width / 2)}" y="{num(y_top)}" width="{num(width)}"'
                f' height="{num(max(y_low - y_top, 0.5))}"{attrs(data_day=days[slot], data_cost=cost)}>'
                f"<title>{escape(f'{days[slot]} {model}: {money(cost)}')}</title></rect>"
            )
        group.append("</g>")
        frame.parts.append("\n".join(group))
    legend = _legend([(model, colours[model]) for model in sorted(costs)])
    return legend + frame.svg("API-equivalent cost per day by model")


def type_chart(data: ReportData, series: TypeSeries, colour: str) -> str:
    """One task type: its average %/unit after each sample (a line) and each sample (a dot)."""
    days = _days(data)

    def slot(at: datetime) -> float:
        # The day's slot, moved within it by the time of day, so two samples a day stay apart.
        return (at.date() - data.since).days - 0.4 + 0.8 * (at.hour * 60 + at.minute) / 1440

    values = [v for _, v in series.averages] + [v for _, v in series.samples]
    top = nice_max(max(values) * 1.1)
    frame = Frame(WIDTH // 2 - 12, 200, len(days), top, left=label_room(top, "%"), lower=26)
    frame.axes(_day_labels(days), "%")
    if len(series.averages) > 1:
        d = " ".join(
            f"{'M' if i == 0 else 'L'}{num(frame.x(slot(at)))},{num(frame.y(v))}"
            for i, (at, v) in enumerate(series.averages)
        )
        frame.parts.append(f'<path class="average"{attrs(data_type=series.name)} stroke="{colour}" d="{d}"/>')
    elif series.averages:  # one average (its samples came before the range or before trailers): a tick
        at, v = series.averages[0]
        x, y = frame.x(slot(at)), num(frame.y(v))
        d = f"M{num(x - 8)},{y} L{num(x + 8)},{y}"
        frame.parts.append(f'<path class="average"{attrs(data_type=series.name)} stroke="{colour}" d="{d}"/>')
    dots = [f'<g class="samples"{attrs(data_type=series.name)} fill="{colour}">']
    for at, value in series.samples:
        tip = f"{at:%Y-%m-%d %H:%M}: {value:.2f}%/{series.unit}"
        dots.append(
            f'<circle class="sample" cx="{num(frame.x(slot(at)))}" cy="{num(frame.y(value))}" r="4"'
            f"{attrs(data_value=f'{value:.4f}')}><title>{escape(tip)}</title></circle>"
        )
    dots.append("</g>")
    frame.parts.append("\n".join(dots))
    return frame.svg(f"{series.name}: % of the 5-hour window per {series.unit}")


def types_section(data: ReportData) -> str:
    """A small chart per task type that has samples in the range."""
    shown = [s for s in data.types if s.averages or s.samples]
    if not shown:
        return '<p class="note">No calibration samples in this range.</p>'
    parts = ['<div class="types">']
    for i, series in enumerate(shown):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<div class="type"{attrs(data_type=series.name)}><h3>{escape(series.name)}'
            f" <small>(% per {escape(series.unit)}; line: the average, dots: each sample)</small></h3>"
            f"{type_chart(data, series, colour)}</div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def _table(head: tuple[str, ...], rows: list[tuple[str, tuple[str, ...]]], text: set[int]) -> str:
    """An HTML table: a head row, then each row's cells (with its class, if any); `text`: the columns
    aligned left."""

    def cls(i: int) -> str:
        return "text" if i in text else ""

    lines = ["<tr>" + "".join(f'<th class="{cls(i)}">{escape(h)}</th>' for i, h in enumerate(head)) + "</tr>"]
    for row_class, cells in rows:
        attr = f' class="{row_class}"' if row_class else ""
        tds = "".join(f'<td class="{cls(i)}">{escape(c)}</td>' for i, c in enumerate(cells))
        lines.append(f"<tr{attr}>{tds}</tr>")
    return "<table>\n" + "\n".join(lines) + "\n</table>"


def summary_table(data: ReportData) -> str:
    """The periods as a table, the same figures the text report prints."""
    head = ("period", "sessions", "API calls", "output tokens", "cost", "peak 5h", "peak week", "calibration")
    shown = data.periods + ([total_period(data)] if len(data.periods) > 1 else [])
    kind = {p.label: "partial" if p.partial else "total" if p.label == "total" else "" for p in shown}
    rows = [(kind[p.label], period_cells(p)) for p in shown]
    return _table(head, rows, {0, 7})


def machines_section(data: ReportData) -> str:
    """Each machine's part of the range (a synced journal's), the figures the text report's By machine
    table shows; nothing for a journal of one machine."""
    if len(data.machines) < 2:
        return ""
    head = MACHINE_HEAD[:3] + ("output tokens",) + MACHINE_HEAD[4:]
    table = _table(head, [("", machine_cells(m)) for m in data.machines], {0})
    return "<h2>By machine</h2>\n" + table


def report_html(data: ReportData, generated: datetime) -> str:
    """The whole page."""
    title = f"ai-budget report {data.since} to {data.until}" + (f", {data.machine}" if data.machine else "")
    calibrated = calibration_text(total_period(data).calibration)
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="sub">By {escape(data.by)}; from the daily rollups in the journal (usage/*.csv) and its'
        f" session commits; today counts as far as it has got. Made {generated:%Y-%m-%d %H:%M}.</p>",
        "<h2>Peak utilisation per day</h2>",
        peaks_chart(data),
        "<h2>API-equivalent cost per day, by model</h2>",
        cost_chart(data),
        "<h2>Calibration: % of the 5-hour window per unit, by task type</h2>",
        f'<p class="note">Samples in this range: {escape(calibrated)}.</p>' if calibrated else "",
        types_section(data),
        f"<h2>Per {escape(data.by)}</h2>",
        summary_table(data),
        machines_section(data),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
