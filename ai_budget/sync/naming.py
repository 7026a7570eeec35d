"""Naming this machine: kept in the journal's git config, its rollups' folder following the name."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ai_budget import paths
from ai_budget.errors import InvalidInput
from ai_budget.journal import machine
from ai_budget.journal.journal import Journal


@dataclass(frozen=True)
class Named:
    """The name before and after, and the rollup files that moved with it."""

    before: str
    after: str
    moved: int


def rename(journal: Journal, raw: str) -> Named:
    """Give this machine a name; its rollups move to `usage/NAME/` (one commit when there are some)."""
    new = machine.checked(raw)
    if machine.clean(os.environ.get(machine.ENV, "")):
        raise InvalidInput(
            f"{machine.ENV} is set ({os.environ[machine.ENV]}) and names this machine while it is: "
            "unset it to keep a name in the journal"
        )
    before = machine.name(journal.repo.config_path)
    usage = journal.root / paths.USAGE_DIR
    target = usage / new
    if new != before and target.exists():
        raise InvalidInput(
            f"another machine of this journal is named {new!r} ({paths.USAGE_DIR}/{new}/ holds its rollups): "
            "choose another name"
        )
    moved = 0
    with journal.transaction(f"machine: {before} renamed {new}") as tx:
        for path in sorted((usage / before).glob("*.csv")) if new != before else []:
            rel = path.relative_to(journal.root).as_posix()
            tx.write(f"{paths.USAGE_DIR}/{new}/{path.name}", tx.read(rel) or "")
            tx.remove(rel)
            moved += 1
        journal.repo.git("config", "--local", f"{machine.SECTION}.{machine.KEY}", new)
    return Named(before, new, moved)
