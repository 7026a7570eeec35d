"""Every path the tool uses, from one place: journal home, Claude dirs, cache, shipped data."""

from __future__ import annotations

import os
from pathlib import Path

from ai_budget.errors import InvalidInput

JOURNAL_ENV = "AI_BUDGET_HOME"
CACHE_ENV = "AI_BUDGET_CACHE_DIR"
STATE_ENV = "AI_BUDGET_STATE_DIR"
CLAUDE_ENV = "CLAUDE_CONFIG_DIR"
ADMIN_KEY_ENV = "ANTHROPIC_ADMIN_API_KEY"  # the Console's Admin API key, instead of a key file


def claude_project(folder: str) -> str:
    """Claude Code's name for a working folder's project folder: every character but an ASCII letter or
    digit becomes '-' (names longer than 200 characters are cut there and get a hash: `same_project`)."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in folder)


def same_project(project: str, name: str) -> bool:
    """Whether a project folder's name is `name`, Claude Code's name for a folder (`claude_project`)."""
    if len(name) > 200:  # long names are cut to 200 characters plus a hash
        return project.startswith(name[:200])
    return project == name


def name_hash(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of `text`: a file name per folder or per id. CPython's
    built-in SHA-256 when it has one, as hashlib loads OpenSSL first: milliseconds the statusline would
    pay on every assistant message."""
    try:
        from _sha256 import sha256  # CPython 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # CPython 3.12 and later
        except ImportError:
            from hashlib import sha256
    return sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


BUDGET_FILE = "budget.json"
# In the journal's git directory while a command writes (a transaction) or a sync merges: a command that
# died mid-way left one, and the next command that reads the journal puts things right first.
TRANSACTION_MARKER = "ai-budget-transaction.json"
SYNC_MARKER = "ai-budget-sync.json"
BACKLOG_FILE = "tasks/backlog.md"
COMPLETED_FILE = "tasks/completed.md"
SESSIONS_DIR = "sessions"
LEDGER_DIR = f"{SESSIONS_DIR}/ledger"  # the session ledger: a JSON line per record, YYYY-MM.jsonl
USAGE_DIR = "usage"  # the daily rollups, a folder per machine


def journal_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The journal repo: `--home`, else $AI_BUDGET_HOME, else ~/.ai-budget."""
    if override is not None:
        if not str(override).strip():
            raise InvalidInput("--home is empty: give the journal's folder, or leave --home out")
        return Path(override).expanduser().absolute()
    env = os.environ.get(JOURNAL_ENV)
    if env:
        return Path(env).expanduser().absolute()
    return Path.home() / ".ai-budget"


def claude_dirs() -> list[Path]:
    """Claude config dirs: $CLAUDE_CONFIG_DIR (comma list) replaces ~/.claude + ~/.config/claude."""
    env = os.environ.get(CLAUDE_ENV, "").strip()
    if env:
        found: list[Path] = []
        for part in env.split(","):
            part = part.strip()
            if not part:
                continue
            path = Path(part).expanduser().absolute()
            # A user may point at the projects/ folder itself.
            if path.name == "projects" and not (path / "projects").is_dir():
                path = path.parent
            if path not in found:
                found.append(path)
        if not found:
            raise InvalidInput(
                f"CLAUDE_CONFIG_DIR ({env!r}) names no folder: give Claude Code's config folder, or unset it"
            )
        return found
    dirs = [Path.home() / ".claude"]
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "claude"
    if (xdg / "projects").is_dir() and xdg.resolve() != dirs[0].resolve():
        dirs.append(xdg)
    return dirs


def primary_claude_dir() -> Path:
    """The Claude dir that holds the login and where skills are installed."""
    return claude_dirs()[0]


def cache_dir() -> Path:
    """Cache for usage responses, 429 backoff and the transcript index (outside the journal)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser().absolute()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "ai-budget"


def state_dir() -> Path:
    """Where the usage history lives (not in git): $AI_BUDGET_STATE_DIR, else $XDG_STATE_HOME/ai-budget."""
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser().absolute()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "ai-budget"


def shipped(name: str) -> Path:
    """A data folder shipped with the package (templates, skills, pricing).

    In a wheel it sits inside the package; in a source checkout, beside it.
    """
    here = Path(__file__).resolve().parent
    inside = here / name
    if inside.is_dir():
        return inside
    return here.parent / name
