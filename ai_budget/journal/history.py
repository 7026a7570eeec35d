"""The past, rebuilt from git alone: session figures and calibration moves from commit trailers."""

from __future__ import annotations

from typing import Any

from ai_budget.journal.gitrepo import Commit
from ai_budget.model.calibration import parse_trailer


def _number(value: str | None) -> float | str | None:
    """A trailer's figure as a number; words such as "reset" or "unknown" stay words."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return value


def session_figures(commit: Commit) -> dict[str, Any] | None:
    """The figures a session commit carries in its trailers."""
    if commit.trailer("Five-Hour-Delta") is None:
        return None
    tasks = commit.trailer("Tasks") or "none"
    return {
        "started_at": commit.trailer("Session-Start"),
        "five_hour_delta": _number(commit.trailer("Five-Hour-Delta")),
        "seven_day_delta": _number(commit.trailer("Seven-Day-Delta")),
        "output_tokens": _number(commit.trailer("Output-Tokens")),
        "cost_usd": _number(commit.trailer("Cost-USD")),
        "tasks": {} if tasks == "none" else dict(p.split("=", 1) for p in tasks.split("; ") if "=" in p),
    }


def calibration_history(name: str, commits: list[Commit]) -> list[dict[str, Any]]:
    """How a type's average moved, oldest first, from the Calibration trailers."""
    rows = []
    for c in reversed(commits):
        for key, value in c.trailers:
            if key != "Calibration":
                continue
            type_name, fields = parse_trailer(value)
            if type_name.lower() != name.lower():
                continue
            rows.append(
                {
                    "date": c.date,
                    "sha": c.sha,
                    "message": c.subject,
                    "samples": int(fields.get("samples", "0")),
                    "units": _field(fields, "units"),
                    "pct_per_unit": _field(fields, "pct_per_unit"),
                    "tokens_per_unit": _field(fields, "tokens_per_unit"),
                }
            )
    return rows


def _field(fields: dict[str, str], name: str) -> float | None:
    raw = fields.get(name, "-")
    return None if raw == "-" else float(raw)
