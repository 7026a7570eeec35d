"""Living inside Claude Code: usage from the statusline feed and Claude Code's cache, the statusline
command, and the hooks, fed the payloads Claude Code sends."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, assert_clean, baseline, budget, python_cli, run, subjects
from usage_server import Reply, UsageServer, usage_body

HOOKS = FIXTURES / "hook_stdin"


def statusline_payload(five: float = 37.0, week: float = 22.0, **extra: Any) -> str:
    """The sample statusline stdin, its reset times moved into the future."""
    data = json.loads((FIXTURES / "statusline_stdin.json").read_text())
    soon = datetime.now(timezone.utc) + timedelta(hours=2)
    data["rate_limits"] = {
        "five_hour": {"used_percentage": five, "resets_at": int(soon.timestamp())},
        "seven_day": {"used_percentage": week, "resets_at": int((soon + timedelta(days=3)).timestamp())},
    }
    data.update(extra)
    return json.dumps(data)


def claude_cache(home: Path, body: str, age: timedelta = timedelta(0)) -> None:
    """Claude Code's own cached usage answer in ~/.claude.json (beside keys of its own)."""
    fetched = datetime.now(timezone.utc) - age
    state = {"numStartups": 12, "cachedUsageUtilization": {"fetchedAtMs": fetched.timestamp() * 1000}}
    state["cachedUsageUtilization"]["utilization"] = json.loads(body)
    (home / ".claude.json").write_text(json.dumps(state))


def fetch_json(*args: str) -> dict[str, Any]:
    result = run("fetch", "--json", *args)
    return json.loads(result.stdout)


# --- where usage comes from ------------------------------------------------------------------------


