"""The dedupe rule: one transcript line to message records, copies merged, a message's totals and cost."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from operator import add, mul
from typing import Any, NamedTuple, cast

from ai_budget.claude.pricing import PriceList

# The rule (docs/design.md, "Transcript accounting"): only `assistant` records with an object
# `message.usage` count; each `message.id` once across every file, taking the per-field
# maximum over its copies; `<synthetic>` is excluded. `usage.iterations` repeats the top level
# (`message` entries) except for advisor calls: each `advisor_message` entry is a call of its
# own, under its own model, whose tokens the top level leaves out; `fallback_message` entries
# are failed attempts, not billed.


class Message(NamedTuple):
    """One API response's usage, as read from one or more copies of its line."""

    timestamp: float | None
    model: str
    speed: str  # usage.speed: "" or "standard", "fast"
    geo: str  # usage.inference_geo: "", "global", "not_available", "us"
    input: int
    output: int
    cache_read: int
    cache_write_flat: int
    cache_write_5m: int
    cache_write_1h: int
    web_search: int
    web_fetch: int
    # The largest prompt (input + cache) of the requests `iterations` lists, or 0: a price band is
    # decided per request, and an advisor turn's top level adds up two requests of the main model.
    prompt: int


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
    # Not counts to show: each message's cost in pico-dollars as it was priced (date, band, fast
    # mode, geography known only per request), and how many had no price.
    cost_pico: int = 0
    unpriced_calls: int = 0


ROW_FIELDS = Row._fields
COUNT_FIELDS = ROW_FIELDS[: ROW_FIELDS.index("cost_pico")]
# Message fields from here on are counts: merged by maximum.
FIRST_COUNT = Message._fields.index("input")
ADVISOR = "advisor_message"
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


def timestamp(value: Any) -> float | None:
    """Epoch seconds of an ISO timestamp, or None when there is none to read."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _text(value: Any) -> str:
    """A string field, or "" when it is missing or not text."""
    return value if isinstance(value, str) else ""


def _usage(u: dict[str, Any], stamp: float | None, model: Any, speed: str, geo: str, prompt: int) -> Message:
    """A message from a usage object (the top level's, or one iteration's)."""
    nested = u.get("cache_creation")
    if not isinstance(nested, dict):
        nested = {}
    server = u.get("server_tool_use")
    if not isinstance(server, dict):
        server = {}
    counts = (
        _count(u.get("input_tokens")),
        _count(u.get("output_tokens")),
        _count(u.get("cache_read_input_tokens")),
        _count(u.get("cache_creation_input_tokens")),
        _count(nested.get("ephemeral_5m_input_tokens")),
        _count(nested.get("ephemeral_1h_input_tokens")),
        _count(server.get("web_search_requests")),
        _count(server.get("web_fetch_requests")),
    )
    name = model if isinstance(model, str) and model else "unknown"
    return _new(Message, (stamp, name, speed, geo, *counts, prompt))  # in Message's field order


def prompt_of(m: Message) -> int:
    """A request's prompt: input, cache reads and writes (the larger of the flat field and the nested sum)."""
    nested = m.cache_write_5m + m.cache_write_1h
    return m.input + m.cache_read + (m.cache_write_flat if m.cache_write_flat > nested else nested)


def parse(record: dict[str, Any]) -> list[tuple[str, Message]] | None:
    """(key, usage) of each call a parsed line records, the response's first; None if it does not count."""
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
    stamp = timestamp(record.get("timestamp"))
    speed, geo = _text(usage.get("speed")), _text(usage.get("inference_geo"))
    iterations = usage.get("iterations")
    if not isinstance(iterations, list) or not iterations:
        return [(key, _usage(usage, stamp, model, speed, geo, 0))]
    calls, prompt = _iterations(iterations, key, stamp, geo)
    return [(key, _usage(usage, stamp, model, speed, geo, prompt)), *calls]


def _iterations(
    iterations: list[Any], key: str, stamp: float | None, geo: str
) -> tuple[list[tuple[str, Message]], int]:
    """The advisor calls of one response (keyed by their place), and its largest own request's prompt."""
    calls: list[tuple[str, Message]] = []
    prompt = 0
    for n, it in enumerate(iterations):
        if not isinstance(it, dict):
            continue
        kind = it.get("type")
        if kind == "message":
            prompt = max(prompt, prompt_of(_usage(it, stamp, None, "", geo, 0)))
        elif kind == ADVISOR:
            # The same place in each copy of the line: streamed copies merge like the response.
            advice = _usage(it, stamp, it.get("model"), _text(it.get("speed")), geo, 0)
            calls.append((f"{key}#advisor{n}", advice))
    return calls, prompt


