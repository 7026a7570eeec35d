"""Crash recovery at exact moments: a git hook kills the real ai-budget process (kill -9) before its commit,
after it, or with git's index.lock held; the next command repairs it with no help and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import git
from fault_journal import Primed, prime
from fault_kit import (
    Outcome,
    attempt,
    attempt_process,
    head,
    hook,
    one_commit,
    one_line_error,
    porcelain,
    state,
    succeeded,
    unchanged,
)

MARKER = "ai-budget-transaction.json"


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with calibration, three tasks and a started session."""
    return prime(journal_dir, tmp_path)


def kill_from_hook(root: Path, name: str, then: str) -> None:
    """A hook that kill -9s the ai-budget process named in the write-ahead marker, then runs `then`."""
    marker = root / ".git" / MARKER
    kill = (
        f'{sys.executable} -c "import json, os, signal; '
        f"os.kill(json.load(open('{marker}'))['pid'], signal.SIGKILL)\""
    )
    hook(root, name, f"{kill}\n{then}")


def killed(*args: str) -> Outcome:
    """Run ai-budget as a real process that is expected to die by SIGKILL."""
    outcome = attempt_process(*args)
    assert outcome.code == -signal.SIGKILL, (outcome.code, outcome.err)
    return outcome


def recovered(root: Path, outcome: Outcome, *notes: str) -> None:
    """The next command worked, and said in one line per repair what it did."""
    succeeded(outcome)
    lines = [line for line in outcome.err.splitlines() if line.startswith("ai-budget:")]
    for note in notes:
        assert any(note in line for line in lines), (note, outcome.err)
    assert not (root / ".git" / MARKER).exists()
    assert not (root / ".git" / "index.lock").exists()


def no_temp_files(root: Path) -> None:
    """No `.NAME.XXXX.tmp` left in the tree or the git dir."""
    assert [p.name for p in root.rglob(".*.tmp")] == []


def test_killed_before_its_commit_the_next_command_undoes_it(primed: Primed) -> None:
    """kill -9 of `log` while git prepares the commit (which then fails): the next command puts all back."""
    kill_from_hook(primed.root, "prepare-commit-msg", "exit 1")
    before = state(primed.root)
    killed(*primed.log_args())
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    assert (primed.root / ".git" / MARKER).exists()
    outcome = attempt("copilot", "show")
    recovered(primed.root, outcome, "undid `session")
    unchanged(primed.root, before)
    no_temp_files(primed.root)


def test_after_a_kill_the_retry_logs_the_session_once(primed: Primed) -> None:
    """The retry of a killed `log` lands once: one session, one sample, only the named task moved."""
    kill_from_hook(primed.root, "prepare-commit-msg", "exit 1")
    samples = primed.samples()
    killed(*primed.log_args())
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    before = state(primed.root)
    outcome = attempt(*primed.log_args())
    recovered(primed.root, outcome, "undid")
    assert one_commit(primed.root, before).startswith("session ")
    assert primed.sessions_logged() == 1
    assert primed.samples() == samples + 1
    assert "first task" not in primed.backlog() and "second task" in primed.backlog()


def test_killed_after_its_commit_landed_the_commit_is_kept(primed: Primed) -> None:
    """kill -9 right after the commit (before the marker is cleared): kept whole, not undone."""
    kill_from_hook(primed.root, "post-commit", "exit 0")
    before = state(primed.root)
    killed("backlog", "done", "2")
    (primed.root / ".git" / "hooks" / "post-commit").unlink()
    assert (primed.root / ".git" / MARKER).exists()
    outcome = attempt("copilot", "show")
    recovered(primed.root, outcome)
    assert "undid" not in outcome.err
    assert one_commit(primed.root, before).startswith("backlog: done")
    assert "second task" not in primed.backlog()


