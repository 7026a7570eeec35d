"""Faults that used to trace back or write a wrong record, each built for real (a SQLite row, a file, a
loopback server): one line or a quiet skip, a non-zero exit where the README promises one, nothing lost,
nothing written on refusal, hooks silent on both streams.

Permission faults need a process that permission bits bind. Root is not bound by them (the suite runs
as root in CI), so as root the command runs under `setpriv` with the two capabilities that override
file permissions dropped: root then meets the bits as any user does."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, assert_clean, budget, python_cli, run, subjects
from console_server import ConsoleServer, bucket, cost_item, report, serving
from test_github import GitHub, credit, github  # noqa: F401 (the fixture)

from ai_budget.claude import console, usage_history

SETPRIV = shutil.which("setpriv")


def bound_by_permissions(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess that file permissions bind, even when the suite runs as root."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if SETPRIV is None:
            pytest.skip("running as root without setpriv: nothing here can make permissions bind")
        prefix = [SETPRIV, "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ai_budget", *args], capture_output=True, text=True, **kwargs
    )  # type: ignore[call-overload]


def statusline(five: float, week: float, cost: object = 0.41) -> str:
    soon = int((datetime.now(timezone.utc) + timedelta(hours=2)).timestamp())
    payload = {
        "cost": {"total_cost_usd": cost},
        "rate_limits": {
            "five_hour": {"used_percentage": five, "resets_at": soon},
            "seven_day": {"used_percentage": week, "resets_at": soon + 86400},
        },
    }
    return run("statusline", "--no-color", input=json.dumps(payload)).stdout.rstrip("\n")


# --- the usage history ---------------------------------------------------------------------------------


def test_a_damaged_row_in_the_usage_history_is_left_out(journal: Path, claude_dir: Path) -> None:
    statusline(40.0, 20.0)
    assert run("status").exit_code == 0  # the database exists now
    now = datetime.now(timezone.utc).timestamp()
    with sqlite3.connect(usage_history.history_file()) as conn:
        conn.executemany(
            "INSERT INTO observations VALUES (?, ?, ?, ?, ?)",
            [
                (1e20, "api", "five_hour", 50.0, None),  # a time past year 9999
                (now - 60, "api", "five_hour", 45.0, 1e300),  # a reset past it
                (now - 30, "api", "five_hour", "abc", None),  # not a number
                ("soon", "api", "five_hour", 41.0, None),  # a time that is text
                (now - 10, "api", "seven_day", 9e999, None),  # infinity
            ],
        )
    for args in (("status",), ("status", "--json"), ("check",), ("check", "--json"), ("tier",)):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
    readings = usage_history.series("five_hour", datetime.now(timezone.utc) - timedelta(hours=1))
    assert [value for _, value, _ in readings] == [40.0]
    statusline(42.0, 20.0)  # and the next reading is still recorded beside the damage
    later = usage_history.series("five_hour", datetime.now(timezone.utc) - timedelta(hours=1))
    assert [value for _, value, _ in later] == [40.0, 42.0]


# --- Claude Code's settings and the integration record ---------------------------------------------------


def nested(levels: int) -> str:
    return '{"theirs": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("settings.json", nested(100_000), "nests objects or lists more than 64 deep"),
        ("settings.json", nested(200), "nests objects or lists more than 64 deep"),
        ("ai-budget-integration.json", nested(100_000), "nests objects or lists more than 64 deep"),
        ("ai-budget-integration.json", "RECORD|hooks=[]", "is not a record this ai-budget can read"),
        ("ai-budget-integration.json", 'RECORD|created="hooks"', "is not a record this ai-budget can read"),
        ("ai-budget-integration.json", 'RECORD|statusline="ours"', "is not a record this ai-budget can read"),
        ("ai-budget-integration.json", "RECORD|skills=5", "is not a record this ai-budget can read"),
        ("ai-budget-integration.json", 'RECORD|hooks={"SessionEnd": 5}', "is not a record this ai-budget"),
        ("ai-budget-integration.json", 'RECORD|permission="yes"', "is not a record this ai-budget can read"),
    ],
)
def test_damaged_settings_or_record_are_refused_untouched(
    home: Path, name: str, text: str, said: str
) -> None:
    claude = home / ".claude"
    claude.mkdir()
    settings = claude / "settings.json"
    settings.write_text('{"model": "opus"}\n')
    if text.startswith("RECORD|"):
        from ai_budget.integrations.settings_file import new_record

        key, _, value = text.removeprefix("RECORD|").partition("=")
        text = json.dumps(new_record(None) | {key: json.loads(value)})
    (claude / name).write_text(text)
    before = {p: p.read_bytes() for p in claude.rglob("*") if p.is_file()}
    for command in (("integrate", "install"), ("integrate", "uninstall"), ("integrate", "status")):
        done = python_cli(*command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert said in done.stderr + done.stdout
        assert "Traceback" not in done.stderr
        assert {p: p.read_bytes() for p in claude.rglob("*") if p.is_file()} == before


def test_a_record_naming_an_event_it_never_installed_is_passed_over(home: Path) -> None:
    claude = home / ".claude"
    assert run("integrate", "install").exit_code == 0
    record = json.loads((claude / "ai-budget-integration.json").read_text())
    record["hooks"]["Notification"] = "ai-budget hook notify"
    (claude / "ai-budget-integration.json").write_text(json.dumps(record))
    done = run("integrate", "uninstall")
    assert done.exit_code == 0, done.stderr
    assert not (claude / "ai-budget-integration.json").exists()


def test_a_read_only_settings_file_is_refused_not_replaced(home: Path) -> None:
    claude = home / ".claude"
    claude.mkdir()
    settings = claude / "settings.json"
    settings.write_text('{"model": "opus"}\n')
    settings.chmod(0o444)
    result = run("integrate", "install")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {settings} is read-only (`chmod u+w` it to let ai-budget edit it): nothing was changed\n"
    )
    assert sorted(p.name for p in claude.iterdir()) == ["settings.json"]  # no skills, record or backup
    assert settings.read_text() == '{"model": "opus"}\n'
    assert stat.S_IMODE(settings.stat().st_mode) == 0o444


def test_an_install_that_cannot_write_a_skill_writes_nothing(home: Path) -> None:
    claude = home / ".claude"
    claude.mkdir()
    (claude / "settings.json").write_text('{"model": "opus"}\n')
    (claude / "skills").write_text("a file where the skills folder belongs\n")
    result = run("integrate", "install")
    assert result.exit_code == 1
    assert "cannot be created: " in result.stderr and f"{claude / 'skills'} is not a folder" in result.stderr
    assert sorted(p.name for p in claude.iterdir()) == ["settings.json", "skills"]
    assert (claude / "settings.json").read_text() == '{"model": "opus"}\n'


def test_an_install_into_a_folder_it_cannot_write_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    claude = home / ".claude"
    claude.mkdir(parents=True, exist_ok=True)
    (claude / "settings.json").write_text('{"model": "opus"}\n')
    claude.chmod(0o555)
    try:
        done = bound_by_permissions("integrate", "install")
    finally:
        claude.chmod(0o755)
    assert done.returncode == 1, done.stdout
    assert f"the folder {claude} is not writable: nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in claude.iterdir()) == ["settings.json"]


# --- the Admin API and GitHub ------------------------------------------------------------------------------


@pytest.fixture
def srv(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsoleServer]:
    yield from serving(monkeypatch)


@pytest.mark.parametrize("amount", ["1e999999999", "9e99", "1e-999999999", "Infinity", "-5"])
def test_an_admin_api_amount_past_any_month_is_left_out(
    srv: ConsoleServer, journal: Path, amount: str
) -> None:
    srv.routes[console.COST] = report(
        [[bucket("2026-11-01", [cost_item("1200", None, "claude-sonnet-4-5"), cost_item(amount, None, "x")])]]
    )
    data = run("console", "--month", "2026-11", "--json")
    assert data.exit_code == 0, data.stderr
    tiny = amount == "1e-999999999"  # a real, if absurdly small, amount: counted, and rounds away
    assert json.loads(data.stdout)["cost_usd"] == 12.0
    text = run("console", "--month", "2026-11")
    assert text.exit_code == 0 and "Cost: $12.00 for the month (complete)" in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) < 200
    assert tiny or "x" not in {m["model"] for m in json.loads(data.stdout)["models"]}


def test_copilot_quantities_that_overflow_are_refused(journal: Path, github: GitHub) -> None:  # noqa: F811
    github.usage("premium_request", [credit("A", 1e308), credit("B", 1e308)])
    before = (journal / "budget.json").read_bytes()
    result = run("copilot", "fetch")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: GitHub's usage report adds up to more than 10,000,000 this month, which no plan allows: "
        "the format may have changed; keep using `ai-budget copilot set N`\n"
    )
    assert (journal / "budget.json").read_bytes() == before


@pytest.mark.parametrize(
    "damage",
    [
        "not json",
        "[]",
        '{"fetched_at": "2026-13-45", "used": 3, "login": "x", "year": 2026, "month": 1}',
        '{"fetched_at": "NOW", "used": 3}',
        '{"fetched_at": 1e300, "used": 3, "login": "x"}',
        '{"fetched_at": "FRESH", "used": "many", "login": "x"}',
        '{"fetched_at": "FRESH", "used": 3}',
        '{"fetched_at": "FRESH", "used": 1e308, "login": "x"}',
        '{"fetched_at": "FRESH", "used": -4, "login": "x"}',
    ],
)
def test_a_damaged_copilot_cache_is_no_cache(journal: Path, github: GitHub, damage: str) -> None:  # noqa: F811
    from ai_budget.github.copilot import _file

    now = datetime.now(timezone.utc)
    damage = damage.replace('"FRESH"', json.dumps(now.isoformat())).replace('2026, "month": 1', "")
    damage = damage.replace('"login": "x"', f'"login": "x", "year": {now.year}, "month": {now.month}')
    github.usage("premium_request", [credit("A", 12)])
    path = _file("copilot-requests")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(damage)
    result = run("copilot", "fetch", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["used"] == 12  # asked of GitHub, not taken from the damage


# --- hooks, the statusline, budget.json, tokens -----------------------------------------------------------


@pytest.mark.parametrize("name", ["session-start", "session-end", "prompt"])
@pytest.mark.parametrize("payload", ["", "garbage", "[]", "1e999", '{"source": "startup"}', "{" * 100_000])
def test_hooks_say_nothing_on_either_stream_for_bad_input(name: str, payload: str) -> None:
    done = python_cli("hook", name, input=payload)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("name", ["session-start", "session-end", "prompt"])
def test_hooks_say_nothing_for_a_damaged_journal(journal: Path, name: str) -> None:
    (journal / "budget.json").write_text("{ damaged")
    done = python_cli("hook", name, input='{"source": "startup", "session_id": "s"}')
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize("cost", [1e300, 1e16, -1, "12", True, None, 1e6 + 1])
def test_the_statusline_leaves_out_a_cost_no_session_has(journal: Path, cost: object) -> None:
    line = statusline(37.0, 22.0, cost)
    assert line.endswith(" · wk 22% · GREEN")
    assert "$" not in line


def test_the_statusline_shows_a_large_real_cost_with_separators(journal: Path) -> None:
    assert " · $12,345.68 · " in statusline(37.0, 22.0, 12345.678)


def test_status_says_a_damaged_budget_file_instead_of_usage_unknown(journal: Path) -> None:
    (journal / "budget.json").write_text('{"claude": ')
    result = run("status")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {journal / 'budget.json'} is not valid JSON (line 1): restore the last good copy with "
        f"`git -C {journal} checkout budget.json`\n"
    )


@pytest.mark.parametrize("args", [("status",), ("check",), ("fetch",), ("init",), ("copilot", "set", "3")])
def test_budget_json_as_a_folder_is_named_and_left_alone(journal: Path, args: tuple[str, ...]) -> None:
    path = journal / "budget.json"
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("kept\n")
    count = len(subjects(journal))
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path} is not a file: move it away (`mv {path} {path}.moved`), then restore the last "
        f"good copy with `git -C {journal} checkout budget.json`\n"
    )
    assert (path / "inside").read_text() == "kept\n"
    assert len(subjects(journal)) == count


@pytest.mark.parametrize("view", [("--all",), ("--list",), ("--by", "day"), ("--by", "session", "--json")])
def test_tokens_names_a_project_folder_it_cannot_read(tmp_path: Path, view: tuple[str, ...]) -> None:
    home = tmp_path / "home"
    claude = home / ".claude"
    shutil.copytree(FIXTURES / "claude_home" / ".claude", claude, dirs_exist_ok=True)
    shut = claude / "projects" / "-home-user-proj-b"
    shutil.copytree(REPO / "sample_home" / ".claude" / "projects" / "-home-user-proj-b", shut)
    shut.chmod(0)
    try:
        done = bound_by_permissions("tokens", *view)
    finally:
        shut.chmod(0o755)
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert f"1 transcript file(s) or folder(s) unreadable, not counted: {shut}" in said
    assert "Traceback" not in done.stderr


def test_the_journal_is_clean_after_refusals(journal: Path) -> None:
    run("backlog", "add", "x", "--type", "nosuch")
    run("calibrate", "flashcrd", "1", "1")
    assert_clean(journal)
    assert budget(journal)["calibration"]["flashcard"]["samples"] == 0
