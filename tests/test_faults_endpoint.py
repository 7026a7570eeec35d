"""The endpoint: one deadline for the whole request, clean failures for resets and short or huge bodies,
no redirects followed, an HTML 403 told apart, and --from-file files that are not usage answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import fault_server as fs
import pytest
from conftest import budget
from fault_journal import Primed, prime
from fault_kit import Outcome, attempt, one_commit, one_line_error, state, succeeded, unchanged
from usage_server import usage_body

BODY = usage_body(five=41.0)


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with earlier values (so failures fall back to them), calibration and a backlog."""
    return prime(journal_dir, tmp_path)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[fs.QuickUsageServer]:
    """The usage endpoint on 127.0.0.1 (real HTTP, quick to stop), and the tool pointed at it."""
    yield from fs.serving(monkeypatch)


@pytest.fixture
def fault(monkeypatch: pytest.MonkeyPatch, claude_dir: Path) -> Iterator[fs.FaultServer]:
    """A misbehaving endpoint on 127.0.0.1, the tool pointed at it, and a fake login."""
    srv = fs.FaultServer()
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", srv.url)
    yield srv
    srv.close()


def cache(home: Path) -> dict[str, bytes]:
    """Our cache folder, byte for byte."""
    folder = home / ".cache" / "ai-budget"
    return {p.name: p.read_bytes() for p in folder.glob("*.json")} if folder.is_dir() else {}


def failed_cleanly(p: Primed, home: Path, outcome: Outcome, *needles: str) -> str:
    """One line (after the last known values on stdout), nothing written, nothing cached."""
    line = one_line_error(outcome, *needles)
    assert "last known" in line
    assert "%" in outcome.out  # the last known values are still shown
    return line


