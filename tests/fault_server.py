"""A raw TCP server on 127.0.0.1 that misbehaves the way networks do: trickled bodies, resets, short
bodies, silence, redirects, huge answers. It records every request's path and headers."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from usage_server import Reply, usage_body

Action = Callable[[socket.socket], None]


def response(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None, length: bool = True
) -> bytes:
    """The bytes of an HTTP/1.1 response."""
    reason = {200: "OK", 301: "Moved", 302: "Found", 307: "Temporary", 308: "Permanent", 403: "Forbidden"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}"]
    fields = {"Content-Type": "application/json", "Connection": "close", **(headers or {})}
    if length and "Content-Length" not in fields and "Transfer-Encoding" not in fields:
        fields["Content-Length"] = str(len(body))
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def send(data: bytes) -> Action:
    """Answer with these bytes, then close."""
    return lambda conn: conn.sendall(data)


def reply(status: int, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Action:
    """A complete, well-formed answer."""
    raw = body.encode() if isinstance(body, str) else body
    return send(response(status, raw, headers))


def trickle(body: bytes | str, every: float) -> Action:
    """Headers at once, then the body one byte every `every` seconds (stops when the client leaves)."""
    raw = body.encode() if isinstance(body, str) else body

    def act(conn: socket.socket) -> None:
        conn.sendall(response(200, b"", {"Content-Length": str(len(raw))}))
        for byte in raw:
            time.sleep(every)
            conn.sendall(bytes([byte]))

    return act


def silent(seconds: float) -> Action:
    """Read the request and say nothing for `seconds` (or until the client hangs up)."""

    def act(conn: socket.socket) -> None:
        conn.settimeout(seconds)
        with contextlib.suppress(OSError):
            conn.recv(1)  # returns b"" when the client closes

    return act


def headers_then_silence(seconds: float, length: int = 100) -> Action:
    """Headers promising a body that never comes."""

    def act(conn: socket.socket) -> None:
        conn.sendall(response(200, b"", {"Content-Length": str(length)}))
        silent(seconds)(conn)

    return act


def reset() -> Action:
    """Abort the connection (TCP RST) without answering."""

    def act(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return act


def reset_mid_body(body: bytes | str) -> Action:
    """Send the headers and half the body, then reset."""
    raw = body.encode() if isinstance(body, str) else body

    def act(conn: socket.socket) -> None:
        conn.sendall(response(200, b"", {"Content-Length": str(len(raw))}) + raw[: len(raw) // 2])
        time.sleep(0.05)
        reset()(conn)

    return act


def close() -> Action:
    """Hang up without a word."""
    return lambda conn: None


def short(body: bytes | str, claimed: int) -> Action:
    """Claim `claimed` bytes in Content-Length, send fewer, and close."""
    raw = body.encode() if isinstance(body, str) else body
    return send(response(200, b"", {"Content-Length": str(claimed)}) + raw)


def huge(size: int, chunked: bool = False) -> Action:
    """A 200 whose body is `size` bytes of JSON-looking padding (chunked: with no length given)."""

    def act(conn: socket.socket) -> None:
        head: dict[str, str] = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(size)}
        conn.sendall(response(200, b"", head))
        block = b" " * 65536
        sent = 0
        try:
            while sent < size:
                part = block[: min(len(block), size - sent)]
                conn.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part)
                sent += len(part)
            if chunked:
                conn.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading: that is the point

    return act


def redirect(status: int, location: str) -> Action:
    """A redirect elsewhere."""
    return send(response(status, b"", {"Location": location}))


class FaultServer:
    """Accepts connections on 127.0.0.1 and applies the queued actions (the last one repeats)."""

    def __init__(self, *actions: Action) -> None:
        self.actions: list[Action] = list(actions) or [reply(200, b"{}")]
        self.requests: list[dict[str, Any]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def answer(self, *actions: Action) -> None:
        """Queue these actions (the last one repeats)."""
        self.actions = list(actions)

    def _serve(self) -> None:
        # Polls so that close() really stops it: a thread blocked in accept() on a socket closed under it
        # can go on accepting connections meant for a later server that reused the descriptor.
        self.sock.settimeout(0.05)
        with self.sock:
            while not self.closed:
                try:
                    conn, _ = self.sock.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                conn.settimeout(None)
                threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
            except OSError:
                return
            head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, path, _ = (head[0].split(" ") + ["", ""])[:3]
            fields = {}
            for line in head[1:]:
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            self.requests.append({"method": method, "path": path, "headers": fields, "at": time.monotonic()})
            action = self.actions.pop(0) if len(self.actions) > 1 else self.actions[0]
            with contextlib.suppress(OSError):
                action(conn)

    def close(self) -> None:
        """Stop accepting (the serving thread closes the socket itself)."""
        self.closed = True
        self.thread.join(timeout=5)


def from_reply(canned: Reply) -> Action:
    """A usage_server Reply as an action (its delay first)."""

    def act(conn: socket.socket) -> None:
        if canned.delay:
            time.sleep(canned.delay)
        reply(canned.status, canned.body, canned.headers)(conn)

    return act


class QuickUsageServer(FaultServer):
    """usage_server.UsageServer's interface (answer(Reply, …), url, requests) on a server that stops at
    once: the standard one waits half a second to shut down, which adds up over a few hundred cases."""

    def __init__(self) -> None:
        super().__init__(reply(200, usage_body()))

    def answer(self, *replies: Reply) -> None:  # type: ignore[override]
        """Queue these replies (the last one repeats)."""
        self.actions = [from_reply(r) for r in replies]


def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[QuickUsageServer]:
    """For a `server` fixture: a QuickUsageServer with the tool pointed at it."""
    srv = QuickUsageServer()
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", srv.url)
    yield srv
    srv.close()
