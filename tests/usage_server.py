"""A real HTTP server on 127.0.0.1 standing in for the usage endpoint, recording what it gets."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Reply:
    """One canned answer."""

    status: int = 200
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


TOKEN = "sk-ant-oat01-FAKE-test-token-never-real-0123"
FUTURE_MS = int((datetime.now(timezone.utc) + timedelta(hours=6)).timestamp() * 1000)


def write_login(
    claude_dir: Path, token: str = TOKEN, expires: object = FUTURE_MS, scopes: list[str] | None = None
) -> Path:
    """A fake Claude Code login (obviously fake token) in `claude_dir`."""
    claude_dir.mkdir(parents=True, exist_ok=True)
    oauth: dict[str, object] = {
        "accessToken": token,
        "refreshToken": "sk-ant-ort01-FAKE-refresh",
        "expiresAt": expires,
        "subscriptionType": "max",
    }
    oauth["scopes"] = scopes if scopes is not None else ["user:inference", "user:profile"]
    path = claude_dir / ".credentials.json"
    path.write_text(json.dumps({"claudeAiOauth": oauth}))
    return path


def usage_body(
    five: float = 37.0,
    week: float = 22.0,
    five_reset: datetime | None = None,
    week_reset: datetime | None = None,
    **extra: Any,
) -> str:
    """A usage response with reset times in the future unless given."""
    moment = datetime.now(timezone.utc)
    five_reset = five_reset or moment + timedelta(hours=3, minutes=10)
    week_reset = week_reset or moment + timedelta(days=3, hours=4)
    data: dict[str, Any] = {
        "five_hour": {"utilization": five, "resets_at": five_reset.isoformat()},
        "seven_day": {"utilization": week, "resets_at": week_reset.isoformat()},
        "seven_day_opus": None,
        "extra_usage": {
            "is_enabled": False,
            "monthly_limit": None,
            "used_credits": None,
            "utilization": None,
        },
    }
    data.update(extra)
    return json.dumps(data)


class LocalServer:
    """A real HTTP server on 127.0.0.1 in a thread: `handle` picks (and records) each GET's reply."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                reply = server.handle(self.path, {k.lower(): v for k, v in self.headers.items()})
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, target: str, headers: dict[str, str]) -> Reply:
        """The reply to a GET of `target` (path and query) with these headers (names in lower case)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


class UsageServer(LocalServer):
    """Serves queued replies (the last one repeats) and records each request's path and headers."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(body=usage_body())]
        super().__init__()

    def handle(self, target: str, headers: dict[str, str]) -> Reply:
        """The next queued reply."""
        self.requests.append({"path": target, "headers": headers})
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def answer(self, *replies: Reply) -> None:
        """Queue these replies (the last one repeats)."""
        self.replies = list(replies)
