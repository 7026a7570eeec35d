"""`integrate install|uninstall|status`: skills, hooks and statusline in Claude Code's settings."""

from __future__ import annotations
