"""The docs: every command has help of its own and a place in the user guide; the README is a few
screens whose commands exist; the reference is what the CLI's help generates; every link resolves."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path
from types import ModuleType

import click
import pytest
from conftest import REPO, run

from ai_budget.cli import cli

README = (REPO / "README.md").read_text()
GUIDE = (REPO / "docs" / "guide.md").read_text()
# Docs other branches are writing; a link to one is fine until it lands, and checked once it has.
ELSEWHERE = {"docs/prices.md", "docs/guide-severity.md"}


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
def test_command_has_help_and_is_in_the_guide(path: tuple[str, ...]) -> None:
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
    assert f"ai-budget {' '.join(path)}" in GUIDE, f"docs/guide.md does not mention {' '.join(path)}"


def quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines()[1:] if line.strip()]


def test_quick_start_has_exactly_two_command_lines() -> None:
    lines = quick_start()
    assert len(lines) == 2
    assert "ai-budget demo" in lines[0]
    assert "pytest" in lines[1]


def test_ci_runs_the_readmes_test_command() -> None:
    """.ci/run runs the README's second quick-start line as it is written (pip may be quiet there)."""
    ci = [line.strip().replace("pip install -q ", "pip install ") for line in (REPO / ".ci" / "run").open()]
    assert quick_start()[1] in ci


def test_the_readme_is_a_few_screens() -> None:
    assert len(README.encode()) <= 10_000
    assert README.count("\n") <= 160


def code_lines(markdown: str) -> list[str]:
    """The lines of the code blocks and the inline code spans."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", markdown, re.S)
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return [line for block in blocks for line in block.splitlines()] + re.findall(r"`([^`]+)`", prose)


def test_every_command_the_readme_shows_exists() -> None:
    """Each `ai-budget …` the README shows runs: its words name a command and its options exist."""
    shown = [line.split("#")[0].strip() for line in code_lines(README)]
    shown = [line[line.index("ai-budget ") :] for line in shown if "ai-budget " in line]
    assert len(shown) >= 10
    for line in shown:
        words = shlex.split(line)[1:]
        command: click.Command = cli
        while words and isinstance(command, click.Group) and words[0] in command.commands:
            command = command.commands[words.pop(0)]
        if command is cli:  # the program's own options only: --help, --version
            assert words and all(w.startswith("-") for w in words), f"`{line}`: no such command"
        known = {opt for param in command.params for opt in getattr(param, "opts", [])} | {"-h", "--help"}
        for word in words:
            assert not word.startswith("-") or word in known, f"`{line}`: no option {word}"


def links(path: Path) -> list[str]:
    """Relative link targets in a Markdown file (images included), without their #fragment."""
    text = path.read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [t.split("#", 1)[0] for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_resolves(doc: Path) -> None:
    for target in links(doc):
        resolved = (doc.parent / target).resolve()
        rel = resolved.relative_to(REPO).as_posix()
        assert resolved.exists() or rel in ELSEWHERE, f"{doc.name} links to {target}, which is not there"


def test_the_readme_links_the_docs_and_shows_two_small_pictures() -> None:
    targets = set(links(REPO / "README.md"))
    for doc in ("docs/guide.md", "docs/reference.md", "docs/design.md", "docs/contributing.md", *ELSEWHERE):
        assert doc in targets, doc
    pictures = [t for t in targets if t.endswith(".png")]
    assert len(pictures) == 2
    for picture in pictures:
        data = (REPO / picture).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 200_000, picture
    assert (REPO / "docs" / "make_pictures.sh").read_text().count("ai-budget demo") >= 1


def test_the_guide_links_the_docs_written_elsewhere() -> None:
    targets = set(links(REPO / "docs" / "guide.md"))
    assert {Path(doc).name for doc in ELSEWHERE} <= targets


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", REPO / "docs" / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_is_what_the_help_generates() -> None:
    """docs/reference.md is written from the CLI's help: run `python docs/gen_reference.py` after a change."""
    written = (REPO / "docs" / "reference.md").read_text()
    assert written == generator().render(), "out of date: run python docs/gen_reference.py"


def test_the_reference_holds_every_commands_help() -> None:
    text = generator().render()
    for path in all_commands(cli):
        assert f"# ai-budget {' '.join(path)}\n" in text, path
        first = " ".join((command_at(path).help or "").split("\n\n")[0].split())
        assert first[:40] in " ".join(text.split()), path
