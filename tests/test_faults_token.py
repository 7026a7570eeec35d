"""The token never leaks: a malformed one is refused before use, no message, brief, session log, commit
or cache holds it, and anything token-shaped is scrubbed from every line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fault_server as fs
import pytest
from conftest import git
from fault_journal import Primed, prime
from fault_kit import Outcome, all_text, attempt, one_commit, one_line_error, state, succeeded, unchanged
from usage_server import TOKEN, Reply, usage_body, write_login

# GitHub-shaped on purpose (the masking rule must catch it when pasted), but plainly fake and short.
GITHUB = "ghp_NOTAREALTOKENfortestsonly"


@pytest.fixture
def primed(journal_dir: Path, tmp_path: Path) -> Primed:
    """A journal with earlier values, calibration, a backlog and a started session."""
    return prime(journal_dir, tmp_path)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[fs.QuickUsageServer]:
    """The usage endpoint on 127.0.0.1 (real HTTP, quick to stop), and the tool pointed at it."""
    yield from fs.serving(monkeypatch)


def nowhere(secret: str, home: Path, *outcomes: Outcome) -> None:
    """The secret (or its first 16 characters) is in no output, no file under HOME, no commit."""
    pieces = {secret, secret[:16], secret.strip()[-16:]}
    text = "".join(o.both for o in outcomes) + all_text(home / ".ai-budget", home / ".cache")
    for piece in pieces:
        assert piece not in text, piece


MALFORMED = {
    "newline": TOKEN[:20] + "\n" + TOKEN[20:],
    "space": TOKEN[:20] + " " + TOKEN[20:],
    "tab": TOKEN[:20] + "\t" + TOKEN[20:],
    "escape": TOKEN[:20] + "\x1b[2J" + TOKEN[20:],
    "non-ascii": TOKEN[:20] + "é" + TOKEN[20:],
    "nul": TOKEN[:20] + "\x00" + TOKEN[20:],
    "crlf-header-injection": TOKEN + "\r\nX-Evil: 1",
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_token_is_refused_before_any_request(
    primed: Primed, home: Path, server: fs.QuickUsageServer, kind: str
) -> None:
    """A token with white space, controls or non-ASCII: refused, no request, never echoed anywhere."""
    write_login(home / ".claude", token=MALFORMED[kind])
    before = state(primed.root)
    outcome = attempt("fetch", "--force")
    one_line_error(outcome, "malformed", "claude")
    assert server.requests == []
    unchanged(primed.root, before)
    nowhere(MALFORMED[kind], home, outcome)


def test_the_issue_s_newline_token_is_not_in_the_brief_the_log_or_git(
    primed: Primed, home: Path, server: fs.QuickUsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's leak: a token with a newline went into fetch, the brief and sessions/DAY.md."""
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "0")
    bad = TOKEN[:20] + "\n" + TOKEN[20:]
    write_login(home / ".claude", token=bad)
    outcomes = [attempt("fetch", "--force"), attempt("check"), attempt("log", "--done", "flashcard 1 one")]
    assert all("Traceback" not in o.both for o in outcomes)
    assert outcomes[1].code == 0 and outcomes[2].code == 0
    assert server.requests == []
    nowhere(bad, home, *outcomes)
    assert git(primed.root, "status", "--porcelain") == ""


def test_a_trailing_newline_after_the_token_is_just_trimmed(
    primed: Primed, home: Path, server: fs.QuickUsageServer
) -> None:
    """A token followed by a newline (a hand-edited file) is the token: it is sent exactly, without it."""
    write_login(home / ".claude", token=TOKEN + "\n")
    before = state(primed.root)
    succeeded(attempt("fetch", "--force"))
    one_commit(primed.root, before)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {TOKEN}"


def test_an_endpoint_echoing_the_request_in_its_error_leaks_nothing(
    primed: Primed, home: Path, claude_dir: Path, server: fs.QuickUsageServer
) -> None:
    """A 500 whose body quotes our request headers (a debugging proxy): the line holds no token."""
    server.answer(Reply(status=500, body=f"upstream said: Authorization: Bearer {TOKEN}"))
    outcome = attempt("fetch", "--force")
    one_line_error(outcome, "500")
    nowhere(TOKEN, home, outcome)


def test_an_answer_echoing_the_token_is_not_cached_with_it(
    primed: Primed, home: Path, claude_dir: Path, server: fs.QuickUsageServer
) -> None:
    """A 200 that echoes the Authorization inside a window: nothing on disk holds the token."""
    body = usage_body(seven_day_opus={"utilization": 3.0, "resets_at": None, "debug": f"Bearer {TOKEN}"})
    server.answer(Reply(body=body))
    outcome = attempt("fetch", "--force")
    assert "Traceback" not in outcome.both
    nowhere(TOKEN, home, outcome)


