"""Numbers: NaN and ±Infinity refused everywhere (arguments, --from-file, the endpoint, budget.json);
absurd values refused or flagged, never silently stored; every bad number is one line."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import fault_server as fs
import pytest
from conftest import budget, run
from fault_journal import Primed, prime
from fault_kit import attempt, one_commit, one_line_error, state, succeeded, unchanged
from usage_server import Reply, usage_body


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with calibration, three tasks and a started session."""
    return prime(journal_dir, tmp_path)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[fs.QuickUsageServer]:
    """The usage endpoint on 127.0.0.1 (real HTTP, quick to stop), and the tool pointed at it."""
    yield from fs.serving(monkeypatch)


REFUSED = [
    (("calibrate", "flashcard", "1e308", "20"), "UNITS"),
    (("calibrate", "flashcard", "nan", "20"), "UNITS"),
    (("calibrate", "flashcard", "inf", "20"), "UNITS"),
    (("calibrate", "flashcard", "-inf", "20"), "UNITS"),
    (("calibrate", "flashcard", "0", "20"), "UNITS"),
    (("calibrate", "flashcard", "5", "nan"), "PCT_DELTA"),
    (("calibrate", "flashcard", "5", "Infinity"), "PCT_DELTA"),
    (("calibrate", "flashcard", "5", "500"), "PCT_DELTA"),
    (("calibrate", "flashcard", "5", "-3"), "PCT_DELTA"),
    (("calibrate", "flashcard", "5", "1e308"), "PCT_DELTA"),
    (("calibrate", "flashcard", "5", "5", "1e30"), "OUTPUT_TOKENS"),
    (("calibrate", "flashcard", "5", "5", "1" + "0" * 30), "OUTPUT_TOKENS"),
    (("calibrate", "flashcard", "5", "5", "-1"), "OUTPUT_TOKENS"),
    (("calibrate", "flashcard", "5", "5", "10.5"), "OUTPUT_TOKENS"),
    (("copilot", "set", "1" + "0" * 30), "USED"),
    (("copilot", "set", "1e30"), "USED"),
    (("copilot", "set", "-5"), "USED"),
    (("copilot", "set", "nan"), "USED"),
    (("copilot", "set", "1,00"), "USED"),
    (("copilot", "set", "1.5"), "USED"),
    (("copilot", "set", "5", "--limit", "0"), "--limit"),
    (("copilot", "set", "5", "--limit", "inf"), "--limit"),
    (("copilot", "set", "5", "--limit", "1" + "0" * 30), "--limit"),
    (("log", "--copilot", "nan"), "--copilot"),
    (("log", "--copilot", "1" + "0" * 30), "--copilot"),
    (("log", "--done", "flashcard nan cards"), "units"),
    (("log", "--done", "flashcard inf cards"), "units"),
    (("log", "--done", "flashcard 1e30 cards"), "units"),
    (("log", "--done", "flashcard -2 cards"), "units"),
    (("backlog", "add", "a task", "--type", "flashcard", "--units", "nan"), "--units"),
    (("backlog", "add", "a task", "--type", "flashcard", "--units", "1e30"), "--units"),
    (("history", "-n", "0"), "-n"),
    (("history", "-n", "-1"), "-n"),
    (("tokens", "--since", "1000000d"), "--since"),
    (("tokens", "--since", "9" * 25 + "w"), "--since"),
    (("tokens", "--since", "last tuesday-ish"), "--since"),
    (("tokens", "--since", "2h", "--until", "5h"), "--until"),
    (("tokens", "--since", "2026-01-02T00:00", "--until", "2026-01-02T00:00"), "--until"),
    (("--home", "", "copilot", "show"), "--home"),
    (("--home", "  ", "init"), "--home"),
]


@pytest.mark.parametrize(("args", "names"), REFUSED, ids=[" ".join(a)[:60] for a, _ in REFUSED])
def test_a_bad_number_is_one_line_naming_the_argument(
    primed: Primed, args: tuple[str, ...], names: str
) -> None:
    """Every bad or absurd number on the command line: one line naming it, nothing written."""
    before = state(primed.root)
    one_line_error(attempt(*args), names, code=2 if args[0] == "history" else 1)  # click's usage errors: 2
    unchanged(primed.root, before)


