"""ai-budget: a local, git-backed budget journal for AI coding subscriptions.

The public Python API: `QuotaMonitor`, `QuotaStatus`, `current_usage()`; importing this package
loads neither click nor GitPython.
"""

# No `from __future__ import annotations` here, in entry.py or claude/answers.py: the import
# costs a kept `tokens` answer about 0.3 ms (callgrind), and nothing here needs it.
from ai_budget.version import __version__

TYPE_CHECKING = False  # not typing's: importing typing costs milliseconds of every start

if TYPE_CHECKING:
    from ai_budget.api import QuotaMonitor, QuotaStatus
    from ai_budget.claude.usage import current_usage


def __getattr__(name: str) -> object:
    """The API's names, imported on first use (the CLI's start-up stays small)."""
    if name == "current_usage":
        from ai_budget.claude.usage import current_usage

        return current_usage
    if name in ("QuotaMonitor", "QuotaStatus"):
        from ai_budget import api

        return getattr(api, name)
    raise AttributeError(name)


__all__ = ["QuotaMonitor", "QuotaStatus", "__version__", "current_usage"]
