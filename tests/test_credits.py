"""Prepaid credits: balance, burn rate, days left and alert levels from transcripts of known cost;
alert_command once per crossing; every bad input one line and nothing committed."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import assert_clean, budget, git, run, subjects
from console_server import ADMIN_KEY, ConsoleServer, bucket, cost_item, report, serving
from transcript_builder import assistant, project_dir, usage, write
from usage_server import Reply

from ai_budget.claude import console
from ai_budget.journal.journal import Journal
from ai_budget.session.credits import CreditsState, credits_state, set_credits

SONNET = "claude-sonnet-4-5-20250929"  # $15 per million output tokens
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
SET = datetime(2026, 11, 18, 12, 0, tzinfo=timezone.utc)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=timezone.utc)


def spend(home: Path, entries: list[tuple[datetime, int]], name: str = "a") -> None:
    """Sonnet output only: N tokens cost N × $15 / 1,000,000."""
    lines = [
        assistant(f"msg_{name}{i}", usage(out=tokens), model=SONNET, when=when)
        for i, (when, tokens) in enumerate(entries)
    ]
    write(project_dir(home / ".claude") / f"{name}1111111-2222-4333-8444-555555555555.jsonl", lines)


# $15 on the 13th (outside the 7 days), $6 on the 15th (before the balance), $3 on the 19th, $6 today.
WEEK = [(at(13, 11), 1_000_000), (at(15, 12), 400_000), (at(19, 12), 200_000), (at(20, 10), 400_000)]


def state(journal: Path, home: Path, moment: datetime = NOW) -> CreditsState:
    j = Journal.open(journal)
    result = credits_state(j.read_budget(), [home / ".claude"], moment, journal)
    assert result is not None
    return result


def setting(journal: Path, key: str, value: object) -> None:
    """Edit one of budget.json's settings by hand and commit it, as a user would."""
    path = journal / "budget.json"
    data = json.loads(path.read_text())
    data.setdefault("settings", {})[key] = value
    path.write_text(json.dumps(data, indent=2) + "\n")
    git(journal, "commit", "-qam", f"settings: {key}")


def test_burn_rate_days_left_and_expiry_exactly(journal: Path, home: Path) -> None:
    spend(home, WEEK)
    set_credits(Journal.open(journal), Decimal(20), total=Decimal(50), expires=date(2026, 11, 24), now=SET)
    f = state(journal, home).forecast
    assert (f.spend.since_set, f.spend.last_7_days, f.spend.today) == (Decimal(9), Decimal(15), Decimal(6))
    assert f.remaining == Decimal(11)
    assert f.daily_rate == Decimal(15) / 7
    assert f.days_left == Decimal(11) / (Decimal(15) / 7)  # 77/15 = 5.13 days
    assert f.runs_out_at is not None and f.runs_out_at.replace(microsecond=0) == datetime(
        2026, 11, 25, 15, 12, tzinfo=timezone.utc
    )
    # The credits expire at the start of the 24th, 3.5 days on: $11 − 3.5 × $15/7 = $3.50 unused.
    assert f.expires_first is True and f.unused_at_expiry == Decimal("3.5")
    assert [(a.level, a.reason) for a in f.alerts] == [
        ("CAUTION", "today's spend $6.00 is over 2× the 7-day average $2.14/day")
    ]
    assert f.exit_code == 10


@pytest.mark.parametrize(
    ("balance", "levels", "code"),
    [
        ("20", ["CAUTION"], 10),  # $11 left, 5.1 days
        ("14", ["WARNING", "CAUTION"], 11),  # $5 left: not under $5, under $10
        ("13", ["CRITICAL", "CAUTION"], 20),  # $4 left
        ("5", ["CRITICAL", "CAUTION"], 20),  # overspent: $-4
    ],
)
def test_alert_levels_from_the_balance(
    journal: Path, home: Path, balance: str, levels: list[str], code: int
) -> None:
    spend(home, WEEK)
    set_credits(Journal.open(journal), Decimal(balance), now=SET)
    f = state(journal, home).forecast
    assert [a.level for a in f.alerts] == levels
    assert f.exit_code == code


