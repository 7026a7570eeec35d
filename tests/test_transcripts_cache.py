"""The transcript cache: warm runs read only what changed, and the forked second process does its half."""

from __future__ import annotations

import gc
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from transcript_builder import SESSION, assistant, encoded, project_dir, usage, write

from ai_budget.claude.transcripts import PARALLEL_MIN_FILES, Index, Message
from ai_budget.claude.transcripts import cache as cache_module
from ai_budget.claude.transcripts import tokens as query
from ai_budget.claude.transcripts.cache import CACHE_VERSION

BASE = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the second process is forked")


@pytest.fixture
def claude(home: Path) -> Path:
    path = home / ".claude"
    path.mkdir()
    return path


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork a second process even on a one-core machine."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def all_time(claude: Path, index: Index | None = None, **kw: Any) -> tuple[dict, Index]:
    """Every entry of every file through `index` (a fresh cached one by default), and the index."""
    index = index or Index()
    return query([claude], all_sessions=True, index=index, **kw).as_dict(), index


def session_file(claude: Path, name: str, lines: list[str]) -> Path:
    return write(project_dir(claude) / f"{name}.jsonl", lines)


def append(path: Path, lines: list[str]) -> int:
    """Add whole lines to a file; the number of bytes added."""
    data = encoded(lines)
    with open(path, "ab") as handle:
        handle.write(data)
    return len(data)


# --- one process ------------------------------------------------------------------------------------


def test_cache_gives_the_same_totals_as_a_cold_run(claude: Path, home: Path) -> None:
    path = write(
        project_dir(claude) / f"{SESSION}.jsonl", [assistant("msg_1", usage(out=7))], final_newline=False
    )
    cache = home / ".cache" / "ai-budget"

    def cold() -> dict:
        return all_time(claude, Index(use_cache=False))[0]

    assert cold()["output_tokens"] == 7
    assert not cache.exists()  # --no-cache writes nothing
    assert all_time(claude)[0]["output_tokens"] == 7
    # Grown: the torn last line becomes whole, more lines follow.
    with open(path, "ab") as handle:
        handle.write(b"\n" + assistant("msg_2", usage(out=5)).encode() + b"\n")
    assert all_time(claude)[0] == cold()
    assert all_time(claude)[0]["output_tokens"] == 12
    # Rewritten in place with other content.
    session_file(claude, SESSION, [assistant("msg_9", usage(out=100))])
    assert all_time(claude)[0]["output_tokens"] == 100 == cold()["output_tokens"]
    # A second file, then deleted.
    other = session_file(claude, "second", [assistant("msg_x", usage(out=1))])
    assert all_time(claude)[0]["output_tokens"] == 101
    other.unlink()
    assert all_time(claude)[0] == cold()
    assert list(Index().dir.glob("summaries*.marshal"))
    assert Index().dir.parent == cache and Index().dir.name.startswith(f"transcripts-v{CACHE_VERSION}-")


def test_corrupt_cache_is_ignored(claude: Path, home: Path) -> None:
    session_file(claude, SESSION, [assistant("msg_1", usage(out=7))])
    all_time(claude)
    for path in Index().dir.iterdir():
        path.write_bytes(b"garbage")
    assert all_time(claude)[0]["output_tokens"] == 7


def test_a_warm_run_reads_only_the_bytes_appended(claude: Path) -> None:
    first = [assistant("msg_1", usage(out=7)), assistant("msg_2", usage(out=5))]
    other = [assistant("msg_b", usage(out=100))]
    a, b = session_file(claude, "a", first), session_file(claude, "b", other)
    data, index = all_time(claude)
    assert index.stats.here == {str(a): len(encoded(first)), str(b): len(encoded(other))}
    assert data["output_tokens"] == 7 + 5 + 100

    added = append(a, [assistant("msg_3", usage(out=1000))])
    data, index = all_time(claude)
    # `a` resumed where the last run stopped; `b`, unchanged, was not read at all.
    assert index.stats.here == {str(a): added}
    assert index.stats.child == {}
    assert (data["output_tokens"], data["exchanges"]) == (7 + 5 + 100 + 1000, 4)

    data, index = all_time(claude)
    assert index.stats.here == {}
    assert data["output_tokens"] == 7 + 5 + 100 + 1000