def test_the_statusline_feed_answers_fetch_without_a_request(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    out = run("statusline", input=statusline_payload())
    assert out.exit_code == 0 and "5h 37%" in out.stdout
    data = fetch_json()
    assert (data["source"], data["five_hour"]["utilization"], data["seven_day"]["utilization"]) == (
        "statusline",
        37.0,
        22.0,
    )
    assert data["age_seconds"] < 60
    assert server.requests == []
    assert budget(journal)["claude"]["five_hour_util"] == 37.0
    assert_clean(journal)


def test_claude_codes_cache_answers_when_it_is_young(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path
) -> None:
    claude_cache(home, usage_body(five=41.0, week=30.0), age=timedelta(minutes=1))
    data = fetch_json()
    assert (data["source"], data["five_hour"]["utilization"]) == ("claude-cache", 41.0)
    assert server.requests == []


def test_stale_local_sources_mean_one_request(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "1")
    run("statusline", input=statusline_payload(five=10.0))
    claude_cache(home, usage_body(five=11.0), age=timedelta(hours=2))
    time.sleep(1.1)  # the feed is now older than the cache lifetime too
    server.answer(Reply(body=usage_body(five=55.0)))
    data = fetch_json()
    assert (data["source"], data["five_hour"]["utilization"]) == ("api", 55.0)
    assert len(server.requests) == 1


def test_the_freshest_local_source_wins(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path
) -> None:
    claude_cache(home, usage_body(five=41.0), age=timedelta(minutes=3))
    run("statusline", input=statusline_payload(five=43.0))
    assert fetch_json()["five_hour"]["utilization"] == 43.0
    claude_cache(home, usage_body(five=45.0), age=timedelta(seconds=0))
    time.sleep(0.01)
    assert fetch_json()["source"] == "claude-cache"


def test_windows_the_feed_lacks_come_from_the_freshest_source_that_has_them(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path
) -> None:
    extra = {"is_enabled": True, "monthly_limit": 5000, "used_credits": 1250, "utilization": 25.0}
    claude_cache(home, usage_body(five=30.0, extra_usage=extra), age=timedelta(hours=3))
    run("statusline", input=statusline_payload(five=37.0))
    data = fetch_json()
    assert (data["source"], data["five_hour"]["utilization"]) == ("statusline", 37.0)
    assert data["extra_usage"]["used_credits"] == 1250
    assert server.requests == []


def test_usage_api_off_never_calls_the_endpoint(journal: Path, claude_dir: Path, server: UsageServer) -> None:
    data = budget(journal)
    data.setdefault("settings", {})["usage_api"] = False
    (journal / "budget.json").write_text(json.dumps(data))
    result = run("fetch", "--json")
    assert result.exit_code == 1
    assert "settings.usage_api is false" in result.stderr
    assert server.requests == []


@pytest.mark.parametrize(("source", "expected"), [("statusline", "statusline"), ("claude", "claude-cache")])
def test_source_picks_one(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path, source: str, expected: str
) -> None:
    claude_cache(home, usage_body(five=20.0), age=timedelta(hours=1))
    run("statusline", input=statusline_payload(five=25.0))
    data = fetch_json("--source", source)
    assert data["source"] == expected
    assert data["five_hour"]["utilization"] == (25.0 if source == "statusline" else 20.0)
    server.answer(Reply(body=usage_body(five=60.0)))
    assert fetch_json("--source", "api")["source"] == "api"
    assert len(server.requests) == 1


def test_source_with_nothing_recorded_is_one_line(journal: Path, claude_dir: Path) -> None:
    result = run("fetch", "--source", "statusline")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Claude Code's statusline feed")
    assert result.stderr.count("\n") == 1


# --- the statusline command --------------------------------------------------------------------------


def test_statusline_line_and_colour(journal: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = run("statusline", input=statusline_payload(five=37.0, week=22.0)).stdout
    # Each window in its own level's colour, then the severity: both under green's 50 %.
    assert coloured.startswith("\x1b[32m5h 37%\x1b[0m ↺")
    assert " · \x1b[32mwk 22%\x1b[0m · $0.41 · \x1b[32mGREEN\x1b[0m" in coloured
    # 90 % of the 5-hour window is red (from orange's 85) whatever the week: the worse window decides.
    mixed = run("statusline", input=statusline_payload(five=90.0, week=35.0)).stdout
    assert mixed.startswith("\x1b[31m5h 90%\x1b[0m ↺")
    assert " · \x1b[32mwk 35%\x1b[0m · $0.41 · \x1b[31mRED\x1b[0m" in mixed
    monkeypatch.setenv("NO_COLOR", "1")
    # The weekly window decides when it is the worse one: 72 % is past yellow's 70.
    plain = run("statusline", input=statusline_payload(five=12.0, week=72.0)).stdout
    assert plain.rstrip("\n").endswith(" · $0.41 · ORANGE")
    monkeypatch.setenv("COLUMNS", "12")
    assert len(run("statusline", input=statusline_payload()).stdout.rstrip("\n")) == 12


@pytest.mark.parametrize(
    "stdin", ["", "not json", "[1, 2]", '{"rate_limits": {"five_hour": {"used_percentage": "x"}}}']
)
def test_statusline_with_bad_input_prints_a_fallback_and_exits_0(stdin: str) -> None:
    done = python_cli("statusline", input=stdin)
    assert done.returncode == 0
    assert done.stdout.startswith("ai-budget: no usage yet")
    assert done.stderr == ""


def test_statusline_wraps_the_users_own_command(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.sh"
    theirs.write_text('#!/bin/sh\nread -r line; printf "mine:%s" "$(echo "$line" | cut -c1-13)"\n')
    theirs.chmod(0o755)
    done = python_cli("statusline", "--wrap", str(theirs), input=statusline_payload())
    assert done.returncode == 0
    assert done.stdout.startswith('mine:{"session_id" · \x1b[32m5h 37%\x1b[0m ↺')


def test_statusline_keeps_a_window_the_next_payload_lacks(journal: Path, claude_dir: Path) -> None:
    run("statusline", input=statusline_payload(five=37.0, week=22.0))
    only_five = json.loads(statusline_payload(five=39.0))
    del only_five["rate_limits"]["seven_day"]
    run("statusline", input=json.dumps(only_five))
    data = fetch_json()
    assert (data["five_hour"]["utilization"], data["seven_day"]["utilization"]) == (39.0, 22.0)


# --- the hooks ---------------------------------------------------------------------------------------


def hook(name: str, payload: str | dict[str, Any]) -> Any:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return python_cli("hook", name, input=text)


def test_session_start_opens_the_session_and_briefs_claude(journal: Path, claude_dir: Path) -> None:
    run("statusline", input=statusline_payload())
    done = hook("session-start", (HOOKS / "session_start.json").read_text())
    assert done.returncode == 0, done.stderr
    context = json.loads(done.stdout)["hookSpecificOutput"]
    assert context["hookEventName"] == "SessionStart"
    assert (
        context["additionalContext"].startswith("ai-budget: severity GREEN (5-hour window at 37 %).")
        and "5-hour window 37.0%" in context["additionalContext"]
    )
    assert len(context["additionalContext"]) <= 1500
    assert subjects(journal) == ["init: journal created"]  # a start is state, never a commit
    assert baseline(journal)["session_id"] == "7c1e2a4b-3d5f-4a60-9b8c-1d2e3f405162"
    assert baseline(journal)["five_hour_util"] == 37.0
    assert_clean(journal)


def test_session_start_leaves_the_rollup_to_a_check_by_hand(journal: Path, claude_dir: Path) -> None:
    from transcript_builder import assistant, project_dir, usage, write

    # A finished day of transcripts: `check` rolls it up in a commit of its own; the hook must not
    # (a first backfill reads every transcript, too long for a session's start).
    day = datetime.now(timezone.utc) - timedelta(days=3)
    write(
        project_dir(claude_dir) / "old.jsonl", [assistant("msg_old", usage(out=7), when=day, session="old")]
    )
    run("statusline", input=statusline_payload())
    count = len(subjects(journal))
    assert hook("session-start", (HOOKS / "session_start.json").read_text()).returncode == 0
    assert len(subjects(journal)) == count
    assert not (journal / "usage").exists()
    assert run("check").exit_code == 0
    assert any(s.startswith("usage: rollup ") for s in subjects(journal)[:2])


def test_session_start_on_compact_does_nothing(journal: Path, claude_dir: Path) -> None:
    """A compaction keeps the session (and the brief is already in its context)."""
    payload = json.loads((HOOKS / "session_start.json").read_text()) | {"source": "compact"}
    count = len(subjects(journal))
    done = hook("session-start", payload)
    assert (done.returncode, done.stdout) == (0, "")
    assert len(subjects(journal)) == count and baseline(journal) is None


@pytest.mark.parametrize("source", ["resume", "clear"])
def test_session_start_on_resume_or_clear_opens_the_session(
    journal: Path, claude_dir: Path, source: str
) -> None:
    """A resume continues a session, /clear starts a new one: each is opened (state) and briefed."""
    payload = json.loads((HOOKS / "session_start.json").read_text()) | {"source": source}
    count = len(subjects(journal))
    done = hook("session-start", payload)
    assert done.returncode == 0 and "additionalContext" in done.stdout
    assert len(subjects(journal)) == count
    assert baseline(journal)["session_id"] == payload["session_id"]


def test_session_end_logs_an_unlogged_session_without_a_request(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    from transcript_builder import assistant, project_dir, usage, write

    sid = json.loads((HOOKS / "session_end.json").read_text())["session_id"]
    begun = datetime.now(timezone.utc) - timedelta(minutes=10)
    replies = [
        assistant(f"m{i}", usage(out=10), when=begun + timedelta(minutes=i), session=sid) for i in range(6)
    ]
    write(project_dir(claude_dir) / f"{sid}.jsonl", replies)  # a real session: six answers in five minutes
    run("statusline", input=statusline_payload(five=37.0))
    hook("session-start", (HOOKS / "session_start.json").read_text())
    run("statusline", input=statusline_payload(five=41.0))
    start = time.monotonic()
    done = hook("session-end", (HOOKS / "session_end.json").read_text())
    took = time.monotonic() - start
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert subjects(journal)[0].endswith(": no work logged, 5h +4.0% (automatic)")
    assert "Logged-By: session-end hook" in os.popen(f"git -C {journal} log -1 --format=%B").read()
    assert baseline(journal) is None
    assert server.requests == []
    # It waited on nothing (no request, no lock): Claude Code gives it 5 s once installed; the margin is
    # for a loaded machine, and the hook's speed is measured in bench/, not here.
    assert took < 15
    # Logged once: a second end (or a `/budget-log` before it) leaves nothing to log.
    count = len(subjects(journal))
    hook("session-end", (HOOKS / "session_end.json").read_text())
    assert len(subjects(journal)) == count
    assert_clean(journal)


def test_session_end_leaves_another_sessions_baseline(journal: Path, claude_dir: Path) -> None:
    run("statusline", input=statusline_payload())
    hook("session-start", (HOOKS / "session_start.json").read_text())
    other = json.loads((HOOKS / "session_end.json").read_text()) | {"session_id": "another-session"}
    count = len(subjects(journal))
    assert hook("session-end", other).returncode == 0
    assert len(subjects(journal)) == count


@pytest.mark.parametrize("name", ["session-start", "session-end", "prompt"])
@pytest.mark.parametrize("payload", ["", "garbage", "[]", '{"source": "startup"}'])
def test_every_hook_exits_0_with_nothing_on_stdout_on_bad_input(
    name: str, payload: str, tmp_path: Path
) -> None:
    # No journal at all, and input Claude Code would never send: still exit 0, stdout empty.
    done = python_cli("hook", name, input=payload)
    assert done.returncode == 0
    assert done.stdout == ""
    assert "Traceback" not in done.stderr


def test_prompt_hook_warns_once_per_threshold_per_window(journal: Path, claude_dir: Path) -> None:
    prompt = json.dumps({"hook_event_name": "UserPromptSubmit", "prompt": "go on", "session_id": "s"})
    run("statusline", input=statusline_payload(five=70.0, week=10.0))
    assert hook("prompt", prompt).stdout == ""
    run("statusline", input=statusline_payload(five=91.0, week=10.0))
    first = hook("prompt", prompt).stdout
    assert first.startswith("ai-budget: 5-hour window at 91 %, resets in ")
    assert first.rstrip().endswith("finish the current step, then suggest /budget-log.")
    assert first.count("\n") == 1
    assert hook("prompt", prompt).stdout == ""  # told once for 80 and 90
    run("statusline", input=statusline_payload(five=96.0, week=10.0))
    assert "96 %" in hook("prompt", prompt).stdout
    assert hook("prompt", prompt).stdout == ""
