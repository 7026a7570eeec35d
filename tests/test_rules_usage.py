"""Usage's rules one by one: windows and their bounds, the claude section, the cache, the backoff,
files given with --from-file, and the endpoint's answers (against the real loopback server)."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import fault_server as fs
import pytest
from usage_server import Reply, UsageServer, usage_body

from ai_budget.claude import endpoint, usage, usage_cache, usage_history
from ai_budget.claude.usage import UsageFile
from ai_budget.errors import FetchError
from ai_budget.model.usage import Baseline, ClaudeSection, Snapshot, UsageResponse, UsageWindow

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
RESET = T0 + timedelta(hours=3)


WEEK_RESET = T0 + timedelta(days=2)


def response(
    five: float = 40.0,
    week: float = 20.0,
    five_reset: datetime | None = RESET,
    week_reset: datetime = WEEK_RESET,
    **extra: Any,
) -> UsageResponse:
    body = {
        "five_hour": {"utilization": five, "resets_at": five_reset.isoformat() if five_reset else None},
        "seven_day": {"utilization": week, "resets_at": week_reset.isoformat()},
        **extra,
    }
    return UsageResponse.model_validate(body)


def snap(at: datetime = T0, source: str = "api", **kw: Any) -> Snapshot:
    return Snapshot(response(**kw), at, source)  # type: ignore[arg-type]


# --- windows --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 0.0, 100, 200])
def test_utilisation_from_zero_to_twice_the_window_is_usage(value: float) -> None:
    assert UsageWindow.model_validate({"utilization": value}).utilization == value


@pytest.mark.parametrize("value", [-0.01, 200.01, 1e9])
def test_utilisation_outside_zero_to_200_is_not_usage(value: float) -> None:
    with pytest.raises(ValueError):
        UsageWindow.model_validate({"utilization": value})


def test_other_windows_are_the_extra_keys_that_carry_a_utilisation() -> None:
    r = response(
        seven_day_opus={"utilization": 12, "resets_at": None},
        seven_day_oauth_apps=None,
        iguana={"note": 1},
        tags=["utilization"],
        extra_usage={"utilization": 5, "is_enabled": True},
    )
    assert list(r.other_windows()) == ["seven_day_opus"]
    assert r.other_windows()["seven_day_opus"].utilization == 12


def test_scoped_windows_come_from_weekly_scoped_limits_with_a_label() -> None:
    later = (T0 + timedelta(days=1)).isoformat()
    limits = [
        {
            "kind": "weekly_scoped",
            "percent": 12,
            "resets_at": later,
            "scope": {"model": {"display_name": "Opus"}},
        },
        {"kind": "weekly_scoped", "percent": 3, "scope": None},
        {"kind": "weekly_scoped", "percent": 4, "scope": "everything"},
        {"kind": "weekly_scoped", "percent": 5, "scope": {"model": None}},
        {"kind": "weekly_scoped", "percent": 900},  # not a share of a window: left out
        {"kind": "five_hour", "percent": 50},
    ]
    found = response(limits=limits).scoped_windows()
    assert [(label, w.utilization) for label, w in found] == [
        ("weekly Opus", 12),
        ("weekly (scoped)", 3),
        ("weekly (scoped)", 4),
        ("weekly (scoped)", 5),
    ]
    assert found[0][1].resets_at == T0 + timedelta(days=1)
    assert response().scoped_windows() == []


def test_scoped_windows_after_another_kind_or_an_unusable_one_are_still_found() -> None:
    limits = [
        {"kind": "five_hour", "percent": 50},
        {"kind": "weekly_scoped", "percent": 900},
        {"kind": "weekly_scoped", "percent": 7},
    ]
    assert [(label, w.utilization) for label, w in response(limits=limits).scoped_windows()] == [
        ("weekly (scoped)", 7)
    ]


@pytest.mark.parametrize("source", ["statusline", "claude-cache", "api", "cache", "file"])
def test_every_source_but_last_known_is_fresh(source: str) -> None:
    assert snap(source=source).fresh is True


def test_last_known_keeps_the_numbers_and_their_time() -> None:
    old = snap(source="cache").as_last_known("boom")
    assert (old.source, old.error, old.fresh, old.observed_at) == ("last-known", "boom", False, T0)
    assert (old.five_hour.utilization, old.seven_day.utilization) == (40.0, 20.0)


# --- the claude section and the baseline ----------------------------------------------------------


def test_a_section_without_a_five_hour_number_or_a_fetch_time_holds_no_snapshot() -> None:
    assert ClaudeSection(last_fetched=T0).snapshot() is None
    assert ClaudeSection(five_hour_util=10).snapshot() is None


def test_a_section_gives_back_everything_it_holds() -> None:
    extra = {"is_enabled": True, "utilization": 9.0}
    limits = [{"kind": "weekly_scoped", "percent": 7}]
    section = ClaudeSection().holding(
        snap(
            source="file",
            seven_day_opus={"utilization": 3.0, "resets_at": None},
            limits=limits,
            extra_usage=extra,
        )
    )
    back = section.snapshot()
    assert back is not None
    assert (back.source, back.observed_at, back.error) == ("last-known", T0, None)
    assert (back.five_hour.utilization, back.five_hour.resets_at) == (40.0, RESET)
    assert (back.seven_day.utilization, back.seven_day.resets_at) == (20.0, WEEK_RESET)
    assert back.response.other_windows()["seven_day_opus"].utilization == 3.0
    assert (back.response.limits, back.response.extra_usage) == (limits, extra)


def test_holding_new_numbers_keeps_the_plan_and_the_users_own_keys() -> None:
    section = ClaudeSection.model_validate({"plan": "max", "my_note": "hi", "five_hour_util": 1.0})
    held = section.holding(snap(T0 + timedelta(minutes=5), "api"))
    assert (held.plan, held.model_extra, held.source) == ("max", {"my_note": "hi"}, "api")
    assert (held.five_hour_util, held.seven_day_util, held.five_hour_resets_at) == (40.0, 20.0, RESET)
    assert held.last_fetched == T0 + timedelta(minutes=5)
    assert section.five_hour_util == 1.0  # a copy


@pytest.mark.parametrize(
    ("later", "differs"),
    [
        (response(), False),
        (response(five=41.0), True),
        (response(week=21.0), True),
        (response(five_reset=RESET + timedelta(seconds=59)), False),
        (response(five_reset=RESET + timedelta(minutes=1)), False),  # jitter up to a minute
        (response(five_reset=RESET + timedelta(minutes=1, seconds=1)), True),
        (response(five_reset=RESET - timedelta(minutes=2)), True),
        (response(five_reset=None), True),
        (response(seven_day_opus={"utilization": 1}), True),
    ],
)
def test_a_section_differs_on_a_number_or_a_reset_that_moved(later: UsageResponse, differs: bool) -> None:
    assert ClaudeSection().holding(snap()).differs_from(later) is differs


def test_a_moved_weekly_reset_and_the_other_windows_count_too() -> None:
    section = ClaudeSection().holding(snap(seven_day_opus={"utilization": 1, "resets_at": RESET.isoformat()}))
    opus = {"utilization": 1, "resets_at": RESET.isoformat()}
    assert section.differs_from(response(week_reset=WEEK_RESET + timedelta(minutes=2), seven_day_opus=opus))
    assert not section.differs_from(
        response(week_reset=WEEK_RESET + timedelta(seconds=30), seven_day_opus=opus)
    )
    same = response(
        seven_day_opus={"utilization": 1, "resets_at": (RESET + timedelta(seconds=30)).isoformat()}
    )
    assert section.differs_from(same) is False
    for changed in (
        {"utilization": 2, "resets_at": RESET.isoformat()},
        {"utilization": 1, "resets_at": None},
    ):
        assert section.differs_from(response(seven_day_opus=changed)) is True
    assert section.differs_from(response()) is True  # the window went away
    no_resets = ClaudeSection().holding(snap(five_reset=None))
    assert no_resets.differs_from(response(five_reset=None)) is False


def test_a_baseline_without_numbers_has_only_its_start_and_session() -> None:
    base = Baseline.of(None, T0, "sess-1")
    assert (base.started_at, base.fetched_at, base.source, base.five_hour_util) == (T0, None, None, None)
    assert base.session_id == "sess-1"
    assert Baseline.of(snap(), T0, "sess-2").session_id == "sess-2"


def test_a_baseline_takes_the_snapshots_numbers_time_and_source() -> None:
    base = Baseline.of(snap(T0, "cache"), T0 + timedelta(minutes=1))
    assert (base.started_at, base.fetched_at, base.source) == (T0 + timedelta(minutes=1), T0, "cache")
    assert (base.five_hour_util, base.seven_day_util, base.five_hour_resets_at) == (40.0, 20.0, RESET)
    assert base.seven_day_resets_at == WEEK_RESET


# --- our cache ------------------------------------------------------------------------------------


def cache_files(home: Path, kind: str = "usage") -> list[Path]:
    return sorted((home / ".cache" / "ai-budget").glob(f"{kind}-*.json"))


@pytest.mark.parametrize(
    ("value", "seconds"), [(None, 300), ("abc", 300), ("-5", 0.0), ("12.5", 12.5), ("inf", 300), ("nan", 300)]
)
def test_the_cache_lifetime_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float
) -> None:
    if value is not None:
        monkeypatch.setenv("AI_BUDGET_CACHE_TTL", value)
    assert usage_cache.ttl_seconds() == seconds


def test_an_answer_exactly_as_old_as_the_lifetime_is_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "100")
    assert usage_cache.is_fresh(snap(T0), T0 + timedelta(seconds=99.9)) is True
    assert usage_cache.is_fresh(snap(T0), T0 + timedelta(seconds=100)) is False


def test_the_cache_round_trips_and_is_one_file_per_config_dir(home: Path) -> None:
    first, second = home / "a" / "claude", home / "b"
    first.mkdir(parents=True)
    second.mkdir()
    assert usage_cache.read(first) is None
    usage_cache.remember(first, snap(T0, "api", five=11.0))
    usage_cache.remember(home / "a" / "x" / ".." / "claude", snap(T0 + timedelta(seconds=1), five=12.0))
    usage_cache.remember(second, snap(T0, five=13.0))
    back = usage_cache.read(first)
    assert back is not None
    assert (back.source, back.observed_at, back.five_hour.utilization) == (
        "cache",
        T0 + timedelta(seconds=1),
        12.0,
    )
    assert len(cache_files(home)) == 2


@pytest.mark.parametrize(
    "content",
    [
        {"response": json.loads(usage_body())},
        {"fetched_at": "not a time", "response": json.loads(usage_body())},
        {"fetched_at": T0.isoformat(), "response": {"five_hour": {}}},
        {"fetched_at": T0.isoformat(), "response": {"five_hour": {"utilization": 500}, "seven_day": {}}},
        {},
    ],
)
def test_an_unusable_cache_file_is_no_cache(home: Path, content: dict[str, Any]) -> None:
    usage_cache.remember(home, snap())
    cache_files(home)[0].write_text(json.dumps(content))
    assert usage_cache.read(home) is None


# --- the 429 backoff ------------------------------------------------------------------------------


def waits(home: Path, retry_after: str | None) -> tuple[float, bool]:
    """Seconds until the next try that a 429 with this Retry-After leads to, and whether it was capped."""
    before = datetime.now(timezone.utc)
    until, capped = usage_cache.note_429(home, retry_after)
    assert usage_cache.backoff_until(home) == until
    return (until - before).total_seconds(), capped


def test_without_retry_after_the_wait_doubles_from_a_minute_up_to_half_an_hour(home: Path) -> None:
    got = [round(waits(home, None)[0]) for _ in range(7)]
    assert got == [60, 120, 240, 480, 960, 1800, 1800]
    stored = json.loads(usage_cache.backoff_file(home).read_text())
    assert stored["failures"] == 7


def test_a_zero_retry_after_backs_off_like_none(home: Path) -> None:
    assert round(waits(home, "0")[0]) == 60
    assert round(waits(home, "0")[0]) == 120


def test_retry_after_is_honoured_up_to_a_day(home: Path) -> None:
    got = [waits(home, header) for header in ("30", "86400", "86401")]
    assert [(round(seconds), capped) for seconds, capped in got] == [
        (30, False),
        (86400, False),
        (86400, True),
    ]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("", None), ("  42 ", 42.0), ("-3", 0.0), ("nan", None), ("soon", None)],
)
def test_retry_after_in_seconds(header: str | None, seconds: float | None) -> None:
    assert usage_cache.retry_after_seconds(header) == seconds


@pytest.mark.parametrize("header", ["inf", "1e999", "9" * 400])
def test_an_endless_retry_after_is_longer_than_a_day_and_so_capped(home: Path, header: str) -> None:
    seconds = usage_cache.retry_after_seconds(header)
    assert seconds is not None and seconds > 86400
    assert waits(home, header)[1] is True


def test_retry_after_as_an_http_date() -> None:
    ahead = datetime.now(timezone.utc) + timedelta(minutes=10)
    zoned = usage_cache.retry_after_seconds(format_datetime(ahead, usegmt=True))
    # "-0000" is a date with no zone: read as UTC.
    unzoned = usage_cache.retry_after_seconds(ahead.strftime("%a, %d %b %Y %H:%M:%S -0000"))
    assert zoned is not None and unzoned is not None
    assert 590 <= zoned <= 600 and 590 <= unzoned <= 600
    assert usage_cache.retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_a_backoff_in_the_past_or_unreadable_is_no_wait(home: Path) -> None:
    assert usage_cache.backoff_until(home) is None
    usage_cache.note_429(home, "60")
    path = usage_cache.backoff_file(home)
    path.write_text(json.dumps({"until": (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()}))
    assert usage_cache.backoff_until(home) is None
    path.write_text(json.dumps({"until": "whenever"}))
    assert usage_cache.backoff_until(home) is None
    usage_cache.clear_backoff(home)
    usage_cache.clear_backoff(home)  # twice: nothing to forget is fine
    assert not path.exists()


# --- files given with --from-file -----------------------------------------------------------------


def test_a_response_file_is_read_with_its_time(home: Path) -> None:
    path = home / "saved.json"
    path.write_text(usage_body(five=44.0))
    os.utime(path, (T0.timestamp(), T0.timestamp()))
    got = usage.read_response_file("~/saved.json")
    assert (got.origin, got.written_at, json.loads(got.data)["five_hour"]["utilization"]) == (
        str(path),
        T0,
        44.0,
    )


def test_a_response_on_standard_input_is_named_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"five_hour": {}}')))
    got = usage.read_response_file("-")
    assert (got.data, got.origin, got.written_at) == (b'{"five_hour": {}}', "standard input", None)


def test_a_missing_response_file_names_the_path(home: Path) -> None:
    with pytest.raises(FetchError) as caught:
        usage.read_response_file(str(home / "nope.json"))
    assert str(caught.value) == (
        f"cannot read {home / 'nope.json'} (No such file or directory): check the path given to --from-file"
    )


def test_a_bad_file_says_to_check_the_file(home: Path) -> None:
    with pytest.raises(FetchError) as caught:
        usage.from_file(UsageFile(b"<html>no</html>", "saved.json"), home)
    assert str(caught.value) == (
        "saved.json answered with a web page instead of JSON (a bot check or a proxy?): check the file"
    )


def test_a_recent_file_is_observed_when_read_and_fills_the_cache(home: Path) -> None:
    moment = T0 + timedelta(minutes=4)  # the file is 4 minutes old: within the 5-minute lifetime
    got = usage.from_file(UsageFile(usage_body(five=44.0).encode(), "f", T0), home, moment)
    assert (got.source, got.observed_at, got.five_hour.utilization) == ("file", moment, 44.0)
    cached = usage_cache.read(home)
    assert cached is not None and cached.observed_at == moment


def test_an_old_file_is_as_old_as_the_file_and_keeps_a_newer_cache(home: Path) -> None:
    usage_cache.remember(home, snap(T0 + timedelta(minutes=30), five=50.0))
    got = usage.from_file(UsageFile(usage_body(five=44.0).encode(), "f", T0), home, T0 + timedelta(hours=1))
    assert got.observed_at == T0
    cached = usage_cache.read(home)
    assert cached is not None and cached.five_hour.utilization == 50.0


def test_a_file_as_new_as_the_cache_replaces_it(home: Path) -> None:
    usage_cache.remember(home, snap(T0, five=50.0))
    usage.from_file(UsageFile(usage_body(five=44.0).encode(), "f"), home, T0)
    cached = usage_cache.read(home)
    assert cached is not None and cached.five_hour.utilization == 44.0


def test_a_file_read_without_a_moment_is_observed_now(home: Path) -> None:
    before = datetime.now(timezone.utc)
    got = usage.from_file(UsageFile(usage_body().encode(), "f"), home)
    assert before <= got.observed_at <= datetime.now(timezone.utc)


# --- choosing a source ----------------------------------------------------------------------------


def test_a_given_file_is_the_answer_and_goes_to_the_usage_history(home: Path) -> None:
    moment = datetime.now(timezone.utc)
    got = usage.fresh_or_last_known(
        home, None, file=UsageFile(usage_body(five=44.0).encode(), "f"), moment=moment
    )
    assert (got.source, got.observed_at, got.error) == ("file", moment, None)
    readings = usage_history.series("five_hour", moment - timedelta(seconds=1))
    assert [(at, value) for at, value, _ in readings] == [(moment, 44.0)]


def test_last_known_is_the_newest_of_the_cache_and_the_section(home: Path) -> None:
    assert usage.last_known(home, None, "down") is None
    assert usage.last_known(home, ClaudeSection(), "down") is None
    usage_cache.remember(home, snap(T0, five=10.0))
    newer = ClaudeSection().holding(snap(T0 + timedelta(minutes=1), five=20.0))
    older = ClaudeSection().holding(snap(T0 - timedelta(minutes=1), five=30.0))
    for section, value in ((newer, 20.0), (older, 10.0), (None, 10.0)):
        got = usage.last_known(home, section, "down")
        assert got is not None
        assert (got.five_hour.utilization, got.source, got.error) == (value, "last-known", "down")


def test_a_named_local_source_with_nothing_in_it_is_an_error(home: Path) -> None:
    with pytest.raises(
        FetchError, match=r"^Claude Code's statusline feed \(`ai-budget integrate install`\) has no"
    ):
        usage.fresh_or_last_known(home, None, source="statusline")
    with pytest.raises(
        FetchError, match=r"^Claude Code's cached answer has no usage yet: try --source auto$"
    ):
        usage.fresh_or_last_known(home, None, source="claude")


def claude_code_answer(home: Path, five: float, at: datetime) -> None:
    """Claude Code's own cached usage answer in ~/.claude.json."""
    body = {"fetchedAtMs": int(at.timestamp() * 1000), "utilization": json.loads(usage_body(five=five))}
    (home / ".claude.json").write_text(json.dumps({"cachedUsageUtilization": body}))


