"""`console` against a local Admin API: totals, projection and paging exact; the key in no output,
file or commit; every failure one line."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

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
    usage_item,
    user,
    workspace,
)
from usage_server import Reply

from ai_budget.claude import console
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
    server = ConsoleServer()
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", server.url)
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", ADMIN_KEY)
    yield server
    server.close()


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
    assert "after_id" not in spaces_asked[0] and spaces_asked[1]["after_id"] == ["cursor_0"]
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
    srv.failures = [
        Reply(status=401, body=json.dumps({"error": {"type": "authentication_error", "key": ADMIN_KEY}}))
    ]
    refused = run("console", "--month", "2026-11", "--force")
    outputs += [refused.stdout, refused.stderr]
    assert refused.exit_code == 1
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
    assert result.stderr.startswith("Error: no Admin API key: create an Admin API key (sk-ant-admin…)")
    assert "Settings > Admin keys" in result.stderr
    assert "Individual accounts have no Admin API" in result.stderr
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
    monkeypatch.setattr(console, "TIMEOUT_S", 0.3)
    srv.failures = [Reply(200, "{}", delay=1.0)]
    result = run("console", "--month", "2026-11")
    assert result.exit_code == 1
    assert result.stderr == "Error: the Admin API did not answer cost_report within 0.3 s: try again later\n"


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
