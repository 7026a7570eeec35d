"""Text files: bad UTF-8 anywhere is one line naming the file and the byte, with nothing written; CRLF
kept; checkboxes are not tasks; odd backlog lines reported; escapes and line breaks never stored."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import fault_server as fs
import pytest
from conftest import git
from fault_journal import Primed, prime
from fault_kit import (
    Outcome,
    attempt,
    attempt_process,
    one_commit,
    one_line_error,
    state,
    succeeded,
    unchanged,
)

LATIN1 = b"caf\xe9"  # "café" as a Latin-1 editor saves it


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with calibration, three tasks and a started session."""
    return prime(journal_dir, tmp_path)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[fs.QuickUsageServer]:
    """The usage endpoint on 127.0.0.1 (real HTTP, quick to stop), and the tool pointed at it."""
    yield from fs.serving(monkeypatch)


def today_log(root: Path) -> Path:
    """Today's session log."""
    return root / "sessions" / f"{datetime.now().astimezone():%Y-%m-%d}.md"


def spoil(root: Path, rel: str, insert_after: bytes | None = None) -> int:
    """Put a Latin-1 byte into a journal file (committed, as if saved by an old editor); return its offset."""
    path = root / rel
    data = path.read_bytes() if path.exists() else b""
    if insert_after is not None and insert_after in data:
        at = data.index(insert_after) + len(insert_after)
        data = data[:at] + LATIN1 + data[at:]
    else:
        at = len(data) + 2
        data += b"- " + LATIN1 + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    git(root, "add", "--", rel)
    git(root, "commit", "-q", "-m", f"hand edit {rel}")
    return at + 3  # the offset of \xe9 itself


def bad_text_line(outcome: Outcome, rel: str, offset: int) -> None:
    """One line naming the file and the offending byte."""
    line = one_line_error(outcome, rel.split("/")[-1], "utf-8")
    assert str(offset) in line, line


BUDGET_USERS = {
    "copilot-set": ("copilot", "set", "3"),
    "calibration": ("calibration",),
    "check": ("check", "--from-file", "{start}"),
    "log": ("log", "--from-file", "{end}", "--done", "flashcard 2 x"),
    "fetch": ("fetch", "--from-file", "{end}"),
}


def expand(args: tuple[str, ...], p: Primed) -> tuple[str, ...]:
    """Fill in the usage files of the primed journal."""
    return tuple(a.format(start=p.start, end=p.end) for a in args)


@pytest.mark.parametrize("name", sorted(BUDGET_USERS))
def test_latin1_in_budget_json_is_one_line_with_the_offset(primed: Primed, name: str) -> None:
    """A Latin-1 byte in budget.json: every command that reads it says where, and writes nothing."""
    offset = spoil(primed.root, "budget.json", insert_after=b'"plan": "')
    before = state(primed.root)
    bad_text_line(attempt(*expand(BUDGET_USERS[name], primed)), "budget.json", offset)
    unchanged(primed.root, before)


BACKLOG_USERS = {
    "backlog-list": ("backlog", "list"),
    "backlog-add": ("backlog", "add", "[L] one more"),
    "backlog-done": ("backlog", "done", "1"),
    "log-backlog-done": ("log", "--from-file", "{end}", "--done", "flashcard 2 x", "--backlog-done", "1"),
    "log": ("log", "--from-file", "{end}", "--done", "flashcard 2 x"),
}


@pytest.mark.parametrize("name", sorted(BACKLOG_USERS))
def test_latin1_in_the_backlog_is_one_line_with_the_offset(primed: Primed, name: str) -> None:
    """A Latin-1 byte in tasks/backlog.md: one line naming it and the byte, nothing written."""
    offset = spoil(primed.root, "tasks/backlog.md", insert_after=b"[M] second ")
    before = state(primed.root)
    bad_text_line(attempt(*expand(BACKLOG_USERS[name], primed)), "backlog.md", offset)
    unchanged(primed.root, before)


def test_check_with_latin1_in_the_backlog_writes_nothing(primed: Primed) -> None:
    """`check` with an unreadable backlog: one line, and no baseline commit behind the error."""
    offset = spoil(primed.root, "tasks/backlog.md", insert_after=b"[M] second ")
    before = state(primed.root)
    bad_text_line(attempt("check", "--from-file", str(primed.start)), "backlog.md", offset)
    unchanged(primed.root, before)


