"""JSON through orjson (fast to import and to parse), with the standard library as the fallback."""

from __future__ import annotations

TYPE_CHECKING = False  # typing's own costs every hook milliseconds of start-up
if TYPE_CHECKING:
    from typing import Any


try:
    import orjson

    def loads(data: bytes | bytearray | str) -> Any:
        """Parse JSON; raises ValueError on bad input."""
        return orjson.loads(data)

    def dumps_compact(value: Any) -> bytes:
        """Compact JSON bytes, as Claude Code writes its transcripts."""
        return orjson.dumps(value)

    def dumps_pretty(value: Any) -> str:
        """Indented JSON for people and scripts (`--json`)."""
        return orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode()

except ImportError:  # pragma: no cover - a platform without orjson wheels
    import json

    def loads(data: bytes | bytearray | str) -> Any:
        """Parse JSON; raises ValueError on bad input."""
        return json.loads(data)

    def dumps_compact(value: Any) -> bytes:
        """Compact JSON bytes, as Claude Code writes its transcripts."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    def dumps_pretty(value: Any) -> str:
        """Indented JSON for people and scripts (`--json`)."""
        return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def record_line(record: dict[str, Any]) -> str:
    """One JSON line of a journal record (keys sorted, so a line reads the same wherever it was written)."""
    import json

    # json, not orjson: a count past 64 bits (a damaged transcript) must still be written as read
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
