"""The Claude Code skills: frontmatter, install, never overwriting the user's edits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import REPO, python_cli, run

SKILLS = ["budget-check", "budget-log"]


def frontmatter(path: Path) -> dict:
    text = path.read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.mark.parametrize("name", SKILLS)
def test_skill_frontmatter(name: str) -> None:
    meta = frontmatter(REPO / "skills" / name / "SKILL.md")
    assert meta["name"] == name
    assert 50 < len(meta["description"]) <= 1024
    assert meta["allowed-tools"]
    assert all(tool.startswith("Bash(ai-budget ") for tool in meta["allowed-tools"])
    body = (REPO / "skills" / name / "SKILL.md").read_text()
    assert f"ai-budget {'check' if name == 'budget-check' else 'log'} " in body


@pytest.mark.parametrize("name", SKILLS)
def test_legacy_command_frontmatter(name: str) -> None:
    meta = frontmatter(REPO / "skills" / "commands" / f"{name}.md")
    assert meta["description"]
    assert "Bash(ai-budget" in meta["allowed-tools"]


def test_install_twice_and_refuse_edits(home: Path) -> None:
    claude = home / ".claude"
    first = json.loads(run("skills", "install", "--json").stdout)
    assert [f["action"] for f in first["files"]] == ["installed"] * 4
    installed = [Path(f["path"]) for f in first["files"]]
    assert installed == [
        claude / "skills" / "budget-check" / "SKILL.md",
        claude / "skills" / "budget-log" / "SKILL.md",
        claude / "commands" / "budget-check.md",
        claude / "commands" / "budget-log.md",
    ]
    assert frontmatter(installed[0])["name"] == "budget-check"  # the mark does not break the frontmatter

    second = json.loads(run("skills", "install", "--json").stdout)
    assert [f["action"] for f in second["files"]] == ["unchanged"] * 4

    edited = installed[1]
    edited.write_text(edited.read_text() + "\nMy own note.\n")
    refused = run("skills", "install")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {edited} has changes of yours: keep them, or run `ai-budget skills install --force`\n"
    )
    assert edited.read_text().endswith("My own note.\n")
    forced = json.loads(run("skills", "install", "--force", "--json").stdout)
    assert [f["action"] for f in forced["files"]] == ["unchanged", "updated", "unchanged", "unchanged"]
    assert "My own note." not in edited.read_text()


def test_an_older_unedited_copy_is_updated(home: Path) -> None:
    from ai_budget.integrations.skills import stamped

    target = home / ".claude" / "skills" / "budget-check" / "SKILL.md"
    target.parent.mkdir(parents=True)
    target.write_text(stamped("---\nname: budget-check\n---\nan older version\n"))
    result = json.loads(run("skills", "install", "--json").stdout)
    assert result["files"][0]["action"] == "updated"


def test_install_prints_the_memory_snippet(home: Path) -> None:
    out = run("skills", "install").stdout
    assert "Run /budget-check at the start of a Claude Code session" in out
    assert f"My budget journal is {home / '.ai-budget'} (git)" in out


def test_the_memory_snippet_names_the_journal_given_with_home(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    out = run("--home", str(elsewhere), "skills", "install").stdout
    assert f"My budget journal is {elsewhere} (git)" in out
    assert ".ai-budget" not in out


def test_demo_runs_the_whole_loop_offline(tmp_path: Path) -> None:
    import os

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = python_cli("demo", cwd=scratch, env=dict(os.environ, TMPDIR=str(scratch)))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith("SAMPLE DATA, not your account")
    for expected in (
        "$ ai-budget check --from-file",
        "Budget brief,",
        "$ ai-budget log --from-file",
        "- flashcard ×15: SMA101 chapter 4",
        "5-hour 37.0% → 55.0% (+18.0%)",
        "6,550 output",
        "$ ai-budget history --calibration flashcard",
    ):
        assert expected in out, expected
    assert not list(scratch.iterdir())  # the temporary copy is gone, nothing left behind
