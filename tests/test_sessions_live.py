"""Sessions as Claude Code runs them: keyed by its session id, counted from its own transcript, each token
once across a check, a log, its tail, a resume, two sessions at once and a busy journal.

The hooks run as real subprocesses with the JSON Claude Code sends on stdin; `check` and `log` see
CLAUDE_CODE_SESSION_ID as they do when Claude Code's Bash tool runs them. Expected totals are sums of
the usage written into the transcripts here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import git, python_cli, subjects
from transcript_builder import assistant, project_dir, usage, user

from ai_budget.integrations.hooks import HOOK_LOCK_S
from ai_budget.session import state

A = "aaaaaaaa-1111-4111-8111-111111111111"
B = "bbbbbbbb-2222-4222-8222-222222222222"
CWD = "/home/dev/proj"


def now() -> datetime:
    return datetime.now(timezone.utc)


class Transcript:
    """One session's transcript file; `reply` appends a response with known usage."""

    def __init__(self, claude: Path, sid: str, entrypoint: str = "cli"):
        self.sid, self.path = sid, project_dir(claude, CWD) / f"{sid}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        first = json.loads(user("go", session=sid, cwd=CWD, when=now()))
        first["entrypoint"] = entrypoint
        self.path.write_text(json.dumps(first) + "\n")
        self.n = 0
        self.out = self.inp = self.read = 0

    def reply(self, inp: int, out: int, read: int = 0, when: datetime | None = None) -> None:
        self.n += 1
        msg = f"msg_{self.sid}_{self.n}"
        u = usage(inp=inp, out=out, read=read)
        # one response, two lines (a text block and a tool_use block), as Claude Code writes them
        lines = [
            assistant(msg, u, session=self.sid, cwd=CWD, when=when or now(), block=b)
            for b in ("text", "tool_use")
        ]
        with open(self.path, "a") as handle:
            handle.write("\n".join(lines) + "\n")
        self.inp, self.out, self.read = self.inp + inp, self.out + out, self.read + read


def hook(name: str, event: dict[str, Any] | bytes, **env: str) -> subprocess.CompletedProcess[str]:
    data = event if isinstance(event, bytes) else json.dumps(event).encode()
    done = subprocess.run(
        [sys.executable, "-m", "ai_budget", "hook", name],
        input=data,
        capture_output=True,
        env={**os.environ, **env},
        timeout=60,
    )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def start(t: Transcript, source: str = "startup") -> subprocess.CompletedProcess[str]:
    event = {
        "session_id": t.sid,
        "transcript_path": str(t.path),
        "cwd": CWD,
        "source": source,
        "hook_event_name": "SessionStart",
    }
    return hook("session-start", event)


def end(t: Transcript, reason: str = "other") -> subprocess.CompletedProcess[str]:
    event = {
        "session_id": t.sid,
        "transcript_path": str(t.path),
        "cwd": CWD,
        "reason": reason,
        "hook_event_name": "SessionEnd",
    }
    return hook("session-end", event)


def inside(t: Transcript, *args: str) -> subprocess.CompletedProcess[str]:
    """An ai-budget command as Claude Code's Bash tool runs it in session t."""
    env = {**os.environ, state.SESSION_ENV: t.sid, state.ENTRYPOINT_ENV: "cli"}
    return python_cli(*args, env=env)


def sessions(journal: Path) -> dict[str, dict[str, Any]]:
    done = python_cli("sessions", "--json")
    assert done.returncode == 0, done.stderr
    return {row["session_id"]: row for row in json.loads(done.stdout)}


def assert_counts(row: dict[str, Any], t: Transcript) -> None:
    assert (row["calls"], row["input_tokens"], row["output_tokens"], row["cache_read_input_tokens"]) == (
        t.n,
        t.inp,
        t.out,
        t.read,
    )


@pytest.fixture
def claude(claude_dir: Path) -> Path:
    return claude_dir