@pytest.mark.parametrize("source", [None, "auto", "claude"])
def test_claude_codes_own_answer_serves_by_default_and_when_named(
    home: Path, claude_dir: Path, server: UsageServer, source: str | None
) -> None:
    claude_code_answer(home, 14.0, datetime.now(timezone.utc))
    chosen = {"source": source} if source is not None else {}
    got = usage.fresh_or_last_known(claude_dir, None, **chosen)
    assert (got.source, got.five_hour.utilization, server.requests) == ("claude-cache", 14.0, [])


def test_an_answer_from_our_cache_is_not_a_new_observation(
    home: Path, claude_dir: Path, server: UsageServer
) -> None:
    # The cache was recorded in the history when it was fetched; a hit adds no reading.
    moment = datetime.now(timezone.utc)
    usage_cache.remember(claude_dir, Snapshot(response(five=9.0), moment, "api"))
    assert usage.fresh_or_last_known(claude_dir, None).source == "cache"
    assert usage_history.series("five_hour", moment - timedelta(minutes=1)) == []


def test_with_the_endpoint_switched_off_nothing_is_requested(
    home: Path, claude_dir: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "12.5")
    with pytest.raises(FetchError) as caught:
        usage.fresh_or_last_known(claude_dir, None, allow_api=False)
    assert str(caught.value) == (
        "no local usage is younger than 12.5 s and settings.usage_api is false in budget.json, "
        "so the usage endpoint is never called"
    )
    assert server.requests == []


