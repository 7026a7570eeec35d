"""End-to-end fixtures: the real Claude Code CLI (skipped, with the reason, when it is not installed),
the fake Messages API, a Rig per test in the test's throwaway HOME; the report table at the end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from e2e.checks import TABLE, VERSIONS, table
from e2e.claude_rig import RATE_LIMITS, SKILL_COMMANDS, Rig, find_claude
from e2e.fake_messages_api import FakeMessagesAPI


@pytest.fixture(scope="session")
def claude_cli() -> tuple[str, str]:
    """(path, version) of the real CLI, or the suite is skipped saying why."""
    path, found = find_claude()
    if path is None:
        pytest.skip(f"end-to-end suite skipped: {found}")
    return path, found


def rate_limit_headers(moment: float) -> dict[str, str]:
    """The unified rate-limit headers a claude.ai login gets on each response."""
    five_reset, week_reset = int(moment) + 2 * 3600, int(moment) + 3 * 86400
    return {
        "anthropic-ratelimit-unified-status": "allowed",
        "anthropic-ratelimit-unified-5h-utilization": str(RATE_LIMITS["five_hour"]),
        "anthropic-ratelimit-unified-5h-reset": str(five_reset),
        "anthropic-ratelimit-unified-7d-utilization": str(RATE_LIMITS["seven_day"]),
        "anthropic-ratelimit-unified-7d-reset": str(week_reset),
    }


@pytest.fixture
def make_rig(claude_cli: tuple[str, str], home: Path, tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Build the Rig (once per test): `oauth=True` for a claude.ai login with rate-limit headers."""
    made: list[FakeMessagesAPI] = []

    def build(oauth: bool = False) -> Rig:
        headers = rate_limit_headers(time.time()) if oauth else {}
        api = FakeMessagesAPI(skill_commands=SKILL_COMMANDS, ratelimit_headers=headers)
        made.append(api)
        VERSIONS.add(claude_cli[1])
        return Rig(claude_cli[0], claude_cli[1], home, tmp_path, api, oauth=oauth)

    yield build
    for api in made:
        api.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The table of every session the suite drove, whatever the outcome (also in a file)."""
    if not TABLE:
        return
    text = table()
    terminalreporter.write_sep("=", "ai-budget end-to-end: Claude Code sessions")
    terminalreporter.write_line(text)
    factory = getattr(terminalreporter.config, "_tmp_path_factory", None)  # pytest's tmp_path root
    if factory is not None:
        path = Path(factory.getbasetemp()) / "e2e-report.txt"
        path.write_text(text + "\n")
        terminalreporter.write_line(f"(also in {path})")
