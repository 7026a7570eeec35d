"""Claude Code's settings.json: ai-budget's hooks, statusline and permission in, and exactly those out."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ai_budget.fileio import unwritable, write_atomic
from ai_budget.integrations import plugin, skills
from ai_budget.integrations.settings_file import (
    RECORD,
    InvalidSettings,
    new_record,
    parse,
    read_record,
    refuse,
)

SETTINGS = "settings.json"
BACKUP = "settings.json.ai-budget.bak"
PERMISSION = "Bash(ai-budget:*)"
# event -> (matcher, our subcommand, timeout in s); SessionEnd's 5 s raises Claude Code's 1.5 s budget.
HOOKS: dict[str, tuple[str | None, str, int | None]] = {
    # A resume continues a session and /clear starts a new one: both open it; a compaction does not.
    "SessionStart": ("startup|resume|clear", "hook session-start", None),
    "SessionEnd": (None, "hook session-end", 5),
    "UserPromptSubmit": (None, "hook prompt", None),
}


@dataclass
class Change:
    """One thing install or uninstall did (or chose not to do) in settings.json."""

    part: str  # "hook SessionStart", "statusline", "permission"
    action: str  # added, kept, updated, wrapped, left, removed, restored, gone
    detail: str = ""


@dataclass
class Document:
    """settings.json as read: where it is, its bytes (None when there is no file) and its object."""

    path: Path
    raw: bytes | None
    data: dict[str, Any]


def executable() -> str:
    """The command that runs this ai-budget from `sh -c`: an absolute path, quoted for the shell."""
    beside = Path(sys.executable).parent / ("ai-budget.exe" if os.name == "nt" else "ai-budget")
    if beside.is_file() and os.access(beside, os.X_OK):
        return shlex.quote(str(beside))
    if found := shutil.which("ai-budget"):
        return shlex.quote(os.path.abspath(found))
    return f"{shlex.quote(sys.executable)} -m ai_budget"


def our_words(command: object) -> list[str] | None:
    """The words after the program when `command` runs an ai-budget (any path), else None."""
    if not isinstance(command, str):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if words and os.path.basename(words[0]) in ("ai-budget", "ai-budget.exe"):
        return words[1:]
    if len(words) >= 3 and words[1:3] == ["-m", "ai_budget"] and "python" in os.path.basename(words[0]):
        return words[3:]
    return None


def _check_shape(path: Path, data: dict[str, Any]) -> None:
    """Refuse the parts install and uninstall edit when they are not what Claude Code expects."""
    hooks, perms = data.get("hooks", {}), data.get("permissions", {})
    parts: list[tuple[str, Any, type]] = [("hooks", hooks, dict), ("permissions", perms, dict)]
    parts += [(f"hooks.{e}", hooks.get(e, []) if isinstance(hooks, dict) else [], list) for e in HOOKS]
    parts += [("permissions.allow", perms.get("allow", []) if isinstance(perms, dict) else [], list)]
    for name, value, kind in parts:
        if not isinstance(value, kind):
            raise refuse(path, f"has `{name}` that is not {'an object' if kind is dict else 'a list'}")


def read_settings(path: Path) -> Document:
    """settings.json, checked: a missing file is an empty object; anything unsafe to edit is refused."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Document(path, None, {})
    except OSError as exc:
        raise refuse(path, f"cannot be read ({exc.strerror or exc})") from None
    data = parse(path, raw)
    _check_shape(path, data)
    return Document(path, raw, data)


def render(data: dict[str, Any], like: str | None) -> str:
    """JSON text for `data` in the style of the file it replaces (indent, escapes, final newline)."""
    indent: str | int = 2
    if like is not None:
        found = re.search(r"\n([ \t]+)\S", like)
        if found:
            indent = found.group(1) if "\t" in found.group(1) else len(found.group(1))
    ascii_only = like is not None and like.isascii() and "\\u" in like
    newline = like is None or like.endswith("\n")
    return json.dumps(data, indent=indent, ensure_ascii=ascii_only) + ("\n" if newline else "")


