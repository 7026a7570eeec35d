"""The session a by-hand `check` or `log` belongs to: the newest transcript written in the last half
hour, this folder's first. Its quick listing (only the project folders) must name the same sessions
as the full listing the token reports use, in the same order."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from transcript_builder import project_dir

from ai_budget.claude.transcripts.discover import find_transcripts
from ai_budget.session.live import ACTIVE, newest_active, session_files

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
HERE, ELSEWHERE = "/home/dev/here", "/home/dev/elsewhere"


def write(path: Path, written: datetime = NOW) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"type":"user"}\n')
    os.utime(path, (written.timestamp(), written.timestamp()))
    return path


def tricky_tree(tmp_path: Path) -> list[Path]:
    """Two Claude dirs holding everything the listing rules tell apart; returns the dirs."""
    first, second = tmp_path / "one" / ".claude", tmp_path / "two" / ".claude"
    here, there = project_dir(first, HERE), project_dir(first, ELSEWHERE)
    write(here / "s1.jsonl")
    write(here / "agent-a1.jsonl")  # a subagent beside the sessions
    write(here / "s1" / "subagents" / "agent-a2.jsonl")  # below a session: never a session
    write(here / "journal.jsonl")
    write(here / "notes.txt")
    (here / "folder.jsonl").mkdir()  # a folder, not a transcript
    write(there / "s2.jsonl")
    write(first / "projects" / "top.jsonl")  # beside the project folders: not a session
    unreadable = write(there / "s3.jsonl")
    unreadable.chmod(0)
    os.mkfifo(there / "pipe.jsonl")
    write(project_dir(second, HERE) / "s4.jsonl")
    # A linked project folder is not entered (listed first, it would name s4 under its own name).
    os.symlink(project_dir(second, HERE), first / "projects" / "linked")
    os.link(here / "s1.jsonl", project_dir(second, HERE) / "s1-again.jsonl")  # one file, two names
    return [first, second]


def test_the_quick_listing_names_the_full_listings_sessions_in_its_order(tmp_path: Path) -> None:
    dirs = tricky_tree(tmp_path)
    full = [(t.project.name, t.path.stem, t.mtime_ns) for t in find_transcripts(dirs) if t.is_session]
    quick = [tuple(found) for found in session_files(dirs)]
    assert quick == full
    readable = os.access(project_dir(dirs[0], ELSEWHERE) / "s3.jsonl", os.R_OK)  # root reads anything
    # Built to hold s1, s2, s4 (and s3 where the tests run as root), whatever the listing order.
    assert sorted(stem for _, stem, _ in quick) == ["s1", "s2"] + (["s3"] if readable else []) + ["s4"]


@pytest.mark.parametrize("listed", [False, True], ids=["own listing", "the command's listing"])
def test_this_folders_newest_recent_session_first_else_the_newest_anywhere(
    tmp_path: Path, listed: bool
) -> None:
    claude = tmp_path / ".claude"
    write(project_dir(claude, HERE) / "old-here.jsonl", NOW - ACTIVE - timedelta(minutes=1))
    write(project_dir(claude, HERE) / "recent-here.jsonl", NOW - timedelta(minutes=20))
    write(project_dir(claude, HERE) / "agent-newer.jsonl", NOW - timedelta(minutes=1))
    write(project_dir(claude, HERE) / "recent-here" / "subagents" / "agent-x.jsonl", NOW)
    write(project_dir(claude, ELSEWHERE) / "newest-elsewhere.jsonl", NOW - timedelta(minutes=2))
    # `log` hands over the listing it made anyway; the subagents in it never name the session.
    given = find_transcripts([claude]) if listed else None

    def newest(now: datetime, cwd: str) -> str | None:
        return newest_active([claude], now, Path(cwd), given)

    assert newest(NOW, HERE) == "recent-here"
    assert newest(NOW, "/home/dev/third") == "newest-elsewhere"
    later = NOW + timedelta(minutes=15)  # recent-here is now 35 minutes old: not active any more
    assert newest(later, HERE) == "newest-elsewhere"
    assert newest(NOW + timedelta(hours=1), HERE) is None


@pytest.mark.parametrize("missing", ["projects", "claude dir"])
def test_no_transcripts_no_session(tmp_path: Path, missing: str) -> None:
    claude = tmp_path / ".claude"
    if missing == "projects":
        claude.mkdir()
    assert newest_active([claude], NOW, Path(HERE)) is None


def test_the_listing_keeps_each_path_as_text_and_as_the_same_path(tmp_path: Path) -> None:
    dirs = tricky_tree(tmp_path)
    here, there = project_dir(dirs[0], HERE), project_dir(dirs[0], ELSEWHERE)
    readable = os.access(there / "s3.jsonl", os.R_OK)
    expected = {  # built by tricky_tree: (the file, its project folder, a session, a subagent)
        (here / "s1.jsonl", here, True, False),
        (here / "agent-a1.jsonl", here, False, True),
        (here / "s1" / "subagents" / "agent-a2.jsonl", here, False, True),
        (there / "s2.jsonl", there, True, False),
        (dirs[0] / "projects" / "top.jsonl", dirs[0] / "projects", False, False),
        (project_dir(dirs[1], HERE) / "s4.jsonl", project_dir(dirs[1], HERE), True, False),
    } | ({(there / "s3.jsonl", there, True, False)} if readable else set())
    listed = find_transcripts(dirs)
    assert {(t.path, t.project, t.is_session, t.is_agent) for t in listed} == expected
    assert all(t.file == str(t.path) for t in listed)


def test_a_folder_outside_ascii_is_named_as_claude_code_names_it_on_both_lookups(tmp_path: Path) -> None:
    # Claude Code keeps ASCII letters and digits only: "josé" becomes "jos-".
    from ai_budget import paths
    from ai_budget.claude.transcripts import Index
    from ai_budget.claude.transcripts.discover import newest_session

    cwd = Path("/home/josé/app")
    assert paths.claude_project(str(cwd)) == "-home-jos--app"
    claude = tmp_path / ".claude"
    mine = write(claude / "projects" / "-home-jos--app" / "aaaaaaaa-0000-0000-0000-000000000001.jsonl", NOW)
    write(
        claude / "projects" / "-elsewhere" / "bbbbbbbb-0000-0000-0000-000000000002.jsonl", NOW + timedelta(1)
    )
    later = NOW + timedelta(minutes=1)
    assert newest_active([claude], later, cwd) == mine.stem  # its own project first, though older
    listing = find_transcripts([claude])
    assert newest_session(listing, cwd, Index(use_cache=False).scan).path == mine