def parsed_or_refused(p: Primed, args: tuple[str, ...], stored: object, read: object) -> None:
    """Either the value is read as the user meant (`stored`, one commit) or refused in one line."""
    before = state(p.root)
    outcome = attempt(*args)
    if outcome.code == 0:
        one_commit(p.root, before)
        assert read() == stored, (args, read())  # type: ignore[operator]
    else:
        one_line_error(outcome)
        unchanged(p.root, before)


@pytest.mark.parametrize(
    ("text", "meant"),
    [("1,000", 1000), ("1 000", 1000), ("1_000", 1000), ("١٢", 12), ("１２", 12), ("1e3", 1000), ("+7", 7)],
    ids=["comma", "space", "underscore", "arabic-indic", "fullwidth", "exponent", "plus"],
)
def test_copilot_counts_in_other_notations_parse_right_or_are_refused(
    primed: Primed, text: str, meant: int
) -> None:
    """Thousands separators and unicode digits: the count the user meant, or one line."""
    parsed_or_refused(
        primed,
        ("copilot", "set", text),
        meant,
        lambda: budget(primed.root)["copilot"]["premium_requests_used"],
    )


def test_a_comma_thousands_copilot_count_is_fifteen_hundred(primed: Primed) -> None:
    """`copilot set 1,500` stores 1500 (the guide's own example)."""
    before = state(primed.root)
    succeeded(attempt("copilot", "set", "1,500", "--unit", "credits"))
    one_commit(primed.root, before)
    assert budget(primed.root)["copilot"]["premium_requests_used"] == 1500


@pytest.mark.parametrize(
    ("text", "meant"),
    [("50%", 50.0), ("12,5", 12.5), ("١٢", 12.0), ("１２", 12.0), ("12.5", 12.5)],
    ids=["percent-sign", "decimal-comma", "arabic-indic", "fullwidth", "plain"],
)
def test_calibrate_percentages_in_other_notations_parse_right_or_are_refused(
    primed: Primed, text: str, meant: float
) -> None:
    """A percent sign or a decimal comma: read as meant, or refused; never a different number."""
    parsed_or_refused(
        primed,
        ("calibrate", "flashcard", "5", text),
        20.0 + meant,
        lambda: budget(primed.root)["calibration"]["flashcard"]["total_5h_pct"],
    )


# --- --from-file and the endpoint -----------------------------------------------------------------


def bad_body(**windows: object) -> str:
    """A usage answer with these raw (unquoted) values spliced in."""
    data = json.loads(usage_body())
    data.update(windows)
    return json.dumps(data)


BAD_FILES = {
    "nan": '{"five_hour": {"utilization": NaN, "resets_at": null}, "seven_day": {"utilization": 1}}',
    "infinity": '{"five_hour": {"utilization": Infinity}, "seven_day": {"utilization": 1}}',
    "minus-infinity": '{"five_hour": {"utilization": 3}, "seven_day": {"utilization": -Infinity}}',
    "overflow": '{"five_hour": {"utilization": 1e999}, "seven_day": {"utilization": 1}}',
    "negative": '{"five_hour": {"utilization": -5}, "seven_day": {"utilization": 1}}',
    "huge": '{"five_hour": {"utilization": 1e30}, "seven_day": {"utilization": 1}}',
    "percent-string": '{"five_hour": {"utilization": "37%"}, "seven_day": {"utilization": 1}}',
    "bad-reset": '{"five_hour": {"utilization": 3, "resets_at": "soon"}, "seven_day": {"utilization": 1}}',
    "year-10000": '{"five_hour": {"utilization": 3, "resets_at": "9999-12-31T23:59:59-23:59"}, '
    '"seven_day": {"utilization": 1}}',
    "epoch-overflow": '{"five_hour": {"utilization": 3, "resets_at": 1e300}, '
    '"seven_day": {"utilization": 1}}',
}


