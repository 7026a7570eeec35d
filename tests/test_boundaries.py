"""Edges that mutation testing found unguarded: exact fits, zero, thresholds, fractions, falls, waits."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import assert_clean, baseline, budget, run, subjects
from transcript_builder import assistant, project_dir, usage, write
from usage_server import Reply, UsageServer, usage_body

from ai_budget.errors import InvalidInput, JournalBusy
from ai_budget.fileio import locked
from ai_budget.model.accounts import copilot_state
from ai_budget.model.backlog import Task
from ai_budget.model.budget import CopilotSection, Settings
from ai_budget.model.calibration import CalibrationEntry
from ai_budget.planning.estimates import Estimate
from ai_budget.planning.recommend import recommend
from ai_budget.severity import severity

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def calibrated(number: int, pct: float, units: float = 1, per_unit: float | None = None) -> Estimate:
    task = Task(number, "M", f"task {number}", "card" if per_unit else None, units, None, "")
    return Estimate(task, pct, "calibrated" if per_unit else "tag", per_unit, "card" if per_unit else None)


# --- the recommendation -------------------------------------------------------------------------


def test_a_task_that_exactly_fills_the_headroom_is_done() -> None:
    # 40 % used and a 10 % margin leave 50 %: a 30 % task then a 20 % task fill it exactly.
    plan = recommend([calibrated(1, 30.0), calibrated(2, 20.0)], 40.0, None, 0.0, Settings(), NOW)
    assert [e.task.number for e in plan.do] == [1, 2]
    assert plan.checkpoint is None
    assert plan.headroom_pct == 50.0


def test_a_task_just_over_the_headroom_is_the_checkpoint() -> None:
    plan = recommend([calibrated(1, 30.0), calibrated(2, 20.01)], 40.0, None, 0.0, Settings(), NOW)
    assert [e.task.number for e in plan.do] == [1]
    assert plan.checkpoint is not None and plan.checkpoint.estimate.task.number == 2
    assert plan.checkpoint.pct_available == 20.0


def test_fractional_units_fit_in_whole_units() -> None:
    # 4.9 % left at 2 %/card: 2 cards fit (not 2.45), and never more than the task's 2.5 cards.
    task = calibrated(2, 5.0, units=2.5, per_unit=2.0)
    plan = recommend([calibrated(1, 85.1), task], 0.0, None, 0.0, Settings(), NOW)
    assert plan.checkpoint is not None and plan.checkpoint.units_fit == 2
    roomy = recommend(
        [calibrated(1, 10.0), calibrated(2, 95.0, units=2.5, per_unit=38.0)], 0, None, 0, Settings(), NOW
    )
    assert roomy.checkpoint is not None and roomy.checkpoint.units_fit == 2


def test_a_window_at_zero_never_says_wait() -> None:
    soon = NOW + timedelta(minutes=10)
    big = [calibrated(1, 95.0)]
    assert recommend(big, 0.0, soon, 0.0, Settings(), NOW).wait_for_reset is False
    assert recommend(big, 0.1, soon, 0.0, Settings(), NOW).wait_for_reset is True
    assert severity(0.0, 0.0, Settings().tiers).level == "green"
    assert recommend([], 0.0, None, 0.0, Settings(), NOW).headroom_pct == 90.0


def test_a_reset_exactly_at_the_wait_setting_waits() -> None:
    big = [calibrated(1, 95.0)]
    at_setting = recommend(big, 50.0, NOW + timedelta(minutes=30), 0.0, Settings(), NOW)
    assert at_setting.minutes_to_reset == 30 and at_setting.wait_for_reset is True
    # 30 minutes and one second round up to 31: past the setting.
    later = recommend(big, 50.0, NOW + timedelta(minutes=30, seconds=1), 0.0, Settings(), NOW)
    assert later.minutes_to_reset == 31 and later.wait_for_reset is False


def test_the_weekly_focus_starts_exactly_at_its_setting() -> None:
    tasks = [calibrated(1, 5.0), calibrated(2, 5.0)]
    assert recommend(tasks, 0.0, None, 80.0, Settings(), NOW).weekly_focus is True
    assert [e.task.number for e in recommend(tasks, 0.0, None, 80.0, Settings(), NOW).defer] == [2]
    assert recommend(tasks, 0.0, None, 79.99, Settings(), NOW).weekly_focus is False


# --- calibration ----------------------------------------------------------------------------------


def test_fractional_units_are_kept_exactly() -> None:
    entry = CalibrationEntry(unit="per card").with_sample(1.5, 3.0, 300).with_sample(0.5, 1.0, None)
    assert (entry.units, entry.total_5h_pct, entry.token_units, entry.total_output_tokens) == (
        2.0,
        4.0,
        1.5,
        300,
    )
    assert entry.pct_per_unit == 2.0
    assert entry.tokens_per_unit == 200.0


@pytest.mark.parametrize(("units", "pct"), [(0, 1.0), (-1, 1.0), (1, -0.5)])
def test_a_sample_with_no_units_or_a_negative_cost_is_refused(units: float, pct: float) -> None:
    with pytest.raises(InvalidInput):
        CalibrationEntry().with_sample(units, pct, None)


@pytest.fixture
def session(journal: Path, claude_dir: Path, server: UsageServer) -> Path:
    run("calibration", "add", "flashcard", "--unit", "per card")
    run("calibrate", "flashcard", "10", "20")
    return journal


def test_a_falling_five_hour_value_never_becomes_a_sample(session: Path, server: UsageServer) -> None:
    server.answer(Reply(body=usage_body(five=40.0)))
    assert run("check").exit_code == 0
    before = budget(session)["calibration"]["flashcard"]
    server.answer(Reply(body=usage_body(five=35.0)))
    result = run("log", "--done", "flashcard 5 a few", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["five_hour_delta"] == -5.0
    assert data["calibration"] == []
    assert data["calibration_note"] == "the 5-hour window went down (-5.0%): calibration unchanged"
    assert budget(session)["calibration"]["flashcard"] == before
    assert_clean(session)


def test_log_takes_a_copilot_count_with_a_thousands_separator(session: Path, server: UsageServer) -> None:
    server.answer(Reply(body=usage_body()))
    run("check")
    result = run("log", "--copilot", "1,500", "--done", "flashcard 1 one card")
    assert result.exit_code == 0, result.stderr
    assert budget(session)["copilot"]["premium_requests_used"] == 1500
    count = len(subjects(session))
    for bad in ("1,50", "1.5k", "-3", "１２"):
        refused = run("log", "--copilot", bad, "--done", "flashcard 1 x")
        assert refused.exit_code == 1
        assert refused.stderr.count("\n") == 1 and "--copilot" in refused.stderr, refused.stderr
    assert len(subjects(session)) == count
    assert_clean(session)


def test_two_sessions_in_one_project(session: Path, claude_dir: Path, server: UsageServer) -> None:
    """`log` counts every session since the baseline, and reports the newest session on its own."""
    server.answer(Reply(body=usage_body(five=10.0)))
    run("check")
    started = datetime.fromisoformat(baseline(session)["started_at"])
    folder = project_dir(claude_dir)
    before, after = started - timedelta(minutes=30), started + timedelta(seconds=1)
    # Session A (older file) worked after the baseline only; session B (newest) before and after it.
    write(folder / "a.jsonl", [assistant("m_a", usage(out=100), when=after, session="a")], mtime=after)
    write(
        folder / "b.jsonl",
        [
            assistant("m_b1", usage(out=1000), when=before, session="b"),
            assistant("m_b2", usage(out=10), when=after, session="b"),
        ],
        mtime=after + timedelta(seconds=5),
    )
    server.answer(Reply(body=usage_body(five=12.0)))
    data = json.loads(run("log", "--done", "flashcard 1 x", "--json").stdout)
    assert data["tokens"]["output_tokens"] == 100 + 10
    assert data["newest_session"]["session_id"] == "b"
    assert data["newest_session"]["output_tokens"] == 1000 + 10


# --- the lock and the endpoint's backoff ---------------------------------------------------------


def test_a_lock_held_too_long_is_one_clear_error(tmp_path: Path) -> None:
    lock = tmp_path / "journal.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); time.sleep(30)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        start = time.monotonic()
        with (
            pytest.raises(JournalBusy, match="another ai-budget is still working on the journal"),
            locked(lock, timeout=0.3),
        ):
            pass
        assert 0.3 <= time.monotonic() - start < 5
    finally:
        holder.kill()
        holder.wait()
    with locked(lock, timeout=0.3):  # free again once the holder is gone
        pass


def test_a_successful_call_clears_the_429_backoff(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path
) -> None:
    server.answer(Reply(429, "{}", {"Retry-After": "1"}))
    assert run("fetch").exit_code == 1
    backoff = next((home / ".cache" / "ai-budget").glob("backoff-*.json"))
    time.sleep(1.1)
    server.answer(Reply(body=usage_body()))
    assert run("fetch").exit_code == 0
    assert not backoff.exists()
    # The count of failures started again: the next 429 without Retry-After waits 1 minute, not 2.
    server.answer(Reply(429, "{}"))
    assert "(in 1m)" in run("fetch", "--force").stderr
    assert len(server.requests) == 3


# --- Copilot's monthly reset in a zone behind UTC -------------------------------------------------


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local time five hours behind UTC (the autouse fixture restores the zone afterwards)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()


def test_copilot_reset_is_judged_at_the_utc_month_start(new_york: None) -> None:
    # 21:00 on 30 November in New York is 02:00 on 1 December UTC: the counter reset at 19:00 local.
    moment = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    before_reset = datetime(2026, 11, 30, 23, 0, tzinfo=timezone.utc)  # 18:00 local
    after_reset = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 20:00 local
    taken_before = CopilotSection(
        premium_requests_used=5, last_updated=date(2026, 11, 30), last_updated_at=before_reset
    )
    taken_after = CopilotSection(
        premium_requests_used=5, last_updated=date(2026, 11, 30), last_updated_at=after_reset
    )
    assert copilot_state(taken_before, moment).reset_since_update is True
    assert copilot_state(taken_after, moment).reset_since_update is False
    # A journal written before the time was kept: the local date of the reset decides (30 Nov here).
    dated_only = CopilotSection(premium_requests_used=5, last_updated=date(2026, 11, 30))
    assert copilot_state(dated_only, moment).reset_since_update is False
    assert copilot_state(
        dated_only.model_copy(update={"last_updated": date(2026, 11, 29)}), moment
    ).reset_since_update
