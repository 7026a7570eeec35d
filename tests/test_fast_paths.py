"""The fast paths (the statusline, `hook prompt`) read plain JSON instead of the models: each fact
they share with the slow path must say the same thing on both."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from brief_kit import BACKLOG, CODE, SCENARIOS, feed, set_budget
from conftest import in_new_process

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
        {"utilization": "42.5", "resets_at": None},  # text is not a usage (the model is strict)
        {"utilization": True, "resets_at": None},
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


# --- hook session-start: the brief from the kept basis is the full path's -------------------------


def _both_ways(journal: Path, claude_dir: Path, moment: datetime) -> tuple[str, str, dict, dict]:
    """The compact brief and the opened session's baseline, by the full path and by the fast one."""
    from ai_budget.integrations import fast_start
    from ai_budget.session import brief_keep
    from ai_budget.session.brief_text import compact_brief
    from ai_budget.session.check import check
    from ai_budget.session.opening import Opening
    from ai_budget.session.state import load

    full = check(Journal.open(journal), claude_dir, hook=True, opening=Opening("full", "startup"), now=moment)
    brief_keep.keep(Journal.open(journal), moment)
    out = fast_start.session_start({"session_id": "fast", "source": "startup"}, moment)
    assert out is not None
    fast = json.loads(out)["hookSpecificOutput"]["additionalContext"]
    bases = [load(journal, sid).baseline for sid in ("full", "fast")]  # type: ignore[union-attr]
    return compact_brief(full), fast, *({k: v for k, v in b.items() if k != "session_id"} for b in bases)


@pytest.mark.parametrize(("five", "week", "reset_in", "budget"), SCENARIOS)
def test_the_fast_session_start_says_what_the_full_path_says(
    journal: Path, claude_dir: Path, five: float, week: float, reset_in: timedelta | None, budget: dict
) -> None:
    moment = now()
    (journal / paths.BACKLOG_FILE).write_text(BACKLOG)
    set_budget(journal, calibration=CODE, **budget)
    feed(claude_dir, moment - timedelta(seconds=30), five, week, moment + reset_in if reset_in else None)
    full, fast, full_base, fast_base = _both_ways(journal, claude_dir, moment)
    assert fast == full
    assert fast_base == full_base
    assert f"{five:.1f}%" in fast  # the reading made it into both


def test_without_a_fresh_reading_both_fall_back_to_the_same_last_known_one(
    journal: Path, claude_dir: Path
) -> None:
    moment = now()
    set_budget(journal, calibration=CODE)
    feed(claude_dir, moment - timedelta(hours=2), 55.0, 30.0, moment + timedelta(hours=1))
    full, fast, full_base, fast_base = _both_ways(journal, claude_dir, moment)
    assert fast == full
    assert "old (no local usage is younger than" in fast
    assert "a hook never calls the usage endpoint" in fast and "usage_api" not in fast  # it is on
    assert fast_base == full_base and fast_base["source"] == "last-known"


def test_budget_jsons_last_known_windows_are_the_last_resort_of_both(journal: Path, claude_dir: Path) -> None:
    moment = now()
    then = (moment - timedelta(days=2)).isoformat()
    set_budget(journal, claude={"five_hour_util": 71.0, "seven_day_util": 33.0, "last_fetched": then})
    full, fast, full_base, fast_base = _both_ways(journal, claude_dir, moment)
    assert fast == full
    assert "5-hour window 71.0%." in fast and "Claude data is 2d 0h old" in fast
    assert fast_base == full_base and fast_base["fetched_at"] == then


def test_with_no_reading_at_all_both_say_so(journal: Path, claude_dir: Path) -> None:
    full, fast, full_base, fast_base = _both_ways(journal, claude_dir, now())
    assert fast == full
    assert "no Claude utilisation known" in fast
    assert fast_base == full_base and fast_base["fetched_at"] is None


