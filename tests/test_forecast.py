"""Burn rate and projection on constructed series, the usage history under many writers, and
`status` with its `--check` codes; every expected figure follows from how the series was built."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import run
from usage_server import UsageServer

from ai_budget.claude import usage_history
from ai_budget.planning.forecast import FIVE_HOUR, WEEKLY, Observation, minutes_until, pace

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
RESET = NOW + timedelta(hours=3)


def rising(
    start: float = 40.0, per_5_min: float = 2.0, count: int = 7, resets: datetime = RESET
) -> list[Observation]:
    """A reading every 5 minutes up to NOW, rising by `per_5_min` each (so 12 × that per hour)."""
    return [
        Observation(NOW - timedelta(minutes=5 * (count - 1 - i)), start + per_5_min * i, resets)
        for i in range(count)
    ]


def test_a_steady_rise_gives_its_rate_projection_and_run_out_time() -> None:
    # 40 → 52 % over 30 minutes: 24 %/h; 3 h to the reset → 52 + 72 = 124 %; 48 % left runs out in 2 h.
    p = pace(rising(), NOW, FIVE_HOUR)
    assert p.rate_pct_per_hour == 24.0
    assert p.projected_at_reset == 124.0
    assert p.runs_out_at == NOW + timedelta(hours=2)


def test_a_pace_that_ends_below_the_limit_has_no_run_out_time() -> None:
    # 1 % per 5 minutes from 10: 12 %/h, 16 % now, + 36 over 3 h = 52 %.
    p = pace(rising(start=10.0, per_5_min=1.0), NOW, FIVE_HOUR)
    assert (p.rate_pct_per_hour, p.projected_at_reset, p.runs_out_at) == (12.0, 52.0, None)


def test_only_readings_after_the_last_reset_count() -> None:
    before = [
        Observation(NOW - timedelta(minutes=m), 90.0 + m / 10, NOW - timedelta(minutes=12))
        for m in (25, 20, 15)
    ]
    # The window reset 12 minutes ago; since then 0, 1, 2 % at 10, 5 and 0 minutes ago: 12 %/h.
    after = [Observation(NOW - timedelta(minutes=10 - 5 * i), float(i), RESET) for i in range(3)]
    p = pace(before + after, NOW, FIVE_HOUR)
    assert p.rate_pct_per_hour == 12.0
    assert p.projected_at_reset == 2.0 + 12.0 * 3


def test_a_flat_window_ends_where_it_is() -> None:
    p = pace(rising(start=33.0, per_5_min=0.0), NOW, FIVE_HOUR)
    assert (p.rate_pct_per_hour, p.projected_at_reset, p.runs_out_at) == (0.0, 33.0, None)


@pytest.mark.parametrize(
    "points",
    [
        [],
        [Observation(NOW, 40.0, RESET)],  # one reading
        [Observation(NOW - timedelta(minutes=m), 40.0 + m, RESET) for m in (2, 1, 0)],  # under 5 minutes
        [Observation(NOW - timedelta(minutes=5 * i), 40.0 + i, RESET) for i in range(7)],  # falling
    ],
    ids=["none", "one", "too-short", "falling"],
)
def test_too_little_or_odd_data_is_unknown_never_a_wild_number(points: list[Observation]) -> None:
    p = pace(points, NOW, FIVE_HOUR)
    assert (p.rate_pct_per_hour, p.projected_at_reset, p.runs_out_at) == (None, None, None)


def test_out_of_order_rows_give_the_same_answer() -> None:
    shuffled = rising()
    random.Random(7).shuffle(shuffled)
    assert pace(shuffled, NOW, FIVE_HOUR) == pace(rising(), NOW, FIVE_HOUR)


def test_the_rate_looks_back_30_minutes_on_the_five_hour_window_and_a_day_on_the_weekly() -> None:
    # A fast start two hours ago, then 1 % per 5 minutes: the 5-hour rate sees only the recent 12 %/h.
    old = [Observation(NOW - timedelta(hours=2, minutes=m), 5.0 * (12 - m) / 12, RESET) for m in (10, 5, 0)]
    assert pace(old + rising(start=30.0, per_5_min=1.0), NOW, FIVE_HOUR).rate_pct_per_hour == 12.0
    # The weekly window: 1 % an hour for 24 hours.
    week_reset = NOW + timedelta(days=2)
    daily = [Observation(NOW - timedelta(hours=24 - h), 20.0 + h, week_reset) for h in range(25)]
    w = pace(daily, NOW, WEEKLY)
    assert w.rate_pct_per_hour == 1.0
    assert w.projected_at_reset == 44.0 + 48.0


def test_minutes_until() -> None:
    assert minutes_until(10.0, 24.0) == 25
    assert minutes_until(10.0, None) is None
    assert minutes_until(10.0, 0.0) is None


# --- the history ---------------------------------------------------------------------------------


def test_an_unchanged_reading_within_a_minute_is_stored_once(home: Path) -> None:
    rows = [("five_hour", 37.0, RESET)]
    assert usage_history.record(rows, "statusline", NOW) == 1
    assert usage_history.record(rows, "statusline", NOW + timedelta(seconds=30)) == 0
    assert usage_history.record(rows, "statusline", NOW + timedelta(seconds=90)) == 1
    assert usage_history.record([("five_hour", 38.0, RESET)], "api", NOW + timedelta(seconds=95)) == 1
    assert [v for _, v, _ in usage_history.series("five_hour", NOW - timedelta(hours=1))] == [
        37.0,
        37.0,
        38.0,
    ]


def test_many_writers_lose_no_row(home: Path) -> None:
    writers, each = 6, 40
    code = (
        "import sys; from datetime import datetime, timedelta, timezone; "
        "from ai_budget.claude import usage_history as h; w = int(sys.argv[1]); "
        "t0 = datetime(2026, 11, 20, tzinfo=timezone.utc); "
        "rows = lambda i: [('w%d' % w, float(i), None)]; "
        f"print(sum(h.record(rows(i), 'test', t0 + timedelta(seconds=i)) for i in range({each})))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(w)], stdout=subprocess.PIPE, text=True)
        for w in range(writers)
    ]
    stored = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert stored == [each] * writers
    since = datetime(2026, 11, 19, tzinfo=timezone.utc)
    assert [len(usage_history.series(f"w{w}", since)) for w in range(writers)] == [each] * writers


def test_old_rows_become_one_per_hour(home: Path, tmp_path: Path) -> None:
    start = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
    with usage_history.connected() as conn:
        for minute in range(0, 120, 10):  # two hours, six readings each
            usage_history.insert(
                conn, [("five_hour", float(minute), None)], "api", start + timedelta(minutes=minute)
            )
        usage_history.compact(conn, start + timedelta(days=1))
    kept = usage_history.series("five_hour", start - timedelta(days=1))
    assert [v for _, v, _ in kept] == [50.0, 110.0]  # the last reading of each hour


# --- status --------------------------------------------------------------------------------------


def feed_history(points: list[tuple[datetime, float]], resets: datetime) -> None:
    for at, value in points:
        usage_history.record(
            [("five_hour", value, resets), ("seven_day", 10.0, resets + timedelta(days=2))], "api", at
        )


def statusline(five: float, resets: datetime, week: float = 10.0) -> None:
    payload = {
        "rate_limits": {
            "five_hour": {"used_percentage": five, "resets_at": int(resets.timestamp())},
            "seven_day": {
                "used_percentage": week,
                "resets_at": int((resets + timedelta(days=2)).timestamp()),
            },
        }
    }
    assert run("statusline", input=json.dumps(payload)).exit_code == 0


@pytest.mark.parametrize(
    ("readings", "now_value", "code"),
    [
        ([10.0, 11.0, 12.0], 13.0, 0),  # 12 %/h: ends near 49 %
        ([70.0, 70.0, 70.0], 72.0, 10),  # at the warning tier (70 %), heading nowhere much
        ([40.0, 50.0, 60.0], 70.0, 11),  # 120 %/h: runs out within the hour
        ([98.0, 99.0, 100.0], 100.0, 20),  # at the limit
    ],
)
def test_status_check_codes(
    journal: Path, claude_dir: Path, server: UsageServer, readings: list[float], now_value: float, code: int
) -> None:
    now = datetime.now(timezone.utc)
    resets = now + timedelta(hours=3)
    feed_history([(now - timedelta(minutes=15 - 5 * i), v) for i, v in enumerate(readings)], resets)
    statusline(now_value, resets)
    result = run("status", "--check", "--json")
    assert result.exit_code == code, result.stdout
    data = json.loads(result.stdout)
    five = next(w for w in data["windows"] if w["name"] == "five_hour")
    assert five["utilization"] == now_value and five["source"] == "statusline"
    assert server.requests == []


def test_status_text_says_where_the_window_is_heading(journal: Path, claude_dir: Path) -> None:
    now = datetime.now(timezone.utc)
    resets = now + timedelta(hours=3)
    feed_history([(now - timedelta(minutes=20 - 5 * i), 40.0 + 2 * i) for i in range(4)], resets)
    statusline(48.0, resets)
    out = run("status").stdout
    assert "24.0 %/h lately: at this pace it runs out at " in out
    assert "before the reset" in out


def test_the_brief_and_check_json_carry_the_pace(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    now = datetime.now(timezone.utc)
    resets = now + timedelta(hours=3)
    feed_history([(now - timedelta(minutes=30 - 5 * i), 40.0 + 2 * i) for i in range(6)], resets)
    statusline(52.0, resets)
    data = json.loads(run("check", "--json").stdout)
    assert data["claude"]["pace"]["five_hour"]["rate_pct_per_hour"] == 24.0
    assert data["claude"]["pace"]["five_hour"]["projected_at_reset"] == 124.0
    # 100 - 52 - 10 % margin = 38 % of headroom at 24 %/h: 95 minutes.
    statusline(52.0, resets)
    text = run("check").stdout
    assert "At your pace (24.0 %/h) the usable headroom lasts about 95 min." in text
    assert server.requests == []


def test_statusline_appends_and_readers_ingesting_at_once_lose_no_row(home: Path) -> None:
    """Statusline processes append while another process keeps moving the lines into SQLite."""
    writers, each = 4, 50
    append = (
        "import sys; from datetime import datetime, timedelta, timezone; "
        "from ai_budget.claude import pending; w = int(sys.argv[1]); "
        "t0 = datetime(2026, 11, 20, tzinfo=timezone.utc); "
        f"[pending.append_pending([('p%d' % w, float(i), None)], 'statusline', t0 + timedelta(seconds=i)) "
        f"for i in range({each})]"
    )
    reader = (
        "from datetime import datetime, timezone; from ai_budget.claude import usage_history as h; "
        "[h.series('p0', datetime(2026, 11, 19, tzinfo=timezone.utc)) for _ in range(30)]"
    )
    procs = [subprocess.Popen([sys.executable, "-c", append, str(w)]) for w in range(writers)]
    procs.append(subprocess.Popen([sys.executable, "-c", reader]))
    assert [p.wait(timeout=120) for p in procs] == [0] * (writers + 1)
    since = datetime(2026, 11, 19, tzinfo=timezone.utc)
    counts = [len(usage_history.series(f"p{w}", since)) for w in range(writers)]
    assert counts == [each] * writers
