"""The backlog (`tasks/backlog.md`): tasks in priority order, added and moved to completed.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ai_budget import paths
from ai_budget.errors import InvalidInput
from ai_budget.journal import Journal
from ai_budget.quantities import fmt_units, parse_number

TAGS = {"L": "light", "M": "medium", "H": "heavy", "X": "extra heavy"}
LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?\[(?P<tag>[LMHXlmhx])\]\s+(?P<text>.*?)"
    r"(?:\s*\{\s*(?P<type>[A-Za-z0-9][\w.-]*)\s*:\s*(?P<units>[^}]*?)\s*\})?\s*$"
)


@dataclass
class Task:
    """One backlog line."""

    number: int
    tag: str
    text: str
    type: str | None
    units: float | None
    section: str | None
    line: str

    def label(self) -> str:
        """The task as the user wrote it, normalised: `[M] text {type: units}`."""
        suffix = f" {{{self.type}: {fmt_units(self.units)}}}" if self.type and self.units is not None else ""
        return f"[{self.tag}] {self.text}{suffix}"


def parse(text: str) -> list[Task]:
    """Tasks in file order (the user's priority); prose and other lines are ignored."""
    tasks: list[Task] = []
    section: str | None = None
    for raw in text.splitlines():
        if raw.startswith("## "):
            section = raw[3:].strip()
            continue
        match = LINE.match(raw)
        if not match:
            continue
        units: float | None = None
        task_type = match.group("type")
        text = match.group("text").strip()
        if task_type is not None:
            try:
                units = parse_number(match.group("units"), "units", positive=True)
            except InvalidInput:
                # `{x: lots}` is not a work estimate: it stays part of the text.
                task_type, text = None, raw[match.start("text") :].strip()
        tasks.append(
            Task(
                len(tasks) + 1,
                match.group("tag").upper(),
                text,
                task_type,
                units,
                section,
                raw,
            )
        )
    return tasks


def load(root: Path) -> list[Task]:
    """The journal's backlog (empty when the file is missing)."""
    path = root / paths.BACKLOG_FILE
    return parse(path.read_text(encoding="utf-8")) if path.exists() else []


def parse_new(text: str, tag: str | None, task_type: str | None, units: str | None) -> str:
    """A new backlog line from `backlog add` arguments."""
    text = text.strip()
    if LINE.match(text):
        return text
    if not text:
        raise InvalidInput('the task text is empty: `ai-budget backlog add "[M] Add login page"`')
    size = (tag or "M").upper()
    if size not in TAGS:
        raise InvalidInput(f"--tag must be one of L, M, H, X, got {tag!r}")
    line = f"[{size}] {text}"
    if task_type:
        amount = parse_number(units if units is not None else "1", "--units", positive=True)
        line += f" {{{task_type}: {fmt_units(amount)}}}"
    return line


def add(journal: Journal, line: str, section: str | None = None) -> Task:
    """Append a task at the end of a section (default: the first one) and commit."""
    path = journal.root / paths.BACKLOG_FILE
    with journal.locked():
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else ["# Backlog"]
        headings = [i for i, raw in enumerate(lines) if raw.startswith("## ")]
        target = None
        if section is not None:
            target = next((i for i in headings if lines[i][3:].strip().lower() == section.lower()), None)
            if target is None:
                lines += ["", f"## {section}"]
                target = len(lines) - 1
        elif headings:
            target = headings[0]
        if target is None:
            lines += ["", "## Now"]
            target = len(lines) - 1
        end = next((i for i in headings if i > target), len(lines))
        while end > target + 1 and not lines[end - 1].strip():
            end -= 1
        lines.insert(end, line)
        _write(path, lines)
        task = parse(line)[0]
        journal.commit([paths.BACKLOG_FILE], f"backlog: add {task.label()}")
    return task


def find(tasks: list[Task], ref: str) -> Task:
    """A task by its number in `backlog list`, or by a unique piece of its text."""
    ref = ref.strip()
    if ref.isdigit():
        number = int(ref)
        for task in tasks:
            if task.number == number:
                return task
        raise InvalidInput(f"there is no task {number} in the backlog: see `ai-budget backlog list`")
    hits = [t for t in tasks if ref.lower() in t.line.lower()]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise InvalidInput(f"no backlog task matches {ref!r}: see `ai-budget backlog list`")
    numbers = ", ".join(str(t.number) for t in hits)
    raise InvalidInput(f"{ref!r} matches tasks {numbers}: give the number instead")


def complete(journal: Journal, refs: list[str], day: date) -> list[Task]:
    """Move tasks from backlog.md to completed.md (with the date) in one commit."""
    with journal.locked():
        moved = move_lines(journal.root, refs, day)
        names = "; ".join(t.label() for t in moved)
        journal.commit([paths.BACKLOG_FILE, paths.COMPLETED_FILE], f"backlog: done {names}")
    return moved


def move_lines(root: Path, refs: list[str], day: date) -> list[Task]:
    """Move the tasks named by refs (numbers or text) to completed.md; no commit (the caller's)."""
    if not refs:
        return []
    backlog_path = root / paths.BACKLOG_FILE
    tasks = load(root)
    chosen: list[Task] = []
    for ref in refs:
        task = find(tasks, ref)
        if task not in chosen:
            chosen.append(task)
    lines = backlog_path.read_text(encoding="utf-8").splitlines()
    remaining = list(lines)
    for task in chosen:
        remaining.remove(task.line)
    _write(backlog_path, remaining)
    done_path = root / paths.COMPLETED_FILE
    done = done_path.read_text(encoding="utf-8").splitlines() if done_path.exists() else ["# Completed"]
    while done and not done[-1].strip():
        done.pop()
    done += ([""] if not any(d.startswith("- ") for d in done) else []) + [
        f"- {day.isoformat()} {t.label()}" for t in chosen
    ]
    _write(done_path, done)
    return chosen


def _write(path: Path, lines: list[str]) -> None:
    from ai_budget.store import write_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, "\n".join(lines).rstrip("\n") + "\n")
