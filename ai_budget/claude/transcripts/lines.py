"""Assistant lines decoded into only the fields the rule reads; anything unusual goes to the plain path."""

# An assistant line is about 1.8 KB, nearly all of it content the rule never reads. msgspec
# decodes straight into the few fields below and skips the rest without building it: about
# 2.2 µs a line against 5 µs for orjson and the rule over the whole dict (bench/README.md).
# The types are strict on purpose: a line this path cannot take exactly as `records.parse`
# would (a null, float or negative count, a field of another type, advisor iterations) raises,
# and the caller hands it to the plain path, so both paths count every line alike.
# msgspec is imported on first use, when a file is read: an answer from the cache never needs it.

# No `from __future__ import annotations`: msgspec reads the annotations of classes defined in a
# function, which it could not resolve from strings.
from collections.abc import Callable
from typing import Any, NamedTuple

from ai_budget.claude.transcripts.records import Message, timestamp


class Reader(NamedTuple):
    """The typed path: decode a line, its message from its usage bytes, and what both raise instead."""

    decode: Callable[[bytes | bytearray], Any]  # a Line: .key(), .message.usage (bytes), .timestamp
    message: Callable[[Any, Any], Message]
    unusual: type[Exception]


_reader: Reader | None = None


def reader() -> Reader:
    """The typed path, built once per process."""
    global _reader
    if _reader is None:
        _reader = _build()
    return _reader


def _build() -> Reader:
    """The decoders of the schema, and a line's message."""
    import msgspec

    Line, Usage = _schema()
    decode_usage: Callable[[msgspec.Raw], Any] = msgspec.json.Decoder(Usage).decode
    new = tuple.__new__  # a Message from its fields in order, without NamedTuple's Python-level __new__

    def message(line: Any, usage: msgspec.Raw) -> Message:
        """The message of a counting line (its key is not None); raises for the plain path."""
        u = decode_usage(usage)
        if u.iterations:
            raise msgspec.ValidationError("iterations: the plain path splits advisor calls")
        nested, server = u.cache_creation, u.server_tool_use
        return new(
            Message,
            (
                timestamp(line.timestamp),
                line.message.model or "unknown",
                u.speed or "",
                u.inference_geo or "",
                u.input_tokens,
                u.output_tokens,
                u.cache_read_input_tokens,
                u.cache_creation_input_tokens,
                nested.ephemeral_5m_input_tokens if nested is not None else 0,
                nested.ephemeral_1h_input_tokens if nested is not None else 0,
                server.web_search_requests if server is not None else 0,
                server.web_fetch_requests if server is not None else 0,
                0,
            ),
        )

    return Reader(msgspec.json.Decoder(Line).decode, message, msgspec.MsgspecError)


def _schema() -> tuple[type, type]:
    """The line and usage types: only the fields the rule reads (msgspec skips the others unbuilt)."""
    from typing import Annotated

    import msgspec

    Count = Annotated[int, msgspec.Meta(ge=0)]

    class Nested(msgspec.Struct, gc=False):
        ephemeral_5m_input_tokens: Count = 0
        ephemeral_1h_input_tokens: Count = 0

    class Server(msgspec.Struct, gc=False):
        web_search_requests: Count = 0
        web_fetch_requests: Count = 0

    class Usage(msgspec.Struct, gc=False):
        input_tokens: Count = 0
        output_tokens: Count = 0
        cache_read_input_tokens: Count = 0
        cache_creation_input_tokens: Count = 0
        cache_creation: Nested | None = None
        server_tool_use: Server | None = None
        speed: str | None = None
        inference_geo: str | None = None
        iterations: list[object] | None = None  # often empty; a full one takes the plain path

    class Body(msgspec.Struct, gc=False):
        id: str | None = None
        model: str | None = None
        # Kept as its bytes: a streamed copy of a response repeats them, and is told apart by
        # them before they are decoded.
        usage: msgspec.Raw = msgspec.Raw()

    class Line(msgspec.Struct, gc=False):
        type: str | None = None
        message: Body | None = None
        timestamp: str | None = None
        requestId: str | None = None  # noqa: N815 - the line's own key
        uuid: str | None = None

        def key(self) -> str | None:
            """The message's key as `records.parse` takes it; None when the line does not count."""
            m = self.message
            if self.type != "assistant" or m is None or not m.usage or m.model == "<synthetic>":
                return None
            return m.id or self.requestId or self.uuid

    return Line, Usage
