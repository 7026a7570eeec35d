"""`check` on its fast path (cli.fast_check) prints what the full path prints, to the character, and
takes the full path whenever a by-hand check has more to do than read the windows and open the session."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from brief_kit import BACKLOG, CODE, SCENARIOS, feed, set_budget
from conftest import git, in_new_process
from usage_server import usage_body

from ai_budget import paths
from ai_budget.claude import feeds, usage_history
from ai_budget.cli import fast_check
from ai_budget.cli.session import keep_basis
from ai_budget.cli.views.brief import brief_json, brief_text
from ai_budget.journal.journal import Journal
from ai_budget.jsonio import dumps_pretty
from ai_budget.session import state
from ai_budget.session.check import check
from ai_budget.session.opening import Opening
from ai_budget.timeutil import now

CUSTOM = {
    "preset": "custom",
    "custom": {
        "tiers": [{"name": "calm", "at_least": 0}, {"name": "busy", "window": "five_hour", "at_least": 50}],
        "route": {"calm": {"normal": "big-model"}, "busy": {"normal": "small-model"}},
        "fallback": "tiny-model",
        "cloud_models": ["big-model"],
    },
}


def _claude_cache(home: Path, at: datetime, body: dict) -> None:
    cached = {"fetchedAtMs": at.timestamp() * 1000, "utilization": body}
    (home / ".claude.json").write_text(json.dumps({"cachedUsageUtilization": cached}))


def _full(journal: Path, claude_dir: Path, moment: datetime) -> tuple[str, str]:
    """The full path's text and JSON at `moment`; it keeps the basis, as the `check` command does."""
    brief = check(Journal.open(journal), claude_dir, opening=Opening(resolve=True), now=moment)
    keep_basis(Journal.open(journal), moment)
    return brief_text(brief), dumps_pretty(brief_json(brief))


def _both(journal: Path, claude_dir: Path, moment: datetime) -> tuple[tuple[str, str], tuple[str, str]]:
    full = _full(journal, claude_dir, moment)
    text, data = fast_check.answer([], moment), fast_check.answer(["--json"], moment)
    assert text is not None and data is not None, "the fast path declined"
    return full, (text, data)


RICH = {
    "five_hour": {"utilization": 12.0, "resets_at": None},
    "seven_day": {"utilization": 30.0, "resets_at": None},
    "seven_day_opus": {"utilization": 41.0, "resets_at": "2030-01-02T03:04:05+00:00"},
    "seven_day_oauth_apps": None,
    "limits": [
        {"kind": "weekly_scoped", "percent": 17, "scope": {"model": {"display_name": "Fable"}}},
        {"kind": "weekly_scoped", "percent": 999},  # not a usage: left out by both
        {"kind": "session"},
    ],
    "extra_usage": {"is_enabled": True, "used_credits": 1234, "monthly_limit": 5000, "utilization": 24.7},
}


ACCOUNTS_AND_ROUTING = [
    (45.0, 5.0, None, {"copilot": {"enabled": False}, "gemini": {"enabled": False}}),
    (55.0, 5.0, None, {"copilot": {"premium_requests_used": 120, "last_updated": "TODAY"}}),
    (55.0, 5.0, None, {"gemini": {"status": "fine, 3 of 50 requests", "last_updated": "TODAY"}}),
    (55.0, 5.0, None, {"settings": {"routing": CUSTOM}}),
    (30.0, 5.0, None, {"settings": {"routing": {"preset": "metabolic"}}}),
]


@pytest.mark.parametrize(("five", "week", "reset_in", "budget"), SCENARIOS + ACCOUNTS_AND_ROUTING)
def test_the_fast_check_prints_what_the_full_path_prints(
    journal: Path, claude_dir: Path, five: float, week: float, reset_in: timedelta | None, budget: dict
) -> None:
    moment = now()
    today = moment.astimezone().date().isoformat()
    budget = json.loads(json.dumps(budget).replace('"TODAY"', json.dumps(today)))
    (journal / paths.BACKLOG_FILE).write_text(BACKLOG)
    set_budget(journal, calibration=CODE, **budget)
    feed(claude_dir, moment - timedelta(seconds=30), five, week, moment + reset_in if reset_in else None)
    full, fast = _both(journal, claude_dir, moment)
    assert fast == full
    assert f"{five:.1f}%" in fast[0]  # the reading made it into both


