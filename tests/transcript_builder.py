"""Build Claude Code transcript lines for tests; every total is known by construction."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SESSION = "11111111-2222-4333-8444-555555555555"


def stamp(moment: datetime) -> str:
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def usage(
    inp: int = 0,
    out: int = 0,
    read: int = 0,
    flat: int | None = None,
    five: int | None = None,
    hour: int | None = None,
    search: int = 0,
    fetch: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {"input_tokens": inp, "output_tokens": out, "cache_read_input_tokens": read}
    if flat is not None:
        data["cache_creation_input_tokens"] = flat
    if five is not None or hour is not None:
        data["cache_creation"] = {
            "ephemeral_5m_input_tokens": five or 0,
            "ephemeral_1h_input_tokens": hour or 0,
        }
    data["server_tool_use"] = {"web_search_requests": search, "web_fetch_requests": fetch}
    data.update(extra)
    return data


def assistant(
    msg_id: str,
    u: dict[str, Any],
    *,
    model: str = "claude-sonnet-4-5-20250929",
    when: datetime | None = None,
    session: str = SESSION,
    cwd: str = "/home/dev/proj",
    request: str | None = None,
    sidechain: bool = False,
    block: str = "text",
) -> str:
    record = {
        "parentUuid": None,
        "isSidechain": sidechain,
        "type": "assistant",
        "sessionId": session,
        "cwd": cwd,
        "version": "2.1.140",
        "uuid": f"u-{msg_id}-{block}",
        "timestamp": stamp(when or datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)),
        "requestId": request or f"req_{msg_id}",
        "message": {
            "model": model,
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "content": [{"type": block, block: "x"}],
            "stop_reason": None,
            "usage": u,
        },
    }
    return json.dumps(record, separators=(",", ":"))


def user(
    text: str = "hello", session: str = SESSION, cwd: str = "/home/dev/proj", when: datetime | None = None
) -> str:
    return json.dumps(
        {
            "type": "user",
            "sessionId": session,
            "cwd": cwd,
            "uuid": "u-user",
            "timestamp": stamp(when or datetime(2026, 11, 20, 9, 59, tzinfo=timezone.utc)),
            "message": {"role": "user", "content": text},
        },
        separators=(",", ":"),
    )


def encoded(lines: list[str], *, newline: str = "\n", final_newline: bool = True) -> bytes:
    """The bytes `write` puts in a file for these lines."""
    return (newline.join(lines) + (newline if final_newline else "")).encode()


def write(
    path: Path,
    lines: list[str],
    *,
    newline: str = "\n",
    final_newline: bool = True,
    mtime: datetime | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encoded(lines, newline=newline, final_newline=final_newline))
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def project_dir(claude: Path, cwd: str = "/home/dev/proj") -> Path:
    return claude / "projects" / "".join(c if c.isalnum() else "-" for c in cwd)
