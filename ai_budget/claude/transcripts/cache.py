"""The per-file cache of scans, and reading stale files in two processes."""

from __future__ import annotations

import gc
import marshal
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from ai_budget import paths
from ai_budget.claude.price_table import prices
from ai_budget.claude.transcripts.discover import Transcript
from ai_budget.claude.transcripts.lines import reader
from ai_budget.claude.transcripts.progress import Progress, Ticker
from ai_budget.claude.transcripts.records import Message, from_plain, to_plain
from ai_budget.claude.transcripts.scan import FileScan, scan_file

# 3: the bytes before the offset are kept; 4: summaries kept per project folder; 5: messages keep
# speed, geography, prompt size and advisor calls, and per-model rows their cost
CACHE_VERSION = 5
PARALLEL_MIN_FILES = 16  # below this a second process costs more than it saves
# The parent reads less than half: after reading it still takes the child's results and adds
# everything up: 45 % here evens the two processes' instructions (callgrind, bench/README.md).
PARENT_SHARE = 0.45


class ScanStats:
    """Which files an Index read, and how many bytes of each past the head: here or in its child."""

    __slots__ = ("here", "child")

    def __init__(self) -> None:
        self.here: dict[str, int] = {}
        self.child: dict[str, int] = {}


class Index:
    """Per-file scans cached by path, size and mtime; append-only files resume from their offset."""

    # One small summary file per project folder holds its transcripts' summaries; each
    # transcript's messages sit in a file of their own, read only when a query needs them.

    def __init__(
        self, use_cache: bool = True, cache_dir: Path | None = None, progress: Progress | None = None
    ):
        self.use_cache = use_cache
        self.progress = progress  # told of each stale file prefetch reads
        # The rows hold costs: a folder per price table, so a price change is never served stale.
        self.table = prices()  # one table for every file this index reads
        self.dir = (cache_dir or paths.cache_dir()) / f"transcripts-v{CACHE_VERSION}-{self.table.digest}"
        self.entries: dict[str, FileScan] = {}  # the summaries of the project folders loaded
        self.loaded: set[str] = set()
        self.changed: set[str] = set()
        self.stats = ScanStats()
        # Messages of the files read here or by the child, packed (marshal bytes, about a fifth
        # of their size as objects, so a cold run's memory stays nearly flat): turned into
        # Messages only when a query needs them, and written to the cache as they are.
        self.sent: dict[str, bytes] = {}

    def _entry(self, key: str) -> FileScan | None:
        """The summary held for a file, its project folder's cached summaries loaded first."""
        # Summaries are kept per project folder, so a session's query (one project) loads and
        # writes only that folder's, however many years of other projects there are.
        self._load_shard(_shard(key))
        return self.entries.get(key)

    def _load_shard(self, shard: str) -> None:
        """One project folder's cached summaries, once (none when missing or unreadable); newer ones kept."""
        if shard in self.loaded:
            return
        self.loaded.add(shard)
        if not self.use_cache:
            return
        try:
            with gc_paused(), open(self.dir / f"summaries{shard}.marshal", "rb") as handle:
                data = marshal.load(handle)
                for p, d in data.items():
                    if p not in self.entries:
                        self.entries[p] = FileScan.from_data(d)
        except (OSError, EOFError, ValueError, TypeError):
            pass  # those files are read afresh

    def _messages_file(self, key: str) -> Path:
        """Where one transcript's messages are cached."""
        return self.dir / f"{_digest(key)}.marshal"

    def scan(self, path: Path, known: tuple[int, int] | None = None) -> FileScan:
        """The summary of one file, from the cache when (size, mtime) still match."""
        key = str(path)
        previous = self._entry(key)
        old_messages = None
        if previous is not None:
            if known is None:
                stat = path.stat()
                known = (stat.st_size, stat.st_mtime_ns)
            if (previous.size, previous.mtime_ns) == known:
                return previous
            # A scan made by this index holds the messages its offset belongs with.
            old_messages = previous.messages
            if old_messages is None:
                old_messages = self._stored_messages(key)
        try:
            current = scan_file(path, previous, old_messages, self.table)
        except OSError:
            return FileScan()  # deleted or unreadable since discovery: counts as empty, not cached
        self.sent[key] = marshal.dumps(to_plain(current.messages or {}))
        current.messages = None
        self.entries[key] = current
        self.changed.add(key)
        self.stats.here[key] = current.bytes_read
        return current

    def prefetch(self, files: list[Transcript]) -> None:
        """Scan every file whose cache is stale; on Linux with 2+ cores, half in a forked child."""
        stale = [
            t
            for t in files
            if (e := self._entry(t.file)) is None or (e.size, e.mtime_ns) != (t.size, t.mtime_ns)
        ]
        tick = Ticker(self.progress, stale)
        with gc_paused():
            if not _fork_pays(len(stale)):
                for t in stale:
                    self.scan(t.path, (t.size, t.mtime_ns))
                    tick(t)
                return
            reader()  # the decoder built (msgspec imported) once, before the fork, not in each process
            mine, theirs = _halves(stale)
            tick.share(mine)
            sent = self._take(self._in_two_processes(mine, theirs, tick))
            tick.finish()
            # Whatever the child did not send (it failed, or a file vanished) is read here.
            for t in theirs:
                if t.file not in sent:
                    self.scan(t.path, (t.size, t.mtime_ns))

    def _in_two_processes(self, mine: list[Transcript], theirs: list[Transcript], tick: Ticker) -> bytes:
        """Scan `mine` here while a forked child scans `theirs`: the child's payload, b"" if it failed."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            self._child(theirs, write_end)
        os.close(write_end)
        for t in mine:
            self.scan(t.path, (t.size, t.mtime_ns))
            tick(t)
        with os.fdopen(read_end, "rb") as incoming:
            payload = incoming.read()
        _, status = os.waitpid(pid, 0)
        return payload if status == 0 else b""

    def _child(self, files: list[Transcript], write_end: int) -> NoReturn:
        """In the forked child: scan `files`, send the results up the pipe, leave without cleanup."""
        status = 1
        try:
            self.stats = ScanStats()  # only what this process reads goes back
            for t in files:
                self.scan(t.path, (t.size, t.mtime_ns))
            payload = marshal.dumps(
                [
                    (key, self.entries[key].to_data(), self.sent[key], read)
                    for key, read in self.stats.here.items()
                ]
            )
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)

    def _take(self, payload: bytes) -> set[str]:
        """Adopt the child's scans; the files they are of."""
        try:
            results = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return set()
        for key, data, packed, read in results:
            self.entries[key] = FileScan.from_data(data)
            self.sent[key] = packed
            self.changed.add(key)
            self.stats.child[key] = read
        return {key for key, *_ in results}

    def messages(self, path: Path) -> dict[str, Message]:
        """Every message of one (already scanned) file, unpacked for the caller only."""
        # Kept packed, never as Messages: a cold run over years of transcripts would otherwise
        # hold every message of every file that shares ids with another (bench/README.md).
        key = str(path)
        scan = self.scan(path)
        if scan.messages is not None:
            return scan.messages
        unpacked = _unpack(self._packed(key))
        if unpacked is not None:
            return unpacked
        self.sent.pop(key, None)  # lost or unreadable: read the file again
        try:
            fresh = scan_file(path, table=self.table)
        except OSError:
            return {}
        messages = fresh.messages or {}
        self.sent[key] = marshal.dumps(to_plain(messages))
        fresh.messages = None
        self.entries[key] = fresh
        self.changed.add(key)
        self.stats.here[key] = fresh.bytes_read
        return messages

    def _packed(self, key: str) -> bytes | None:
        """A file's messages packed: read here or by the child, else from the cache (then kept)."""
        packed = self.sent.get(key)
        if packed is None and self.use_cache:
            try:
                with open(self._messages_file(key), "rb") as handle:
                    packed = self.sent[key] = handle.read()
            except OSError:
                return None
        return packed

    def _stored_messages(self, key: str) -> dict[str, Message] | None:
        """Messages of a scan not held as Messages (the child's, this process's, the cache's), or None."""
        unpacked = _unpack(self._packed(key))
        self.sent.pop(key, None)  # the scan about to be made packs its own
        return unpacked

    def save(self) -> None:
        """Write what changed (never with --no-cache), forgetting files that are gone."""
        if not self.use_cache or not self.changed:
            return
        gone = [p for p in self.entries if not os.path.exists(p)]
        shards = {_shard(key) for key in self.changed | set(gone)}
        try:
            if not self.dir.is_dir():
                self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                _forget_others(self.dir)
            for key in gone:
                del self.entries[key]
                self._messages_file(key).unlink(missing_ok=True)
            for key in self.changed & self.entries.keys():
                packed = self.sent.get(key)
                if packed is None:
                    packed = marshal.dumps(to_plain(self.entries[key].messages or {}))
                _write(self._messages_file(key), packed)
            for shard in shards:
                self._load_shard(shard)  # its other files' summaries are kept
                mine = {p: e.to_data() for p, e in self.entries.items() if _shard(p) == shard}
                _dump(self.dir / f"summaries{shard}.marshal", mine)
            self.changed.clear()
        except OSError:
            pass  # a cache that cannot be written only costs speed next time