def same(a: Any, b: Any) -> bool:
    """Equal as JSON, keys in the same order."""
    return json.dumps(a) == json.dumps(b)


def _real(path: Path) -> Path:
    """The file to replace: a symlinked settings.json (dotfiles) stays a link to the edited file."""
    return path.resolve() if path.is_symlink() else path


def write_settings(doc: Document, data: dict[str, Any], first: bool) -> tuple[bool, Path | None]:
    """Write `data` over settings.json if it changed; back the user's file up once. (written, backup)."""
    if doc.raw is None and not data or doc.raw is not None and same(data, doc.data):
        return False, None
    backup = None
    if first and doc.raw is not None and not (doc.path.parent / BACKUP).exists():
        backup = doc.path.parent / BACKUP
        write_atomic(backup, doc.raw)
    doc.path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(_real(doc.path), render(data, None if doc.raw is None else doc.raw.decode("utf-8")))
    return True, backup


def restore_settings(doc: Document, data: dict[str, Any], record: dict[str, Any]) -> bool:
    """Write settings.json after uninstall: the backup's very bytes when they are what is left."""
    if doc.raw is None or same(data, doc.data):
        return False
    target, backup = _real(doc.path), doc.path.parent / BACKUP
    original = backup.read_bytes() if backup.is_file() else b""
    unchanged = hashlib.sha256(original).hexdigest() == record["original_sha256"]
    if unchanged and same(parse(backup, original), data):
        write_atomic(target, original)
    elif record["settings_created"] and not data:
        target.unlink()
    else:
        write_atomic(target, render(data, doc.raw.decode("utf-8")))
    return True


def _child(parent: dict[str, Any], key: str, empty: Any, record: dict[str, Any], name: str) -> Any:
    """parent[key], created (and remembered as created) when it is missing."""
    if key not in parent:
        parent[key] = empty
        if name not in record["created"]:
            record["created"].append(name)
    return parent[key]


def handlers(data: dict[str, Any], event: str) -> list[dict[str, Any]]:
    """Every hook handler under `event` that runs our subcommand for it, by any path."""
    want = HOOKS[event][1].split()
    groups = [g for g in data.get("hooks", {}).get(event, []) if isinstance(g, dict)]
    handlers = [h for g in groups if isinstance(g.get("hooks"), list) for h in g["hooks"]]
    return [h for h in handlers if isinstance(h, dict) and our_words(h.get("command")) == want]


def add_hook(data: dict[str, Any], event: str, exe: str, record: dict[str, Any]) -> Change:
    """Our handler for `event` beside the user's; one already there is kept (its path brought up to date)."""
    matcher, sub, timeout = HOOKS[event]
    command = f"{exe} {sub}"
    record["hooks"][event] = command
    for existing in handlers(data, event):
        for group in data["hooks"][event]:  # our own group's matcher brought up to date too
            if isinstance(group, dict) and group.get("hooks") == [existing] and matcher:
                group["matcher"] = matcher
        if existing["command"] == command:
            return Change(f"hook {event}", "kept", command)
        existing["command"] = command
        return Change(f"hook {event}", "updated", command)
    groups = _child(_child(data, "hooks", {}, record, "hooks"), event, [], record, f"hooks.{event}")
    handler: dict[str, Any] = {"type": "command", "command": command}
    if timeout:
        handler["timeout"] = timeout
    groups.append({"matcher": matcher, "hooks": [handler]} if matcher else {"hooks": [handler]})
    return Change(f"hook {event}", "added", command)


