"""Git states: a merge, rebase, cherry-pick or revert in progress, an unmerged budget.json, a detached
HEAD, a `.git` file (worktree, --separate-git-dir): work correctly, or refuse before writing with the
right next step."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import git, run
from fault_journal import Primed, prime
from fault_kit import attempt, files, one_commit, one_line_error, porcelain, state, succeeded, unchanged


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with calibration, three tasks and a started session."""
    return prime(journal_dir, tmp_path)


def git_may_fail(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A git command expected to stop half-way (a conflict)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_DIR")}
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env)


def text_merge(root: Path) -> None:
    """git's plain text merge for budget.json: the drivers `sync` registers would merge it (a merge made
    without them, as git does for a journal from before them)."""
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "attributes").write_text("budget.json merge=text\n")


def diverge(root: Path) -> None:
    """Two branches whose budget.json differ in the same line: `other` and `main`."""
    text_merge(root)
    git(root, "branch", "other")
    git(root, "switch", "-q", "other")
    assert run("copilot", "set", "5").exit_code == 0
    git(root, "switch", "-q", "main")
    assert run("copilot", "set", "7").exit_code == 0


def unchanged_mid_operation(root: Path, before: dict[str, bytes], status: str) -> None:
    """Mid-operation the tree is not clean by nature: it must be exactly as the user left it."""
    assert files(root) == before
    assert porcelain(root) == status


IN_PROGRESS = {
    "merge": (("merge", "other"), "merge --abort"),
    "rebase": (("rebase", "other"), "rebase --abort"),
    "cherry-pick": (("cherry-pick", "other"), "cherry-pick --abort"),
}


@pytest.mark.parametrize("operation", sorted(IN_PROGRESS))
@pytest.mark.parametrize(
    "args",
    [("copilot", "set", "9"), ("backlog", "done", "2"), ("calibrate", "flashcard", "1", "2")],
    ids=["copilot-set", "backlog-done", "calibrate"],
)
def test_a_conflicted_operation_in_progress_is_refused_before_writing(
    primed: Primed, operation: str, args: tuple[str, ...]
) -> None:
    """A real conflict stopped `git OPERATION`: every writing command refuses, naming the way out."""
    diverge(primed.root)
    command, way_out = IN_PROGRESS[operation]
    assert git_may_fail(primed.root, *command).returncode != 0
    before, status = files(primed.root), porcelain(primed.root)
    one_line_error(attempt(*args), operation.split("-")[0], way_out)
    unchanged_mid_operation(primed.root, before, status)


def test_log_during_a_merge_is_refused_and_writes_no_session(primed: Primed) -> None:
    """log in the middle of a merge: refused whole, no session file, the baseline kept for later."""
    diverge(primed.root)
    git_may_fail(primed.root, "merge", "other")
    before, status = files(primed.root), porcelain(primed.root)
    one_line_error(attempt(*primed.log_args()), "merge")
    unchanged_mid_operation(primed.root, before, status)
    assert not list((primed.root / "sessions").glob("*.md"))


def test_a_revert_in_progress_is_refused(primed: Primed) -> None:
    """A revert stopped by a conflict: refused, with `git revert --abort` as the way out."""
    text_merge(primed.root)
    git(primed.root, "switch", "-q", "-c", "side")
    assert run("copilot", "set", "5").exit_code == 0
    assert run("copilot", "set", "6").exit_code == 0
    assert git_may_fail(primed.root, "revert", "--no-edit", "HEAD~1").returncode != 0
    before, status = files(primed.root), porcelain(primed.root)
    one_line_error(attempt("copilot", "set", "9"), "revert --abort")
    unchanged_mid_operation(primed.root, before, status)


def test_an_am_in_progress_is_refused(primed: Primed, tmp_path: Path) -> None:
    """`git am` stopped by a conflict (rebase-apply/): refused before writing."""
    diverge(primed.root)
    patch = git(primed.root, "format-patch", "-1", "other", "--stdout")
    (tmp_path / "p.patch").write_text(patch)
    assert git_may_fail(primed.root, "am", str(tmp_path / "p.patch")).returncode != 0
    before, status = files(primed.root), porcelain(primed.root)
    one_line_error(attempt("copilot", "set", "9"), "in progress")
    unchanged_mid_operation(primed.root, before, status)


