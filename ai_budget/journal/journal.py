"""The journal at its root: open or create it, read it, and change it only through a transaction."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from ai_budget import fileio, paths
from ai_budget.errors import BudgetError, CorruptBudget, NotAJournal
from ai_budget.journal import attributes, recovery
from ai_budget.journal.gitrepo import Commit, GitRepo
from ai_budget.journal.transaction import Transaction
from ai_budget.model import budget as budget_file
from ai_budget.model.budget import BudgetFile

INITIAL_FILES = {
    paths.BUDGET_FILE: "budget.json",
    paths.BACKLOG_FILE: "backlog.md",
    paths.COMPLETED_FILE: "completed.md",
}
GITKEEP = f"{paths.SESSIONS_DIR}/.gitkeep"


class Journal:
    """An ai-budget journal at `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.budget_path = root / paths.BUDGET_FILE
        self.repo = GitRepo(root)

    def _not_a_file(self) -> None:
        """A budget.json that is a folder (or a device): init cannot help; moving it away does."""
        path = self.budget_path
        if path.exists() and not path.is_file():
            then = (
                f"restore the last good copy with `git -C {self.root} checkout budget.json`"
                if (self.root / ".git").exists()
                else "run `ai-budget init`"
            )
            raise CorruptBudget(f"{path} is not a file: move it away (`mv {path} {path}.moved`), then {then}")

    @classmethod
    def open(cls, root: Path) -> Journal:
        """Open an existing journal, or say how to make one."""
        journal = cls(root)
        journal._not_a_file()
        if not journal.budget_path.is_file():
            raise NotAJournal(f"no ai-budget journal at {root}: run `ai-budget init` first")
        if not (root / ".git").exists():
            raise NotAJournal(
                f"{root} has a budget.json but is not a git repo: run `ai-budget init` to make it one"
            )
        return journal

    @classmethod
    def init(cls, root: Path) -> tuple[Journal, bool]:
        """Create what is missing (never overwrite); return the journal and whether it committed."""
        if root.exists() and not root.is_dir():
            raise BudgetError(f"{root} exists and is not a folder: choose another --home")
        cls(root)._not_a_file()
        root.mkdir(parents=True, exist_ok=True)
        GitRepo.create(root)
        journal = cls(root)
        journal.recover()  # a killed init must not look like a journal to adopt
        adopted = journal.budget_path.exists()
        message = "init: journal adopted" if adopted else "init: journal created"
        with journal.transaction(message) as tx:
            if adopted:
                _ = tx.budget  # refuse a corrupt or newer file before touching anything
            templates = paths.shipped("templates")
            for rel, template in INITIAL_FILES.items():
                if (root / rel).exists():
                    tx.stage(rel)
                else:
                    tx.write(rel, (templates / template).read_text(encoding="utf-8"))
            if not (root / GITKEEP).exists():
                tx.write(GITKEEP, "")
            tx.stage(GITKEEP)
            if not (root / attributes.FILE).exists():
                tx.write(attributes.FILE, attributes.TEXT)
            tx.stage(attributes.FILE)
            for log in sorted((root / paths.SESSIONS_DIR).glob("*.md")):
                tx.stage(str(log.relative_to(root)))
        attributes.configure(journal.repo)  # the merge drivers, for a journal that is ever synced
        return journal, tx.sha is not None

    def recover(self) -> None:
        """Undo what a command that died mid-write left, if anything (under the lock)."""
        markers = (recovery.MARKER, recovery.SYNC_MARKER)
        if any((self.repo.git_dir / name).exists() for name in markers):
            with fileio.locked(self.repo.git_dir / "ai-budget.lock"):
                recovery.recover(self.repo)

    def read_budget(self) -> BudgetFile:
        """budget.json as it is now (upgraded in memory; written back by the next transaction)."""
        self.recover()  # a command died mid-write: undo it first
        text = fileio.read_text(self.budget_path)
        if text is None:
            raise NotAJournal(f"no budget.json in {self.root}: run `ai-budget init`")
        try:
            return budget_file.parse(text, self.budget_path)
        except CorruptBudget:
            # Conflict markers of a merge: `git checkout budget.json` cannot help there.
            self.repo.refuse_unsafe_state()
            raise

    def read(self, rel: str) -> str | None:
        """A journal file's text, or None when it does not exist."""
        return fileio.read_text(self.root / rel)

    @contextlib.contextmanager
    def transaction(
        self, message: str, timeout: float = fileio.LOCK_TIMEOUT_S, quiet: bool = False
    ) -> Iterator[Transaction]:
        """Hold the lock (waiting up to `timeout` s); yield a Transaction; commit once at the end, or
        undo every write on failure."""
        with fileio.locked(self.repo.git_dir / "ai-budget.lock", timeout, quiet):
            recovery.recover(self.repo)
            self.repo.refuse_unsafe_state()
            tx = Transaction(self.repo, message)
            try:
                yield tx
                tx.finish()
            except BaseException:
                tx.rollback()
                raise

    def history(self, limit: int | None = None) -> list[Commit]:
        """Commits newest first, with the trailers of each message."""
        return self.repo.history(limit)