@pytest.mark.parametrize(
    "args",
    [
        ("backlog", "done", "1"),
        ("log", "--from-file", "{end}", "--done", "flashcard 2 x", "--backlog-done", "1"),
    ],
    ids=["backlog-done", "log"],
)
def test_latin1_in_completed_md_keeps_the_task_in_the_backlog(primed: Primed, args: tuple[str, ...]) -> None:
    """The issue's lost task: with a bad byte in completed.md the task is not removed from the backlog."""
    offset = spoil(primed.root, "tasks/completed.md")
    before = state(primed.root)
    bad_text_line(attempt(*expand(args, primed)), "completed.md", offset)
    unchanged(primed.root, before)
    assert "first task" in primed.backlog()


def test_latin1_in_today_s_session_log_is_one_line(primed: Primed) -> None:
    """Today's session log holds a bad byte: log says so, and nothing (calibration, backlog) is written."""
    rel = str(today_log(primed.root).relative_to(primed.root))
    offset = spoil(primed.root, rel)
    before = state(primed.root)
    bad_text_line(attempt(*primed.log_args()), today_log(primed.root).name, offset)
    unchanged(primed.root, before)


def test_latin1_in_the_credentials_file_is_one_line_and_no_request(
    primed: Primed, claude_dir: Path, server: fs.QuickUsageServer
) -> None:
    """.credentials.json with a bad byte: one line naming it and the offset, no request, nothing written."""
    path = claude_dir / ".credentials.json"
    data = path.read_bytes().replace(b'"max"', b'"m' + b"\xe9" + b'x"')
    path.write_bytes(data)
    before = state(primed.root)
    outcome = attempt("fetch", "--force")
    line = one_line_error(outcome, ".credentials.json", "utf-8")
    assert str(data.index(b"\xe9")) in line
    assert server.requests == []
    unchanged(primed.root, before)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"], ids=["utf8-bom", "utf16"])
def test_a_budget_json_saved_by_notepad_is_read_or_one_line(primed: Primed, encoding: str) -> None:
    """budget.json with a BOM or as UTF-16 (Windows editors): read as it is, or one line; never rewritten."""
    path = primed.root / "budget.json"
    path.write_bytes(path.read_text().encode(encoding))
    git(primed.root, "commit", "-q", "-am", "saved by notepad")
    before = state(primed.root)
    outcome = attempt("calibration")
    if outcome.code == 0:
        assert "flashcard" in outcome.out
    else:
        one_line_error(outcome, "budget.json")
    unchanged(primed.root, before)


def test_a_folder_where_budget_json_should_be_is_one_line(journal_dir: Path) -> None:
    """budget.json is a folder: one line from a command and from `init`, and nothing is created."""
    journal_dir.mkdir()
    (journal_dir / "budget.json").mkdir()
    one_line_error(attempt("copilot", "show"), "init")
    one_line_error(attempt("init"), "budget.json")
    assert sorted(p.name for p in journal_dir.iterdir() if p.name != ".git") == ["budget.json"]


# --- line endings and the backlog parser ---------------------------------------------------------------


def crlf_journal(root: Path, tmp_path: Path) -> Primed:
    """A primed journal whose backlog and completed.md were saved with CRLF line endings."""
    p = prime(root, tmp_path)
    for rel in ("tasks/backlog.md", "tasks/completed.md"):
        path = root / rel
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    git(root, "commit", "-q", "-am", "crlf")
    return p


def only_crlf(data: bytes) -> bool:
    """Every line ends in CRLF."""
    return data.count(b"\n") == data.count(b"\r\n") > 0


def test_backlog_add_keeps_a_crlf_backlog_crlf(journal_dir: Path, tmp_path: Path) -> None:
    """A CRLF backlog stays CRLF on every line after `backlog add`."""
    p = crlf_journal(journal_dir, tmp_path)
    before = state(p.root)
    succeeded(attempt("backlog", "add", "[L] fourth"))
    one_commit(p.root, before)
    assert only_crlf((p.root / "tasks" / "backlog.md").read_bytes())