def test_a_fresh_cache_answers_unless_forced(home: Path, claude_dir: Path, server: UsageServer) -> None:
    usage_cache.remember(claude_dir, Snapshot(response(five=9.0), datetime.now(timezone.utc), "api"))
    got = usage.fresh_or_last_known(claude_dir, None)
    assert (got.source, got.five_hour.utilization, server.requests) == ("cache", 9.0, [])
    assert usage.cache_or_endpoint(claude_dir).source == "cache"
    forced = usage.fresh_or_last_known(claude_dir, None, force=True)
    assert (forced.source, forced.five_hour.utilization, len(server.requests)) == ("api", 37.0, 1)
    assert usage.cache_or_endpoint(claude_dir, force=True).source == "api"
    assert len(server.requests) == 2


def test_a_failure_with_nothing_known_raises_and_with_something_falls_back(
    home: Path, claude_dir: Path, server: UsageServer
) -> None:
    server.answer(Reply(500, "down"))
    with pytest.raises(FetchError, match=r"failed \(HTTP 500\)"):
        usage.fresh_or_last_known(claude_dir, None)
    section = ClaudeSection().holding(snap(T0, five=12.0))
    got = usage.fresh_or_last_known(claude_dir, section)
    assert (got.source, got.five_hour.utilization, got.observed_at) == ("last-known", 12.0, T0)
    assert got.error == "the usage endpoint failed (HTTP 500): try again in a few minutes"


