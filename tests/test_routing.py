"""Routing by the budget: each preset's boundaries, the routine rule, the fallback, a custom table,
the CLI, and the Python API from many threads."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import budget, run
from usage_server import Reply, UsageServer, usage_body

from ai_budget.api import QuotaMonitor
from ai_budget.model.routing import TASK_CLASSES, Routing
from ai_budget.planning.routing import route, routing_view

BATTERY = Routing()
METABOLIC = Routing(preset="metabolic")


@pytest.mark.parametrize(
    ("weekly", "tier"),
    [
        (0, "GREEN"),
        (49.9, "GREEN"),
        (50, "YELLOW"),
        (69.9, "YELLOW"),
        (70, "ORANGE"),
        (84.9, "ORANGE"),
        (85, "RED"),
        (100, "RED"),
    ],
)
def test_battery_tiers_go_by_the_weekly_window(weekly: float, tier: str) -> None:
    # The 5-hour window does not matter to this policy.
    assert route(BATTERY, 99.0, weekly).tier == tier
    assert route(BATTERY, 0.0, weekly).tier == tier


def test_battery_models_per_tier() -> None:
    m = BATTERY.models
    assert {c: route(BATTERY, 0, 10, c).model for c in TASK_CLASSES} == dict.fromkeys(TASK_CLASSES, m.primary)
    yellow = {c: route(BATTERY, 0, 60, c).model for c in TASK_CLASSES}
    assert yellow == {"routine": m.light, "normal": m.light, "high": m.primary, "critical": m.primary}
    orange = {c: route(BATTERY, 0, 80, c).model for c in TASK_CLASSES}
    assert orange == {"routine": m.light, "normal": m.light, "high": m.light, "critical": m.primary}
    assert route(BATTERY, 0, 80, "normal", user_requested=True).model == m.primary
    assert {route(BATTERY, 0, 90, c, user_requested=True).model for c in TASK_CLASSES} == {m.fallback}


@pytest.mark.parametrize(
    ("five", "weekly", "tier"),
    [
        (49.9, 10, "BURST"),
        (50, 10, "ACTIVE"),
        (80, 10, "ACTIVE"),
        (80.1, 10, "RESTING"),
        (10, 80, "BURST"),
        (10, 80.1, "RESTING"),
        (60, 80.1, "RESTING"),
    ],
)
def test_metabolic_tiers(five: float, weekly: float, tier: str) -> None:
    assert route(METABOLIC, five, weekly).tier == tier


def test_metabolic_models() -> None:
    m = METABOLIC.models
    burst = {c: route(METABOLIC, 10, 10, c).model for c in TASK_CLASSES}
    assert burst == {
        "routine": m.local_small,
        "normal": m.local_large,
        "high": m.primary,
        "critical": m.primary,
    }
    assert {route(METABOLIC, 60, 10, c).model for c in TASK_CLASSES} == {m.local_large}
    assert {route(METABOLIC, 90, 10, c).model for c in TASK_CLASSES} == {m.local_small}


@pytest.mark.parametrize("five", [x / 2 for x in range(0, 201, 3)])
@pytest.mark.parametrize("weekly", [0, 49.9, 80, 80.1, 100])
def test_routine_work_never_goes_to_the_cloud_under_metabolic(five: float, weekly: float) -> None:
    decided = route(METABOLIC, five, weekly, "routine")
    assert decided.cloud is False
    assert decided.model != METABOLIC.models.primary


@pytest.mark.parametrize(("policy", "expected"), [(BATTERY, "claude-haiku-4-5"), (METABOLIC, "qwen3:8b")])
def test_no_usage_at_all_gives_the_fallback(policy: Routing, expected: str) -> None:
    decided = route(policy, None, None, "critical")
    assert (decided.tier, decided.model) == (None, expected)


CUSTOM = {
    "preset": "custom",
    "custom": {
        "tiers": [
            {"name": "CALM", "window": "five_hour", "at_least": 0},
            {"name": "BUSY", "window": "five_hour", "at_least": 60},
            {"name": "TIGHT", "window": "seven_day", "at_least": 90},
        ],
        "route": {
            "CALM": {"routine": "small", "normal": "big", "high": "big", "critical": "big"},
            "BUSY": {"routine": "small", "normal": "small", "high": "big", "critical": "big"},
            "TIGHT": {"critical": "big"},
        },
        "fallback": "small",
        "cloud_models": ["big"],
        "user_requested": {"TIGHT": "big"},
    },
}


def test_a_custom_table() -> None:
    policy = Routing.model_validate(CUSTOM)
    assert (route(policy, 10, 10, "normal").tier, route(policy, 10, 10, "normal").model) == ("CALM", "big")
    assert route(policy, 60, 10, "normal").model == "small"
    assert route(policy, 60, 92, "high").tier == "TIGHT"
    assert route(policy, 60, 92, "high").model == "small"  # not in TIGHT's table: the fallback
    assert route(policy, 60, 92, "high", user_requested=True).model == "big"
    # At its limit (95 % by default) the user's own wish cannot reach the primary either.
    assert route(policy, 60, 95, "high", user_requested=True).model == "small"
    assert route(policy, None, None).model == "small"


# --- the command line --------------------------------------------------------------------------------


def set_routing(journal: Path, routing: object) -> None:
    data = budget(journal)
    data.setdefault("settings", {})["routing"] = routing
    (journal / "budget.json").write_text(json.dumps(data))


def test_tier_and_route_commands(journal: Path, claude_dir: Path, server: UsageServer) -> None:
    server.answer(Reply(body=usage_body(five=30.0, week=72.0)))
    tier = json.loads(run("tier", "--json").stdout)
    assert (tier["policy"], tier["tier"], tier["window"], tier["value"]) == (
        "battery",
        "ORANGE",
        "seven_day",
        72.0,
    )
    assert run("tier").stdout == (
        "ORANGE (battery policy: weekly window at 72 %); severity ORANGE (weekly window at 72 %)\n"
    )
    routed = run("route", "--class", "high")
    assert routed.exit_code == 0
    assert routed.stdout.startswith("flash: orange: everything else goes to the light model")
    assert json.loads(run("route", "--class", "critical", "--json").stdout)["model"] == "claude-sonnet-4-6"
    set_routing(journal, {"preset": "metabolic"})
    assert json.loads(run("tier", "--json").stdout)["tier"] == "BURST"
    assert len(server.requests) == 1  # the cache answered the rest


@pytest.mark.parametrize(
    ("routing", "where"),
    [
        ({"preset": "fast"}, "settings.routing.preset"),
        ({"preset": "custom"}, "settings.routing"),
        (
            {"preset": "custom", "custom": {"tiers": [], "route": {}, "fallback": "x"}},
            "settings.routing.custom.tiers",
        ),
        (
            {
                "preset": "custom",
                "custom": {"tiers": [{"name": "A"}], "route": {"A": {"urgent": "x"}}, "fallback": "x"},
            },
            "settings.routing.custom",
        ),
    ],
)
def test_a_bad_table_is_one_clear_line(journal: Path, routing: object, where: str) -> None:
    set_routing(journal, routing)
    result = run("route")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {journal / 'budget.json'}: {where}")
    assert result.stderr.count("\n") == 1


def test_status_write_keeps_the_original_usage_files_keys(
    journal: Path, claude_dir: Path, server: UsageServer, tmp_path: Path
) -> None:
    server.answer(Reply(body=usage_body(five=30.0, week=55.0)))
    target = tmp_path / "out" / "usage.json"
    assert run("status", "--write", str(target)).exit_code == 0
    data = json.loads(target.read_text())
    assert (data["tier"], data["fiveHourPercent"], data["weeklyPercent"]) == ("YELLOW", 30.0, 55.0)
    assert not list(target.parent.glob(".*.tmp"))


# --- the Python API -------------------------------------------------------------------------------------


def test_the_monitor_from_many_threads_makes_one_request_per_cache_period(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    server.answer(Reply(body=usage_body(five=30.0, week=60.0), delay=0.3))
    monitor = QuotaMonitor(cache_seconds=60, claude_dir=claude_dir)
    answers: list[str] = []

    def ask() -> None:
        answers.append(monitor.select_model("normal"))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert answers == ["flash"] * 16  # weekly 60 %: yellow, normal work to the light model
    assert len(server.requests) == 1
    status = monitor.status()
    assert status is not None and (status.tier, status.five_hour, status.source) == ("YELLOW", 30.0, "api")
    assert monitor.should_use_cloud("routine") is False
    assert monitor.should_use_cloud("high") is True


def test_the_monitor_never_raises_and_always_has_a_model(home: Path) -> None:
    # No login, no journal, the endpoint unreachable: no status, and the fallback model.
    monitor = QuotaMonitor(policy="metabolic")
    assert monitor.status() is None
    assert monitor.tier() is None
    assert monitor.select_model("critical") == "qwen3:8b"
    assert monitor.should_use_cloud("critical") is False
    assert QuotaMonitor().select_model() == "claude-haiku-4-5"  # battery's fallback, a smaller Claude


def test_importing_the_api_in_a_fresh_interpreter_loads_neither_click_nor_git(home: Path) -> None:
    code = (
        "import sys, ai_budget; m = ai_budget.QuotaMonitor(); m.select_model('high'); m.status(); "
        "print(sorted(x for x in sys.modules if x in ('click', 'git')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "routing", [BATTERY, METABOLIC, Routing.model_validate(CUSTOM)], ids=lambda r: r.preset
)
def test_the_fast_paths_view_of_a_routing_table_routes_as_the_model(routing: Routing) -> None:
    # `check`'s fast path keeps the table as JSON and routes on routing_view's reading of it.
    view = routing_view(json.loads(json.dumps(routing.model_dump(mode="json"))))
    for five in (None, 0.0, 30.0, 60.0, 95.0):
        for seven in (None, 0.0, 50.0, 70.0, 85.0, 92.0):
            for task in TASK_CLASSES:
                for asked in (False, True):
                    assert route(view, five, seven, task, asked) == route(routing, five, seven, task, asked)
