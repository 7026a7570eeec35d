"""All or nothing: when git or the disk fails, a command leaves every journal file byte for byte as it
was, and the retry lands exactly once (one session, one sample, only the named task moved)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import baseline, git
from fault_journal import Primed, can_mount, fill, prime, read_only, small_disk
from fault_kit import (
    attempt,
    attempt_process,
    committed_paths,
    hook,
    one_commit,
    one_line_error,
    state,
    succeeded,
    unchanged,
)


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with calibration, three tasks and a started session."""
    return prime(journal_dir, tmp_path)


def assert_retry_lands_once(p: Primed) -> None:
    """After the fault is gone, the same `log` lands once: one session, one sample, task 1 moved only."""
    before = state(p.root)
    samples = p.samples()
    succeeded(attempt(*p.log_args()))
    assert one_commit(p.root, before).startswith("session ")
    assert p.sessions_logged() == 1
    assert p.samples() == samples + 1
    assert "first task" not in p.backlog()
    assert "second task" in p.backlog() and "third task" in p.backlog()
    assert (p.root / "tasks" / "completed.md").read_text().count("first task") == 1


# --- index.lock ----------------------------------------------------------------------------------


def test_log_with_index_lock_writes_nothing_and_the_retry_lands_once(primed: Primed) -> None:
    """The issue's own case: log with .git/index.lock refused whole; after removing it, logged once."""
    lock = primed.root / ".git" / "index.lock"
    lock.write_text("")
    before = state(primed.root)
    one_line_error(attempt(*primed.log_args()), "index.lock", "wait for it, or remove")
    lock.unlink()
    unchanged(primed.root, before)
    assert_retry_lands_once(primed)


@pytest.mark.parametrize(
    "args",
    [
        ("copilot", "set", "12"),
        ("backlog", "done", "2"),
        ("backlog", "add", "[L] fourth"),
        ("calibrate", "flashcard", "3", "6"),
        ("calibration", "add", "essay", "--unit", "per page"),
        ("gemini", "set", "active"),
    ],
    ids=["copilot-set", "backlog-done", "backlog-add", "calibrate", "calibration-add", "gemini-set"],
)
def test_every_writing_command_refuses_an_index_lock_whole(primed: Primed, args: tuple[str, ...]) -> None:
    """Each writing command, with another git's index.lock present: refused, nothing written."""
    (primed.root / ".git" / "index.lock").write_text("")
    before = state(primed.root)
    one_line_error(attempt(*args), "index.lock")
    (primed.root / ".git" / "index.lock").unlink()
    unchanged(primed.root, before)


def test_the_next_command_after_a_failure_commits_only_its_own_change(primed: Primed) -> None:
    """No leftovers: the command after a failed log commits budget.json alone, under its own subject."""
    lock = primed.root / ".git" / "index.lock"
    lock.write_text("")
    one_line_error(attempt(*primed.log_args()))
    lock.unlink()
    before = state(primed.root)
    succeeded(attempt("copilot", "set", "40"))
    assert one_commit(primed.root, before).startswith("copilot: 40/")
    assert committed_paths(primed.root) == ["budget.json"]
    assert not list((primed.root / "sessions").glob("*.md"))


# --- the commit itself fails ----------------------------------------------------------------------


def failing_gpg(root: Path) -> None:
    """commit.gpgsign with a gpg that always fails (a locked smartcard, an expired key)."""
    git(root, "config", "commit.gpgsign", "true")
    git(root, "config", "gpg.program", "false")


def test_log_with_a_failing_gpg_signer_writes_nothing_and_the_retry_lands_once(primed: Primed) -> None:
    """commit.gpgsign with a failing gpg: the commit fails, every written file is put back."""
    failing_gpg(primed.root)
    before = state(primed.root)
    line = one_line_error(attempt(*primed.log_args()), "git commit")
    assert str(primed.root) in line
    unchanged(primed.root, before)
    git(primed.root, "config", "--unset", "commit.gpgsign")
    assert_retry_lands_once(primed)


@pytest.mark.parametrize(
    "args",
    [
        ("copilot", "set", "12"),
        ("backlog", "done", "2", "3"),
        ("backlog", "add", "[L] fourth"),
        ("calibrate", "flashcard", "3", "6"),
        ("gemini", "set", "active"),
    ],
    ids=["copilot-set", "backlog-done", "backlog-add", "calibrate", "gemini-set"],
)
def test_a_failing_gpg_signer_leaves_every_command_whole(primed: Primed, args: tuple[str, ...]) -> None:
    """Each writing command whose commit fails to sign: one line, nothing written."""
    failing_gpg(primed.root)
    before = state(primed.root)
    one_line_error(attempt(*args), "git commit")
    unchanged(primed.root, before)