@pytest.mark.parametrize(
    "args",
    [
        ("copilot", "show"),
        ("calibration",),
        ("backlog", "list"),
        ("check",),
    ],
    ids=["copilot-show", "calibration", "backlog-list", "check"],
)
def test_an_unmerged_budget_json_names_the_way_out_of_the_merge(
    primed: Primed, args: tuple[str, ...]
) -> None:
    """budget.json full of conflict markers: one line that says to finish or abort the merge."""
    diverge(primed.root)
    git_may_fail(primed.root, "merge", "other")
    assert "<<<<<<<" in (primed.root / "budget.json").read_text()
    before, status = files(primed.root), porcelain(primed.root)
    line = one_line_error(attempt(*args), "merge --")
    assert "merge --abort" in line or "merge --continue" in line
    unchanged_mid_operation(primed.root, before, status)


def test_an_unmerged_budget_json_is_never_overwritten(primed: Primed) -> None:
    """Whatever the message, a budget.json with conflict markers is not rewritten or committed."""
    diverge(primed.root)
    git_may_fail(primed.root, "merge", "other")
    before, status = files(primed.root), porcelain(primed.root)
    for args in (("copilot", "set", "3"), ("check", "--from-file", str(primed.start)), primed.log_args()):
        one_line_error(attempt(*args))
    unchanged_mid_operation(primed.root, before, status)


def test_a_detached_head_is_refused_with_the_branch_to_return_to(primed: Primed) -> None:
    """Detached HEAD (after `git checkout <sha>`): refused before writing; says `git switch main`."""
    git(primed.root, "checkout", "-q", "--detach")
    before = state(primed.root)
    one_line_error(attempt(*primed.log_args()), "detached", "switch main")
    unchanged(primed.root, before)


def test_a_detached_head_names_the_journal_s_own_branch(tmp_path: Path) -> None:
    """A journal made by hand on `master`: the way back from a detached HEAD is `git switch master`."""
    root = tmp_path / "by-hand"
    root.mkdir()
    git(root, "init", "-q", "-b", "master")
    succeeded(attempt("--home", str(root), "init"))
    git(root, "checkout", "-q", "--detach")
    before = state(root)
    one_line_error(attempt("--home", str(root), "copilot", "set", "4"), "switch master")
    unchanged(root, before)


def test_a_journal_on_master_works(tmp_path: Path) -> None:
    """An adopted journal whose branch is `master`: commits land on it."""
    root = tmp_path / "by-hand"
    root.mkdir()
    git(root, "init", "-q", "-b", "master")
    succeeded(attempt("--home", str(root), "init"))
    before = state(root)
    succeeded(attempt("--home", str(root), "copilot", "set", "4"))
    assert one_commit(root, before).startswith("copilot: 4/")
    assert git(root, "branch", "--show-current").strip() == "master"


def test_a_worktree_journal_works_and_commits_on_its_own_branch(primed: Primed, tmp_path: Path) -> None:
    """A journal that is a `git worktree` (.git is a file): one commit, on the worktree's branch."""
    tree = tmp_path / "wt"
    git(primed.root, "worktree", "add", "-q", "-b", "laptop", str(tree))
    main_before = state(primed.root)
    before = state(tree)
    succeeded(attempt("--home", str(tree), "copilot", "set", "33"))
    assert one_commit(tree, before).startswith("copilot: 33/")
    assert git(tree, "branch", "--show-current").strip() == "laptop"
    unchanged(primed.root, main_before)


def test_a_failed_commit_in_a_worktree_journal_is_undone(primed: Primed, tmp_path: Path) -> None:
    """In a worktree (marker and index in its own git dir) a failed commit puts both files back."""
    tree = tmp_path / "wt"
    git(primed.root, "worktree", "add", "-q", "-b", "laptop", str(tree))
    before = state(tree)
    hook_dir = primed.root / ".git" / "hooks"
    hook_dir.mkdir(exist_ok=True)
    failing = hook_dir / "prepare-commit-msg"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    one_line_error(attempt("--home", str(tree), "backlog", "done", "1"))
    failing.unlink()
    unchanged(tree, before)


