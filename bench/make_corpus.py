"""Write a realistic Claude Code transcript corpus whose deduplicated totals are known by construction.

Usage: python bench/make_corpus.py OUT_DIR [--profile dense|real] [--mb 200] [--seed 7]
                                         [--projects 30] [--sessions-per-project 10]

OUT_DIR/.claude/projects/... holds the transcripts; OUT_DIR/expected.json the totals.
`--profile real` (bench/real_corpus.py) writes real-shaped data: mostly tool results, few
assistant lines per MB, log-normal file sizes, both subagent layouts, resumed sessions.
`--profile dense` (the default) is the original corpus: in it each API response is written as
1-4 lines (one per content block) repeating the same message id,
requestId and usage; 30 % of sessions have subagent transcripts (in <session>/subagents/); user
lines carry big tool results; a few torn lines and synthetic error stand-ins are mixed in.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from real_corpus import build, count_usage, stamp

MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5-20251001"]
FIELDS = [
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_tokens",
    "cache_creation_1h_tokens",
    "web_search_requests",
    "web_fetch_requests",
]


def text_pool(rng: random.Random, size: int = 1 << 20) -> str:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(3000)]
    parts: list[str] = []
    total = 0
    while total < size:
        w = rng.choice(words)
        parts.append(w)
        total += len(w) + 1
    return " ".join(parts)


class Writer:
    def __init__(self, rng: random.Random, pool: str, expected: dict[str, int]):
        self.rng, self.pool, self.expected = rng, pool, expected
        self.bytes = 0

    def chunk(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        start = self.rng.randint(0, len(self.pool) - n - 1)
        return self.pool[start : start + n]

    def session(
        self,
        path: Path,
        session_id: str,
        cwd: str,
        start: datetime,
        turns: int,
        sidechain: bool,
        agent_id: str | None = None,
    ) -> datetime:
        rng = self.rng
        now = start
        lines: list[str] = []
        base = {
            "sessionId": session_id,
            "cwd": cwd,
            "version": "2.1.140",
            "gitBranch": "main",
            "userType": "external",
            "isSidechain": sidechain,
        }
        if agent_id:
            base["agentId"] = agent_id
        if not sidechain:
            lines.append(
                json.dumps({"type": "summary", "summary": self.chunk(20, 60), "leafUuid": str(uuid.uuid4())})
            )
        parent = None
        for _ in range(turns):
            now += timedelta(seconds=rng.randint(5, 90))
            u = str(uuid.uuid4())
            lines.append(
                json.dumps(
                    {
                        **base,
                        "type": "user",
                        "uuid": u,
                        "parentUuid": parent,
                        "timestamp": stamp(now),
                        "message": {"role": "user", "content": self.chunk(30, 400)},
                    }
                )
            )
            parent = u
            for _call in range(rng.randint(1, 4)):
                now += timedelta(seconds=rng.randint(2, 40))
                parent = self.response(lines, base, parent, now)
                # Tool results: mostly modest, sometimes very big.
                size = (2000, 20000) if rng.random() < 0.9 else (60000, 250000)
                u = str(uuid.uuid4())
                lines.append(
                    json.dumps(
                        {
                            **base,
                            "type": "user",
                            "uuid": u,
                            "parentUuid": parent,
                            "timestamp": stamp(now),
                            "message": {
                                "role": "user",
                                "content": [
                                    {
                                        "type": "tool_result",
                                        "tool_use_id": "toolu_" + uuid.uuid4().hex[:24],
                                        "content": self.chunk(*size),
                                    }
                                ],
                            },
                            "toolUseResult": {"stdout": self.chunk(100, 2000), "stderr": ""},
                        }
                    )
                )
                parent = u
                if rng.random() < 0.3:
                    lines.append(
                        json.dumps(
                            {
                                **base,
                                "type": "progress",
                                "uuid": str(uuid.uuid4()),
                                "timestamp": stamp(now),
                                "data": {"type": "bash_progress", "output": self.chunk(50, 800)},
                            }
                        )
                    )
            if rng.random() < 0.05:
                # A synthetic API-error stand-in: zero usage, never counted.
                lines.append(
                    json.dumps(
                        {
                            **base,
                            "type": "assistant",
                            "uuid": str(uuid.uuid4()),
                            "timestamp": stamp(now),
                            "isApiErrorMessage": True,
                            "message": {
                                "model": "<synthetic>",
                                "id": str(uuid.uuid4()),
                                "role": "assistant",
                                "type": "message",
                                "content": [{"type": "text", "text": "API Error"}],
                                "usage": {"input_tokens": 0, "output_tokens": 0},
                            },
                        }
                    )
                )
            if rng.random() < 0.03:
                lines.append('{"type":"assistant","message":{"id":"msg_torn","usage":{"input_tok')
        body = "\n".join(lines) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        self.bytes += len(body)
        os.utime(path, (now.timestamp(), now.timestamp()))
        return now

    def response(self, lines: list[str], base: dict, parent: str | None, now: datetime) -> str:
        rng = self.rng
        model = rng.choice(MODELS)
        msg_id = "msg_01" + uuid.uuid4().hex[:22]
        req_id = "req_01" + uuid.uuid4().hex[:22]
        five = rng.choice([0, 0, rng.randint(100, 5000)])
        hour = rng.choice([0, rng.randint(500, 40000)])
        usage = {
            "input_tokens": rng.randint(1, 60),
            "output_tokens": rng.randint(20, 4000),
            "cache_read_input_tokens": rng.randint(0, 200000),
            "cache_creation_input_tokens": five + hour,
            "cache_creation": {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour},
            "server_tool_use": {
                "web_search_requests": 1 if rng.random() < 0.03 else 0,
                "web_fetch_requests": 1 if rng.random() < 0.03 else 0,
            },
            "service_tier": "standard",
        }
        usage["iterations"] = [dict(usage, type="message")]  # repeats the numbers: never added
        count_usage(self.expected, usage, five, hour)
        blocks = rng.randint(1, 4)  # one line per content block, all with the same id and usage
        for b in range(blocks):
            kind = "thinking" if b == 0 and blocks > 1 else ("tool_use" if b == blocks - 1 else "text")
            if kind == "tool_use":
                content = {
                    "type": "tool_use",
                    "id": "toolu_" + uuid.uuid4().hex[:24],
                    "name": "Bash",
                    "input": {"command": self.chunk(20, 300)},
                }
            else:
                content = {"type": kind, kind: self.chunk(50, 1500)}
            u = str(uuid.uuid4())
            lines.append(
                json.dumps(
                    {
                        **base,
                        "type": "assistant",
                        "uuid": u,
                        "parentUuid": parent,
                        "requestId": req_id,
                        "timestamp": stamp(now),
                        "message": {
                            "model": model,
                            "id": msg_id,
                            "type": "message",
                            "role": "assistant",
                            "content": [content],
                            "stop_reason": "tool_use",
                            "stop_sequence": None,
                            "usage": usage,
                        },
                    },
                    separators=(",", ":"),
                )
            )
            parent = u
        return parent or ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--profile", choices=["dense", "real"], default="dense")
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--projects", type=int, default=30)
    parser.add_argument("--sessions-per-project", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    expected = dict.fromkeys(["exchanges", *FIELDS], 0)
    pool = text_pool(rng)
    root = args.out / ".claude" / "projects"
    if args.profile == "real":
        real = build(root, args.mb, rng, pool, expected)
        files, written = real.files, real.bytes
    else:
        writer = Writer(rng, pool, expected)
        files = dense(root, args, rng, writer)
        written = writer.bytes
    expected["total_tokens"] = (
        expected["input_tokens"]
        + expected["output_tokens"]
        + expected["cache_read_input_tokens"]
        + expected["cache_creation_input_tokens"]
    )
    summary = {"profile": args.profile, "files": files, "bytes": written, "totals": expected}
    (args.out / "expected.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


def dense(root: Path, args: argparse.Namespace, rng: random.Random, writer: Writer) -> int:
    """The dense profile: --projects x --sessions-per-project sessions, 30 % with subagents."""
    sessions = args.projects * args.sessions_per_project
    # Turns per session chosen so the corpus lands near the target size (about 60 KB a turn).
    turns = max(int(args.mb * 1e6 / sessions / 1.3 / 60000), 2)
    files = 0
    start = datetime.now(timezone.utc) - timedelta(days=30)
    for p in range(args.projects):
        cwd = f"/home/dev/code/project-{p:02d}"
        project = root / cwd.replace("/", "-")
        for _ in range(args.sessions_per_project):
            session_id = str(uuid.uuid4())
            begin = start + timedelta(minutes=rng.randint(0, 30 * 24 * 60))
            end = writer.session(
                project / f"{session_id}.jsonl",
                session_id,
                cwd,
                begin,
                rng.randint(max(turns // 2, 1), turns * 3 // 2),
                False,
            )
            files += 1
            if rng.random() < 0.3:
                for _a in range(rng.randint(1, 2)):
                    agent = "a" + uuid.uuid4().hex[:16]
                    writer.session(
                        project / session_id / "subagents" / f"agent-{agent}.jsonl",
                        session_id,
                        cwd,
                        begin + timedelta(minutes=1),
                        max(turns // 3, 1),
                        True,
                        agent,
                    )
                    files += 1
            os.utime(project / f"{session_id}.jsonl", (end.timestamp(), end.timestamp()))
    return files


if __name__ == "__main__":
    main()
