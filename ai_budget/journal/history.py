"""The past, rebuilt from git alone: session figures and calibration moves from commit trailers (every
machine's, once a journal is synced)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ai_budget.journal import samples
from ai_budget.journal.gitrepo import Commit, GitRepo


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
    """How a type's average moved, oldest first: a row per sample that counts (every machine's, each
    once; withdrawn ones left out), with the sums after it and the sample's own %/unit."""
    by_sha = {c.sha: c for c in commits}
    steps = [s for s in samples.over_time(commits, by_end=True) if s.type.lower() == name.lower()]
    total = samples.Sums()
    rows = []
    for step in steps:
        total.add(step)
        commit = by_sha.get(step.sha)
        tokens = total.tokens / total.token_units if total.token_units else None
        rows.append(
            {
                "date": commit.date if commit is not None else step.at.isoformat(),
                "sha": step.sha,
                "message": commit.subject if commit is not None else "",
                "machine": step.machine,
                "samples": total.samples,
                "units": float(total.units),
                # rounded as the running Calibration trailers always were
                "pct_per_unit": round(float(total.pct / total.units), 4) if total.units else None,
                "tokens_per_unit": round(float(tokens), 1) if tokens is not None else None,
                "sample_pct_per_unit": float(step.pct / step.units),
            }
        )
    return rows


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
