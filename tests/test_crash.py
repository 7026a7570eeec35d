"""kill -9 at random moments of `log` and `copilot set`: the next command works, with no repair, and
every killed command either landed whole (its files and one commit) or left nothing behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import budget, git, run, subjects
from usage_server import usage_body

KILLS_PER_COMMAND = 25
# The kills run in PARTS tests of their own journal each, so parallel workers share them out.
PARTS = 5


def cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ai_budget", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def state_is_whole(journal: Path) -> list[str]:
    """What would need a manual repair: a dirty tree, leftovers, an unreadable budget.json."""
    problems = []
    if git(journal, "status", "--porcelain", "--untracked-files=all"):
        problems.append("dirty tree: " + git(journal, "status", "--porcelain", "--untracked-files=all"))
    if (journal / ".git" / "index.lock").exists():
        problems.append("index.lock left")
    leftovers = [p.name for p in journal.rglob(".*.tmp")]
    if leftovers:
        problems.append(f"temp files {leftovers}")
    try:
        json.loads((journal / "budget.json").read_text())
    except ValueError:
        problems.append("budget.json unreadable")
    return problems


@pytest.fixture
def crash_journal(journal: Path, tmp_path: Path) -> tuple[Path, Path]:
    run("calibration", "add", "flashcard", "--unit", "per card")
    run("calibrate", "flashcard", "10", "20")
    response = tmp_path / "usage.json"
    response.write_text(usage_body(five=30.0))
    assert run("fetch", "--from-file", str(response)).exit_code == 0
    return journal, response


@pytest.mark.parametrize("part", range(PARTS))
def test_kill_9_at_random_points_needs_no_manual_repair(crash_journal: tuple[Path, Path], part: int) -> None:
    journal, response = crash_journal
    rng = random.Random(20261201 + part)
    marker = journal / ".git" / "ai-budget-transaction.json"
    repairs: list[str] = []
    killed_mid_write = 0

    def args_for(i: int) -> tuple[str, ...]:
        if i % 2 == 0:
            return (
                "log",
                "--from-file",
                str(response),
                "--done",
                f"flashcard 1 card {i}",
                "--lesson",
                f"l{i}",
            )
        return ("copilot", "set", str(100 + i))

    # How long each command takes here, so the kills spread over its whole run, writes included.
    took = {}
    for i in (-2, -1):
        start = time.monotonic()
        assert cli(*args_for(i)).wait() == 0
        took[i % 2] = time.monotonic() - start
    kills = 2 * KILLS_PER_COMMAND // PARTS
    for i in range(kills):
        args = args_for(i)
        commits_before = len(subjects(journal))
        proc = cli(*args)
        if i % 4 < 2:  # anywhere in the run
            time.sleep(rng.uniform(0.1, 1.05) * took[i % 2])
        else:  # inside the write: once the write-ahead marker appears, within its commit's time
            deadline = time.monotonic() + 5
            while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            # The first such kill comes at once, so each part surely kills one transaction mid-way.
            time.sleep(rng.uniform(0, 0.06) if i > 3 else 0)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_mid_write += marker.exists()
        # The next command, as a user would type it, works and recovers whatever was left.
        follow = subprocess.run(
            [sys.executable, "-m", "ai_budget", "copilot", "set", str(1000 + i)],
            capture_output=True,
            text=True,
        )
        if follow.returncode != 0:
            repairs.append(f"kill {i}: next command failed: {follow.stderr.strip()}")
            continue
        repairs += [f"kill {i}: {p}" for p in state_is_whole(journal)]
        landed = len(subjects(journal)) - commits_before - 1
        if landed not in (0, 1):
            repairs.append(f"kill {i}: {landed} commits for one command")
    sessions = sum(s.startswith("session ") for s in subjects(journal))
    logged = "".join(p.read_text() for p in (journal / "sessions").glob("*.md")).count("## Session ")
    samples = budget(journal)["calibration"]["flashcard"]["samples"]
    print(f"\n{kills} kills, {killed_mid_write} inside a write, {sessions} logs landed")
    assert repairs == []
    # Each landed log: one commit, one section, one sample; a killed one: none of them.
    assert logged == sessions
    assert samples == 1 + sessions
    assert killed_mid_write > 0, "no kill hit a transaction: the loop proved nothing"