def test_a_separate_git_dir_journal_works(tmp_path: Path) -> None:
    """`git init --separate-git-dir`: init adopts it, and every command commits there."""
    root, store = tmp_path / "journal", tmp_path / "store.git"
    subprocess.run(["git", "init", "-q", "-b", "main", f"--separate-git-dir={store}", str(root)], check=True)
    succeeded(attempt("--home", str(root), "init"))
    before = state(root)
    succeeded(attempt("--home", str(root), "backlog", "add", "[M] a task"))
    assert one_commit(root, before).startswith("backlog: add")
    assert (root / ".git").is_file()
    assert not (root / ".git").is_dir()


def test_a_dot_git_file_pointing_nowhere_is_one_line(primed: Primed, tmp_path: Path) -> None:
    """`.git` names a git dir that was moved away: one line, nothing written."""
    real = tmp_path / "moved.git"
    (primed.root / ".git").rename(real)
    (primed.root / ".git").write_text(f"gitdir: {tmp_path / 'gone.git'}\n")
    before = files(primed.root)
    outcome = attempt("copilot", "set", "4")
    one_line_error(outcome, "git")
    assert files(primed.root) == before


def test_a_damaged_head_refuses_writes_in_one_line(primed: Primed) -> None:
    """HEAD overwritten with garbage: writing commands say the git folder is damaged, nothing written."""
    (primed.root / ".git" / "HEAD").write_text("garbage\n")
    before = files(primed.root)
    for args in (("copilot", "set", "4"), primed.log_args()):
        one_line_error(attempt(*args), "damaged", "git -C")
    assert files(primed.root) == before


def test_history_with_a_damaged_head_says_so(primed: Primed) -> None:
    """`history` cannot read the commits: it says the git folder is damaged instead of 'no history'."""
    (primed.root / ".git" / "HEAD").write_text("garbage\n")
    before = files(primed.root)
    one_line_error(attempt("history"), "damaged")
    assert files(primed.root) == before


def test_reading_commands_work_while_another_git_holds_the_index(primed: Primed) -> None:
    """index.lock blocks writes only: show, list, calibration and history still answer."""
    (primed.root / ".git" / "index.lock").write_text("")
    before = state(primed.root)
    for args in (
        ("copilot", "show"),
        ("backlog", "list"),
        ("calibration",),
        ("history",),
        ("gemini", "show"),
    ):
        succeeded(attempt(*args))
    (primed.root / ".git" / "index.lock").unlink()
    unchanged(primed.root, before)


def test_packed_refs_after_git_gc_keep_working(primed: Primed) -> None:
    """After `git gc` (refs packed, no loose branch file) commands commit as before."""
    git(primed.root, "gc", "-q")
    git(primed.root, "pack-refs", "--all")
    assert not (primed.root / ".git" / "refs" / "heads" / "main").exists()
    before = state(primed.root)
    succeeded(attempt(*primed.log_args()))
    assert one_commit(primed.root, before).startswith("session ")


def test_autocrlf_in_the_global_config_keeps_the_tree_clean(primed: Primed) -> None:
    """core.autocrlf=true from the user's dotfiles: the command commits and the tree stays clean."""
    git(primed.root, "config", "--global", "core.autocrlf", "true")
    before = state(primed.root)
    outcome = attempt(*primed.log_args())
    succeeded(outcome)
    assert "warning" not in outcome.err.lower()
    one_commit(primed.root, before)


def test_a_bisect_in_progress_is_refused_or_lands_on_the_branch(primed: Primed) -> None:
    """`git bisect start` (HEAD still on main until marked): the commit lands on main or nothing does."""
    git(primed.root, "bisect", "start")
    before = state(primed.root)
    outcome = attempt("copilot", "set", "4")
    if outcome.code == 0:
        one_commit(primed.root, before)
        assert git(primed.root, "branch", "--show-current").strip() == "main"
    else:
        one_line_error(outcome, "bisect")
        unchanged(primed.root, before)