def test_killed_with_its_git_the_stale_index_lock_is_cleared_and_said(primed: Primed) -> None:
    """kill -9 of ai-budget and its git leaves index.lock; the next command clears it, saying so."""
    kill_from_hook(primed.root, "prepare-commit-msg", "kill -9 $PPID")
    before = state(primed.root)
    killed(*primed.log_args())
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    assert (primed.root / ".git" / "index.lock").exists()
    after_kill = time.monotonic()
    outcome = attempt("copilot", "show")
    recovered(primed.root, outcome, "undid", "index.lock")
    assert time.monotonic() - after_kill < 5
    unchanged(primed.root, before)


def test_a_stale_index_lock_is_cleared_before_a_writing_command_commits(primed: Primed) -> None:
    """After a kill with git, the next *writing* command repairs first and then lands its own one commit."""
    kill_from_hook(primed.root, "prepare-commit-msg", "kill -9 $PPID")
    killed("copilot", "set", "50")
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    before = state(primed.root)
    outcome = attempt("copilot", "set", "60")
    recovered(primed.root, outcome, "index.lock")
    assert one_commit(primed.root, before).startswith("copilot: 60/")


def test_an_index_lock_without_a_marker_is_never_removed(primed: Primed) -> None:
    """An index.lock that is not ours (no marker: another git is running) is left alone and reported."""
    lock = primed.root / ".git" / "index.lock"
    lock.write_text("")
    before = state(primed.root)
    one_line_error(attempt("copilot", "set", "5"), "index.lock")
    assert lock.exists()
    lock.unlink()
    unchanged(primed.root, before)


@pytest.mark.parametrize("where", ["", "tasks", "sessions"])
def test_stale_temp_files_of_a_killed_write_are_removed(primed: Primed, where: str) -> None:
    """`.NAME.XXXX.tmp` files a dead command never renamed are gone after the next writing command."""
    folder = primed.root / where
    (folder / ".budget.json.k1x9.tmp").write_text("{half")
    (folder / ".2026-12-01.md.zz12.tmp").write_text("## Sess")
    before = state(primed.root)
    succeeded(attempt("copilot", "set", "5"))
    one_commit(primed.root, before)
    no_temp_files(primed.root)


def test_a_killed_write_and_its_temp_file_are_cleaned_by_a_reading_command(primed: Primed) -> None:
    """A kill left the marker and a temp file: even `copilot show` repairs it and the tree is clean."""
    kill_from_hook(primed.root, "prepare-commit-msg", "exit 1")
    before = state(primed.root)
    killed("backlog", "done", "1", "3")
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    (primed.root / "tasks" / ".backlog.md.abcd.tmp").write_text("[H] half")
    recovered(primed.root, attempt("backlog", "list"), "undid")
    unchanged(primed.root, before)
    no_temp_files(primed.root)


def test_a_torn_marker_is_dropped_and_nothing_is_undone(primed: Primed) -> None:
    """A marker cut short by a kill while it was written: no files had changed yet, so none are touched."""
    (primed.root / ".git" / MARKER).write_text('{"pid": 1, "message": "session", "files": {"budget.j')
    before = state(primed.root)
    succeeded(attempt("copilot", "show"))
    assert not (primed.root / ".git" / MARKER).exists()
    unchanged(primed.root, before)


def test_a_killed_init_is_redone_by_the_next_init(journal_dir: Path) -> None:
    """kill -9 during init's first commit: the next `init` creates the journal with one commit."""
    journal_dir.mkdir()
    git(journal_dir, "init", "-q", "-b", "main")
    kill_from_hook(journal_dir, "prepare-commit-msg", "exit 1")
    killed("init")
    (journal_dir / ".git" / "hooks" / "prepare-commit-msg").unlink()
    outcome = attempt("init")
    succeeded(outcome)
    assert git(journal_dir, "log", "--format=%s").splitlines() == ["init: journal created"]
    assert porcelain(journal_dir) == ""


