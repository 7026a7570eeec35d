"""The merge drivers a journal registers, so that git merges each of its files by what it means.

`.gitattributes` (in the journal, the same on every machine) names a driver per kind of file; the
journal's own `.git/config` says how to run each one: this Python, `-m ai_budget.sync.driver KIND`.
`init` and every `sync` write both, so a moved or upgraded installation is picked up again.
"""

from __future__ import annotations

import shlex
import sys

from ai_budget.errors import GitFailed
from ai_budget.journal.gitrepo import GitRepo

FILE = ".gitattributes"
PREFIX = "ai-budget-"
KINDS = ("budget", "ledger", "sessions", "lines", "rollup")
TEXT = f"""\
# ai-budget: each file merged by what it means, so that machines syncing one journal never conflict.
budget.json merge={PREFIX}budget
sessions/*.md merge={PREFIX}sessions
sessions/ledger/*.jsonl merge={PREFIX}ledger
tasks/*.md merge={PREFIX}lines
usage/*.csv merge={PREFIX}rollup
usage/*/*.csv merge={PREFIX}rollup
{FILE} merge={PREFIX}lines
"""


def driver_command(kind: str) -> str:
    """How git runs one driver (%O base, %A ours and the result, %B theirs, %P the path)."""
    return f"{shlex.quote(sys.executable)} -m ai_budget.sync.driver {kind} %O %A %B %P"


def wanted() -> dict[str, str]:
    """The config entries the drivers need."""
    found = {}
    for kind in KINDS:
        found[f"merge.{PREFIX}{kind}.name"] = f"ai-budget: {kind} merged by meaning"
        found[f"merge.{PREFIX}{kind}.driver"] = driver_command(kind)
    return found


def configure(repo: GitRepo) -> None:
    """Register the drivers in the journal's git config (only what differs is written)."""
    try:
        listed = repo.git("config", "--local", "--get-regexp", rf"^merge\.{PREFIX}")
    except GitFailed:
        listed = ""  # exit 1: none yet
    have = dict(line.partition(" ")[::2] for line in listed.splitlines())
    for key, value in wanted().items():
        if have.get(key) != value:
            repo.git("config", "--local", key, value)