@pytest.mark.parametrize(
    ("today", "week", "caution"),
    [
        ("6", "6", False),  # all of the week's spend is today's: no average to exceed yet
        ("6", "6.01", True),  # a cent before today: today is over 2x the 7-day average
        ("4.01", "14", True),  # 4.01 > 2 x 14/7 = 4
        ("4", "14.01", False),
    ],
)
def test_caution_needs_spend_before_today(today: str, week: str, caution: bool) -> None:
    from ai_budget.model.credits import Alerts
    from ai_budget.planning.credits import alert_levels

    rate = Decimal(week) / 7
    found = alert_levels(Decimal(100), Decimal(100) / rate, Decimal(today), rate, Alerts())
    assert [a.level for a in found] == (["CAUTION"] if caution else [])


def test_days_left_raise_the_level_too(journal: Path, home: Path) -> None:
    spend(home, WEEK)
    setting(journal, "alerts", {"critical_usd": 1, "warning_usd": 1, "critical_days": 1, "warning_days": 6})
    set_credits(Journal.open(journal), Decimal(20), now=SET)
    f = state(journal, home).forecast
    assert (f.alerts[0].level, f.alerts[0].reason) == (
        "WARNING",
        "about 5.1 days left at $2.14/day (under 6)",
    )


def test_show_json_is_exact(journal: Path, home: Path) -> None:
    from ai_budget.cli.views.credits import credits_json

    spend(home, WEEK)
    set_credits(Journal.open(journal), Decimal(20), now=SET)
    data = credits_json(state(journal, home))
    assert {k: data[k] for k in ("remaining_usd", "spent_since_set_usd", "last_7_days_usd", "today_usd")} == {
        "remaining_usd": 11.0,
        "spent_since_set_usd": 9.0,
        "last_7_days_usd": 15.0,
        "today_usd": 6.0,
    }
    assert (data["daily_rate_usd"], data["days_left"], data["check"]) == (2.142857, 5.1333, 10)


def recorder(path: Path) -> list[str]:
    """An alert_command that appends each alert it reads on stdin to `path`, one line each."""
    code = f"import sys; open({str(path)!r}, 'a').write(sys.stdin.read() + '\\n')"
    return [sys.executable, "-c", code]


def alerts_in(path: Path) -> list[str]:
    return [json.loads(line)["level"] for line in path.read_text().splitlines()] if path.exists() else []


def test_each_crossing_runs_the_command_once(journal: Path, home: Path, tmp_path: Path) -> None:
    log = tmp_path / "alerts.log"
    setting(journal, "alert_command", recorder(log))
    spend(home, WEEK)
    set_credits(Journal.open(journal), Decimal(14), now=SET)
    state(journal, home)
    assert alerts_in(log) == ["WARNING", "CAUTION"]
    first = json.loads(log.read_text().splitlines()[0])
    assert first == {
        "level": "WARNING",
        "reason": "about $5.00 left (under $10.00)",
        "at": NOW.isoformat(),
        "remaining_usd": 5.0,
        "daily_rate_usd": 2.14,
        "today_usd": 6.0,
        "days_left": 2.33,
        "runs_out_at": first["runs_out_at"],
        "expires": None,
    }
    state(journal, home)
    assert alerts_in(log) == ["WARNING", "CAUTION"]  # still the same crossing
    # Next morning nothing is spent yet: CAUTION is left (and re-arms); WARNING holds.
    state(journal, home, at(21, 9))
    assert alerts_in(log) == ["WARNING", "CAUTION"]
    # $9 before 9:00: $18 spent since, $-4 left (CRITICAL); today's $9 is over 2 × $24/7 again.
    spend(home, [(at(21, 8), 600_000)], name="b")
    s = state(journal, home, at(21, 9))
    assert [a.level for a in s.forecast.alerts] == ["CRITICAL", "CAUTION"]
    assert alerts_in(log) == ["WARNING", "CAUTION", "CRITICAL", "CAUTION"]
    state(journal, home, at(21, 9))
    assert alerts_in(log) == ["WARNING", "CAUTION", "CRITICAL", "CAUTION"]
    assert_clean(journal)  # the announced levels live outside the journal


