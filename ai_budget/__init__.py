"""ai-budget: a local, git-backed budget journal for AI coding subscriptions."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`ai_budget.current_usage` without importing the HTTP code at start-up."""
    if name == "current_usage":
        from ai_budget.usage import current_usage

        return current_usage
    raise AttributeError(name)