def test_the_baseline_is_the_models() -> None:
    from ai_budget.session.opening import baseline

    body = {"five_hour": {"utilization": 37, "resets_at": SOON.isoformat()}, "seven_day": {"utilization": 2}}
    snap = usage.Snapshot(usage.UsageResponse.model_validate(body), SOON - timedelta(hours=1), "statusline")
    for given in (snap, None):
        model = usage.Baseline.of(given, SOON, "s1").model_dump(mode="json")
        assert baseline(given, SOON, "s1") == model
        assert list(baseline(given, SOON, "s1")) == list(model)  # the same keys in the same order


def test_the_kept_basis_holds_until_the_journal_changes(journal: Path) -> None:
    from ai_budget.session import brief_basis, brief_keep

    moment = now()
    set_budget(journal, copilot={"enabled": False})
    brief_keep.keep(Journal.open(journal), moment)
    assert brief_basis.load(journal, moment) is not None
    (journal / paths.BACKLOG_FILE).write_text("[L] one more\n")
    assert brief_basis.load(journal, moment) is None  # the backlog changed
    brief_keep.keep(Journal.open(journal), moment)
    assert brief_basis.load(journal, moment) is not None
    set_budget(journal, settings={"safety_margin_pct": 5})
    assert brief_basis.load(journal, moment) is None  # budget.json changed
    set_budget(journal, settings={"calibration_half_life": 4})
    brief_keep.keep(Journal.open(journal), moment)
    assert brief_basis.load(journal, moment) is not None
    subprocess.run(["git", "-C", str(journal), "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    assert brief_basis.load(journal, moment) is None  # estimates weigh the history, which moved


def test_with_copilot_on_the_basis_ends_with_the_day(journal: Path) -> None:
    from ai_budget.session import brief_basis, brief_keep

    moment = now()
    set_budget(journal, copilot={"enabled": True})
    brief_keep.keep(Journal.open(journal), moment)
    assert brief_basis.load(journal, moment) is not None
    assert brief_basis.load(journal, moment + timedelta(days=1)) is None  # the count may be stale by then


def _hook_start(sid: str) -> tuple[str, list[str]]:
    """`ai-budget hook session-start` in a fresh interpreter: its output and the heavy modules it loaded."""
    event = json.dumps({"session_id": sid, "source": "startup", "hook_event_name": "SessionStart"})
    return in_new_process(["hook", "session-start"], event)


def test_hook_session_start_takes_the_full_path_once_then_imports_neither_pydantic_nor_git(
    journal: Path, claude_dir: Path
) -> None:
    from ai_budget.session import state

    (journal / paths.BACKLOG_FILE).write_text(BACKLOG)
    feed(claude_dir, now(), 64.0, 12.0, None)  # no reset time: the text cannot move with the clock
    first, heavy_first = _hook_start("one")
    second, heavy_second = _hook_start("two")
    assert "pydantic" in heavy_first  # no basis yet: the full path, which keeps one
    assert heavy_second == []
    assert second == first and "5-hour window 64.0%." in second
    assert {s.session_id for s in state.all_open(journal)} == {"one", "two"}  # both opened
    (journal / paths.BACKLOG_FILE).write_text("[X] something else entirely\n")
    third, heavy_third = _hook_start("three")
    assert "pydantic" in heavy_third and "[X] something else entirely" in third  # never a stale brief


def test_a_damaged_basis_is_no_basis(journal: Path, claude_dir: Path) -> None:
    from ai_budget.session import brief_basis

    _hook_start("one")
    brief_basis.basis_file(journal).write_text("{not json")
    out, heavy = _hook_start("two")
    assert "pydantic" in heavy and "ai-budget: severity" in out


def test_the_fast_session_start_fails_silently(journal: Path, claude_dir: Path) -> None:
    from ai_budget.session import brief_basis

    _hook_start("one")
    data = json.loads(brief_basis.basis_file(journal).read_text())
    data["estimates"] = [{"task": "not a task"}]  # a basis that holds but cannot be read
    brief_basis.basis_file(journal).write_text(json.dumps(data))
    out, heavy = _hook_start("two")
    assert out == "" and heavy == []
    assert "TypeError" in (paths.state_dir() / "hooks.log").read_text()
