"""Which Claude Code is installed: `claude --version`, asked once, when it is on PATH."""

from __future__ import annotations

import re
import shutil
import subprocess

VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
TIMEOUT_S = 10.0  # a first run of the CLI can be slow; it is asked only by integrate
SKILLS_SINCE = (2, 1)  # from 2.1 skills serve as slash commands: a legacy command beside one doubles it


def found() -> tuple[str | None, tuple[int, int, int] | None]:
    """(what `claude --version` printed, its version) or what is known of it: (None, None) when
    there is no `claude` on PATH, (text, None) when it printed no version."""
    exe = shutil.which("claude")
    if exe is None:
        return None, None
    try:
        done = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return f"{exe} (did not answer --version)", None
    text = (done.stdout or done.stderr).strip().splitlines()
    first = text[0][:80] if text else ""
    match = VERSION.search(first)
    version = (int(match[1]), int(match[2]), int(match[3])) if match else None
    return first or f"{exe} (printed no version)", version


def wants_legacy(version: tuple[int, int, int] | None) -> bool:
    """Whether the legacy commands/ files are needed: only for a Claude Code known to be older than 2.1."""
    return version is not None and version[:2] < SKILLS_SINCE