def cache_files(home: Path) -> dict[str, bytes]:
    """Our usage cache, byte for byte."""
    folder = home / ".cache" / "ai-budget"
    return {p.name: p.read_bytes() for p in folder.glob("*.json")} if folder.is_dir() else {}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_an_unusable_number_from_a_file_is_refused_and_never_cached(
    primed: Primed, home: Path, tmp_path: Path, kind: str
) -> None:
    """--from-file with NaN, ±Infinity, out-of-range or unreadable values: refused, nothing cached or kept."""
    bad = tmp_path / "bad.json"
    bad.write_text(BAD_FILES[kind])
    before, cached = state(primed.root), cache_files(home)
    outcome = attempt("fetch", "--from-file", str(bad))
    one_line_error(outcome, str(bad))
    assert "last known" in outcome.err
    unchanged(primed.root, before)
    assert cache_files(home) == cached
    succeeded(attempt("check", "--from-file", str(primed.start)))  # and nothing is poisoned for later


@pytest.mark.parametrize("value", ["NaN", '"lots"', "1e999"])
def test_a_bad_number_in_an_extra_window_is_refused(primed: Primed, tmp_path: Path, value: str) -> None:
    """`seven_day_opus.utilization` NaN or text: the answer is refused in one line, nothing written."""
    data = usage_body().replace('"seven_day_opus": null', f'"seven_day_opus": {{"utilization": {value}}}')
    bad = tmp_path / "bad.json"
    bad.write_text(data)
    before = state(primed.root)
    one_line_error(attempt("fetch", "--from-file", str(bad)), "seven_day_opus")
    unchanged(primed.root, before)


def test_nan_inside_extra_usage_never_reaches_budget_json(primed: Primed, home: Path, tmp_path: Path) -> None:
    """extra_usage.used_credits NaN: refused, or dropped; budget.json and the cache stay strict JSON."""
    data = usage_body().replace('"used_credits": null', '"used_credits": NaN')
    bad = tmp_path / "bad.json"
    bad.write_text(data)
    before = state(primed.root)
    outcome = attempt("fetch", "--from-file", str(bad))
    if outcome.code != 0:
        one_line_error(outcome)
        unchanged(primed.root, before)
    text = (primed.root / "budget.json").read_text() + "".join(v.decode() for v in cache_files(home).values())
    assert "NaN" not in text and "Infinity" not in text


@pytest.mark.parametrize("kind", ["nan", "huge", "negative"])
def test_an_unusable_number_from_the_endpoint_is_refused_and_never_cached(
    primed: Primed, home: Path, claude_dir: Path, server: fs.QuickUsageServer, kind: str
) -> None:
    """The endpoint answers NaN or an impossible utilisation: last known values, nothing cached or written."""
    server.answer(Reply(body=BAD_FILES[kind]))
    before, cached = state(primed.root), cache_files(home)
    outcome = attempt("fetch", "--force")
    one_line_error(outcome, "usage endpoint")
    assert len(server.requests) == 1
    unchanged(primed.root, before)
    assert cache_files(home) == cached


@pytest.mark.parametrize(
    "retry_after",
    ["Wed, 01 Jan 2099 00:00:00 GMT", "99999999999", str(10**400)],
    ids=["year-2099", "3000-years-in-seconds", "overflowing"],
)
def test_a_retry_after_beyond_a_day_is_capped_and_says_how_to_clear_it(
    primed: Primed, claude_dir: Path, server: fs.QuickUsageServer, retry_after: str
) -> None:
    """A 429 asking to wait until 2099: the wait is at most a day, and the line says how to clear it."""
    server.answer(Reply(status=429, headers={"Retry-After": retry_after}))
    before = state(primed.root)
    line = one_line_error(attempt("fetch", "--force"), "429")
    assert "24 h" in line and "delete" in line
    assert "2099" not in line
    unchanged(primed.root, before)
    second = attempt("fetch", "--force")
    one_line_error(second, "wait")
    assert len(server.requests) == 1  # honoured: no second request