def test_other_windows_limits_and_extra_usage_come_from_a_richer_source_on_both(
    journal: Path, claude_dir: Path, home: Path
) -> None:
    moment = now()
    _claude_cache(home, moment - timedelta(hours=3), RICH)  # old, but the only source with more windows
    feed(claude_dir, moment - timedelta(seconds=5), 64.0, 31.0, moment + timedelta(hours=2))
    full, fast = _both(journal, claude_dir, moment)
    assert fast == full
    assert "weekly opus" in fast[0] and "weekly Fable" in fast[0] and "12.34 of 50.00 USD" in fast[0]
    assert "64.0%" in fast[0]  # the feed's own windows, the cache's others


def test_claude_codes_cached_answer_when_it_is_the_youngest(
    journal: Path, claude_dir: Path, home: Path
) -> None:
    moment = now()
    feed(claude_dir, moment - timedelta(minutes=3), 64.0, 31.0, None)
    _claude_cache(home, moment - timedelta(seconds=20), RICH)
    full, fast = _both(journal, claude_dir, moment)
    assert fast == full and "from Claude Code's cache" in fast[0]


def _our_cache(claude_dir: Path, at: datetime, body: dict) -> None:
    path = feeds.cache_file(claude_dir, "usage")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fetched_at": at.isoformat(), "response": body}))


def _main(five: float, extra: dict) -> dict:
    return {"five_hour": {"utilization": five, "resets_at": None}, "seven_day": {"utilization": 9.0}, **extra}


OPUS = {"seven_day_opus": {"utilization": 41.0, "resets_at": None}}
OLD_OPUS = {"seven_day_opus": {"utilization": 10.0, "resets_at": None}}
EXTRA_ONLY = {"extra_usage": {"is_enabled": True, "used_credits": 100, "monthly_limit": 1000}}


@pytest.mark.parametrize(
    ("cached", "ours", "feed_first", "shows"),
    [
        (_main(50.0, OPUS), _main(51.0, OLD_OPUS), True, "41.0%"),  # the freshest of two richer sources
        (_main(50.0, OPUS), _main(51.0, OLD_OPUS), False, "41.0%"),  # the youngest is rich: its own
        (_main(50.0, {"limits": [1]}), _main(51.0, OLD_OPUS), False, "51.0%"),  # refused by both
        (_main(50.0, EXTRA_ONLY), _main(51.0, {}), True, "1.00 of 10.00 USD"),  # rich by extra usage alone
    ],
)
def test_several_sources_merge_alike_on_both_paths(
    journal: Path, claude_dir: Path, home: Path, cached: dict, ours: dict, feed_first: bool, shows: str
) -> None:
    moment = now()
    _claude_cache(home, moment - timedelta(seconds=60), cached)
    _our_cache(claude_dir, moment - timedelta(seconds=120), ours)
    if feed_first:
        feed(claude_dir, moment - timedelta(seconds=10), 64.0, 31.0, None)
    full, fast = _both(journal, claude_dir, moment)
    assert fast == full and shows in fast[0]


def test_the_pace_comes_from_the_same_usage_history(journal: Path, claude_dir: Path) -> None:
    moment = now()
    resets = moment + timedelta(hours=3)
    for minutes, used in ((90, 10.0), (60, 20.0), (30, 30.0)):
        at = moment - timedelta(minutes=minutes)
        usage_history.record([("five_hour", used, resets), ("seven_day", 5.0, None)], "statusline", at)
    (journal / paths.BACKLOG_FILE).write_text(BACKLOG)
    set_budget(journal, calibration=CODE)
    feed(claude_dir, moment - timedelta(seconds=10), 40.0, 6.0, resets)
    full, fast = _both(journal, claude_dir, moment)
    assert fast == full and "At your pace (" in fast[0]


# --- when a by-hand check has more to do, the full path answers --------------------------------------


