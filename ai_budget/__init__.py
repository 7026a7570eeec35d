"""ai-budget: a local, git-backed budget journal for AI coding subscriptions.

The public Python API: `current_usage()`; importing this package loads neither click nor GitPython.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_budget.version import __version__

if TYPE_CHECKING:
    from ai_budget.claude.usage import current_usage


def __getattr__(name: str) -> object:
    """`ai_budget.current_usage` without importing the HTTP code at start-up."""
    if name == "current_usage":
        from ai_budget.claude.usage import current_usage

        return current_usage
    raise AttributeError(name)


__all__ = ["__version__", "current_usage"]
