"""The real-shaped corpus profile: what 618 public transcript files (211 MB) look like, in bulk.

About 73 % of the bytes are `user` lines (tool results of about 7 KB), about 25 % `assistant`
lines (about 1.8 KB, 1-3 lines per API response), about 130 assistant lines per MB; file sizes
are log-normal (median 86 KB, p90 about 1 MB, at most 4 MB); small records (`progress`,
`attachment`, `file-history-snapshot`, `queue-operation`, `system`) are mixed in; subagents sit in
both layouts (2.0.x `agent-<7 hex>.jsonl` beside the sessions, >= 2.1.2 `<session>/subagents/`);
and some sessions are resumes whose file starts with a copy of an earlier session's lines (same
message ids, timestamps and uuids, only `sessionId` differs). Every API response is counted once
in `expected`, however many files copy it.
"""

from __future__ import annotations

import json
import math
import os
import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

MODELS = [
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-6",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-5-20251101",
]
MEDIAN_BYTES = 86_000
SIGMA = math.log(1_000_000 / MEDIAN_BYTES) / 1.2816  # p90 at 1 MB
MAX_BYTES = 4_000_000
MIN_BYTES = 3_000


def _compact(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))


def stamp(moment: datetime) -> str:
    """Claude Code's timestamp form: UTC, milliseconds, Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def count_usage(expected: dict[str, int], usage: dict, five: int, hour: int) -> None:
    """Add one API response's usage to the totals known by construction (the dedupe rule's view)."""
    expected["exchanges"] += 1
    for key in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        expected[key] += usage[key]
    expected["cache_creation_5m_tokens"] += five
    expected["cache_creation_1h_tokens"] += hour
    server = usage.get("server_tool_use", {})
    expected["web_search_requests"] += server.get("web_search_requests", 0)
    expected["web_fetch_requests"] += server.get("web_fetch_requests", 0)


class RealWriter:
    """Writes real-shaped session files, adding each new API response to `expected`."""

    def __init__(self, rng: random.Random, pool: str, expected: dict[str, int]):
        self.rng, self.pool, self.expected = rng, pool, expected
        self.bytes = 0
        self.files = 0

    def chunk(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        start = self.rng.randint(0, len(self.pool) - n - 1)
        return self.pool[start : start + n]

    def file_size(self, scale: float = 1.0) -> int:
        # Drawn a little low: a session overshoots its target by part of a turn, and resumes add a copy.
        size = self.rng.lognormvariate(math.log(MEDIAN_BYTES * 0.75 * scale), SIGMA)
        return int(min(max(size, MIN_BYTES), MAX_BYTES))

    def tool_result_size(self) -> tuple[int, int]:
        roll = self.rng.random()
        if roll < 0.6:
            return (300, 4000)
        if roll < 0.93:
            return (4000, 20000)
        return (20000, 70000)

    def write(self, path: Path, lines: list[str], end: datetime) -> None:
        body = "\n".join(lines) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        self.bytes += len(body)
        self.files += 1
        os.utime(path, (end.timestamp(), end.timestamp()))

    def session_lines(
        self, session_id: str, cwd: str, start: datetime, target: int, agent_id: str | None = None
    ) -> tuple[list[str], datetime]:
        """Lines of one session (or subagent) of about `target` bytes, and its last timestamp."""
        rng = self.rng
        version = rng.choice(["2.0.55", "2.1.97", "2.1.140", "2.1.144"])
        base = {
            "parentUuid": None,
            "isSidechain": agent_id is not None,
            "userType": "external",
            "cwd": cwd,
            "sessionId": session_id,
            "version": version,
            "gitBranch": rng.choice(["main", "dev", "feature/x"]),
        }
        if agent_id:
            base["agentId"] = agent_id
        lines: list[str] = []
        size = 0
        now = start
        if agent_id is None and rng.random() < 0.5:
            lines.append(
                _compact({"type": "summary", "summary": self.chunk(20, 60), "leafUuid": str(uuid.uuid4())})
            )
        while size < target:
            now += timedelta(seconds=rng.randint(20, 600))
            added = self.turn(lines, base, session_id, now)
            size += sum(len(line) + 1 for line in added[0])
            now = added[1]
        return lines, now

    def turn(
        self, lines: list[str], base: dict, session_id: str, now: datetime
    ) -> tuple[list[str], datetime]:
        """One prompt and the API calls and tool results it leads to."""
        rng = self.rng
        first = len(lines)
        if rng.random() < 0.6:
            lines.append(
                _compact(
                    {
                        "type": "file-history-snapshot",
                        "messageId": str(uuid.uuid4()),
                        "snapshot": {
                            "messageId": str(uuid.uuid4()),
                            "trackedFileBackups": {},
                            "timestamp": stamp(now),
                        },
                        "isSnapshotUpdate": False,
                    }
                )
            )
        if rng.random() < 0.15:
            lines.append(
                _compact(
                    {
                        "type": "queue-operation",
                        "operation": rng.choice(["enqueue", "dequeue", "remove"]),
                        "timestamp": stamp(now),
                        "sessionId": session_id,
                        "content": self.chunk(10, 120),
                    }
                )
            )
        parent = str(uuid.uuid4())
        lines.append(
            _compact(
                {
                    **base,
                    "parentUuid": None,
                    "type": "user",
                    "message": {"role": "user", "content": self.chunk(30, 900)},
                    "uuid": parent,
                    "timestamp": stamp(now),
                }
            )
        )
        if rng.random() < 0.3:
            lines.append(self.small(base, "attachment", parent, now))
        for _call in range(rng.choice([1, 1, 2, 2, 3, 4, 6])):
            now += timedelta(seconds=rng.randint(2, 60))
            parent = self.response(lines, base, parent, now)
            if rng.random() < 0.35:
                lines.append(self.small(base, "progress", parent, now))
            u = str(uuid.uuid4())
            lines.append(
                _compact(
                    {
                        **base,
                        "parentUuid": parent,
                        "type": "user",
                        "message": {
                            "role": "user",
                            "content": [
                                {
                                    "tool_use_id": "toolu_" + uuid.uuid4().hex[:24],
                                    "type": "tool_result",
                                    "content": self.chunk(*self.tool_result_size()),
                                    "is_error": False,
                                }
                            ],
                        },
                        "uuid": u,
                        "timestamp": stamp(now),
                        "toolUseResult": {"stdout": self.chunk(20, 400), "stderr": "", "interrupted": False},
                    }
                )
            )
            parent = u
        if rng.random() < 0.4:
            lines.append(
                _compact(
                    {
                        **base,
                        "parentUuid": parent,
                        "type": "system",
                        "subtype": "turn_duration",
                        "durationMs": rng.randint(1000, 90000),
                        "uuid": str(uuid.uuid4()),
                        "timestamp": stamp(now),
                    }
                )
            )
        if rng.random() < 0.01:
            lines.append('{"type":"assistant","message":{"id":"msg_torn","usage":{"input_tok')
        return lines[first:], now

    def small(self, base: dict, kind: str, parent: str, now: datetime) -> str:
        """A progress or attachment record: small, never counted."""
        data = (
            {"type": "bash_progress", "output": self.chunk(20, 300), "elapsedTimeSeconds": 2}
            if kind == "progress"
            else {"type": "hook_success", "hookName": "SessionStart", "content": self.chunk(20, 200)}
        )
        key = "data" if kind == "progress" else "attachment"
        return _compact(
            {
                **base,
                "parentUuid": parent,
                "type": kind,
                key: data,
                "uuid": str(uuid.uuid4()),
                "timestamp": stamp(now),
            }
        )

    def response(self, lines: list[str], base: dict, parent: str, now: datetime) -> str:
        """One API response as 1-3 lines with the same id and usage; counted once in `expected`."""
        rng = self.rng
        five = rng.choice([0, 0, rng.randint(100, 5000)])
        hour = rng.choice([0, rng.randint(500, 40000)])
        usage = {
            "input_tokens": rng.randint(1, 60),
            "cache_creation_input_tokens": five + hour,
            "cache_read_input_tokens": rng.randint(0, 200000),
            "cache_creation": {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour},
            "output_tokens": rng.randint(1, 3000),
            "service_tier": "standard",
        }
        if rng.random() < 0.5:  # newer builds only
            usage["server_tool_use"] = {
                "web_search_requests": 1 if rng.random() < 0.03 else 0,
                "web_fetch_requests": 1 if rng.random() < 0.03 else 0,
            }
        count_usage(self.expected, usage, five, hour)
        msg_id = "msg_01" + uuid.uuid4().hex[:22]
        req_id = "req_011C" + uuid.uuid4().hex[:20]
        model = rng.choice(MODELS)
        blocks = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
        for b in range(blocks):
            kind = "thinking" if b == 0 and blocks > 1 else ("tool_use" if b == blocks - 1 else "text")
            if kind == "tool_use":
                content = {
                    "type": "tool_use",
                    "id": "toolu_" + uuid.uuid4().hex[:24],
                    "name": rng.choice(["Bash", "Read", "Edit", "Grep"]),
                    "input": {"command": self.chunk(200, 1700)},
                }
            elif kind == "thinking":
                content = {
                    "type": "thinking",
                    "thinking": self.chunk(200, 1500),
                    "signature": "Ep" + uuid.uuid4().hex * 3,
                }
            else:
                content = {"type": "text", "text": self.chunk(200, 1700)}
            u = str(uuid.uuid4())
            lines.append(
                _compact(
                    {
                        **base,
                        "parentUuid": parent,
                        "message": {
                            "model": model,
                            "id": msg_id,
                            "type": "message",
                            "role": "assistant",
                            "content": [content],
                            "stop_reason": None,
                            "stop_sequence": None,
                            "usage": usage,
                        },
                        "requestId": req_id,
                        "type": "assistant",
                        "uuid": u,
                        "timestamp": stamp(now),
                    }
                )
            )
            parent = u
        return parent


def build(root: Path, mb: float, rng: random.Random, pool: str, expected: dict[str, int]) -> RealWriter:
    """Sessions until the corpus holds about `mb` MB, in 40 projects over 60 days."""
    writer = RealWriter(rng, pool, expected)
    start = datetime.now(timezone.utc) - timedelta(days=60)
    previous: dict[int, tuple[list[str], str]] = {}  # project -> (lines, session id) of its last session
    n = -1
    while writer.bytes < mb * 1e6:
        n += 1
        # The first three sessions make a resume chain in one project (so even a small corpus
        # has one), the first with 2.0.x subagents beside it, the second with >= 2.1.2 ones.
        p = 0 if n < 3 else rng.randrange(40)
        cwd = f"/home/dev/work/repo-{p:02d}"
        project = root / cwd.replace("/", "-")
        session_id = str(uuid.uuid4())
        begin = start + timedelta(minutes=rng.randint(0, 59 * 24 * 60))
        lines, end = writer.session_lines(session_id, cwd, begin, writer.file_size())
        if p in previous and (n < 3 or rng.random() < 0.12):
            # A resume: the new file starts with the earlier session's lines, under the new id.
            old_lines, old_id = previous[p]
            copied = [line.replace(old_id, session_id) for line in old_lines]
            lines = copied + lines
        legacy = n == 0 or (n != 1 and rng.random() < 0.4)  # 2.0.x: agents beside the sessions
        writer.write(project / f"{session_id}.jsonl", lines, end)
        previous[p] = (lines, session_id)
        if n < 2 or rng.random() < 0.3:
            for _ in range(rng.choice([1, 1, 2, 3])):
                agent = "a" + uuid.uuid4().hex[: 6 if legacy else 16]
                agent_lines, agent_end = writer.session_lines(
                    session_id, cwd, begin + timedelta(minutes=2), writer.file_size(0.6), agent
                )
                where = project / (
                    f"agent-{agent}.jsonl" if legacy else f"{session_id}/subagents/agent-{agent}.jsonl"
                )
                writer.write(where, agent_lines, agent_end)
            os.utime(project / f"{session_id}.jsonl", (end.timestamp(), end.timestamp()))
    return writer