@pytest.fixture
def kept(journal: Path, claude_dir: Path) -> datetime:
    """A journal whose full check kept the basis, with a young reading: the fast path answers."""
    moment = now()
    (journal / paths.BACKLOG_FILE).write_text(BACKLOG)
    feed(claude_dir, moment - timedelta(seconds=30), 40.0, 10.0, None)
    _full(journal, claude_dir, moment)
    assert fast_check.answer([], moment) is not None
    return moment


def test_options_other_than_json_take_the_full_path(kept: datetime) -> None:
    for args in (["--from-file", "x"], ["--source", "api"], ["--json", "--json"], ["-h"]):
        assert fast_check.answer(args, kept) is None


def test_a_changed_journal_takes_the_full_path(journal: Path, kept: datetime) -> None:
    git(journal, "commit", "--allow-empty", "-qm", "synced from another machine")  # HEAD moved
    assert fast_check.answer([], kept) is None


def test_an_interrupted_write_takes_the_full_path(journal: Path, kept: datetime) -> None:
    marker = journal / ".git" / paths.TRANSACTION_MARKER  # a log killed before it touched budget.json
    marker.write_text("{}")
    assert fast_check.answer([], kept) is None
    marker.unlink()
    assert fast_check.answer([], kept) is not None


def test_a_changed_backlog_takes_the_full_path(journal: Path, kept: datetime) -> None:
    (journal / paths.BACKLOG_FILE).write_text(BACKLOG + "[L] one more {prose: 1}\n")
    assert fast_check.answer([], kept) is None


def test_no_young_reading_takes_the_full_path(kept: datetime) -> None:
    assert (
        fast_check.answer([], kept + timedelta(seconds=feeds.ttl_seconds())) is None
    )  # may ask the endpoint


def test_waiting_closings_and_idle_sessions_are_left_for_the_next_command_that_folds(
    journal: Path, claude_dir: Path, kept: datetime
) -> None:
    from conftest import run

    state.add_pending(journal, {"session_id": "s-ended", "observed": {}}, kept)
    idle = kept - timedelta(hours=3)  # no transcript written since it opened, three hours ago: it ended
    state.save(journal, state.OpenSession("s-idle", idle, idle, source="startup"))
    fast = fast_check.answer([], kept)
    assert len(state.pending(journal)) == 1 and state.load(journal, "s-idle") is not None  # left as they were
    assert fast == _full(journal, claude_dir, kept)[0]  # the full path folds them, and prints the same brief
    assert state.pending(journal) == [] and state.load(journal, "s-idle") is None
    state.add_pending(journal, {"session_id": "s-ended-too", "observed": {}}, kept)
    assert fast_check.answer([], kept) is not None
    assert run("sessions").exit_code == 0 and state.pending(journal) == []  # a command that folds first


def test_a_day_not_rolled_up_takes_the_full_path(journal: Path, claude_dir: Path, kept: datetime) -> None:
    from ai_budget.session.rollup_quick import quick_record

    project = claude_dir / "projects" / "-work-app"
    project.mkdir(parents=True)
    (project / "0b0e6c1e-6a59-4cbb-9d55-3c5a3e8a1f00.jsonl").write_text("{}\n")
    assert fast_check.answer([], kept) is not None  # a changed transcript waits for the next log or report
    record = quick_record(journal, paths.claude_dirs())
    data = json.loads(record.read_text())
    yesterday = kept.astimezone().date() - timedelta(days=1)
    assert data["through"] == yesterday.isoformat()
    data["through"] = (yesterday - timedelta(days=1)).isoformat()  # as on the first check of a new day
    record.write_text(json.dumps(data))
    assert fast_check.answer([], kept) is None


def test_a_copilot_fetch_due_or_the_console_takes_the_full_path(journal: Path, claude_dir: Path) -> None:
    moment = now()
    feed(claude_dir, moment - timedelta(seconds=30), 40.0, 10.0, None)
    set_budget(journal, settings={"copilot_fetch": True})  # no count yet: check asks GitHub
    _full(journal, claude_dir, moment)
    assert fast_check.answer([], moment) is None
    set_budget(journal, settings={"copilot_fetch": False})
    key = journal.parent / "admin.key"
    key.write_text("sk-ant-admin01-FAKE-FAKE\n")
    key.chmod(0o600)
    set_budget(journal, settings={"console": {"admin_key_file": str(key)}})
    _full(journal, claude_dir, moment)
    assert fast_check.answer([], moment) is None