def test_a_redirect_never_carries_the_token_elsewhere(
    primed: Primed, home: Path, claude_dir: Path, server: fs.QuickUsageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 302 to another origin: the other server never receives a request, let alone the token."""
    hop = fs.FaultServer(fs.redirect(302, server.url + "/steal"))
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", hop.url)
    try:
        outcome = attempt("fetch", "--force")
    finally:
        hop.close()
    one_line_error(outcome, "redirect")
    assert server.requests == []
    assert hop.requests[0]["headers"]["authorization"] == f"Bearer {TOKEN}"
    nowhere(TOKEN, home, outcome)


def test_the_inference_only_env_token_is_never_printed(
    journal: Path, home: Path, monkeypatch: pytest.MonkeyPatch, server: fs.QuickUsageServer
) -> None:
    """CLAUDE_CODE_OAUTH_TOKEN with no stored login: says it cannot read usage, never shows it."""
    monkeypatch.setenv("CLAUDE_CODE_OAUTH_TOKEN", TOKEN)
    before = state(journal)
    outcome = attempt("fetch")
    one_line_error(outcome, "CLAUDE_CODE_OAUTH_TOKEN", "inference-only")
    assert server.requests == []
    unchanged(journal, before)
    nowhere(TOKEN, home, outcome)


PASTED = {
    "lesson": ("log", "--from-file", "{end}", "--lesson", f"pasted {TOKEN} by mistake"),
    "next": ("log", "--from-file", "{end}", "--next", f"use Bearer {TOKEN}"),
    "done": ("log", "--from-file", "{end}", "--done", f"flashcard 2 {TOKEN}"),
    "backlog": ("backlog", "add", f"[M] rotate {TOKEN}"),
    "github": ("backlog", "add", f"[M] rotate {GITHUB}"),
    "gemini": ("gemini", "set", TOKEN),
    "unit": ("calibration", "add", "essay", "--unit", f"per {TOKEN}"),
}


@pytest.mark.parametrize("kind", sorted(PASTED))
def test_a_token_pasted_into_text_never_reaches_the_journal(primed: Primed, home: Path, kind: str) -> None:
    """A token pasted into a lesson, a task, a status: the journal files and git hold a marker instead."""
    args = tuple(a.format(end=primed.end) for a in PASTED[kind])
    secret = GITHUB if kind == "github" else TOKEN
    before = state(primed.root)
    outcome = attempt(*args)
    assert "Traceback" not in outcome.both
    if outcome.code == 0:
        one_commit(primed.root, before)
    text = all_text(primed.root)
    assert secret not in text and secret[:16] not in text


PASTED_ERRORS = {
    "plan": ("copilot", "set", "3", "--plan", TOKEN),
    "type": ("calibrate", TOKEN, "1", "1"),
    "backlog-ref": ("backlog", "done", TOKEN),
    "home": ("--home", f"/nonexistent/{TOKEN}", "copilot", "show"),
    "from-file": ("fetch", "--from-file", f"/nonexistent/{TOKEN}"),
    "since": ("tokens", "--since", TOKEN),
    "session": ("tokens", "--session", TOKEN),
}


@pytest.mark.parametrize("kind", sorted(PASTED_ERRORS))
def test_a_token_pasted_where_a_value_goes_is_scrubbed_from_the_error(
    primed: Primed, home: Path, kind: str
) -> None:
    """A token given as a plan, a type, a path: the one-line error shows a marker, not the token."""
    before = state(primed.root)
    outcome = attempt(*PASTED_ERRORS[kind])
    one_line_error(outcome)
    unchanged(primed.root, before)
    nowhere(TOKEN, home, outcome)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("copilot", "set", "3", "--unit", TOKEN), id="choice"),
        pytest.param((TOKEN,), id="unknown-command"),
        pytest.param(("copilot", f"--{TOKEN}"), id="unknown-option"),
        pytest.param(("history", "-n", TOKEN), id="int-option"),
        pytest.param(("backlog", "add", "x", "--tag", TOKEN), id="tag-choice"),
    ],
)
def test_a_token_in_a_usage_error_is_scrubbed(primed: Primed, home: Path, args: tuple[str, ...]) -> None:
    """A token pasted where click checks the value itself: the usage error shows a marker."""
    outcome = attempt(*args)
    one_line_error(outcome, code=2)
    nowhere(TOKEN, home, outcome)


def test_a_token_in_the_endpoint_address_is_scrubbed(
    primed: Primed, home: Path, claude_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token pasted into AI_BUDGET_ANTHROPIC_URL (user:password@host): the error line shows a marker."""
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", f"http://{TOKEN}@127.0.0.1:9")
    outcome = attempt("fetch", "--force")
    one_line_error(outcome)
    nowhere(TOKEN, home, outcome)


def test_the_login_is_never_in_the_cache_or_the_journal_after_a_normal_day(
    journal_dir: Path,
    tmp_path: Path,
    home: Path,
    claude_dir: Path,
    server: fs.QuickUsageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A whole session against the endpoint: the token was sent, and is in no file, commit or output."""
    monkeypatch.setenv("AI_BUDGET_CACHE_TTL", "0")
    p = prime(journal_dir, tmp_path, check=False)
    outcomes = [
        attempt("fetch"),
        attempt("check"),
        attempt("log", "--done", "flashcard 1 a"),
        attempt("history"),
    ]
    assert all(o.code == 0 for o in outcomes), [o.err for o in outcomes]
    assert all(r["headers"]["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    nowhere(TOKEN, home, *outcomes)
    assert git(p.root, "status", "--porcelain") == ""