def test_a_torn_last_line_is_read_again_from_its_start(claude: Path) -> None:
    whole = assistant("msg_1", usage(out=7)) + "\n"
    torn = assistant("msg_2", usage(out=5))
    path = project_dir(claude) / f"{SESSION}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes((whole + torn[:30]).encode())
    data, index = all_time(claude)
    assert (data["output_tokens"], index.stats.here) == (7, {str(path): len(whole) + 30})

    with open(path, "ab") as handle:
        handle.write((torn[30:] + "\n").encode())
    data, index = all_time(claude)
    # The stored offset is the start of the torn line: the line is read again, whole.
    assert (data["output_tokens"], index.stats.here) == (7 + 5, {str(path): len(torn) + 1})


def test_a_rewritten_file_is_read_whole(claude: Path) -> None:
    session_file(claude, SESSION, [assistant("msg_1", usage(out=7))])
    all_time(claude)
    lines = [assistant("msg_9", usage(out=100)), assistant("msg_8", usage(out=20))]
    path = session_file(claude, SESSION, lines)  # longer, and different from the first byte on
    data, index = all_time(claude)
    assert (data["output_tokens"], index.stats.here) == (120, {str(path): len(encoded(lines))})


def test_one_index_resumes_from_its_own_unsaved_scan(claude: Path) -> None:
    # An active session grows while a query runs: the second scan must build on the first
    # (held in memory), not on the older copy in the cache files.
    path = session_file(claude, SESSION, [assistant("msg_1", usage(out=1))])
    all_time(claude)
    index = Index()
    second = append(path, [assistant("msg_2", usage(out=2))])
    index.scan(path)
    assert index.stats.here == {str(path): second}
    third = append(path, [assistant("msg_3", usage(out=3))])
    index.scan(path)
    assert index.stats.here == {str(path): third}
    assert sorted(index.messages(path)) == ["msg_1", "msg_2", "msg_3"]
    assert all(type(m) is Message for m in index.messages(path).values())


# --- two processes ----------------------------------------------------------------------------------


def many_files(claude: Path) -> tuple[dict[str, int], int]:
    """Twice the files that make a second process pay: (bytes of each file, total output tokens)."""
    sizes = {}
    for i in range(PARALLEL_MIN_FILES * 2):
        lines = [
            assistant(f"msg_{i}_{j}", usage(inp=1, out=10 * i + j, read=j), when=BASE + timedelta(hours=j))
            for j in range(3)
        ]
        path = session_file(claude, f"s{i}", lines + lines[:2])  # with repeated copies
        sizes[str(path)] = len(encoded(lines + lines[:2]))
    return sizes, sum(10 * i + j for i in range(PARALLEL_MIN_FILES * 2) for j in range(3))


@linux_only
@pytest.mark.usefixtures("two_cores")
@pytest.mark.parametrize("use_cache", [False, True])
def test_many_files_are_scanned_in_two_processes_with_the_same_totals(claude: Path, use_cache: bool) -> None:
    sizes, output = many_files(claude)
    n = len(sizes)
    data, index = all_time(claude, Index(use_cache=use_cache))
    assert (data["output_tokens"], data["exchanges"]) == (output, 3 * n)
    here, child = index.stats.here, index.stats.child
    # Both processes read files, and together each file once, whole: the child's scans were used.
    assert here and child and here.keys().isdisjoint(child)
    assert {**here, **child} == sizes
    assert gc.isenabled()  # paused while reading, and only then

    # The child's messages came along too: a window that cuts every file needs them, and
    # nothing is read again to get them.
    window = query([claude], since=BASE + timedelta(hours=1), until=BASE + timedelta(hours=3), index=index)
    assert window.total.output_tokens == sum(10 * i + j for i in range(n) for j in (1, 2))
    assert (index.stats.here, index.stats.child) == (here, child)

    if use_cache:  # and the cache they filled serves the next runs without reading anything
        data, index = all_time(claude)
        assert (data["output_tokens"], index.stats.here, index.stats.child) == (output, {}, {})
        index = Index()
        again = query([claude], since=BASE + timedelta(hours=1), until=BASE + timedelta(hours=3), index=index)
        assert (again.total, index.stats.here, index.stats.child) == (window.total, {}, {})


@linux_only
@pytest.mark.usefixtures("two_cores")
def test_a_failed_second_process_is_made_up_for(claude: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent, real_scan = os.getpid(), cache_module.scan_file

    def dies_in_the_child(*args: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("the second process fails")
        return real_scan(*args)

    monkeypatch.setattr(cache_module, "scan_file", dies_in_the_child)
    sizes, output = many_files(claude)
    data, index = all_time(claude)
    assert data["output_tokens"] == output
    assert (index.stats.here, index.stats.child) == (sizes, {})
