"""A sync that cannot finish says so in one line, leaves the journal as it was (or fully merged, never
half), and the next `sync` completes once the cause is gone: an unreachable remote, one that refuses,
one that asks for credentials, one rewritten by a force-push, one that is not a journal, a merge no
driver can resolve, a sync killed with SIGKILL, and two syncs at once.

Real parts only: bare repositories, `git daemon`, an HTTP server answering 401 in front of
`git http-backend`, real processes killed for real."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from git_http_server import PASSWORD, USER, GitHttpServer
from sync_kit import TYPE, GitDaemon, Machine, bare, calibration_figures, expected_calibration, fsck, git


def one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def snapshot(m: Machine) -> tuple[str, str]:
    """HEAD and every tracked file's content: what `unchanged` means."""
    return git(m.journal, "rev-parse", "HEAD"), git(m.journal, "ls-files", "-s")


def whole(m: Machine) -> None:
    """No merge half done, nothing uncommitted, the repository sound."""
    assert not (m.journal / ".git" / "MERGE_HEAD").exists()
    assert git(m.journal, "status", "--porcelain") == ""
    fsck(m.journal)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Machine, Machine, Path]:
    """Two machines on one remote, each with a session the other has not seen."""
    remote = bare(tmp_path / "remote.git")
    a = Machine(tmp_path, "laptop").setup(str(remote))
    a.sync()
    b = Machine(tmp_path, "desktop").setup(str(remote))
    b.sync()
    a.open(12, 100, five_before=10).close()
    a.sync()
    b.open(7, 50, five_before=4).close()
    return a, b, remote