def test_check_takes_the_full_path_once_then_imports_neither_click_nor_pydantic(
    journal: Path, claude_dir: Path
) -> None:
    (journal / paths.BACKLOG_FILE).write_text(BACKLOG)
    feed(claude_dir, now(), 64.0, 12.0, None)  # no reset time: the text cannot move with the clock
    first, heavy_first = in_new_process(["check", "--json"])
    second, heavy_second = in_new_process(["check", "--json"])
    assert "pydantic" in heavy_first and heavy_second == []
    drop = ("age_seconds", "fetched_at")  # the reading's age moves between the two runs
    one, two = (json.loads(out) for out in (first, second))
    for data in (one, two):
        for key in drop:
            data["claude"].pop(key)
    assert one == two and two["claude"]["five_hour"]["utilization"] == 64.0
    assert len(state.all_open(journal)) == 1  # the same terminal session, refreshed


def test_a_limit_change_the_history_shows_takes_the_full_path_that_records_it(
    changed: Path, claude_dir: Path
) -> None:
    from ai_budget.session import brief_basis
    from ai_budget.session.rollup import rollup_quietly

    moment = now()
    feed(claude_dir, moment - timedelta(seconds=30), 20.0, 10.0, None)
    rollup_quietly(Journal.open(changed), None, moment)
    keep_basis(Journal.open(changed), moment)  # as `log` keeps it: the change is in the history, unrecorded
    kept = brief_basis.load(changed, moment)
    assert kept is not None and kept["check"]["full_path_needed"] is True
    assert fast_check.answer([], moment) is None
    first = _full(changed, claude_dir, moment)[0]  # records the change, warns once, keeps the basis
    assert "seems to hold about 1.9× more tokens per %" in first
    again = _full(changed, claude_dir, moment)[0]
    assert fast_check.answer([], moment) == again and "1.9×" not in again


def test_a_reader_that_went_away_ends_it_as_the_full_path_does(journal: Path, claude_dir: Path) -> None:
    feed(claude_dir, now(), 64.0, 12.0, None)
    command = [sys.executable, "-m", "ai_budget", "check", "--from-file", "-"]  # the full path
    for fast in (False, True):
        done = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert done.stdin is not None and done.stdout is not None and done.stderr is not None
        done.stdout.close()
        done.stdin.write(json.dumps(usage_body(five=64.0, week=12.0)).encode())
        done.stdin.close()
        assert (done.wait(), done.stderr.read()) == (1, b"")
        if not fast:
            in_new_process(["check"])  # keeps the basis
            assert fast_check.answer([], now()) is not None
            command = command[:-2]


# --- bodies the model reads differently from a plain check: both paths print the same brief ----------

W = {"utilization": 12.0, "resets_at": None}


@pytest.mark.parametrize("window", [{"utilization": 300}, {"utilization": 41, "resets_at": "soon"}])
def test_a_per_model_window_the_model_refuses_makes_the_source_unusable_on_both(
    journal: Path, claude_dir: Path, home: Path, kept: datetime, window: dict
) -> None:
    _claude_cache(
        home, kept - timedelta(seconds=5), {"five_hour": W, "seven_day": W, "seven_day_opus": window}
    )
    full, fast = _both(journal, claude_dir, kept)  # the full path read it whole once, and failed
    assert fast == full and "40.0%" in fast[0] and "from Claude Code's statusline" in fast[0]