@pytest.mark.parametrize("retry_after", ["nan", "-inf", "-30", "0", "soon"])
def test_a_nonsense_retry_after_backs_off_a_minute(
    primed: Primed, claude_dir: Path, server: fs.QuickUsageServer, retry_after: str
) -> None:
    """Retry-After NaN, negative, zero or unreadable counts as absent: the first back-off is one minute."""
    server.answer(Reply(status=429, headers={"Retry-After": retry_after}))
    before = state(primed.root)
    line = one_line_error(attempt("fetch", "--force"), "429")
    assert "(in 1m)" in line, line
    unchanged(primed.root, before)


@pytest.mark.parametrize("retry_after", ["inf", "1e400"])
def test_an_infinite_retry_after_waits_a_minute_or_a_capped_day(
    primed: Primed, claude_dir: Path, server: fs.QuickUsageServer, retry_after: str
) -> None:
    """Retry-After infinite: absent (one minute) or beyond a day (capped, with the way to clear it)."""
    server.answer(Reply(status=429, headers={"Retry-After": retry_after}))
    before = state(primed.root)
    line = one_line_error(attempt("fetch", "--force"), "429")
    assert "(in 1m)" in line or ("24 h" in line and "delete" in line), line
    unchanged(primed.root, before)


# --- budget.json edited by hand ---------------------------------------------------------------------


def edit_budget(root: Path, change: str, into: str) -> bytes:
    """Replace text in budget.json (as a hand edit would) and commit it, so the tree starts clean."""
    from conftest import git

    path = root / "budget.json"
    text = path.read_text()
    assert change in text, change
    path.write_text(text.replace(change, into, 1))
    git(root, "commit", "-q", "-am", "hand edit")
    return path.read_bytes()


HAND_EDITS = {
    "calibration-nan": ('"total_5h_pct": 20.0', '"total_5h_pct": NaN', "total_5h_pct"),
    "units-infinity": ('"units": 10.0', '"units": Infinity', "units"),
    # The claude section's first value (check no longer writes it: null until a log does).
    "claude-infinity": ('"five_hour_util": null', '"five_hour_util": Infinity', "five_hour_util"),
    "overflowing-float": ('"five_hour_util": null', '"five_hour_util": 1e999', "five_hour_util"),
    "margin-minus-infinity": ('"safety_margin_pct": 10.0', '"safety_margin_pct": -Infinity', "safety_margin"),
    "tier-nan": ('"green": 50.0', '"green": NaN', "green"),
    "copilot-float-count": ('"premium_requests_limit": 300', '"premium_requests_limit": 1e999', "limit"),
}


@pytest.mark.parametrize("edit", sorted(HAND_EDITS))
@pytest.mark.parametrize("args", [("check",), ("copilot", "set", "3"), ("calibration",)], ids=lambda a: a[0])
def test_nan_or_infinity_in_budget_json_is_one_line_naming_the_field(
    primed: Primed, edit: str, args: tuple[str, ...]
) -> None:
    """A hand edit put NaN or Infinity in budget.json: one line naming the field and how to restore it."""
    change, into, field = HAND_EDITS[edit]
    edit_budget(primed.root, change, into)
    if args == ("check",):
        args = ("check", "--from-file", str(primed.start))
    before = state(primed.root)
    line = one_line_error(attempt(*args), field, "checkout budget.json")
    assert "budget.json" in line
    unchanged(primed.root, before)


@pytest.mark.parametrize("args", [("calibration",), ("check",), ("calibrate", "flashcard", "1", "1", "5")])
def test_an_absurd_token_total_in_budget_json_is_one_line(primed: Primed, args: tuple[str, ...]) -> None:
    """A total_output_tokens of 10**400 (a hand edit or an old bug): refused as corrupt, in one line."""
    edit_budget(primed.root, '"total_output_tokens": 0', '"total_output_tokens": 1' + "0" * 400)
    edit_budget(primed.root, '"token_units": 0', '"token_units": 1')
    if args == ("check",):
        args = ("check", "--from-file", str(primed.start))
    before = state(primed.root)
    one_line_error(attempt(*args), "total_output_tokens")
    unchanged(primed.root, before)


