"""The past, rebuilt from git alone: session figures and calibration moves from commit trailers."""

from __future__ import annotations

from typing import Any

from ai_budget.calibration import parse_trailer
from ai_budget.journal import Commit


def session_figures(commit: Commit) -> dict[str, Any] | None:
    """The figures a session commit carries in its trailers."""
    if commit.trailer("Five-Hour-Delta") is None:
        return None

    def number(key: str) -> float | str | None:
        value = commit.trailer(key)
        try:
            return float(value) if value is not None else None
        except ValueError:
            return value  # "reset" or "unknown"

    tasks = commit.trailer("Tasks") or "none"
    return {
        "started_at": commit.trailer("Session-Start"),
        "five_hour_delta": number("Five-Hour-Delta"),
        "seven_day_delta": number("Seven-Day-Delta"),
        "output_tokens": number("Output-Tokens"),
        "cost_usd": number("Cost-USD"),
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

            def num(field: str, fields: dict[str, str] = fields) -> float | None:
                raw = fields.get(field, "-")
                return None if raw == "-" else float(raw)

            rows.append(
                {
                    "date": c.date,
                    "sha": c.sha,
                    "message": c.subject,
                    "samples": int(fields.get("samples", "0")),
                    "units": num("units"),
                    "pct_per_unit": num("pct_per_unit"),
                    "tokens_per_unit": num("tokens_per_unit"),
                }
            )
    return rows
