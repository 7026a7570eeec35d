"""How far a scan has got, for whoever shows it: files and bytes done out of those to read."""

from __future__ import annotations

from collections.abc import Callable

from ai_budget.claude.transcripts.discover import Transcript

# Called as (files done, files to read, bytes done, bytes to read); the core never draws it.
Progress = Callable[[int, int, int, int], None]


class Ticker:
    """Counts the files a scan has read and reports them to a Progress callback (or nowhere)."""

    def __init__(self, report: Progress | None, files: list[Transcript]):
        self.report = report
        self.files = len(files)
        self.bytes = sum(t.size for t in files)
        self.done_files = 0
        self.done_bytes = 0
        self.scale = 1.0
        if report is not None and files:
            report(0, self.files, 0, self.bytes)

    def share(self, mine: list[Transcript]) -> None:
        """Only `mine` is read here (a child reads the rest about as fast): scale what is done."""
        mine_bytes = sum(t.size for t in mine)
        self.scale = self.bytes / mine_bytes if mine_bytes else 1.0

    def __call__(self, t: Transcript) -> None:
        """One more file read."""
        if self.report is None:
            return
        self.done_files += 1
        self.done_bytes += t.size
        files = min(round(self.done_files * self.scale), self.files)
        self.report(files, self.files, min(round(self.done_bytes * self.scale), self.bytes), self.bytes)

    def finish(self) -> None:
        """Everything read."""
        if self.report is not None and self.files:
            self.report(self.files, self.files, self.bytes, self.bytes)
