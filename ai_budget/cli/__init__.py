"""The command line: click only, one module per command group; every computation is in the core."""

from __future__ import annotations

# Importing the command modules registers their commands on the group.
from ai_budget.cli import (  # noqa: F401
    accounts,
    backlog,
    calibration,
    claude_code,
    console,
    credits,
    integrate,
    integrations,
    journal,
    prices,
    report,
    routing,
    session,
    status,
    sync,
    usage,
    watch,
)
from ai_budget.cli.app import cli


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="ai-budget")


__all__ = ["cli", "main"]
