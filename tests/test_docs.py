"""Every command has help text and appears in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from conftest import run

from ai_budget.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
    return found


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize("path", all_commands(cli), ids=" ".join)
def test_command_has_help_and_is_in_readme(path: tuple[str, ...]) -> None:
    command = command_at(path)
    # The command's own text, not only click's scaffolding: a docstring of a whole sentence.
    own = (command.help or "").strip()
    assert len(own.split()) >= 4, f"{' '.join(path)} has no help text of its own"
    result = run(*path, "--help")
    assert result.exit_code == 0
    # click wraps the text to the terminal's width: compare with white space folded.
    assert " ".join(own.splitlines()[0].split()) in " ".join(result.stdout.split())
    assert "-h, --help" in result.stdout
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name != "help":
            assert param.help, f"{' '.join(path)} {param.opts[0]} has no help"
    assert f"ai-budget {' '.join(path)}" in README, f"README does not mention {' '.join(path)}"


def test_quick_start_has_exactly_two_command_lines() -> None:
    section = README.split("## Quick start", 1)[1]
    block = section.split("```", 2)[1]
    lines = [line for line in block.splitlines()[1:] if line.strip()]
    assert len(lines) == 2
    assert "ai-budget demo" in lines[0]
    assert "pytest" in lines[1]
