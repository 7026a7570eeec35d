"""One HTTP GET under one deadline, a body size cap and no redirects: for every API we call, so a
token is only ever sent where it was meant to go."""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import http.client

CHUNK = 1 << 16


@dataclass(frozen=True)
class Answer:
    """What came back: the status, the headers and the whole body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes


class HttpFailure(Exception):
    """The request did not complete: `kind` is timeout, unreachable, too-big, bad-url or broken."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


def get(url: str, headers: dict[str, str], timeout: float, max_body: int) -> Answer:
    """GET `url`; a 3xx is returned as an answer (never followed). Raises HttpFailure."""
    import http.client  # here: most runs of `check` and `log` make no request, and it costs ms
    import socket

    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # a port that is not a number, or out of range, raises here
    except ValueError:
        raise HttpFailure("bad-url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpFailure("bad-url")
    deadline = time.monotonic() + timeout
    conn_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_type(parts.hostname, port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        _shorten(conn, deadline)
        answer = conn.getresponse()
        return Answer(answer.status, answer.headers, _read_body(conn, answer, deadline, max_body))
    except TimeoutError:
        raise HttpFailure("timeout") from None
    except (ConnectionRefusedError, socket.gaierror) as exc:
        raise HttpFailure("unreachable", type(exc).__name__) from None
    except (http.client.HTTPException, OSError, ValueError) as exc:
        # The exception's own text may quote the request (headers included): keep its kind only.
        raise HttpFailure("broken", type(exc).__name__) from None
    finally:
        conn.close()


def _shorten(conn: http.client.HTTPConnection, deadline: float) -> None:
    """Give the next socket operation only what is left of the deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if conn.sock is not None:
        conn.sock.settimeout(left)


def _read_body(
    conn: http.client.HTTPConnection, answer: http.client.HTTPResponse, deadline: float, max_body: int
) -> bytes:
    """The whole body within the deadline and the size cap; a short one is an IncompleteRead."""
    import http.client

    chunks, size = [], 0
    while True:
        _shorten(conn, deadline)
        chunk = answer.read1(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_body:
            raise HttpFailure("too-big")
        chunks.append(chunk)
    expected = answer.getheader("Content-Length")
    if expected is not None and expected.isdigit() and int(expected) != size:
        raise http.client.IncompleteRead(b"".join(chunks), int(expected) - size)
    return b"".join(chunks)
