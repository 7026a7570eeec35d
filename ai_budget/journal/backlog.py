"""The journal's backlog: read it, add a task, move finished tasks to completed.md."""

from __future__ import annotations

from datetime import date

from ai_budget import paths
from ai_budget.journal.journal import Journal
from ai_budget.journal.transaction import Transaction
from ai_budget.model import backlog
from ai_budget.model.backlog import Task
from ai_budget.model.calibration import find_type


def tasks(journal: Journal) -> list[Task]:
    """The backlog's tasks in priority order (empty when the file is missing)."""
    return backlog.parse(journal.read(paths.BACKLOG_FILE) or "")


def add(journal: Journal, line: str, section: str | None = None) -> Task:
    """Append a task at the end of a section (default: the first one), one commit. A type calibration
    does not know is refused here, where it was typed (a hand-edited backlog only gets a warning)."""
    task = backlog.parse(line)[0]
    with journal.transaction(f"backlog: add {task.label()}") as tx:
        if task.type is not None:
            find_type(tx.budget.calibration, task.type)
        tx.write(paths.BACKLOG_FILE, backlog.with_line(tx.read(paths.BACKLOG_FILE), line, section))
    return task


def complete(journal: Journal, refs: list[str], day: date) -> list[Task]:
    """Move tasks from backlog.md to completed.md (with the date), one commit."""
    with journal.transaction("backlog: done") as tx:
        moved = move(tx, refs, day)
        tx.message = f"backlog: done {'; '.join(t.label() for t in moved)}"
    return moved


def move(tx: Transaction, refs: list[str], day: date) -> list[Task]:
    """Within a transaction: move the tasks named by refs (numbers or text) to completed.md."""
    if not refs:
        return []
    text = tx.read(paths.BACKLOG_FILE) or ""
    chosen = backlog.choose(backlog.parse(text), refs)
    # completed.md first: if it cannot be read, the backlog is left as it was.
    done = backlog.with_completed(tx.read(paths.COMPLETED_FILE), chosen, day)
    tx.write(paths.BACKLOG_FILE, backlog.without(text, chosen))
    tx.write(paths.COMPLETED_FILE, done)
    return chosen
