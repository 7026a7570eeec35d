"""The real Claude Code CLI, interactive, in tmux, logged in as a claude.ai user (CLAUDE_CODE_OAUTH_TOKEN):
work, `/budget-check`, more work, `/budget-log`, a tail, `/exit`. The statusline records the rate limits
the server's headers carry; `/exit` fires SessionEnd; the journal holds exactly the session's tokens."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from e2e.checks import assert_all, command_output
from e2e.claude_rig import HOOK_TROUBLE, RATE_LIMITS, STATUSLINE_RUN, Rig
from e2e.fake_messages_api import SESSION_HEADER
from e2e.tmux_session import TmuxClaude

pytestmark = pytest.mark.e2e

PROMPTS = (
    "Start with some work.",
    "/budget-check",
    "More work after the check.",
    "/budget-log feature 1 x",
    "A last piece of work after the log.",
)


def menu_count(menu: str, command: str) -> int:
    """How many entries of the slash menu are `command`."""
    return sum(1 for line in menu.splitlines() if line.strip().split(" ")[0] == command)


def rate_limit_problems(rig: Rig, screens: list[str], debug: str) -> list[str]:
    """The statusline ran and recorded the headers' rate limits: `ai-budget check` in the session read
    them from the statusline feed, and the line on screen shows them."""
    problems = []
    runs = STATUSLINE_RUN.findall(debug)
    if not runs or set(runs) != {"0"}:
        problems.append(f"ai-budget statusline runs, by exit status: {runs} (none, or not all 0)")
    headers = rig.api.ratelimit_headers
    checks = command_output(rig, "ai-budget check")
    if len(checks) != 1:
        return problems + [f"expected one `ai-budget check --json` answer, got {len(checks)}"]
    claude = checks[0].get("claude") or {}
    for name, prefix in (("five_hour", "5h"), ("seven_day", "7d")):
        window = claude.get(name) or {}
        want_used = round(RATE_LIMITS[name] * 100, 6)
        want_reset = datetime.fromtimestamp(
            int(headers[f"anthropic-ratelimit-unified-{prefix}-reset"]), timezone.utc
        )
        got_reset = window.get("resets_at")
        if claude.get("source") != "statusline" or window.get("utilization") != want_used:
            problems.append(
                f"check read {name} {window} from {claude.get('source')!r}, not {want_used} % "
                "from the statusline"
            )
        elif got_reset is None or datetime.fromisoformat(got_reset) != want_reset:
            problems.append(f"check read {name} resetting at {got_reset}, the header said {want_reset}")
    if not any("5h 42%" in screen for screen in screens):
        problems.append("the statusline never showed `5h 42%`")
    return problems


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_interactive_session_in_tmux(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(oauth=True)
    sid = str(uuid.uuid4())
    with TmuxClaude(rig, sid) as cc:
        cc.wait_ready()
        commits_after_start = len(rig.subjects())
        menu = cc.slash_menu("/budget-")
        for prompt in PROMPTS:
            cc.turn(prompt)
        cc.exit()
    problems = []
    if commits_after_start != rig.commits_after_setup:
        problems.append(f"the session start made {commits_after_start - rig.commits_after_setup} commit(s)")
    for command in ("/budget-check", "/budget-log"):
        if (count := menu_count(menu, command)) != 1:
            problems.append(f"{command} is listed {count} times in the slash menu")
    problems += rate_limit_problems(rig, cc.screens, cc.debug_text())
    shown = dict.fromkeys(line.strip() for screen in cc.screens for line in screen.splitlines())
    problems += [f"on screen: {line}" for line in shown if HOOK_TROUBLE.search(line)]
    if rig.session_ends() != ["prompt_input_exit:0"]:
        problems.append(
            f"SessionEnd after /exit: {rig.session_ends()}, expected prompt_input_exit with status 0"
        )
    assert {q.headers.get(SESSION_HEADER) for q in rig.api.requests if q.body} == {sid}
    view = rig.journal_sessions()
    mine = view.of(sid, only_session=True) or {}
    if view.source.startswith("ai-budget sessions") and not (mine.get("client_cost_usd") or 0) > 0:
        problems.append(f"no client cost from the statusline feed: {mine.get('client_cost_usd')!r}")
    assert_all(rig, "f: interactive", {"interactive": sid}, "cli", processes=1, earlier=problems, view=view)
