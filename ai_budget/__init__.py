"""ai-budget: a local, git-backed budget journal for AI coding subscriptions."""

__version__ = "0.1.0"
