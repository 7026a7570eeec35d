"""Read one transcript file into message records, from the start or from where a scan stopped."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from io import FileIO
from pathlib import Path
from typing import Any

from ai_budget.claude.price_table import prices
from ai_budget.claude.pricing import PriceList
from ai_budget.claude.transcripts.lines import reader
from ai_budget.claude.transcripts.records import Message, by_model, merge, parse, timestamp

# orjson parses a line about 3.5x faster than json; bench/README.md has the end-to-end effect.
from ai_budget.jsonio import loads

CHUNK_BYTES = 1 << 20
HEAD_BYTES = 256  # a rewritten file is told apart from a grown one by its first bytes
TAIL_BYTES = 64  # ... and by the bytes just before where the last read stopped
MAX_LINE_BYTES = 32 << 20  # a longer line is no transcript record: skipped without holding it whole
# Read buffers not in use: one per file being read at once (one, unless threads scan), reused
# for every file, so no file costs an allocation of its own.
_FREE: list[bytearray] = []


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

    def summarise(self, table: PriceList) -> None:
        """Derive ids, time range and per-model totals (priced by `table`) from `messages`."""
        messages = self.messages or {}
        self.ids = list(messages)
        stamps = [t for m in messages.values() if (t := m.timestamp) is not None]
        self.first_ts = min(stamps) if stamps else None
        self.last_ts = max(stamps) if stamps else None
        self.undated = len(stamps) < len(messages)
        self.by_model = by_model(messages.values(), table)

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


def _read_lines(handle: FileIO, scan: FileScan, start: int) -> None:
    """Parse from byte `start`, merging into `scan`; the offset stops before a torn last line."""
    # One buffer, read into again and again: a fresh 1 MB bytes per read costs page faults and
    # a copy (a quarter of the reading time, measured); the torn line at its end moves to the
    # front. It grows only for a line longer than itself, and never past MAX_LINE_BYTES: memory
    # stays flat. Within it the scanner jumps between "assistant" occurrences, so big user lines
    # are never copied or parsed.
    buf = _FREE.pop() if _FREE else bytearray(CHUNK_BYTES)
    try:
        _read_into(handle, scan, start, buf)
    finally:
        del buf[CHUNK_BYTES:]  # grown for a long line: back to its size before it is reused
        _FREE.append(buf)


def _read_into(handle: FileIO, scan: FileScan, start: int, buf: bytearray) -> None:
    """`_read_lines` with its buffer."""
    read = 0
    handle.seek(start)
    offset = start
    filled = 0  # bytes of an unfinished line at the front of buf
    skipping = False  # inside a line too long to be a record: dropped up to its newline
    while True:
        if filled == len(buf):  # one line fills the buffer: hold more of it, or give it up
            if filled + CHUNK_BYTES > MAX_LINE_BYTES:
                scan.skipped_lines += 1
                offset += filled
                filled, skipping = 0, True
            else:
                buf.extend(bytes(CHUNK_BYTES))
        with memoryview(buf) as view:
            got = handle.readinto(view[filled:])
        if not got:
            break
        read += got
        total = filled + got
        if skipping:
            newline = buf.find(b"\n", 0, total)
            if newline < 0:
                offset += total
                filled = 0
                continue
            skipping = False
            offset += newline + 1
            buf[: total - newline - 1] = buf[newline + 1 : total]
            total -= newline + 1
        end = buf.rfind(b"\n", 0, total) + 1
        if end:
            _scan_block(buf, end, scan)
            offset += end
            buf[: total - end] = buf[end:total]
        filled = total - end
    if not skipping and buf[:filled].strip():
        # A last line without its newline may be a write in progress: count it if it is whole,
        # but leave the offset before it so the next run reads it again.
        _scan_block(buf[:filled] + b"\n", filled + 1, scan)
    scan.offset = offset
    scan.bytes_read = read
    handle.seek(max(offset - TAIL_BYTES, 0))
    scan.before_offset = handle.read(min(offset, TAIL_BYTES))


def _scan_block(block: bytes | bytearray, end: int, scan: FileScan) -> None:
    """Parse the assistant lines (and, until known, one line with the session id) in block[:end]."""
    messages = scan.messages
    assert messages is not None  # a scan in progress always holds its messages
    if scan.session_id is None or scan.cwd is None:
        _find_meta(block, end, scan)
    find, rfind = block.find, block.rfind
    decode, typed_message, Unusual = reader()
    pos = 0
    # Copies of one response are contiguous and repeat its usage: a line with the last counted
    # line's key and usage bytes changes nothing unless it is dated earlier, and is not decoded
    # further. The time of a line merged under that key is kept too.
    last_key: str | None = None
    last_usage: object = None
    last_time: str | None = None
    while True:
        hit = find(b'"assistant"', pos, end)
        if hit < 0:
            return
        line_start = rfind(b"\n", 0, hit) + 1
        line_end = find(b"\n", hit, end)
        pos = line_end + 1
        line = block[line_start:line_end]
        try:
            record = decode(line)
            key = record.key()
            if key is None:
                continue
            usage = record.message.usage  # a key implies a message
            same = key == last_key and usage == last_usage
            if same and _unchanged(messages[key], record.timestamp, last_time):
                continue
            if not line.isascii():
                line.decode()  # a line with invalid UTF-8 is no record, as orjson reads it
            message = typed_message(record, usage)
        except UnicodeDecodeError:
            continue
        except Unusual:  # torn, or a shape only the plain path reads exactly
            _add(messages, _plain(line))
            continue
        old = messages.get(key)
        messages[key] = message if old is None else merge(old, message)
        last_key, last_usage, last_time = key, usage, record.timestamp


def _add(messages: dict[str, Message], found: list[tuple[str, Message]] | None) -> None:
    """Merge the calls of a line read by the plain path: the response, then any advisor calls it holds."""
    for call, message in found or ():
        old = messages.get(call)
        messages[call] = message if old is None else merge(old, message)


def _unchanged(kept: Message, raw: str | None, merged: str | None) -> bool:
    """Whether a copy dated `raw` leaves the kept message as it is (same key and usage: only its time can)."""
    if raw == merged:  # the time of a copy already merged
        return True
    stamp = timestamp(raw)
    return stamp is None or (kept.timestamp is not None and stamp >= kept.timestamp)


def _plain(line: bytes | bytearray) -> list[tuple[str, Message]] | None:
    """The rule over the whole line, parsed as a dict: for the shapes the typed path leaves out."""
    try:
        record = loads(line)
    except ValueError:  # torn, cut mid-record, or invalid UTF-8: skip this line only
        return None
    return parse(record) if isinstance(record, dict) else None


def _find_meta(block: bytes | bytearray, end: int, scan: FileScan) -> None:
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
    path: Path,
    previous: FileScan | None = None,
    previous_messages: dict[str, Message] | None = None,
    table: PriceList | None = None,
) -> FileScan:
    """Scan a file afresh, or resume after `previous` when the file only grew since; priced by `table`."""
    # One open per file, and fstat rather than stat: hundreds of files make the syscalls count.
    with open(path, "rb", buffering=0) as handle:  # unbuffered: reads go straight into our buffer
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
    scan.summarise(table or prices())  # the caller's: prices() stats two files each call
    return scan


def _grown(previous: FileScan, size: int, head: bytes, handle: FileIO) -> bool:
    """Whether the file only grew since `previous` (same first bytes, same bytes before its offset)."""
    if size < previous.offset or not head.startswith(previous.head):
        return False
    handle.seek(previous.offset - len(previous.before_offset))
    return handle.read(len(previous.before_offset)) == previous.before_offset
