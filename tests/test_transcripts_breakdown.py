"""`tokens --by day|week|month|session|model`: rows and a total, days split in the local zone."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import run
from transcript_builder import assistant, project_dir, usage, write

from ai_budget.claude.transcripts import Index, find_transcripts
from ai_budget.claude.transcripts.breakdown import LocalZone, daily_by_model

NY = ZoneInfo("America/New_York")  # UTC-5 all of the test's days (daylight time ended on 1 November)
SONNET, HAIKU, OPUS = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-6"
# Output prices per million tokens: Sonnet $15, Haiku $5, Opus 4.6 $25; glm-5.1 has none.


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def claude(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = home / ".claude"
    folder = project_dir(path)
    # s1 runs across local midnight; its second message is copied in its subagent's file.
    m2 = assistant("m2", usage(out=2_000), session="s1", when=local(2026, 11, 21, 0, 30))
    write(
        folder / "s1.jsonl",
        [assistant("m1", usage(out=1_000), session="s1", when=local(2026, 11, 20, 23, 30)), m2],
    )
    write(folder / "s1" / "subagents" / "agent-c.jsonl", [m2])
    # Sunday 23:30 in New York is Monday in UTC.
    write(
        folder / "s2.jsonl",
        [assistant("m3", usage(out=4_000), model=HAIKU, session="s2", when=local(2026, 11, 22, 23, 30))],
    )
    write(
        folder / "s3.jsonl",
        [
            assistant("m4", usage(out=8_000), model=OPUS, session="s3", when=local(2026, 11, 23, 9, 0)),
            assistant("m5", usage(out=16_000), model="glm-5.1", session="s3", when=local(2026, 12, 1, 8, 0)),
        ],
    )
    undated = json.loads(assistant("m6", usage(out=32), model=HAIKU, session="s5"))
    del undated["timestamp"]
    write(folder / "s5.jsonl", [json.dumps(undated)])
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(path))
    monkeypatch.setenv("TZ", "America/New_York")  # conftest puts the zone back afterwards
    time.tzset()
    return path


def by(*args: str) -> dict:
    result = run("tokens", "--by", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def rows(data: dict) -> list[tuple[str, int, int, float | None]]:
    return [(r["key"], r["exchanges"], r["output_tokens"], r["cost_usd"]) for r in data["rows"]]


def test_days_are_local_and_split_a_session_at_midnight(claude: Path) -> None:
    data = by("day")
    assert rows(data) == [
        ("2026-11-20", 1, 1_000, 0.015),
        ("2026-11-21", 1, 2_000, 0.03),
        ("2026-11-22", 1, 4_000, 0.02),
        ("2026-11-23", 1, 8_000, 0.2),
        ("2026-12-01", 1, 16_000, None),
    ]
    assert data["rows"][-1]["unpriced_models"] == ["glm-5.1"]
    total = data["total"]
    assert (total["exchanges"], total["output_tokens"], total["cost_usd"]) == (5, 31_000, 0.265)
    assert (total["cost_is_lower_bound"], total["unpriced_models"]) == (True, ["glm-5.1"])
    assert (data["undated"]["exchanges"], data["undated"]["output_tokens"]) == (1, 32)
    assert data["timezone"] == "America/New_York"


def test_utc_days(claude: Path) -> None:
    data = by("day", "--utc")
    assert rows(data) == [
        ("2026-11-21", 2, 3_000, 0.045),
        ("2026-11-23", 2, 12_000, 0.22),
        ("2026-12-01", 1, 16_000, None),
    ]
    assert data["timezone"] == "UTC"
    assert data["rows"][1]["models"] == [HAIKU, OPUS]


def test_weeks_start_on_monday_and_are_named_by_it(claude: Path) -> None:
    assert rows(by("week")) == [
        ("2026-11-16", 3, 7_000, 0.065),
        ("2026-11-23", 1, 8_000, 0.2),
        ("2026-11-30", 1, 16_000, None),
    ]
    assert rows(by("week", "--utc")) == [
        ("2026-11-16", 2, 3_000, 0.045),
        ("2026-11-23", 2, 12_000, 0.22),
        ("2026-11-30", 1, 16_000, None),
    ]


def test_months(claude: Path) -> None:
    data = by("month")
    assert rows(data) == [("2026-11", 4, 15_000, 0.265), ("2026-12", 1, 16_000, None)]
    assert (data["total"]["exchanges"], data["total"]["output_tokens"]) == (5, 31_000)


def test_sessions_have_their_own_rows_and_the_undated_message(claude: Path) -> None:
    data = by("session")
    assert rows(data) == [
        ("s5", 1, 32, 0.00016),
        ("s1", 2, 3_000, 0.045),
        ("s2", 1, 4_000, 0.02),
        ("s3", 2, 24_000, 0.2),
    ]
    assert data["rows"][3]["cost_is_lower_bound"] is True
    assert data["rows"][1]["project"] == "-home-dev-proj"
    total = data["total"]
    assert (total["exchanges"], total["output_tokens"], total["cost_usd"]) == (6, 31_032, 0.26516)
    assert data["undated"] is None and data["timezone"] is None


def test_models(claude: Path) -> None:
    data = by("model")
    assert rows(data) == [
        (HAIKU, 2, 4_032, 0.02016),
        (OPUS, 1, 8_000, 0.2),
        (SONNET, 2, 3_000, 0.045),
        ("glm-5.1", 1, 16_000, None),
    ]
    assert (data["total"]["exchanges"], data["total"]["output_tokens"]) == (6, 31_032)
    assert data["total"]["cost_is_lower_bound"] is True


def test_a_window_keeps_only_its_messages(claude: Path) -> None:
    since = local(2026, 11, 21, 0, 0).isoformat()
    until = local(2026, 12, 1, 0, 0).isoformat()
    data = by("day", "--since", since, "--until", until)
    assert rows(data) == [
        ("2026-11-21", 1, 2_000, 0.03),
        ("2026-11-22", 1, 4_000, 0.02),
        ("2026-11-23", 1, 8_000, 0.2),
    ]
    assert data["undated"] is None
    assert (data["total"]["cost_usd"], data["total"]["cost_is_lower_bound"]) == (0.25, False)
    assert data["since"] == "2026-11-21T05:00:00+00:00"
    assert rows(by("session", "--since", since)) == [
        ("s1", 1, 2_000, 0.03),
        ("s2", 1, 4_000, 0.02),
        ("s3", 2, 24_000, 0.2),
    ]


def test_the_human_table_has_a_totals_row(claude: Path) -> None:
    result = run("tokens", "--by", "day")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Tokens by day, all time, dates in America/New_York"
    assert lines[1].split() == [
        "date",
        "calls",
        "input",
        "output",
        "cache",
        "write",
        "cache",
        "read",
        "API",
        "cost",
    ]
    assert lines[2].split() == ["2026-11-20", "1", "0", "1,000", "0", "0", "$0.02"]  # $0.015, to the cent
    assert lines[6].split() == ["2026-12-01", "1", "0", "16,000", "0", "0", "?"]
    assert lines[7].split()[:4] == ["total", "5", "0", "31,000"] and lines[7].endswith("+")
    assert "1 call without a timestamp: in no row, nor in the total" in result.stdout
    assert "No price known for glm-5.1" in result.stdout
    sessions = run("tokens", "--by", "session").stdout.splitlines()
    assert sessions[1].split()[:2] == ["session", "project"]
    assert sessions[3].split()[:3] == ["s1", "-home-dev-proj", "2"]


def test_daily_by_model_counts_each_message_once_on_its_own_date(claude: Path) -> None:
    files = find_transcripts([claude])
    days = daily_by_model(Index(use_cache=False), files, NY)
    assert {k: (c.exchanges, c.output_tokens) for k, c in days.items()} == {
        (date(2026, 11, 20), SONNET): (1, 1_000),
        (date(2026, 11, 21), SONNET): (1, 2_000),
        (date(2026, 11, 22), HAIKU): (1, 4_000),
        (date(2026, 11, 23), OPUS): (1, 8_000),
        (date(2026, 12, 1), "glm-5.1"): (1, 16_000),
    }
    assert days[(date(2026, 11, 23), OPUS)].cost == Decimal("0.2")
    assert days[(date(2026, 12, 1), "glm-5.1")].cost is None
    in_utc = daily_by_model(Index(), files, timezone.utc)
    assert {k: c.output_tokens for k, c in in_utc.items()} == {
        (date(2026, 11, 21), SONNET): 3_000,
        (date(2026, 11, 23), HAIKU): 4_000,
        (date(2026, 11, 23), OPUS): 8_000,
        (date(2026, 12, 1), "glm-5.1"): 16_000,
    }
    # The same with a warm cache (the files' cached totals, no messages read where a file is one day).
    assert {k: c.output_tokens for k, c in daily_by_model(Index(), files, timezone.utc).items()} == {
        k: c.output_tokens for k, c in in_utc.items()
    }


def test_bad_combinations_say_what_to_do(claude: Path) -> None:
    both = run("tokens", "--by", "day", "--list")
    assert (both.exit_code, both.stderr.strip()) == (
        1,
        "Error: --list and --by are two views: give one of them",
    )
    one = run("tokens", "--by", "day", "--session", "s1")
    assert one.exit_code == 1 and "drop --session" in one.stderr
    wrong = run("tokens", "--by", "year")
    assert wrong.exit_code == 2 and "'year' is not one of" in wrong.stderr


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe"]
)
def test_local_dates_follow_the_zone_through_daylight_saving_changes(
    home: Path, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    here, rules = LocalZone(), ZoneInfo(zone)
    # Every 10 minutes through the weeks of 2026's changes: March to April, late September to November.
    for start in (datetime(2026, 3, 1, tzinfo=timezone.utc), datetime(2026, 9, 28, tzinfo=timezone.utc)):
        for step in range(0, 40 * 24 * 6):
            ts = start.timestamp() + step * 600
            mine = datetime.fromtimestamp(ts, here)
            assert (mine.date(), mine.hour, mine.minute) == (
                (theirs := datetime.fromtimestamp(ts, rules)).date(),
                theirs.hour,
                theirs.minute,
            ), ts
