"""A scripted stand-in for the Anthropic Messages API on 127.0.0.1, for driving the real Claude Code CLI.

It speaks the streaming protocol Claude Code reads (`message_start` with usage, text and `tool_use`
content blocks with `input_json_delta`, `message_delta` with the final usage, `message_stop`), answers
non-streaming requests, `count_tokens` and anything else harmlessly, and records per response the
`X-Claude-Code-Session-Id` header, whether the request offered tools (Claude Code writes those to the
session's transcript; side requests such as session titles carry none) and the usage it returned.
That record is the ground truth the end-to-end tests compare the journal with.

The script (what the "model" answers) reads the last user message:
- a tool_result in it: if a follow-up step is queued for that session, the next step, else a short text;
- a skill's body (the line `Base directory for this skill: …/skills/NAME`): a Bash `tool_use` of the
  command configured for that skill (`skill_commands`);
- `RUN[cmd]` anywhere in it: a Bash `tool_use` of cmd;
- `READ[path]`: a Read `tool_use` of path (a read-only tool, allowed without a prompt);
- `SLOW[s]`: the answer waits s seconds first;
- `HOLD`: the answer waits until another session's request arrived (so two sessions overlap in time
  however slowly the second one starts), at most MAX_HOLD_S;
- anything else: a short text.
`THEN[READ:path]` queues one more step after the first tool result (work after a skill's command).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SESSION_HEADER = "x-claude-code-session-id"
SKILL_LINE = re.compile(r"Base directory for this skill: \S*?/skills/([A-Za-z0-9_-]+)")
RUN = re.compile(r"RUN\[([^\]]+)\]")
READ = re.compile(r"READ\[([^\]]+)\]")
SLOW = re.compile(r"SLOW\[([0-9.]+)\]")
THEN = re.compile(r"THEN\[READ:([^\]]+)\]")
MAX_SLOW_S = 10.0
MAX_HOLD_S = 90.0


POWERS = 14  # responses 1..14 get 2**(n+3) output tokens: a sum of them names its responses


def usage_for(number: int) -> dict[str, int]:
    """Distinct, constructed usage for the number-th response (1-based), so every total is unambiguous.

    Output tokens are powers of two (a sum names the responses in it, see `responses_in`); the other
    three counts carry the response number in their last digits. All stay far below any context
    limit, so Claude Code never compacts.
    """
    return {
        "input_tokens": 1000 + number,
        "output_tokens": 2 ** (number + 3) if number <= POWERS else 300_000 + number,
        "cache_creation_input_tokens": 2000 + 10 * number,
        "cache_read_input_tokens": 5000 + 100 * number,
    }


def responses_in(output_tokens: int) -> list[int] | None:
    """The response numbers whose output tokens add up to this total (each counted once), or None
    when no set does. A response counted twice within one total reads as another one (16+16 = 32):
    the report decodes each journal record on its own, and the other three figures still differ."""
    if output_tokens % 16 or output_tokens >= 2 ** (POWERS + 4):
        return None
    return [n for n in range(1, POWERS + 1) if output_tokens & 2 ** (n + 3)]


@dataclass
class Response:
    """One answer the server gave: the truth the journal is compared with."""

    number: int
    message_id: str
    session_id: str | None
    model: str
    with_tools: bool  # Claude Code writes these to the session's transcript; side calls have no tools
    stream: bool
    usage: dict[str, int]
    kind: str  # "text", "tool_use:Bash", "tool_use:Read"
    command: str | None = None


@dataclass
class Recorded:
    """One request as received (path, headers with lower-case names, the JSON body if any)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    """What the script decided for one request."""

    text: str
    tool: tuple[str, dict[str, Any]] | None = None
    delay: float = 0.0
    hold: bool = False
    then: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _content_text(content: Any) -> str:
    """All text in a message's content (string or blocks), tool results included."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            parts.append(_content_text(block.get("content", "")))
    return "\n".join(parts)


def tool_results(body: Any) -> list[dict[str, Any]]:
    """Every tool_result block in a request's messages."""
    found = []
    for message in body.get("messages", []) if isinstance(body, dict) else []:
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                found.append(block)
    return found