def _forget_others(kept: Path) -> None:
    """Remove the caches of other versions and other price tables beside a new one (they only take room)."""
    import shutil

    for other in kept.parent.glob("transcripts-v*"):
        if other != kept and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def _unpack(packed: bytes | None) -> dict[str, Message] | None:
    """Messages from their packed form, or None when there are none or they are unreadable."""
    if packed is None:
        return None
    try:
        data = marshal.loads(packed)
    except (EOFError, ValueError, TypeError):
        return None
    return from_plain(data) if isinstance(data, dict) else None


def _digest(text: str) -> str:
    """SHA-1 of a text, in hex (file names in the cache)."""
    try:  # the C module alone: hashlib loads OpenSSL first, milliseconds of a session query
        from _sha1 import sha1
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import sha1
    return sha1(text.encode()).hexdigest()


def _shard(key: str) -> str:
    """Which summaries file holds a file's: its project folder's name (`-` for a file elsewhere)."""
    at = key.rfind(f"{os.sep}projects{os.sep}")
    if at < 0:
        return "-"
    rest = key[at + 10 :]
    if os.sep not in rest:
        return "-"
    name = rest.split(os.sep, 1)[0]
    if len(name) > 100:  # a file name has room for 255 bytes: a long folder name is hashed
        name = _digest(name)
    return "-" + name


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC off while many objects and no reference cycles are made (then as it was)."""
    # It would only walk the growing heap again and again: about 1 % of a cold scan's
    # instructions (callgrind), in each process.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fork_pays(stale: int) -> bool:
    """Whether a forked second process is worth it: enough files, fork available, 2+ cores."""
    return stale >= PARALLEL_MIN_FILES and sys.platform.startswith("linux") and (os.cpu_count() or 1) >= 2


def _halves(files: list[Transcript]) -> tuple[list[Transcript], list[Transcript]]:
    """This process's files and the child's: PARENT_SHARE of the bytes here, biggest files first."""
    halves: tuple[list[Transcript], list[Transcript]] = ([], [])
    load = [0, 0]
    for t in sorted(files, key=lambda t: t.size, reverse=True):
        side = 0 if load[0] * (1 - PARENT_SHARE) <= load[1] * PARENT_SHARE else 1
        halves[side].append(t)
        load[side] += t.size
    return halves


def _dump(path: Path, data: Any) -> None:
    """Write a cache file atomically."""
    _write(path, marshal.dumps(data))


def _write(path: Path, packed: bytes) -> None:
    """Write bytes to a cache file atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(packed)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