def test_check_commits_nothing_so_a_failing_signer_does_not_stop_it(primed: Primed) -> None:
    """`check` opens or refreshes a session in the state folder: no commit, so nothing to sign."""
    failing_gpg(primed.root)
    before = state(primed.root)
    succeeded(attempt("check", "--from-file", str(primed.start)))
    unchanged(primed.root, before)


def test_a_failing_prepare_commit_msg_hook_leaves_log_whole(primed: Primed) -> None:
    """A prepare-commit-msg hook (not skipped by --no-verify) that fails: nothing written; retry once."""
    path = hook(primed.root, "prepare-commit-msg", "echo 'hook says no' >&2; exit 1")
    before = state(primed.root)
    one_line_error(attempt(*primed.log_args()), "git commit")
    unchanged(primed.root, before)
    path.unlink()
    assert_retry_lands_once(primed)


def test_a_failing_pre_commit_hook_does_not_block_the_journal(primed: Primed) -> None:
    """pre-commit and commit-msg hooks are the user's project habits: the journal commits regardless."""
    hook(primed.root, "pre-commit", "exit 1")
    hook(primed.root, "commit-msg", "exit 1")
    before = state(primed.root)
    succeeded(attempt("copilot", "set", "12"))
    assert one_commit(primed.root, before).startswith("copilot: 12/")


def test_a_failing_post_commit_hook_keeps_the_landed_commit(primed: Primed) -> None:
    """A post-commit hook cannot undo a commit: the command succeeds with exactly one commit."""
    hook(primed.root, "post-commit", "echo noisy >&2; exit 1")
    before = state(primed.root)
    succeeded(attempt("copilot", "set", "12"))
    one_commit(primed.root, before)


def test_a_hooks_path_from_global_config_that_fails_leaves_log_whole(primed: Primed, tmp_path: Path) -> None:
    """core.hooksPath set globally (a common dotfiles habit) with a failing prepare-commit-msg."""
    hooks = tmp_path / "global-hooks"
    hooks.mkdir()
    script = hooks / "prepare-commit-msg"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    git(primed.root, "config", "--global", "core.hooksPath", str(hooks))
    before = state(primed.root)
    one_line_error(attempt(*primed.log_args()), "git commit")
    unchanged(primed.root, before)


def test_a_broken_index_leaves_log_whole(primed: Primed) -> None:
    """An index that is a folder makes `git add` fail after the files were written: all put back."""
    index = primed.root / ".git" / "index"
    saved = index.read_bytes()
    index.unlink()
    index.mkdir()
    before = state(primed.root)
    one_line_error(attempt(*primed.log_args()), "git")
    index.rmdir()
    index.write_bytes(saved)
    unchanged(primed.root, before)
    assert_retry_lands_once(primed)


def test_autocrlf_with_safecrlf_refuses_whole(primed: Primed) -> None:
    """core.autocrlf + core.safecrlf (a Windows habit in shared dotfiles): `git add` refuses LF files."""
    git(primed.root, "config", "core.autocrlf", "true")
    git(primed.root, "config", "core.safecrlf", "true")
    before = state(primed.root)
    outcome = attempt(*primed.log_args())
    if outcome.code == 0:  # git accepted the files after all: then exactly one commit landed
        one_commit(primed.root, before)
        return
    one_line_error(outcome, "git")
    unchanged(primed.root, before)


# --- the disk fails -------------------------------------------------------------------------------


def test_read_only_git_objects_leave_log_whole(primed: Primed) -> None:
    """`.git/objects` read-only (a mount, a backup tool): git cannot store the commit; all put back."""
    objects = primed.root / ".git" / "objects"
    before = state(primed.root)
    try:
        with read_only(objects):
            outcome = attempt(*primed.log_args())
    except subprocess.CalledProcessError:
        pytest.skip("cannot make a folder read-only here")
    one_line_error(outcome, "git")
    unchanged(primed.root, before)
    assert_retry_lands_once(primed)


def test_a_read_only_sessions_folder_leaves_log_whole(primed: Primed) -> None:
    """The session log cannot be created (read-only sessions/): budget.json and the backlog untouched."""
    before = state(primed.root)
    try:
        with read_only(primed.root / "sessions"):
            outcome = attempt(*primed.log_args())
    except subprocess.CalledProcessError:
        pytest.skip("cannot make a folder read-only here")
    one_line_error(outcome, "sessions")
    unchanged(primed.root, before)
    assert_retry_lands_once(primed)


def test_a_session_log_that_cannot_be_written_puts_the_backlog_back(primed: Primed) -> None:
    """Today's session log is a folder: the backlog and completed.md, already rewritten, are put back."""
    from datetime import datetime

    blocked = primed.root / "sessions" / f"{datetime.now().astimezone():%Y-%m-%d}.md"
    blocked.mkdir()
    (blocked / ".keep").write_text("")
    git(primed.root, "add", "--", str(blocked / ".keep"))
    git(primed.root, "commit", "-q", "-m", "user: odd folder")
    before = state(primed.root)
    one_line_error(attempt(*primed.log_args()), str(blocked.name))
    unchanged(primed.root, before)


