"""Smaller defects: Copilot's reset in far time zones, samples that must not be made, the equal split,
Ctrl-C and the interactive prompt in a real pty, hints that work, a bounded brief, odd environments."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import fault_server as fs
import pytest
from conftest import budget, git, run
from fault_journal import Primed, prime
from fault_kit import attempt, attempt_process, one_commit, one_line_error, state, succeeded, unchanged
from usage_server import usage_body


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with calibration, three tasks and a started session."""
    return prime(journal_dir, tmp_path)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[fs.QuickUsageServer]:
    """The usage endpoint on 127.0.0.1 (real HTTP, quick to stop), and the tool pointed at it."""
    yield from fs.serving(monkeypatch)


def in_zone(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    """Run the rest of the test in this local time zone (conftest puts TZ back afterwards)."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()


@pytest.mark.parametrize("zone", ["Pacific/Honolulu", "America/St_Johns", "Pacific/Kiritimati", "UTC"])
def test_a_fresh_copilot_count_never_predates_the_reset_in_any_zone(
    journal: Path, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    """A count taken now is after this month's 00:00 UTC reset, whatever the local offset says."""
    in_zone(monkeypatch, zone)
    succeeded(attempt("copilot", "set", "20"))
    outcome = attempt("copilot", "show", "--json")
    succeeded(outcome)
    assert json.loads(outcome.out)["reset_since_update"] is False
    brief = attempt("check", "--from-file", str(_usage_file(journal)))
    succeeded(brief)
    assert "has reset since the last count" not in brief.out


def _usage_file(journal: Path) -> Path:
    path = journal.parent / "usage.json"
    path.write_text(usage_body())
    return path


def test_an_original_format_count_from_last_month_is_flagged_in_a_negative_zone(
    journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An original-format count (a local date only) from before this month: flagged as predating the reset."""
    in_zone(monkeypatch, "America/Los_Angeles")
    path = journal / "budget.json"
    data = budget(journal)
    data["copilot"].update(premium_requests_used=212, last_updated="2020-01-15", last_updated_at=None)
    path.write_text(json.dumps(data, indent=2) + "\n")
    git(journal, "commit", "-q", "-am", "old count")
    outcome = attempt("copilot", "show")
    succeeded(outcome)
    assert "reset" in outcome.out.lower()


def test_a_session_with_no_tokens_is_not_a_tokens_sample(primed: Primed) -> None:
    """No transcripts in the window: the 5-hour sample is added, the tokens average is left alone."""
    before = state(primed.root)
    succeeded(attempt(*primed.log_args()))
    one_commit(primed.root, before)
    entry = budget(primed.root)["calibration"]["flashcard"]
    assert entry["samples"] == 2
    assert entry["token_units"] == 0 and entry["avg_output_tokens"] is None


def split_session(p: Primed) -> dict:
    """Log 15 cards and 1 feature (two uncalibrated types) in a 20 % session; the calibration table."""
    for name, unit in (("card", "per card"), ("feature", "per feature")):
        assert run("calibration", "add", name, "--unit", unit).exit_code == 0
    p.start.write_text(usage_body(five=10.0))
    p.end.write_text(usage_body(five=30.0))
    succeeded(attempt("check", "--from-file", str(p.start)))
    before = state(p.root)
    succeeded(
        attempt("log", "--from-file", str(p.end), "--done", "card 15 deck", "--done", "feature 1 login page")
    )
    one_commit(p.root, before)
    return budget(p.root)["calibration"]


def test_uncalibrated_items_split_the_delta_equally(journal: Path, tmp_path: Path) -> None:
    """Nothing calibrated yet: 15 cards and 1 feature in a 20 % session take 10 % each."""
    p = Primed(journal, tmp_path / "start.json", tmp_path / "end.json")
    table = split_session(p)
    assert table["card"]["total_5h_pct"] == pytest.approx(10.0)
    assert table["feature"]["total_5h_pct"] == pytest.approx(10.0)


def test_uncalibrated_items_split_equally_even_when_another_type_is_calibrated(
    journal_dir: Path, tmp_path: Path
) -> None:
    """The issue's rule: none of *their* types calibrated, so units of different kinds are not compared."""
    table = split_session(prime(journal_dir, tmp_path, check=False))
    assert table["card"]["total_5h_pct"] == pytest.approx(10.0)
    assert table["feature"]["total_5h_pct"] == pytest.approx(10.0)


# --- a real terminal ---------------------------------------------------------------------------------


class Terminal:
    """ai-budget in a real pseudo-terminal: type lines, press Ctrl-C, read what it printed."""

    def __init__(self, *args: str) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the pty is its controlling terminal
            os.execv(sys.executable, [sys.executable, "-m", "ai_budget", *args])
        self.seen = b""

    def read_until(self, text: str, timeout: float = 15, times: int = 1) -> str:
        """Read until `text` has appeared `times` times in all (or fail)."""
        deadline = time.monotonic() + timeout
        while self.seen.count(text.encode()) < times:
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {text!r} in {self.seen.decode(errors='replace')!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"ended before {text!r}: {self.seen.decode(errors='replace')!r}"
                self.seen += chunk
        return self.seen.decode(errors="replace")

    def type(self, data: str) -> None:
        """Type keys."""
        os.write(self.fd, data.encode())

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        """Read to the end; the exit status (130 for SIGINT-handled, -N for a signal) and all output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            chunk = b""
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                self.seen += chunk
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status), self.seen.decode(errors="replace")
            if ready and not chunk:
                time.sleep(0.05)  # the terminal closed: the process is exiting
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        raise AssertionError(f"did not finish: {self.seen.decode(errors='replace')!r}")


def test_ctrl_c_at_the_log_prompt_prints_interrupted_and_exits_130(primed: Primed) -> None:
    """In a real terminal, Ctrl-C at "done:" prints "Interrupted.", exits 130 and writes nothing."""
    before = state(primed.root)
    term = Terminal("log", "--from-file", str(primed.end))
    term.read_until("done: ")
    term.type("flashcard 2 typed so far\r")
    term.read_until("done: ", times=2)
    time.sleep(0.3)  # blocked reading the terminal, as a person's Ctrl-C finds it
    term.type("\x03")
    code, output = term.finish()
    assert code == 130, output
    assert "Interrupted." in output
    assert "Traceback" not in output
    unchanged(primed.root, before)


def test_the_interactive_log_records_what_was_typed(primed: Primed) -> None:
    """Two items typed at the prompt and an empty line: one session with both items."""
    before = state(primed.root)
    term = Terminal("log", "--from-file", str(primed.end))
    term.read_until("done: ")
    term.type("flashcard 2 first\r")
    term.read_until("done: ", times=2)
    term.type("flashcard 3 second\r\r")
    code, output = term.finish()
    assert code == 0, output
    one_commit(primed.root, before)
    assert primed.samples() == 3


def test_a_wrong_line_at_the_prompt_is_asked_again_and_keeps_earlier_items(primed: Primed) -> None:
    """One good item, one malformed line, another good one: the log keeps both good items."""
    before = state(primed.root)
    term = Terminal("log", "--from-file", str(primed.end))
    term.read_until("done: ")
    term.type("flashcard 2 first\r")
    term.read_until("done: ", times=2)
    term.type("just words\r")
    term.read_until("again", timeout=15)
    term.type("flashcard 3 second\r\r")
    code, output = term.finish()
    assert code == 0, output
    assert "Traceback" not in output
    one_commit(primed.root, before)
    assert primed.samples() == 3


def test_an_unknown_type_at_the_prompt_is_asked_again(primed: Primed) -> None:
    """An unknown type typed at the prompt: said at once, asked again, the earlier item kept."""
    before = state(primed.root)
    term = Terminal("log", "--from-file", str(primed.end))
    term.read_until("done: ")
    term.type("flashcard 2 first\r")
    term.read_until("done: ", times=2)
    term.type("nosuchtype 1 thing\r")
    term.read_until("nosuchtype", timeout=15)
    term.read_until("again", timeout=15)
    term.type("\r")
    code, output = term.finish()
    assert code == 0, output
    one_commit(primed.root, before)
    assert primed.samples() == 2


# --- hints that work ---------------------------------------------------------------------------------


def test_the_tokens_session_hint_names_a_command_that_lists_sessions(home: Path) -> None:
    """`tokens --session nosuch` suggests a command; that command runs and shows the sessions there are."""
    from transcript_builder import assistant, project_dir, usage, write

    ids = ["aaaaaaaa-1111-4111-8111-111111111111", "bbbbbbbb-2222-4222-8222-222222222222"]
    for n, sid in enumerate(ids):
        write(
            project_dir(home / ".claude") / f"{sid}.jsonl",
            [assistant(f"msg_{n}", usage(out=5), session=sid, when=datetime.now(timezone.utc))],
        )
    line = one_line_error(attempt("tokens", "--session", "nosuch"), "nosuch")
    commands = re.findall(r"`ai-budget ([^`]+)`", line)
    assert commands, line
    shown = attempt(*shlex.split(commands[0]))
    succeeded(shown)
    assert all(sid[:8] in shown.out for sid in ids), shown.out


def test_a_usage_error_in_a_real_process_names_ai_budget(primed: Primed) -> None:
    """`python -m ai_budget history -n 0`: one line whose help hint is a command that exists."""
    outcome = attempt_process("history", "-n", "0")
    line = one_line_error(outcome, "-n", code=2)
    hint = re.search(r"`([^`]+--help)`", line)
    assert hint and hint.group(1).startswith("ai-budget "), line


def test_an_unknown_command_is_one_line(primed: Primed) -> None:
    """A typo in the command: one line, exit 2, with the help to read."""
    one_line_error(attempt("lgo"), "lgo", "--help", code=2)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("log", "--done", "nosuch 2 things"), "unknown task type"),
        (("log", "--done", "flashcard 2 x", "--backlog-done", "99"), "no task 99"),
        (("log", "--done", "flashcard 2 x", "--backlog-done", "task"), "give the number"),
        (("log", "--done", "flashcard"), "TYPE UNITS"),
        (("log", "--copilot", "5", "--done", "flashcard 2 x"), None),
    ],
    ids=["unknown-type", "no-such-task", "ambiguous-task", "no-units", "copilot-plan-unknown"],
)
def test_log_refuses_bad_input_before_any_request(
    primed: Primed, claude_dir: Path, server: fs.QuickUsageServer, args: tuple[str, ...], needle: str | None
) -> None:
    """A bad item, task or count in `log`: refused before the endpoint is asked or anything is written."""
    if needle is None:  # a plan with no known allowance, found only when the count is applied
        data = budget(primed.root)
        data["copilot"].update(plan="weird", premium_requests_limit=None)
        (primed.root / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
        git(primed.root, "commit", "-q", "-am", "odd plan")
        needle = "--limit"
    before = state(primed.root)
    one_line_error(attempt(*args), needle)
    assert server.requests == []
    unchanged(primed.root, before)


def test_a_huge_backlog_prints_a_bounded_brief(primed: Primed) -> None:
    """50,000 backlog lines: check answers in seconds with a brief of bounded length."""
    lines = "".join(f"[L] task number {i} {{flashcard: 1}}\n" for i in range(50_000))
    (primed.root / "tasks" / "backlog.md").write_text("# Backlog\n\n## Now\n" + lines)
    git(primed.root, "commit", "-q", "-am", "a long backlog")
    started = time.monotonic()
    outcome = attempt("check", "--from-file", str(primed.start))
    took = time.monotonic() - started
    succeeded(outcome)
    assert took < 15, took
    assert len(outcome.out.splitlines()) < 120, len(outcome.out.splitlines())
    assert len(outcome.out) < 20_000


@pytest.mark.parametrize("value", [",", " , ", ",,"])
def test_an_empty_claude_config_dir_list_is_one_line(
    primed: Primed, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """CLAUDE_CONFIG_DIR made only of commas: one line naming the variable, nothing written."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", value)
    before = state(primed.root)
    one_line_error(attempt("fetch"), "CLAUDE_CONFIG_DIR")
    unchanged(primed.root, before)


def test_a_journal_path_that_is_a_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AI_BUDGET_HOME pointing at a file: init and every command say so in one line."""
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    monkeypatch.setenv("AI_BUDGET_HOME", str(target))
    one_line_error(attempt("init"), "not a folder")
    one_line_error(attempt("copilot", "show"), str(target))
    assert target.read_text() == "not a folder"


def test_a_journal_path_with_spaces_and_unicode_works(tmp_path: Path) -> None:
    """A journal under `My Documents/Bücher ✓`: every step commits and the tree stays clean."""
    root = tmp_path / "My Documents" / "Bücher ✓"
    p = prime(root, tmp_path, check=False)
    succeeded(attempt("--home", str(root), "check", "--from-file", str(p.start)))
    before = state(root)
    succeeded(attempt("--home", str(root), *p.log_args()))
    one_commit(root, before)


def test_log_with_no_terminal_and_no_items_logs_the_spend(primed: Primed) -> None:
    """From a hook or a script (no tty) with no --done: the session is logged with no work items."""
    before = state(primed.root)
    outcome = attempt_process("log", "--from-file", str(primed.end), stdin=subprocess.DEVNULL)
    succeeded(outcome)
    one_commit(primed.root, before)
    assert primed.samples() == 1


def test_history_of_an_unknown_calibration_type_is_one_line_or_empty(primed: Primed) -> None:
    """`history --calibration nosuch`: one line naming it, or an empty answer; never a traceback."""
    outcome = attempt("history", "--calibration", "nosuch")
    if outcome.code != 0:
        one_line_error(outcome, "nosuch")
    else:
        assert "Traceback" not in outcome.both
