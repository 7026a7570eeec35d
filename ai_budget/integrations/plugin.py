"""The ai-budget Claude Code plugin, as Claude Code records it: installed and enabled, it carries the
skills and the hooks, so `integrate install` must not add them a second time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NAME = "ai-budget"  # the plugin's name in plugin/.claude-plugin/plugin.json
INSTALLED = Path("plugins") / "installed_plugins.json"


def provider(claude_dir: Path, settings: dict[str, Any]) -> str | None:
    """`ai-budget@<marketplace>` when Claude Code has our plugin enabled in these user settings and
    installed in `claude_dir`, else None.

    `claude plugin install` writes `enabledPlugins: {"ai-budget@<marketplace>": true}` into
    settings.json and lists the plugin in `plugins/installed_plugins.json`; `disable` sets the value to
    false; `uninstall` removes both. A list that cannot be read leaves the settings to decide."""
    enabled = settings.get("enabledPlugins")
    if not isinstance(enabled, dict):
        return None
    ours = [key for key, on in enabled.items() if on is True and str(key).split("@", 1)[0] == NAME]
    if not ours:
        return None
    listed = _installed(claude_dir)
    found = [key for key in ours if listed is None or key in listed]
    return found[0] if found else None


def _installed(claude_dir: Path) -> set[str] | None:
    """The plugin keys in Claude Code's list of installed plugins (None when it cannot be read)."""
    try:
        data = json.loads((claude_dir / INSTALLED).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    plugins = data.get("plugins", data)  # version 2 nests them under "plugins"
    return {str(key) for key in plugins} if isinstance(plugins, dict) else None
