"""The past, rebuilt from git alone: session figures and calibration moves from commit trailers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ai_budget.journal.gitrepo import Commit, GitRepo
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


# A main window's value as budget.json held it (the claude section or the baseline), in a diff.
_READING = re.compile(r'^\+\s*"(five_hour_util|seven_day_util)":\s*([0-9][0-9.eE+-]*)\s*,?\s*$')


def window_readings(repo: GitRepo, since: datetime | None = None) -> list[tuple[datetime, str, float]]:
    """(commit time, window, utilisation) each time budget.json took on a new 5-hour or weekly value."""
    if not repo.has_head():
        return []
    # One git process for the whole history: each commit's changed lines of budget.json.
    args = ["log", "--format=%x1e%aI", "-p", "-U0", "--no-color", "--no-ext-diff", "--no-renames"]
    if since is not None:
        args.append(f"--since={since.isoformat()}")
    readings = []
    for record in repo.git(*args, "--", "budget.json").split("\x1e")[1:]:
        stamp, _, diff = record.partition("\n")
        try:
            at = datetime.fromisoformat(stamp.strip())
        except ValueError:
            continue
        for line in diff.splitlines():
            found = _READING.match(line)
            if found:
                try:
                    value = float(found[2])
                except ValueError:
                    continue
                readings.append((at, "five_hour" if found[1] == "five_hour_util" else "seven_day", value))
    return readings