def test_the_cli_alerts_once_and_status_check_exits_on_it(journal: Path, tmp_path: Path) -> None:
    log = tmp_path / "alerts.log"
    setting(journal, "alert_command", recorder(log))
    assert run("credits", "set", "3").exit_code == 0  # no transcripts: nothing spent, $3 left
    shown = run("credits", "show")
    assert shown.exit_code == 0, shown.stderr
    assert "  CRITICAL: about $3.00 left (under $5.00)" in shown.stdout
    assert run("credits", "show", "--check").exit_code == 20
    status = run("status", "--check")
    assert status.exit_code == 20
    assert "Credits: about $3.00 left, $0.00/day (7-day average), no spend in 7 days" in status.stdout
    assert "  CRITICAL: about $3.00 left (under $5.00)" in status.stdout
    assert alerts_in(log) == ["CRITICAL"]
    assert run("credits", "set", "50").exit_code == 0
    assert run("credits", "show", "--check").exit_code == 0
    assert run("credits", "set", "4").exit_code == 0
    assert run("credits", "show").exit_code == 0
    assert alerts_in(log) == ["CRITICAL", "CRITICAL"]  # a new balance is a new crossing
    assert_clean(journal)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (
            [sys.executable, "-c", "import sys; sys.stderr.write('no signal\\n'); sys.exit(3)"],
            "(alert_command for CRITICAL: it exited with status 3: no signal)",
        ),
        (
            ["/nonexistent/notify-me"],
            "(alert_command for CRITICAL: '/nonexistent/notify-me' was not found: fix ",
        ),
    ],
)
def test_a_failing_command_is_reported_never_fatal(journal: Path, command: list[str], said: str) -> None:
    setting(journal, "alert_command", command)
    assert run("credits", "set", "2").exit_code == 0
    for _ in range(2):  # not marked as sent: the next look tries again
        shown = run("credits", "show")
        assert shown.exit_code == 0
        assert said in shown.stdout


def test_set_is_one_commit_and_keeps_what_was_not_given(journal: Path) -> None:
    before = subjects(journal)
    done = run("credits", "set", "$1,250.50", "--total", "2000", "--expires", "2099-03-31")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == "Prepaid credits set: $1,250.50 of $2,000.00 remaining, expires 2099-03-31\n"
    assert run("credits", "set", "1000").exit_code == 0
    assert subjects(journal)[:2] == [
        "credits: $1,000.00 of $2,000.00 remaining",
        "credits: $1,250.50 of $2,000.00 remaining",
    ]
    assert len(subjects(journal)) == len(before) + 2
    section = budget(journal)["credits"]
    assert (section["remaining_usd"], section["total_usd"], section["expires"]) == (
        1000.0,
        2000.0,
        "2099-03-31",
    )
    assert section["burn_source"] == "transcripts"
    assert_clean(journal)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-5"], "Error: REMAINING cannot be negative, got '-5': give the amount the Console shows"),
        (
            ["-$1,000.5"],
            "Error: REMAINING cannot be negative, got '-$1,000.5': give the amount the Console shows",
        ),
        *[
            ([text], f"Error: REMAINING must be a dollar amount to the cent like 12.50, got {text!r}")
            for text in (
                "abc",
                "1e5",
                "1e400",
                "nan",
                "inf",
                "-inf",
                "$",
                "-",
                "12,34",
                "12.345",
                "0x10",
                "+5",
                "",
            )
        ],
        (["2000000000"], "Error: REMAINING must be at most $1,000,000,000, got '2000000000'"),
        (
            ["10", "--total", "-1"],
            "Error: --total cannot be negative, got '-1': give the amount the Console shows",
        ),
        (["10", "--total", "5"], "Error: --total $5.00 is less than the remaining $10.00: check both"),
        (
            ["10", "--expires", "2026-02-30"],
            "Error: --expires must be a date like 2027-03-31, got '2026-02-30'",
        ),
        (
            ["10", "--expires", "next year"],
            "Error: --expires must be a date like 2027-03-31, got 'next year'",
        ),
        (
            ["10", "--expires", "10000-01-01"],
            "Error: --expires must be a date like 2027-03-31, got '10000-01-01'",
        ),
        (
            ["10", "--expires", "2020-01-01"],
            "Error: --expires 2020-01-01 has already come (credits expire at the start of that day): "
            "give the date the Console shows",
        ),
        (
            ["10", "--expires", date.today().isoformat()],
            f"Error: --expires {date.today()} has already come (credits expire at the start of that day): "
            "give the date the Console shows",
        ),
    ],
)
def test_bad_input_is_one_line_and_commits_nothing(journal: Path, args: list[str], said: str) -> None:
    before = subjects(journal)
    result = run("credits", "set", *args)
    assert (result.exit_code, result.stderr) == (1, said + "\n")
    assert subjects(journal) == before
    assert "credits" not in budget(journal) or budget(journal)["credits"] is None
    assert_clean(journal)


