"""The Claude Code skills: frontmatter, install, never overwriting the user's edits."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import REPO, python_cli, run

SKILLS = ["budget-check", "budget-log"]


def frontmatter(path: Path) -> dict:
    text = path.read_text()
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


FILES = [f"{name}/SKILL.md" for name in SKILLS] + [f"commands/{name}.md" for name in SKILLS]
# Commands a skill only tells the user about; every other one it runs, so a rule must allow it.
ADVICE = {("init",), ("integrate", "install"), ("backlog", "done"), ("skills", "install")}


def rules(meta: dict) -> list[str]:
    """allowed-tools as a list, whether written as a YAML list or a comma-separated string."""
    tools = meta["allowed-tools"]
    return tools if isinstance(tools, list) else [t.strip() for t in tools.split(",")]


def prefix(rule: str) -> str:
    """`Bash(ai-budget log:*)` and `Bash(ai-budget log *)` both allow `ai-budget log …`."""
    assert rule.startswith("Bash(") and rule.endswith(")"), rule
    inner = rule[5:-1]
    assert inner.endswith((":*", " *")), rule
    return inner[:-2]


@pytest.mark.parametrize("name", SKILLS)
def test_skill_frontmatter(name: str) -> None:
    meta = frontmatter(REPO / "skills" / name / "SKILL.md")
    assert meta["name"] == name
    assert 50 < len(meta["description"]) <= 1024
    assert meta["allowed-tools"]
    assert all(tool.startswith("Bash(ai-budget ") for tool in meta["allowed-tools"])
    body = (REPO / "skills" / name / "SKILL.md").read_text()
    assert f"ai-budget {'check' if name == 'budget-check' else 'log'} " in body


@pytest.mark.parametrize("rel", FILES)
def test_each_file_takes_arguments_and_allows_each_rule_once(rel: str) -> None:
    path = REPO / "skills" / rel
    meta = frontmatter(path)
    body = path.read_text().split("---\n", 2)[2]
    assert meta["argument-hint"]
    assert "$ARGUMENTS" in body  # what the user typed after the command, read in the same turn
    prefixes = [prefix(rule) for rule in rules(meta)]
    assert len(prefixes) == len(set(prefixes)), prefixes  # `x:*` and `x *` are one rule
    assert "<!--" not in body  # an HTML comment would reach the model
    assert "metadata" not in meta  # the mark is added at install, never shipped
    if "budget-log" in rel:
        assert meta["disable-model-invocation"] is True  # it commits: only the user starts it
        assert "/budget-log flashcard 15 SMA101 ch4; feature 1 login page" in body
    else:
        assert "disable-model-invocation" not in meta
        assert "/budget-check copilot N" in body


@pytest.mark.parametrize("rel", FILES)
def test_every_command_a_file_names_exists_and_is_allowed(rel: str) -> None:
    import click

    from ai_budget.cli import cli

    path = REPO / "skills" / rel
    allowed = [prefix(rule) for rule in rules(frontmatter(path))]
    mentions = re.findall(r"`!?(ai-budget [^`]+)`", path.read_text())
    assert mentions
    for mention in mentions:
        words = mention.replace("[", " ").replace("]", " ").split()[1:]
        command: click.Command = cli
        path_words: list[str] = []
        while isinstance(command, click.Group) and words and words[0] in command.commands:
            command = command.commands[words[0]]
            path_words.append(words.pop(0))
        assert path_words and not isinstance(command, click.Group) or command.invoke_without_command, mention
        options = {opt for param in command.params for opt in param.opts}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{mention}: {word}"
        if tuple(path_words) not in ADVICE:
            assert any(mention.startswith(p) for p in allowed), f"{rel} runs `{mention}` without a rule"


def test_install_twice_and_refuse_edits(home: Path) -> None:
    claude = home / ".claude"
    first = json.loads(run("skills", "install", "--legacy-commands", "--json").stdout)
    assert [f["action"] for f in first["files"]] == ["installed"] * 4
    installed = [Path(f["path"]) for f in first["files"]]
    assert installed == [
        claude / "skills" / "budget-check" / "SKILL.md",
        claude / "skills" / "budget-log" / "SKILL.md",
        claude / "commands" / "budget-check.md",
        claude / "commands" / "budget-log.md",
    ]
    assert frontmatter(installed[0])["name"] == "budget-check"  # the mark does not break the frontmatter

    second = json.loads(run("skills", "install", "--legacy-commands", "--json").stdout)
    assert [f["action"] for f in second["files"]] == ["unchanged"] * 4

    edited = installed[1]
    edited.write_text(edited.read_text() + "\nMy own note.\n")
    refused = run("skills", "install", "--legacy-commands")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: {edited} has changes of yours: keep them, or run `ai-budget skills install --force`\n"
    )
    assert edited.read_text().endswith("My own note.\n")
    forced = json.loads(run("skills", "install", "--legacy-commands", "--force", "--json").stdout)
    assert [f["action"] for f in forced["files"]] == ["unchanged", "updated", "unchanged", "unchanged"]
    assert "My own note." not in edited.read_text()


def test_the_installed_mark_is_in_the_frontmatter_not_the_body(home: Path) -> None:
    run("skills", "install", "--legacy-commands")
    for rel in FILES:
        source = REPO / "skills" / rel
        installed = home / ".claude" / (rel if rel.startswith("commands/") else f"skills/{rel}")
        meta, shipped = frontmatter(installed), frontmatter(source)
        assert re.fullmatch(r"[0-9a-f]{16}", meta.pop("metadata")["ai-budget-digest"])
        assert meta == shipped  # the mark adds one key and changes nothing else
        body = installed.read_text().split("---\n", 2)[2]
        assert body == source.read_text().split("---\n", 2)[2]
        assert "<!--" not in body


def old_stamped(body: str) -> str:
    """How installs before the frontmatter mark wrote a file: an HTML comment at the end of the body."""
    import hashlib

    body = body.rstrip("\n") + "\n"
    return body.rstrip("\n") + f"\n\n<!-- ai-budget: {hashlib.sha256(body.encode()).hexdigest()[:16]} -->\n"


def test_an_older_unedited_copy_is_updated(home: Path) -> None:
    from ai_budget.integrations.skills import edited, stamped

    check = home / ".claude" / "skills" / "budget-check" / "SKILL.md"
    log = home / ".claude" / "skills" / "budget-log" / "SKILL.md"
    check.parent.mkdir(parents=True)
    log.parent.mkdir(parents=True)
    check.write_text(stamped("---\nname: budget-check\n---\nan older version\n"))
    log.write_text(old_stamped("---\nname: budget-log\n---\nan older version, old mark\n"))
    assert not edited(check.read_text()) and not edited(log.read_text())
    result = json.loads(run("skills", "install", "--json").stdout)
    assert [f["action"] for f in result["files"][:2]] == ["updated", "updated"]
    assert "<!--" not in log.read_text()
    assert not edited(log.read_text())


def test_an_old_copy_you_edited_is_refused(home: Path) -> None:
    from ai_budget.integrations.skills import edited, stamped

    log = home / ".claude" / "skills" / "budget-log" / "SKILL.md"
    log.parent.mkdir(parents=True)
    log.write_text(old_stamped("---\nname: budget-log\n---\nold\n").replace("old\n", "old, mine\n", 1))
    assert edited(log.read_text())
    assert run("skills", "install").exit_code == 1
    assert "old, mine" in log.read_text()
    assert edited(stamped("---\nname: x\n---\nbody\n").replace("body", "bodY"))
    assert edited(stamped("no frontmatter\n").replace('"', "", 1))
    assert not edited(stamped("no frontmatter\n"))
    assert edited("---\nname: x\n---\nno mark at all\n")


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
        "**Tokens** (Claude Code session `",  # check and log run as the skills run them, in a session
        "- flashcard: 2 samples → 3, 2.56 → 1.36 %/card",  # the session taught calibration
        "$ ai-budget history --calibration flashcard",
    ):
        assert expected in out, expected
    assert not list(scratch.iterdir())  # the temporary copy is gone, nothing left behind


def fake_claude(folder: Path, version: str) -> None:
    """A `claude` on PATH that answers --version as the real one does (a real subprocess, no network)."""
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "claude"
    exe.write_text(f"#!/bin/sh\necho '{version} (Claude Code)'\n")
    exe.chmod(0o755)


@pytest.mark.parametrize(("version", "legacy"), [("2.1.197", False), ("2.0.76", True), ("3.0.1", False)])
def test_legacy_commands_only_for_claude_code_before_2_1(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, legacy: bool
) -> None:
    """On 2.1 and later a commands/ file beside a skill lists the command twice: skills alone there."""
    fake_claude(tmp_path / "bin", version)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    files = json.loads(run("skills", "install", "--json").stdout)["files"]
    names = sorted(Path(f["path"]).relative_to(home / ".claude").as_posix() for f in files)
    commands = ["commands/budget-check.md", "commands/budget-log.md"] if legacy else []
    assert names == sorted(["skills/budget-check/SKILL.md", "skills/budget-log/SKILL.md", *commands])


def test_an_upgrade_removes_the_legacy_commands_ai_budget_wrote(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("skills", "install", "--legacy-commands")
    assert (home / ".claude" / "commands" / "budget-log.md").is_file()
    fake_claude(tmp_path / "bin", "2.1.197")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    files = json.loads(run("skills", "install", "--json").stdout)["files"]
    assert sorted(f["action"] for f in files if "commands/" in f["path"]) == ["removed", "removed"]
    assert not (home / ".claude" / "commands").exists()


def test_without_claude_on_path_only_the_skills_go_in(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    files = json.loads(run("skills", "install", "--json").stdout)["files"]
    assert all("/skills/" in f["path"] for f in files) and len(files) == 2
