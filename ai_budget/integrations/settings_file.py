"""Reading Claude Code's settings.json and ai-budget's record of what install added: one clear refusal
for anything that is not safe to edit (bad bytes, bad JSON, nested past any real file, wrong types)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ai_budget.errors import BudgetError

RECORD = "ai-budget-integration.json"
# Claude Code's settings nest a few levels; far deeper is damage, and copying or writing it back
# would exhaust Python's recursion.
MAX_DEPTH = 64


class InvalidSettings(BudgetError):
    """settings.json (or the integration record) cannot be read or edited safely."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) < len(keys):  # rewriting the object would lose one of the values
        raise KeyError(next(key for key in keys if keys.count(key) > 1))
    return dict(pairs)


def refuse(path: Path, problem: str) -> InvalidSettings:
    """The one-line refusal naming the file and its problem."""
    return InvalidSettings(f"{path} {problem}: fix it in an editor and try again; nothing was changed")


def depth(data: Any) -> int:
    """How deeply objects and lists nest in `data` (counted without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if level + 1 > MAX_DEPTH:
                    return level + 1
                stack.append((child, level + 1))
        deepest = max(deepest, level)
    return deepest


def parse(path: Path, raw: bytes) -> dict[str, Any]:
    """The object in a settings.json (or record) file's bytes, or one clear error naming the file."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(path, f"is not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})") from None
    try:
        data = json.loads(text, object_pairs_hook=_unique)
    except KeyError as exc:
        raise refuse(path, f"has the key {exc.args[0]!r} twice in one object") from None
    except json.JSONDecodeError as exc:
        raise refuse(path, f"is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise refuse(path, f"nests objects or lists more than {MAX_DEPTH} deep") from None
    if not isinstance(data, dict):
        raise refuse(path, f"holds a JSON {type(data).__name__}, not an object")
    if depth(data) > MAX_DEPTH:
        raise refuse(path, f"nests objects or lists more than {MAX_DEPTH} deep")
    return data


def new_record(raw: bytes | None) -> dict[str, Any]:
    """An empty record of what install added, knowing what settings.json was before (its bytes)."""
    digest = None if raw is None else hashlib.sha256(raw).hexdigest()
    before = {"version": 1, "settings_created": raw is None, "original_sha256": digest}
    return before | {"created": [], "hooks": {}, "statusline": None, "permission": False, "skills": []}


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _valid(data: dict[str, Any]) -> bool:
    """Every key of a record with the type install wrote it with."""
    line = data.get("statusline")
    return (
        data.get("version") == 1
        and set(data) == set(new_record(None))
        and isinstance(data["settings_created"], bool)
        and isinstance(data["original_sha256"], (str, type(None)))
        and _strings(data["created"])
        and _strings(data["skills"])
        and isinstance(data["permission"], bool)
        and isinstance(data["hooks"], dict)
        and all(isinstance(v, str) for v in data["hooks"].values())
        and (
            line is None
            or isinstance(line, dict)
            and isinstance(line.get("command"), str)
            and isinstance(line.get("wrapped"), (dict, type(None)))
        )
    )


def read_record(claude_dir: Path) -> dict[str, Any] | None:
    """What install added here, or None when it has not run (or uninstall has since)."""
    path = claude_dir / RECORD
    try:
        data = parse(path, path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise refuse(path, f"cannot be read ({exc.strerror or exc})") from None
    if not _valid(data):
        raise InvalidSettings(
            f"{path} is not a record this ai-budget can read: delete it, and remove "
            "what `ai-budget integrate install` added to settings.json by hand"
        )
    return data