def test_show_without_a_balance_says_what_to_run(journal: Path) -> None:
    result = run("credits", "show")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: no prepaid balance yet: run `ai-budget credits set REMAINING` with the balance "
        "the Console shows\n",
    )


@pytest.fixture
def srv(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsoleServer]:
    yield from serving(monkeypatch)


def test_the_console_as_the_burn_source(journal: Path, home: Path, srv: ConsoleServer) -> None:
    # Cents per UTC day: the 13th is before the 7 days (14th–20th) and before the balance, set at noon
    # on the 18th: half of that day's $3 counts as spent since. Today (the 20th) is half over at NOW.
    days = {13: "1000", 14: "700", 16: "700", 18: "300", 19: "100", 20: "600"}
    srv.routes[console.COST] = report(
        [[bucket(f"2026-11-{d}", [cost_item(c, None, SONNET)]) for d, c in list(days.items())[:3]]]
        + [[bucket(f"2026-11-{d}", [cost_item(c, None, SONNET)]) for d, c in list(days.items())[3:]]]
    )
    set_credits(Journal.open(journal), Decimal(30), burn_source="console", now=SET)
    s = state(journal, home)
    assert s.source == "console" and s.notes == []
    assert (s.forecast.spend.since_set, s.forecast.spend.last_7_days, s.forecast.spend.today) == (
        Decimal("1.5") + 1 + 6,
        Decimal(24),
        Decimal(6),
    )
    assert s.forecast.remaining == Decimal("21.5")
    assert srv.requests[0]["query"]["starting_at"] == ["2026-11-14T00:00:00Z"]
    assert srv.requests[1]["query"]["page"] == ["page_1"]
    # Set an hour ago, at 11:00 today: $6 over the 12 hours so far, one of them since: $0.50.
    set_credits(Journal.open(journal), Decimal(30), now=NOW - timedelta(hours=1))
    assert state(journal, home).forecast.spend.since_set == Decimal("0.5")


def test_a_console_failure_falls_back_to_the_transcripts(
    journal: Path, home: Path, srv: ConsoleServer
) -> None:
    spend(home, WEEK)
    srv.routes[console.COST] = lambda _q: Reply(500, "down")
    set_credits(Journal.open(journal), Decimal(20), burn_source="console", now=SET)
    s = state(journal, home)
    assert s.source == "transcripts" and s.forecast.remaining == Decimal(11)
    assert s.notes == [
        "using the transcripts: the Console's cost report could not be had: the Admin API failed on "
        "cost_report (HTTP 500): try again in a few minutes"
    ]


def test_the_brief_shows_credits_and_their_alerts(journal: Path) -> None:
    assert run("credits", "set", "3", "--total", "100").exit_code == 0
    brief = run("check")
    assert brief.exit_code == 0, brief.stderr
    assert "Credits: about $3.00 left, $0.00/day (7-day average), no spend in 7 days" in brief.stdout
    assert "  - credits CRITICAL: about $3.00 left (under $5.00)" in brief.stdout
    data = json.loads(run("check", "--json").stdout)
    assert data["credits"]["remaining_usd"] == 3.0 and data["credits"]["check"] == 20
    assert data["console"] is None  # no Admin API key: no Console, and no request for one
    assert_clean(journal)


