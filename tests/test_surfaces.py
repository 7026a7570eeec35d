"""Every surface names the same severity for the same windows: the statusline, `tier`, `check` and its
JSON, `status` and its JSON, `watch`, the session-start hook's brief, `route` and the Python API.
The windows come in as Claude Code hands them over (the statusline's stdin); the expected severity
comes from the default thresholds (green < 50 ≤ yellow < 70 ≤ orange < 85 ≤ red; at its limit from 95),
and at the limit every routing answer is the policy's fallback."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import run

from ai_budget.api import QuotaMonitor
from ai_budget.integrations import hooks

FIVE = [0, 50, 79, 80, 89, 90, 91, 94, 95, 99, 100]
WEEK = [0, 35, 60, 96]
PRIMARY, FALLBACK = "claude-sonnet-4-6", "claude-haiku-4-5"


def expected(five: float, week: float) -> tuple[str, str, float, bool]:
    """(level, window, value, at its limit) by the rule: the worse window, the 5-hour one on a tie."""
    window, value = ("five_hour", five) if five >= week else ("seven_day", week)
    bands = [(50, "green"), (70, "yellow"), (85, "orange")]
    name = next((n for bound, n in bands if value < bound), "red")
    return name, window, value, value >= 95


def described(five: float, week: float) -> str:
    name, window, value, limit = expected(five, week)
    label = "5-hour" if window == "five_hour" else "weekly"
    return f"{name.upper()} ({label} window at {value:g} %{', at its limit' if limit else ''})"


def feed(five: float, week: float) -> str:
    """The statusline's stdin with these windows (resets ahead), and the line it printed."""
    soon = datetime.now(timezone.utc) + timedelta(hours=2)
    payload = {
        "session_id": "matrix",
        "cost": {"total_cost_usd": 0.41},
        "rate_limits": {
            "five_hour": {"used_percentage": five, "resets_at": int(soon.timestamp())},
            "seven_day": {"used_percentage": week, "resets_at": int((soon + timedelta(days=3)).timestamp())},
        },
    }
    result = run("statusline", "--no-color", input=json.dumps(payload))
    assert result.exit_code == 0
    return result.stdout.rstrip("\n")


def watch_title(width: int) -> str:
    """The `watch` screen rendered at `width` columns, as text."""
    from rich.console import Console

    from ai_budget import paths
    from ai_budget.cli.views.watch import screen
    from ai_budget.session.status import status
    from ai_budget.timeutil import now

    console = Console(record=True, width=width, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(screen(status(paths.claude_dirs(), now()), [], 10, width))
    return console.export_text()


def surfaces(five: float, week: float, claude_dir: Path) -> dict[str, Any]:
    """What each surface says for these windows."""
    line = feed(five, week)
    tier = json.loads(run("tier", "--json").stdout)
    route = json.loads(run("route", "--class", "critical", "--user-requested", "--json").stdout)
    brief = json.loads(run("check", "--json").stdout)
    glance = json.loads(run("status", "--json").stdout)
    started = json.loads(hooks.session_start({"source": "startup", "session_id": "matrix"}) or "{}")
    context = started["hookSpecificOutput"]["additionalContext"]
    monitor = QuotaMonitor(cache_seconds=0, claude_dir=claude_dir)
    quota = monitor.status()
    assert quota is not None
    return {
        "statusline": line.rsplit(" · ", 1)[1],
        "tier": (tier["severity"]["level"], tier["severity"]["at_limit"]),
        "tier text": run("tier").stdout,
        "check": run("check").stdout.splitlines()[0],
        "check --json": (
            brief["severity"]["level"],
            brief["severity"]["window"],
            brief["severity"]["at_limit"],
        ),
        "status": run("status", "--no-color").stdout.splitlines()[0],
        "status --json": (
            glance["severity"]["level"],
            glance["severity"]["window"],
            glance["severity"]["at_limit"],
        ),
        "watch": watch_title(100),
        "hook": context.splitlines()[0],
        "hook warnings": [w for w in context.splitlines() if w.startswith("Warning: ")],
        "route": route["model"],
        "route text": run("route", "--class", "normal").stdout,
        "api": (quota.severity, quota.at_limit, monitor.select_model("critical", user_requested=True)),
    }


@pytest.mark.parametrize("week", WEEK)
def test_every_surface_names_the_same_severity(journal: Path, claude_dir: Path, week: float) -> None:
    wrong = []
    for five in FIVE:
        name, window, value, limit = expected(five, week)
        said = surfaces(five, week, claude_dir)
        want = {
            "statusline": name.upper() + (" (at limit)" if limit else ""),
            "tier": (name, limit),
            "check --json": (name, window, limit),
            "status --json": (name, window, limit),
            # Critical work the user asked for keeps the primary in every battery tier but at the limit.
            "route": FALLBACK if limit else PRIMARY,
            "api": (name, limit, FALLBACK if limit else PRIMARY),
        }
        texts = {
            "tier text": f"severity {described(five, week)}",
            "check": f"severity {described(five, week)}",
            "status": f"severity {described(five, week)}",
            "watch": f"severity {described(five, week)}",
            "hook": f"ai-budget: severity {described(five, week)}.",
        }
        for surface, value_wanted in want.items():
            if said[surface] != value_wanted:
                wrong.append((five, week, surface, said[surface], value_wanted))
        for surface, text in texts.items():
            if text not in said[surface]:
                wrong.append((five, week, surface, said[surface], text))
        if limit and not said["route text"].startswith(f"{FALLBACK}: the "):
            wrong.append((five, week, "route text", said["route text"], FALLBACK))
        _keep(five, week, said)
    assert wrong == []


def _keep(five: float, week: float, said: dict[str, Any]) -> None:
    """With AI_BUDGET_MATRIX=FILE, one row of what each surface said (the table in the docs)."""
    target = os.environ.get("AI_BUDGET_MATRIX")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"five": five, "week": week} | said, default=str) + "\n")