def test_backlog_done_with_completed_md_unwritable_moves_nothing(primed: Primed) -> None:
    """completed.md is a folder: the task stays in the backlog (the issue's lost-task case)."""
    completed = primed.root / "tasks" / "completed.md"
    git(primed.root, "rm", "-q", "--", str(completed))
    completed.mkdir()
    (completed / ".keep").write_text("")
    git(primed.root, "add", "--", str(completed / ".keep"))
    git(primed.root, "commit", "-q", "-m", "user: odd folder")
    before = state(primed.root)
    one_line_error(attempt("backlog", "done", "1"), "completed.md")
    unchanged(primed.root, before)
    assert "first task" in primed.backlog()


def limited(max_bytes: int) -> None:
    """In the child: no file may grow past `max_bytes` (writes fail with EFBIG, as on a full quota)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


def under_limit(max_bytes: int) -> dict[str, Any]:
    """How to start a child under `limited(max_bytes)`: not measured by coverage (when the suite runs
    under it), whose own data file could not be written there either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    return {"preexec_fn": lambda: limited(max_bytes), "env": env}


@pytest.mark.parametrize("max_bytes", [0, 700, 1500, 2200, 2800])
def test_a_file_size_limit_leaves_log_whole(primed: Primed, max_bytes: int) -> None:
    """A real process under RLIMIT_FSIZE fails at some write (marker, file, git object): nothing kept."""
    before = state(primed.root)
    outcome = attempt_process(*primed.log_args(), **under_limit(max_bytes))
    if outcome.code == 0:  # everything fitted
        one_commit(primed.root, before)
        return
    one_line_error(outcome)
    unchanged(primed.root, before)
    assert_retry_lands_once(primed)


def test_a_failed_write_never_damages_a_file_it_had_not_replaced(primed: Primed) -> None:
    """A write failing half-way (EFBIG at 1500 bytes): budget.json stays whole, the next command reads it."""
    saved = (primed.root / "budget.json").read_bytes()
    one_line_error(attempt_process(*primed.log_args(), **under_limit(1500)))
    assert (primed.root / "budget.json").read_bytes() == saved
    succeeded(attempt("copilot", "show"))
    assert (primed.root / "budget.json").read_bytes() == saved


def test_a_write_error_names_what_it_was_writing(primed: Primed) -> None:
    """EFBIG on a write through a file descriptor: the line still says which journal file failed."""
    before = state(primed.root)
    outcome = attempt_process(*primed.log_args(), **under_limit(700))
    one_line_error(outcome, str(primed.root))
    unchanged(primed.root, before)


@pytest.mark.skipif(not can_mount() or sys.platform != "linux", reason="needs root to mount a tmpfs")
@pytest.mark.parametrize(
    "free_kb",
    [0, 4, 8, 16, 24, 40],
)
def test_a_full_disk_leaves_log_whole_and_the_retry_lands_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free_kb: int
) -> None:
    """A real disk (tmpfs) with only `free_kb` left: log fails whole, and after freeing space, lands once."""
    with small_disk(tmp_path / "disk", 2048) as disk:
        root = disk / "journal"
        monkeypatch.setenv("AI_BUDGET_HOME", str(root))
        p = prime(root, tmp_path)
        filler = fill(disk, free_kb * 1024)
        before = state(root)
        outcome = attempt(*p.log_args())
        if outcome.code == 0:
            filler.unlink()
            one_commit(root, before)
            return
        one_line_error(outcome)
        filler.unlink()  # the user frees space; what they see must be what they had
        unchanged(root, before)
        assert baseline(root) is not None
        assert_retry_lands_once(p)


def test_init_whose_first_commit_fails_leaves_no_half_journal(journal_dir: Path, tmp_path: Path) -> None:
    """init under a failing global gpg signer: no budget.json or tasks left; the retry creates it once."""
    run_git_global = ["git", "config", "--global"]
    subprocess.run([*run_git_global, "commit.gpgsign", "true"], check=True)
    subprocess.run([*run_git_global, "gpg.program", "false"], check=True)
    outcome = attempt("init")
    one_line_error(outcome, "git commit")
    assert not (journal_dir / "budget.json").exists()
    assert not (journal_dir / "tasks").exists() or not any((journal_dir / "tasks").iterdir())
    subprocess.run([*run_git_global, "--unset", "commit.gpgsign"], check=True)
    succeeded(attempt("init"))
    assert git(journal_dir, "log", "--format=%s").splitlines() == ["init: journal created"]
    assert git(journal_dir, "status", "--porcelain") == ""