def _last_user(body: dict[str, Any]) -> dict[str, Any]:
    users = [m for m in body.get("messages", []) if isinstance(m, dict) and m.get("role") == "user"]
    return users[-1] if users else {}


def _has_tool_result(message: dict[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


class FakeMessagesAPI:
    """The server: `url` for ANTHROPIC_BASE_URL, `responses` the truth, `requests` everything received."""

    def __init__(
        self,
        skill_commands: dict[str, str] | None = None,
        ratelimit_headers: dict[str, str] | None = None,
        usage_body: str | None = None,
    ) -> None:
        self.skill_commands = dict(skill_commands or {})
        self.ratelimit_headers = dict(ratelimit_headers or {})
        self.usage_body = usage_body
        self.responses: list[Response] = []
        self.requests: list[Recorded] = []
        self.pending: dict[str | None, list[tuple[str, dict[str, Any]]]] = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()

    # --- the truth, per session ------------------------------------------------------------------

    def wait_for_another(self, session_id: str | None, timeout: float) -> None:
        """Until a request with tools from another session than `session_id` arrived, or `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if any(r.session_id != session_id and r.with_tools for r in self.responses):
                    return
            time.sleep(0.05)

    def of_session(self, session_id: str, with_tools: bool = True) -> list[Response]:
        """The responses given under this session id (transcript-written ones by default)."""
        with self.lock:
            return [r for r in self.responses if r.session_id == session_id and r.with_tools == with_tools]

    def session_ids(self) -> list[str]:
        """Every session id seen on a Messages request, in order of first appearance."""
        with self.lock:
            seen = [r.session_id for r in self.responses if r.session_id]
        return list(dict.fromkeys(seen))

    # --- the script ----------------------------------------------------------------------------

    def decide(self, body: dict[str, Any], session_id: str | None) -> Answer:
        """What the "model" answers to this request (see the module's docstring)."""
        if not body.get("tools"):
            return Answer("Budget session")  # a side request: a session title, a summary
        last = _last_user(body)
        if _has_tool_result(last):
            with self.lock:
                queued = self.pending.get(session_id) or []
                step = queued.pop(0) if queued else None
            if step is not None:
                return Answer("Next step.", tool=step)
            return Answer("Done: the command ran.")
        text = _content_text(last.get("content"))
        delay = min(float(m.group(1)), MAX_SLOW_S) if (m := SLOW.search(text)) else 0.0
        hold = "HOLD" in text
        # dict.fromkeys: a slash command's arguments appear twice (its command-args tag and the body)
        then = [("Read", {"file_path": path}) for path in dict.fromkeys(THEN.findall(text))]
        with self.lock:
            self.pending[session_id] = then
        skill = SKILL_LINE.search(text)
        if skill and skill.group(1) in self.skill_commands:
            command = self.skill_commands[skill.group(1)]
            return Answer(f"Running {command}.", tool=("Bash", _bash(command)), delay=delay)
        if found := RUN.search(text):
            return Answer("Running it.", tool=("Bash", _bash(found.group(1))), delay=delay)
        if found := READ.search(text):
            read = ("Read", {"file_path": found.group(1)})
            return Answer("Reading it.", tool=read, delay=delay, hold=hold)
        return Answer("Work done.", delay=delay, hold=hold)

    def respond(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[Response, Answer]:
        """Decide, number and record one Messages response."""
        session_id = headers.get(SESSION_HEADER)
        answer = self.decide(body, session_id)
        with self.lock:
            number = len(self.responses) + 1
            tool = answer.tool
            response = Response(
                number=number,
                message_id=f"msg_fake{number:04d}",
                session_id=session_id,
                model=str(body.get("model") or "claude-sonnet-4-5"),
                with_tools=bool(body.get("tools")),
                stream=bool(body.get("stream")),
                usage=usage_for(number),
                kind="text" if tool is None else f"tool_use:{tool[0]}",
                command=tool[1].get("command") if tool else None,
            )
            self.responses.append(response)
        return response, answer


def _bash(command: str) -> dict[str, Any]:
    return {"command": command, "description": "Run " + command.split()[0]}


def message_json(response: Response, answer: Answer) -> dict[str, Any]:
    """The whole message, for a non-streaming request."""
    content: list[dict[str, Any]] = [{"type": "text", "text": answer.text}]
    if answer.tool is not None:
        name, tool_input = answer.tool
        content.append(
            {"type": "tool_use", "id": f"toolu_fake{response.number:04d}", "name": name, "input": tool_input}
        )
    return {
        "id": response.message_id,
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": content,
        "stop_reason": "tool_use" if answer.tool else "end_turn",
        "stop_sequence": None,
        "usage": dict(response.usage),
    }


def _event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    """One SSE event: its name and its data (which repeats the name as `type`)."""
    return kind, {"type": kind, **fields}


def _block(index: int, start: dict[str, Any], delta_kind: str, key: str, value: str) -> list[Any]:
    """A content block streamed in two deltas, as the API splits long blocks."""
    halves = (value[: len(value) // 2], value[len(value) // 2 :])
    return [
        _event("content_block_start", index=index, content_block=start),
        *(_event("content_block_delta", index=index, delta={"type": delta_kind, key: h}) for h in halves),
        _event("content_block_stop", index=index),
    ]


def sse_events(response: Response, answer: Answer) -> list[tuple[str, dict[str, Any]]]:
    """The stream: message_start (usage with a placeholder output), blocks, message_delta, message_stop."""
    start_usage = dict(response.usage, output_tokens=1)
    message = message_json(response, answer) | {"content": [], "stop_reason": None, "usage": start_usage}
    events = [_event("message_start", message=message), _event("ping")]
    events += _block(0, {"type": "text", "text": ""}, "text_delta", "text", answer.text)
    if answer.tool is not None:
        name, tool_input = answer.tool
        start = {"type": "tool_use", "id": f"toolu_fake{response.number:04d}", "name": name, "input": {}}
        events += _block(1, start, "input_json_delta", "partial_json", json.dumps(tool_input))
    stop = {"stop_reason": "tool_use" if answer.tool else "end_turn", "stop_sequence": None}
    events.append(_event("message_delta", delta=stop, usage=dict(response.usage)))
    events.append(_event("message_stop"))
    return events


def _handler(api: FakeMessagesAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _record(self) -> tuple[dict[str, str], Any]:
            headers = {k.lower(): v for k, v in self.headers.items()}
            length = int(headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            with api.lock:
                api.requests.append(Recorded(self.command, self.path, headers, body))
            return headers, body

        def _send(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (BrokenPipeError, ConnectionResetError):  # Claude Code went away mid-answer
                self.close_connection = True

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._record()
            if self.path.startswith("/api/oauth/usage") and api.usage_body is not None:
                data = api.usage_body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self._send(200, {})

        def do_HEAD(self) -> None:  # noqa: N802
            self._record()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            headers, body = self._record()
            path = self.path.split("?")[0]
            if path.endswith("/messages/count_tokens"):
                self._send(200, {"input_tokens": 1234})
            elif path.endswith("/v1/messages") and isinstance(body, dict):
                self._messages(body, headers)
            else:
                self._send(200, {})

        def _messages(self, body: dict[str, Any], headers: dict[str, str]) -> None:
            response, answer = api.respond(body, headers)
            if answer.delay:
                time.sleep(answer.delay)
            if answer.hold:
                api.wait_for_another(response.session_id, MAX_HOLD_S)
            extra = {"request-id": f"req_fake{response.number:04d}", **api.ratelimit_headers}
            if not response.stream:
                self._send(200, message_json(response, answer), extra)
                return
            chunks = [
                f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                for name, data in sse_events(response, answer)
            ]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Content-Length", str(sum(len(c) for c in chunks)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
