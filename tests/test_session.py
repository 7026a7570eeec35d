"""The session loop end to end: check, work, log, against a real HTTP server on loopback."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import FIXTURES, assert_clean, baseline, budget, git, opened, run, subjects
from transcript_builder import assistant, project_dir, usage, write
from usage_server import Reply, UsageServer, usage_body

from ai_budget.model.accounts import copilot_state
from ai_budget.model.budget import CopilotSection
from ai_budget.model.usage import Baseline, Snapshot, UsageResponse
from ai_budget.session.check import copilot_warnings
from ai_budget.session.log import window_reset

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def loop(journal: Path, claude_dir: Path, server: UsageServer) -> Path:
    """A journal with flashcards calibrated at 38.5 % over 15 cards, and a backlog."""
    run("calibration", "add", "flashcard", "--unit", "per card")
    run("calibration", "add", "essay", "--unit", "per page")
    run("calibrate", "flashcard", "15", "38.5", "9843")
    run("backlog", "add", "[H] Chapter 4 cards {flashcard: 15}")
    run("backlog", "add", "[M] Essay outline {essay: 2}")
    run("backlog", "add", "[L] Fix typo")
    return journal


def work(
    claude_dir: Path, outputs: list[int], start: datetime | None = None, session: str = "sess-1"
) -> None:
    """Claude Code works: a transcript whose entries are stamped after `start` (default now)."""
    start = start or datetime.now(timezone.utc)
    lines = [
        assistant(
            f"msg_{session}_{i}",
            usage(inp=1, out=out),
            session=session,
            when=start + timedelta(milliseconds=10 * (i + 1)),
        )
        for i, out in enumerate(outputs)
    ]
    write(project_dir(claude_dir) / f"{session}.jsonl", lines + lines[:1])  # a repeated copy, too


def test_check_then_log(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    reset = datetime.now(timezone.utc) + timedelta(hours=3)
    server.answer(Reply(body=usage_body(five=37.0, week=22.0, five_reset=reset)))
    brief = json.loads(run("check", "--json").stdout)
    assert brief["claude"]["source"] == "api"
    assert brief["claude"]["five_hour"]["utilization"] == 37.0
    assert 178 <= brief["claude"]["five_hour"]["minutes_to_reset"] <= 180
    assert brief["severity"]["level"] == "green"
    # flashcard: 38.5 / 15 × 15 = 38.5 %, calibrated; essay has no samples: the [M] default.
    assert [(t["estimate_pct"], t["basis"]) for t in brief["tasks"]] == [
        (38.5, "calibrated"),
        (15.0, "tag"),
        (5.0, "tag"),
    ]
    rec = brief["recommendation"]
    assert rec["headroom_pct"] == 53.0
    assert [t["number"] for t in rec["do"]] == [1]
    assert rec["checkpoint"]["task"]["number"] == 2
    assert rec["checkpoint"]["pct_available"] == 14.5
    assert [t["number"] for t in rec["defer"]] == [3]
    assert rec["wait_for_reset"] is False
    assert baseline(loop)["five_hour_util"] == 37.0  # the session is open: state, not history
    assert not any(s.startswith("check") for s in subjects(loop))
    assert_clean(loop)

    work(claude_dir, [3000, 1000, 2000])
    server.answer(Reply(body=usage_body(five=55.0, week=24.0, five_reset=reset)))
    result = run("log", "--done", "flashcard 10 chapter 4", "--lesson", "small batches", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(server.requests) == 2  # the log skips the 5-minute cache
    assert (data["window_reset"], data["five_hour_delta"], data["seven_day_delta"]) == (False, 18.0, 2.0)
    assert data["tokens"]["output_tokens"] == 6000
    assert data["items"] == [
        {
            "type": "flashcard",
            "units": 10,
            "description": "chapter 4",
            "share": 1.0,
            "five_hour_pct": 18.0,
            "output_tokens": 6000,
        }
    ]
    after = data["calibration"][0]["after"]
    # (38.5 + 18) / (15 + 10) and (9843 + 6000) / 25, from the rule.
    assert after["pct_per_unit"] == pytest.approx(56.5 / 25)
    assert after["output_tokens_per_unit"] == pytest.approx(15843 / 25)
    state = budget(loop)
    assert opened(loop) is None  # a terminal session ends with its log
    assert state["calibration"]["flashcard"]["samples"] == 2
    assert state["claude"]["five_hour_util"] == 55.0
    day = datetime.now().astimezone().strftime("%Y-%m-%d")
    log_text = (loop / "sessions" / f"{day}.md").read_text()
    assert log_text.startswith(f"# Sessions {day}\n\n## Session {day} ")
    assert "5-hour 37.0% → 55.0% (+18.0%); weekly 22.0% → 24.0% (+2.0%)" in log_text
    assert "- flashcard ×10: chapter 4" in log_text
    assert "- flashcard: 18.0% of the 5-hour window (1.80%/card), 6,000 output tokens (600/card)" in log_text
    assert "- flashcard: 1 sample → 2, 2.57 → 2.26 %/card" in log_text
    assert "- small batches" in log_text
    subject = subjects(loop)[0]
    assert subject.startswith(f"session {day} ") and subject.endswith(": flashcard ×10, 5h +18.0%")
    trailers = git(loop, "log", "-1", "--format=%(trailers)")
    for line in (
        "Five-Hour-Delta: 18.0",
        "Seven-Day-Delta: 2.0",
        "Output-Tokens: 6000",
        "Tasks: flashcard=10",
        "Calibration: flashcard samples=2 units=25 pct_per_unit=2.2600",
    ):
        assert line in trailers
    assert_clean(loop)

    history = json.loads(run("history", "--json", "-n", "1").stdout)[0]["session"]
    assert history["five_hour_delta"] == 18.0 and history["output_tokens"] == 6000
    assert history["tasks"] == {"flashcard": "10"}
    moves = json.loads(run("history", "--calibration", "flashcard", "--json").stdout)
    assert [(m["samples"], round(m["pct_per_unit"], 2)) for m in moves] == [(1, 2.57), (2, 2.26)]


def test_several_items_split_by_expected_cost(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    run("calibrate", "essay", "1", "10")  # essay: 10 %/page; flashcard: 38.5/15 %/card
    server.answer(Reply(body=usage_body(five=20.0)))
    run("check")
    work(claude_dir, [5000])
    server.answer(Reply(body=usage_body(five=50.0)))
    data = json.loads(run("log", "--done", "flashcard 6 a", "--done", "essay 2 b", "--json").stdout)
    card = 38.5 / 15 * 6
    essay = 10.0 * 2
    shares = [card / (card + essay), essay / (card + essay)]
    assert [i["share"] for i in data["items"]] == pytest.approx(shares, abs=1e-6)
    assert [i["five_hour_pct"] for i in data["items"]] == pytest.approx([30 * s for s in shares], abs=1e-3)
    assert [i["output_tokens"] for i in data["items"]] == [round(5000 * s) for s in shares]


def test_window_reset_mid_session(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    passed = datetime.now(timezone.utc) - timedelta(seconds=1)
    server.answer(Reply(body=usage_body(five=80.0, five_reset=passed)))
    brief = json.loads(run("check", "--json").stdout)
    assert any("the 5-hour window reset at" in w for w in brief["warnings"])
    work(claude_dir, [700])
    server.answer(Reply(body=usage_body(five=12.0, five_reset=passed + timedelta(hours=5))))
    data = json.loads(run("log", "--done", "flashcard 5 x", "--json").stdout)
    assert data["window_reset"] is True
    assert data["five_hour_delta"] is None
    assert data["tokens"]["output_tokens"] == 700
    assert data["calibration"] == []
    assert budget(loop)["calibration"]["flashcard"]["samples"] == 1
    assert subjects(loop)[0].endswith(": flashcard ×5, 5h reset")
    assert "Five-Hour-Delta: reset" in git(loop, "log", "-1", "--format=%(trailers)")
    assert (
        "the 5-hour window reset during the session"
        in (loop / "sessions").joinpath(datetime.now().astimezone().strftime("%Y-%m-%d") + ".md").read_text()
    )


def test_reset_rule() -> None:
    start = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    resets = start + timedelta(hours=2)
    base = Baseline(started_at=start, five_hour_util=40, five_hour_resets_at=resets)

    def end(at: datetime, new_reset: datetime | None) -> Snapshot:
        body = {"five_hour": {"utilization": 50, "resets_at": new_reset}, "seven_day": {"utilization": 1}}
        return Snapshot(UsageResponse.model_validate(body), at, "api")

    assert window_reset(base, end(start + timedelta(hours=1), resets + timedelta(seconds=0.8))) is False
    assert window_reset(base, end(resets, resets + timedelta(hours=5))) is True
    assert window_reset(base, end(start + timedelta(hours=1), resets + timedelta(minutes=30))) is True
    idle = Baseline(started_at=start, five_hour_util=0, five_hour_resets_at=None)
    assert window_reset(idle, end(start + timedelta(hours=4, minutes=59), None)) is False
    assert window_reset(idle, end(start + timedelta(hours=5, minutes=1), None)) is True


def test_two_sessions_in_one_day_append(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    day = datetime.now().astimezone().strftime("%Y-%m-%d")
    path = loop / "sessions" / f"{day}.md"
    for n, (before, after) in enumerate([(10.0, 20.0), (20.0, 26.0)]):
        server.answer(Reply(body=usage_body(five=before)))
        run("check")
        work(claude_dir, [100 * (n + 1)], session=f"s{n}")
        server.answer(Reply(body=usage_body(five=after)))
        assert run("log", "--done", "flashcard 2 x").exit_code == 0
        if n == 0:
            first = path.read_text()
    text = path.read_text()
    assert text.startswith(first)
    assert text.count("## Session ") == 2
    assert "(+6.0%)" in text.split("## Session ")[2]


def test_log_without_check_uses_last_known_values(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    server.answer(Reply(body=usage_body(five=30.0)))
    run("fetch")
    server.answer(Reply(body=usage_body(five=41.0)))
    data = json.loads(run("log", "--done", "flashcard 4 y", "--json").stdout)
    assert data["baseline_note"].startswith(
        "no `ai-budget check` this session: measured against the last known"
    )
    assert data["five_hour_delta"] == 11.0
    assert budget(loop)["calibration"]["flashcard"]["samples"] == 2


def test_log_without_any_earlier_values(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    server.answer(Reply(body=usage_body(five=41.0)))
    data = json.loads(run("log", "--done", "flashcard 4 y", "--json").stdout)
    assert data["five_hour_delta"] is None
    assert data["calibration_note"] == "the 5-hour delta is unknown: calibration unchanged"
    assert "Five-Hour-Delta: unknown" in git(loop, "log", "-1", "--format=%(trailers)")
    assert_clean(loop)


def test_end_fetch_failing_gives_an_unknown_delta(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    server.answer(Reply(body=usage_body(five=30.0)))
    run("check")
    server.answer(Reply(500, "down"))
    result = run("log", "--done", "flashcard 3 z", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["five_hour_delta"] is None
    assert data["end_note"].endswith("; no values newer than the session start")
    assert budget(loop)["calibration"]["flashcard"]["samples"] == 1


def test_log_without_done_and_without_a_terminal(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    run("check")
    work(claude_dir, [1234])
    result = run("log", "--json")
    data = json.loads(result.stdout)
    assert data["items"] == [] and data["tokens"]["output_tokens"] == 1234
    assert subjects(loop)[0].endswith(": no work logged, 5h +0.0%")


def test_unknown_type_is_refused_before_anything(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    run("check")
    count = len(subjects(loop))
    result = run("log", "--done", "poem 3 about cats")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unknown task type 'poem' (known: circuit_diagram, css_component, essay, feature, flashcard, "
        "migration, refactor): add it with "
        '`ai-budget calibration add poem --unit "per item"`\n'
    )
    assert len(subjects(loop)) == count
    assert baseline(loop) is not None
    bad_units = run("log", "--done", "flashcard many")
    assert bad_units.stderr == ("Error: the units in --done 'flashcard many' must be a number, got 'many'\n")
    assert run("log", "--done", "flashcard").stderr.startswith(
        "Error: --done 'flashcard' must read TYPE UNITS"
    )
    bad_ref = run("log", "--done", "flashcard 2 x", "--backlog-done", "99")
    assert bad_ref.stderr == "Error: there is no task 99 in the backlog: see `ai-budget backlog list`\n"
    assert len(subjects(loop)) == count
    assert len(server.requests) == 1  # only the check asked the endpoint


def test_stale_copilot_is_flagged(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    data = budget(loop)
    data["copilot"].update(
        premium_requests_used=100,
        last_updated=(datetime.now().date() - timedelta(days=5)).isoformat(),
        resets_at=(datetime.now(timezone.utc) + timedelta(days=3)).isoformat(),
    )
    (loop / "budget.json").write_text(json.dumps(data))
    git(loop, "commit", "-qam", "old count")
    brief = json.loads(run("check", "--json").stdout)
    # Five days ago may lie before the 1st (then the monthly reset is the warning): either way, stale.
    assert brief["copilot"]["stale"] is True
    assert [w for w in brief["warnings"] if w.startswith("Copilot")], brief["warnings"]


@pytest.mark.parametrize(
    ("updated", "expected"),
    [
        (
            date(2026, 11, 15),
            "Copilot count is 5 days old: check GitHub billing and run `ai-budget copilot set N`",
        ),
        (date(2026, 11, 18), None),  # two days old: still fresh
        (
            date(2026, 11, 17),
            "Copilot count is 3 days old: check GitHub billing and run `ai-budget copilot set N`",
        ),
        (
            date(2026, 10, 31),
            "Copilot: the monthly counter has reset since the last count: "
            "check GitHub billing and run `ai-budget copilot set N`",
        ),
    ],
)
def test_copilot_staleness_rule(updated: date, expected: str | None) -> None:
    moment = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    section = CopilotSection(premium_requests_used=10, last_updated=updated)
    assert copilot_warnings(copilot_state(section, moment)) == ([expected] if expected else [])


def test_weekly_high_recommends_only_the_top_task(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    server.answer(Reply(body=usage_body(five=5.0, week=86.0)))
    brief = json.loads(run("check", "--json").stdout)
    assert brief["severity"]["level"] == "red"
    assert [t["number"] for t in brief["recommendation"]["do"]] == [1]
    assert [t["number"] for t in brief["recommendation"]["defer"]] == [2, 3]
    assert any(w.startswith("weekly window at 86.0%") for w in brief["warnings"])


def test_check_without_any_usage(journal: Path, claude_dir: Path) -> None:
    result = run("check", "--json")  # the autouse fixture's closed port: no usage at all
    assert result.exit_code == 0
    brief = json.loads(result.stdout)
    assert brief["severity"]["level"] == "unknown"
    assert brief["warnings"][0].startswith("no Claude utilisation known (cannot reach")


def test_copilot_count_in_the_log(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    run("copilot", "set", "212")
    run("check")
    data = json.loads(run("log", "--copilot", "230", "--json").stdout)
    assert data["copilot"] == "18 premium requests this session (212 → 230 of 300)"
    assert budget(loop)["copilot"]["premium_requests_used"] == 230


# --- golden files ---------------------------------------------------------------------------------


def test_golden_brief_and_session_log(loop: Path, claude_dir: Path, server: UsageServer) -> None:
    """The rendered brief and session log, for fixed inputs; UPDATE_GOLDEN=1 rewrites the files."""
    import os

    from ai_budget.claude.usage import UsageFile
    from ai_budget.cli.views.brief import brief_text as render_brief
    from ai_budget.journal.journal import Journal
    from ai_budget.session.check import check
    from ai_budget.session.log import LogRequest, log, parse_done

    now = datetime(2026, 11, 22, 14, 5, tzinfo=timezone.utc)
    start = (
        (FIXTURES / "api" / "anthropic_oauth_usage_normal.json")
        .read_text()
        .replace("2026-08-10T17:59:59.804512", "2026-11-22T17:00:00")
        .replace("2026-08-14", "2026-11-25")
    )
    journal = Journal.open(loop)
    brief = check(journal, claude_dir, file=UsageFile(start.encode(), "start.json"), now=now)
    brief_text = render_brief(brief).replace("(from a file, 14:05)", "(from a file, HH:MM)") + "\n"

    lines = [
        assistant(
            f"msg_g{i}",
            usage(inp=2, out=out, read=9000, flat=1200, hour=1200),
            when=now + timedelta(minutes=10 * (i + 1)),
            session="golden",
        )
        for i, out in enumerate([1800, 2600, 900])
    ]
    write(project_dir(claude_dir) / "golden.jsonl", lines, mtime=now + timedelta(hours=1))
    end = start.replace('"utilization": 37.0', '"utilization": 52.5')
    request = LogRequest(
        claude_dirs=[claude_dir],
        done=(parse_done("flashcard 6 chapter 4 cards 1-6"),),
        lessons=("keep prompts short",),
        usage_file=UsageFile(end.encode(), "end.json"),
        now=now + timedelta(hours=1, minutes=20),
    )
    result = log(journal, request)
    if os.environ.get("UPDATE_GOLDEN"):
        (GOLDEN / "brief.txt").write_text(brief_text)
        (GOLDEN / "session.md").write_text(result.markdown)
    assert brief_text == (GOLDEN / "brief.txt").read_text()
    assert result.markdown == (GOLDEN / "session.md").read_text()


@pytest.mark.parametrize(
    ("answers", "told"),
    [
        (b"flashcard 3 cards from a prompt\n\n", []),
        # A wrong line is explained and asked again; what was typed before it is kept.
        (
            b"flashcard 1 first\nflashcard many\nnope 2 x\nflashcard 2 second\n\n",
            [b"must be a number, got 'many'", b"unknown task type 'nope'"],
        ),
    ],
)
def test_log_asks_what_was_done_in_a_terminal(
    loop: Path, claude_dir: Path, server: UsageServer, answers: bytes, told: list[bytes]
) -> None:
    """A real pseudo-terminal: `log` without --done prompts, and the answers become work items."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    run("check")
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ai_budget", "log"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        close_fds=True,
    )
    os.close(secondary)
    output = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if not answered and b"done:" in output:
            os.write(primary, answers)
            answered = True
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=60)
    os.close(primary)
    assert proc.returncode == 0, output.decode(errors="replace")
    assert b"What did you complete?" in output
    for message in told:
        assert message in output
    expected = "flashcard ×3" if not told else "flashcard ×1, flashcard ×2"
    assert subjects(loop)[0].endswith(f": {expected}, 5h +0.0%")
