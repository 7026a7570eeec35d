"""The backlog: parsing, list/add/done, and the planner's estimates and recommendation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import assert_clean, budget, run, subjects

from ai_budget.model import backlog
from ai_budget.model.budget import BudgetFile, Settings, Tiers
from ai_budget.model.calibration import CalibrationEntry
from ai_budget.planning.estimates import Estimate, estimate
from ai_budget.planning.recommend import Plan, recommend
from ai_budget.severity import severity
from ai_budget.timeutil import today

BACKLOG = """# Backlog

Some prose that is not a task. [Q] not a tag either.

## Now
[H] Flashcards SMA101 {flashcard: 30}
- [l] Fix typo
[M] Add login page
[M] Essay draft {essay: lots}

## Later
[X] Rewrite sync {feature: 2}
"""


def test_parse() -> None:
    tasks = backlog.parse(BACKLOG)
    assert [(t.number, t.tag, t.text, t.type, t.units, t.section) for t in tasks] == [
        (1, "H", "Flashcards SMA101", "flashcard", 30, "Now"),
        (2, "L", "Fix typo", None, None, "Now"),
        (3, "M", "Add login page", None, None, "Now"),
        (4, "M", "Essay draft {essay: lots}", None, None, "Now"),
        (5, "X", "Rewrite sync", "feature", 2, "Later"),
    ]


def calibrated() -> BudgetFile:
    # flashcard calibrated at 38.5 % over 15 cards.
    return BudgetFile(
        calibration={
            "flashcard": CalibrationEntry(samples=1, units=15, total_5h_pct=38.5),
            "feature": CalibrationEntry(),
        }
    )


def test_estimates_from_the_issue() -> None:
    tasks = backlog.parse("[H] cards {flashcard: 30}\n[L] new type {feature: 3}\n[M] no type\n")
    got = [estimate(t, calibrated().calibration) for t in tasks]
    assert [(e.pct, e.basis) for e in got] == [(77.0, "calibrated"), (5.0, "tag"), (15.0, "tag")]


@pytest.mark.parametrize(
    ("five", "seven", "expected"),
    [
        (10, 49.9, "green"),
        (50, 10, "yellow"),
        (69.9, 0, "yellow"),
        (10, 70, "orange"),
        (84.9, 84.9, "orange"),
        (85, 0, "red"),
        (None, None, "unknown"),
        (None, 90, "red"),
    ],
)
def test_tiers_on_the_worse_window(five: float | None, seven: float | None, expected: str) -> None:
    assert severity(five, seven, Tiers()).level == expected


def test_tier_thresholds_are_configurable() -> None:
    assert severity(40, 0, Tiers(green=30, yellow=60, orange=90)).level == "yellow"


NOW = datetime(2026, 11, 22, 14, 0, tzinfo=timezone.utc)


def plan(
    lines: str,
    five: float,
    seven: float = 20,
    reset_in: timedelta | None = timedelta(hours=3),
    settings: Settings | None = None,
) -> Plan:
    estimates = [estimate(t, calibrated().calibration) for t in backlog.parse(lines)]
    resets = NOW + reset_in if reset_in is not None else None
    return recommend(estimates, five, resets, seven, settings or Settings(), NOW)


def numbers(items: list[Estimate]) -> list[int]:
    return [e.task.number for e in items]


def test_recommend_in_priority_order_with_checkpoint() -> None:
    # Headroom 100 - 37 - 10 margin = 53: 38.5 fits, then 15 does not (14.5 left).
    p = plan("[H] a {flashcard: 15}\n[M] b\n[L] c\n", five=37)
    assert p.headroom_pct == 53.0
    assert numbers(p.do) == [1]
    assert p.checkpoint is not None and p.checkpoint.estimate.task.number == 2
    assert p.checkpoint.pct_available == pytest.approx(14.5)
    assert p.checkpoint.units_fit is None  # a tag estimate has no units
    assert numbers(p.defer) == [3]
    assert p.wait_for_reset is False


def test_checkpoint_counts_units_that_fit() -> None:
    # Headroom 30; flashcard at 38.5/15 %/card: floor(30 / 2.5667) = 11 of 20 cards.
    p = plan("[H] cards {flashcard: 20}\n", five=60)
    assert p.do == []
    assert p.checkpoint is not None and p.checkpoint.units_fit == 11


def test_weekly_window_at_80_percent_recommends_only_the_top_task() -> None:
    p = plan("[L] a\n[L] b\n[L] c\n", five=10, seven=80)
    assert p.weekly_focus is True
    assert numbers(p.do) == [1]
    assert numbers(p.defer) == [2, 3]


def test_wait_for_a_near_reset() -> None:
    p = plan("[X] big\n", five=85, reset_in=timedelta(minutes=20))
    assert p.wait_for_reset is True and p.minutes_to_reset == 20
    assert plan("[X] big\n", five=85, reset_in=timedelta(hours=2)).wait_for_reset is False


def test_a_passed_reset_means_an_empty_window() -> None:
    p = plan("[X] big\n", five=95, reset_in=timedelta(minutes=-5))
    assert p.headroom_pct == 90.0
    assert numbers(p.do) == [1]


# --- the commands -------------------------------------------------------------------------


@pytest.fixture
def tasks(journal: Path) -> Path:
    (journal / "tasks" / "backlog.md").write_text(BACKLOG)
    run("calibration", "add", "flashcard", "--unit", "per card")
    run("calibrate", "flashcard", "15", "38.5")
    from conftest import git

    git(journal, "commit", "-qam", "my backlog")
    return journal


def test_list(tasks: Path) -> None:
    data = json.loads(run("backlog", "list", "--json").stdout)
    assert [(t["number"], t["estimate_pct"], t["basis"]) for t in data] == [
        (1, 77.0, "calibrated"),
        (2, 5.0, "tag"),
        (3, 15.0, "tag"),
        (4, 15.0, "tag"),
        (5, 70.0, "tag"),
    ]
    text = run("backlog", "list").stdout.splitlines()
    assert text[0] == "  1  [H] Flashcards SMA101 {flashcard: 30}  ~77.0% (calibrated)"


def test_add(tasks: Path) -> None:
    assert (
        run("backlog", "add", "[L] Update deps {feature: 1}").stdout == "Added [L] Update deps {feature: 1}\n"
    )
    assert (
        run(
            "backlog",
            "add",
            "Write tests",
            "--tag",
            "H",
            "--type",
            "feature",
            "--units",
            "2",
            "--section",
            "Later",
        ).exit_code
        == 0
    )
    assert run("backlog", "add", "Someday thing", "--section", "Ideas").exit_code == 0
    text = (tasks / "tasks" / "backlog.md").read_text()
    now_part = text.split("## Now")[1].split("## Later")[0]
    assert now_part.strip().splitlines()[-1] == "[L] Update deps {feature: 1}"
    assert "[H] Write tests {feature: 2}\n" in text.split("## Later")[1]
    assert text.rstrip().endswith("## Ideas\n[M] Someday thing")
    assert subjects(tasks)[:3] == [
        "backlog: add [M] Someday thing",
        "backlog: add [H] Write tests {feature: 2}",
        "backlog: add [L] Update deps {feature: 1}",
    ]
    assert_clean(tasks)


def test_done_moves_lines_in_one_commit(tasks: Path) -> None:
    result = run("backlog", "done", "2", "login")
    assert result.stdout == "Done: [L] Fix typo\nDone: [M] Add login page\n"
    assert subjects(tasks)[0] == "backlog: done [L] Fix typo; [M] Add login page"
    remaining = [t.text for t in backlog.parse((tasks / "tasks" / "backlog.md").read_text())]
    assert remaining == ["Flashcards SMA101", "Essay draft {essay: lots}", "Rewrite sync"]
    completed = (tasks / "tasks" / "completed.md").read_text()
    day = today().isoformat()
    assert completed.endswith(f"- {day} [L] Fix typo\n- {day} [M] Add login page\n")
    assert_clean(tasks)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("9", "Error: there is no task 9 in the backlog: see `ai-budget backlog list`\n"),
        ("zebra", "Error: no backlog task matches 'zebra': see `ai-budget backlog list`\n"),
        ("[M]", "Error: '[M]' matches tasks 3, 4: give the number instead\n"),
    ],
)
def test_done_bad_refs_change_nothing(tasks: Path, ref: str, message: str) -> None:
    before = (tasks / "tasks" / "backlog.md").read_text()
    result = run("backlog", "done", ref)
    assert (result.exit_code, result.stderr) == (1, message)
    assert (tasks / "tasks" / "backlog.md").read_text() == before
    assert_clean(tasks)


def test_add_bad_input(tasks: Path) -> None:
    assert run("backlog", "add", " ").stderr == (
        'Error: the task text is empty: `ai-budget backlog add "[M] Add login page"`\n'
    )
    assert run("backlog", "add", "x", "--type", "feature", "--units", "0").stderr == (
        "Error: --units must be greater than 0, got '0'\n"
    )
    assert budget(tasks)["calibration"]["flashcard"]["samples"] == 1