@pytest.mark.parametrize(
    ("five", "warned"),
    [
        (84, None),
        (85, "Warning: 5-hour window at 85 %: about 15 % left until it resets at"),
        (91, "Warning: 5-hour window at 91 %: about 9 % left until it resets at"),
        (
            95,
            "Warning: 5-hour window at 95 %, at its limit: the primary model is unavailable until it resets",
        ),
        (
            100,
            "Warning: 5-hour window at 100 %, at its limit: the primary model is unavailable until it resets",
        ),
    ],
)
def test_the_session_start_brief_warns_of_a_high_five_hour_window(
    journal: Path, claude_dir: Path, five: float, warned: str | None
) -> None:
    feed(five, 20)
    said = surfaces(five, 20, claude_dir)
    if warned is None:
        assert not any("5-hour window at" in w for w in said["hook warnings"])
    else:
        assert said["hook warnings"][0].startswith(warned)
    if five >= 95:
        assert said["hook warnings"][0].endswith(f"; routing sends work to {FALLBACK}")


def test_where_tier_and_severity_differ_both_are_named_apart(journal: Path, claude_dir: Path) -> None:
    feed(90, 35)
    assert run("tier").stdout == (
        "GREEN (battery policy: weekly window at 35 %); severity RED (5-hour window at 90 %)\n"
    )
    brief = run("check").stdout
    assert brief.splitlines()[0].endswith(": severity RED (5-hour window at 90 %)")
    assert "Model for normal work: claude-sonnet-4-6 (battery tier GREEN): green: the primary model" in brief
    data = json.loads(run("check", "--json").stdout)
    assert "tier" not in data  # one name per fact: "severity" here, "tier" only for the policy's
    assert (data["severity"]["level"], data["routing"]["tier"]) == ("red", "GREEN")
    feed(100, 35)
    assert run("tier").stdout == (
        "GREEN (battery policy: weekly window at 35 %); severity RED (5-hour window at 100 %, at its limit); "
        f"every task goes to the fallback, {FALLBACK}\n"
    )


def test_the_statusline_colours_each_window_by_its_own_level(
    journal: Path, claude_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    soon = int((datetime.now(timezone.utc) + timedelta(hours=2)).timestamp())
    payload = {"rate_limits": {"five_hour": {"used_percentage": 72, "resets_at": soon}}}
    payload["rate_limits"]["seven_day"] = {"used_percentage": 96, "resets_at": soon + 86400}
    line = run("statusline", input=json.dumps(payload)).stdout
    orange, red = "\x1b[38;5;208m", "\x1b[31m"
    assert line.startswith(f"{orange}5h 72%\x1b[0m ↺")
    assert f" · {red}wk 96%\x1b[0m · {red}RED (at limit)\x1b[0m" in line


def test_a_threshold_the_user_set_reaches_the_statusline_and_the_brief_alike(
    journal: Path, claude_dir: Path
) -> None:
    path = journal / "budget.json"
    data = json.loads(path.read_text())
    data.setdefault("settings", {})["tiers"] = {"green": 30, "yellow": 40, "orange": 60, "limit": 80}
    path.write_text(json.dumps(data))
    line = feed(80, 10)
    assert line.endswith(" · RED (at limit)")
    assert json.loads(run("check", "--json").stdout)["severity"] == {
        "level": "red",
        "window": "five_hour",
        "value": 80.0,
        "at_limit": True,
        "limit": 80.0,
    }
    assert json.loads(run("route", "--json").stdout)["model"] == FALLBACK
    feed(35, 10)
    assert feed(35, 10).endswith(" · YELLOW")
    assert json.loads(run("status", "--json").stdout)["severity"]["level"] == "yellow"
