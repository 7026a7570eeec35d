"""The fast paths (the statusline, `hook prompt`) read plain JSON instead of the models: each fact
they share with the slow path must say the same thing on both."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ai_budget import paths
from ai_budget.claude import feeds, local_sources, usage_cache
from ai_budget.integrations import fast_hooks
from ai_budget.journal.journal import Journal
from ai_budget.model import usage
from ai_budget.session import status
from ai_budget.severity import WINDOWS, thresholds
from ai_budget.timeutil import now

SOON = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_window_names_are_the_severitys() -> None:
    assert fast_hooks.LABELS == WINDOWS == status.LABELS
    assert tuple(WINDOWS) == feeds.WINDOWS


def test_the_utilisation_bound_is_the_models() -> None:
    assert fast_hooks.MAX_UTILIZATION == usage.MAX_UTILIZATION


@pytest.mark.parametrize(
    "window",
    [
        {"utilization": 37.5, "resets_at": SOON.isoformat()},
        {"utilization": 0, "resets_at": None},
        {"utilization": None, "resets_at": None},
        {"utilization": 200, "resets_at": "2030-01-02T03:04:05Z"},
        {"utilization": 200.5, "resets_at": None},
        {"utilization": -1, "resets_at": None},
        {"utilization": "NaN", "resets_at": None},
        {"utilization": 50, "resets_at": "not a time"},
        {"utilization": 50, "resets_at": 1893553445},
        {"resets_at": None},
    ],
)
def test_a_window_is_read_as_the_model_reads_it(window: dict) -> None:
    """Accepted by both with the same values, or refused by both."""
    body = {"five_hour": window, "seven_day": {"utilization": 1.0}}
    try:
        model = usage.UsageResponse.model_validate(body).five_hour
        wanted: tuple | None = (model.utilization, model.resets_at)
    except ValueError:
        wanted = None
    try:
        got: tuple | None = fast_hooks.window(body, "five_hour")
    except ValueError:
        got = None
    assert got == wanted


def _sources(claude_dir: Path, home: Path) -> None:
    """All three local sources, each with its own age and values."""
    moment = now()
    feeds.record_statusline(
        claude_dir,
        {
            "five_hour": {"utilization": 41.0, "resets_at": SOON.isoformat()},
            "seven_day": {"utilization": 9.0},
        },
        moment - timedelta(minutes=3),
    )
    cached = {
        "fetchedAtMs": (moment - timedelta(minutes=1)).timestamp() * 1000,
        "utilization": {"five_hour": {"utilization": 44.0}, "seven_day": {"utilization": 10.0}},
    }
    (home / ".claude.json").write_text(json.dumps({"cachedUsageUtilization": cached}))
    body = {"five_hour": {"utilization": 47.0, "resets_at": None}, "seven_day": {"utilization": 12.0}}
    usage_cache.remember(
        claude_dir,
        usage.Snapshot(usage.UsageResponse.model_validate(body), moment - timedelta(minutes=2), "api"),
    )


def test_the_prompt_hooks_readings_are_the_local_sources(home: Path, claude_dir: Path) -> None:
    _sources(claude_dir, home)
    slow = [
        (s.observed_at, {n: (getattr(s, n).utilization, getattr(s, n).resets_at) for n in WINDOWS})
        for s in local_sources.all_local(claude_dir)
    ]
    assert len(slow) == 3
    assert fast_hooks.readings(claude_dir) == slow


def test_an_odd_source_is_left_out_by_both(home: Path, claude_dir: Path) -> None:
    _sources(claude_dir, home)
    feeds.feed_file(claude_dir).write_text(
        json.dumps({"observed_at": now().isoformat(), "five_hour": {"utilization": 900}, "seven_day": {}})
    )
    assert len(local_sources.all_local(claude_dir)) == len(fast_hooks.readings(claude_dir)) == 2


def test_the_settings_the_fast_paths_read_are_the_models(journal: Path) -> None:
    data = json.loads((journal / paths.BUDGET_FILE).read_text())
    data.setdefault("settings", {})["tiers"] = {"green": 30, "yellow": 60, "orange": 90, "limit": 99}
    (journal / paths.BUDGET_FILE).write_text(json.dumps(data))
    model = Journal.open(journal).read_budget().settings.tiers
    from_model = (model.green, model.yellow, model.orange, model.limit)
    assert tuple(thresholds(fast_hooks.budget_settings())) == from_model == (30, 60, 90, 99)


def test_hook_prompt_imports_neither_click_nor_pydantic_nor_git(journal: Path, claude_dir: Path) -> None:
    windows = {"five_hour": {"utilization": 85.0, "resets_at": None}, "seven_day": {"utilization": 1.0}}
    feeds.record_statusline(claude_dir, windows, now())
    code = (
        "import sys\n"
        "sys.argv = ['ai-budget', 'hook', 'prompt']\n"
        "from ai_budget.entry import main\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('click', 'pydantic', 'git', 'ai_budget.journal') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input="{}", capture_output=True, text=True)
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        "ai-budget: 5-hour window at 85 %: finish the current step, then suggest /budget-log.",
        "heavy: []",
    ]


def test_the_statusline_imports_neither_click_nor_pydantic_nor_git(journal: Path) -> None:
    payload = {"session_id": "s1", "cost": {"total_cost_usd": 0.5}, "rate_limits": {}}
    code = (
        "import sys\n"
        "sys.argv = ['ai-budget', 'statusline', '--no-color']\n"
        "from ai_budget.entry import main\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('click', 'pydantic', 'git', 'ai_budget.journal') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=json.dumps(payload), capture_output=True, text=True
    )
    assert done.stderr == ""
    assert done.stdout.splitlines()[-1] == "heavy: []"
    from ai_budget.session import state

    assert state.client_cost(journal, "s1") == 0.5  # it did keep the cost, through the light module


def test_an_unchanged_cost_is_not_written_again(journal: Path) -> None:
    from ai_budget.session import names

    first, later = now(), now() + timedelta(minutes=5)
    names.record_client_cost(journal, "s2", 0.25, first)
    path = names.client_cost_file(journal, "s2")
    names.record_client_cost(journal, "s2", 0.25, later)
    assert json.loads(path.read_text())["at"] == first.isoformat()  # the same figure: the file stays
    names.record_client_cost(journal, "s2", 0.5, later)
    assert json.loads(path.read_text()) == {"cost_usd": 0.5, "at": later.isoformat()}