def test_the_python_api_finds_the_default_claude_dir(
    home: Path, claude_dir: Path, server: UsageServer
) -> None:
    got = usage.current_usage()
    assert got is not None and got.five_hour.utilization == 37.0
    assert server.requests[0]["headers"]["authorization"].startswith("Bearer sk-ant-oat01-FAKE")


def test_a_429_asking_for_more_than_a_day_is_capped_and_says_so(
    home: Path, claude_dir: Path, server: UsageServer
) -> None:
    server.answer(Reply(429, "{}", {"Retry-After": "90000"}))
    with pytest.raises(FetchError) as caught:
        usage.call_endpoint(claude_dir)
    message = str(caught.value)
    assert message.startswith("the usage endpoint is rate limiting (429): next try allowed at ")
    assert message.endswith(
        f"(in 1d 0h) (it asked for longer than a day, so the wait is capped at 24 h; "
        f"delete {usage_cache.backoff_file(claude_dir)} to try sooner)"
    )
    with pytest.raises(
        FetchError, match="asked us to wait after a 429: next try allowed at .* \\(in 1d 0h\\)$"
    ):
        usage.call_endpoint(claude_dir)
    assert len(server.requests) == 1


def test_a_429_within_a_day_is_not_called_capped(home: Path, claude_dir: Path, server: UsageServer) -> None:
    server.answer(Reply(429, "{}", {"Retry-After": "600"}))
    with pytest.raises(FetchError) as caught:
        usage.call_endpoint(claude_dir)
    assert str(caught.value).endswith("(in 10m)")