def test_backlog_done_keeps_both_crlf_files_crlf(journal_dir: Path, tmp_path: Path) -> None:
    """`backlog done` on CRLF files: backlog.md and completed.md keep CRLF on every line."""
    p = crlf_journal(journal_dir, tmp_path)
    before = state(p.root)
    succeeded(attempt("backlog", "done", "2"))
    one_commit(p.root, before)
    assert only_crlf((p.root / "tasks" / "backlog.md").read_bytes())
    assert only_crlf((p.root / "tasks" / "completed.md").read_bytes())
    assert b"second task" in (p.root / "tasks" / "completed.md").read_bytes()


def test_log_moving_a_task_keeps_crlf(journal_dir: Path, tmp_path: Path) -> None:
    """`log --backlog-done` on CRLF files keeps their endings."""
    p = crlf_journal(journal_dir, tmp_path)
    before = state(p.root)
    succeeded(attempt(*p.log_args()))
    one_commit(p.root, before)
    assert only_crlf((p.root / "tasks" / "backlog.md").read_bytes())
    assert only_crlf((p.root / "tasks" / "completed.md").read_bytes())


def write_backlog(root: Path, body: str) -> None:
    """Replace the backlog with `body` (committed)."""
    (root / "tasks" / "backlog.md").write_text(body)
    git(root, "commit", "-q", "-am", "backlog by hand")


def test_markdown_checkboxes_are_not_tasks_and_are_reported(primed: Primed) -> None:
    """`- [x] …` and `- [ ] …` are not tasks (x is not extra heavy); `backlog list` says so on stderr."""
    write_backlog(
        primed.root, "## Now\n- [x] shipped thing\n- [ ] open thing\n- [X] also done\n[X] real big\n"
    )
    before = state(primed.root)
    outcome = attempt("backlog", "list")
    succeeded(outcome)
    assert "real big" in outcome.out
    assert "shipped" not in outcome.out and "open thing" not in outcome.out and "also done" not in outcome.out
    assert outcome.err.count("checkbox") == 3
    unchanged(primed.root, before)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("[Q] unknown size", "not a size tag"),
        ("[M]no space", "no space"),
        ("[M] lots of cards {flashcard: lots}", "number of units"),
        ("[XL] bigger", "not a size tag"),
    ],
    ids=["bad-tag", "no-space", "units-not-a-number", "two-letter-tag"],
)
def test_a_line_the_parser_reads_oddly_is_a_warning(primed: Primed, line: str, why: str) -> None:
    """A line that looks like a task but is not read as one: `backlog list` warns with its line number."""
    write_backlog(primed.root, f"# Backlog\n\n## Now\n[L] fine\n{line}\n")
    before = state(primed.root)
    outcome = attempt("backlog", "list")
    succeeded(outcome)
    assert "line 5" in outcome.err and why in outcome.err, outcome.err
    unchanged(primed.root, before)


def test_check_reports_odd_backlog_lines_in_the_brief(primed: Primed) -> None:
    """The brief carries the same warning, so a skipped task is never silently lost."""
    write_backlog(primed.root, "## Now\n[L] fine\n- [ ] todo that looks like a task\n")
    before = state(primed.root)
    outcome = attempt("check", "--from-file", str(primed.start))
    succeeded(outcome)
    unchanged(primed.root, before)  # a check commits nothing
    assert "checkbox" in outcome.out + outcome.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("backlog", "add", "[M] one\n[M] two"), "line break"),
        (("backlog", "add", "one\rtwo"), "line break"),
        (("backlog", "add", "[M] tagged", "--tag", "H"), "--tag"),
        (("backlog", "add", "[M] tagged {flashcard: 2}", "--type", "flashcard"), "--type"),
        (("backlog", "add", "[L] tagged", "--units", "3"), "--units"),
        (("backlog", "add", ""), "empty"),
        (("backlog", "add", "   "), "empty"),
        (("backlog", "add", "\x1b[31m\x1b[0m"), "empty"),
    ],
    ids=[
        "newline",
        "carriage-return",
        "tag-conflict",
        "type-conflict",
        "units-conflict",
        "empty",
        "blank",
        "only-escapes",
    ],
)
def test_backlog_add_refuses_text_it_cannot_store_as_one_task(
    primed: Primed, args: tuple[str, ...], needle: str
) -> None:
    """A line break, conflicting options or nothing at all: one line, the backlog untouched."""
    before = state(primed.root)
    one_line_error(attempt(*args), needle)
    unchanged(primed.root, before)


# --- escapes and control characters are never stored ----------------------------------------------------