def test_a_new_balance_above_the_total_kept_from_before_is_refused(journal: Path) -> None:
    assert run("credits", "set", "30", "--total", "50").exit_code == 0
    before = subjects(journal)
    result = run("credits", "set", "60")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: the remaining $60.00 is more than the total $50.00 set before: give the new total with "
        "--total\n",
    )
    assert subjects(journal) == before and budget(journal)["credits"]["remaining_usd"] == 30.0
    assert run("credits", "set", "60", "--total", "100").exit_code == 0
    assert_clean(journal)


def test_a_run_out_date_too_far_to_write_is_left_out(journal: Path, home: Path) -> None:
    # $1e9 at 1 output token a week ($15 per million tokens / 7 a day): millions of years. Real
    # time, so that the commands below see the same week.
    moment = datetime.now(timezone.utc)
    spend(home, [(moment - timedelta(days=1), 1)])
    set_credits(
        Journal.open(journal), Decimal(10**9), expires=date(9999, 12, 31), now=moment - timedelta(days=2)
    )
    f = state(journal, home, moment).forecast
    token = Decimal("0.000015")  # spent after the balance was set, and the whole week's spend
    assert f.days_left == (Decimal(10**9) - token) / (token / 7) and f.runs_out_at is None
    assert f.expires_first is True and f.alerts == []
    for command in (("status",), ("check",)):
        result = run(*command)
        assert result.exit_code == 0, result.stderr
    shown = run("credits", "show")
    assert "  Days left: over 100 years at that rate, so no run-out date\n" in shown.stdout, shown.stderr


def test_credits_past_their_expiry_are_critical(journal: Path, home: Path) -> None:
    set_credits(Journal.open(journal), Decimal(500), expires=date(2026, 11, 20), now=SET)
    s = state(journal, home)  # NOW is noon on the 20th: they expired at its start
    assert s.forecast.expired is True
    assert [(a.level, a.reason) for a in s.forecast.alerts] == [
        ("CRITICAL", "the credits expired on 2026-11-20: set the new balance")
    ]
    earlier = state(journal, home, at(19, 23))
    assert earlier.forecast.expired is False and earlier.forecast.alerts == []


def test_the_alert_command_never_sees_the_admin_key(
    journal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", ADMIN_KEY)
    monkeypatch.setenv("AI_BUDGET_QA_MARK", "passed on")  # the rest of the environment is kept
    seen = tmp_path / "env.json"
    code = f"import json, os; open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)))"
    setting(journal, "alert_command", [sys.executable, "-c", code])
    assert run("credits", "set", "1").exit_code == 0
    assert run("credits", "show").exit_code == 0
    env = json.loads(seen.read_text())
    assert env["AI_BUDGET_QA_MARK"] == "passed on" and "ANTHROPIC_ADMIN_API_KEY" not in env
    assert ADMIN_KEY not in seen.read_text()


def test_an_overspent_balance_reads_used_up(journal: Path, home: Path) -> None:
    from ai_budget.cli.views.credits import credits_line

    spend(home, WEEK)
    set_credits(Journal.open(journal), Decimal(5), now=SET)  # $9 spent since: $4 over
    assert (
        credits_line(state(journal, home)) == "Credits: about $0.00 left, $2.14/day (7-day average), used up"
    )


def test_a_date_in_another_year_names_the_year() -> None:
    from ai_budget.timeutil import local_clock

    ref = datetime(2026, 12, 1, 19, 0, tzinfo=timezone.utc)  # tests run with TZ=UTC
    assert local_clock(datetime(2028, 4, 28, 20, 3, tzinfo=timezone.utc), ref) == "Fri 28 Apr 2028 20:03"
    assert local_clock(datetime(2026, 12, 4, 23, 37, tzinfo=timezone.utc), ref) == "Fri 04 Dec 23:37"
    assert local_clock(datetime(2026, 12, 1, 22, 47, tzinfo=timezone.utc), ref) == "22:47"
