"""Kept `tokens` answers: the listing a kept answer is checked against sees every change a walk would.

A kept answer is replayed only while every Claude folder and `*.jsonl` under them has the identity
it had; a folder whose mtime has settled is stat'ed, not listed, so each change below must move
some stat'ed identity. Real files in the test's HOME; folders are aged with os.utime.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ai_budget import paths
from ai_budget.claude.answers import SETTLE_NS, Listing, _cache_dir, _claude_roots
from ai_budget.claude.transcripts.discover import find_transcripts

HOUR_AGO_NS = time.time_ns() - 3600 * 10**9


def line(output_tokens: int, msg_id: str) -> str:
    usage = {"input_tokens": 1, "output_tokens": output_tokens}
    message = {"id": msg_id, "model": "claude-sonnet-4-5", "usage": usage}
    record = {"type": "assistant", "timestamp": "2025-06-01T12:00:00.000Z", "message": message}
    return json.dumps(record) + "\n"


def make_tree(claude: Path) -> Path:
    """A Claude folder with a session, a 2.0.x subagent beside it and a >= 2.1.2 one under subagents/."""
    project = claude / "projects" / "-home-dev-app"
    (project / "s1" / "subagents").mkdir(parents=True)
    (project / "s1.jsonl").write_text(line(10, "msg_1"))
    (project / "agent-a1.jsonl").write_text(line(20, "msg_2"))
    (project / "s1" / "subagents" / "agent-b2.jsonl").write_text(line(30, "msg_3"))
    (project / "notes.txt").write_text("not a transcript")
    return project


def age(claude: Path) -> None:
    """Every folder's mtime an hour back: settled, as folders are between sessions."""
    for folder, _, _ in os.walk(claude):
        os.utime(folder, ns=(HOUR_AGO_NS, HOUR_AGO_NS))


@pytest.fixture
def claude(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = isolated / "claude"
    # Two config dirs, the second without a projects folder yet: making it is a change too.
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{folder},{isolated / 'second'}")
    make_tree(folder)
    age(folder)
    return folder


def append(project: Path) -> None:
    with (project / "s1.jsonl").open("a") as handle:
        handle.write(line(5, "msg_4"))


def same_size_rewrite(project: Path) -> None:
    path = project / "agent-a1.jsonl"
    path.write_text(path.read_text().replace("msg_2", "msg_9"))  # size kept, mtime moves


def new_subagent(project: Path) -> None:
    (project / "s1" / "subagents" / "agent-c3.jsonl").write_text(line(1, "msg_5"))


def removed(project: Path) -> None:
    (project / "agent-a1.jsonl").unlink()


def new_project(project: Path) -> None:
    other = project.parent / "-home-dev-other"
    other.mkdir()
    (other / "s2.jsonl").write_text(line(1, "msg_6"))


def new_session_folder(project: Path) -> None:
    (project / "s9" / "subagents").mkdir(parents=True)
    (project / "s9" / "subagents" / "agent-d4.jsonl").write_text(line(1, "msg_7"))


def second_config_dir(project: Path) -> None:
    projects = Path(os.environ["CLAUDE_CONFIG_DIR"].split(",")[1]) / "projects"
    projects.mkdir(parents=True)


def renamed(project: Path) -> None:
    (project / "agent-a1.jsonl").rename(project / "agent-a2.jsonl")


CHANGES: list[Callable[[Path], None]] = [
    append,
    same_size_rewrite,
    new_subagent,
    removed,
    new_project,
    new_session_folder,
    second_config_dir,
    renamed,
]


def test_a_settled_listing_is_checked_by_stat_and_sees_nothing_changed(claude: Path) -> None:
    listing = Listing.take()
    assert listing.settled
    project = claude / "projects" / "-home-dev-app"
    # Every folder (to see entries come and go) and every transcript, nothing else.
    assert set(listing.paths) >= {
        str(claude / "projects"),
        str(project),
        str(project / "s1" / "subagents"),
        str(project / "s1.jsonl"),
        str(project / "s1" / "subagents" / "agent-b2.jsonl"),
    }
    assert str(project / "notes.txt") not in listing.paths
    assert listing.unchanged()
    # Reading a transcript is no change.
    (project / "s1.jsonl").read_text()
    assert Listing.take().digest == listing.digest and listing.unchanged()


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_every_change_is_seen_by_a_settled_listing(claude: Path, change: Callable[[Path], None]) -> None:
    listing = Listing.take()
    assert listing.settled
    change(claude / "projects" / "-home-dev-app")
    assert not listing.unchanged()


def test_a_folder_changed_moments_before_is_listed_again(claude: Path) -> None:
    project = claude / "projects" / "-home-dev-app"
    # An entry added less than SETTLE_NS ago: another could follow within the same mtime tick.
    recent = time.time_ns() - SETTLE_NS // 2
    os.utime(project / "s1", ns=(recent, recent))
    listing = Listing.take()
    assert not listing.settled
    assert listing.unchanged()  # by a new walk
    new_session_folder(project)
    assert not listing.unchanged()


def test_a_recent_transcript_alone_leaves_the_listing_settled(claude: Path) -> None:
    append(claude / "projects" / "-home-dev-app")  # a file's own change is seen by its stat
    assert Listing.take().settled


def test_an_unlistable_folder_is_listed_again(claude: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root lists any folder")
    locked = claude / "projects" / "-home-dev-app" / "s1"
    locked.chmod(0)
    try:
        listing = Listing.take()
        assert not listing.settled and listing.unchanged()
    finally:
        locked.chmod(0o755)
    assert not listing.unchanged()


def test_the_listing_covers_every_transcript_the_cli_reads(claude: Path, isolated: Path) -> None:
    # One rule each side: the CLI's walk (discover.py) and the kept answers' must agree on what
    # is a transcript, or a changed file could leave an answer replayed.
    project = claude / "projects" / "-home-dev-app"
    elsewhere = isolated / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "linked.jsonl").write_text(line(2, "msg_8"))
    (project / "linked.jsonl").symlink_to(elsewhere / "linked.jsonl")
    (project / "journal.jsonl").write_text("{}\n")
    read = {str(t.path) for t in find_transcripts(paths.claude_dirs())}
    assert str(project / "linked.jsonl") in read
    assert read <= set(Listing.take().paths)
    assert {str(d / "projects") for d in paths.claude_dirs()} <= set(_claude_roots())


def test_answers_are_kept_in_the_cache_folder(isolated: Path) -> None:
    assert Path(_cache_dir()).parent == paths.cache_dir()


def tokens(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ai_budget", "tokens", "--all", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_a_replayed_answer_is_the_answer_until_a_subagent_appears(claude: Path) -> None:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)  # as people run it: a replay must flush what it printed
    first = tokens(env)
    assert json.loads(first.stdout)["output_tokens"] == 10 + 20 + 30
    kept = list(Path(_cache_dir()).iterdir())
    assert len(kept) == 1
    before = kept[0].stat().st_mtime_ns
    again = tokens(env)  # replayed: printed in full, nothing written
    assert again.stdout == first.stdout and again.stderr == ""
    assert kept[0].stat().st_mtime_ns == before
    new_subagent(claude / "projects" / "-home-dev-app")
    assert json.loads(tokens(env).stdout)["output_tokens"] == 10 + 20 + 30 + 1
