"""`console` against a local Admin API: totals, projection and paging exact; the key in no output,
file or commit; every failure one line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_clean, git, python_cli, run
from console_server import (
    ADMIN_KEY,
    ConsoleServer,
    bucket,
    claude_code,
    cost_item,
    listing,
    per_day,
    report,
    serving,
    usage_item,
    user,
    workspace,
)
from usage_server import Reply

from ai_budget.claude import admin_api, console
from ai_budget.model.budget import BudgetFile
from ai_budget.session.credits import console_report

SONNET, OPUS = "claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101"
ME, OTHER = "me@example.invalid", "other@example.invalid"
WS_A, WS_B, WS_OLD = "wrkspc_01AAAA", "wrkspc_01BBBB", "wrkspc_01OLD"


def organisation(srv: ConsoleServer, month: str) -> None:
    """A month whose every figure is known by construction (amounts in cents).

    Cost, two pages: day 1 $12.505 (A, Sonnet) + $7.495 (Default, Sonnet); day 2 $10 (A, Opus) |
    day 3 $19.50 (B, Opus) + $0.50 (Default, web search); day 4 $12 (A, Sonnet). Total $62.00:
    Sonnet $32.00, Opus $29.50, web search $0.50; A $34.505, B $19.50, Default $7.995.
    """
    d = [f"{month}-{n:02d}" for n in range(1, 8)]
    srv.routes[console.COST] = report(
        [
            [
                bucket(d[0], [cost_item("1250.5", WS_A, SONNET), cost_item("749.5", None, SONNET)]),
                bucket(d[1], [cost_item("1000", WS_A, OPUS)]),
            ],
            [
                bucket(
                    d[2],
                    [cost_item("1950", WS_B, OPUS, "uncached_input_tokens"), cost_item("50", None, None)],
                ),
                bucket(d[3], [cost_item("1200", WS_A, SONNET)]),
                bucket(d[4], []),
            ],
        ]
    )
    srv.routes[console.MESSAGES] = report(
        [
            [bucket(d[0], [usage_item(SONNET, 1000, 200, 5000, 300, 100)])],
            [
                bucket(d[1], [usage_item(OPUS, 10, 20, 30, 40, 50)]),
                bucket(d[2], [usage_item(SONNET, 1, 2, 3, 4, 5)]),
            ],
        ]
    )
    srv.routes[console.WORKSPACES] = listing(
        [
            [workspace(WS_A, "Production")],
            [workspace(WS_B, "Research"), workspace(WS_OLD, "Old", archived=True)],
        ]
    )
    srv.routes[console.USERS] = listing([[user("user_1", ME)], [user("user_2", OTHER)]])
    # Your Claude Code: $1.86 + $0.42 on day 1 (3 sessions), $1.00 on day 5 (2 sessions, second page).
    srv.routes[console.CLAUDE_CODE] = per_day(
        {
            d[0]: [
                [
                    claude_code(ME, d[0], [(SONNET, 186), (OPUS, 42)], 3),
                    claude_code(OTHER, d[0], [(OPUS, 999)], 9),
                ]
            ],
            d[4]: [
                [claude_code(OTHER, d[4], [(SONNET, 500)], 1)],
                [claude_code(ME.upper(), d[4], [(SONNET, 100)], 2)],
            ],
        }
    )


@pytest.fixture
def srv(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsoleServer]:
    yield from serving(monkeypatch)


def settings(journal: Path, **console_settings: object) -> None:
    """Edit settings.console in budget.json and commit it, as a user would."""
    path = journal / "budget.json"
    data = json.loads(path.read_text())
    data.setdefault("settings", {})["console"] = console_settings
    path.write_text(json.dumps(data, indent=2) + "\n")
    git(journal, "commit", "-qam", "console settings")


def test_a_past_month_exactly_with_every_page_followed(srv: ConsoleServer, journal: Path) -> None:
    organisation(srv, "2026-11")
    settings(journal, email=ME, workspace_limits={WS_A: 50, "Research": 10})
    result = run("console", "--month", "2026-11", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cost_usd"] == 62.0
    assert data["complete"] is True and data["projected_usd"] == 62.0  # a finished month projects to itself
    assert [(d["date"], d["cost_usd"]) for d in data["daily"]] == [
        ("2026-11-01", 20.0),
        ("2026-11-02", 10.0),
        ("2026-11-03", 20.0),
        ("2026-11-04", 12.0),
        ("2026-11-05", 0.0),
    ]
    models = {m["model"]: m for m in data["models"]}
    assert {k: m["cost_usd"] for k, m in models.items()} == {SONNET: 32.0, OPUS: 29.5, "web_search": 0.5}
    assert [
        models[SONNET][k]
        for k in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
    ] == [
        1001,
        202,
        5003,
        409,
    ]
    assert models[OPUS]["cache_write_tokens"] == 90
    spaces = {w["name"]: (w["cost_usd"], w["limit_usd"]) for w in data["workspaces"]}
    assert spaces == {"Production": (34.505, 50.0), "Research": (19.5, 10.0), "Default": (7.995, None)}
    assert data["claude_code"] == {"who": ME, "cost_usd": 3.28, "sessions": 5, "days": 2}
    assert data["notes"] == []
    # Paging: cost and usage twice each, workspaces twice; Claude Code once per day, day 5 twice.
    paths = srv.paths()
    assert paths.count(console.COST) == 2 and paths.count(console.MESSAGES) == 2
    assert paths.count(console.WORKSPACES) == 2 and console.USERS not in paths  # the email was given
    assert paths.count(console.CLAUDE_CODE) == 30 + 1
    cost = [r for r in srv.requests if r["path"] == console.COST]
    assert cost[0]["query"] == {
        "starting_at": ["2026-11-01T00:00:00Z"],
        "ending_at": ["2026-12-01T00:00:00Z"],
        "bucket_width": ["1d"],
        "limit": ["31"],
        "group_by[]": ["workspace_id", "description"],
    }
    assert cost[1]["query"]["page"] == ["page_1"]
    spaces_asked = [r["query"] for r in srv.requests if r["path"] == console.WORKSPACES]
    assert "after_id" not in spaces_asked[0] and spaces_asked[1]["after_id"] == [WS_A]
    for request in srv.requests:
        assert request["headers"]["x-api-key"] == ADMIN_KEY
        assert request["headers"]["anthropic-version"] == "2023-06-01"
        assert "authorization" not in request["headers"]


def test_the_human_view_has_bars_and_the_projection(srv: ConsoleServer, journal: Path) -> None:
    organisation(srv, "2026-11")
    settings(journal, email=ME, workspace_limits={WS_A: 50, "Research": 10})
    result = run("console", "--month", "2026-11")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Cost: $62.00 for the month (complete)" in out
    assert "Production  $34.50  $50.00  [#############-------]   69%" in out  # 34.505 / 50 = 69 %
    assert "Research    $19.50  $10.00  [####################]  195%" in out
    assert "Default      $8.00       -  no limit given" in out
    assert f"Your Claude Code ({ME}): $3.28 estimated, 5 sessions on 2 days" in out


def test_this_month_projects_to_its_end(srv: ConsoleServer) -> None:
    # 10 days into December: $62.00 so far / 10 days × 31 days = $192.20.
    organisation(srv, "2026-12")
    moment = datetime(2026, 12, 11, tzinfo=timezone.utc)
    budget = BudgetFile()
    budget.settings.console.email = ME
    month = console_report(budget, moment)
    assert (month.total, month.projection) == (Decimal("62.00"), Decimal("192.2"))
    assert srv.paths().count(console.CLAUDE_CODE) == 10 + 1  # days 1 to 10 (day 5 has two pages), none ahead
    # One hour into the month the elapsed time counts as a day, not a hundredth of the month.
    early = console_report(budget, datetime(2026, 12, 1, 1, tzinfo=timezone.utc), force=True)
    assert early.projection == early.total * 31


def test_your_address_comes_from_the_users_endpoint_when_you_are_alone(srv: ConsoleServer) -> None:
    organisation(srv, "2026-12")
    srv.routes[console.USERS] = listing([[user("user_1", ME)]])
    month = console_report(BudgetFile(), datetime(2026, 12, 6, tzinfo=timezone.utc))
    assert month.you is not None and (month.you.who, month.you.cost) == (ME, Decimal("3.28"))


def test_with_several_members_and_no_address_it_says_what_to_set(srv: ConsoleServer) -> None:
    organisation(srv, "2026-12")
    month = console_report(BudgetFile(), datetime(2026, 12, 6, tzinfo=timezone.utc))
    assert month.you is None
    assert month.notes == [
        "Claude Code: the organisation has 2 members: set settings.console.email in budget.json to see "
        "your own spend"
    ]
    assert console.CLAUDE_CODE not in srv.paths()
    assert month.total == Decimal("62.00")  # the rest of the report is whole


def test_answers_are_cached_for_at_least_two_minutes(
    srv: ConsoleServer, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation(srv, "2026-11")
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "0")  # asked for none: the floor of 120 s holds
    assert run("console", "--month", "2026-11").exit_code == 0
    asked = len(srv.requests)
    second = run("console", "--month", "2026-11", "--json")
    assert second.exit_code == 0 and json.loads(second.stdout)["cached"] is True
    assert len(srv.requests) == asked
    assert run("console", "--month", "2026-11", "--force").exit_code == 0
    assert len(srv.requests) == 2 * asked


def test_the_key_is_in_no_output_file_or_commit(srv: ConsoleServer, journal: Path, home: Path) -> None:
    organisation(srv, "2026-11")
    srv.routes[console.USERS] = listing([[user("user_1", ME)]])
    outputs = []
    for args in (("console", "--month", "2026-11"), ("console", "--month", "2026-11", "--json", "--force")):
        result = run(*args)
        outputs += [result.stdout, result.stderr]
    echoed = json.dumps({"error": {"type": "authentication_error", "message": f"bad key {ADMIN_KEY}"}})
    for reply in (Reply(401, echoed), Reply(403, echoed), Reply(401, f"<html>{ADMIN_KEY}</html>")):
        srv.failures = [reply]
        refused = run("console", "--month", "2026-11", "--force")
        outputs += [refused.stdout, refused.stderr]
        assert refused.exit_code == 1
        srv.failures = [reply] * 3
        for command in ("status", "check", "status --json"):
            shown = run(*command.split())
            outputs += [shown.stdout, shown.stderr]
    assert run("credits", "set", "20").exit_code == 0
    assert all(ADMIN_KEY not in text for text in outputs)
    for path in home.rglob("*"):
        if path.is_file():
            assert ADMIN_KEY.encode() not in path.read_bytes(), path
    assert list((home / ".cache" / "ai-budget").glob("console-report-*.json"))  # the cache was written
    assert ADMIN_KEY not in git(journal, "log", "-p", "--all")
    assert_clean(journal)


def test_no_key_says_how_to_create_one(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_ADMIN_API_KEY", raising=False)
    result = run("console")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no Admin API key: create an Admin API key (sk-ant-admin…; organisation admins only) in "
        "the Claude Console under Settings > Admin keys, then export ANTHROPIC_ADMIN_API_KEY or name a "
        "file (mode 0600) holding it in settings.console.admin_key_file. Individual accounts have no "
        "Admin API\n"
    )
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_key_file_must_be_private(
    srv: ConsoleServer, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation(srv, "2026-11")
    monkeypatch.delenv("ANTHROPIC_ADMIN_API_KEY")
    key_file = journal.parent / "admin.key"
    key_file.write_text(ADMIN_KEY + "\n")
    key_file.chmod(0o644)
    settings(journal, admin_key_file=str(key_file), email=ME)
    loose = run("console", "--month", "2026-11")
    assert loose.exit_code == 1
    assert loose.stderr == (
        f"Error: {key_file} holds the Admin API key but others may read it (mode 0644): "
        f"run `chmod 600 {key_file}`\n"
    )
    assert srv.requests == []
    key_file.chmod(0o600)
    done = run("console", "--month", "2026-11", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["cost_usd"] == 62.0
    assert srv.requests[0]["headers"]["x-api-key"] == ADMIN_KEY  # the newline is not part of the key


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (
            Reply(
                401, '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}'
            ),
            "Error: the Admin API refused the key (401 authentication_error): it is wrong, revoked or "
            "expired; create a new one in the Claude Console under Settings > Admin keys",
        ),
        (
            Reply(403, '{"type":"error","error":{"type":"permission_error","message":"no"}}'),
            "Error: the Admin API will not show cost_report to this key (403 permission_error): it needs "
            "an Admin API key (sk-ant-admin…) of a Console organisation, not a regular API key; "
            "individual accounts have no Admin API",
        ),
        (
            Reply(403, "<html><body>Checking your browser</body></html>"),
            "Error: the Admin API answered 403 with a web page (a proxy or a bot check): try later",
        ),
        (
            Reply(502, "<!DOCTYPE html><title>Bad gateway</title>"),
            "Error: the Admin API failed on cost_report (HTTP 502): try again in a few minutes",
        ),
        (
            Reply(200, "<html>Sign in</html>"),
            "Error: the Admin API's answer to cost_report is a web page (a proxy or an outage?): try later",
        ),
        (
            Reply(200, '{"data": [1, 2'),
            "Error: the Admin API's answer to cost_report is not JSON (a proxy or an outage?): try later",
        ),
        (
            Reply(200, '{"results": []}'),
            "Error: the Admin API's cost_report answer has no data list: the format may have changed",
        ),
        (
            Reply(200, '{"data": [], "has_more": true, "next_page": null}'),
            "Error: the Admin API's cost_report answer says there is more, with no new next_page: try later",
        ),
        (
            Reply(200, b'{"data": [' + b"1," * 4_500_000 + b"1]}"),  # 9 MB
            "Error: the Admin API sent more than 8 MB for cost_report: try later",
        ),
        (
            Reply(302, "", headers={"Location": "http://elsewhere.invalid/"}),
            "Error: the Admin API redirected (HTTP 302); the key is not sent on: "
            "check AI_BUDGET_ANTHROPIC_URL",
        ),
    ],
)
def test_each_failure_is_one_line(srv: ConsoleServer, journal: Path, reply: Reply, said: str) -> None:
    organisation(srv, "2026-11")
    srv.failures = [reply]
    result = run("console", "--month", "2026-11")
    assert result.exit_code == 1
    assert result.stderr == said + "\n"
    assert result.stdout == ""


def test_a_401_stops_every_other_request(srv: ConsoleServer, journal: Path) -> None:
    organisation(srv, "2026-11")
    # The cost report answers, then the usage report refuses the key: nothing more is asked.
    srv.routes[console.MESSAGES] = lambda _q: Reply(401, '{"error": {"type": "authentication_error"}}')
    result = run("console", "--month", "2026-11")
    assert result.exit_code == 1 and "(401 authentication_error)" in result.stderr
    assert srv.paths() == [console.COST, console.COST, console.MESSAGES]


def test_an_optional_part_that_fails_is_a_note(srv: ConsoleServer, journal: Path) -> None:
    organisation(srv, "2026-11")
    settings(journal, email=ME)
    srv.routes[console.WORKSPACES] = lambda _q: Reply(500, "oops")
    result = run("console", "--month", "2026-11", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["notes"] == [
        "workspaces: the Admin API failed on workspaces (HTTP 500): try again in a few minutes"
    ]
    assert data["cost_usd"] == 62.0


def test_a_429_is_honoured(srv: ConsoleServer, journal: Path) -> None:
    organisation(srv, "2026-11")
    srv.failures = [Reply(429, '{"error":{"type":"rate_limit_error"}}', headers={"Retry-After": "600"})]
    first = run("console", "--month", "2026-11")
    assert first.exit_code == 1
    assert first.stderr.startswith("Error: the Admin API is rate limiting (429) on cost_report: next try at ")
    asked = len(srv.requests)
    second = run("console", "--month", "2026-11", "--force")  # --force does not jump the wait
    assert second.exit_code == 1
    assert second.stderr.startswith("Error: the Admin API asked us to wait after a 429: next try at ")
    assert len(srv.requests) == asked == 1
    backoff = next((Path(os.environ["HOME"]) / ".cache" / "ai-budget").glob("console-backoff-*.json"))
    until = datetime.fromisoformat(json.loads(backoff.read_text())["until"])
    assert 590 <= (until - datetime.now(timezone.utc)).total_seconds() <= 600


def test_a_slow_answer_times_out(srv: ConsoleServer, journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    organisation(srv, "2026-11")
    monkeypatch.setattr(admin_api, "TIMEOUT_S", 0.3)
    srv.failures = [Reply(200, "{}", delay=1.0)]
    result = run("console", "--month", "2026-11")
    assert result.exit_code == 1
    assert result.stderr == "Error: the Admin API did not answer cost_report in time: try again later\n"


def test_nothing_listening(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", ADMIN_KEY)  # the base stays on the refusing port 9
    result = run("console")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "Error: cannot reach http://127.0.0.1:9 (ConnectionRefusedError): check the network\n"
    )


@pytest.mark.parametrize(
    ("month", "said"),
    [
        ("2026-13", "Error: --month must be a month like 2026-11, got '2026-13'\n"),
        ("soon", "Error: --month must be a month like 2026-11, got 'soon'\n"),
        ("2999-01", "Error: 2999-01 has not begun yet: give this month or an earlier one\n"),
    ],
)
def test_bad_months(srv: ConsoleServer, month: str, said: str) -> None:
    result = run("console", "--month", month)
    assert (result.exit_code, result.stderr) == (1, said)
    assert srv.requests == []


def test_a_real_process_without_a_journal(srv: ConsoleServer) -> None:
    organisation(srv, "2026-11")
    srv.routes[console.USERS] = listing([[user("user_1", ME)]])
    done = python_cli("console", "--month", "2026-11", "--json", env=os.environ | {"NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["claude_code"]["cost_usd"] == 3.28
    assert ADMIN_KEY not in done.stdout + done.stderr


def test_status_and_the_brief_show_the_console_beside_the_windows(srv: ConsoleServer, journal: Path) -> None:
    this_month = datetime.now(timezone.utc).strftime("%Y-%m")
    organisation(srv, this_month)
    settings(journal, email=ME)
    status = run("status")
    assert status.exit_code == 0, status.stderr
    assert f"Console {this_month}: $62.00 so far, about $" in status.stdout
    assert "; your Claude Code $" in status.stdout
    data = json.loads(run("status", "--json").stdout)
    assert data["console"]["cost_usd"] == 62.0 and data["console_error"] is None
    brief = run("check")
    assert f"Console {this_month}: $62.00 so far" in brief.stdout
    srv.failures = [Reply(401, "{}")] * 3
    refused = run("check", "--json")  # our copy answers: the 401 is never asked for
    assert json.loads(refused.stdout)["console"]["cost_usd"] == 62.0
    assert ADMIN_KEY not in status.stdout + brief.stdout + refused.stdout


def test_status_without_a_key_asks_nothing(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_ADMIN_API_KEY", raising=False)
    data = json.loads(run("status", "--json").stdout)
    assert (data["console"], data["console_error"], data["credits"]) == (None, None, None)


def test_claude_code_days_long_past_are_asked_once(srv: ConsoleServer) -> None:
    organisation(srv, "2026-12")
    budget = BudgetFile()
    budget.settings.console.email = ME
    moment = datetime(2026, 12, 11, tzinfo=timezone.utc)
    assert console_report(budget, moment).you.cost == Decimal("3.28")  # type: ignore[union-attr]
    asked = srv.paths().count(console.CLAUDE_CODE)
    again = console_report(budget, moment, force=True)
    # Days 1 to 7 ended over two days ago: kept. Days 8, 9 and 10 are asked again.
    assert srv.paths().count(console.CLAUDE_CODE) - asked == 3
    assert again.you is not None and (again.you.cost, again.you.sessions) == (Decimal("3.28"), 5)


def test_claude_code_on_an_api_key_is_found_by_the_keys_name(srv: ConsoleServer) -> None:
    organisation(srv, "2026-12")
    srv.routes[console.CLAUDE_CODE] = per_day(
        {
            "2026-12-02": [
                [
                    claude_code("", "2026-12-02", [(SONNET, 250)], 4, api_key="laptop"),
                    claude_code("", "2026-12-02", [(SONNET, 999)], 1, api_key="ci"),
                    claude_code(ME, "2026-12-02", [(SONNET, 777)], 1),
                ]
            ]
        }
    )
    budget = BudgetFile()
    budget.settings.console.api_key_names = ["laptop"]
    month = console_report(budget, datetime(2026, 12, 6, tzinfo=timezone.utc))
    assert month.you is not None and (month.you.who, month.you.cost, month.you.sessions) == (
        "laptop",
        Decimal("2.50"),
        4,
    )
    assert console.USERS not in srv.paths()  # a key's name needs no address


def test_a_month_under_way_asks_nothing_of_the_future(srv: ConsoleServer) -> None:
    organisation(srv, "2026-12")
    console_report(BudgetFile(), datetime(2026, 12, 11, 15, tzinfo=timezone.utc))
    asked = next(r["query"] for r in srv.requests if r["path"] == console.COST)
    assert (asked["starting_at"], asked["ending_at"]) == (["2026-12-01T00:00:00Z"], ["2026-12-12T00:00:00Z"])


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda f: None,
            "Error: cannot read {f} (No such file or directory): check settings.console.admin_key_file",
        ),
        (
            lambda f: f.write_text("\n"),
            "Error: {f} (settings.console.admin_key_file) is empty: put the key in it",
        ),
        (
            lambda f: f.mkdir(),
            "Error: {f} (settings.console.admin_key_file) is not a file: name the key's file",
        ),
        (
            lambda f: f.write_bytes(b"\xff\xfe"),
            "Error: {f} is not text: it should hold the Admin API key alone",
        ),
        (
            lambda f: f.write_text("sk-ant-admin01 FAKE"),
            "Error: the Admin API key in {f} has spaces or control characters in it: set it again",
        ),
    ],
)
def test_a_key_file_that_cannot_serve(
    srv: ConsoleServer, journal: Path, monkeypatch: pytest.MonkeyPatch, make: Any, said: str
) -> None:
    monkeypatch.delenv("ANTHROPIC_ADMIN_API_KEY")
    key_file = journal.parent / "admin.key"
    make(key_file)
    if key_file.is_file():
        key_file.chmod(0o600)
    settings(journal, admin_key_file=str(key_file))
    result = run("console")
    assert (result.exit_code, result.stderr) == (1, said.format(f=key_file) + "\n")
    assert srv.requests == []
    status = run("status")  # the glance goes on without the Console, and says why
    assert status.exit_code == 0 and f"Console: unknown ({said.format(f=key_file)[7:]})" in status.stdout


def test_a_key_the_organisation_does_not_know_is_refused(
    srv: ConsoleServer, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation(srv, "2026-11")
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", "test-admin-key-NOT-REAL-revoked")
    result = run("console", "--month", "2026-11")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the Admin API refused the key (401 authentication_error)")
    assert srv.paths() == [console.COST]  # nothing more is asked with a refused key


def test_json_that_is_not_an_object_is_one_line(srv: ConsoleServer, journal: Path) -> None:
    srv.failures = [Reply(200, "[1, 2, 3]")]
    result = run("console", "--month", "2026-11")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: the Admin API's answer to cost_report is not the JSON object expected: the format may "
        "have changed\n",
    )


def test_an_organisation_listing_no_members_says_what_to_set(srv: ConsoleServer) -> None:
    organisation(srv, "2026-12")
    srv.routes[console.USERS] = listing([[]])
    month = console_report(BudgetFile(), datetime(2026, 12, 6, tzinfo=timezone.utc))
    assert month.you is None and month.notes == [
        "Claude Code: the organisation lists no members: set settings.console.email in budget.json to see "
        "your own spend"
    ]


def test_a_slow_console_holds_a_look_for_at_most_the_total_deadline(
    srv: ConsoleServer, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation(srv, "2026-11")
    pages = srv.routes[console.COST]

    def slow(query: dict[str, list[str]]) -> Reply:
        reply = pages(query)
        reply.delay = 0.4
        return reply

    srv.routes[console.COST] = slow
    monkeypatch.setattr(admin_api, "TOTAL_S", 0.6)  # page 1 takes 0.4 s; page 2 has 0.2 s left
    result = run("console", "--month", "2026-11")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: the Admin API did not answer cost_report in time: try again later\n",
    )
    status = run("status")
    assert status.exit_code == 0
    assert (
        "Console: unknown (the Admin API did not answer cost_report in time: try again later)"
        in status.stdout
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply(401, '{"type":"error","error":{"type":"authentication_error"}}'),
        Reply(403, '{"type":"error","error":{"type":"permission_error"}}'),
        Reply(429, "{}"),
        Reply(429, "{}", headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}),
        Reply(200, "<html>Sign in</html>"),
        Reply(200, '{"data": [{"starting_at": "2026'),
        Reply(503, "down"),
    ],
)
def test_status_and_check_never_fail_on_the_console(srv: ConsoleServer, journal: Path, reply: Reply) -> None:
    srv.failures = [reply] * 10
    for command in ("status", "check"):
        result = run(command)
        assert result.exit_code == 0, result.stderr
        assert "Console: " in result.stdout and "Traceback" not in result.stdout + result.stderr
    assert ADMIN_KEY not in result.stdout


def test_a_broken_budget_json_is_named_not_skipped(srv: ConsoleServer, journal: Path) -> None:
    (journal / "budget.json").write_text('{"settings": {"console": {"email": 5}}}')
    result = run("console", "--month", "2026-11")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {journal / 'budget.json'}: settings.console.email: ")
    assert srv.requests == []


def test_a_429_without_retry_after_backs_off_from_a_minute(srv: ConsoleServer, journal: Path) -> None:
    organisation(srv, "2026-11")
    cache = Path(os.environ["HOME"]) / ".cache" / "ai-budget"
    waits = []
    for _ in range(2):
        srv.failures = [Reply(429, '{"error":{"type":"rate_limit_error"}}')]
        result = run("console", "--month", "2026-11")
        assert result.exit_code == 1 and "rate limiting (429)" in result.stderr
        backoff = next(cache.glob("console-backoff-*.json"))
        data = json.loads(backoff.read_text())
        waits.append((datetime.fromisoformat(data["until"]) - datetime.now(timezone.utc)).total_seconds())
        backoff.write_text(json.dumps(data | {"until": "2000-01-01T00:00:00+00:00"}))  # the wait is over
    assert 50 <= waits[0] <= 60 and 110 <= waits[1] <= 120  # 60 s, then twice that
    assert run("console", "--month", "2026-11").exit_code == 0
    assert not list(cache.glob("console-backoff-*.json"))  # an answer ends the backing off


def test_a_glance_does_not_ask_again_soon_after_a_failure(srv: ConsoleServer, journal: Path) -> None:
    # `watch` redraws every few seconds: a Console that fails is not asked at each frame.
    this_month = datetime.now(timezone.utc).strftime("%Y-%m")
    organisation(srv, this_month)
    srv.failures = [Reply(503, "down")]
    said = "the Admin API failed on cost_report (HTTP 503): try again in a few minutes"
    first = run("status")
    assert first.exit_code == 0 and f"Console: unknown ({said})" in first.stdout
    asked = len(srv.requests)
    again = run("status")
    assert again.exit_code == 0 and f"Console: unknown ({said} (at " in again.stdout
    brief = run("check")
    assert brief.exit_code == 0 and f"  - Console: {said} (at " in brief.stdout
    assert len(srv.requests) == asked  # the failure was repeated, not asked for
    assert run("console").exit_code == 0  # asked by name, it asks; the answer ends the repeating
    assert f"Console {this_month}: $62.00 so far" in run("status").stdout


def test_a_next_page_that_loops_back_is_one_line(srv: ConsoleServer, journal: Path) -> None:
    def looping(query: dict[str, list[str]]) -> Reply:
        token = "page_1" if query.get("page", ["page_0"])[0] == "page_0" else "page_0"
        return Reply(200, json.dumps({"data": [], "has_more": True, "next_page": token}))

    srv.routes[console.COST] = looping
    result = run("console", "--month", "2026-11")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: the Admin API's cost_report answer says there is more, with no new next_page: try later\n",
    )
    assert len(srv.requests) == 3  # page_1, then page_0 again: the third answer repeats page_1


def test_an_empty_month_is_zero_not_an_error(srv: ConsoleServer, journal: Path) -> None:
    empty = report([[]])
    for path in (console.COST, console.MESSAGES, console.CLAUDE_CODE):
        srv.routes[path] = empty
    srv.routes[console.WORKSPACES] = listing([[]])
    settings(journal, email=ME)
    result = run("console", "--month", "2026-11", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["cost_usd"], data["projected_usd"], data["models"], data["workspaces"]) == (0.0, 0.0, [], [])
    assert data["claude_code"] == {"who": ME, "cost_usd": 0.0, "sessions": 0, "days": 0}
    assert data["notes"] == []
