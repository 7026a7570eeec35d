"""The demo: the whole loop on a temporary copy of the shipped sample HOME, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ai_budget.paths import shipped

# Each step is one ai-budget command line, run as a real subprocess.
STEPS: list[list[str]] = [
    ["init"],
    ["calibration"],
    ["calibrate", "flashcard", "15", "38.5", "9843"],
    ["copilot", "show"],
    ["history"],
]


def prepare(root: Path) -> dict[str, str]:
    """Copy sample_home under `root`; return the environment that points everything at it."""
    home = root / "home"
    shutil.copytree(shipped("sample_home"), home)
    journal = home / ".ai-budget"
    (home / "journal").rename(journal)
    env = dict(os.environ)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "CLAUDE_CODE_OAUTH_TOKEN"):
        env.pop(key, None)
    env.update(
        HOME=str(home),
        AI_BUDGET_HOME=str(journal),
        CLAUDE_CONFIG_DIR=str(home / ".claude"),
        AI_BUDGET_CACHE_DIR=str(home / ".cache" / "ai-budget"),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        # The sample login is fake: aim anything that would call out at a closed local port.
        AI_BUDGET_ANTHROPIC_URL="http://127.0.0.1:9",
    )
    return env


def run(echo: Callable[[str], None], keep: bool = False) -> int:
    """Run every step, printing each command and its output; return the first failing status."""
    root = Path(tempfile.mkdtemp(prefix="ai-budget-demo-"))
    status = 0
    try:
        env = prepare(root)
        echo(f"Sample data (not your account): a copy of sample_home in {root}\n")
        for step in STEPS:
            echo(f"$ ai-budget {' '.join(step)}")
            done = subprocess.run(
                [sys.executable, "-m", "ai_budget", *step], env=env, capture_output=True, text=True, cwd=root
            )
            echo((done.stdout + done.stderr).rstrip() + "\n")
            if done.returncode != 0:
                status = done.returncode
                break
    finally:
        if keep:
            echo(f"Kept the demo HOME at {root / 'home'}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return status
