"""Shared checks for the fault suite: run a command, then prove it failed in one clean line and left the
journal exactly as it was (or landed exactly one commit)."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from conftest import git

from ai_budget.cli import cli


@dataclass
class Outcome:
    """What a command did: exit status and its two streams (a crash shows up as a traceback in `err`)."""

    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        """stdout and stderr together."""
        return self.out + self.err


def attempt(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Outcome:
    """Run the CLI in-process; an exception that escapes it is turned into the traceback a user would see."""
    result = CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=True)
    err = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        err += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(*result.exc_info))
        code = -1
    return Outcome(code, result.stdout, err)


def attempt_process(*args: str, timeout: float = 60, **kwargs: object) -> Outcome:
    """Run the CLI as a real `python -m ai_budget` process."""
    done = subprocess.run(
        [sys.executable, "-m", "ai_budget", *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )  # type: ignore[call-overload]
    return Outcome(done.returncode, done.stdout, done.stderr)


def one_line_error(outcome: Outcome, *needles: str, code: int = 1) -> str:
    """Assert: exit `code`, no traceback, exactly one `Error:` line on stderr holding every needle."""
    assert "Traceback" not in outcome.both, outcome.err
    assert outcome.code == code, (outcome.code, outcome.err)
    lines = outcome.err.splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("Error: "), line
    for needle in needles:
        assert needle.lower() in line.lower(), (needle, line)
    return line


def succeeded(outcome: Outcome) -> None:
    """Assert: exit 0 and no traceback."""
    assert "Traceback" not in outcome.both, outcome.err
    assert outcome.code == 0, (outcome.code, outcome.err)


def head(repo: Path) -> str:
    """The commit HEAD names (empty before the first)."""
    try:
        return git(repo, "rev-parse", "HEAD").strip()
    except subprocess.CalledProcessError:
        return ""


def files(repo: Path) -> dict[str, bytes]:
    """Every file of the journal's work tree (not .git), byte for byte."""
    found = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if rel.parts[0] == ".git" or not path.is_file():
            continue
        found[str(rel)] = path.read_bytes()
    return found


@dataclass
class State:
    """The journal at one moment: its files and its HEAD."""

    files: dict[str, bytes]
    head: str


def state(repo: Path) -> State:
    """The journal's files and HEAD now."""
    return State(files(repo), head(repo))


def porcelain(repo: Path) -> str:
    """`git status --porcelain` of the journal."""
    return git(repo, "status", "--porcelain")


def unchanged(repo: Path, before: State) -> None:
    """Assert: every file byte for byte as before, no commit, a clean tree."""
    after = state(repo)
    assert after.head == before.head, "a commit landed"
    changed = sorted(set(after.files) ^ set(before.files)) + sorted(
        rel for rel in set(after.files) & set(before.files) if after.files[rel] != before.files[rel]
    )
    assert changed == [], f"changed: {changed}"
    assert porcelain(repo) == ""


def one_commit(repo: Path, before: State) -> str:
    """Assert: exactly one commit on top of `before`, a clean tree; return its subject."""
    count = git(repo, "rev-list", "--count", f"{before.head}..HEAD").strip()
    assert count == "1", f"{count} commits landed"
    assert porcelain(repo) == ""
    return git(repo, "log", "-1", "--format=%s").strip()


def committed_paths(repo: Path) -> list[str]:
    """The paths the last commit changed."""
    return git(repo, "show", "--name-only", "--format=", "HEAD").split()


def all_text(*roots: Path) -> str:
    """Every file under these folders (git objects unpacked through `git log -p`), as one text."""
    parts = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and "objects" not in path.parts:
                parts.append(path.read_bytes().decode("utf-8", errors="replace"))
        if (root / ".git").exists():
            parts.append(git(root, "log", "-p", "--all", "--format=%B"))
    return "\n".join(parts)


def hook(repo: Path, name: str, script: str) -> Path:
    """Install a git hook in the journal."""
    path = repo / ".git" / "hooks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return path


def env_without_git() -> dict[str, str]:
    """The test's environment for a child process (HOME and the rest already isolated)."""
    return dict(os.environ)
