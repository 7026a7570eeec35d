"""Claude Code transcripts: find them, total them by the dedupe rule, cache per-file results.

The rule: only `assistant` records with an object `message.usage`; each `message.id` counted
once across every file, taking the per-field maximum over its copies; `<synthetic>` excluded;
`usage.iterations` never added; cache writes are the larger of the flat field and the nested
5m/1h sum, the excess of the flat field counting as 5-minute writes.
"""

from __future__ import annotations

import gc
import marshal
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.errors import InvalidInput

# orjson parses a line about 3.5x faster than json; bench/README.md has the end-to-end effect.
from ai_budget.jsonio import dumps_compact as dumps
from ai_budget.jsonio import loads
from ai_budget.pricing import prices

CACHE_VERSION = 2
CHUNK_BYTES = 1 << 20
PARALLEL_MIN_FILES = 16  # below this a second process costs more than it saves
HEAD_BYTES = 256  # a rewritten file is told apart from a grown one by its first bytes

# A message record: [timestamp, model, input, output, cache_read, cache_write_flat,
#                    cache_write_5m, cache_write_1h, web_search, web_fetch]
TS, MODEL = 0, 1
FIRST_COUNT = 2
Record = list[Any]


def _count(value: Any) -> int:
    """A token count: null, missing, negative or non-numeric counts as 0."""
    if type(value) is int:
        return value if value > 0 else 0
    if isinstance(value, float) and value == value and value > 0:
        return int(value)
    return 0


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _record(record: dict[str, Any]) -> tuple[str, Record] | None:
    """(message id, counts) of one assistant line, or None when it carries no usage."""
    if record.get("type") != "assistant":
        return None
    message = record.get("message")
    if not isinstance(message, dict):
        return None
    usage = message.get("usage")
    if not isinstance(usage, dict):
        return None
    model = message.get("model")
    if model == "<synthetic>":
        return None
    key = message.get("id") or record.get("requestId") or record.get("uuid")
    if not isinstance(key, str):
        return None
    nested = usage.get("cache_creation")
    if not isinstance(nested, dict):
        nested = {}
    server = usage.get("server_tool_use")
    if not isinstance(server, dict):
        server = {}
    return key, [
        _timestamp(record.get("timestamp")),
        model if isinstance(model, str) and model else "unknown",
        _count(usage.get("input_tokens")),
        _count(usage.get("output_tokens")),
        _count(usage.get("cache_read_input_tokens")),
        _count(usage.get("cache_creation_input_tokens")),
        _count(nested.get("ephemeral_5m_input_tokens")),
        _count(nested.get("ephemeral_1h_input_tokens")),
        _count(server.get("web_search_requests")),
        _count(server.get("web_fetch_requests")),
    ]


def _merge(old: Record, new: Record) -> Record:
    """Two copies of one message: per-field maximum, earliest timestamp."""
    stamps = [t for t in (old[TS], new[TS]) if t is not None]
    merged: Record = [min(stamps) if stamps else None, old[MODEL]]
    merged.extend(a if a >= b else b for a, b in zip(old[FIRST_COUNT:], new[FIRST_COUNT:], strict=True))
    return merged


# What one message adds to the totals, in this order (the cache-write rule applied).
ROW_FIELDS = (
    "exchanges",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_tokens",
    "cache_creation_1h_tokens",
    "web_search_requests",
    "web_fetch_requests",
)


def contribution(r: Record) -> tuple[int, ...]:
    """One deduplicated message as a totals row; flat-only cache writes count as 5-minute ones."""
    flat, five, hour = r[5], r[6], r[7]
    nested = five + hour
    writes = flat if flat > nested else nested
    return (1, r[2], r[3], r[4], writes, five + (writes - nested), hour, r[8], r[9])


# --- one file --------------------------------------------------------------------------------