def test_an_admin_key_in_the_environment_takes_the_full_path(
    journal: Path, claude_dir: Path, kept: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", "http://127.0.0.1:9")  # nothing listens: a Console error
    monkeypatch.setenv(paths.ADMIN_KEY_ENV, "sk-ant-admin01-FAKE-FAKE")
    fast = fast_check.answer([], kept)
    full = _full(journal, claude_dir, kept)[0]
    assert "Console" in full  # the full path asks the Console, set up by the environment alone
    assert fast is None or fast == full


def test_a_session_that_ended_is_closed_and_opened_anew_on_both(
    journal: Path, claude_dir: Path, kept: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ai_budget.integrations.fast_reading import of_windows
    from ai_budget.session.opening import open_session

    then = kept - timedelta(hours=3)  # opened by a check three hours ago, naming no transcript: it ended
    monkeypatch.setenv(state.SESSION_ENV, "s-long")

    def opened_then() -> None:
        state.remove(journal, "s-long")
        old = of_windows("statusline", then, {"five_hour": (5.0, None), "seven_day": (2.0, None)})
        open_session(journal, Opening("s-long", "check"), old, then)

    opened_then()
    if fast_check.answer([], kept) is None:  # `check` as the program runs it: the full path then
        _full(journal, claude_dir, kept)
    after_fast = state.load(journal, "s-long")
    opened_then()
    _full(journal, claude_dir, kept)
    after_full = state.load(journal, "s-long")
    assert after_full is not None and after_full.opened_at == kept  # closed, and opened anew
    assert after_full.baseline is not None and after_full.baseline["five_hour_util"] == 40.0
    assert after_fast is not None and after_fast.to_json() == after_full.to_json()


def test_a_basis_kept_in_another_time_zone_takes_the_full_path(
    journal: Path, claude_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    moment = now().replace(hour=12, minute=0)  # the same date in UTC and in St John's (UTC-3:30)
    month_before = moment.replace(day=1).date() - timedelta(days=1)  # typed in, without its moment
    set_budget(journal, copilot={"premium_requests_used": 10, "last_updated": month_before.isoformat()})
    feed(claude_dir, moment - timedelta(seconds=30), 40.0, 10.0, None)
    kept_in_utc = _full(journal, claude_dir, moment)[0]
    assert "has reset since" in kept_in_utc  # the month began (UTC) after the count's local date
    monkeypatch.setenv("TZ", "America/St_Johns")
    time.tzset()  # conftest's fixture puts the zone back
    fast = fast_check.answer([], moment)
    full = _full(journal, claude_dir, moment)[0]
    assert "has reset since" not in full  # there the month began on the count's date
    assert fast is None or fast == full


FEED, CACHE = "from Claude Code's statusline", "from Claude Code's cache"
TEXT_SCOPED = {"limits": [{"kind": "weekly_scoped", "percent": "17"}]}
ODD = {  # (extra keys, whose reading shows, what it shows, what it must not): alike, no traceback
    # A utilisation given as text or true/false is no usage: its source is not read (the feed, 40 %).
    "5-hour as text": ({"five_hour": {"utilization": "42.5"}}, FEED, "40.0%", "42.5"),
    "5-hour as a boolean": ({"five_hour": {"utilization": True}}, FEED, "40.0%", "  1.0%"),
    "opus as text": ({"seven_day_opus": {"utilization": "41"}}, FEED, "40.0%", "41.0%"),
    "scoped percent as text": (TEXT_SCOPED, CACHE, "12.0%", "17.0%"),  # that limit left out
    # Parts the brief shows without.
    "extra usage's share as text": (
        {
            "extra_usage": {
                "is_enabled": True,
                "used_credits": 100,
                "monthly_limit": 1000,
                "utilization": "10",
            }
        },
        CACHE,
        "enabled: 1.00 of 10.00 USD used\n",
        "USD used (",
    ),
    "extra usage's amounts as text": (
        {"extra_usage": {"is_enabled": True, "used_credits": "100", "monthly_limit": 1000}},
        CACHE,
        "extra usage    enabled\n",
        "USD",
    ),
    "a scoped limit's model as text": (
        {"limits": [{"kind": "weekly_scoped", "percent": 17, "scope": {"model": "Fable"}}]},
        CACHE,
        "weekly (scoped)",
        "Fable",
    ),
}


@pytest.mark.parametrize("name", list(ODD))
def test_odd_usage_bodies_read_alike_on_both_paths_without_a_traceback(
    journal: Path, claude_dir: Path, home: Path, kept: datetime, name: str
) -> None:
    extra, source, shown, hidden = ODD[name]
    body = {"five_hour": W, "seven_day": W, **extra}
    _claude_cache(home, kept - timedelta(seconds=5), body)  # younger than the feed (40 %)
    full, fast = _both(journal, claude_dir, kept)
    assert fast == full and source in fast[0] and shown in fast[0] and hidden not in fast[0]
