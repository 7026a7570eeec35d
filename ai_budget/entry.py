"""The `ai-budget` program: the statusline runs on every assistant message, so it skips click."""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args[:1] == ["statusline"] and not {"-h", "--help"} & set(args):
        from ai_budget.integrations.statusline import main as statusline

        sys.exit(statusline(args[1:]))
    from ai_budget.cli import main as cli

    cli()
