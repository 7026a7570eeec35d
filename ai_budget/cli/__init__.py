"""The command line: click only, one module per command group; every computation is in the core."""

from __future__ import annotations

from ai_budget.cli import (
    accounts,
    backlog,
    calibration,
    claude_code,
    integrate,
    integrations,
    journal,
    routing,
    session,
    status,
    usage,
    watch,
)
from ai_budget.cli.app import cli

# Importing the command modules registers their commands on the group.
COMMAND_MODULES = (
    accounts,
    backlog,
    calibration,
    claude_code,
    integrate,
    integrations,
    journal,
    routing,
    session,
    status,
    usage,
    watch,
)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ai-budget")


__all__ = ["cli", "main"]