def test_a_start_makes_no_commit_and_a_check_inside_never_moves_it(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    before = subjects(journal)
    assert start(t).returncode == 0
    opened = state.load(journal, A)
    assert opened is not None and opened.source == "startup"
    t.reply(100, 52)
    time.sleep(0.01)
    done = inside(t, "check", "--json")
    assert done.returncode == 0, done.stderr
    again = state.load(journal, A)
    assert again is not None and again.measure_from == opened.measure_from
    assert subjects(journal) == before  # neither the start nor the check is history
    t.reply(3, 51)
    logged = inside(t, "log", "--json")
    assert logged.returncode == 0, logged.stderr
    tokens = json.loads(logged.stdout)["tokens"]
    assert tokens["output_tokens"] == 103  # the 52 before the check are in
    assert subjects(journal)[0].startswith("session ")
    assert_counts(sessions(journal)[A], t)


def test_the_tail_after_a_log_is_added_at_the_end(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    start(t)
    t.reply(200, 127)
    assert inside(t, "log").returncode == 0
    t.reply(40, 183)  # Claude's answer after `ai-budget log` ran
    done = end(t)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    row = sessions(journal)[A]
    assert_counts(row, t)  # 310 output: the log's 127 and the tail's 183
    assert row["records"] == 2 and row["kinds"] == ["session", "tail"]
    assert subjects(journal)[0].startswith("runs ")
    assert state.load(journal, A) is None


def test_a_session_nobody_logged_is_logged_at_its_end(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    start(t)
    for i in range(6):  # more than a short run
        t.reply(10 + i, 20 + i, read=1000)
    end(t)
    assert subjects(journal)[0].endswith("(automatic)")
    row = sessions(journal)[A]
    assert_counts(row, t)
    assert row["kinds"] == ["auto"]


def test_two_end_events_count_once(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    start(t)
    t.reply(5, 9)
    end(t)
    end(t)
    row = sessions(journal)[A]
    assert_counts(row, t)
    assert row["records"] == 1


def test_a_resume_continues_and_nothing_is_counted_twice(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    start(t)
    t.reply(100, 60)
    assert inside(t, "log").returncode == 0
    end(t)
    start(t, "resume")
    t.reply(7, 11)
    assert inside(t, "log").returncode == 0
    t.reply(1, 2)
    end(t)
    row = sessions(journal)[A]
    assert_counts(row, t)
    assert row["kinds"] == ["session", "session", "tail"]
    lines = [
        json.loads(x)
        for p in (journal / "sessions" / "ledger").glob("*.jsonl")
        for x in p.read_text().splitlines()
    ]
    assert [line["resumed"] for line in lines] == [False, True, True]  # the journal shows it was resumed
    day = next((journal / "sessions").glob("*.md")).read_text()
    assert f"(Claude Code session `{A}`, resumed)" in day


def test_a_resume_the_journal_never_saw_counts_its_whole_transcript(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    t.reply(30, 40, when=now() - timedelta(days=2))
    start(t, "resume")
    t.reply(1, 1)
    end(t)
    assert_counts(sessions(journal)[A], t)


def test_two_sessions_at_once_each_count_their_own(journal: Path, claude: Path) -> None:
    a, b = Transcript(claude, A), Transcript(claude, B)
    start(a)
    start(b)
    a.reply(10, 100)
    b.reply(20, 200)
    a.reply(1, 1)
    done = inside(a, "log", "--done", "none 1", "--json")
    assert done.returncode != 0  # an unknown type is refused before anything is measured
    logged = inside(a, "log", "--json")
    assert logged.returncode == 0, logged.stderr
    b.reply(2, 2)
    end(b)
    rows = sessions(journal)
    assert_counts(rows[A], a)
    assert_counts(rows[B], b)
    assert B in git(journal, "log", "-1", "--format=%B", "--grep", "^session").split("Shared-With: ")[-1]


def test_short_scripted_runs_fold_into_one_commit(journal: Path, claude: Path) -> None:
    before = len(subjects(journal))
    runs = [
        Transcript(claude, f"cccccccc-0000-4000-8000-00000000000{i}", entrypoint="sdk-cli") for i in range(3)
    ]
    for r in runs:
        start(r)
        r.reply(5, 7)
        end(r)
    assert len(subjects(journal)) == before  # nothing yet: runs wait for the next command
    rows = sessions(journal)
    assert len(subjects(journal)) == before + 1 and subjects(journal)[0].startswith("runs ")
    for r in runs:
        assert_counts(rows[r.sid], r)
        assert rows[r.sid]["pending"] is False


def test_end_with_the_journal_locked_leaves_the_closing_for_later(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    start(t)
    for i in range(6):
        t.reply(10, 10 + i)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl,sys,time; f=open(sys.argv[1],'a+'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
            str(journal / ".git" / "ai-budget.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        done = end(t)
        took = time.monotonic() - began
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
        # It gave up on the lock instead of waiting for its holder (60 s): the wait is HOOK_LOCK_S, well
        # inside the 5 s Claude Code gives the hook; the margin is for a loaded machine's slow start.
        assert HOOK_LOCK_S < 5
        assert took < HOOK_LOCK_S + 10
        assert list((state.folder(journal) / "pending").glob("*.json"))
    finally:
        holder.kill()
        holder.wait()
    assert_counts(sessions(journal)[A], t)
    assert not list((state.folder(journal) / "pending").glob("*.json"))


@pytest.mark.parametrize(
    "stdin",
    [b"", b"not json", b"[1,2]", b'{"session_id": 5}', json.dumps({"session_id": "x" * 1_000_000}).encode()],
)
def test_hooks_stay_silent_on_what_is_not_a_claude_code_event(journal: Path, stdin: bytes) -> None:
    for name in ("session-start", "session-end", "prompt"):
        done = hook(name, stdin)
        assert (done.returncode, done.stderr) == (0, "")


def test_a_huge_or_odd_session_id_is_stored_short_and_plain(journal: Path, claude: Path) -> None:
    odd = "../" + "\x1b[31m" + "y" * 5000
    hook("session-start", {"session_id": odd, "source": "startup", "transcript_path": "/nowhere.jsonl"})
    files = list((state.folder(journal) / "open").glob("*.json"))
    assert len(files) == 1 and len(files[0].name) < 80 and files[0].parent == state.folder(journal) / "open"
    kept = json.loads(files[0].read_text())["session_id"]
    assert len(kept) == state.MAX_ID and "\x1b" not in kept


def test_a_transcript_gone_before_the_end_records_nothing(journal: Path, claude: Path) -> None:
    t = Transcript(claude, A)
    start(t)
    t.reply(1, 1)
    t.path.unlink()
    done = end(t)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert A not in sessions(journal)
    assert state.load(journal, A) is None


def test_a_session_that_ended_during_the_span_shares_the_delta(journal: Path, claude: Path) -> None:
    """B started and ended while A ran (its record is in the ledger, not open): A's delta is shared."""
    a, b = Transcript(claude, A), Transcript(claude, B, entrypoint="sdk-cli")
    start(a)
    start(b)
    b.reply(20, 200)
    end(b)
    assert state.load(journal, B) is None
    a.reply(10, 100)
    logged = inside(a, "log", "--done", "flashcard 1 x", "--json")
    assert logged.returncode == 0, logged.stderr
    data = json.loads(logged.stdout)
    assert data["shared_with"] == [B]
    assert f"Shared-With: {B}" in git(journal, "log", "-1", "--format=%B")


def observed(minutes: float, calls: int) -> Any:
    from ai_budget.session.live import Observed

    first = now()
    counts = {"exchanges": calls}
    return Observed(A, counts, None, [], first, first + timedelta(minutes=minutes), None)


@pytest.mark.parametrize(
    ("entrypoint", "minutes", "calls", "short"),
    [
        ("cli", 1.99, 5, True),
        ("cli", 2.0, 5, False),  # a span of SHORT_SPAN is a session
        ("cli", 1.0, 6, False),  # more than SHORT_CALLS responses is a session
        ("sdk-cli", 60.0, 100, True),  # print mode and the SDK are runs, however long
        ("sdk-ts", 60.0, 100, True),
        (None, 60.0, 100, False),
    ],
)
def test_what_counts_as_a_short_run(entrypoint: str | None, minutes: float, calls: int, short: bool) -> None:
    from ai_budget.session import live

    assert (timedelta(minutes=2), 5) == (live.SHORT_SPAN, live.SHORT_CALLS)
    assert live.is_short(entrypoint, observed(minutes, calls)) is short


def test_claude_codes_own_cost_is_shown_beside_ours(journal: Path, claude: Path) -> None:
    """The statusline hands over Claude Code's cost for the session; the log shows both and why."""
    t = Transcript(claude, A)
    start(t)
    t.reply(1000, 100)
    feed = {"session_id": A, "cost": {"total_cost_usd": 5.25}, "model": {"id": "claude-sonnet-4-5"}}
    assert python_cli("statusline", input=json.dumps(feed)).returncode == 0
    done = inside(t, "log", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    ours = data["recorded"]["cost_usd"]
    assert data["client_cost_usd"] == 5.25 and 0 < ours < 5.25
    day = next((journal / "sessions").glob("*.md")).read_text()
    assert f"Claude Code's own figure for the session: $5.25, ${5.25 - ours:,.2f} more than ours: " in day
    assert "requests it never writes to a transcript" in day
    assert "Client-Cost-USD: 5.2500" in git(journal, "log", "-1", "--format=%B")
    assert sessions(journal)[A]["client_cost_usd"] == 5.25