ESCAPED = "\x1b[31mred\x1b[0m \x1b]8;;http://x.invalid\x07link\x1b]8;;\x07 bell\x07 nul\x00 end"


def assert_no_escapes(*texts: str) -> None:
    """No ESC, BEL, NUL or other C0 control (tabs and line ends aside) in any of these texts."""
    for text in texts:
        bad = [c for c in text if (ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127]
        assert not bad, (bad, text[:200])


def test_escapes_in_a_backlog_task_are_stripped_before_storing(primed: Primed) -> None:
    """`backlog add` with terminal escapes: the stored line and the commit message are plain text."""
    before = state(primed.root)
    succeeded(attempt("backlog", "add", f"[M] {ESCAPED}"))
    one_commit(primed.root, before)
    assert_no_escapes(primed.backlog(), git(primed.root, "log", "-1", "--format=%B"))
    assert "red link bell nul end" in primed.backlog()


def test_escapes_in_lessons_notes_and_items_are_stripped_before_storing(primed: Primed) -> None:
    """`log` with escapes in --lesson, --next and the --done description: the session log is plain."""
    before = state(primed.root)
    args = ("log", "--from-file", str(primed.end), "--done", f"flashcard 2 {ESCAPED}")
    succeeded(attempt(*args, "--lesson", ESCAPED, "--next", ESCAPED))
    one_commit(primed.root, before)
    assert_no_escapes(today_log(primed.root).read_text(), git(primed.root, "log", "-1", "--format=%B"))
    assert today_log(primed.root).read_text().count("red link bell nul end") >= 3


def test_escapes_in_a_gemini_status_are_stripped_before_storing(primed: Primed) -> None:
    """`gemini set` with escapes: budget.json and the commit message hold plain text."""
    before = state(primed.root)
    succeeded(attempt("gemini", "set", "\x1b[31mactive\x1b[0m"))
    one_commit(primed.root, before)
    stored = (primed.root / "budget.json").read_text()
    assert_no_escapes(stored, git(primed.root, "log", "-1", "--format=%B"))
    assert "\\u001b" not in stored


def test_escapes_in_a_calibration_unit_are_stripped_before_storing(primed: Primed) -> None:
    """`calibration add --unit` with escapes: stored as plain text."""
    before = state(primed.root)
    succeeded(attempt("calibration", "add", "essay", "--unit", "per \x1b[1mpage\x1b[0m"))
    one_commit(primed.root, before)
    stored = (primed.root / "budget.json").read_text()
    assert_no_escapes(stored, git(primed.root, "log", "-1", "--format=%B"))
    assert "\\u001b" not in stored


def test_a_newline_in_a_lesson_stays_inside_its_bullet(primed: Primed) -> None:
    """A lesson with line breaks cannot start a new markdown section of its own."""
    before = state(primed.root)
    succeeded(attempt(*primed.log_args("--lesson", "one\n## Session fake\ntwo")))
    one_commit(primed.root, before)
    lines = today_log(primed.root).read_text().splitlines()
    assert [line for line in lines if line.startswith("## Session")] == [lines[0]] or sum(
        line.startswith("## Session") for line in lines
    ) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX argv bytes")
def test_an_argument_that_is_not_utf8_is_one_line(primed: Primed) -> None:
    """`backlog add` typed in a Latin-1 terminal (a raw \\xe9 byte): one line, nothing written."""
    before = state(primed.root)
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"ai_budget", b"backlog", b"add", b"[M] caf\xe9"],
        capture_output=True,
    )
    outcome = Outcome(
        done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    )
    one_line_error(outcome, "UTF-8", code=outcome.code if outcome.code in (1, 2) else 1)
    unchanged(primed.root, before)


def test_a_from_file_that_is_latin1_json_is_one_line(primed: Primed, tmp_path: Path) -> None:
    """A saved usage answer with a Latin-1 byte in a string: read, or one line naming the file."""
    bad = tmp_path / "latin1.json"
    bad.write_bytes(primed.end.read_bytes().replace(b'"five_hour"', b'"note": "caf\xe9", "five_hour"', 1))
    before = state(primed.root)
    outcome = attempt_process("fetch", "--from-file", str(bad))
    if outcome.code == 0:
        one_commit(primed.root, before)
    else:
        one_line_error(outcome, "latin1.json")
        unchanged(primed.root, before)
