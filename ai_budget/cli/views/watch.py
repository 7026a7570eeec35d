"""The `watch` screen: the status, and a chart of the 5-hour window over the last hours with a % scale
and a time axis, as wide as the terminal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ai_budget.cli.views.console import console_line
from ai_budget.cli.views.credits import credits_line
from ai_budget.cli.views.status import pace_text
from ai_budget.cli.views.usage import SOURCE_LABEL, bar
from ai_budget.fmt import money, pct
from ai_budget.session.status import LABELS, Status
from ai_budget.severity import RICH, level
from ai_budget.timeutil import age, countdown, local_clock

BLOCKS = " ▁▂▃▄▅▆▇█"
CHART_HOURS = 5
CHART_ROWS = 5  # 20 % a row
AXIS = 5  # "100%┤"
ALERT_STYLE = {"CRITICAL": "red", "WARNING": "dark_orange", "CAUTION": "yellow"}
MIN_WIDTH = 40


def columns(points: list[tuple[datetime, float]], now: datetime, width: int) -> list[float | None]:
    """The last CHART_HOURS in `width` columns: each the highest reading in it, else the one before
    (a window holds its value between readings); None before the first reading."""
    start = now - timedelta(hours=CHART_HOURS)
    step = (now - start) / width
    found: list[float | None] = [None] * width
    for at, value in points:
        if start <= at <= now:
            i = min(int((at - start) / step), width - 1)
            found[i] = max(value, found[i] or 0.0)
    last: float | None = None
    for i, column in enumerate(found):
        last = found[i] = column if column is not None else last
    return found


def _cell(value: float | None, low: float, high: float) -> str:
    """The block for one row (low to high %) of one column."""
    if value is None or value <= low:
        return " "
    if value >= high:
        return BLOCKS[-1]
    return BLOCKS[min(int((value - low) / (high - low) * (len(BLOCKS) - 1)), len(BLOCKS) - 2) + 1]


def _hours(now: datetime, width: int) -> list[tuple[int, datetime]]:
    """(column, time) of each whole hour inside the chart."""
    start = now - timedelta(hours=CHART_HOURS)
    hour = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    found = []
    while hour < now:
        found.append((int((hour - start) / (now - start) * width), hour))
        hour += timedelta(hours=1)
    return found


def _time_axis(now: datetime, width: int) -> tuple[str, str]:
    """The axis line with a tick at each whole hour, and under it each hour's local time (those that
    fit) and `now` at the right end when there is room: `now` wins over the newest hour's label, which
    would sit at the right end in the first minutes after each hour."""
    line, row, free = ["─"] * width, [" "] * width, 0
    room = width - 4 if width >= 40 else width  # " now" at the end, when the chart is wide enough
    for at, hour in _hours(now, width):
        line[at] = "┬"
        label = local_clock(hour, now)
        start = max(at - len(label) // 2, 0)
        if start >= free and start + len(label) <= room:
            row[start : start + len(label)] = label
            free = start + len(label) + 1
    if width - 3 >= free:
        row[width - 3 : width] = "now"
    return "  0%└" + "".join(line), " " * AXIS + "".join(row).rstrip()


def chart(points: list[tuple[datetime, float]], now: datetime, width: int) -> list[str]:
    """The 5-hour window over the last CHART_HOURS: CHART_ROWS rows with a % scale, then a time axis."""
    cols = columns(points, now, width)
    lines = []
    for r in range(CHART_ROWS):
        high = 100 * (CHART_ROWS - r) / CHART_ROWS
        low = high - 100 / CHART_ROWS
        lines.append(f"{high:>3.0f}%┤" + "".join(_cell(v, low, high) for v in cols))
    return [*lines, *_time_axis(now, width)]


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


def _windows(status: Status, width: int) -> list[Any]:
    """Each window: its bar in its own level's colour, the value, the reset, then its pace."""
    from rich.text import Text

    lines: list[Any] = []
    bar_width = max(min(20, width - 60), 5)
    for w in status.windows:
        resets = w.window.resets_at
        when = (
            f"resets {local_clock(resets, status.now)}, in {countdown(resets, status.now)}" if resets else ""
        )
        row = Text(f"{LABELS[w.name]:<7} ")
        row.append(
            bar(w.window.utilization, bar_width),
            style=RICH.get(level(w.window.utilization, status.bounds), "white"),
        )
        row.append(f" {pct(w.window.utilization):>6}  {when}")
        lines += [row, Text(f"        {pace_text(w, status)}", style="dim")]
    return lines


def screen(status: Status, points: list[tuple[datetime, float]], interval: float, width: int = 80) -> Any:
    """The rich renderable for one refresh, `width` columns wide (the terminal's)."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    width = max(width, MIN_WIDTH)
    sev = status.severity
    style = RICH.get(sev.level, "white")
    # The severity in full as the first line (a title is cut on a narrow terminal), its level in the title.
    lines: list[Any] = [Text(f"severity {sev.describe()}", style=style)]
    if status.usage is None:
        lines.append(Text(f"Claude usage unknown: {status.error}", style="red"))
    else:
        snap = status.usage
        lines.append(
            Text(f"{SOURCE_LABEL[snap.source]}, {age(snap.observed_at, status.now)} old", style="dim")
        )
        lines += _windows(status, width)
    five = status.usage.five_hour.utilization if status.usage is not None else None
    lines += [Text(""), Text(f"5-hour window, last {CHART_HOURS} h (each column the highest reading)")]
    chart_style = RICH.get(level(five, status.bounds), "white")
    lines += [Text(row, style=chart_style) for row in chart(points, status.now, width - 4 - AXIS)]
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
    title = f"ai-budget watch · {sev.level.upper()} · {local_clock(status.now, status.now)}"
    footer = f"q to quit · refreshes every {interval:g} s"
    return Panel(Group(*lines), title=title, subtitle=footer, border_style=style, width=width)
