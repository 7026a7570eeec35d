"""Install the Claude Code skills and legacy commands; never overwrite a copy the user edited."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ai_budget.errors import BudgetError
from ai_budget.paths import shipped

NAMES = ("budget-check", "budget-log")
# The install mark sits in the frontmatter (never in the body, which reaches the model as it is).
FRONTMATTER = re.compile(r"\A---\n(?P<meta>(?:.*\n)*?)---\n")
MARK = re.compile(r'^metadata:\n  ai-budget-digest: "(?P<digest>[0-9a-f]{16})"\n', re.M)
OLD_MARK = re.compile(r"\n<!-- ai-budget: (?P<digest>[0-9a-f]{16}) -->\n?$")  # earlier installs: in the body


@dataclass
class Outcome:
    """What happened to one file."""

    path: Path
    action: str  # installed, updated, unchanged; removed, kept, gone; current, outdated, edited, missing

    def as_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"path": str(self.path), "action": self.action}


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _normal(text: str) -> str:
    return text.rstrip("\n") + "\n"


def stamped(body: str) -> str:
    """The file as installed: a mark in its frontmatter tells later installs it is unedited."""
    body = _normal(body)
    mark = f'metadata:\n  ai-budget-digest: "{_digest(body)}"\n'
    found = FRONTMATTER.match(body)
    if found is None:
        return f"---\n{mark}---\n{body}"
    return body[: found.end("meta")] + mark + body[found.end("meta") :]


def unstamped(text: str) -> tuple[str, str] | None:
    """(the file as shipped, the digest its mark claims), or None when it carries no mark."""
    found = FRONTMATTER.match(text)
    mark = MARK.search(found.group("meta")) if found else None
    if found and mark:
        start, end = found.start("meta") + mark.start(), found.start("meta") + mark.end()
        body = text[:start] + text[end:]
        return body.removeprefix("---\n---\n"), mark.group("digest")
    old = OLD_MARK.search(text)
    return (_normal(text[: old.start()]), old.group("digest")) if old else None


def edited(text: str) -> bool:
    """Whether an installed file differs from what ai-budget wrote (or carries no mark)."""
    found = unstamped(text)
    return found is None or _digest(_normal(found[0])) != found[1]


def _read(path: Path) -> str:
    """An installed copy's text; one that is not UTF-8 any more reads as edited."""
    return path.read_bytes().decode("utf-8", errors="replace")


def sources(legacy: bool = True) -> list[tuple[Path, str]]:
    """(shipped file, path relative to the Claude dir) for each skill, and each legacy command when
    `legacy` (Claude Code before 2.1, which has no skills in its slash menu)."""
    root = shipped("skills")
    found = [(root / name / "SKILL.md", f"skills/{name}/SKILL.md") for name in NAMES]
    if legacy:
        found += legacy_sources()
    return found


def legacy_sources() -> list[tuple[Path, str]]:
    """The legacy commands/ files: on Claude Code 2.1 and later a second copy of each skill."""
    root = shipped("skills")
    return [(root / "commands" / f"{name}.md", f"commands/{name}.md") for name in NAMES]


Plan = list[tuple[Path, str, str]]  # (target, content, action)


def install(claude_dir: Path, force: bool = False, legacy: bool = False) -> list[Outcome]:
    """Copy the skills into `claude_dir`; refuse (before writing anything) to overwrite edits.
    Without `legacy`, legacy command files ai-budget wrote earlier (unedited) are removed: beside
    the skills they list every command twice."""
    outcomes = apply(plan(claude_dir, force, legacy))
    return outcomes if legacy else outcomes + retire_legacy(claude_dir)


def retire_legacy(claude_dir: Path) -> list[Outcome]:
    """Remove the legacy command files ai-budget wrote and nobody edited (beside the skills, Claude Code
    2.1 and later list each command twice)."""
    stale = [rel for _, rel in legacy_sources() if (claude_dir / rel).is_file()]
    return [o for o in remove(claude_dir, stale) if o.action == "removed"]


def plan(claude_dir: Path, force: bool = False, legacy: bool = False) -> Plan:
    """What install would write; refuses a copy the user edited (unless `force`), writing nothing."""
    found: Plan = []
    refused: list[Path] = []
    for source, rel in sources(legacy):
        target = claude_dir / rel
        content = stamped(source.read_text(encoding="utf-8"))
        if not target.exists():
            found.append((target, content, "installed"))
            continue
        current = _read(target)
        if current == content:
            found.append((target, content, "unchanged"))
        elif edited(current) and not force:
            refused.append(target)
        else:
            found.append((target, content, "updated"))
    if refused:
        names = ", ".join(str(p) for p in refused)
        raise BudgetError(
            f"{names} has changes of yours: keep them, or run `ai-budget skills install --force`"
        )
    return found


def apply(plan: Plan) -> list[Outcome]:
    """Write what `plan` found to write."""
    outcomes = []
    for target, content, action in plan:
        if action != "unchanged":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        outcomes.append(Outcome(target, action))
    return outcomes


def remove(claude_dir: Path, rels: list[str]) -> list[Outcome]:
    """Delete these installed files if unedited (and their empty skill folder); keep edited ones."""
    outcomes = []
    known = {rel for _, rel in sources(legacy=True)}
    for rel in (r for r in rels if r in known):
        target = claude_dir / rel
        if not target.is_file():
            outcomes.append(Outcome(target, "gone"))
        elif edited(_read(target)):
            outcomes.append(Outcome(target, "kept"))
        else:
            target.unlink()
            for folder in (target.parent, claude_dir / "skills", claude_dir / "commands"):
                if folder != claude_dir and folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()  # left empty by what ai-budget removed
            outcomes.append(Outcome(target, "removed"))
    return outcomes


def states(claude_dir: Path, legacy: bool = False) -> list[Outcome]:
    """Each skill (and legacy command, when wanted or present): current, outdated (unedited, older),
    edited or missing."""
    outcomes = []
    for source, rel in sources(legacy=True):
        target = claude_dir / rel
        if rel.startswith("commands/") and not legacy and not target.is_file():
            continue
        if not target.is_file():
            state = "missing"
        else:
            current = _read(target)
            fresh = current == stamped(source.read_text(encoding="utf-8"))
            state = "current" if fresh else "edited" if edited(current) else "outdated"
        outcomes.append(Outcome(target, state))
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
