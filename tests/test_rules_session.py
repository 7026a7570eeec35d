"""The session loop's rules one by one, in-process at fixed times: check's brief and baseline, log's
measurement, decisions and session log, and fetch into the journal."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import MACHINE, assert_clean, budget, git, run, subjects
from conftest import baseline as open_baseline
from transcript_builder import assistant, project_dir, usage, write
from usage_server import UsageServer

from ai_budget.claude import usage_cache
from ai_budget.claude.usage import UsageFile
from ai_budget.errors import InvalidInput
from ai_budget.journal.journal import Journal
from ai_budget.model import backlog
from ai_budget.model.accounts import copilot_state
from ai_budget.model.budget import BudgetFile, CopilotSection
from ai_budget.model.usage import Baseline, Snapshot, UsageResponse
from ai_budget.session import markdown, state
from ai_budget.session.check import (
    Brief,
    backlog_warnings,
    build_brief,
    check,
    claude_warnings,
    copilot_warnings,
)
from ai_budget.session.log import (
    Done,
    LogRequest,
    LogResult,
    calibration_note,
    deltas,
    log,
    parse_done,
    window_reset,
)
from ai_budget.session.refresh import fetch_into_journal, keep_current
from ai_budget.session.results import Deltas, Item

NOW = datetime(2026, 11, 22, 14, 5, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=1, minutes=20)
RESET = NOW + timedelta(hours=3)
WEEK_RESET = NOW + timedelta(days=3)


def answer(
    five: float, week: float = 22.0, five_reset: datetime | None = RESET, week_reset: datetime = WEEK_RESET
) -> dict[str, Any]:
    return {
        "five_hour": {"utilization": five, "resets_at": five_reset.isoformat() if five_reset else None},
        "seven_day": {"utilization": week, "resets_at": week_reset.isoformat()},
    }


def saved(five: float, **kw: Any) -> UsageFile:
    """A usage answer given as a file (`--from-file`)."""
    return UsageFile(json.dumps(answer(five, **kw)).encode(), "saved.json")


def start(journal: Path, claude_dir: Path, five: float | None = 30.0, at: datetime = NOW, **kw: Any) -> Brief:
    """`check` at a fixed time, from a file (or, with five=None, from whatever can be fetched)."""
    return check(
        Journal.open(journal), claude_dir, file=saved(five, **kw) if five is not None else None, now=at
    )


def finish(
    journal: Path, claude_dir: Path, *done: str, five: float | None = 45.0, at: datetime = LATER, **kw: Any
) -> LogResult:
    """`log` at a fixed time, from a file (or, with five=None, from whatever can be fetched)."""
    extra = {k: kw.pop(k) for k in ("lessons", "next_notes", "copilot_count", "backlog_refs") if k in kw}
    request = LogRequest(
        claude_dirs=[claude_dir],
        done=tuple(parse_done(d) for d in done),
        usage_file=saved(five, **kw) if five is not None else None,
        now=at,
        **extra,
    )
    return log(Journal.open(journal), request)


@pytest.fixture
def cards(journal: Path, claude_dir: Path) -> Path:
    """A journal with flashcards at 2 %/card (20 % over 10 cards, 1000 tokens) and an essay type."""
    run("calibration", "add", "flashcard", "--unit", "per card")
    run("calibration", "add", "essay", "--unit", "per page")
    run("calibrate", "flashcard", "10", "20", "1000")
    return journal


def entry(journal: Path, name: str = "flashcard") -> dict[str, Any]:
    return budget(journal)["calibration"][name]


def trailers(journal: Path) -> str:
    return git(journal, "log", "-1", "--format=%(trailers)")


# --- what --done says -----------------------------------------------------------------------------


def test_done_reads_type_units_and_a_cleaned_description() -> None:
    assert parse_done("flashcard 2.5") == Done(type="flashcard", units=2.5, description="")
    assert parse_done("  essay   3   two   words  ") == Done(type="essay", units=3, description="two words")
    assert parse_done("essay 1000000 big").units == 1_000_000


@pytest.mark.parametrize("text", ["flashcard", "", "flashcard 0", "flashcard 1000001", "flashcard -1 x"])
def test_done_without_positive_units_up_to_a_million_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_done(text)


# --- check ----------------------------------------------------------------------------------------


def test_check_opens_the_session_in_the_state_folder_and_commits_nothing(
    cards: Path, claude_dir: Path
) -> None:
    before = subjects(cards)
    brief = start(cards, claude_dir, 30.0)
    base = open_baseline(cards)
    assert (base["started_at"], base["fetched_at"], base["source"]) == (
        NOW.isoformat(),
        NOW.isoformat(),
        "file",
    )
    assert (base["five_hour_util"], base["seven_day_util"]) == (30.0, 22.0)
    assert budget(cards)["claude"]["five_hour_util"] is None  # the reading is in the usage history
    assert subjects(cards) == before  # a session start is state, not history
    assert (brief.tier, brief.plan.headroom_pct, brief.now) == ("green", 60.0, NOW)
    assert_clean(cards)


def test_check_with_nothing_known_records_an_empty_baseline(cards: Path, claude_dir: Path) -> None:
    brief = start(cards, claude_dir, None)  # the closed port: no usage at all
    assert brief.usage is None and brief.error is not None and brief.error.startswith("cannot reach")
    assert brief.tier == "unknown"
    base = open_baseline(cards)
    assert (base["started_at"], base["five_hour_util"], base["source"]) == (NOW.isoformat(), None, None)
    assert not subjects(cards)[0].startswith("check")
    assert (
        brief.warnings[0] == f"no Claude utilisation known ({brief.error}): the plan assumes an unused window"
    )


def test_check_estimates_and_plans_the_backlog(cards: Path, claude_dir: Path) -> None:
    run("backlog", "add", "[H] cards {flashcard: 10}")
    run("backlog", "add", "[L] typo")
    brief = start(cards, claude_dir, 70.0)
    assert [(e.pct, e.basis) for e in brief.estimates] == [(20.0, "calibrated"), (5.0, "tag")]
    assert (brief.tier, brief.plan.headroom_pct) == ("orange", 20.0)
    assert [e.task.number for e in brief.plan.do] == [1]
    assert brief.plan.checkpoint is not None and brief.plan.checkpoint.pct_available == 0.0
    assert brief.plan.minutes_to_reset == 180


def new_session(journal: Path) -> None:
    """The terminal session ended (as a log ends it), so the next check opens a new one."""
    state.remove(journal, None)


def test_a_failed_fetch_at_check_is_planned_on_the_last_known_values(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0, at=NOW - timedelta(hours=1))
    new_session(cards)
    brief = start(cards, claude_dir, None)
    assert brief.usage is not None and brief.usage.source == "last-known"
    assert brief.warnings[0].startswith("Claude data is 1h 0m old (cannot reach http://127.0.0.1:9 (")
    assert brief.warnings[0].endswith("); using the last known values")
    base = open_baseline(cards)
    assert (base["source"], base["fetched_at"]) == ("last-known", (NOW - timedelta(hours=1)).isoformat())


def warned(budget_file: BudgetFile, **window: Any) -> list[str]:
    """Claude's warnings in the brief for a fresh answer fetched now."""
    snap = Snapshot(UsageResponse.model_validate(answer(60.0, **window)), NOW, "api")
    brief = build_brief(budget_file, snap, None, [], NOW)
    return claude_warnings(snap, None, brief.plan, budget_file, NOW)


