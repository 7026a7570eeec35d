"""The progress bar of long scans: drawn on a terminal's stderr after a second, never elsewhere."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run
from transcript_builder import assistant, project_dir, usage, write

from ai_budget.claude.transcripts import Index, find_transcripts
from ai_budget.claude.transcripts.cache import PARALLEL_MIN_FILES
from ai_budget.cli import progress
from ai_budget.cli.progress import ProgressBar, for_terminal, render


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_bar_waits_a_second_then_draws_files_and_mb() -> None:
    clock, out = Clock(), io.StringIO()
    bar = ProgressBar(out, clock)
    clock.now += 0.9
    bar(1, 4, 1_000_000, 4_000_000)
    assert out.getvalue() == ""  # a quick answer never shows a bar
    clock.now += 0.2
    bar(2, 4, 2_500_000, 4_000_000)
    drawn = "\rReading transcripts [###############.........] 2/4 files, 2.5/4.0 MB\x1b[K"
    assert out.getvalue() == drawn
    clock.now += 0.05
    bar(3, 4, 3_000_000, 4_000_000)
    assert out.getvalue() == drawn  # redrawn at most every 0.1 s...
    bar(4, 4, 4_000_000, 4_000_000)
    assert out.getvalue().endswith("] 4/4 files, 4.0/4.0 MB\x1b[K")  # ...but the end always
    bar.close()
    assert out.getvalue().endswith("\r\x1b[K")  # the line is left clear for the answer
    quiet = io.StringIO()
    ProgressBar(quiet, clock).close()
    assert quiet.getvalue() == ""
    late = ProgressBar(quiet, clock)
    clock.now += 1.5
    late(4, 4, 4_000_000, 4_000_000)  # done by the time a bar could show: none is flashed at 100 %
    late.close()
    assert quiet.getvalue() == ""


def test_render_with_nothing_to_read() -> None:
    assert render(0, 0, 0, 0) == "Reading transcripts [########################] 0/0 files, 0.0/0.0 MB"
    assert render(1_234, 5_000, 0, 2_000_000_000).endswith("1,234/5,000 files, 0.0/2,000.0 MB")


def test_only_a_terminal_gets_a_bar() -> None:
    primary, secondary = pty.openpty()
    with os.fdopen(secondary, "w") as terminal:
        assert isinstance(for_terminal(False, terminal, terminal), ProgressBar)
        assert for_terminal(True, terminal, terminal) is None  # --json: never
        assert for_terminal(False, terminal, io.StringIO()) is None  # the answer piped: never
        assert for_terminal(False, io.StringIO(), terminal) is None
    os.close(primary)


@pytest.fixture
def claude(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = home / ".claude"
    for i in range(PARALLEL_MIN_FILES + 4):  # enough files for the scan to fork
        write(
            project_dir(path) / f"s{i:02d}.jsonl", [assistant(f"m{i}", usage(out=i + 1), session=f"s{i:02d}")]
        )
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(path))
    return path


@pytest.mark.parametrize("count", [3, PARALLEL_MIN_FILES + 4])
def test_an_index_reports_every_stale_file_it_reads(claude: Path, count: int) -> None:
    files = sorted(find_transcripts([claude]), key=lambda t: t.path)[:count]
    seen: list[tuple[int, int, int, int]] = []
    index = Index(use_cache=True, progress=lambda *done: seen.append(done))
    index.prefetch(files)
    size = sum(t.size for t in files)
    assert seen[0] == (0, count, 0, size) and seen[-1] == (count, count, size, size)
    assert all(a[0] <= b[0] and a[2] <= b[2] for a, b in zip(seen, seen[1:], strict=False))
    # A report as each file here is read (with a fork, this process reads about half of them).
    assert len(seen) >= 2 + count // 3
    if count >= PARALLEL_MIN_FILES:  # the child's half is assumed read as fast as this one
        assert seen[-2][2] == size
    index.save()
    again: list[tuple[int, int, int, int]] = []
    Index(progress=lambda *done: again.append(done)).prefetch(files)
    assert again == []  # nothing stale: nothing to report


def test_no_bar_when_stderr_is_not_a_terminal(claude: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY", -1.0)  # any scan is long enough
    result = run("tokens", "--all", "--no-cache")
    assert result.exit_code == 0 and result.stderr == ""


def on_a_terminal(*args: str, piped: bool = False) -> tuple[str, bytes]:
    """`ai-budget tokens ARGS`, stderr and stdout on terminals (stdout piped if asked), every scan "long"."""
    code = (
        "import sys; import ai_budget.cli.progress as p; p.DELAY = -1.0; "
        "from ai_budget.cli import main; sys.argv = ['ai-budget', 'tokens', *sys.argv[1:]]; main()"
    )
    err, err_end = pty.openpty()
    out, out_end = pty.openpty()
    stdout = subprocess.PIPE if piped else out_end
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=stdout, stderr=err_end)
    os.close(err_end)
    os.close(out_end)
    seen = {err: b"", out: b""}
    reading = {err, out}
    while reading:
        ready, _, _ = select.select(list(reading), [], [], 10)
        if not ready:
            break
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal closed with the process
                chunk = b""
            seen[fd] += chunk
            if not chunk:
                reading.discard(fd)
    piped_out, _ = proc.communicate(timeout=30)
    os.close(err)
    os.close(out)
    assert proc.returncode == 0, seen
    answer = piped_out if piped else seen[out].replace(b"\r\n", b"\n")  # a terminal's newlines
    return answer.decode(), seen[err]


def test_a_terminal_sees_the_bar_and_the_answer_stays_clean(claude: Path) -> None:
    out, terminal = on_a_terminal("--all", "--no-cache")
    assert b"Reading transcripts [" in terminal and b"20/20 files" in terminal
    assert terminal.endswith(b"\r\x1b[K")  # cleared before the answer is printed
    assert "Reading" not in out and out.startswith("All sessions of all time (20 files)")
    data, quiet = on_a_terminal("--all", "--no-cache", "--json")
    assert quiet == b"" and json.loads(data)["output_tokens"] == sum(range(1, 21))


def test_no_bar_when_the_answer_goes_to_a_pipe(claude: Path) -> None:
    out, terminal = on_a_terminal("--all", "--no-cache", piped=True)  # `ai-budget tokens --all | cat`
    assert terminal == b"" and out.startswith("All sessions of all time (20 files)")
