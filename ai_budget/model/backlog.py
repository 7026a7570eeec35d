"""Backlog text (`tasks/backlog.md`): tasks in priority order, and the edits that add or move them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ai_budget.errors import InvalidInput
from ai_budget.fmt import clean_line, fmt_units
from ai_budget.quantities import MAX_UNITS, parse_number

TAGS = {"L": "light", "M": "medium", "H": "heavy", "X": "extra heavy"}
LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?\[(?P<tag>[LMHXlmhx])\]\s+(?P<text>.*?)"
    r"(?:\s*\{\s*(?P<type>[A-Za-z0-9][\w.-]*)\s*:\s*(?P<units>[^}]*?)\s*\})?\s*$"
)
# `- [x] done`, `- [ ] todo`: markdown checkboxes, not size tags.
CHECKBOX = re.compile(r"^\s*[-*+]\s+\[[ xX]\](\s|$)")
# A line that starts like a task (a bracketed tag), whether or not it reads as one.
TASK_LIKE = re.compile(r"^\s*(?:[-*+]\s+)?\[(?P<tag>[^\]]{0,3})\]")


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
        if not match or CHECKBOX.match(raw):
            continue
        units: float | None = None
        task_type = match.group("type")
        text = match.group("text").strip()
        if task_type is not None:
            try:
                units = parse_number(match.group("units"), "units", positive=True, maximum=MAX_UNITS)
            except InvalidInput:
                # `{x: lots}` is not a work estimate: it stays part of the text.
                task_type, text = None, raw[match.start("text") :].strip()
        tasks.append(Task(len(tasks) + 1, match.group("tag").upper(), text, task_type, units, section, raw))
    return tasks


def problems(text: str) -> list[str]:
    """Lines that look like tasks but are not read as one, or read in a surprising way."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        like = TASK_LIKE.match(raw)
        if like is None:
            continue
        match = LINE.match(raw)
        if CHECKBOX.match(raw):
            found.append(
                f"line {number} is a markdown checkbox, not a task (a task reads `[L|M|H|X] text`; "
                "for an extra-heavy task write `[X]` without the list marker)"
            )
        elif match is None:
            tag = like.group("tag")
            why = (
                f"[{tag}] is not a size tag (L, M, H or X)"
                if tag.upper() not in TAGS
                else "no space after the tag"
            )
            found.append(f"line {number} is not read as a task: {why}")
        elif match.group("type") is not None and not _is_units(match.group("units")):
            found.append(
                f"line {number}: {{{match.group('type')}: {match.group('units')}}} is not a number of units "
                f"(up to {MAX_UNITS:,}), "
                "so it stays part of the task's text"
            )
    return found


def _is_units(text: str) -> bool:
    try:
        parse_number(text, "units", positive=True, maximum=MAX_UNITS)
    except InvalidInput:
        return False
    return True


def new_line(text: str, tag: str | None, task_type: str | None, units: float | None) -> str:
    """A new backlog line from `backlog add` arguments (a full `[M] …` line is taken as it is)."""
    if "\n" in text or "\r" in text:
        raise InvalidInput("the task text has a line break: give one task, on one line")
    text = clean_line(text)
    if LINE.match(text) and not CHECKBOX.match(text):
        given = [name for name, value in (("--tag", tag), ("--type", task_type), ("--units", units)) if value]
        if given:
            raise InvalidInput(
                f"{text!r} already has its size tag, so {', '.join(given)} would conflict: "
                "give the full line alone, or plain text with the options"
            )
        return text
    if not text:
        raise InvalidInput('the task text is empty: `ai-budget backlog add "[M] Add login page"`')
    size = (tag or "M").upper()
    if size not in TAGS:
        raise InvalidInput(f"--tag must be one of L, M, H, X, got {tag!r}")
    line = f"[{size}] {text}"
    if task_type:
        line += f" {{{task_type}: {fmt_units(units if units is not None else 1)}}}"
    return line


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


def choose(tasks: list[Task], refs: list[str]) -> list[Task]:
    """The tasks named by refs (numbers or text), each once, in the order named."""
    chosen: list[Task] = []
    for ref in refs:
        task = find(tasks, ref)
        if task not in chosen:
            chosen.append(task)
    return chosen


def with_line(text: str | None, line: str, section: str | None) -> str:
    """Backlog text with `line` appended at the end of a section (default: the first one)."""
    lines = text.splitlines() if text is not None else ["# Backlog"]
    newline = _newline(text)
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
    return _text(lines, newline)


def without(text: str, tasks: list[Task]) -> str:
    """Backlog text with these tasks' lines removed."""
    lines = text.splitlines()
    for task in tasks:
        lines.remove(task.line)
    return _text(lines, _newline(text))


def with_completed(text: str | None, tasks: list[Task], day: date) -> str:
    """completed.md text with these tasks added as `- DAY [M] text` lines."""
    done = text.splitlines() if text is not None else ["# Completed"]
    newline = _newline(text)
    while done and not done[-1].strip():
        done.pop()
    if not any(d.startswith("- ") for d in done):
        done.append("")
    done += [f"- {day.isoformat()} {t.label()}" for t in tasks]
    return _text(done, newline)


def _newline(text: str | None) -> str:
    """The file's own line ending: a CRLF file stays CRLF."""
    return "\r\n" if text is not None and "\r\n" in text else "\n"


def _text(lines: list[str], newline: str) -> str:
    return newline.join(lines).rstrip("\r\n") + newline
