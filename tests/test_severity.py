"""The one severity (ai_budget.severity) and the routing rule built on it: a window at its limit sends
every policy to its fallback. Expected values come from the thresholds (50/70/85, limit 95)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ai_budget.model.budget import Settings, Tiers
from ai_budget.model.routing import TASK_CLASSES, Routing
from ai_budget.planning.routing import cloud_models, fallback, route
from ai_budget.severity import DEFAULTS, Thresholds, level, paint, severity, thresholds

# (value, level, at its limit) at every edge of the default thresholds.
EDGES = [
    (0.0, "green", False),
    (49.99, "green", False),
    (50.0, "yellow", False),
    (69.99, "yellow", False),
    (70.0, "orange", False),
    (84.99, "orange", False),
    (85.0, "red", False),
    (94.99, "red", False),
    (95.0, "red", True),
    (100.0, "red", True),
    (140.0, "red", True),
]


@pytest.mark.parametrize(("value", "name", "at_limit"), EDGES)
def test_each_window_alone_decides_at_the_edges(value: float, name: str, at_limit: bool) -> None:
    assert level(value) == name
    five = severity(value, None)
    week = severity(None, value)
    assert (five.level, five.window, five.value, five.at_limit) == (name, "five_hour", value, at_limit)
    assert (week.level, week.window, week.value, week.at_limit) == (name, "seven_day", value, at_limit)


@pytest.mark.parametrize(
    ("five", "week", "window"),
    [
        (90.0, 35.0, "five_hour"),
        (35.0, 90.0, "seven_day"),
        (60.0, 60.0, "five_hour"),
        (0.0, 0.1, "seven_day"),
    ],
)
def test_the_worse_window_decides_and_a_tie_names_the_five_hour_one(
    five: float, week: float, window: str
) -> None:
    found = severity(five, week)
    assert found.window == window
    assert found.value == max(five, week)
    assert found.level == level(max(five, week))


def test_nothing_known_is_unknown_and_never_at_its_limit() -> None:
    found = severity(None, None)
    assert (found.level, found.window, found.value, found.at_limit) == ("unknown", None, None, False)
    assert found.limit == 95.0
    assert severity(None, None, Thresholds(limit=90)).limit == 90.0
    assert found.describe() == "UNKNOWN (no usage known)"
    assert level(None) == "unknown"


def test_the_description_names_the_window_and_the_limit() -> None:
    assert severity(90.0, 35.0).describe() == "RED (5-hour window at 90 %)"
    assert severity(10.0, 96.5).describe() == "RED (weekly window at 96.5 %, at its limit)"
    assert severity(12.0, 55.0).describe() == "YELLOW (weekly window at 55 %)"


def test_the_thresholds_are_the_users() -> None:
    bounds = Thresholds(green=30, yellow=60, orange=90, limit=99)
    assert [level(v, bounds) for v in (29.9, 30, 59.9, 60, 89.9, 90)] == [
        "green",
        "yellow",
        "yellow",
        "orange",
        "orange",
        "red",
    ]
    assert (severity(40, 0, bounds).level, severity(0, 70, bounds).level) == ("yellow", "orange")
    assert severity(98.9, 0, bounds).at_limit is False
    assert severity(99.0, 0, bounds).at_limit is True
    assert severity(99.0, 0, bounds).limit == 99.0


def test_paint_colours_a_level_and_leaves_the_unknown_alone() -> None:
    assert paint("RED", "red") == "\x1b[31mRED\x1b[0m"
    assert paint("x", "orange") == "\x1b[38;5;208mx\x1b[0m"
    assert paint("RED", "red", colour=False) == "RED"
    assert paint("UNKNOWN", "unknown") == "UNKNOWN"


# --- one definition: the fast path (plain JSON) and the slow path (pydantic) agree ----------------------

SETTINGS = [
    {},
    {"tiers": {}},
    {"tiers": {"green": 40}},
    {"tiers": {"green": 30, "yellow": 60, "orange": 90, "limit": 99}},
    {"tiers": {"limit": 90.5}},
    {"tiers": {"green": 0, "yellow": 0, "orange": 0, "limit": 0}},
    {"tiers": {"green": 10**6}},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=json.dumps)
def test_the_statuslines_reading_of_the_settings_is_the_models(settings: dict[str, object]) -> None:
    fast = thresholds(settings)
    slow = Settings.model_validate(settings).tiers
    assert fast == Thresholds(slow.green, slow.yellow, slow.orange, slow.limit)
    for five in (0.0, 29.0, 50.0, 70.0, 89.0, 90.0, 95.0, 100.0):
        assert severity(five, 20.0, fast) == severity(five, 20.0, slow)


def test_the_defaults_are_defined_once() -> None:
    tiers = Tiers()
    assert (tiers.green, tiers.yellow, tiers.orange, tiers.limit) == tuple(DEFAULTS)
    assert tuple(DEFAULTS) == (50.0, 70.0, 85.0, 95.0)


@pytest.mark.parametrize(
    "settings",
    [
        None,
        [],
        "x",
        {"tiers": None},
        {"tiers": []},
        {"tiers": {"green": True, "yellow": "70", "limit": None}},
    ],
    ids=repr,
)
def test_settings_the_model_would_refuse_give_the_statusline_the_defaults(settings: object) -> None:
    assert thresholds(settings) == DEFAULTS


def test_a_non_finite_threshold_gives_the_default() -> None:
    assert thresholds({"tiers": {"green": float("nan"), "limit": float("inf")}}) == DEFAULTS


def test_the_statusline_imports_neither_pydantic_nor_click() -> None:
    code = (
        "import sys, ai_budget.integrations.statusline; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'click', 'git')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- routing: every policy's fallback at the limit -------------------------------------------------------

CUSTOM = Routing.model_validate(
    {
        "preset": "custom",
        "custom": {
            "tiers": [{"name": "CALM", "window": "five_hour", "at_least": 0}],
            "route": {"CALM": {c: "big" for c in TASK_CLASSES}},
            "fallback": "small",
            "cloud_models": ["big"],
            "user_requested": {"CALM": "big"},
        },
    }
)
POLICIES = {"battery": Routing(), "metabolic": Routing(preset="metabolic"), "custom": CUSTOM}


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize(
    ("five", "week"), [(95.0, 10.0), (99.0, 10.0), (100.0, 35.0), (10.0, 95.0), (100.0, 100.0)]
)
@pytest.mark.parametrize("task", TASK_CLASSES)
@pytest.mark.parametrize("asked", [False, True])
def test_at_its_limit_every_policy_routes_every_task_to_its_fallback(
    policy: str, five: float, week: float, task: str, asked: bool
) -> None:
    routing = POLICIES[policy]
    decided = route(routing, five, week, task, asked)
    assert decided.model == fallback(routing)
    assert decided.model != routing.models.primary
    assert decided.severity is not None and decided.severity.at_limit
    assert "at its limit" in decided.reason and "the primary model is unavailable now" in decided.reason


@pytest.mark.parametrize("policy", list(POLICIES))
def test_just_below_the_limit_the_policys_own_table_answers(policy: str) -> None:
    routing = POLICIES[policy]
    decided = route(routing, 94.9, 10.0, "critical", True)
    assert decided.severity is not None and not decided.severity.at_limit
    expected = {"battery": routing.models.primary, "metabolic": routing.models.local_small, "custom": "big"}
    assert decided.model == expected[policy]


def test_the_policy_keeps_its_own_tier_beside_the_severity() -> None:
    # 5-hour 100 %, week 35 %: battery's tier is GREEN (it reads the week), the severity red at its limit.
    decided = route(Routing(), 100.0, 35.0)
    assert (decided.tier, decided.window, decided.value) == ("GREEN", "seven_day", 35.0)
    assert decided.severity is not None
    assert (decided.severity.level, decided.severity.window, decided.severity.at_limit) == (
        "red",
        "five_hour",
        True,
    )
    assert decided.reason == (
        "the 5-hour window is at 100 %, at its limit (from 95 %): the primary model is unavailable now, "
        "so the fallback"
    )


def test_the_limit_is_configurable() -> None:
    assert route(Routing(), 96.0, 10.0, bounds=Tiers(limit=97)).model == Routing().models.primary
    assert route(Routing(), 90.0, 10.0, bounds=Tiers(limit=90)).model == Routing().models.fallback


def test_the_default_fallback_is_a_smaller_claude_model_and_local_models_are_a_choice() -> None:
    battery = Routing()
    assert fallback(battery) == "claude-haiku-4-5"
    assert route(battery, None, None).model == "claude-haiku-4-5"
    assert route(battery, 10.0, 90.0).model == "claude-haiku-4-5"  # battery's red tier
    assert cloud_models(battery) == {"claude-sonnet-4-6", "flash", "claude-haiku-4-5"}
    local = Routing.model_validate({"models": {"fallback": "qwen3:14b"}})
    assert fallback(local) == "qwen3:14b"
    assert route(local, 100.0, 10.0).cloud is False
    assert cloud_models(local) == {"claude-sonnet-4-6", "flash"}


def test_battery_without_a_weekly_number_says_so() -> None:
    decided = route(Routing(), 40.0, None)
    assert (decided.tier, decided.model) == (None, "claude-haiku-4-5")
    assert decided.reason == "no weekly usage known: the fallback"
    assert route(Routing(), None, None).reason == "no usage known: the fallback"


def test_a_mistyped_policy_is_refused_with_the_one_meant() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"unknown policy 'batery' \(did you mean 'battery'\?\)"):
        Routing.model_validate({"preset": "batery"})


# --- each policy's reasons, word for word --------------------------------------------------------------

BATTERY_REASONS = [
    (10.0, "normal", False, "green: the primary model for everything (weekly window at 10 %)"),
    (60.0, "high", False, "yellow: important work stays on the primary model (weekly window at 60 %)"),
    (60.0, "normal", False, "yellow: non-critical work goes to the light model (weekly window at 60 %)"),
    (
        80.0,
        "normal",
        True,
        "orange: only user-requested or complex-judgement work keeps the primary model "
        "(weekly window at 80 %)",
    ),
    (80.0, "high", False, "orange: everything else goes to the light model (weekly window at 80 %)"),
    (90.0, "critical", True, "red: everything goes to the fallback (weekly window at 90 %)"),
]


@pytest.mark.parametrize(("week", "task", "asked", "reason"), BATTERY_REASONS)
def test_battery_says_why(week: float, task: str, asked: bool, reason: str) -> None:
    assert route(Routing(), 0.0, week, task, asked).reason == reason


METABOLIC_REASONS = [
    (10.0, "high", "claude-sonnet-4-6", "burst: high-value work goes to the cloud (5-hour window at 10 %)"),
    (10.0, "normal", "qwen3:14b", "burst: medium work stays local (5-hour window at 10 %)"),
    (10.0, "routine", "qwen3:8b", "burst: routine work never goes to the cloud (5-hour window at 10 %)"),
    (60.0, "critical", "qwen3:14b", "active: the larger local model only (5-hour window at 60 %)"),
    (90.0, "critical", "qwen3:8b", "resting: the smaller local model only (5-hour window at 90 %)"),
]


@pytest.mark.parametrize(("five", "task", "model", "reason"), METABOLIC_REASONS)
def test_metabolic_says_why(five: float, task: str, model: str, reason: str) -> None:
    decided = route(Routing(preset="metabolic"), five, 10.0, task)
    assert (decided.model, decided.reason, decided.cloud) == (model, reason, model == "claude-sonnet-4-6")


def test_a_custom_table_before_its_first_rule_is_reached_is_in_its_first_tier() -> None:
    table = Routing.model_validate(
        {
            "preset": "custom",
            "custom": {
                "tiers": [
                    {"name": "CALM", "window": "five_hour", "at_least": 20},
                    {"name": "BUSY", "window": "seven_day", "at_least": 60},
                ],
                "route": {"CALM": {"normal": "big"}, "BUSY": {"normal": "small"}},
                "fallback": "small",
                "cloud_models": ["big"],
            },
        }
    )
    below = route(table, 5.0, 10.0)
    assert (below.tier, below.window, below.value, below.model) == ("CALM", "five_hour", 5.0, "big")
    assert below.reason == "calm: your table (5-hour window at 5 %)"
    unknown_five = route(table, None, 10.0)
    assert (unknown_five.tier, unknown_five.window, unknown_five.value) == ("CALM", "five_hour", 0.0)
    assert route(table, 5.0, 70.0).tier == "BUSY"


def test_a_custom_table_left_in_place_is_not_used_by_a_preset() -> None:
    kept = Routing.model_validate({"preset": "battery", "custom": CUSTOM.custom.model_dump()})
    assert fallback(kept) == "claude-haiku-4-5"
    assert cloud_models(kept) == {"claude-sonnet-4-6", "flash", "claude-haiku-4-5"}
    assert route(kept, 10.0, 10.0).model == "claude-sonnet-4-6"
    assert cloud_models(CUSTOM) == {"big"}


def test_an_unknown_task_class_is_refused_with_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"^task class must be one of routine, normal, high, critical, got 'urgent'$"
    ):
        route(Routing(), 10.0, 10.0, "urgent")
