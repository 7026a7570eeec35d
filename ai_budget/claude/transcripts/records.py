"""The dedupe rule: one transcript line to a message record, copies merged, a message's totals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple, cast

# The rule (DESIGN.md, "Transcript accounting"): only `assistant` records with an object
# `message.usage` count; each `message.id` once across every file, taking the per-field
# maximum over its copies; `<synthetic>` is excluded; `usage.iterations` is never added.


class Message(NamedTuple):
    """One API response's usage, as read from one or more copies of its line."""

    timestamp: float | None
    model: str
    input: int
    output: int
    cache_read: int
    cache_write_flat: int
    cache_write_5m: int
    cache_write_1h: int
    web_search: int
    web_fetch: int


class Row(NamedTuple):
    """What messages add to the totals; its field names are the JSON keys of every count."""

    exchanges: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_creation_5m_tokens: int = 0
    cache_creation_1h_tokens: int = 0
    web_search_requests: int = 0
    web_fetch_requests: int = 0


ROW_FIELDS = Row._fields
# Message fields from here on are counts: merged by maximum.
FIRST_COUNT = Message._fields.index("input")
# Builds a NamedTuple from a tuple in field order without the Python-level __new__: these are
# made once per line read, and marshal (which refuses tuple subclasses) hands back plain tuples.
_new = tuple.__new__


def _count(value: Any) -> int:
    """A token count: null, missing, negative or non-numeric counts as 0."""
    if type(value) is int:
        return value if value > 0 else 0
    if isinstance(value, float) and value == value and value > 0:
        return int(value)
    return 0


def _timestamp(value: Any) -> float | None:
    """Epoch seconds of an ISO timestamp, or None when there is none to read."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def parse(record: dict[str, Any]) -> tuple[str, Message] | None:
    """(message id, usage) of one parsed line, or None when it does not count."""
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
    counts = (
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
    )
    return key, _new(Message, counts)  # in Message's field order


def merge(old: Message, new: Message) -> Message:
    """Two copies of one message: per-field maximum, earliest timestamp, the first copy's model."""
    a, b = old.timestamp, new.timestamp
    stamp = b if a is None or (b is not None and b < a) else a
    counts = zip(_counts(old), _counts(new), strict=True)
    return _new(Message, (stamp, old.model, *[x if x >= y else y for x, y in counts]))


def _counts(m: Message) -> tuple[int, ...]:
    """The count fields of a message."""
    return cast("tuple[int, ...]", m[FIRST_COUNT:])


def contribution(m: Message) -> tuple[int, ...]:
    """One deduplicated message as a totals row, in Row's field order: the cache-write rule applied."""
    # Writes are the larger of the flat field and the nested 5m/1h sum: the flat field could
    # read 0 before Claude Code 2.1.152, and lines of 1.0.x and older have only the flat one.
    # Whatever the flat field holds beyond the nested sum counts as 5-minute writes.
    flat, five, hour = m.cache_write_flat, m.cache_write_5m, m.cache_write_1h
    nested = five + hour
    writes = flat if flat > nested else nested
    # A plain tuple, not a Row: made once per message only to be summed.
    return (
        1,
        m.input,
        m.output,
        m.cache_read,
        writes,
        five + (writes - nested),
        hour,
        m.web_search,
        m.web_fetch,
    )


def sum_rows(rows: Iterable[Iterable[int]]) -> list[int]:
    """Field-by-field sum of totals rows (all zeros for none)."""
    return [sum(column) for column in zip(Row(), *rows, strict=True)]


def by_model(messages: Iterable[Message]) -> dict[str, list[int]]:
    """Per-model totals rows of deduplicated messages."""
    rows: dict[str, list[tuple[int, ...]]] = {}
    for m in messages:
        rows.setdefault(m.model, []).append(contribution(m))
    return {model: sum_rows(r) for model, r in rows.items()}


def to_plain(messages: dict[str, Message]) -> dict[str, tuple[Any, ...]]:
    """Messages in a form marshal can write (it refuses tuple subclasses)."""
    return {key: m[:] for key, m in messages.items()}  # a slice is a plain tuple, made faster than tuple(m)


def from_plain(data: dict[str, Any]) -> dict[str, Message]:
    """Messages back from `to_plain`'s form."""
    return {key: _new(Message, t) for key, t in data.items()}
