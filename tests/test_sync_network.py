"""Three machines over a network transport: `git daemon` on 127.0.0.1 (started and stopped by the test),
sessions on all three the same day, one machine offline while the others sync round after round, and
all three syncing at the same moment. They end as one journal, every session once, the calibration one
machine would have computed from every session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_kit import TYPE, GitDaemon, Machine, bare, calibration_figures, expected_calibration, fsck, git
from test_sync import assert_one_journal


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[GitDaemon]:
    served = tmp_path / "served"
    served.mkdir()
    bare(served / "journal.git")
    running = GitDaemon(served)
    yield running
    running.close()


def test_three_machines_over_git_daemon(tmp_path: Path, daemon: GitDaemon) -> None:
    url = daemon.url("journal.git")
    laptop = Machine(tmp_path, "laptop").setup(url)
    laptop.sync()
    desktop = Machine(tmp_path, "desktop").setup(url)
    desktop.sync()
    server = Machine(tmp_path, "server").setup(url)
    server.sync()
    start = laptop.budget()["calibration"][TYPE]

    # The server goes offline with a session of its own; the others work and sync round after round.
    s1 = server.open(8, 90, five_before=5)
    s2 = laptop.open(9, 100, five_before=8)  # at the same time as the server's
    s1.close()
    s2.close()
    for _ in range(3):
        a = laptop.open(laptop.last_five + 2, 50)
        a.close()
        laptop.sync()
        b = desktop.open((desktop.last_five or 0) + 3, 70)
        b.close()
        desktop.sync()
    s3 = server.open(server.last_five + 4, 30, units=3)
    s3.close()
    sessions = laptop.sessions + desktop.sessions + server.sessions

    # All three at the same moment: pushes race, the losers fetch and merge again.
    running = [m.popen("sync") for m in (laptop, desktop, server)]
    for process in running:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err.decode()
    for m in (laptop, desktop, server, laptop, desktop):
        m.sync()
    assert_one_journal([laptop, desktop, server], tmp_path / "served" / "journal.git", sessions, start)
    assert calibration_figures(server.budget()["calibration"][TYPE]) == expected_calibration(sessions, start)
    merges = git(laptop.journal, "log", "--merges", "--format=%s").splitlines()
    assert merges and all(m.startswith("sync: merged ") for m in merges)
    fsck(laptop.journal)