def test_absurd_units_in_the_backlog_are_reported_not_planned(primed: Primed) -> None:
    """`{flashcard: 1e308}` in the backlog: check works, and the line is reported, never planned as ∞ %."""
    path = primed.root / "tasks" / "backlog.md"
    path.write_text(path.read_text() + "[M] absurd {flashcard: 1e308}\n")
    from conftest import git

    git(primed.root, "commit", "-q", "-am", "hand edit")
    outcome = attempt("check", "--from-file", str(primed.start))
    succeeded(outcome)
    assert "inf" not in outcome.out.lower()
    assert "absurd" in outcome.err or "1e308" in outcome.out


# --- the session's own numbers ----------------------------------------------------------------------


def test_a_session_over_100_percent_adds_no_sample(journal_dir: Path, tmp_path: Path) -> None:
    """A 150 % session (0 → 150): logged once with the reason, calibration left alone."""
    p = prime(journal_dir, tmp_path, check=False)
    p.start.write_text(usage_body(five=0.0))
    succeeded(attempt("check", "--from-file", str(p.start)))
    p.end.write_text(usage_body(five=150.0))
    samples = p.samples()
    before = state(p.root)
    outcome = attempt(*p.log_args())
    succeeded(outcome)
    one_commit(p.root, before)
    assert p.samples() == samples
    assert (
        "not plausible"
        in outcome.out
        + (p.root / "sessions").joinpath(f"{datetime.now().astimezone():%Y-%m-%d}.md").read_text()
    )


def test_an_absurd_token_count_in_a_transcript_is_not_a_sample(primed: Primed, home: Path) -> None:
    """A transcript claiming 10**30 output tokens: the log does not store it as the type's tokens/unit."""
    from transcript_builder import assistant, project_dir, usage, write

    write(
        project_dir(home / ".claude") / "11111111-2222-4333-8444-555555555555.jsonl",
        [assistant("msg_big", usage(out=10**30), when=datetime.now(timezone.utc))],
    )
    before = state(primed.root)
    outcome = attempt(*primed.log_args())
    assert "Traceback" not in outcome.both
    if outcome.code == 0:
        one_commit(primed.root, before)
    entry = budget(primed.root)["calibration"]["flashcard"]
    assert entry["total_output_tokens"] < 10**12


def test_an_infinite_cache_ttl_does_not_make_an_old_file_new(primed: Primed, tmp_path: Path) -> None:
    """AI_BUDGET_CACHE_TTL=inf: a two-day-old saved answer keeps its age (it is not stamped now)."""
    old = tmp_path / "old.json"
    old.write_text(usage_body(five=55.0))
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    outcome = attempt("fetch", "--from-file", str(old), env={"AI_BUDGET_CACHE_TTL": "inf"})
    assert "Traceback" not in outcome.both
    if outcome.code != 0:
        one_line_error(outcome, "AI_BUDGET_CACHE_TTL")
        return
    fetched = datetime.fromisoformat(budget(primed.root)["claude"]["last_fetched"])
    assert datetime.now(timezone.utc) - fetched > timedelta(days=1)


def test_a_nan_cache_ttl_is_one_line_or_the_default(
    primed: Primed, claude_dir: Path, server: fs.QuickUsageServer
) -> None:
    """AI_BUDGET_CACHE_TTL=nan: the default lifetime (a second fetch is served from the cache) or one line."""
    first = attempt("fetch", env={"AI_BUDGET_CACHE_TTL": "nan"})
    if first.code != 0:
        one_line_error(first, "AI_BUDGET_CACHE_TTL")
        return
    succeeded(attempt("fetch", env={"AI_BUDGET_CACHE_TTL": "nan"}))
    assert len(server.requests) == 1


def test_calibrating_the_issue_s_1e308_twice_never_stores_infinity(primed: Primed) -> None:
    """The issue's case: `calibrate flashcard 1e308 1e308` twice; refused, and `check` still works."""
    for _ in range(2):
        one_line_error(attempt("calibrate", "flashcard", "1e308", "1e308"))
    assert "Infinity" not in (primed.root / "budget.json").read_text()
    succeeded(attempt("check", "--from-file", str(primed.start)))
    assert run("calibration").exit_code == 0
