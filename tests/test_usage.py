"""Claude utilisation against a real HTTP server on loopback: every sample and every failure."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, assert_clean, budget, git, python_cli, run, subjects
from usage_server import FUTURE_MS, TOKEN, Reply, UsageServer, usage_body, write_login

from ai_budget.claude import endpoint, usage


def test_normal_response(journal: Path, claude_dir: Path, server: UsageServer) -> None:
    result = run("fetch")
    assert result.exit_code == 0, result.stderr
    assert len(server.requests) == 1
    req = server.requests[0]
    assert req["path"] == "/api/oauth/usage"
    assert req["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert req["headers"]["anthropic-beta"] == "oauth-2025-04-20"
    assert req["headers"]["accept"] == "application/json"
    assert req["headers"]["user-agent"].startswith("ai-budget/")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Claude usage (from the usage endpoint, ")
    # 37 % of a 20-cell bar is 7 cells.
    assert lines[1].startswith("  5-hour         " + "█" * 7 + "░" * 13 + "  37.0%  resets ")
    assert lines[1].endswith("in 3h 9m") or lines[1].endswith("in 3h 10m")
    assert lines[2].startswith("  weekly         " + "█" * 4 + "░" * 16 + "  22.0%  resets ")
    data = budget(journal)["claude"]
    assert (data["five_hour_util"], data["seven_day_util"]) == (37.0, 22.0)
    assert data["source"] == "api"
    assert subjects(journal)[0] == "claude: 5h 37.0%, week 22.0%"
    assert_clean(journal)


def test_cached_answer_makes_no_request_and_force_does(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    run("fetch")
    again = run("fetch", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["source"] == "cache"
    assert len(server.requests) == 1
    forced = run("fetch", "--force", "--json")
    assert json.loads(forced.stdout)["source"] == "api"
    assert len(server.requests) == 2


def test_cache_ttl_is_configurable(
    journal: Path, claude_dir: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "0")
    run("fetch")
    run("fetch")
    assert len(server.requests) == 2


@pytest.mark.parametrize("sample", ["normal", "nulls", "over_limit", "2026_shape"])
def test_every_sample_parses(journal: Path, claude_dir: Path, server: UsageServer, sample: str) -> None:
    body = (FIXTURES / "api" / f"anthropic_oauth_usage_{sample}.json").read_text()
    raw = json.loads(body)
    server.answer(Reply(body=body))
    result = run("fetch", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["five_hour"]["utilization"] == raw["five_hour"]["utilization"]
    assert data["seven_day"]["utilization"] == raw["seven_day"]["utilization"]
    stored = budget(journal)["claude"]
    assert stored["five_hour_util"] == raw["five_hour"]["utilization"]
    expected_windows = {
        k
        for k, v in raw.items()
        if isinstance(v, dict) and "utilization" in v and k not in ("five_hour", "seven_day", "extra_usage")
    }
    assert set(stored["windows"]) == expected_windows
    assert stored["limits"] == raw.get("limits")
    assert stored["extra_usage"] == raw.get("extra_usage")


def test_human_view_of_null_reset_and_scoped_limits(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    later = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    server.answer(
        Reply(
            body=usage_body(
                five=0.0,
                five_reset=None,
                limits=[
                    {
                        "kind": "weekly_scoped",
                        "percent": 12,
                        "resets_at": later,
                        "scope": {"model": {"display_name": "Opus"}},
                    }
                ],
                extra_usage={
                    "is_enabled": True,
                    "monthly_limit": 5000,
                    "used_credits": 1837.0,
                    "utilization": 36.74,
                },
            )
        )
    )
    # usage_body fills a missing reset; an idle window has none.
    server.replies[0].body = server.replies[0].body.replace(  # type: ignore[union-attr]
        json.dumps(json.loads(server.replies[0].body)["five_hour"]["resets_at"]), "null", 1
    )
    out = run("fetch").stdout.splitlines()
    assert out[1].endswith("0.0%  no reset scheduled (idle window)")
    assert out[3].startswith("  weekly Opus    ")
    assert out[4] == "  extra usage    enabled: 18.37 of 50.00 USD used (36.7%)"


def test_jitter_in_resets_at_makes_no_commit(journal: Path, claude_dir: Path, server: UsageServer) -> None:
    reset = datetime.now(timezone.utc) + timedelta(hours=2)
    server.answer(Reply(body=usage_body(five_reset=reset)))
    run("fetch")
    count = len(subjects(journal))
    server.answer(Reply(body=usage_body(five_reset=reset + timedelta(seconds=0.7))))
    assert run("fetch", "--force").exit_code == 0
    assert len(subjects(journal)) == count
    server.answer(Reply(body=usage_body(five_reset=reset + timedelta(minutes=5))))
    run("fetch", "--force")
    assert len(subjects(journal)) == count + 1
    server.answer(Reply(body=usage_body(five=38.0, five_reset=reset + timedelta(minutes=5))))
    run("fetch", "--force")
    assert subjects(journal)[0] == "claude: 5h 38.0%, week 22.0%"
    assert_clean(journal)


def failure(result_stderr: str) -> str:
    lines = result_stderr.splitlines()
    assert len(lines) == 1, result_stderr
    assert "Traceback" not in result_stderr
    return lines[0]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(401, (FIXTURES / "api" / "anthropic_oauth_usage_401.json").read_text()),
            "Error: the usage endpoint refused the Claude login (401): run `claude` to refresh the login",
        ),
        (
            Reply(403, '{"error": {"type": "permission_error"}}'),
            "Error: the usage endpoint refused this login (403; it needs the user:profile scope): "
            "run `claude` and /login again",
        ),
        (
            Reply(503, "upstream down"),
            "Error: the usage endpoint failed (HTTP 503): try again in a few minutes",
        ),
        (
            Reply(200, "<!DOCTYPE html><html><body>Just a moment...</body></html>"),
            "Error: the usage endpoint answered with a web page instead of JSON (a bot check or a proxy?): "
            "try again later",
        ),
        (
            Reply(200, '{"five_hour": {"utilization": 37.0, "resets_at": "2026-'),
            "Error: the usage endpoint gave invalid or truncated JSON: try again later",
        ),
        (
            Reply(200, '{"error": "nope"}'),
            "Error: the usage endpoint has no five_hour/seven_day windows: is it a usage response? "
            "(the format may have changed)",
        ),
    ],
)
def test_failures_without_earlier_data(
    journal: Path, claude_dir: Path, server: UsageServer, reply: Reply, message: str
) -> None:
    server.answer(reply)
    result = run("fetch")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert failure(result.stderr) == message


def test_failure_with_earlier_data_shows_last_known_and_exits_non_zero(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    run("fetch")
    server.answer(Reply(401, "{}"))
    result = run("fetch", "--force")
    assert result.exit_code == 1
    assert result.stdout.startswith("Claude usage (last known values, ")
    assert "37.0%" in result.stdout
    assert failure(result.stderr).endswith("(showing the last known values)")
    data = json.loads(run("fetch", "--force", "--json").stdout)
    assert data["source"] == "last-known"
    assert data["fresh"] is False
    assert "401" in data["error"]


def test_last_known_comes_from_budget_json_when_cache_is_gone(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path
) -> None:
    run("fetch")
    for path in (home / ".cache" / "ai-budget").glob("usage-*.json"):
        path.unlink()
    server.answer(Reply(500, "boom"))
    data = json.loads(run("fetch", "--json").stdout)
    assert data["source"] == "last-known"
    assert data["five_hour"]["utilization"] == 37.0


def test_429_retry_after_seconds_is_honoured_even_with_force(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    server.answer(
        Reply(429, (FIXTURES / "api" / "anthropic_oauth_usage_429.json").read_text(), {"Retry-After": "120"})
    )
    first = run("fetch")
    assert first.exit_code == 1
    line = failure(first.stderr)
    assert line.startswith("Error: the usage endpoint is rate limiting (429): next try allowed at ")
    assert line.endswith("(in 2m)") or line.endswith("(in 1m)")
    server.answer(Reply(body=usage_body()))
    second = run("fetch", "--force")
    assert second.exit_code == 1
    assert "asked us to wait after a 429" in second.stderr
    assert len(server.requests) == 1


def test_429_retry_after_http_date(journal: Path, claude_dir: Path, server: UsageServer) -> None:
    when = datetime.now(timezone.utc) + timedelta(minutes=10)
    server.answer(Reply(429, "{}", {"Retry-After": format_datetime(when, usegmt=True)}))
    assert "(in 9m)" in run("fetch").stderr or "(in 10m)" in run("fetch").stderr


def test_429_without_retry_after_backs_off_exponentially(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path
) -> None:
    server.answer(Reply(429, "{}"))
    assert "(in 1m)" in run("fetch").stderr
    # Let the first wait lapse: the next 429 doubles it.
    backoff = next((home / ".cache" / "ai-budget").glob("backoff-*.json"))
    state = json.loads(backoff.read_text())
    state["until"] = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    backoff.write_text(json.dumps(state))
    assert "(in 2m)" in run("fetch").stderr
    assert len(server.requests) == 2


def test_timeout(
    journal: Path, claude_dir: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "TIMEOUT_S", 0.3)
    server.answer(Reply(body=usage_body(), delay=1.0))
    result = run("fetch")
    assert result.exit_code == 1
    assert failure(result.stderr) == (
        "Error: the usage endpoint did not answer within 0.3 s: check the network and retry"
    )


def test_no_network(journal: Path, claude_dir: Path) -> None:
    result = run("fetch")  # the autouse fixture aims at a closed port
    assert result.exit_code == 1
    assert failure(result.stderr).startswith("Error: cannot reach http://127.0.0.1:9 (")


def test_expired_token_makes_no_request(journal: Path, home: Path, server: UsageServer) -> None:
    write_login(home / ".claude", expires=1_600_000_000_000)
    result = run("fetch")
    assert result.exit_code == 1
    assert failure(result.stderr) == (
        "Error: the Claude login expired at 2020-09-13 12:26 UTC: run `claude` to refresh the login"
    )
    assert server.requests == []


def test_expires_at_as_iso_string(journal: Path, home: Path, server: UsageServer) -> None:
    write_login(home / ".claude", expires="2020-01-01T00:00:00Z")
    assert "expired at 2020-01-01 00:00 UTC" in run("fetch").stderr
    write_login(home / ".claude", expires="2099-01-01T00:00:00Z")
    assert run("fetch").exit_code == 0


def test_missing_scope_makes_no_request(journal: Path, home: Path, server: UsageServer) -> None:
    write_login(home / ".claude", scopes=["user:inference"])
    assert "lacks the user:profile scope" in run("fetch").stderr
    assert server.requests == []


def test_missing_and_malformed_credentials(
    journal: Path, home: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run("fetch")
    assert failure(result.stderr) == (
        f"Error: no Claude login found in {home / '.claude' / '.credentials.json'}: "
        "log in with `claude` first"
    )
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", "sk-ant-oat01-FAKE-setup-token")
    assert failure(run("fetch").stderr) == (
        "Error: CLAUDE_CODE_OAUTH_TOKEN is an inference-only token and cannot read usage: "
        "log in with `claude` (/login) so ai-budget can read the stored login"
    )
    monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN")
    (home / ".claude").mkdir()
    (home / ".claude" / ".credentials.json").write_text("{not json")
    assert "is not valid JSON: log in again with `claude`" in run("fetch").stderr
    (home / ".claude" / ".credentials.json").write_text('{"claudeAiOauth": {}}')
    assert "has no claudeAiOauth.accessToken" in run("fetch").stderr
    assert server.requests == []


def test_claude_config_dir_list_uses_the_first(
    journal: Path, tmp_path: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_login(tmp_path / "work-claude", token="sk-ant-oat01-FAKE-work")
    write_login(tmp_path / "other-claude", token="sk-ant-oat01-FAKE-other")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{tmp_path / 'work-claude'},{tmp_path / 'other-claude'}")
    assert run("fetch").exit_code == 0
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-ant-oat01-FAKE-work"


def fake_security(bin_dir: Path, stdout: str, code: int = 0) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "security"
    script.write_text(f"#!/bin/sh\ncat <<'JSON'\n{stdout}\nJSON\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_keychain_through_a_security_program(
    journal: Path, tmp_path: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = json.dumps(
        {"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE-keychain", "expiresAt": FUTURE_MS}}
    )
    fake_security(tmp_path / "bin", blob)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert run("fetch").exit_code == 0
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-ant-oat01-FAKE-keychain"


def test_keychain_hex_encoded_and_not_found(
    journal: Path, tmp_path: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    blob = json.dumps({"claudeAiOauth": {"accessToken": "sk-ant-oat01-FAKE-hex", "expiresAt": FUTURE_MS}})
    fake_security(tmp_path / "bin", blob.encode().hex())
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert run("fetch").exit_code == 0
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-ant-oat01-FAKE-hex"
    fake_security(tmp_path / "bin", "", code=44)
    assert "no Claude login found" in run("fetch", "--force").stderr


def test_from_file_and_stdin_fill_the_cache(journal: Path, claude_dir: Path, server: UsageServer) -> None:
    sample = FIXTURES / "api" / "anthropic_oauth_usage_normal.json"
    from_file = json.loads(run("fetch", "--from-file", str(sample), "--json").stdout)
    assert from_file["source"] == "file"
    assert from_file["five_hour"]["utilization"] == 37.0
    stdin = run("fetch", "--from-file", "-", "--json", input=usage_body(five=44.0))
    assert json.loads(stdin.stdout)["five_hour"]["utilization"] == 44.0
    cached = json.loads(run("fetch", "--json").stdout)
    assert (cached["source"], cached["five_hour"]["utilization"]) == ("cache", 44.0)
    assert server.requests == []
    bad = run("fetch", "--from-file", str(journal / "nope.json"))
    assert bad.exit_code == 1
    assert "check the path given to --from-file" in bad.stderr


def test_python_api_never_raises(home: Path, claude_dir: Path, server: UsageServer) -> None:
    response = usage.current_usage(claude_dir)
    assert response is not None and response.five_hour.utilization == 37.0
    server.answer(Reply(500, "x"))
    assert usage.current_usage(home / "no-such-dir") is None
    import ai_budget

    assert ai_budget.current_usage(claude_dir) is not None  # cached: no second request
    assert len(server.requests) == 1


def test_cache_is_keyed_by_config_dir_not_token(
    journal: Path, claude_dir: Path, server: UsageServer, home: Path
) -> None:
    run("fetch")
    write_login(claude_dir, token="sk-ant-oat01-FAKE-rotated")
    assert json.loads(run("fetch", "--json").stdout)["source"] == "cache"
    names = [p.name for p in (home / ".cache" / "ai-budget").iterdir()]
    assert all("FAKE" not in name for name in names)


def test_token_never_leaks(journal: Path, claude_dir: Path, server: UsageServer, home: Path) -> None:
    outputs = [run("fetch"), run("fetch", "--force", "--json")]
    server.answer(Reply(401, "{}"))
    outputs += [run("fetch", "--force"), run("fetch", "--force", "--json")]
    server.answer(Reply(429, "{}"))
    outputs += [run("fetch", "--force")]
    for result in outputs:
        assert TOKEN not in result.stdout and TOKEN not in result.stderr
    assert TOKEN not in (journal / "budget.json").read_text()
    for path in (home / ".cache").rglob("*"):
        if path.is_file():
            assert TOKEN not in path.read_text(errors="replace"), path
    assert TOKEN not in git(journal, "log", "-p", "--all")
    secret_tail = TOKEN[-12:]
    assert secret_tail not in git(journal, "log", "-p", "--all")


def test_fetch_needs_a_journal(claude_dir: Path, server: UsageServer) -> None:
    result = run("fetch")
    assert result.exit_code == 1
    assert "run `ai-budget init` first" in result.stderr


def test_subprocess_fetch_from_file(journal: Path, claude_dir: Path) -> None:
    sample = FIXTURES / "api" / "anthropic_oauth_usage_nulls.json"
    done = python_cli("fetch", "--from-file", "-", input=sample.read_text())
    assert done.returncode == 0, done.stderr
    assert "no reset scheduled (idle window)" in done.stdout
