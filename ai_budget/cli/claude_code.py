"""`statusline` and `hook …`: the commands Claude Code runs; they never block it."""

from __future__ import annotations
