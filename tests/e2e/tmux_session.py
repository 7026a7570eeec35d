"""An interactive Claude Code session in a private tmux server (its own socket): type, read the screen, quit.

The tmux server is started for this session alone and killed when it closes, whatever happened.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from types import TracebackType

from e2e.claude_rig import Rig, wait_until

WIDTH, HEIGHT = 180, 60
# While a turn runs, Claude Code shows a spinner and a verb: "✽ Befuddling…" (older: "esc to interrupt").
BUSY = re.compile(r"^\s*[^\w\s]\s+\w+…|esc to interrupt", re.M)


class TmuxClaude:
    """`claude` (interactive) in tmux, with a chosen session id and a debug log."""

    def __init__(self, rig: Rig, session_id: str) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.rig = rig
        self.session_id = session_id
        self.socket = rig.work / "tmux.sock"
        self.debug = rig._debug_file("interactive")
        self.screens: list[str] = []

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            env=self.rig.env,
            timeout=20,
        )

    def __enter__(self) -> TmuxClaude:
        command = [self.rig.claude, "--session-id", self.session_id, "--debug-file", str(self.debug)]
        started = self.tmux(
            "new-session",
            "-d",
            "-s",
            "cc",
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "-c",
            str(self.rig.project),
            subprocess.list2cmdline(command),
        )
        assert started.returncode == 0, started.stderr
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None and self.alive():
            self.screens.append(self.screen())
        self.tmux("kill-server")  # our own server on our own socket: nothing else runs in it

    # --- reading ----------------------------------------------------------------------------------

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", "cc").returncode == 0

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "cc").stdout

    def debug_text(self) -> str:
        return self.debug.read_text(errors="replace") if self.debug.exists() else ""

    def wait_ready(self) -> None:
        """The prompt is up and the SessionStart hook has run."""
        wait_until(lambda: "❯" in self.screen(), "the interactive prompt")
        wait_until(lambda: "Hook SessionStart:startup" in self.debug_text(), "the SessionStart hook")

    # --- typing -----------------------------------------------------------------------------------

    def type(self, text: str) -> None:
        """Type text into the prompt (no Enter)."""
        self.tmux("send-keys", "-t", "cc", "-l", text)

    def clear(self) -> None:
        self.tmux("send-keys", "-t", "cc", "C-u")

    def slash_menu(self, prefix: str) -> str:
        """The slash-command menu Claude Code shows for `prefix` (the input is cleared afterwards)."""
        self.type(prefix)
        wait_until(lambda: self.screen().count(prefix) > 1, f"the menu for {prefix}")
        time.sleep(0.5)  # the menu fills in over a frame or two
        screen = self.screen()
        self.clear()
        return str(screen)

    def turn(self, prompt: str) -> str:
        """Send a prompt and wait for the turn's final text answer to be written and shown."""
        api = self.rig.api
        before = len(api.responses)
        self.type(prompt)
        time.sleep(0.3)  # let the input settle before Enter (a slash menu may be opening)
        self.tmux("send-keys", "-t", "cc", "Enter")

        def answered() -> str | None:
            mine = [r for r in api.responses[before:] if r.session_id == self.session_id and r.with_tools]
            return next((r.message_id for r in mine if r.kind == "text"), None)

        message_id = wait_until(answered, f"the answer to {prompt!r}")
        wait_until(
            lambda: message_id in self.rig.transcript_message_ids(self.session_id),
            f"{message_id} in the transcript",
        )
        wait_until(lambda: not BUSY.search(self.screen()), f"the end of the turn {prompt!r}")
        screen = self.screen()
        self.screens.append(screen)
        return screen

    def exit(self) -> None:
        """`/exit`, and wait for Claude Code (and so its tmux session) to end."""
        self.type("/exit")
        time.sleep(0.3)
        self.tmux("send-keys", "-t", "cc", "Enter")
        wait_until(lambda: not self.alive(), "Claude Code to exit after /exit")