def test_an_unreachable_remote(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    bare(served / "journal.git")
    daemon = GitDaemon(served)
    port, url = daemon.port, daemon.url("journal.git")
    daemon.close()  # nothing listens there any more
    m = Machine(tmp_path, "laptop").setup(url)
    m.open(3, 10, five_before=1).close()
    before = snapshot(m)
    line = one_line(m.run("sync"), "cannot be reached", "nothing changed here", url)
    assert snapshot(m) == before
    whole(m)
    again = GitDaemon.__new__(GitDaemon)  # the same address answers again
    again.base, again.port = served, port
    again.process = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", f"--base-path={served}",
         "--listen=127.0.0.1", f"--port={port}", str(served)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            done = m.run("sync")
            if done.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert done.returncode == 0, (line, done.stderr)
        assert git(served / "journal.git", "rev-parse", "main") == git(m.journal, "rev-parse", "HEAD")
    finally:
        again.close()


def test_a_remote_that_refuses_the_push(pair: tuple[Machine, Machine, Path]) -> None:
    a, b, remote = pair
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed for maintenance' >&2\nexit 1\n")
    hook.chmod(0o755)
    # The remote's own words are the reason shown, not git's "failed to push some refs".
    line = one_line(
        b.run("sync"), "refused the push (pushes are closed for maintenance)", "merged and committed"
    )
    whole(b)
    assert git(b.journal, "log", "-1", "--format=%s").startswith("sync: merged ")  # merged here, whole
    hook.unlink()
    b.sync()
    assert git(remote, "rev-parse", "main") == git(b.journal, "rev-parse", "HEAD"), line


def test_an_address_with_no_repository(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.git"
    m = Machine(tmp_path, "laptop").setup(str(missing))
    m.open(3, 10, five_before=1).close()
    before = snapshot(m)
    line = one_line(m.run("sync"), "has no repository at that address", "nothing changed here", str(missing))
    assert "and the repository exists" not in line and "Could not read" not in line
    assert snapshot(m) == before
    bare(missing)  # created: the next sync fills it
    m.sync()
    assert git(missing, "rev-parse", "main") == git(m.journal, "rev-parse", "HEAD")


def test_syncing_with_another_remote_is_not_a_rewrite(
    pair: tuple[Machine, Machine, Path], tmp_path: Path
) -> None:
    a, b, remote = pair
    backup = bare(tmp_path / "backup.git")
    a.ok("remote", "add", str(backup), "--name", "backup")
    a.ok("backlog", "add", "[M] a task the backup gets first")
    assert a.ok("sync").startswith("Synced with backup")  # a's head, ahead of origin's
    b.sync()  # origin moves on without a's newest commits
    a.ok("remote", "add", str(remote))  # back to origin (already a remote: chosen again)
    out = a.ok("sync")
    assert out.startswith("Synced with origin") and "rewritten" not in out, out
    a.ok("remote", "remove", "backup")
    assert "refs/ai-budget/remotes/backup" not in git(a.journal, "for-each-ref")


def test_a_remote_that_asks_for_credentials(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    bare(served / "journal.git")
    server = GitHttpServer(served)
    try:
        m = Machine(tmp_path, "laptop").setup(server.url("journal.git"))
        m.open(3, 10, five_before=1).close()
        before = snapshot(m)
        done = m.run("sync")
        one_line(done, "asks for credentials", "credential helper", "nothing changed here")
        assert snapshot(m) == before
        assert server.requests and not any(authorised for _, _, authorised in server.requests)
        # The user's own credential helper holds the password; ai-budget only runs git.
        store = tmp_path / "credentials"
        store.write_text(f"http://{USER}:{PASSWORD}@127.0.0.1:{server.port}\n")
        git(m.journal, "config", "credential.helper", f"store --file={store}")
        synced = m.run("sync")
        assert synced.returncode == 0, synced.stderr
        assert git(served / "journal.git", "rev-parse", "main") == git(m.journal, "rev-parse", "HEAD")
        for text in (done.stdout, done.stderr, synced.stdout, synced.stderr):
            assert PASSWORD not in text
        for path in m.journal.rglob("*"):
            if path.is_file() and path.name != "index":
                assert PASSWORD.encode() not in path.read_bytes(), path
    finally:
        server.close()


def test_an_address_with_a_password_is_never_kept(tmp_path: Path) -> None:
    m = Machine(tmp_path, "laptop").setup()
    done = m.run("remote", "add", f"https://me:{PASSWORD}@example.invalid/journal.git")
    line = one_line(done, "password or token", "credential helper")
    assert PASSWORD not in line and PASSWORD not in done.stdout
    assert PASSWORD not in (m.journal / ".git" / "config").read_text()
    assert m.ok("remote").startswith("No remote")


def test_a_force_pushed_remote_loses_nothing(pair: tuple[Machine, Machine, Path], tmp_path: Path) -> None:
    a, b, remote = pair
    b.sync()
    a.sync()
    start_sessions = {s.sid for s in a.sessions + b.sessions}
    # Someone rewrites the remote: the newest commit amended in a clone, and the old tip put back on top
    # of an older one (a force-push).
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    git(clone, "commit", "--amend", "-q", "-m", "rewritten by hand")
    git(clone, "push", "-q", "--force", "origin", "HEAD:main")
    c = a.open(a.last_five + 2, 40)
    c.close()
    out = a.sync()
    assert "rewritten since the last sync" in out and "nothing of either lost" in out
    b.sync()
    a.sync()
    whole(a)
    rows = a.session_rows()
    assert set(rows) == start_sessions | {c.sid}
    sessions = a.sessions + b.sessions
    start = {"samples": 0, "units": 0, "total_5h_pct": 0, "token_units": 0, "total_output_tokens": 0}
    assert calibration_figures(a.budget()["calibration"][TYPE]) == expected_calibration(sessions, start)
    assert git(a.journal, "rev-parse", "HEAD") == git(b.journal, "rev-parse", "HEAD")


@pytest.mark.parametrize("what", ["a code repository", "only another branch"])
def test_a_remote_that_is_not_a_journal(tmp_path: Path, what: str) -> None:
    remote = bare(tmp_path / "code.git")
    clone = tmp_path / "code"
    subprocess.run(
        ["git", "init", "-q", "-b", "main" if what == "a code repository" else "trunk", str(clone)]
    )
    (clone / "README.md").write_text("# some project\n")
    git(clone, "add", "README.md")
    git(clone, "commit", "-q", "-m", "project")
    git(clone, "push", "-q", str(remote), "HEAD")
    before_remote = git(remote, "for-each-ref")
    m = Machine(tmp_path, "laptop").setup(str(remote))
    m.open(2, 10, five_before=1).close()
    before = snapshot(m)
    one_line(m.run("sync"), "is not an ai-budget journal", "nothing changed here")
    assert snapshot(m) == before and git(remote, "for-each-ref") == before_remote
    whole(m)
    m.ok("remote", "remove", "origin")
    journal_remote = bare(tmp_path / "journal.git")
    m.ok("remote", "add", str(journal_remote))
    m.sync()
    assert git(journal_remote, "rev-parse", "main") == git(m.journal, "rev-parse", "HEAD")


def test_a_merge_no_driver_can_resolve(pair: tuple[Machine, Machine, Path]) -> None:
    a, b, remote = pair
    for m, text in ((a, "written on the laptop\n"), (b, "written on the desktop\n")):
        (m.journal / "notes.txt").write_text(text)
        git(m.journal, "add", "notes.txt")
        git(m.journal, "commit", "-q", "-m", "my notes")
    a.sync()
    before = snapshot(b)
    one_line(b.run("sync"), "stopped in notes.txt", "nothing changed here", "git -C")
    assert snapshot(b) == before
    whole(b)
    # The user merges that file by hand, as the line says; the next sync completes.
    subprocess.run(
        ["git", "-C", str(b.journal), "pull", "-q", "--no-rebase", "origin", "main"], capture_output=True
    )
    (b.journal / "notes.txt").write_text("written on both\n")
    git(b.journal, "add", "notes.txt")
    git(b.journal, "commit", "-q", "--no-edit")
    b.sync()
    a.sync()
    assert git(a.journal, "rev-parse", "HEAD") == git(b.journal, "rev-parse", "HEAD")
    assert set(a.session_rows()) == {s.sid for s in a.sessions + b.sessions}


def test_two_syncs_at_once_on_one_journal(pair: tuple[Machine, Machine, Path]) -> None:
    a, b, remote = pair
    before = git(b.journal, "rev-parse", "HEAD").strip()
    running = [b.popen("sync") for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in running]
    assert [p.returncode for p in running] == [0, 0], outs
    whole(b)
    assert git(remote, "rev-parse", "main") == git(b.journal, "rev-parse", "HEAD")
    merges = git(
        b.journal, "log", "--merges", "--first-parent", "--format=%s", f"{before}..HEAD"
    ).splitlines()
    assert len(merges) == 1 and merges[0].startswith("sync: merged")  # the second found it done
    assert any(b"nothing new either way" in out for out, _ in outs)


@pytest.mark.parametrize("delay", [0.2, 0.4, 0.6, 0.8, 1.0, 1.4])
def test_a_sync_killed_with_sigkill(pair: tuple[Machine, Machine, Path], delay: float) -> None:
    """Killed at moments from the fetch through the merge beside the journal to the push."""
    a, b, remote = pair
    before = snapshot(b)
    process = b.popen("sync")
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.3)  # an orphaned git of the killed sync may still be finishing
    head = git(b.journal, "rev-parse", "HEAD")
    # Unchanged, or the merge committed whole: never a merge half done once the next command ran.
    b.ok("sessions")
    whole(b)
    if head == before[0]:
        assert snapshot(b) == before
    b.sync()
    a.sync()
    whole(b)
    assert git(b.journal, "worktree", "list", "--porcelain").count("worktree ") == 1  # the merge's is gone
    heads = {git(m, "rev-parse", "HEAD" if m != remote else "main") for m in (a.journal, b.journal, remote)}
    assert len(heads) == 1
    assert set(b.session_rows()) == {s.sid for s in a.sessions + b.sessions}
    start = {"samples": 0, "units": 0, "total_5h_pct": 0, "token_units": 0, "total_output_tokens": 0}
    sessions = a.sessions + b.sessions
    assert calibration_figures(b.budget()["calibration"][TYPE]) == expected_calibration(sessions, start)


def test_no_remote_means_nothing_is_pushed(tmp_path: Path) -> None:
    m = Machine(tmp_path, "laptop").setup()
    before = snapshot(m)
    one_line(m.run("sync"), "no remote to sync with", "ai-budget remote add URL", "nothing is ever pushed")
    assert snapshot(m) == before
    assert git(m.journal, "remote") == ""