def test_claude_warnings_for_a_reset_this_very_minute_and_the_weekly_focus() -> None:
    focus = BudgetFile.model_validate({"settings": {"weekly_focus_pct": 82.5}})
    assert warned(focus, week=85.0, five_reset=NOW) == [
        "the 5-hour window reset at 14:05: it is planned as empty; fetch again for the real figure",
        "weekly window at 85.0% (≥ 82.5%): only the top task is recommended",
    ]
    assert warned(focus, week=82.4, five_reset=NOW + timedelta(seconds=1)) == []


def test_a_copilot_count_without_a_date_gives_no_age_warning() -> None:
    section = CopilotSection(premium_requests_used=5, last_updated=None)
    state = copilot_state(section, NOW)
    assert state.stale is True
    assert copilot_warnings(state) == []
    assert copilot_warnings(copilot_state(CopilotSection(), NOW)) == [
        "Copilot: no count yet: check GitHub billing and run `ai-budget copilot set N`"
    ]


def test_backlog_warnings_name_unknown_types_whatever_the_case() -> None:
    table = BudgetFile.model_validate({"calibration": {"Flashcard": {"unit": "per card"}}})
    tasks = backlog.parse("[M] a {flashcard: 2}\n[L] b\n[H] c {poem: 3}\n")
    assert backlog_warnings(tasks, table) == [
        "task 3 uses type 'poem', which is not a known type: "
        'add it with `ai-budget calibration add poem --unit "per item"`'
    ]
    assert backlog_warnings([], table) == [
        'the backlog is empty: add tasks with `ai-budget backlog add "[M] …"`'
    ]


def test_odd_backlog_lines_are_warned_about_with_the_file_name(cards: Path, claude_dir: Path) -> None:
    (cards / "tasks" / "backlog.md").write_text("# Backlog\n\n- [x] a checkbox\n[M] fine\n")
    git(cards, "commit", "-qam", "backlog by hand")
    brief = start(cards, claude_dir, 30.0)
    odd = [w for w in brief.warnings if w.startswith("tasks/backlog.md line 3 is a markdown checkbox")]
    assert len(odd) == 1
    assert [e.task.text for e in brief.estimates] == ["fine"]


# --- log: the measurement -------------------------------------------------------------------------


def test_log_measures_against_the_baseline_and_rounds_the_delta(cards: Path, claude_dir: Path) -> None:
    """The delta is rounded to cents; the log gives the session's pace per hour too."""
    start(cards, claude_dir, 37.333)
    result = finish(cards, claude_dir, "flashcard 5 cards", five=52.5, week=24.25)
    m = result.measured
    assert (m.started_at, m.ended_at, m.baseline_note, m.end_note) == (NOW, LATER, None, None)
    assert (m.deltas.window_reset, m.deltas.five_hour, m.deltas.seven_day) == (False, 15.17, 2.25)
    assert open_baseline(cards) is None
    assert budget(cards)["claude"]["five_hour_util"] == 52.5
    # 15.17 % over 1 h 20 min is 11.4 %/h.
    assert "5-hour 37.3% → 52.5% (+15.2%, 11.4 %/h over 1h 20m); weekly" in result.markdown


