"""A progress bar on a terminal's stderr for long transcript scans: files and MB read."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

DELAY = 1.0  # seconds of work before the bar appears: a quick answer never flickers one
INTERVAL = 0.1  # seconds between redraws
WIDTH = 24


class ProgressBar:
    """Draws (files done, files, bytes done, bytes) on one line, once the work has taken DELAY."""

    def __init__(
        self, stream: TextIO, clock: Callable[[], float] = time.monotonic, delay: float | None = None
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.delay = DELAY if delay is None else delay
        self.start = clock()
        self.drawn_at: float | None = None

    def __call__(self, files_done: int, files: int, bytes_done: int, total_bytes: int) -> None:
        """Redraw, unless it is too early, or too soon after the last redraw and not finished."""
        now = self.clock()
        if now - self.start <= self.delay or (self.drawn_at is None and files_done >= files):
            return  # too early, or done before it was ever shown: no bar flashed at 100 %
        if self.drawn_at is not None and now - self.drawn_at < INTERVAL and files_done < files:
            return
        self.drawn_at = now
        self.stream.write("\r" + render(files_done, files, bytes_done, total_bytes) + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        """Clear the bar's line, if it was ever drawn."""
        if self.drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn_at = None


def render(files_done: int, files: int, bytes_done: int, total_bytes: int) -> str:
    """'Reading transcripts [#####.......]  12/40 files, 3.1/9.8 MB'."""
    share = bytes_done / total_bytes if total_bytes else (files_done / files if files else 1.0)
    filled = min(WIDTH, int(share * WIDTH))
    bar = "#" * filled + "." * (WIDTH - filled)
    mb_done, mb_total = bytes_done / 1e6, total_bytes / 1e6
    return f"Reading transcripts [{bar}] {files_done:,}/{files:,} files, {mb_done:,.1f}/{mb_total:,.1f} MB"


def for_terminal(
    json_: bool, stream: TextIO | None = None, answer: TextIO | None = None
) -> ProgressBar | None:
    """A bar on stderr when it and stdout are terminals and the output is for a person; else None."""
    # With stdout piped (`| cat`, `> file`, a hook, the statusline) the answer is for a program:
    # no bar, even with stderr still on a terminal.
    out = stream if stream is not None else sys.stderr
    to = answer if answer is not None else sys.stdout
    if json_ or not _isatty(out) or not _isatty(to):
        return None
    return ProgressBar(out)


@contextmanager
def terminal_bar(json_: bool) -> Iterator[ProgressBar | None]:
    """`for_terminal` for a `with` block: the bar's line is cleared at its end, however it ends."""
    bar = for_terminal(json_)
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def _isatty(stream: TextIO) -> bool:
    """Whether a stream is a terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream is no terminal
        return False
