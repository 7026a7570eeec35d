"""The machine a journal is written on: a short name carried by every commit and session record.

Several machines share one journal through `ai-budget sync`; each needs a name of its own so that its
sessions, rollups and samples can be told apart. The name is the host name by default, and is kept in
the journal's own git config (`ai-budget.machine`), which is never synced: every copy names itself.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

from ai_budget.errors import InvalidInput

ENV = "AI_BUDGET_MACHINE"  # wins over the config: one process (a test, a container) named on its own
SECTION, KEY = "ai-budget", "machine"
MAX_NAME = 40
TRAILER = "Machine"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SECTION = re.compile(r'^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]')
_ENTRY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*?)\s*$")


def clean(raw: str) -> str | None:
    """A name fit for a trailer and a folder: letters, digits, '.', '_', '-'; None when nothing is left."""
    text = _UNSAFE.sub("-", raw.strip()).strip("-.")[:MAX_NAME].strip("-.")
    return text or None


def checked(raw: str) -> str:
    """A name the user typed, or an error saying what a name may hold."""
    name = clean(raw)
    if name is None or name != raw.strip():
        raise InvalidInput(
            f"machine name {raw!r} must be one word of letters, digits, '.', '_' or '-' "
            f"(at most {MAX_NAME} characters), for example `laptop`"
        )
    return name


def host_name() -> str:
    """The host name, short (`mac-mini.local` -> `mac-mini`) and lower case, or `machine`."""
    try:
        raw = socket.gethostname()
    except OSError:
        raw = ""
    return clean(raw.split(".")[0].lower()) or "machine"


def configured(config: Path) -> str | None:
    """`ai-budget.machine` from a git config file, read directly (no git process on every commit)."""
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    inside, found = False, None
    for line in text.splitlines():
        section = _SECTION.match(line)
        if section:
            inside = section[1].lower() == SECTION
            continue
        entry = _ENTRY.match(line) if inside else None
        if entry and entry[1].lower() == KEY:
            found = clean(entry[2].strip('"'))  # the last one wins, as in git
    return found


def name(config: Path) -> str:
    """This machine's name for the journal whose git config is `config`."""
    env = clean(os.environ.get(ENV, ""))
    return env or configured(config) or host_name()


def of_commit(trailers: dict[str, str], by_session: dict[str, str], here: str) -> str:
    """Which machine wrote a commit: its Machine trailer; for one from before machine names, the machine
    its Claude Code session's ledger lines name, else this one (where such commits were written)."""
    named = trailers.get(TRAILER)
    if named:
        return named
    session = (trailers.get("Claude-Session") or "").split(" ")[0]
    return by_session.get(session) or here
