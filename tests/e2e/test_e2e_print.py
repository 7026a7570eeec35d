"""The real Claude Code CLI in print mode (`claude -p`), against the fake Messages API: each Claude Code
session is in the journal with exactly the tokens the server returned for its transcript-written responses.

The expected figures are the server's own record (fake_messages_api.usage_for gives every response its
own constructed usage); nothing is copied from ai-budget's output.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from e2e.checks import assert_all, session_problems
from e2e.claude_rig import Rig, wait_until

pytestmark = pytest.mark.e2e


def test_a_session_with_neither_skill_is_logged_when_it_ends(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    sid = str(uuid.uuid4())
    result = rig.print("Say hello, nothing else.", session_id=sid)
    assert result["session_id"] == sid
    assert len(rig.api.of_session(sid)) == 1
    assert_all(rig, "a: plain -p", {"plain": sid}, "sdk-cli", processes=1, folded=True)


def test_a_check_mid_session_keeps_what_came_before_it(make_rig: Callable[..., Rig]) -> None:
    """`/budget-check`, then more work in the same run: the response that ran the check is counted."""
    rig = make_rig()
    sid = str(uuid.uuid4())
    rig.print(f"/budget-check THEN[READ:{rig.project / 'notes.txt'}]", session_id=sid)
    kinds = [r.kind for r in rig.api.of_session(sid)]
    assert kinds == ["tool_use:Bash", "tool_use:Read", "text"], kinds  # check, then work, then the answer
    assert_all(rig, "b: check -p", {"check+work": sid}, "sdk-cli", processes=1, folded=True)


def test_the_tail_after_a_log_is_counted_when_the_session_ends(make_rig: Callable[..., Rig]) -> None:
    """`/budget-log`, then two more responses (the tail) before the run ends: the tail is in the journal."""
    rig = make_rig()
    sid = str(uuid.uuid4())
    rig.print(f"/budget-log feature 1 x THEN[READ:{rig.project / 'notes.txt'}]", session_id=sid)
    responses = rig.api.of_session(sid)
    assert [r.command for r in responses][:1] == ['ai-budget log --done "feature 1 x" --json']
    assert len(responses) == 3  # the log's own response, then the tail: a Read and the answer
    assert_all(rig, "c: log+tail -p", {"log+tail": sid}, "sdk-cli", processes=1)


def test_a_resumed_session_continues_and_counts_nothing_twice(make_rig: Callable[..., Rig]) -> None:
    """Ended (logged automatically), then `claude -p --resume` with `/budget-log`: one session in the
    journal, each response in it once."""
    rig = make_rig()
    sid = str(uuid.uuid4())
    rig.print("First part of the work.", session_id=sid)
    problems = session_problems(rig, "d: before resume", {"first run": sid}, "sdk-cli")
    resumed = rig.print("/budget-log feature 1 x", resume=sid)
    assert resumed["session_id"] == sid  # Claude Code keeps the id on --resume
    assert len(rig.api.of_session(sid)) == 3
    view = rig.journal_sessions()
    mine = view.of(sid, only_session=True)
    if view.source.startswith("ai-budget sessions") and mine is not None and (mine.get("records") or 0) < 2:
        problems.append(f"the resumed session has {mine.get('records')} record(s): its resume is not shown")
    assert_all(rig, "d: after resume", {"resumed": sid}, "sdk-cli", processes=2, earlier=problems)


def test_two_sessions_at_once_each_get_their_own_tokens(make_rig: Callable[..., Rig]) -> None:
    """Two `claude -p` running at the same time (the second starts while the first waits on the API,
    which holds the first answer until the second session's request arrived)."""
    rig = make_rig()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    notes = rig.project / "notes.txt"
    one = rig.start_print(f"HOLD SLOW[1] READ[{notes}]", session_id=first)
    two = None
    try:
        wait_until(lambda: rig.api.of_session(first), "the first session's first request")
        two = rig.start_print(f"SLOW[0.5] READ[{notes}]", session_id=second)
        wait_until(lambda: rig.api.of_session(second), "the second session's first request")
        overlapped = one.poll() is None
        rig.finish_print(one)
        rig.finish_print(two)
    finally:
        for proc in (one, two):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    assert overlapped, "the first session ended before the second began: they did not run at once"
    assert len(rig.api.of_session(first)) == len(rig.api.of_session(second)) == 2
    sessions = {"first of two": first, "second of two": second}
    assert_all(rig, "e: parallel -p", sessions, "sdk-cli", processes=2, folded=True)
