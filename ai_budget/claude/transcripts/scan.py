"""Read one transcript file into message records, from the start or from where a scan stopped."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ai_budget.claude.transcripts.records import Message, by_model, merge, parse

# orjson parses a line about 3.5x faster than json; bench/README.md has the end-to-end effect.
from ai_budget.jsonio import dumps_compact as dumps
from ai_budget.jsonio import loads

CHUNK_BYTES = 1 << 20
HEAD_BYTES = 256  # a rewritten file is told apart from a grown one by its first bytes
TAIL_BYTES = 64  # ... and by the bytes just before where the last read stopped
MAX_LINE_BYTES = 32 << 20  # a longer line is no transcript record: skipped without holding it whole


@dataclass(eq=False)  # compared by identity: field-by-field equality has no use and costs import time
class FileScan:
    """What one transcript file holds, as far as it has been read."""

    size: int = 0
    mtime_ns: int = 0
    offset: int = 0
    head: bytes = b""
    session_id: str | None = None
    cwd: str | None = None
    # The summary (ids, time range, per-model totals) answers most queries on its own, so
    # `messages` is loaded only when a query needs them.
    ids: list[str] = field(default_factory=list)
    first_ts: float | None = None
    last_ts: float | None = None
    undated: bool = False
    by_model: dict[str, list[int]] = field(default_factory=dict)
    # The bytes just before `offset`: a file rewritten in place that kept its head differs here.
    before_offset: bytes = b""
    messages: dict[str, Message] | None = None
    bytes_read: int = 0  # by the scan that made this one, past the head; never cached
    skipped_lines: int = 0  # lines over MAX_LINE_BYTES, skipped unread; never cached

    def summarise(self) -> None:
        """Derive ids, time range and per-model totals from `messages`."""
        messages = self.messages or {}
        self.ids = list(messages)
        stamps = [t for m in messages.values() if (t := m.timestamp) is not None]
        self.first_ts = min(stamps) if stamps else None
        self.last_ts = max(stamps) if stamps else None
        self.undated = len(stamps) < len(messages)
        self.by_model = by_model(messages.values())

    def to_data(self) -> list[Any]:
        """The summary in marshal-friendly form (messages are kept apart)."""
        return [
            self.size,
            self.mtime_ns,
            self.offset,
            self.head,
            self.session_id,
            self.cwd,
            self.ids,
            self.first_ts,
            self.last_ts,
            self.undated,
            self.by_model,
            self.before_offset,
        ]

    @classmethod
    def from_data(cls, data: list[Any]) -> FileScan:
        """Back from `to_data`, without messages."""
        return cls(*data)


def _read_lines(handle: BinaryIO, scan: FileScan, start: int) -> None:
    """Parse from byte `start`, merging into `scan`; the offset stops before a torn last line."""
    # Fixed-size chunks keep memory flat however long a line is; within a chunk the scanner
    # jumps between "assistant" occurrences, so big user lines are never copied or parsed.
    read = 0
    handle.seek(start)
    offset = start
    tail = bytearray()  # grows in place: a long line is never copied whole again and again
    skipping = False
    while True:
        chunk = handle.read(CHUNK_BYTES)
        if not chunk:
            break
        read += len(chunk)
        if skipping:  # inside a line too long to be a record: drop it up to its newline
            newline = chunk.find(b"\n")
            if newline < 0:
                offset += len(chunk)
                continue
            offset += newline + 1
            chunk, skipping = chunk[newline + 1 :], False
            if not chunk:
                continue
        end = chunk.rfind(b"\n") + 1
        if end == 0:  # no complete line yet (one very long line): keep reading
            tail += chunk
            if len(tail) > MAX_LINE_BYTES:  # never held whole: skipped, and said so
                scan.skipped_lines += 1
                offset += len(tail)
                tail, skipping = bytearray(), True
            continue
        block = bytes(tail) + chunk if tail else chunk
        end += len(tail)
        _scan_block(block, end, scan)
        offset += end
        tail = bytearray(block[end:])
    if tail.strip():
        # A last line without its newline may be a write in progress: count it if it is whole,
        # but leave the offset before it so the next run reads it again.
        _scan_block(bytes(tail) + b"\n", len(tail) + 1, scan)
    scan.offset = offset
    scan.bytes_read = read
    handle.seek(max(offset - TAIL_BYTES, 0))
    scan.before_offset = handle.read(min(offset, TAIL_BYTES))


def _scan_block(block: bytes, end: int, scan: FileScan) -> None:
    """Parse the assistant lines (and, until known, one line with the session id) in block[:end]."""
    messages = scan.messages
    assert messages is not None  # a scan in progress always holds its messages
    if scan.session_id is None or scan.cwd is None:
        _find_meta(block, end, scan)
    find, rfind = block.find, block.rfind
    pos = 0
    # Copies of one response are contiguous and byte-identical in their usage: a line that
    # repeats the previous message's id and usage bytes is skipped without parsing (its
    # per-field maximum could not change anything).
    same_id = same_usage = b"\x00"
    while True:
        hit = find(b'"assistant"', pos, end)
        if hit < 0:
            return
        line_start = rfind(b"\n", 0, hit) + 1
        line_end = find(b"\n", hit, end)
        pos = line_end + 1
        if find(same_usage, line_start, line_end) >= 0 and find(same_id, line_start, line_end) >= 0:
            continue
        try:
            record = loads(block[line_start:line_end])
        except ValueError:  # torn, cut mid-record, or invalid UTF-8: skip this line only
            continue
        if not isinstance(record, dict):
            continue
        found = parse(record)
        if found is None:
            continue
        key, message = found
        old = messages.get(key)
        messages[key] = message if old is None else merge(old, message)
        same_id = b'"id":' + dumps(key)
        same_usage = b'"usage":' + dumps(record["message"]["usage"])


def _find_meta(block: bytes, end: int, scan: FileScan) -> None:
    """Take the session id and cwd from the first lines that carry them."""
    pos = 0
    while scan.session_id is None or scan.cwd is None:
        hit = block.find(b'"sessionId"', pos, end)
        if hit < 0:
            return
        line_start = block.rfind(b"\n", 0, hit) + 1
        line_end = block.find(b"\n", hit, end)
        pos = line_end + 1
        try:
            record = loads(block[line_start:line_end])
        except ValueError:
            continue
        if isinstance(record, dict):
            _take_meta(scan, record)


def _take_meta(scan: FileScan, record: dict[str, Any]) -> None:
    """Fill session id and cwd from a record."""
    if scan.session_id is None and isinstance(record.get("sessionId"), str):
        scan.session_id = record["sessionId"]
    if scan.cwd is None and isinstance(record.get("cwd"), str):
        scan.cwd = record["cwd"]


def scan_file(
    path: Path, previous: FileScan | None = None, previous_messages: dict[str, Message] | None = None
) -> FileScan:
    """Scan a file afresh, or resume after `previous` when the file only grew since."""
    # One open per file, and fstat rather than stat: hundreds of files make the syscalls count.
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        head = handle.read(HEAD_BYTES)
        grown = previous is not None and _grown(previous, stat.st_size, head, handle)
        if previous is not None and previous_messages is not None and grown:
            scan = FileScan(
                stat.st_size,
                stat.st_mtime_ns,
                previous.offset,
                head,
                previous.session_id,
                previous.cwd,
                messages=dict(previous_messages),
            )
        else:
            scan = FileScan(stat.st_size, stat.st_mtime_ns, 0, head, messages={})
        _read_lines(handle, scan, scan.offset)
    scan.summarise()
    return scan


def _grown(previous: FileScan, size: int, head: bytes, handle: BinaryIO) -> bool:
    """Whether the file only grew since `previous` (same first bytes, same bytes before its offset)."""
    if size < previous.offset or not head.startswith(previous.head):
        return False
    handle.seek(previous.offset - len(previous.before_offset))
    return handle.read(len(previous.before_offset)) == previous.before_offset