def test_packed_refs_do_not_fool_recovery(primed: Primed) -> None:
    """After `git pack-refs` (no loose branch file) a killed command's un-landed change is still undone."""
    git(primed.root, "pack-refs", "--all")
    kill_from_hook(primed.root, "prepare-commit-msg", "exit 1")
    before = state(primed.root)
    killed("copilot", "set", "77")
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    recovered(primed.root, attempt("copilot", "show"), "undid")
    unchanged(primed.root, before)


def test_packed_refs_do_not_make_recovery_undo_a_landed_commit(primed: Primed) -> None:
    """With packed refs, a commit that landed before the kill is kept, not undone."""
    git(primed.root, "pack-refs", "--all")
    kill_from_hook(primed.root, "post-commit", "exit 0")
    before = state(primed.root)
    killed("copilot", "set", "77")
    (primed.root / ".git" / "hooks" / "post-commit").unlink()
    recovered(primed.root, attempt("copilot", "show"))
    assert one_commit(primed.root, before).startswith("copilot: 77/")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_a_terminated_command_is_undone_by_the_next(primed: Primed, sig: signal.Signals) -> None:
    """SIGTERM or SIGHUP (terminal closed) mid-commit: the next command undoes it like a kill."""
    marker = primed.root / ".git" / MARKER
    sender = (
        f"{sys.executable} -c \"import json, os; os.kill(json.load(open('{marker}'))['pid'], {int(sig)})\""
    )
    hook(primed.root, "prepare-commit-msg", f"{sender}\nsleep 0.3\nexit 1")
    before = state(primed.root)
    outcome = attempt_process(*primed.log_args())
    assert outcome.code != 0
    assert "Traceback" not in outcome.both
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    succeeded(attempt("copilot", "show"))
    unchanged(primed.root, before)


def test_ctrl_c_mid_commit_is_interrupted_and_leaves_nothing(primed: Primed) -> None:
    """Ctrl-C (SIGINT to the whole foreground group) during the commit: "Interrupted.", 130, nothing kept."""
    ready = primed.root.parent / "in-hook"
    hook(primed.root, "prepare-commit-msg", f"touch {ready}\nsleep 5")
    before = state(primed.root)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ai_budget", *primed.log_args()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # A terminal's Ctrl-C meets default handlers; a test run in a background job inherits SIGINT
        # ignored, and Python keeps an ignored SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    (primed.root / ".git" / "hooks" / "prepare-commit-msg").unlink()
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "Interrupted.", err
    assert "Traceback" not in out + err
    unchanged(primed.root, before)
    assert not (primed.root / ".git" / MARKER).exists()


def test_waiting_for_another_ai_budget_says_so_after_a_second(primed: Primed) -> None:
    """Another ai-budget holds the journal lock for 2 s: "waiting for …" is printed, then it lands."""
    lock = primed.root / ".git" / "ai-budget.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time\n"
            f"h = open({str(lock)!r}, 'a+'); fcntl.flock(h, fcntl.LOCK_EX); print('held', flush=True)\n"
            "time.sleep(2.2)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = state(primed.root)
        started = time.monotonic()
        outcome = attempt("copilot", "set", "5")
        took = time.monotonic() - started
    finally:
        holder.wait(timeout=10)
    succeeded(outcome)
    assert took > 1.5
    assert "waiting for another ai-budget" in outcome.err
    assert one_commit(primed.root, before).startswith("copilot: 5/")


def test_a_dead_holder_of_the_lock_does_not_block(primed: Primed) -> None:
    """The lock of a process killed with -9 is released by the kernel: the next command does not wait."""
    lock = primed.root / ".git" / "ai-budget.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import fcntl, time\nh = open({str(lock)!r}, 'a+')\nfcntl.flock(h, 2)\ntime.sleep(60)",
        ]
    )
    time.sleep(0.3)
    holder.kill()
    holder.wait()
    before = state(primed.root)
    started = time.monotonic()
    outcome = attempt("copilot", "set", "5")
    succeeded(outcome)
    assert time.monotonic() - started < 1.0
    assert "waiting" not in outcome.err
    one_commit(primed.root, before)
    assert head(primed.root)
