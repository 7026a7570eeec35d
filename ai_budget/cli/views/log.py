"""What `log` prints: the session section as written (or its JSON), and where it went."""

from __future__ import annotations

from typing import Any

from ai_budget.cli.views.usage import usage_json
from ai_budget.session.markdown import copilot_line
from ai_budget.session.results import LogResult


def log_json(result: LogResult) -> dict[str, Any]:
    """`log --json`."""
    # Here, not at the top: the journal's views (its git history, the limits) are not the plain log's.
    from ai_budget.cli.views.journal import calibration_json

    m, d = result.measured, result.decided
    return {
        "started_at": m.started_at.isoformat(),
        "ended_at": m.ended_at.isoformat(),
        "baseline": m.baseline.model_dump(mode="json") if m.baseline is not None else None,
        "baseline_note": m.baseline_note,
        "end": usage_json(m.end) if m.end is not None else None,
        "end_note": m.end_note,
        "window_reset": m.deltas.window_reset,
        "five_hour_delta": m.deltas.five_hour,
        "seven_day_delta": m.deltas.seven_day,
        "tokens": m.tokens.as_dict() if m.tokens is not None else None,
        # The Claude Code session logged, what this record adds to it, and Claude Code's own cost figure.
        "session_id": m.session_id,
        "recorded": m.recorded,
        "client_cost_usd": m.client_cost,
        "shared_with": m.shared_with,
        "newest_session": m.newest.as_dict() if m.newest is not None else None,
        "items": [
            {
                "type": i.type,
                "units": i.units,
                "description": i.description,
                "share": round(i.share, 6),
                "five_hour_pct": i.pct,
                "output_tokens": i.output_tokens,
            }
            for i in d.items
        ],
        "calibration": [
            {
                "type": c.name,
                "before": calibration_json(c.name, c.before),
                "after": calibration_json(c.name, c.after),
            }
            for c in d.changes
        ],
        "calibration_note": d.calibration_note,
        "copilot": copilot_line(d.copilot),
        "gemini": result.gemini,
        "backlog_done": [t.label() for t in result.moved],
        "session_file": result.session_file,
        "commit": result.commit,
        "tokens_note": m.tokens_note,
    }


def log_text(result: LogResult) -> str:
    """`log` for a person: the session section as written, and where."""
    head = f"Logged to {result.session_file}"
    if result.commit:
        head += f" (commit {result.commit[:7]})"
    return f"{head}\n\n{result.markdown.rstrip()}"