def merge(old: Message, new: Message) -> Message:
    """Two copies of one message: per-field maximum, earliest timestamp, the first copy's model and mode."""
    a, b = old.timestamp, new.timestamp
    stamp = b if a is None or (b is not None and b < a) else a
    counts = zip(counts_of(old), counts_of(new), strict=True)
    return _new(Message, (stamp, old.model, old.speed, old.geo, *[x if x >= y else y for x, y in counts]))


def counts_of(m: Message) -> tuple[int, ...]:
    """The count fields of a message."""
    return cast("tuple[int, ...]", m[FIRST_COUNT:])


def contribution(m: Message, table: PriceList) -> tuple[int, ...]:
    """One deduplicated message as a totals row, in Row's field order: cache-write rule applied, priced."""
    # Writes are the larger of the flat field and the nested 5m/1h sum: the flat field could
    # read 0 before Claude Code 2.1.152, and lines of 1.0.x and older have only the flat one.
    # Whatever the flat field holds beyond the nested sum counts as 5-minute writes.
    flat, five, hour = m.cache_write_flat, m.cache_write_5m, m.cache_write_1h
    nested = five + hour
    writes = flat if flat > nested else nested
    five += writes - nested
    prompt = m.prompt or m.input + m.cache_read + writes
    cost = table.cost_pico(
        m.model,
        m.timestamp,
        m.speed,
        m.geo,
        prompt,
        (m.input, m.output, five, hour, m.cache_read),
        m.web_search,
    )
    # A plain tuple, not a Row: made once per message only to be summed.
    return (
        1,
        m.input,
        m.output,
        m.cache_read,
        writes,
        five,
        hour,
        m.web_search,
        m.web_fetch,
        0 if cost is None else cost,
        1 if cost is None else 0,
    )


def sum_rows(rows: Iterable[Iterable[int]]) -> list[int]:
    """Field-by-field sum of totals rows (all zeros for none)."""
    return [sum(column) for column in zip(Row(), *rows, strict=True)]


def by_model(messages: Iterable[Message], table: PriceList) -> dict[str, list[int]]:
    """Per-model totals rows of deduplicated messages."""
    groups: dict[str, list[Message]] = {}
    for m in messages:
        groups.setdefault(m.model, []).append(m)
    return {model: _model_row(model, ms, table) for model, ms in groups.items()}


def _model_row(model: str, messages: list[Message], table: PriceList) -> list[int]:
    """The sum of the messages' contributions, priced once when they all share one rate."""
    # Column by column in C (zip, map, sum) rather than a row per message: once per file read.
    (stamps, _, speeds, geos, inputs, outputs, reads, flats, fives, hours, searches, fetches, prompts) = zip(
        *messages, strict=True
    )
    writes = list(map(max, flats, map(add, fives, hours)))  # contribution's cache-write rule
    dated = [t for t in stamps if t is not None]
    one_mode = len(set(speeds)) == 1 and len(set(geos)) == 1

    def prompt_range() -> tuple[int, int]:
        own = [p or i + r + w for p, i, r, w in zip(prompts, inputs, reads, writes, strict=True)]
        return min(own), max(own)

    span = (min(dated), max(dated)) if dated else None
    undated = len(dated) < len(stamps)
    shared, rates = False, None
    if one_mode:
        shared, rates = table.shared_rates(model, span, undated, speeds[0], geos[0], prompt_range)
    if not shared:
        return sum_rows(contribution(m, table) for m in messages)
    n, hour, write = len(messages), sum(hours), sum(writes)
    counts = (sum(inputs), sum(outputs), write - hour, hour, sum(reads))  # RATE_KEYS order
    web = sum(searches)
    cost = 0 if rates is None else sum(map(mul, counts, rates)) + web * table.web_search_pico
    unpriced = n if rates is None else 0
    return [n, counts[0], counts[1], counts[4], write, write - hour, hour, web, sum(fetches), cost, unpriced]


def to_plain(messages: dict[str, Message]) -> dict[str, tuple[Any, ...]]:
    """Messages in a form marshal can write (it refuses tuple subclasses)."""
    return {key: m[:] for key, m in messages.items()}  # a slice is a plain tuple, made faster than tuple(m)


def from_plain(data: dict[str, Any]) -> dict[str, Message]:
    """Messages back from `to_plain`'s form."""
    return {key: _new(Message, t) for key, t in data.items()}