def test_the_hourly_pace_needs_a_session_of_a_minute(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    short = finish(cards, claude_dir, five=31.0, at=NOW + timedelta(seconds=59.5))
    assert "(+1.0%); weekly" in short.markdown
    start(cards, claude_dir, 30.0)
    minute = finish(cards, claude_dir, five=31.0, at=NOW + timedelta(minutes=1))
    assert "(+1.0%, 60.0 %/h over 1m); weekly" in minute.markdown


def test_a_failed_check_makes_the_log_say_where_its_start_values_are_from(
    cards: Path, claude_dir: Path
) -> None:
    start(cards, claude_dir, 30.0, at=NOW - timedelta(hours=1))
    new_session(cards)
    start(cards, claude_dir, None)
    result = finish(cards, claude_dir, five=40.0)
    assert result.measured.baseline_note == (
        "the fetch at `check` failed, so the start values are from 13:05: the delta may include earlier use"
    )
    assert result.measured.deltas.five_hour == 10.0
    assert result.markdown.startswith(
        f"## Session 2026-11-22 15:25 on {MACHINE}\n"
    )  # no "(started …)": the start is not exact
    assert "\n\n> the fetch at `check` failed" in result.markdown


def test_without_check_the_last_known_values_are_the_start(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0, at=NOW - timedelta(hours=2))
    new_session(cards)
    result = finish(cards, claude_dir, five=41.0)
    m = result.measured
    assert m.baseline_note == (
        "no `ai-budget check` this session: measured against the last known values from 12:05"
    )
    assert (m.started_at, m.deltas.five_hour) == (NOW - timedelta(hours=2), 11.0)
    assert m.baseline is not None and m.baseline.source == "last-known"


def test_without_any_start_the_session_starts_at_the_log(cards: Path, claude_dir: Path) -> None:
    result = finish(cards, claude_dir, "flashcard 1 x", five=41.0)
    m = result.measured
    assert (m.baseline, m.started_at, m.deltas) == (None, LATER, Deltas())
    assert m.baseline_note == "no `ai-budget check` this session and no earlier values: the delta is unknown"
    assert result.markdown.startswith(f"## Session 2026-11-22 15:25 on {MACHINE}\n")
    assert "**Claude**: 5-hour ? → 41.0% (?); weekly ? → 22.0% (?)" in result.markdown


def test_end_values_from_a_newer_cache_serve_when_the_end_fetch_fails(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    body = UsageResponse.model_validate(answer(36.0))
    usage_cache.remember(claude_dir, Snapshot(body, NOW + timedelta(minutes=30), "api"))
    result = finish(cards, claude_dir, "flashcard 3 x", five=None)
    m = result.measured
    assert m.end is not None and m.end.source == "last-known"
    assert m.end_note is not None and m.end_note.startswith("cannot reach http://127.0.0.1:9 (")
    assert m.end_note.endswith("; using values from 14:35")
    assert m.deltas.five_hour == 6.0
    assert entry(cards)["samples"] == 2


def test_end_values_as_old_as_the_start_do_not_serve(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    result = finish(cards, claude_dir, "flashcard 3 x", five=None)
    m = result.measured
    assert m.end is None and m.deltas.five_hour is None
    assert m.end_note is not None and m.end_note.endswith("; no values newer than the session start")
    assert result.decided.calibration_note == "the 5-hour delta is unknown: calibration unchanged"
    assert "**Claude**: 5-hour 30.0% → ? (?); weekly 22.0% → ? (?)" in result.markdown


def test_with_no_cache_left_the_journals_values_still_say_they_are_not_newer(
    cards: Path, claude_dir: Path, home: Path
) -> None:
    start(cards, claude_dir, 30.0)
    for path in (home / ".cache" / "ai-budget").glob("usage-*.json"):
        path.unlink()
    m = finish(cards, claude_dir, "flashcard 3 x", five=None).measured
    assert m.end is None
    assert m.end_note is not None and m.end_note.startswith("cannot reach http://127.0.0.1:9 (")
    assert m.end_note.endswith("; no values newer than the session start")


def test_since_the_start_the_tokens_are_every_sessions_after_it(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    after = NOW + timedelta(minutes=10)
    folder = project_dir(claude_dir)
    write(folder / "a.jsonl", [assistant("a1", usage(out=100), when=after, session="a")], mtime=after)
    earlier = assistant("b0", usage(out=1000), when=NOW - timedelta(hours=1), session="b")
    newer = [earlier, assistant("b1", usage(out=10), when=after, session="b")]
    write(folder / "b.jsonl", newer, mtime=after + timedelta(minutes=5))
    result = finish(cards, claude_dir, "flashcard 1 x")
    assert result.measured.tokens is not None and result.measured.newest is not None
    assert result.measured.tokens.total.output_tokens == 110  # both sessions, only after the start
    assert result.measured.newest.total.output_tokens == 1010  # the newest session, all of it
    assert "**Tokens** (since 14:05, all sessions): 110 output, 0 input" in result.markdown


def baseline(resets: datetime | None = RESET, week_resets: datetime | None = WEEK_RESET) -> Baseline:
    return Baseline(
        started_at=NOW,
        five_hour_util=40,
        seven_day_util=20,
        five_hour_resets_at=resets,
        seven_day_resets_at=week_resets,
    )


def end(
    at: datetime, five_reset: datetime | None = RESET, five: float | None = 50.0, week: float | None = 25.0
) -> Snapshot:
    body = {"five_hour": {"utilization": five, "resets_at": five_reset}, "seven_day": {"utilization": week}}
    return Snapshot(UsageResponse.model_validate(body), at, "api")


def test_a_reset_time_that_moves_later_by_over_a_minute_is_a_reset() -> None:
    assert window_reset(baseline(), end(NOW + timedelta(hours=1), RESET + timedelta(minutes=1))) is False
    assert window_reset(baseline(), end(NOW + timedelta(hours=1), RESET + timedelta(seconds=61))) is True
    assert window_reset(baseline(), end(NOW + timedelta(hours=1), None)) is False
    assert window_reset(baseline(), end(RESET - timedelta(seconds=1))) is False
    assert window_reset(baseline(), end(RESET)) is True


def test_an_idle_start_resets_only_after_more_than_five_hours() -> None:
    idle = baseline(resets=None)
    assert window_reset(idle, end(NOW + timedelta(hours=5), None)) is False
    assert window_reset(idle, end(NOW + timedelta(hours=5, seconds=1), None)) is True


def test_a_weekly_reset_reached_at_the_end_makes_the_weekly_delta_unknown() -> None:
    moved = deltas(baseline(), end(WEEK_RESET, five_reset=WEEK_RESET + timedelta(hours=1)))
    assert (moved.weekly_reset, moved.seven_day) == (True, None)
    before = deltas(baseline(), end(WEEK_RESET - timedelta(seconds=1), five_reset=WEEK_RESET))
    assert (before.weekly_reset, before.seven_day) == (False, 5.0)
    no_week = deltas(baseline(week_resets=None), end(NOW + timedelta(days=30), five_reset=None))
    assert no_week.weekly_reset is False


def test_a_delta_needs_both_ends() -> None:
    assert deltas(None, end(NOW)) == Deltas()
    assert deltas(baseline(), None) == Deltas()
    partial = deltas(baseline(), end(NOW + timedelta(hours=1), five=None, week=None))
    assert (partial.five_hour, partial.seven_day, partial.window_reset) == (None, None, False)
    unknown_start = Baseline(started_at=NOW, five_hour_resets_at=RESET)
    assert deltas(unknown_start, end(NOW + timedelta(hours=1))).five_hour is None


def test_log_takes_claude_codes_own_answer_at_the_end(cards: Path, claude_dir: Path, home: Path) -> None:
    start(cards, claude_dir, 30.0)
    claude_code_cache(home, 41.0, LATER - timedelta(minutes=1))
    m = finish(cards, claude_dir, "flashcard 1 x", five=None).measured
    assert m.end is not None and (m.end.source, m.end_note) == ("claude-cache", None)
    assert m.deltas.five_hour == 11.0


def test_log_asks_only_the_source_it_is_given(cards: Path, claude_dir: Path, home: Path) -> None:
    start(cards, claude_dir, 30.0)
    claude_code_cache(home, 41.0, LATER - timedelta(minutes=1))
    request = LogRequest(claude_dirs=[claude_dir], usage_source="statusline", now=LATER)
    m = log(Journal.open(cards), request).measured
    assert m.end is not None and m.end.source == "last-known"
    assert m.end_note is not None and m.end_note.startswith("Claude Code's statusline feed (")


def test_with_nothing_known_the_end_note_is_the_fetch_error(cards: Path, claude_dir: Path) -> None:
    m = finish(cards, claude_dir, "flashcard 1 x", five=None).measured
    assert m.end is None
    assert m.end_note is not None and m.end_note.startswith("cannot reach http://127.0.0.1:9 (")


def test_with_no_transcripts_the_tokens_note_says_where_it_looked(cards: Path, claude_dir: Path) -> None:
    m = finish(cards, claude_dir, five=None).measured
    assert m.tokens_note is not None
    assert m.tokens_note.startswith(f"no Claude Code transcripts under {claude_dir / 'projects'}: ")


def test_a_reset_window_leaves_calibration_alone_and_says_why() -> None:
    items = [Item("flashcard", 2, "")]
    assert calibration_note(items, Deltas(window_reset=True, five_hour=None)) == (
        "the 5-hour window reset during the session: calibration unchanged"
    )


# --- log: what the session teaches ----------------------------------------------------------------


def session_with_output(claude_dir: Path, out: int) -> None:
    line = assistant("m1", usage(out=out), when=NOW + timedelta(minutes=10), session="s")
    write(project_dir(claude_dir) / "s.jsonl", [line], mtime=NOW + timedelta(minutes=10))


def test_a_session_with_no_output_tokens_adds_no_tokens_sample(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    session_with_output(claude_dir, 0)
    finish(cards, claude_dir, "flashcard 2 x", five=34.0)
    e = entry(cards)
    assert (e["samples"], e["units"], e["token_units"], e["total_output_tokens"]) == (2, 12, 10, 1000)


def test_the_largest_possible_output_count_is_a_tokens_sample(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    session_with_output(claude_dir, 10**11)
    finish(cards, claude_dir, "flashcard 2 x", five=34.0)
    e = entry(cards)
    assert (e["token_units"], e["total_output_tokens"]) == (12, 1000 + 10**11)


def test_a_session_of_exactly_the_whole_window_is_a_sample(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 0.0)
    result = finish(cards, claude_dir, "flashcard 10 all", five=100.0)
    assert result.decided.calibration_note is None
    assert (entry(cards)["samples"], entry(cards)["total_5h_pct"]) == (2, 120.0)


def test_a_session_over_the_whole_window_is_not_plausible(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 0.0)
    result = finish(cards, claude_dir, "flashcard 10 all", five=100.5)
    assert result.decided.calibration_note == "a 100.5% session is not plausible: calibration unchanged"
    assert entry(cards)["samples"] == 1


def test_a_session_that_used_nothing_is_a_free_sample(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    result = finish(cards, claude_dir, "flashcard 10 free", five=30.0)
    assert result.decided.calibration_note is None
    assert (entry(cards)["samples"], entry(cards)["units"], entry(cards)["total_5h_pct"]) == (2, 20, 20.0)


def test_a_session_with_no_transcripts_adds_no_tokens_sample(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    finish(cards, claude_dir, "flashcard 5 x", five=40.0)
    e = entry(cards)
    assert (e["units"], e["total_5h_pct"]) == (15, 30.0)
    assert (e["token_units"], e["total_output_tokens"], e["avg_output_tokens"]) == (10, 1000, 100)


def test_items_split_the_delta_and_tokens_by_expected_cost(cards: Path, claude_dir: Path) -> None:
    run("calibrate", "essay", "1", "6")  # essay: 6 %/page; flashcard 2 %/card
    start(cards, claude_dir, 30.0)
    when = NOW + timedelta(minutes=10)
    write(project_dir(claude_dir) / "s.jsonl", [assistant("m1", usage(out=999), when=when, session="s")])
    result = finish(cards, claude_dir, "flashcard 3 a", "essay 2 b", five=43.0)
    # Expected costs 3 × 2 = 6 and 2 × 6 = 12: shares 1/3 and 2/3 of 13 % and 999 tokens.
    items = result.decided.items
    assert [i.share for i in items] == pytest.approx([1 / 3, 2 / 3])
    assert [i.pct for i in items] == [4.3333, 8.6667]
    assert [i.output_tokens for i in items] == [333, 666]
    changes = result.decided.changes
    assert [(c.name, c.before.samples, c.after.samples) for c in changes] == [
        ("flashcard", 1, 2),
        ("essay", 1, 2),
    ]
    assert entry(cards, "essay")["total_output_tokens"] == 666
    assert "- essay: 8.7% of the 5-hour window (4.33%/page), 666 output tokens (333/page)" in result.markdown
    assert "- flashcard: 1 sample → 2, 2.00 → 1.87 %/card" in result.markdown  # (20 + 4.3333) / 13
    assert trailers(cards).count("Calibration: ") == 2


def test_two_items_of_one_type_each_add_a_sample(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    result = finish(cards, claude_dir, "flashcard 1 a", "flashcard 3 b", five=38.0)
    assert [i.pct for i in result.decided.items] == [2.0, 6.0]
    assert [(c.before.samples, c.after.samples) for c in result.decided.changes] == [(1, 2), (2, 3)]
    assert (entry(cards)["samples"], entry(cards)["units"], entry(cards)["total_5h_pct"]) == (3, 14, 28.0)


# --- log: Copilot ---------------------------------------------------------------------------------


def set_copilot(journal: Path, used: int, updated: date, unit: str = "requests", limit: int = 300) -> None:
    with Journal.open(journal).transaction("copilot by hand") as tx:
        tx.budget.copilot = CopilotSection(
            premium_requests_used=used, premium_requests_limit=limit, last_updated=updated, unit=unit
        )


def test_copilot_this_session_is_the_difference(cards: Path, claude_dir: Path) -> None:
    set_copilot(cards, 212, date(2026, 11, 21))
    result = finish(cards, claude_dir, copilot_count=212)
    assert (
        markdown.copilot_line(result.decided.copilot) == "0 premium requests this session (212 → 212 of 300)"
    )
    assert budget(cards)["copilot"]["premium_requests_used"] == 212


def test_a_copilot_count_given_to_log_is_dated_the_sessions_day(cards: Path, claude_dir: Path) -> None:
    set_copilot(cards, 200, date(2026, 11, 21))
    finish(cards, claude_dir, copilot_count=230)
    copilot = budget(cards)["copilot"]
    assert (copilot["premium_requests_used"], copilot["last_updated"]) == (230, "2026-11-22")


def test_a_smaller_count_or_a_new_month_has_nothing_to_compare(cards: Path, claude_dir: Path) -> None:
    set_copilot(cards, 212, date(2026, 11, 21))
    smaller = finish(cards, claude_dir, copilot_count=200)
    assert markdown.copilot_line(smaller.decided.copilot) == (
        "200/300 premium requests used this month (no earlier count to compare)"
    )
    set_copilot(cards, 100, date(2026, 10, 31), unit="credits", limit=1500)
    new_month = finish(cards, claude_dir, copilot_count=150)
    assert (
        "**Copilot**: 150/1500 AI credits used this month (no earlier count to compare)."
        in new_month.markdown
    )


def test_without_a_count_copilot_is_not_used(cards: Path, claude_dir: Path) -> None:
    assert "**Copilot**: not used. **Gemini**: not set." in finish(cards, claude_dir).markdown


# --- log: the session file and the commit ---------------------------------------------------------


def test_the_session_log_keeps_lessons_and_notes_clean(cards: Path, claude_dir: Path) -> None:
    for line in ("[H] one", "[M] two", "[L] three", "[L] four"):
        run("backlog", "add", line)
    result = finish(cards, claude_dir, lessons=("  short   prompts ", "  "), next_notes=("", "ask first"))
    assert result.lessons == ["short prompts"]
    assert result.next_up == ["[H] one", "[M] two", "[L] three", "ask first"]
    assert "### Lessons\n- short prompts\n\n### Next session\n- [H] one\n" in result.markdown


def test_empty_sections_of_the_session_log_say_so(cards: Path, claude_dir: Path) -> None:
    text = finish(cards, claude_dir).markdown
    for part in (
        "### Work done\n- nothing logged\n",
        "### Cost per item\n- nothing to split\n",
        "### Calibration\n- no work items: calibration unchanged\n",
        "### Lessons\n- none noted\n",
        "### Next session\n- backlog empty",
    ):
        assert part in text


def test_a_backlog_move_is_listed_with_the_work(cards: Path, claude_dir: Path) -> None:
    run("backlog", "add", "[M] Essay outline {essay: 2}")
    start(cards, claude_dir, 30.0)
    result = finish(cards, claude_dir, "essay 2 outline", five=40.0, backlog_refs=("1",))
    assert "- essay ×2: outline\n- moved to completed: [M] Essay outline {essay: 2}\n" in result.markdown
    assert "2026-11-22 [M] Essay outline {essay: 2}" in (cards / "tasks" / "completed.md").read_text()
    assert result.next_up == []


def test_an_item_that_could_not_be_measured_says_why(cards: Path, claude_dir: Path) -> None:
    result = finish(cards, claude_dir, "flashcard 2 x", five=41.0)
    assert "- flashcard: not measured (the 5-hour delta is unknown: calibration unchanged)" in result.markdown
    assert "### Calibration\n- the 5-hour delta is unknown: calibration unchanged\n" in result.markdown


def test_items_without_tokens_or_description_and_unmeasured_ones_are_listed_each(
    cards: Path, claude_dir: Path
) -> None:
    start(cards, claude_dir, 30.0)
    measured = finish(cards, claude_dir, "flashcard 5", five=40.0).markdown
    assert "### Work done\n- flashcard ×5\n" in measured
    assert "- flashcard: 10.0% of the 5-hour window (2.00%/card)\n" in measured  # no transcripts: no tokens
    unmeasured = finish(cards, claude_dir, "flashcard 1 a", "essay 2 b", five=None).markdown
    why = "not measured (the 5-hour delta is unknown: calibration unchanged)"
    assert f"### Cost per item\n- flashcard: {why}\n- essay: {why}\n" in unmeasured


def test_tokens_not_counted_say_why_and_show_no_newest_session(cards: Path, claude_dir: Path) -> None:
    result = finish(cards, claude_dir, five=None)
    assert result.measured.tokens is None and result.measured.tokens_note is not None
    assert f"**Tokens**: not counted ({result.measured.tokens_note})\n\n**Copilot**" in result.markdown


def test_without_a_start_the_tokens_are_the_newest_sessions(cards: Path, claude_dir: Path) -> None:
    when = NOW + timedelta(minutes=10)
    lines = [
        assistant("m1", usage(out=10), when=when, session="s", model="claude-mystery-1"),
        assistant("m2", usage(out=0), when=when, session="s"),
        assistant("m3", usage(out=0), when=when, session="s", model="claude-mystery-2"),
    ]
    write(project_dir(claude_dir) / "s.jsonl", lines)
    text = finish(cards, claude_dir, five=None).markdown
    assert "**Tokens** (newest session): 10 output, 0 input, 0 cache written, 0 cache read" in text
    assert "API-equivalent $0.00 (no price for claude-mystery-1, claude-mystery-2)" in text
    assert "\n\nNewest session s: 10 output tokens, 3 API calls, $0.00\n" in text


def test_with_no_priced_model_the_cost_is_unknown_not_zero(cards: Path, claude_dir: Path) -> None:
    when = NOW + timedelta(minutes=10)
    lines = [
        assistant("m1", usage(out=10), when=when, session="s", model="claude-mystery-1"),
        assistant("m2", usage(out=5), when=when, session="s", model="claude-mystery-1"),
    ]
    write(project_dir(claude_dir) / "s.jsonl", lines)
    text = finish(cards, claude_dir, five=None).markdown
    assert "; API-equivalent unknown (no price for claude-mystery-1)\n" in text
    assert "\n\nNewest session s: 15 output tokens, 2 API calls\n" in text


def test_the_result_names_the_commit_it_made(cards: Path, claude_dir: Path) -> None:
    result = finish(cards, claude_dir, "flashcard 1 x")
    assert result.commit == git(cards, "rev-parse", "HEAD").strip()


def test_the_weekly_delta_is_rounded_to_two_decimals(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0, week=22.0)
    result = finish(cards, claude_dir, "flashcard 1 x", week=22.346)
    assert result.measured.deltas.seven_day == 0.35


def test_the_commit_carries_every_figure_as_a_trailer(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    when = NOW + timedelta(minutes=10)
    write(project_dir(claude_dir) / "s.jsonl", [assistant("m1", usage(out=1500), when=when, session="s")])
    result = finish(cards, claude_dir, "flashcard 2.5 x", "essay 1 y", five=40.0, week=21.5)
    assert subjects(cards)[0] == "session 2026-11-22 15:25: flashcard ×2.5, essay ×1, 5h +10.0%"
    text = trailers(cards)
    for line in (
        f"Session-Start: {NOW.isoformat()}",
        "Five-Hour-Delta: 10.0",
        "Seven-Day-Delta: -0.5",
        "Output-Tokens: 1500",
        "Tasks: flashcard=2.5; essay=1",
    ):
        assert line in text
    cost = result.measured.tokens.total.cost if result.measured.tokens else None
    assert cost is not None and f"Cost-USD: {cost:.4f}" in text
    assert "(since 14:05, all sessions): 1,500 output" in result.markdown
    assert "0 web searches and 0 fetches" in result.markdown
    assert_clean(cards)


def test_without_figures_the_trailers_say_unknown_or_none(cards: Path, claude_dir: Path) -> None:
    finish(cards, claude_dir, five=None)
    text = trailers(cards)
    for line in (
        "Five-Hour-Delta: unknown",
        "Seven-Day-Delta: unknown",
        "Tasks: none",
        "Output-Tokens: unknown",
        "Cost-USD: unknown",
    ):
        assert line in text, text
    assert "Calibration:" not in text
    assert subjects(cards)[0] == "session 2026-11-22 15:25: no work logged, 5h ?"


def test_a_weekly_reset_shows_in_the_trailer_and_the_log(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0, week_reset=NOW + timedelta(minutes=30))
    result = finish(cards, claude_dir, five=35.0, week=1.0, week_reset=NOW + timedelta(days=7))
    assert "Seven-Day-Delta: reset" in trailers(cards)
    assert "weekly 22.0% → 1.0% (reset)" in result.markdown


def test_a_five_hour_reset_is_told_first_among_the_notes(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 80.0, five_reset=NOW + timedelta(minutes=20))
    usage_cache.remember(
        claude_dir, Snapshot(UsageResponse.model_validate(answer(5.0)), LATER - timedelta(minutes=1), "api")
    )
    result = finish(cards, claude_dir, "flashcard 2 x", five=None)
    notes = result.markdown.split("\n\n**Tokens**")[0].split("\n\n> ")[1:]
    assert notes[0] == "the 5-hour window reset during the session: its delta means nothing"
    assert notes[1].endswith("; using values from 15:24")
    assert "5-hour 80.0% → 5.0% (reset)" in result.markdown
    assert "Five-Hour-Delta: reset" in trailers(cards)
    assert subjects(cards)[0].endswith(": flashcard ×2, 5h reset")


def test_a_log_by_the_session_end_hook_says_so(cards: Path, claude_dir: Path) -> None:
    start(cards, claude_dir, 30.0)
    request = LogRequest(claude_dirs=[claude_dir], usage_file=saved(34.0), now=LATER, automatic=True)
    log(Journal.open(cards), request)
    assert subjects(cards)[0] == "session 2026-11-22 15:25: no work logged, 5h +4.0% (automatic)"
    assert "Logged-By: session-end hook" in trailers(cards)
    finish(cards, claude_dir)
    assert "(automatic)" not in subjects(cards)[0]
    assert "Logged-By" not in trailers(cards)


def test_a_local_only_log_never_calls_the_endpoint(
    cards: Path, claude_dir: Path, server: UsageServer
) -> None:
    start(cards, claude_dir, 30.0)
    request = LogRequest(claude_dirs=[claude_dir], now=LATER, local_only=True)
    result = log(Journal.open(cards), request)
    assert server.requests == []
    assert result.measured.end is None and result.measured.end_note is not None
    assert "a hook never calls the usage endpoint" in result.measured.end_note  # not "usage_api is false"
    assert "usage_api" not in result.measured.end_note
    assert finish(cards, claude_dir, five=None).measured.end is not None  # not local-only: it asks
    assert len(server.requests) == 1


def test_with_the_endpoint_switched_off_neither_check_nor_log_calls_it(
    cards: Path, claude_dir: Path, server: UsageServer
) -> None:
    with Journal.open(cards).transaction("no endpoint") as tx:
        tx.budget.settings.usage_api = False
    assert start(cards, claude_dir, None).usage is None
    assert finish(cards, claude_dir, five=None).measured.end is None
    assert server.requests == []


def test_check_keeps_the_claude_code_session_and_the_paces(cards: Path, claude_dir: Path) -> None:
    assert start(cards, claude_dir, None).paces == {}  # nothing known: no pace
    assert open_baseline(cards)["session_id"] is None
    brief = check(Journal.open(cards), claude_dir, file=saved(30.0), now=NOW, session_id="sess-42")
    assert {s.session_id for s in state.all_open(cards)} == {None, "sess-42"}  # two sessions at once
    assert state.load(cards, "sess-42").baseline["session_id"] == "sess-42"  # type: ignore[union-attr]
    assert set(brief.paces) == {"five_hour", "seven_day"}
    assert brief.route is not None


def claude_code_cache(home: Path, five: float, at: datetime) -> None:
    """Claude Code's own cached usage answer in ~/.claude.json."""
    body = {"fetchedAtMs": int(at.timestamp() * 1000), "utilization": answer(five)}
    (home / ".claude.json").write_text(json.dumps({"cachedUsageUtilization": body}))


def test_check_takes_claude_codes_own_answer_before_asking(
    cards: Path, claude_dir: Path, home: Path, server: UsageServer
) -> None:
    claude_code_cache(home, 12.0, NOW - timedelta(minutes=1))
    brief = start(cards, claude_dir, None)
    assert brief.usage is not None and (brief.usage.source, brief.usage.five_hour.utilization) == (
        "claude-cache",
        12.0,
    )
    assert (brief.error, server.requests) == (None, [])
    named = check(Journal.open(cards), claude_dir, source="statusline", now=NOW)
    assert named.usage is not None and named.usage.source == "last-known"
    assert (
        named.usage.error
        == "Claude Code's statusline feed (`ai-budget integrate install`) has no usage yet: try --source auto"
    )


def test_check_falls_back_on_budget_json_when_no_cache_is_left(
    cards: Path, claude_dir: Path, home: Path
) -> None:
    start(cards, claude_dir, 30.0, at=NOW - timedelta(hours=1))
    for path in (home / ".cache" / "ai-budget").glob("usage-*.json"):
        path.unlink()
    brief = start(cards, claude_dir, None)
    assert brief.usage is not None and (brief.usage.source, brief.usage.five_hour.utilization) == (
        "last-known",
        30.0,
    )


def test_the_route_reads_the_five_hour_window_under_the_metabolic_preset(
    cards: Path, claude_dir: Path
) -> None:
    with Journal.open(cards).transaction("metabolic") as tx:
        tx.budget.settings.routing.preset = "metabolic"
    route = start(cards, claude_dir, 60.0).route
    assert route is not None and (route.tier, route.window, route.value) == ("ACTIVE", "five_hour", 60.0)


def test_fetch_answers_from_a_fresh_cache_unless_forced(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    usage_cache.remember(
        claude_dir, Snapshot(UsageResponse.model_validate(answer(9.0)), datetime.now(timezone.utc), "api")
    )
    assert fetch_into_journal(Journal.open(journal), claude_dir).source == "cache"
    assert server.requests == []
    assert fetch_into_journal(Journal.open(journal), claude_dir, force=True).source == "api"
    assert len(server.requests) == 1


def test_fetch_takes_claude_codes_own_answer_first(
    journal: Path, claude_dir: Path, home: Path, server: UsageServer
) -> None:
    claude_code_cache(home, 14.0, datetime.now(timezone.utc))
    got = fetch_into_journal(Journal.open(journal), claude_dir)
    assert (got.source, got.five_hour.utilization, server.requests) == ("claude-cache", 14.0, [])


def test_a_copilot_count_github_cannot_give_is_a_warning(
    cards: Path, claude_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", "fake-github-token-for-tests")
    monkeypatch.setenv("AI_BUDGET_GITHUB_URL", "http://127.0.0.1:9")
    with Journal.open(cards).transaction("fetch copilot") as tx:
        tx.budget.settings.copilot_fetch = True
    brief = start(cards, claude_dir, 30.0)
    note = brief.warnings[-1]
    assert note.startswith("Copilot: GitHub did not give the count (") and note.endswith(
        "); using the last known one"
    )
    set_copilot(cards, 5, date(2026, 11, 22))
    assert not any("GitHub did not give" in w for w in start(cards, claude_dir, 30.0).warnings)


def test_a_stale_copilot_count_is_not_asked_of_github_unless_copilot_fetch_is_on(
    cards: Path, claude_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_TOKEN", "fake-github-token-for-tests")
    monkeypatch.setenv("AI_BUDGET_GITHUB_URL", "http://127.0.0.1:9")
    brief = start(cards, claude_dir, 30.0)  # copilot_fetch is off by default; no count at all is stale
    assert [w for w in brief.warnings if w.startswith("Copilot")] == [
        "Copilot: no count yet: check GitHub billing and run `ai-budget copilot set N`"
    ]


def test_sessions_of_one_day_append_after_a_title(cards: Path, claude_dir: Path) -> None:
    first = finish(cards, claude_dir)
    path = cards / "sessions" / "2026-11-22.md"
    assert path.read_text() == "# Sessions 2026-11-22\n\n" + first.markdown.rstrip("\n") + "\n"
    second = finish(cards, claude_dir, at=LATER + timedelta(hours=1))
    assert path.read_text() == (
        "# Sessions 2026-11-22\n\n"
        + first.markdown.rstrip("\n")
        + "\n\n"
        + second.markdown.rstrip("\n")
        + "\n"
    )
    assert first.session_file == "sessions/2026-11-22.md"


def test_appending_to_a_file_with_trailing_blank_lines_keeps_one_blank_line() -> None:
    day = datetime(2026, 11, 22, 9, 0)
    assert markdown.appended("# Mine\n\n\n", "## Session x\n\n", day) == "# Mine\n\n## Session x\n"
    # Only line breaks are trimmed: spaces and letters at the ends stay, and so does a leading break.
    assert (
        markdown.appended("# Mine X  \n", "\n## Session X  \n\n", day) == "# Mine X  \n\n\n## Session X  \n"
    )
    assert markdown.appended("# Mine X\n", "## Session X\n", day) == "# Mine X\n\n## Session X\n"
    assert markdown.appended(None, "## S", day) == "# Sessions 2026-11-22\n\n## S\n"


def test_the_session_is_dated_in_local_time(
    cards: Path, claude_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Pacific/Auckland")  # UTC+13 in November: 14:05 UTC is 03:05 the next day
    time.tzset()
    start(cards, claude_dir, 30.0)
    result = finish(cards, claude_dir, "flashcard 1 x", five=31.0)
    assert result.session_file == "sessions/2026-11-23.md"
    assert result.markdown.startswith(f"## Session 2026-11-23 04:25 (started 03:05) on {MACHINE}\n")
    assert subjects(cards)[0].startswith("session 2026-11-23 04:25: ")


# --- fetch into the journal -----------------------------------------------------------------------


def test_keep_current_takes_only_fresh_numbers_that_changed() -> None:
    budget_file = BudgetFile()
    fresh = Snapshot(UsageResponse.model_validate(answer(30.0)), NOW, "api")
    assert keep_current(budget_file, None) is False
    assert keep_current(budget_file, fresh.as_last_known("down")) is False
    assert budget_file.claude.five_hour_util is None
    assert keep_current(budget_file, fresh) is True
    assert (budget_file.claude.five_hour_util, budget_file.claude.last_fetched) == (30.0, NOW)
    later = Snapshot(fresh.response, NOW + timedelta(minutes=1), "cache")
    assert keep_current(budget_file, later) is False
    assert budget_file.claude.last_fetched == NOW  # the time of the values the file holds


def test_fetch_commits_only_a_change(journal: Path, claude_dir: Path) -> None:
    count = len(subjects(journal))
    got = fetch_into_journal(Journal.open(journal), claude_dir, file=saved(33.0))
    assert (got.source, got.five_hour.utilization) == ("file", 33.0)
    assert subjects(journal)[0] == "claude: 5h 33.0%, week 22.0%"
    fetch_into_journal(Journal.open(journal), claude_dir, file=saved(33.0))
    assert len(subjects(journal)) == count + 1
    assert_clean(journal)


def test_fetch_with_the_endpoint_switched_off_falls_back_without_a_request(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    fetch_into_journal(Journal.open(journal), claude_dir, file=saved(33.0, five_reset=None))
    for path in (journal.parent / ".cache" / "ai-budget").glob("usage-*.json"):
        path.unlink()
    with Journal.open(journal).transaction("no endpoint") as tx:
        tx.budget.settings.usage_api = False
    count = len(subjects(journal))
    got = fetch_into_journal(Journal.open(journal), claude_dir)
    assert (got.source, got.five_hour.utilization) == ("last-known", 33.0)
    assert got.error is not None and "settings.usage_api is false" in got.error
    assert server.requests == []
    assert len(subjects(journal)) == count


def test_fetch_asks_only_the_source_it_is_given(
    journal: Path, claude_dir: Path, home: Path, server: UsageServer
) -> None:
    claude_code_cache(home, 14.0, datetime.now(timezone.utc))
    got = fetch_into_journal(Journal.open(journal), claude_dir, source="statusline")
    assert got.source != "claude-cache"
    assert got.error == (
        "Claude Code's statusline feed (`ai-budget integrate install`) has no usage yet: try --source auto"
    )
    assert server.requests == []
