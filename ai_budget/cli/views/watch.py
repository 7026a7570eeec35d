"""The `watch` screen: the status, a chart of the 5-hour window over the last hours, in 80×24."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ai_budget.cli.views.console import console_line
from ai_budget.cli.views.credits import credits_line
from ai_budget.cli.views.status import pace_text
from ai_budget.cli.views.usage import SOURCE_LABEL, bar
from ai_budget.fmt import money, pct
from ai_budget.session.status import LABELS, Status
from ai_budget.timeutil import age, countdown, local_clock

BLOCKS = "▁▂▃▄▅▆▇█"
CHART_WIDTH = 60
CHART_HOURS = 5
TIER_STYLE = {"green": "green", "yellow": "yellow", "orange": "dark_orange", "red": "red"}
ALERT_STYLE = {"CRITICAL": "red", "WARNING": "dark_orange", "CAUTION": "yellow"}


def sparkline(points: list[tuple[datetime, float]], now: datetime, width: int = CHART_WIDTH) -> str:
    """The last CHART_HOURS of a window as one row of blocks (the highest reading in each column)."""
    start = now - timedelta(hours=CHART_HOURS)
    step = (now - start) / width
    columns: list[float | None] = [None] * width
    for at, value in points:
        if start <= at <= now:
            i = min(int((at - start) / step), width - 1)
            columns[i] = max(value, columns[i] or 0.0)
    last: float | None = None
    cells = []
    for column in columns:
        last = column if column is not None else last  # a window holds its value between readings
        cells.append(" " if last is None else BLOCKS[min(int(last / 100 * len(BLOCKS)), len(BLOCKS) - 1)])
    return "".join(cells)


def _api_accounts(status: Status) -> list[Any]:
    """The prepaid credits and their alerts, and the Console's month, when they are set up."""
    from rich.text import Text

    lines: list[Any] = []
    if status.credits is not None:
        lines.append(Text(credits_line(status.credits)))
        for alert in status.credits.forecast.alerts:
            lines.append(Text(f"  {alert.level}: {alert.reason}", style=ALERT_STYLE[alert.level]))
        lines += [Text(f"  ({problem})", style="dim") for problem in status.credits.alert_problems]
    if status.console is not None:
        lines.append(Text(console_line(status.console)))
    elif status.console_error:
        lines.append(Text(f"Console: unknown ({status.console_error})", style="dim"))
    return lines


def screen(status: Status, chart: list[tuple[datetime, float]], interval: float) -> Any:
    """The rich renderable for one refresh."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    style = TIER_STYLE.get(status.tier, "white")
    lines: list[Any] = []
    if status.usage is None:
        lines.append(Text(f"Claude usage unknown: {status.error}", style="red"))
    else:
        snap = status.usage
        lines.append(
            Text(f"{SOURCE_LABEL[snap.source]}, {age(snap.observed_at, status.now)} old", style="dim")
        )
        for w in status.windows:
            resets = w.window.resets_at
            when = (
                f"resets {local_clock(resets, status.now)}, in {countdown(resets, status.now)}"
                if resets
                else ""
            )
            row = Text(f"{LABELS[w.name]:<7} ")
            row.append(bar(w.window.utilization, 20), style=style)
            row.append(f" {pct(w.window.utilization):>6}  {when}")
            lines += [row, Text(f"        {pace_text(w, status)}", style="dim")]
    lines += [Text(""), Text(f"5-hour window, last {CHART_HOURS} h (each block the highest reading)")]
    lines.append(Text(sparkline(chart, status.now), style=style))
    if status.session is not None and status.session.session_id:
        t = status.session.total
        lines.append(
            Text(
                f"Session {status.session.session_id[:8]}: {t.output_tokens:,} output tokens, {money(t.cost)}"
            )
        )
    if status.copilot is not None and status.copilot.section.premium_requests_used is not None:
        c = status.copilot.section
        lines.append(
            Text(f"Copilot: {c.premium_requests_used}/{c.premium_requests_limit} {status.copilot.label}")
        )
    lines += _api_accounts(status)
    title = f"ai-budget watch · tier {status.tier.upper()} · {local_clock(status.now, status.now)}"
    footer = f"q to quit · refreshes every {interval:g} s"
    return Panel(Group(*lines), title=title, subtitle=footer, border_style=style, width=80)
