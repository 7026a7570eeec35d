"""`integrate install|uninstall|status`: ai-budget's skills, hooks and statusline in Claude Code's settings."""

from __future__ import annotations