def remove_hook(data: dict[str, Any], event: str, record: dict[str, Any]) -> Change:
    """Take our handlers out of `event`, and the groups and list they leave empty if install made them."""
    ours = {id(h) for h in handlers(data, event)}
    if not ours:
        return Change(f"hook {event}", "gone", "not in settings.json any more")
    groups = data["hooks"][event]
    for group in [g for g in groups if isinstance(g, dict) and isinstance(g.get("hooks"), list)]:
        if any(id(h) in ours for h in group["hooks"]):
            group["hooks"] = [h for h in group["hooks"] if id(h) not in ours]
            groups[:] = [g for g in groups if g is not group or group["hooks"]]
    if not groups and f"hooks.{event}" in record["created"]:
        del data["hooks"][event]
    return Change(f"hook {event}", "removed", HOOKS[event][1])


def statusline_state(data: dict[str, Any]) -> tuple[str, str | None]:
    """(ours, wrapped, theirs or none; the command) of the statusLine in settings.json."""
    if "statusLine" not in data:
        return "none", None
    current = data["statusLine"]
    command = current.get("command") if isinstance(current, dict) else None
    words = our_words(command)
    if words is None or words[:1] != ["statusline"]:
        return "theirs", command if isinstance(command, str) else json.dumps(current)
    return ("wrapped" if words[1:2] == ["--wrap"] else "ours"), command


def add_statusline(data: dict[str, Any], exe: str, wrap: bool, record: dict[str, Any]) -> Change:
    """Ours where there is none; the user's is kept, or wrapped by ours with `wrap`."""
    state, command = statusline_state(data)
    if state == "none":
        data["statusLine"] = {"type": "command", "command": f"{exe} statusline"}
        record["statusline"] = {"command": data["statusLine"]["command"], "wrapped": None}
        return Change("statusline", "added", data["statusLine"]["command"])
    current = data["statusLine"]
    if state in ("ours", "wrapped"):
        words = our_words(command) or []
        new = " ".join([exe, *(shlex.quote(w) for w in words)])
        inner = words[2] if state == "wrapped" and len(words) > 2 else None  # when the record was lost
        record["statusline"] = record["statusline"] or {"wrapped": inner and dict(current, command=inner)}
        record["statusline"]["command"] = new
        if new == command:
            return Change("statusline", "kept", new)
        current["command"] = new
        return Change("statusline", "updated", new)
    if not wrap or not isinstance(current, dict) or current.get("type") != "command":
        return Change("statusline", "left", f"yours is kept ({command}); --wrap-existing shows ours after it")
    new = f"{exe} statusline --wrap {shlex.quote(str(command))}"
    record["statusline"] = {"command": new, "wrapped": copy.deepcopy(current)}
    data["statusLine"] = dict(current, command=new)
    return Change("statusline", "wrapped", str(command))


def remove_statusline(data: dict[str, Any], record: dict[str, Any]) -> Change:
    """Take ours away, or put back the one it wrapped; one the user has changed since is theirs."""
    state, _ = statusline_state(data)
    if state not in ("ours", "wrapped"):
        return Change("statusline", "left", "not ours any more: kept as it is")
    wrapped = record["statusline"].get("wrapped")
    if wrapped is not None:
        data["statusLine"] = wrapped
        return Change("statusline", "restored", str(wrapped.get("command")))
    del data["statusLine"]
    return Change("statusline", "removed")


def add_permission(data: dict[str, Any], record: dict[str, Any]) -> Change:
    """`Bash(ai-budget:*)` in permissions.allow, so a skill's command never waits on a prompt."""
    allow = _child(
        _child(data, "permissions", {}, record, "permissions"), "allow", [], record, "permissions.allow"
    )
    if PERMISSION in allow:
        return Change("permission", "kept", PERMISSION)
    allow.append(PERMISSION)
    record["permission"] = True
    return Change("permission", "added", PERMISSION)


def remove_permission(data: dict[str, Any], record: dict[str, Any]) -> Change:
    """Take our rule out, and the containers install created for it if they are left empty."""
    permissions, allow = data.get("permissions", {}), data.get("permissions", {}).get("allow", [])
    if PERMISSION not in allow:
        return Change("permission", "gone", "not in settings.json any more")
    allow.remove(PERMISSION)
    if not allow and "permissions.allow" in record["created"]:
        del permissions["allow"]
    if not permissions and "permissions" in record["created"]:
        del data["permissions"]
    return Change("permission", "removed", PERMISSION)


