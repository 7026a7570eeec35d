"""Transcript folders as they are found in the wild: FIFOs, broken links, giant lines, files
rewritten in place. Every total follows from the lines each test writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run
from transcript_builder import assistant, project_dir, usage, write


@pytest.fixture
def claude(home: Path) -> Path:
    return home / ".claude"


def totals(*args: str) -> dict:
    result = run("tokens", "--all", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_fifo_sockets_and_devices_are_skipped_not_read(claude: Path) -> None:
    folder = project_dir(claude)
    write(folder / "real.jsonl", [assistant("m1", usage(out=40))])
    os.mkfifo(folder / "pipe.jsonl")  # opening this for reading would wait for a writer for ever
    done = subprocess.run(
        [sys.executable, "-m", "ai_budget", "tokens", "--all", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["output_tokens"] == 40
    assert data["warnings"] == []


def test_a_file_that_cannot_be_read_is_counted_and_said_in_one_warning(claude: Path) -> None:
    folder = project_dir(claude)
    write(folder / "real.jsonl", [assistant("m1", usage(out=7))])
    (folder / "gone.jsonl").symlink_to(folder / "nowhere.jsonl")  # a link to nothing cannot be read
    data = totals()
    assert data["output_tokens"] == 7
    assert len(data["warnings"]) == 1
    assert data["warnings"][0].startswith("1 transcript file(s) or folder(s) unreadable, not counted: ")
    assert "gone.jsonl" in data["warnings"][0]
    assert "Warning: 1 transcript file(s)" in run("tokens", "--all").stdout


def test_a_line_over_32_mb_is_skipped_without_being_held_whole(claude: Path, tmp_path: Path) -> None:
    folder = project_dir(claude)
    big = b'{"type":"user","message":{"content":"' + b"x" * (80 << 20) + b'"}}\n'
    path = folder / "huge.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        out.write((assistant("before", usage(out=3)) + "\n").encode())
        out.write(big)
        out.write((assistant("after", usage(out=5)) + "\n").encode())
    del big
    # Python's own allocations, traced in a fresh process (its RSS would include the parent's).
    code = (
        "import contextlib, io, json, sys, tracemalloc; tracemalloc.start(); from ai_budget.cli import main\n"
        "sys.argv = ['ai-budget', 'tokens', '--all', '--json', '--no-cache']; out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try: main()\n"
        "    except SystemExit: pass\n"
        "data = json.loads(out.getvalue())\n"
        "print(data['output_tokens'], len(data['warnings']), tracemalloc.get_traced_memory()[1] >> 20)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    output, warnings, peak_mb = (int(x) for x in done.stdout.split())
    assert (output, warnings) == (3 + 5, 1)
    assert peak_mb < 64  # an 80 MB line was never held whole (at most the 32 MB cap and a chunk)


def test_a_file_rewritten_in_place_with_the_same_head_is_read_again(claude: Path) -> None:
    path = project_dir(claude) / "s.jsonl"
    first = [assistant(f"m{i}", usage(out=10)) for i in range(3)]
    write(path, first)
    assert totals()["output_tokens"] == 30
    # The same first lines (longer than the 256 bytes the cache compares), then different ones,
    # and a longer file: it looks grown, but the bytes before the cached offset changed.
    rewritten = first[:2] + [assistant("m2", usage(out=1000)), assistant("m3", usage(out=1))]
    write(path, rewritten)
    assert totals()["output_tokens"] == 10 + 10 + 1000 + 1
    assert totals("--no-cache")["output_tokens"] == 1021