@dataclass
class FileScan:
    """What one transcript file holds, as far as it has been read.

    `messages` (every message's counts) is loaded only when needed; the summary (message ids,
    time range, per-model totals) answers most queries on its own.
    """

    size: int = 0
    mtime_ns: int = 0
    offset: int = 0
    head: bytes = b""
    session_id: str | None = None
    cwd: str | None = None
    ids: list[str] = field(default_factory=list)
    first_ts: float | None = None
    last_ts: float | None = None
    undated: bool = False
    by_model: dict[str, list[int]] = field(default_factory=dict)
    messages: dict[str, Record] | None = None

    def summarise(self) -> None:
        """Derive ids, time range and per-model totals from `messages`."""
        messages = self.messages or {}
        self.ids = list(messages)
        stamps = [r[TS] for r in messages.values() if r[TS] is not None]
        self.first_ts = min(stamps) if stamps else None
        self.last_ts = max(stamps) if stamps else None
        self.undated = len(stamps) < len(messages)
        by_model: dict[str, list[int]] = {}
        for record in messages.values():
            row = by_model.setdefault(record[MODEL], [0] * len(ROW_FIELDS))
            for i, value in enumerate(contribution(record)):
                row[i] += value
        self.by_model = by_model

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
        ]

    @classmethod
    def from_data(cls, data: list[Any]) -> FileScan:
        """Back from the cache, without messages."""
        return cls(*data)


def _read_lines(path: Path, scan: FileScan, start: int) -> None:
    """Parse from byte `start`, merging into `scan`; the offset stops before a torn last line.

    Reads fixed-size chunks and jumps between `"assistant"` occurrences with bytes.find, so
    the big user lines (tool results) are never copied or parsed, and memory stays flat.
    """
    with open(path, "rb") as handle:
        handle.seek(start)
        offset = start
        tail = b""
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            block = tail + chunk if tail else chunk
            end = block.rfind(b"\n") + 1
            if end == 0:  # no complete line yet (one very long line): keep reading
                tail = block
                continue
            _scan_block(block, end, scan)
            offset += end
            tail = block[end:]
        if tail.strip():
            # A last line without its newline may be a write in progress: count it if it is
            # whole, but leave the offset before it so the next run reads it again.
            _scan_block(tail + b"\n", len(tail) + 1, scan)
    scan.offset = offset


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
        found = _record(record)
        if found is None:
            continue
        key, counts = found
        old = messages.get(key)
        messages[key] = counts if old is None else _merge(old, counts)
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
    path: Path, previous: FileScan | None = None, previous_messages: dict[str, Record] | None = None
) -> FileScan:
    """Scan a file afresh, or resume after `previous` when the file only grew since."""
    stat = path.stat()
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    grown = (
        previous is not None
        and previous_messages is not None
        and stat.st_size >= previous.offset
        and len(head) >= len(previous.head)
        and head[: len(previous.head)] == previous.head
    )
    if grown:
        assert previous is not None and previous_messages is not None
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
    _read_lines(path, scan, scan.offset)
    scan.summarise()
    return scan


# --- the index (per-file cache) ---------------------------------------------------------------


