"""Several machines for the sync tests: each a HOME of its own (journal, state, cache, Claude Code's
transcripts) driving the real CLI as a subprocess, a bare repository between them, and the rule that
says what one machine would have computed from every session.

A session here is what Claude Code makes: its transcript, the start hook, `check` and `log` run inside it
with usage answers whose 5-hour figures are chosen by the test, the end hook. Whether two sessions ran at
the same time is known from the order the test opened and closed them, never from the output.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from transcript_builder import assistant, project_dir, usage, user
from usage_server import usage_body

CWD = "/home/dev/proj"
TYPE = "card"
_CLOCK = itertools.count()  # the order of every open and close, across machines


# The account's one 5-hour reset time, for every answer: a test slowed down by a loaded machine must
# not look like a window that reset between a baseline and a later session's end.
_RESET = datetime.now(timezone.utc) + timedelta(hours=4, minutes=50)


def usage_answer(five: float) -> str:
    """A usage answer at `five` % of the 5-hour window."""
    return usage_body(five=five, five_reset=_RESET)


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Plain git, to look at what ai-budget did."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout


def bare(path: Path) -> Path:
    """An empty bare repository (the remote)."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    return path


class Machine:
    """One computer: its own HOME and everything under it."""

    def __init__(self, root: Path, name: str):
        self.name = name
        self.home = root / name
        self.home.mkdir(parents=True)
        self.journal = self.home / ".ai-budget"
        self.claude = self.home / ".claude"
        env = {k: v for k, v in os.environ.items() if k != "AI_BUDGET_MACHINE"}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_STATE_HOME=str(self.home / ".local" / "state"),
            AI_BUDGET_HOME=str(self.journal),
            AI_BUDGET_STATE_DIR=str(self.home / "state"),
            AI_BUDGET_CACHE_DIR=str(self.home / "cache"),
            CLAUDE_CONFIG_DIR=str(self.claude),
        )
        for key in ("CLAUDE_CODE_SESSION_ID", "CLAUDE_CODE_ENTRYPOINT"):
            env.pop(key, None)
        self.env = env
        self.sessions: list[Session] = []
        self.last_five: float | None = None  # the last 5-hour reading this machine saw

    def run(self, *args: str, stdin: bytes | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        """`ai-budget ARGS` on this machine."""
        done = subprocess.run(
            [sys.executable, "-m", "ai_budget", *args],
            input=stdin,
            capture_output=True,
            env={**self.env, **extra},
            timeout=180,
        )
        return subprocess.CompletedProcess(
            done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
        )

    def ok(self, *args: str, **extra: str) -> str:
        """`ai-budget ARGS`, which must succeed; its output."""
        done = self.run(*args, **extra)
        assert done.returncode == 0, (self.name, args, done.stdout, done.stderr)
        return done.stdout

    def popen(self, *args: str) -> subprocess.Popen[bytes]:
        """`ai-budget ARGS` started and left running."""
        return subprocess.Popen(
            [sys.executable, "-m", "ai_budget", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def setup(self, remote: str | None = None, card: bool = True) -> Machine:
        """init, a name of its own, the task type the sessions log (each machine adds it on its own),
        and (given one) the remote."""
        self.ok("init")
        self.ok("machine", self.name)
        if card:
            self.ok("calibration", "add", TYPE, "--unit", "per card")
        if remote is not None:
            self.ok("remote", "add", remote)
        return self

    def sync(self) -> str:
        out = self.ok("sync")
        assert out.count("\n") >= 1 and out.startswith("Synced with origin"), out
        return out

    def budget(self) -> dict[str, Any]:
        return json.loads((self.journal / "budget.json").read_text())

    def session_rows(self) -> dict[str, dict[str, Any]]:
        return {row["session_id"]: row for row in json.loads(self.ok("sessions", "--json"))}

    def open(self, five_after: float, tokens: int, units: float = 10, five_before: float = 0) -> Session:
        """A session that moves the 5-hour window from this machine's last reading (the start hook
        takes the last one it knows, and `check` never moves a session's start) to `five_after`."""
        before = self.last_five if self.last_five is not None else five_before
        s = Session(self, before, five_after, tokens, units)
        s.open()
        self.sessions.append(s)
        return s


@dataclass
class Session:
    """A Claude Code session on a machine, with what its transcript holds and when it ran."""

    machine: Machine
    five_before: float
    five_after: float
    tokens: int
    units: float
    sid: str = ""
    opened: int = -1
    closed: int = -1
    calls: int = 0
    output: int = 0
    files: dict[str, Path] = field(default_factory=dict)

    def _inside(self, *args: str) -> str:
        return self.machine.ok(*args, CLAUDE_CODE_SESSION_ID=self.sid, CLAUDE_CODE_ENTRYPOINT="cli")

    def _hook(self, name: str, event: dict[str, Any]) -> None:
        done = self.machine.run("hook", name, stdin=json.dumps(event).encode())
        assert (done.returncode, done.stderr) == (0, ""), done.stderr

    def _reply(self, out: int) -> None:
        from datetime import datetime, timezone

        self.calls += 1
        line = assistant(
            f"msg_{self.sid}_{self.calls}",
            usage(inp=3, out=out),
            session=self.sid,
            cwd=CWD,
            when=datetime.now(timezone.utc),
        )
        with open(self.transcript, "a") as handle:
            handle.write(line + "\n")
        self.output += out

    @property
    def transcript(self) -> Path:
        return project_dir(self.machine.claude, CWD) / f"{self.sid}.jsonl"

    def open(self) -> None:
        from datetime import datetime, timezone

        self.opened = next(_CLOCK)
        self.sid = f"{self.machine.name}-{self.opened:04d}-4000-8000-000000000000"
        self.transcript.parent.mkdir(parents=True, exist_ok=True)
        first = json.loads(user("go", session=self.sid, cwd=CWD, when=datetime.now(timezone.utc)))
        first["entrypoint"] = "cli"
        self.transcript.write_text(json.dumps(first) + "\n")
        event = {
            "session_id": self.sid,
            "transcript_path": str(self.transcript),
            "cwd": CWD,
            "source": "startup",
        }
        self._hook("session-start", {**event, "hook_event_name": "SessionStart"})
        start = self.machine.home / f"{self.sid}-start.json"
        start.write_text(usage_answer(self.five_before))
        self._inside("check", "--from-file", str(start))
        self.machine.last_five = self.five_before
        self._reply(self.tokens // 2)

    def close(self) -> None:
        self._reply(self.tokens - self.tokens // 2)
        end = self.machine.home / f"{self.sid}-end.json"
        end.write_text(usage_answer(self.five_after))
        self._inside("log", "--done", f"{TYPE} {self.units:g} work", "--from-file", str(end))
        self.machine.last_five = self.five_after
        self.closed = next(_CLOCK)
        event = {
            "session_id": self.sid,
            "transcript_path": str(self.transcript),
            "cwd": CWD,
            "reason": "other",
        }
        self._hook("session-end", {**event, "hook_event_name": "SessionEnd"})

    def overlaps(self, other: Session) -> bool:
        return self.opened < other.closed and other.opened < self.closed


def expected_calibration(sessions: list[Session], start: dict[str, Any]) -> dict[str, Any]:
    """The `card` entry one machine holding every session would have: a sample for each session that ran
    while no other machine's did (the 5-hour window is the account's), added to where it started."""
    alone = [s for s in sessions if not any(o.machine is not s.machine and s.overlaps(o) for o in sessions)]
    units = Decimal(str(start["units"])) + sum((Decimal(str(s.units)) for s in alone), Decimal(0))
    pct = Decimal(str(start["total_5h_pct"])) + sum(
        (Decimal(str(s.five_after)) - Decimal(str(s.five_before)) for s in alone), Decimal(0)
    )
    return {
        "samples": start["samples"] + len(alone),
        "units": float(units),
        "total_5h_pct": float(pct),
        "token_units": float(
            Decimal(str(start["token_units"])) + sum((Decimal(str(s.units)) for s in alone), Decimal(0))
        ),
        "total_output_tokens": start["total_output_tokens"] + sum(s.output for s in alone),
    }


def calibration_figures(entry: dict[str, Any]) -> dict[str, Any]:
    """The sums of an entry, compared as numbers."""
    return {
        "samples": entry["samples"],
        "units": float(entry["units"]),
        "total_5h_pct": float(entry["total_5h_pct"]),
        "token_units": float(entry["token_units"]),
        "total_output_tokens": entry["total_output_tokens"],
    }


def no_conflict_markers(repo: Path) -> None:
    """No file of the journal holds a conflict marker."""
    for path in repo.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for marker in ("<<<<<<< ", "\n=======\n", ">>>>>>> "):
            assert marker not in text, (path, marker)


def fsck(repo: Path) -> None:
    done = subprocess.run(["git", "-C", str(repo), "fsck", "--strict"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


class GitDaemon:
    """`git daemon` serving a folder of bare repositories on 127.0.0.1, pushes allowed; stopped by close()."""

    def __init__(self, base: Path):
        import socket
        import time

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = base
        self.process = subprocess.Popen(
            [
                "git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
                f"--base-path={base}", "--listen=127.0.0.1", f"--port={self.port}", "--informative-errors",
                str(base),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("git daemon did not start")

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
