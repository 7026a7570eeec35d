"""Install the Claude Code skills and legacy commands; never overwrite a copy the user edited."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ai_budget.errors import BudgetError
from ai_budget.paths import shipped

NAMES = ("budget-check", "budget-log")
MARK = re.compile(r"\n<!-- ai-budget: (?P<digest>[0-9a-f]{16}) -->\n?$")


@dataclass
class Outcome:
    """What happened to one file."""

    path: Path
    action: str  # installed, updated, unchanged

    def as_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"path": str(self.path), "action": self.action}


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def stamped(body: str) -> str:
    """The file as installed: the body plus a mark that tells later installs it is unedited."""
    return body.rstrip("\n") + f"\n\n<!-- ai-budget: {_digest(body.rstrip(chr(10)) + chr(10))} -->\n"


def edited(text: str) -> bool:
    """Whether an installed file differs from what ai-budget wrote (or carries no mark)."""
    match = MARK.search(text)
    if match is None:
        return True
    body = text[: match.start()].rstrip("\n") + "\n"
    return _digest(body) != match.group("digest")


def sources() -> list[tuple[Path, str]]:
    """(shipped file, path relative to the Claude dir) for each skill and legacy command."""
    root = shipped("skills")
    found = [(root / name / "SKILL.md", f"skills/{name}/SKILL.md") for name in NAMES]
    found += [(root / "commands" / f"{name}.md", f"commands/{name}.md") for name in NAMES]
    return found


def install(claude_dir: Path, force: bool = False) -> list[Outcome]:
    """Copy the skills into `claude_dir`; refuse (before writing anything) to overwrite edits."""
    plan: list[tuple[Path, str, str]] = []
    refused: list[Path] = []
    for source, rel in sources():
        target = claude_dir / rel
        content = stamped(source.read_text(encoding="utf-8"))
        if not target.exists():
            plan.append((target, content, "installed"))
            continue
        current = target.read_text(encoding="utf-8")
        if current == content:
            plan.append((target, content, "unchanged"))
        elif edited(current) and not force:
            refused.append(target)
        else:
            plan.append((target, content, "updated"))
    if refused:
        names = ", ".join(str(p) for p in refused)
        raise BudgetError(
            f"{names} has changes of yours: keep them, or run `ai-budget skills install --force`"
        )
    outcomes = []
    for target, content, action in plan:
        if action != "unchanged":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        outcomes.append(Outcome(target, action))
    return outcomes


def memory_snippet(journal: Path) -> str:
    """A few lines the user may paste into CLAUDE.md."""
    return (
        "## AI budget\n"
        f"- My budget journal is {journal} (git); `ai-budget` reads and writes it.\n"
        "- Start of session: /budget-check. End of session: /budget-log.\n"
        "- Numbers come from the CLI (`ai-budget check --json`, `ai-budget tokens --json`); "
        "never estimate them yourself."
    )