def test_an_answer_from_the_endpoint_is_kept_as_the_cache(
    home: Path, claude_dir: Path, server: UsageServer
) -> None:
    got = usage.call_endpoint(claude_dir)
    cached = usage_cache.read(claude_dir)
    assert cached is not None
    assert (cached.observed_at, cached.five_hour.utilization) == (got.observed_at, 37.0)


# --- the endpoint ---------------------------------------------------------------------------------


def test_the_base_address_may_have_a_path_and_a_trailing_slash(
    claude_dir: Path, server: UsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", server.url + "/proxy//")
    assert endpoint.base_url() == server.url + "/proxy"
    endpoint.request_usage("sk-ant-oat01-FAKE")
    assert server.requests[0]["path"] == "/proxy/api/oauth/usage"


def test_only_slashes_are_trimmed_from_the_base_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", "http://127.0.0.1:9/boX/")
    assert endpoint.base_url() == "http://127.0.0.1:9/boX"


def test_without_the_variable_the_real_api_is_meant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AI_BUDGET_ANTHROPIC_URL")
    assert endpoint.base_url() == "https://api.anthropic.com"


@pytest.mark.parametrize("base", ["ftp://example.invalid", "http:///no-host", "example.invalid"])
def test_a_base_address_that_is_not_http_is_refused_before_any_request(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", base)
    with pytest.raises(FetchError) as caught:
        endpoint.request_usage("sk-ant-oat01-FAKE")
    assert str(caught.value) == f"AI_BUDGET_ANTHROPIC_URL is not an http(s) address ({base}): fix or unset it"


def test_a_closed_port_cannot_be_reached() -> None:
    with pytest.raises(FetchError) as caught:
        endpoint.request_usage("sk-ant-oat01-FAKE")
    assert str(caught.value) == "cannot reach http://127.0.0.1:9 (ConnectionRefusedError): check the network"


def test_a_connection_that_breaks_names_the_address_and_says_to_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fault = fs.FaultServer()
    try:
        monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", fault.url)
        fault.answer(fs.send(b"hello there\r\n\r\n"))  # not an HTTP status line
        with pytest.raises(FetchError) as caught:
            endpoint.request_usage("sk-ant-oat01-FAKE")
    finally:
        fault.close()
    message = str(caught.value)
    assert message.startswith(f"the connection to {fault.url} broke (")
    assert message.endswith("): try again later")


def padded(size: int) -> bytes:
    body = usage_body().encode()
    return body + b" " * (size - len(body))


def test_a_body_of_a_megabyte_is_read_and_one_byte_more_is_refused(server: UsageServer) -> None:
    server.answer(Reply(body=padded(1 << 20)))
    assert endpoint.request_usage("sk-ant-oat01-FAKE").five_hour.utilization == 37.0
    server.answer(Reply(body=padded((1 << 20) + 1)))
    with pytest.raises(FetchError) as caught:
        endpoint.request_usage("sk-ant-oat01-FAKE")
    assert str(caught.value) == "the usage endpoint sent more than 1024 KB: not a usage response"


REDIRECT = (
    "the usage endpoint redirected (HTTP {}); ai-budget does not follow redirects with your login: "
    "check AI_BUDGET_ANTHROPIC_URL or the network's proxy"
)
PAGE_403 = (
    "the usage endpoint answered 403 with a web page (a bot check or a proxy, not your login): "
    "try again later"
)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (300, b"", REDIRECT.format(300)),
        (302, b"", REDIRECT.format(302)),
        (399, b"", REDIRECT.format(399)),
        (400, b"", "the usage endpoint answered HTTP 400: try again later"),
        (403, b"  <html>denied</html>", PAGE_403),
        (403, b"<html>caf\xe9</html>", PAGE_403),  # not UTF-8: still read as a page
        (
            403,
            b"{}",
            "the usage endpoint refused this login (403; it needs the user:profile scope): "
            "run `claude` and /login again",
        ),
        (404, b"<html>", "the usage endpoint answered HTTP 404: try again later"),
        (499, b"", "the usage endpoint answered HTTP 499: try again later"),
        (500, b"", "the usage endpoint failed (HTTP 500): try again in a few minutes"),
    ],
)
def test_each_kind_of_http_status_is_told_apart(
    server: UsageServer, status: int, body: bytes, message: str
) -> None:
    server.answer(Reply(status, body, {"Location": server.url + "/elsewhere"} if status < 400 else {}))
    with pytest.raises(FetchError) as caught:
        endpoint.request_usage("sk-ant-oat01-FAKE")
    assert str(caught.value) == message
    assert not isinstance(caught.value, endpoint.RateLimited)
    assert len(server.requests) == 1  # a redirect is never followed


