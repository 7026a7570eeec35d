"""Files of JSON lines in the journal (the session ledger): read leniently, a line at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_lines(folder: Path) -> list[dict[str, Any]]:
    """Every line of every `*.jsonl` in a folder, oldest file first; a line that is not a JSON object
    (torn, or edited by hand) is skipped."""
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        try:
            raw = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for text in raw.splitlines():
            try:
                record = json.loads(text)  # json, not orjson: a count past 64 bits is read as written
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
    return found
