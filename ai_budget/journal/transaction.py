"""One journal action: budget.json read once, files written with their pre-images kept, one commit
at the end, or on any failure (even a kill, through the write-ahead marker) every file put back."""

from __future__ import annotations

from pathlib import Path

from ai_budget import paths
from ai_budget.fileio import read_text, write_atomic
from ai_budget.journal import machine, recovery
from ai_budget.journal.gitrepo import GitRepo
from ai_budget.model import budget as budget_file
from ai_budget.model.budget import BudgetFile
from ai_budget.redact import scrub


class Transaction:
    """What one command changes in the journal; commits through `finish`, undone by `rollback`."""

    def __init__(self, repo: GitRepo, message: str):
        self.repo = repo
        self.root = repo.root
        self.message = message
        self.trailers: list[tuple[str, str]] = []
        self.sha: str | None = None
        self._budget: BudgetFile | None = None
        self._budget_data: object = None
        self._before: dict[str, bytes | None] = {}
        self._staged: list[str] = []
        self._head: str | None = None

    @property
    def budget(self) -> BudgetFile:
        """budget.json, loaded on first use; change it in place and it is written at the end."""
        if self._budget is None:
            path = self.root / paths.BUDGET_FILE
            text = read_text(path)
            if text is None:
                raise FileNotFoundError(2, "No such file", str(path))
            self._budget = budget_file.parse(text, path)
            self._budget_data = self._budget.model_dump(mode="json")
        return self._budget

    @property
    def machine(self) -> str:
        """The name of the machine this journal is written on (every commit carries it)."""
        return machine.name(self.repo.config_path)

    def read(self, rel: str) -> str | None:
        """A journal file's text as this transaction sees it (None when missing)."""
        return read_text(self.root / rel)

    def write(self, rel: str, text: str) -> None:
        """Write a journal file atomically; its first pre-image goes to the marker before the file."""
        path = self.root / rel
        self._keep(rel, path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, scrub(text))
        self.stage(rel)

    def remove(self, rel: str) -> None:
        """Delete a journal file (its pre-image kept like a write's); the commit records the deletion."""
        path = self.root / rel
        self._keep(rel, path)
        path.unlink(missing_ok=True)
        self.stage(rel)

    def _keep(self, rel: str, path: Path) -> None:
        """Before a file's first change: its pre-image into the marker, so a crash can put it back."""
        if rel not in self._before:
            if not self._before:
                self._head = self.repo.head_sha()
            try:
                self._before[rel] = path.read_bytes()
            except FileNotFoundError:
                self._before[rel] = None
            try:
                recovery.write_marker(self.repo, self.message, self._head, self._before)
            except BaseException:
                del self._before[rel]  # the file was not touched: nothing of it to put back
                raise

    def stage(self, rel: str) -> None:
        """Include a file in the commit without writing it (one the user made, being adopted)."""
        if rel not in self._staged:
            self._staged.append(rel)

    def finish(self) -> None:
        """Write budget.json if it changed, then commit everything staged, once."""
        if self._budget is not None and self._budget.model_dump(mode="json") != self._budget_data:
            self.write(paths.BUDGET_FILE, budget_file.dumps(self._budget))
        if self._staged:
            trailers = [(key, scrub(value)) for key, value in self.trailers if key != machine.TRAILER]
            trailers.append((machine.TRAILER, self.machine))
            self.sha = self.repo.commit(self._staged, scrub(self.message), trailers)
        recovery.clear_marker(self.repo)

    def rollback(self) -> None:
        """Put every written file back as it was (removing new ones) and unstage a failed commit."""
        whole = recovery.restore(self.root, self._before)
        if self._before:
            self.repo.unstage(list(self._before))
        if whole:  # else the marker stays: the next command finishes the rollback
            recovery.clear_marker(self.repo)