@dataclass
class Result:
    """What install or uninstall did: the settings file, its changes, and the skills."""

    settings: Path
    changes: list[Change]
    written: bool
    backup: Path | None
    skills: list[Any]  # skills.Outcome


def _writable(
    doc: Document, data: dict[str, Any], planned: skills.Plan, claude_dir: Path, backup: bool
) -> None:
    """Refuse before the first write unless every file install would write can be written: a skill
    or a record claiming hooks that never reached settings.json would be worse than nothing."""
    targets = [target for target, _, action in planned if action != "unchanged"] + [claude_dir / RECORD]
    if doc.raw is None and data or doc.raw is not None and not same(data, doc.data):
        targets.append(_real(doc.path))
        if backup and doc.raw is not None and not (doc.path.parent / BACKUP).exists():
            targets.append(doc.path.parent / BACKUP)
    for target in targets:
        problem = unwritable(target)
        if problem:
            raise InvalidSettings(f"{target} {problem}: nothing was changed")


def install(
    claude_dir: Path, *, hooks: bool, statusline: bool, wrap: bool, allow: bool, legacy: bool
) -> Result:
    """Skills, hooks, statusline (and the permission rule) into `claude_dir`; refused before any write."""
    exe = executable()
    doc, before = read_settings(claude_dir / SETTINGS), read_record(claude_dir)
    record = copy.deepcopy(before) if before else new_record(doc.raw)
    data = copy.deepcopy(doc.data)
    via = plugin.provider(claude_dir, doc.data)  # the plugin's skills and hooks run: ours would run twice
    changes = [add_hook(data, event, exe, record) for event in HOOKS] if hooks and not via else []
    changes += [remove_hook(data, event, record) for event in HOOKS if via and handlers(data, event)]
    if statusline:
        changes.append(add_statusline(data, exe, wrap, record))
    if allow:
        changes.append(add_permission(data, record))
    planned = [] if via else skills.plan(claude_dir, legacy=legacy)  # refuses edited copies first
    _writable(doc, data, planned, claude_dir, backup=before is None)
    if via:  # the plugin carries the skills: the copies ai-budget wrote go
        outcomes = skills.remove(claude_dir, record["skills"])
    else:
        outcomes = skills.apply(planned) + ([] if legacy else skills.retire_legacy(claude_dir))
    added = {o.path.relative_to(claude_dir).as_posix() for o in outcomes if o.action == "installed"}
    record["skills"] = [] if via else sorted(set(record["skills"]) | added)
    if before is None or not same(record, before):  # first: a record of more than is there is harmless
        claude_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(claude_dir / RECORD, json.dumps(record, indent=2) + "\n")
    written, backup = write_settings(doc, data, first=before is None)
    return Result(doc.path, changes, written, backup, outcomes)


def uninstall(claude_dir: Path) -> Result:
    """Take away what install added (as its record says), restoring a wrapped statusline."""
    doc, record = read_settings(claude_dir / SETTINGS), read_record(claude_dir)
    if record is None:
        return Result(doc.path, [Change("integration", "none", "nothing recorded here")], False, None, [])
    data = copy.deepcopy(doc.data)
    changes = [remove_hook(data, event, record) for event in record["hooks"] if event in HOOKS]
    if "hooks" in record["created"] and data.get("hooks") == {}:
        del data["hooks"]
    if record["statusline"]:
        changes.append(remove_statusline(data, record))
    if record["permission"]:
        changes.append(remove_permission(data, record))
    if not same(data, doc.data) and (problem := unwritable(_real(doc.path))):
        raise InvalidSettings(f"{doc.path} {problem}: nothing was changed")
    outcomes = skills.remove(claude_dir, record["skills"])
    written = restore_settings(doc, data, record)
    (claude_dir / RECORD).unlink()
    return Result(doc.path, changes, written, None, outcomes)
