"""The demo: the whole session loop on a temporary copy of the shipped sample HOME, offline."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ai_budget.paths import shipped

SAMPLE_PROJECT = "-home-user-proj-a"
STAMP = re.compile(rb'"timestamp":"([0-9T:.\-]+)Z"')


def prepare(root: Path) -> dict[str, str]:
    """Copy sample_home under `root`; return the environment that points everything at it."""
    home = root / "home"
    shutil.copytree(shipped("sample_home"), home)
    (home / "journal").rename(home / ".ai-budget")
    start = datetime.now(timezone.utc)
    for name in ("session-start.json", "session-end.json"):
        _move_resets(home / "usage" / name, start)
    # Nothing of a Claude Code session the demo may run in (its session id would name a real session).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "CLAUDE_CODE_"))}
    env.update(
        HOME=str(home),
        AI_BUDGET_HOME=str(home / ".ai-budget"),
        CLAUDE_CONFIG_DIR=str(home / ".claude"),
        AI_BUDGET_CACHE_DIR=str(home / ".cache" / "ai-budget"),
        AI_BUDGET_STATE_DIR=str(home / ".local" / "state" / "ai-budget"),
        # As inside Claude Code, where the skills run `check` and `log`: they belong to this session.
        CLAUDE_CODE_SESSION_ID=str(uuid.uuid4()),
        CLAUDE_CODE_ENTRYPOINT="cli",
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        # The sample login is fake: anything that would call out is aimed at a closed local port.
        AI_BUDGET_ANTHROPIC_URL="http://127.0.0.1:9",
    )
    return env


def _move_resets(path: Path, start: datetime) -> None:
    """Sample reset times become 'in about three hours' and 'in three days' from now."""
    data = json.loads(path.read_text())
    data["five_hour"]["resets_at"] = (start + timedelta(hours=3, minutes=10)).isoformat()
    for key, value in data.items():
        if key != "five_hour" and isinstance(value, dict) and value.get("resets_at"):
            value["resets_at"] = (start + timedelta(days=3, hours=4)).isoformat()
    path.write_text(json.dumps(data, indent=2))


def simulate_session(home: Path, session: str) -> str:
    """Write the demo session's transcript as if Claude Code had worked on it since `check`."""
    raw = (home / "demo-session.jsonl").read_bytes()
    stamps = [datetime.fromisoformat(m.decode() + "+00:00") for m in STAMP.findall(raw)]
    first, last = min(stamps), max(stamps)
    # Squeeze the sample's timeline in between the session `check` opened and now.
    opened = sorted((home / ".local" / "state" / "ai-budget" / "sessions").glob("*/open/*.json"))
    started = json.loads(opened[-1].read_text())["opened_at"]
    begin = datetime.fromisoformat(started) + timedelta(milliseconds=10)
    span = datetime.now(timezone.utc) - begin

    def moved(match: re.Match[bytes]) -> bytes:
        when = datetime.fromisoformat(match.group(1).decode() + "+00:00")
        new = begin + span * ((when - first) / (last - first))
        return b'"timestamp":"' + new.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].encode() + b'Z"'

    target = home / ".claude" / "projects" / SAMPLE_PROJECT / f"{session}.jsonl"
    body = STAMP.sub(moved, raw).replace(b"d3m0d3m0-5e55-4a1b-9c2d-0123456789ab", session.encode())
    target.write_bytes(body)
    return f"(a Claude Code session works on the flashcards: transcript {target.name} written)"


def steps(home: Path, session: str) -> list[list[str] | Callable[[], str]]:
    """The loop, one ai-budget command line per step (a callable stands for Claude Code working)."""
    usage = home / "usage"
    return [
        ["init"],
        ["check", "--from-file", str(usage / "session-start.json")],
        lambda: simulate_session(home, session),
        ["tokens"],
        [
            "log",
            "--from-file",
            str(usage / "session-end.json"),
            "--done",
            "flashcard 15 SMA101 chapter 4",
            "--lesson",
            "Batching five cards per prompt kept the cache warm",
            "--copilot",
            "230",
            "--backlog-done",
            "1",
        ],
        ["history"],
        ["history", "--calibration", "flashcard"],
    ]


def run(echo: Callable[[str], None], keep: bool = False) -> int:
    """Run every step, printing each command and its output; return the first failing status."""
    root = Path(tempfile.mkdtemp(prefix="ai-budget-demo-"))
    status = 0
    try:
        env = prepare(root)
        home = Path(env["HOME"])
        echo(f"SAMPLE DATA, not your account: a copy of sample_home in {root}; nothing is sent anywhere.\n")
        for step in steps(home, env["CLAUDE_CODE_SESSION_ID"]):
            if callable(step):
                echo(step() + "\n")
                continue
            shown = [a.replace(str(home), "~") for a in step]
            echo("$ ai-budget " + " ".join(f"'{a}'" if " " in a else a for a in shown))
            done = subprocess.run(
                [sys.executable, "-m", "ai_budget", *step], env=env, capture_output=True, text=True, cwd=root
            )
            echo((done.stdout + done.stderr).rstrip() + "\n")
            if done.returncode != 0:
                status = done.returncode
                break
    finally:
        if keep:
            echo(f"Kept the demo HOME at {root / 'home'}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return status
