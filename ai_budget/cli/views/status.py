"""`status` for people and scripts: each window, its pace and where it ends, the session, Copilot."""

from __future__ import annotations

from typing import Any

from ai_budget.cli.views.console import console_json, console_line
from ai_budget.cli.views.credits import alert_lines, credits_json, credits_line
from ai_budget.cli.views.journal import copilot_json, copilot_text
from ai_budget.cli.views.severity import routing_json, severity_json
from ai_budget.cli.views.usage import SOURCE_LABEL, window_line
from ai_budget.fmt import money
from ai_budget.session.status import LABELS, Status, WindowStatus
from ai_budget.severity import level, paint
from ai_budget.timeutil import age, countdown, local_clock


def pace_text(w: WindowStatus, status: Status) -> str:
    """'12.5 %/h lately: at this pace it runs out at 16:32, 28 min before the reset' (or the end value)."""
    p = w.pace
    if p.rate_pct_per_hour is None:
        return "pace unknown (too few recent readings)"
    text = f"{p.rate_pct_per_hour:.1f} %/h lately"
    if p.runs_out_at is not None and w.window.resets_at is not None:
        before = countdown(w.window.resets_at, p.runs_out_at)
        out = local_clock(p.runs_out_at, status.now)
        text += f": at this pace it runs out at {out}, {before} before the reset"
    elif p.projected_at_reset is not None:
        text += f": at this pace it ends the window at about {p.projected_at_reset:.0f} %"
    if w.tokens_per_hour is not None:
        text += f" ({w.tokens_per_hour:,.0f} output tokens/h this window)"
    return text


def status_text(status: Status, colour: bool = False) -> str:
    """`status` for a person."""
    if status.usage is None:
        lines = [f"Claude usage: unknown ({status.error})"]
    else:
        snap = status.usage
        shown = paint(status.severity.describe(), status.severity.level, colour)
        lines = [
            f"Claude usage ({SOURCE_LABEL[snap.source]}, {local_clock(snap.observed_at, status.now)}, "
            f"{age(snap.observed_at, status.now)} old): severity {shown}"
        ]
        for w in status.windows:
            lines.append(window_line(LABELS[w.name], w.window, status.now, label_width=7))
            lines.append(f"          {pace_text(w, status)}")
        if snap.error:
            lines.append(f"  ({snap.error})")
    if status.session is not None and status.session.session_id:
        t = status.session.total
        lines.append(
            f"Session {status.session.session_id[:8]}: {t.output_tokens:,} output tokens, "
            f"{t.exchanges:,} API calls, {money(t.cost)} API-equivalent"
        )
    if status.copilot is not None:
        lines.append(copilot_text(status.copilot))
    if status.credits is not None:
        lines.append(credits_line(status.credits))
        lines += alert_lines(status.credits)[1:]
    if status.console is not None:
        lines.append(console_line(status.console))
    elif status.console_error:
        lines.append(f"Console: unknown ({status.console_error})")
    return "\n".join(lines)


def status_json(status: Status) -> dict[str, Any]:
    """`status --json`."""
    snap = status.usage
    windows = []
    for w in status.windows:
        windows.append(
            {
                "name": w.name,
                "utilization": w.window.utilization,
                "level": level(w.window.utilization, status.bounds),
                "resets_at": w.window.resets_at.isoformat() if w.window.resets_at else None,
                "rate_pct_per_hour": w.pace.rate_pct_per_hour,
                "projected_at_reset": w.pace.projected_at_reset,
                "runs_out_at": w.pace.runs_out_at.isoformat() if w.pace.runs_out_at else None,
                "output_tokens_per_hour": w.tokens_per_hour,
                "source": snap.source if snap else None,
                "age_seconds": round((status.now - snap.observed_at).total_seconds()) if snap else None,
            }
        )
    session = status.session.as_dict() if status.session is not None else None
    return {
        "windows": windows,
        "severity": severity_json(status.severity),
        "error": status.error,
        "session": session,
        "copilot": copilot_json(status.copilot) if status.copilot is not None else None,
        "routing": routing_json(status.route),
        "credits": credits_json(status.credits) if status.credits is not None else None,
        "console": console_json(status.console) if status.console is not None else None,
        "console_error": status.console_error,
        "check": status.exit_code,
    }
