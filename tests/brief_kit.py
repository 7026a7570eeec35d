"""What the brief's fast-path tests share: a backlog, a calibration, budget.json sections set by hand,
and a statusline feed at a given time."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from ai_budget import paths
from ai_budget.claude import feeds

BACKLOG = (
    "# Backlog\n\n[M] write the parser {code: 3}\n[H] move the store {code: 20}\n"
    "[L] docs {prose: 1}\n- [x] done\n"
)
CODE = {"code": {"unit": "per file", "samples": 2, "units": 4, "total_5h_pct": 30}}  # 7.5 % a file


def set_budget(journal: Path, **sections: object) -> None:
    """budget.json with these sections merged in (a dict into a dict, anything else replaced)."""
    data = json.loads((journal / paths.BUDGET_FILE).read_text())
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    (journal / paths.BUDGET_FILE).write_text(json.dumps(data))


def feed(claude_dir: Path, at: datetime, five: float, week: float, resets: datetime | None) -> None:
    """The statusline's feed of the two windows, recorded at `at` (the weekly one without a reset)."""
    windows = {
        "five_hour": {"utilization": five, "resets_at": resets.isoformat() if resets else None},
        "seven_day": {"utilization": week, "resets_at": None},
    }
    feeds.record_statusline(claude_dir, windows, at)


# (5-hour %, weekly %, the 5-hour reset from now or None, budget.json sections): briefs that differ.
SCENARIOS = [
    (37.0, 22.0, timedelta(hours=3), {}),  # a plan with a calibrated first task
    (88.0, 40.0, timedelta(minutes=20), {}),  # orange: a checkpoint, better to wait for the reset
    (96.0, 85.0, timedelta(hours=1), {}),  # at the limit, weekly focus
    (60.0, 10.0, -timedelta(minutes=5), {}),  # the reset passed: planned as empty
    (20.0, 10.0, None, {"settings": {"tiers": {"green": 10, "yellow": 15, "orange": 18, "limit": 19}}}),
    (60.0, 91.0, None, {"settings": {"weekly_focus_pct": 90, "safety_margin_pct": 40}}),  # no headroom
    (45.0, 5.0, None, {"settings": {"calibration_half_life": 3}}),  # estimates weigh the history
    (45.0, 5.0, None, {"copilot": {"enabled": False}}),
]