def test_a_403_page_is_recognised_only_in_the_start_of_the_body(server: UsageServer) -> None:
    server.answer(Reply(403, " " * 1999 + "<html>"))
    with pytest.raises(FetchError, match="answered 403 with a web page"):
        endpoint.request_usage("sk-ant-oat01-FAKE")
    server.answer(Reply(403, " " * 2000 + "<html>"))
    with pytest.raises(FetchError, match=r"refused this login \(403"):
        endpoint.request_usage("sk-ant-oat01-FAKE")


def test_a_429_keeps_its_retry_after(server: UsageServer) -> None:
    server.answer(Reply(429, "{}", {"Retry-After": "77"}))
    with pytest.raises(endpoint.RateLimited) as caught:
        endpoint.request_usage("sk-ant-oat01-FAKE")
    assert caught.value.retry_after == "77"
    assert str(caught.value) == "the usage endpoint is rate limiting (429)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"five_hour": {}}\x00', "f is binary, not a usage response: give a saved JSON answer"),
        (b"", "f is empty, not a usage response: give a saved JSON answer"),
        (" \n\t", "f is empty, not a usage response: give a saved JSON answer"),
        ("\n <!DOCTYPE html>", "f answered with a web page instead of JSON (a bot check or a proxy?): retry"),
        ('{"five_hour": ', "f gave invalid or truncated JSON: retry"),
        (
            "[1, 2]",
            "f has no five_hour/seven_day windows: is it a usage response? (the format may have changed)",
        ),
        (
            '{"five_hour": 5}',
            "f has no five_hour/seven_day windows: is it a usage response? (the format may have changed)",
        ),
        ('{"five_hour": {}}', "f has an unusable seven_day: field required"),
        (
            '{"five_hour": {"utilization": 300}, "seven_day": {}}',
            "f has an unusable five_hour.utilization: input should be less than or equal to 200",
        ),
    ],
)
def test_what_is_wrong_with_an_answer_is_named(data: str | bytes, message: str) -> None:
    with pytest.raises(FetchError) as caught:
        endpoint.parse_response(data, "f", retry="retry")
    assert str(caught.value) == message


def test_a_per_model_window_out_of_bounds_makes_the_answer_unusable() -> None:
    text = '{"five_hour": {}, "seven_day": {}, "seven_day_opus": {"utilization": 300}, "other": {"a": 1}}'
    with pytest.raises(FetchError) as caught:
        endpoint.parse_response(text, "f")
    assert str(caught.value) == (
        "f has an unusable seven_day_opus.utilization: input should be less than or equal to 200"
    )
    fine = endpoint.parse_response(text.replace("300", "30"), "f")
    assert fine.other_windows()["seven_day_opus"].utilization == 30


def test_an_answer_in_bytes_that_is_not_utf8_still_parses() -> None:
    odd = b'{"five_hour": {"utilization": 1}, "seven_day": {}, "name": "caf\xe9"}'
    assert endpoint.parse_response(odd, "f").model_extra == {"name": "caf\ufffd"}