FAILURES = {
    "reset-before-answer": (fs.reset(), "connection"),
    "hang-up": (fs.close(), "connection"),
    "short-body": (fs.short(BODY[:40], len(BODY)), "connection"),
    "reset-mid-body": (fs.reset_mid_body(BODY), "connection"),
    "garbage-status-line": (fs.send(b"hello there\r\n\r\n"), "connection"),
    "too-many-headers": (
        fs.send(fs.response(200, BODY.encode(), {f"X-H{i}": "v" for i in range(150)})),
        "connection",
    ),
    "bad-chunking": (
        fs.send(fs.response(200, b"zz\r\nnot hex\r\n", {"Transfer-Encoding": "chunked"})),
        "connection",
    ),
    "huge-with-length": (fs.huge(2 << 20), "1024 KB"),
    "huge-chunked": (fs.huge(2 << 20, chunked=True), "1024 KB"),
    "html-200": (fs.reply(200, "<!doctype html><title>Just a moment…</title>"), "web page"),
    "html-403": (fs.reply(403, "<html><body>Checking your browser</body></html>"), "web page"),
    "truncated-json": (fs.reply(200, BODY[: len(BODY) // 2]), "invalid or truncated"),
    "json-array": (fs.reply(200, "[1, 2]"), "five_hour"),
    "json-null": (fs.reply(200, "null"), "five_hour"),
    "binary": (fs.reply(200, b"\x00\x01\x02\xff" * 50), "binary"),
    "empty-200": (fs.reply(200, b""), "empty"),
    "server-error": (fs.reply(503, "upstream down"), "503"),
    "teapot": (fs.reply(418, "{}"), "418"),
}


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_a_broken_answer_is_one_line_and_nothing_is_written_or_cached(
    primed: Primed, home: Path, fault: fs.FaultServer, kind: str
) -> None:
    """Each way an answer can break: last known values, one line, no write, no cache."""
    action, needle = FAILURES[kind]
    fault.answer(action)
    before, cached = state(primed.root), cache(home)
    outcome = attempt("fetch", "--force")
    line = failed_cleanly(primed, home, outcome, needle)
    assert "scope" not in line  # an HTML 403 is not a missing scope
    assert len(fault.requests) == 1
    unchanged(primed.root, before)
    assert cache(home) == cached


@pytest.mark.parametrize("kind", ["reset-before-answer", "huge-chunked", "html-403"])
def test_a_broken_answer_without_earlier_values_is_one_line(
    journal: Path, home: Path, fault: fs.FaultServer, kind: str
) -> None:
    """With nothing known yet, the failure is the only line and the exit is 1."""
    fault.answer(FAILURES[kind][0])
    before = state(journal)
    one_line_error(attempt("fetch"), FAILURES[kind][1])
    unchanged(journal, before)
    assert cache(home) == {}


def test_check_and_log_survive_a_broken_answer(
    primed: Primed, fault: fs.FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check and log fall back past a reset connection: check writes nothing to git (a session start is
    state), log lands its one commit, nothing half-done."""
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "0")
    fault.answer(fs.reset())
    before = state(primed.root)
    outcome = attempt("check")
    succeeded(outcome)
    assert "connection" in outcome.out + outcome.err
    unchanged(primed.root, before)
    before = state(primed.root)
    succeeded(attempt("log", "--done", "flashcard 1 one"))
    one_commit(primed.root, before)


def test_a_json_403_is_the_missing_scope(primed: Primed, home: Path, fault: fs.FaultServer) -> None:
    """A JSON 403 (the real permission error) still says which scope is needed."""
    fault.answer(fs.reply(403, '{"error": {"type": "permission_error", "message": "scope"}}'))
    line = failed_cleanly(primed, home, attempt("fetch", "--force"), "user:profile")
    assert "/login" in line


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_login_goes_nowhere_else(
    primed: Primed,
    home: Path,
    fault: fs.FaultServer,
    server: fs.QuickUsageServer,
    status: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A redirect to another origin: not followed, so the other server never sees the Authorization."""
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", fault.url)
    fault.answer(fs.redirect(status, server.url + "/api/oauth/usage"))
    before, cached = state(primed.root), cache(home)
    failed_cleanly(primed, home, attempt("fetch", "--force"), "redirect")
    assert server.requests == []
    assert len(fault.requests) == 1
    unchanged(primed.root, before)
    assert cache(home) == cached


def test_a_redirect_to_the_same_origin_is_not_followed_either(
    primed: Primed, home: Path, fault: fs.FaultServer
) -> None:
    """Even a same-origin redirect is an answer: one request only."""
    fault.answer(fs.redirect(302, fault.url + "/elsewhere"), fs.reply(200, BODY))
    failed_cleanly(primed, home, attempt("fetch", "--force"), "redirect")
    assert [r["path"] for r in fault.requests] == ["/api/oauth/usage"]


def test_one_deadline_for_the_whole_request(primed: Primed, claude_dir: Path, tmp_path: Path) -> None:
    """A body trickled a byte every half second, silence before the headers, headers then silence:
    each fails within the 10 s deadline (run side by side as real processes), one line, nothing written."""
    servers = {
        "trickle": fs.FaultServer(fs.trickle(BODY, 0.5)),
        "silent": fs.FaultServer(fs.silent(30)),
        "headers-only": fs.FaultServer(fs.headers_then_silence(30)),
    }
    before = state(primed.root)
    procs = {}
    for name, srv in servers.items():
        env = dict(os.environ, AI_BUDGET_ANTHROPIC_URL=srv.url)
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "ai_budget", "fetch", "--force"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    try:
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=25)
            # From the request's arrival, so a slow interpreter start on a loaded machine is not counted.
            took = time.monotonic() - servers[name].requests[0]["at"]
            assert took < 12.5, (name, took)
            line = one_line_error(Outcome(proc.returncode, out, err), "10 s")
            assert "last known" in line, (name, line)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        for srv in servers.values():
            srv.close()
    unchanged(primed.root, before)


BAD_URLS = {
    "ftp": "ftp://127.0.0.1/",
    "no-host": "http://",
    "not-a-url": "api.anthropic.com",
    "port-out-of-range": "http://127.0.0.1:99999",
    "broken-ipv6": "http://[::1",
    "port-not-a-number": "http://127.0.0.1:abc",
}


@pytest.mark.parametrize("kind", sorted(BAD_URLS))
def test_a_bad_endpoint_address_is_one_line_naming_the_variable(
    primed: Primed, claude_dir: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """AI_BUDGET_ANTHROPIC_URL that cannot be an http(s) address: one line naming the variable."""
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", BAD_URLS[kind])
    before = state(primed.root)
    one_line_error(attempt("fetch", "--force"), "AI_BUDGET_ANTHROPIC_URL")
    unchanged(primed.root, before)


# --- --from-file -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        (b"\x00\x01PK\x03\x04" * 20, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"null", "usage response"),
        (b'{"hello": "world"}', "usage response"),
        (b"<html>saved the wrong tab</html>", "web page"),
    ],
    ids=["empty", "blank", "zip", "png", "null", "other-json", "html"],
)
def test_a_from_file_that_is_not_a_usage_answer_says_so(
    primed: Primed, home: Path, tmp_path: Path, content: bytes, needle: str
) -> None:
    """An empty, binary or foreign --from-file: "not a usage response", never "try again later"."""
    bad = tmp_path / "saved.json"
    bad.write_bytes(content)
    before, cached = state(primed.root), cache(home)
    line = one_line_error(attempt("fetch", "--from-file", str(bad)), needle)
    assert "try again later" not in line
    assert "saved.json" in line
    unchanged(primed.root, before)
    assert cache(home) == cached


def test_empty_standard_input_is_not_a_usage_answer(primed: Primed) -> None:
    """`--from-file -` with nothing piped in: "standard input is empty", nothing written."""
    before = state(primed.root)
    line = one_line_error(attempt("fetch", "--from-file", "-", input=""), "standard input", "empty")
    assert "try again later" not in line
    unchanged(primed.root, before)


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_a_from_file_that_cannot_be_read_names_the_path(primed: Primed, tmp_path: Path, kind: str) -> None:
    """A missing file or a folder given to --from-file: one line naming it and the option."""
    target = tmp_path / "nope.json"
    if kind == "folder":
        target.mkdir()
    before = state(primed.root)
    one_line_error(attempt("fetch", "--from-file", str(target)), "nope.json", "--from-file")
    unchanged(primed.root, before)


def test_an_old_from_file_keeps_its_age(primed: Primed, tmp_path: Path) -> None:
    """A --from-file written two hours ago is as old as the file, not stamped now."""
    old = tmp_path / "old.json"
    old.write_text(usage_body(five=61.0))
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    attempt("fetch", "--from-file", str(old))
    fetched = datetime.fromisoformat(budget(primed.root)["claude"]["last_fetched"])
    assert abs(fetched - datetime.fromtimestamp(two_hours_ago, timezone.utc)) < timedelta(seconds=5)


def test_a_huge_from_file_is_refused_or_read_without_a_traceback(primed: Primed, tmp_path: Path) -> None:
    """A 3 MB --from-file (a log saved by mistake): refused in one line, or read; no traceback."""
    big = tmp_path / "big.json"
    big.write_text(BODY[:-1] + ', "pad": "' + "x" * (3 << 20) + '"}')
    before = state(primed.root)
    outcome = attempt("fetch", "--from-file", str(big))
    if outcome.code == 0:
        one_commit(primed.root, before)
    else:
        one_line_error(outcome, "big.json")
        unchanged(primed.root, before)


def test_a_good_answer_after_a_broken_one_works(primed: Primed, home: Path, fault: fs.FaultServer) -> None:
    """A reset, then a good answer: the failure left no state behind that blocks the next fetch."""
    fault.answer(fs.reset(), fs.reply(200, BODY))
    failed_cleanly(primed, home, attempt("fetch", "--force"), "connection")
    before = state(primed.root)
    succeeded(attempt("fetch", "--force"))
    one_commit(primed.root, before)
    assert budget(primed.root)["claude"]["five_hour_util"] == 41.0
