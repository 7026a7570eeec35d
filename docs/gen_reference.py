"""Write docs/reference.md from the CLI's own help, so the reference cannot drift from the program.

    python docs/gen_reference.py           # rewrite docs/reference.md
    python docs/gen_reference.py --check   # exit 1 if docs/reference.md is not what it would write

tests/test_docs.py runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ai_budget.cli import cli
from ai_budget.cli.app import sections

REFERENCE = Path(__file__).resolve().parent / "reference.md"
WIDTH = 78  # what click wraps to in an 80-column terminal
PROG = "ai-budget"

HEADER = f"""# Command reference

Every command's `--help`, as the program prints it in an 80-column terminal. This file is written by
`python docs/gen_reference.py` from the CLI itself; do not edit it by hand (`tests/test_docs.py` fails
when it differs from what the script writes). The [user guide](guide.md) explains how the commands fit
together.

Every command takes `-h`/`--help`; every command that prints data takes `--json`. `--home PATH` (before
the command) or `AI_BUDGET_HOME` chooses the journal. `{PROG} --version` prints the version.
"""


def help_text(
    command: click.Command, path: list[str], parent: click.Context | None
) -> tuple[str, click.Context]:
    """The command's help as `ai-budget … --help` prints it, and its context (for its subcommands)."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=path[-1], parent=parent, **settings)
    return command.get_help(ctx).rstrip() + "\n", ctx


def anchor(path: list[str]) -> str:
    """The heading's anchor as GitHub and most Markdown renderers make it."""
    return "-".join(path).lower()


def command_block(command: click.Command, path: list[str], parent: click.Context) -> list[str]:
    """A heading and the help of `command`, then the same for each of its subcommands."""
    text, ctx = help_text(command, path, parent)
    level = "###" if len(path) == 2 else "####"
    out = [f"{level} {' '.join(path)}", "", "```text", text.rstrip(), "```", ""]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            out += command_block(command.commands[name], [*path, name], ctx)
    return out


def render() -> str:
    """The whole reference."""
    top, root = help_text(cli, [PROG], None)
    groups = sections(cli.list_commands(root))
    lines = [HEADER]
    lines += ["## Contents", ""]
    for title, names in groups:
        entries = ", ".join(f"[{name}](#{anchor([PROG, name])})" for name in names)
        lines.append(f"- **{title}**: {entries}")
    lines += ["", f"## {PROG}", "", "```text", top.rstrip(), "```", ""]
    for title, names in groups:
        lines += [f"## {title}", ""]
        for name in names:
            lines += command_block(cli.commands[name], [PROG, name], root)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--check"]:
        if REFERENCE.exists() and REFERENCE.read_text(encoding="utf-8") == text:
            return 0
        print(f"{REFERENCE} is out of date: run python docs/gen_reference.py", file=sys.stderr)
        return 1
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    REFERENCE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
