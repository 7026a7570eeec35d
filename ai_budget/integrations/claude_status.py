"""`integrate status`: what Claude Code's settings.json holds of ai-budget now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ai_budget.integrations import claude_settings, plugin
from ai_budget.integrations.claude_settings import (
    HOOKS,
    PERMISSION,
    SETTINGS,
    InvalidSettings,
    handlers,
    read_record,
    read_settings,
    statusline_state,
)


def status(claude_dir: Path) -> dict[str, Any]:
    """What is in settings.json now: each hook, the statusline, the permission rule (or the problem)."""
    exe, path = claude_settings.executable(), claude_dir / SETTINGS
    try:
        data, recorded, error = read_settings(path).data, read_record(claude_dir) is not None, None
    except InvalidSettings as exc:
        data, recorded, error = {}, False, str(exc)
    hooks, via = {}, plugin.provider(claude_dir, data)
    for event, (_, sub, _) in HOOKS.items():
        commands = [h["command"] for h in handlers(data, event)]
        own = "installed" if f"{exe} {sub}" in commands else "other-path" if commands else "missing"
        hooks[event] = ("plugin" if own == "missing" else "twice") if via else own
    state, command = statusline_state(data)
    permission = PERMISSION in data.get("permissions", {}).get("allow", [])
    where = {"settings": str(path), "exists": path.exists(), "error": error, "executable": exe}
    found = {"recorded": recorded, "hooks": hooks, "statusline": {"state": state, "command": command}}
    return where | found | {"permission": permission, "plugin": via}
