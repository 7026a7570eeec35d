"""Where the daily rollups' month files are (`usage/<machine>/YYYY-MM.csv`, and `usage/YYYY-MM.csv` from
before machine names). Light (no git, no pydantic): `check`'s fast path stats them to see that there is
nothing to roll up."""

from __future__ import annotations

import re
from pathlib import Path

from ai_budget import paths
from ai_budget.errors import BudgetError
from ai_budget.journal import machine
from ai_budget.journal.gitrepo import GitRepo

MONTH_FILE = re.compile(r"(\d{4})-(\d{2})\.csv")


class DamagedRollup(BudgetError):
    """A rollup file that cannot be read as written: it is never overwritten."""


def machine_name(root: Path) -> str:
    """The name of the machine this journal is written on."""
    return machine.name(GitRepo(root).config_path)


def folder(root: Path) -> Path:
    """The rollups' folder; a file in its place is damage, named."""
    found = root / paths.USAGE_DIR
    if found.exists() and not found.is_dir():
        raise DamagedRollup(
            f"{found} is a file where the daily rollups' folder belongs: move it away, then run it again"
        )
    return found


def months(where: Path) -> list[Path]:
    """The month files in a folder, oldest first."""
    if not where.is_dir():
        return []
    return sorted(p for p in where.iterdir() if MONTH_FILE.fullmatch(p.name) and p.is_file())


def legacy_files(root: Path) -> list[Path]:
    """Month files from before machine names (`usage/YYYY-MM.csv`): this machine's."""
    return months(folder(root))


def month_files(root: Path) -> list[Path]:
    """This machine's month files (its folder's, and any from before machine names), oldest first."""
    return months(folder(root) / machine_name(root)) + legacy_files(root)
