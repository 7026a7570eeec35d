"""The real Claude Code CLI in the test's throwaway HOME, talking to the fake Messages API on 127.0.0.1,
with ai-budget installed into its settings by `ai-budget integrate install`.

Print mode runs `claude -p … --output-format json`; an interactive session runs in a private tmux server.
Every wait has a timeout, every process started here is stopped here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.fake_messages_api import FakeMessagesAPI

PINNED_VERSION = "2.1.197"  # .ci/run installs this one from the npm registry
BIN_ENV = "AI_BUDGET_CLAUDE_BIN"
MISSING_ENV = "AI_BUDGET_CLAUDE_MISSING"  # .ci/run's reason when npm could not install it
# Obviously fake credentials: the server on 127.0.0.1 never checks them.
FAKE_API_KEY = "sk-ant-api03-FAKE-e2e-key-not-a-secret-000000000000000000"
FAKE_OAUTH_TOKEN = "sk-ant-oat01-FAKE-e2e-token-not-a-secret-0000"
RUN_TIMEOUT_S = 90.0
WAIT_TIMEOUT_S = 30.0
OFFLINE = {
    "DISABLE_TELEMETRY": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
}
SKILL_COMMANDS = {
    "budget-check": "ai-budget check --json",
    "budget-log": 'ai-budget log --done "feature 1 x" --json',
}
# What Claude Code says when a hook fails: in its debug log, in the transcript, on screen.
HOOK_TROUBLE = re.compile(
    r"Hook \S+ \(\S+\) error|completed with status [1-9]|hook_\w*error|hook_cancelled|"
    r"hook error|Failed with non-blocking status|timed out",
    re.IGNORECASE,
)
HOOKISH = re.compile(r"hook|statusline", re.IGNORECASE)
STATUSLINE_RUN = re.compile(r"StatusLine \[[^\]]*ai-budget statusline[^\]]*\] completed with status (\d+)")
REFUSED = "requires approval"
RATE_LIMITS = {"five_hour": 0.42, "seven_day": 0.17}  # sent as fractions; the statusline shows 42 %, 17 %


def find_claude() -> tuple[str | None, str]:
    """The Claude Code executable ($AI_BUDGET_CLAUDE_BIN, else `claude` on PATH) and its version,
    or None and the reason there is none."""
    if reason := os.environ.get(MISSING_ENV):
        return None, reason
    given = os.environ.get(BIN_ENV)
    path = given if given else shutil.which("claude")
    if not path or not os.access(path, os.X_OK):
        where = f"{BIN_ENV}={given}" if given else f"no `claude` on PATH and {BIN_ENV} unset"
        return None, (
            f"the real Claude Code CLI is not installed ({where}): "
            f"`npm install @anthropic-ai/claude-code@{PINNED_VERSION}` (.ci/run does it)"
        )
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{path} --version failed: {exc}"
    version = out.stdout.split()[0] if out.returncode == 0 and out.stdout.split() else ""
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        return None, f"{path} --version printed {out.stdout.strip()!r}: not a Claude Code CLI"
    return path, version


@dataclass
class Rig:
    """One throwaway Claude Code installation: HOME, project folder, journal, fake API, logs."""

    claude: str
    version: str
    home: Path
    work: Path
    api: FakeMessagesAPI
    oauth: bool = False
    project: Path = field(init=False)
    journal: Path = field(init=False)
    env: dict[str, str] = field(init=False)
    commits_after_setup: int = field(init=False)  # init, calibration add and so on
    debug_files: list[Path] = field(default_factory=list)
    runs: int = 0

    def __post_init__(self) -> None:
        self.project = self.work / "proj"
        self.project.mkdir()
        (self.project / "notes.txt").write_text("notes the scripted model reads as its work\n")
        self.journal = self.home / ".ai-budget"
        self.env = self._env()
        self._claude_json()
        self.ai_budget("init")
        self.ai_budget("calibration", "add", "feature", "--unit", "per item")  # the type /budget-log names
        self.ai_budget("integrate", "install")
        self.commits_after_setup = len(self.subjects())

    # --- setup ------------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        """The test's isolated environment, minus any outer Claude Code session, plus the offline setup."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CLAUDE", "ANTHROPIC", "TMUX")) and k != "AI_BUDGET_ANTHROPIC_URL"
        }
        # The venv's `ai-budget` for the hooks and the Bash tool, and `claude` itself as a user has it
        # (`integrate install` asks `claude --version` which commands to install).
        bindirs = [str(Path(sys.executable).parent), str(Path(self.claude).parent)]
        env["PATH"] = os.pathsep.join([*bindirs, env.get("PATH", "/usr/bin:/bin")])
        env["AI_BUDGET_HOME"] = str(self.journal)
        env["ANTHROPIC_BASE_URL"] = self.api.url
        env["AI_BUDGET_ANTHROPIC_URL"] = self.api.url  # nothing real is ever reachable
        env["TERM"] = "xterm-256color"
        env |= OFFLINE
        if self.oauth:  # a claude.ai login: rate-limit headers reach the statusline
            env["CLAUDE_CODE_OAUTH_TOKEN"] = FAKE_OAUTH_TOKEN
        else:
            env["ANTHROPIC_API_KEY"] = FAKE_API_KEY
        return env

    def _claude_json(self) -> None:
        """~/.claude.json as after onboarding: the key approved, the project trusted."""
        state: dict[str, Any] = {
            "hasCompletedOnboarding": True,
            "projects": {str(self.project): {"hasTrustDialogAccepted": True}},
        }
        if not self.oauth:
            state["customApiKeyResponses"] = {"approved": [FAKE_API_KEY[-20:]], "rejected": []}
        (self.home / ".claude.json").write_text(json.dumps(state))

    def ai_budget(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The venv's ai-budget, by hand, in the project folder."""
        exe = Path(sys.executable).parent / "ai-budget"
        done = subprocess.run(
            [str(exe), *args], capture_output=True, text=True, env=self.env, cwd=self.project, timeout=120
        )
        if check:
            assert done.returncode == 0, f"ai-budget {' '.join(args)}: {done.stderr or done.stdout}"
        return done

    def subjects(self) -> list[str]:
        """The journal's commit subjects, newest first."""
        out = subprocess.run(
            ["git", "-C", str(self.journal), "log", "--format=%s"],
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
            timeout=60,
        )
        return out.stdout.splitlines()

    # --- print mode -------------------------------------------------------------------------------

    def _debug_file(self, label: str) -> Path:
        self.runs += 1
        path = self.work / "debug" / f"{self.runs:02d}-{label}.txt"
        path.parent.mkdir(exist_ok=True)
        self.debug_files.append(path)
        return path

    def print_args(self, prompt: str, session_id: str | None = None, resume: str | None = None) -> list[str]:
        args = [self.claude, "-p", prompt, "--output-format", "json"]
        args += ["--session-id", session_id] if session_id else []
        args += ["--resume", resume] if resume else []
        return args + ["--debug-file", str(self._debug_file("print"))]

    def start_print(self, prompt: str, **kw: str | None) -> subprocess.Popen[str]:
        """`claude -p PROMPT` started (for sessions that run at the same time)."""
        return subprocess.Popen(
            self.print_args(prompt, **kw),
            cwd=self.project,
            env=self.env,
            text=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def finish_print(self, proc: subprocess.Popen[str]) -> dict[str, Any]:
        """Wait for a started `claude -p`; its JSON result (it must have succeeded)."""
        try:
            out, err = proc.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(
                f"claude -p did not finish in {RUN_TIMEOUT_S:.0f} s: {err[-2000:]}"
            ) from None
        assert proc.returncode == 0, f"claude -p exited {proc.returncode}: {err[-2000:]} {out[-2000:]}"
        result = json.loads(out)
        assert result.get("is_error") is False, result
        return result

    def print(self, prompt: str, **kw: str | None) -> dict[str, Any]:
        """`claude -p PROMPT --output-format json` to its end (SessionEnd hook included)."""
        return self.finish_print(self.start_print(prompt, **kw))

    # --- what Claude Code wrote -------------------------------------------------------------------

    def transcript(self, session_id: str) -> list[dict[str, Any]]:
        """The session's transcript lines (main file and its subagents)."""
        files = sorted((self.home / ".claude" / "projects").glob(f"*/{session_id}.jsonl"))
        files += sorted((self.home / ".claude" / "projects").glob(f"*/{session_id}/subagents/*.jsonl"))
        lines = []
        for path in files:
            for line in path.read_text().splitlines():
                try:
                    lines.append(json.loads(line))
                except ValueError:  # blank, or the line Claude Code is writing right now
                    continue
        return lines

    def transcript_message_ids(self, session_id: str) -> set[str]:
        """The assistant message ids written to the session's transcript."""
        return {
            str(line["message"]["id"])
            for line in self.transcript(session_id)
            if line.get("type") == "assistant" and isinstance(line.get("message"), dict)
        }

    def entrypoints(self, session_id: str) -> set[str]:
        return {str(line["entrypoint"]) for line in self.transcript(session_id) if line.get("entrypoint")}

    def hook_trouble(self, session_ids: list[str]) -> list[str]:
        """Every sign of a failed hook or statusline: debug logs and transcripts."""
        found = []
        for path in self.debug_files:
            text = path.read_text(errors="replace") if path.exists() else ""
            ours = [line for line in text.splitlines() if HOOKISH.search(line)]  # not network noise
            found += [f"{path.name}: {line[:200]}" for line in ours if HOOK_TROUBLE.search(line)]
        for sid in session_ids:
            for line in self.transcript(sid):
                kind = str((line.get("attachment") or {}).get("type", ""))
                if HOOK_TROUBLE.search(kind):
                    found.append(f"transcript {sid[:8]}: {kind}: {str(line['attachment'])[:200]}")
        return found

    def session_ends(self) -> list[str]:
        """The SessionEnd hook runs Claude Code finished, with their status, from the debug logs."""
        pattern = re.compile(r"SessionEnd:(\w+) \[[^\]]*hook session-end[^\]]*\] completed with status (\d+)")
        found = []
        for path in self.debug_files:
            text = path.read_text(errors="replace") if path.exists() else ""
            found += [f"{m.group(1)}:{m.group(2)}" for m in pattern.finditer(text)]
        return found

    # --- the journal's view -----------------------------------------------------------------------

    def journal_sessions(self) -> JournalView:
        """`ai-budget sessions --json` (run twice: the first by-hand command commits what is pending)."""
        first = self.ai_budget("sessions", "--json", check=False)
        if first.returncode != 0 and "No such command" in first.stderr:
            return JournalView.from_markdown(self.journal)
        assert first.returncode == 0, f"ai-budget sessions --json: {first.stderr}"
        second = self.ai_budget("sessions", "--json")
        return JournalView("ai-budget sessions --json", json.loads(second.stdout))


FIELDS = ("calls", "output_tokens", "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
TOKENS_LINE = re.compile(r"\*\*Tokens\*\*.*?: ([\d,]+) output, ([\d,]+) cache written, ([\d,]+) cache read")


@dataclass
class JournalView:
    """The sessions the journal knows, as the contract's `ai-budget sessions --json` lists them."""

    source: str
    entries: list[dict[str, Any]]

    @classmethod
    def from_markdown(cls, journal: Path) -> JournalView:
        """Before `ai-budget sessions` existed: each `## Session` section's tokens line, with no session
        id (the old journal did not name one) and no input tokens or calls (it did not record them)."""
        entries = []
        for path in sorted((journal / "sessions").glob("*.md")):
            for found in TOKENS_LINE.finditer(path.read_text()):
                out, written, read = (int(g.replace(",", "")) for g in found.groups())
                entries.append(
                    {
                        "session_id": None,
                        "state": "logged",
                        "calls": None,
                        "input_tokens": None,
                        "output_tokens": out,
                        "cache_creation_input_tokens": written,
                        "cache_read_input_tokens": read,
                        "pending": False,
                    }
                )
        return cls("journal markdown (no `ai-budget sessions` command)", entries)

    def of(self, session_id: str, only_session: bool) -> dict[str, Any] | None:
        """The journal's figures for one session: its entries summed (None when it has none).
        An old journal names no session: when the test ran only one, its records are that one's."""
        mine = [e for e in self.entries if e.get("session_id") == session_id]
        if not mine and only_session:
            mine = [e for e in self.entries if e.get("session_id") is None]
        if not mine:
            return None
        total: dict[str, Any] = {"entries": len(mine), "state": mine[0].get("state")}
        for name in FIELDS:
            values = [e.get(name) for e in mine]
            total[name] = None if any(v is None for v in values) else sum(values)
        for name in ("entrypoint", "ended_at", "pending", "cost_usd", "client_cost_usd", "records"):
            total[name] = mine[0].get(name)
        total["outputs"] = [e.get("output_tokens") for e in mine]  # per entry: which responses it holds
        return total

    def unattributed(self) -> dict[str, Any] | None:
        """An old journal's records summed (it named no session), for the report."""
        return (
            self.of("", only_session=True) if any(e.get("session_id") is None for e in self.entries) else None
        )


def truth(api: FakeMessagesAPI, session_id: str) -> dict[str, int]:
    """The server's record for the session's transcript-written responses, summed."""
    responses = api.of_session(session_id)
    total = {"calls": len(responses)}
    for name in FIELDS[1:]:
        total[name] = sum(r.usage[name] for r in responses)
    return total


def wait_until(check: Callable[[], Any], what: str, timeout: float = WAIT_TIMEOUT_S) -> Any:
    """Poll `check` until it returns something true; fail naming `what` after `timeout` s."""
    end = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)
