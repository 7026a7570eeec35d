"""`--help` by use: the session loop first, then tokens and reports, planning, accounts, setup; and
every command's help on one screen of 80 columns by 24 lines."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner
from test_docs import all_commands

from ai_budget.cli import cli
from ai_budget.cli.app import OTHER, SECTIONS, Group

COLUMNS, ROWS = 80, 24


def help_of(group: click.Group, *path: str) -> str:
    """The help as an 80-column terminal shows it: click wraps at the width less two there."""
    result = CliRunner().invoke(group, [*path, "--help"], terminal_width=COLUMNS - 2, prog_name="ai-budget")
    assert result.exit_code == 0, result.output
    return result.stdout


def listing(text: str) -> list[tuple[str, list[str]]]:
    """The help's command sections: each title with the command names under it, in order."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if re.fullmatch(r"\S.*:", line) and line not in ("Options:",) and not line.startswith("Usage:"):
            found.append((line[:-1], []))
        elif found and line.startswith("  ") and line.strip():
            found[-1][1].append(line.split()[0])
    return found


def test_the_session_loop_comes_first_then_reports_then_accounts_then_setup() -> None:
    sections = listing(help_of(cli))
    titles = [title for title, _ in sections]
    assert titles[0] == "The session loop"
    assert sections[0][1] == ["check", "log", "status", "watch"]
    order = [titles.index(t) for t in ("The session loop", "Tokens and reports", "Accounts", "Setup")]
    assert order == sorted(order)
    assert {"tokens", "report"} <= set(dict(sections)["Tokens and reports"])
    assert {"copilot", "console", "credits"} <= set(dict(sections)["Accounts"])
    assert {"init", "integrate"} <= set(dict(sections)["Setup"])


def test_every_command_is_listed_once_and_in_a_section_of_its_own() -> None:
    sections = listing(help_of(cli))
    listed = [name for _, names in sections for name in names]
    assert sorted(listed) == sorted(cli.commands)
    unplaced = dict(sections).get(OTHER)
    assert unplaced is None, f"place {unplaced} in SECTIONS (ai_budget/cli/app.py)"


def test_a_command_missing_from_the_sections_is_still_listed() -> None:
    """A new command nobody placed is shown under "Other commands", never hidden."""
    new = click.Command("zebra", help="A command added later, placed nowhere yet.")
    group = Group(commands={**cli.commands, "zebra": new})
    sections = dict(listing(help_of(group)))
    assert sections[OTHER] == ["zebra"]
    assert "A command added later" in help_of(group)


def test_the_listing_reads_in_full_without_cuts() -> None:
    text = help_of(cli)
    names = {name for _, members in SECTIONS for name, _ in members}
    for line in text.split("Options:", 1)[1].splitlines():
        assert len(line) <= COLUMNS, line
        assert not line.rstrip().endswith(("...", "…")), line
    for _, members in SECTIONS:
        for name, line in members:
            if name in cli.commands:
                assert re.search(rf"^  {name} +{re.escape(line)}$", text, re.M), name
    assert names >= set(cli.commands)


def test_subcommands_are_listed_in_the_order_they_are_defined() -> None:
    text = help_of(cli, "backlog")
    assert [name for _, names in listing(text) for name in names] == list(cli.commands["backlog"].commands)
    assert list(cli.commands["backlog"].commands)[:1] == ["list"]


@pytest.mark.parametrize("path", [(), *all_commands(cli)], ids=lambda p: " ".join(p) or "ai-budget")
def test_each_help_fits_one_screen(path: tuple[str, ...]) -> None:
    text = help_of(cli, *path)
    lines = text.rstrip("\n").splitlines()
    assert all(len(line) <= COLUMNS for line in lines), [line for line in lines if len(line) > COLUMNS]
    if path:  # the top level lists every command: a screen of its own, but a tall one
        assert len(lines) <= ROWS, f"{len(lines)} lines"
    else:
        assert len(lines) <= 2 * ROWS, f"{len(lines)} lines"