class Index:
    """Per-file results cached by path, size and mtime; append-only files resume from their offset.

    One small summary file holds every transcript's summary; each transcript's messages sit in
    a file of their own, read only when a query needs them.
    """

    def __init__(self, use_cache: bool = True, cache_dir: Path | None = None):
        self.use_cache = use_cache
        self.dir = (cache_dir or paths.cache_dir()) / f"transcripts-v{CACHE_VERSION}"
        self.entries: dict[str, FileScan] = {}
        self.changed: set[str] = set()
        if use_cache:
            self.entries = self._load_summaries()

    def _load_summaries(self) -> dict[str, FileScan]:
        # Thousands of small objects at once: the cyclic GC would only rescan them to no end.
        gc.disable()
        try:
            with open(self.dir / "summaries.marshal", "rb") as handle:
                data = marshal.load(handle)
            return {p: FileScan.from_data(d) for p, d in data.items()}
        except (OSError, EOFError, ValueError, TypeError):
            return {}  # no cache or an unreadable one: everything is read afresh
        finally:
            gc.enable()

    def _messages_file(self, key: str) -> Path:
        import hashlib  # only needed when messages are read or written

        return self.dir / f"{hashlib.sha1(key.encode()).hexdigest()}.marshal"

    def scan(self, path: Path, known: tuple[int, int] | None = None) -> FileScan:
        """The summary of one file, from the cache when (size, mtime) still match."""
        key = str(path)
        previous = self.entries.get(key)
        if previous is not None:
            if known is None:
                stat = path.stat()
                known = (stat.st_size, stat.st_mtime_ns)
            if (previous.size, previous.mtime_ns) == known:
                return previous
        old_messages = self._read_messages(key) if previous is not None else None
        try:
            current = scan_file(path, previous, old_messages)
        except OSError:
            return FileScan()  # deleted or unreadable since discovery: counts as empty, not cached
        self.entries[key] = current
        self.changed.add(key)
        return current

    def prefetch(self, files: list[Transcript]) -> None:
        """Scan every file whose cache is stale; on Linux with 2+ cores, half in a forked child."""
        stale = [
            t
            for t in files
            if (e := self.entries.get(str(t.path))) is None or (e.size, e.mtime_ns) != (t.size, t.mtime_ns)
        ]
        if (
            len(stale) < PARALLEL_MIN_FILES
            or not sys.platform.startswith("linux")
            or (os.cpu_count() or 1) < 2
        ):
            for t in stale:
                self.scan(t.path, (t.size, t.mtime_ns))
            return
        mine: list[Transcript] = []
        theirs: list[Transcript] = []
        load = [0, 0]
        for t in sorted(stale, key=lambda t: t.size, reverse=True):  # balance the bytes
            side = 0 if load[0] <= load[1] else 1
            (mine if side == 0 else theirs).append(t)
            load[side] += t.size
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: scan its half, send the results, leave without cleanup
            os.close(read_end)
            status = 1
            try:
                results = [(str(t.path), self.scan(t.path, (t.size, t.mtime_ns))) for t in theirs]
                payload = marshal.dumps([(k, s.to_data(), s.messages) for k, s in results])
                with os.fdopen(write_end, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        for t in mine:
            self.scan(t.path, (t.size, t.mtime_ns))
        with os.fdopen(read_end, "rb") as incoming:
            payload = incoming.read()
        _, status = os.waitpid(pid, 0)
        if status == 0 and payload:
            for key, data, messages in marshal.loads(payload):
                scan = FileScan.from_data(data)
                scan.messages = messages
                self.entries[key] = scan
                self.changed.add(key)
        else:  # the child failed: do its half here
            for t in theirs:
                self.scan(t.path, (t.size, t.mtime_ns))

    def messages(self, path: Path) -> dict[str, Record]:
        """Every message of one (already scanned) file."""
        scan = self.scan(path)
        if scan.messages is None:
            loaded = self._read_messages(str(path))
            if loaded is None:  # cache lost under us: read the file again
                try:
                    scan = scan_file(path)
                except OSError:
                    return {}
                self.entries[str(path)] = scan
                self.changed.add(str(path))
                loaded = scan.messages or {}
            scan.messages = loaded
        return scan.messages

    def _read_messages(self, key: str) -> dict[str, Record] | None:
        if not self.use_cache:
            return None
        try:
            with open(self._messages_file(key), "rb") as handle:
                data = marshal.load(handle)
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return data if isinstance(data, dict) else None

    def save(self) -> None:
        """Write what changed (never with --no-cache), forgetting files that are gone."""
        if not self.use_cache or not self.changed:
            return
        gone = [p for p in self.entries if not os.path.exists(p)]
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            for key in gone:
                del self.entries[key]
                self._messages_file(key).unlink(missing_ok=True)
            for key in self.changed:
                _dump(self._messages_file(key), self.entries[key].messages or {})
            _dump(self.dir / "summaries.marshal", {p: s.to_data() for p, s in self.entries.items()})
            self.changed.clear()
        except OSError:
            pass  # a cache that cannot be written only costs speed next time


def _dump(path: Path, data: Any) -> None:
    """Write a cache file atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            marshal.dump(data, handle)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# --- discovery ----------------------------------------------------------------------------------


@dataclass(eq=False)
class Transcript:
    """A transcript file: a main session (`<uuid>.jsonl` in a project folder) or another file."""

    path: Path
    project: Path
    is_session: bool
    size: int
    mtime_ns: int

    @property
    def mtime(self) -> float:
        """Last write, in epoch seconds."""
        return self.mtime_ns / 1e9

    @property
    def is_agent(self) -> bool:
        """A subagent transcript (`agent-*.jsonl`, beside the sessions or under subagents/)."""
        return self.path.name.startswith("agent-")


_WHERE_HINT = "use Claude Code first, or point CLAUDE_CONFIG_DIR at its config folder"


def find_transcripts(claude_dirs: Iterable[Path]) -> list[Transcript]:
    """Every `*.jsonl` under each `<claude dir>/projects/` except `journal.jsonl`."""
    found: dict[tuple[int, int], Transcript] = {}
    for claude_dir in claude_dirs:
        root = claude_dir / "projects"
        if not root.is_dir():
            continue
        for dirpath, _, filenames in os.walk(root):
            folder = Path(dirpath)
            depth = len(folder.relative_to(root).parts)
            project = folder if depth <= 1 else root / folder.relative_to(root).parts[0]
            for name in filenames:
                if not name.endswith(".jsonl") or name == "journal.jsonl":
                    continue
                path = folder / name
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                # The same file reached through two config dirs (a symlink) counts once.
                identity = (stat.st_dev, stat.st_ino)
                if identity not in found:
                    is_session = depth == 1 and not name.startswith("agent-")
                    found[identity] = Transcript(path, project, is_session, stat.st_size, stat.st_mtime_ns)
    return list(found.values())


def project_name(cwd: str) -> str:
    """Claude Code's folder name for a working directory: every non-alphanumeric becomes '-'."""
    return re.sub(r"[^A-Za-z0-9]", "-", cwd)


def _matches_dir(project: Path, folder: str) -> bool:
    name = project_name(folder)
    if len(name) > 200:  # long names are cut to 200 characters plus a hash
        return project.name.startswith(name[:200])
    return project.name == name


def newest_session(transcripts: list[Transcript], cwd: Path, index: Index) -> Transcript:
    """The newest session of the project of `cwd` (or a parent of it), else the newest anywhere."""
    sessions = [t for t in transcripts if t.is_session]
    if not sessions:
        raise InvalidInput(f"no Claude Code sessions found: {_WHERE_HINT}")
    for folder in (cwd, *cwd.parents):
        mine = [t for t in sessions if _matches_dir(t.project, str(folder))]
        # The folder name is lossy; the cwd recorded inside the transcript decides.
        mine = [t for t in mine if index.scan(t.path).cwd in (None, str(folder))]
        if mine:
            return max(mine, key=lambda t: t.mtime)
        if folder == folder.parent:
            break
    return max(sessions, key=lambda t: t.mtime)


def find_session(transcripts: list[Transcript], selector: str) -> Transcript:
    """A session by file path, full id, or unique id prefix."""
    path = Path(selector).expanduser()
    if path.suffix == ".jsonl" or os.sep in selector:
        if not path.is_file():
            raise InvalidInput(f"no transcript file at {path}")
        stat = path.stat()
        for t in transcripts:
            if os.path.samefile(t.path, path):
                return t
        return Transcript(
            path.absolute(),
            path.absolute().parent,
            not path.name.startswith("agent-"),
            stat.st_size,
            stat.st_mtime_ns,
        )
    exact = [t for t in transcripts if t.is_session and t.path.stem == selector]
    if exact:
        return max(exact, key=lambda t: t.mtime)
    prefixed = [t for t in transcripts if t.is_session and t.path.stem.startswith(selector)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise InvalidInput(
            f"session id prefix {selector!r} matches {len(prefixed)} sessions: give more of it"
        )
    raise InvalidInput(f"no session {selector!r} found: `ai-budget tokens --since 7d` lists recent ones")


def subagents_of(session: Transcript, transcripts: list[Transcript], index: Index) -> list[Transcript]:
    """Subagent files of a session, attributed by the sessionId inside them, never by name."""
    session_id = session.path.stem
    found = []
    for t in transcripts:
        if t.path == session.path or t.is_session or t.project != session.project:
            continue
        if index.scan(t.path).session_id == session_id:
            found.append(t)
    return found


# --- totals ----------------------------------------------------------------------------------------


@dataclass
class Counts:
    """Deduplicated totals for a set of messages."""

    exchanges: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_creation_5m_tokens: int = 0
    cache_creation_1h_tokens: int = 0
    web_search_requests: int = 0
    web_fetch_requests: int = 0
    cost: Decimal | None = Decimal(0)

    def add_row(self, row: Iterable[int], sign: int = 1) -> None:
        """Add (or with sign -1, take away) a totals row in ROW_FIELDS order."""
        for name, value in zip(ROW_FIELDS, row, strict=True):
            setattr(self, name, getattr(self, name) + sign * value)

    @property
    def total_tokens(self) -> int:
        """Input + output + cache reads + cache writes."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_input_tokens
            + self.cache_creation_input_tokens
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON fields (cost in dollars, or None when the model is unpriced)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in ROW_FIELDS}
        data["total_tokens"] = self.total_tokens
        data["cost_usd"] = float(round(self.cost, 6)) if self.cost is not None else None
        return data


@dataclass
class Report:
    """What `ai-budget tokens` prints."""

    total: Counts
    by_model: dict[str, Counts]
    files: list[Path]
    unpriced_models: list[str]
    session_id: str | None = None
    session_file: Path | None = None
    since: datetime | None = None
    until: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON document (the original keys first)."""
        data = self.total.as_dict()
        data["by_model"] = {m: c.as_dict() for m, c in sorted(self.by_model.items())}
        data["unpriced_models"] = self.unpriced_models
        data["session_id"] = self.session_id
        data["session_file"] = str(self.session_file) if self.session_file else None
        data["files"] = [str(p) for p in self.files]
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        return data


def by_model_totals(
    index: Index, files: list[Transcript], since: float | None, until: float | None
) -> dict[str, Counts]:
    """Per-model totals over files: each message once, in the window [since, until).

    A file's cached per-model totals are used as they are when every message in it lies in
    the window and none of its ids appears in another file; otherwise its messages are read.
    """
    windowed = since is not None or until is not None
    low = since if since is not None else float("-inf")
    high = until if until is not None else float("inf")

    def inside(ts: float | None) -> bool:
        return not windowed or (ts is not None and low <= ts < high)

    scans = [index.scan(t.path, (t.size, t.mtime_ns)) for t in files]
    seen: set[str] = set()
    shared: set[str] = set()
    for scan in scans:
        ids = set(scan.ids)
        shared |= ids & seen
        seen |= ids
    result: dict[str, Counts] = {}
    pooled: dict[str, Record] = {}  # ids found in several files: merged before counting
    for transcript, scan in zip(files, scans, strict=True):
        if not scan.ids:
            continue
        whole = not scan.undated and inside(scan.first_ts) and inside(scan.last_ts)
        if whole and shared.isdisjoint(scan.ids):
            for model, row in scan.by_model.items():
                result.setdefault(model, Counts()).add_row(row)
            continue
        for key, record in index.messages(transcript.path).items():
            if key in shared:
                old = pooled.get(key)
                pooled[key] = record if old is None else _merge(old, record)
            elif inside(record[TS]):
                result.setdefault(record[MODEL], Counts()).add_row(contribution(record))
    for record in pooled.values():
        if inside(record[TS]):
            result.setdefault(record[MODEL], Counts()).add_row(contribution(record))
    return result


def priced(by_model: dict[str, Counts]) -> tuple[Counts, list[str]]:
    """Set each model's cost; return the grand total and the models with no known price."""
    price_list = prices()
    total = Counts()
    unpriced: list[str] = []
    for model, counts in by_model.items():
        total.add_row(getattr(counts, name) for name in ROW_FIELDS)
        counts.cost = price_list.cost(
            model,
            counts.input_tokens,
            counts.output_tokens,
            counts.cache_read_input_tokens,
            counts.cache_creation_5m_tokens,
            counts.cache_creation_1h_tokens,
            counts.web_search_requests,
        )
        if counts.cost is None:
            unpriced.append(model)  # counted in tokens, never priced at zero
        else:
            assert total.cost is not None
            total.cost += counts.cost
    return total, sorted(unpriced)


def tokens(
    claude_dirs: list[Path],
    *,
    session: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    all_sessions: bool = False,
    subagents: bool = True,
    use_cache: bool = True,
    cwd: Path | None = None,
    index: Index | None = None,
) -> Report:
    """`ai-budget tokens`: a session's totals, or every entry in a time window (or of all time)."""
    index = index or Index(use_cache=use_cache)
    transcripts = find_transcripts(claude_dirs)
    if not transcripts:
        where = ", ".join(str(d / "projects") for d in claude_dirs) or "(no Claude dir)"
        raise InvalidInput(f"no Claude Code transcripts under {where}: {_WHERE_HINT}")
    chosen: Transcript | None = None
    if session is not None:
        chosen = find_session(transcripts, session)
    elif since is None and until is None and not all_sessions:
        chosen = newest_session(transcripts, cwd or Path.cwd(), index)
    if chosen is not None:
        files = [chosen]
        if subagents and chosen.is_session:
            files += subagents_of(chosen, transcripts, index)
    else:
        low = since.timestamp() if since else None
        # A file last written before the window starts cannot hold entries in it.
        files = [t for t in transcripts if low is None or t.mtime >= low]
        if not subagents:
            files = [t for t in files if not t.is_agent]
    index.prefetch(files)
    by_model = by_model_totals(
        index, files, since.timestamp() if since else None, until.timestamp() if until else None
    )
    total, unpriced = priced(by_model)
    index.save()
    return Report(
        total=total,
        by_model=by_model,
        files=sorted(t.path for t in files),
        unpriced_models=unpriced,
        session_id=(chosen.path.stem if chosen.is_session else index.scan(chosen.path).session_id)
        if chosen
        else None,
        session_file=chosen.path if chosen else None,
        since=since,
        until=until,
    )
