"""Every `tokens` view equals the plain reference rule (tests/reference_rule.py) on generated corpora."""

# The corpora hold what real folders hold: resume chains (each file starting with a copy of
# the one before), a fork (two resumes of one original), subagents in both layouts and a
# workflow's, orphan subagent folders and sibling agents whose session is gone, ids shared
# between subagents and their session, unpriced models, undated and torn lines. Every view of
# the CLI must give exactly what the reference computes from scratch.

from __future__ import annotations

import json
import os
import random
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import run
from reference_rule import ROW_KEYS, Reference

BASE = datetime(2026, 10, 24, 20, 0, tzinfo=timezone.utc)  # spans New York's DST end and a month end
MODELS = (
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-5-20251101",
    "claude-haiku-4-5-20251001",
    "glm-5.1",  # no price
)
ZONES = ("UTC", "America/New_York", "Asia/Kolkata")
DATED = ("day", "week", "month")
COUNT_KEYS = (*ROW_KEYS, "total_tokens", "cost_usd", "cost_is_lower_bound")


def stamp(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Corpus:
    """A seeded generator of Claude folders; each session is a list of records (or raw torn text)."""

    def __init__(self, root: Path, seed: int, hard: str = ""):
        self.root = root
        self.rng = random.Random(seed)
        self.counter = 0
        # Cases no real file is known to hold: "copies", copies out of time order (an undated
        # first copy before identical dated ones, a later line with an earlier time); "noid", for
        # runs by hand, responses with a requestId but no message id.
        self.hard = hard

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def usage(self) -> dict[str, Any]:
        rng = self.rng
        u: dict[str, Any] = {"input_tokens": rng.choice([0, 3, 10, rng.randint(1, 5000)])}
        u["output_tokens"] = rng.randint(1, 20_000)
        u["cache_read_input_tokens"] = rng.choice([0, rng.randint(1, 500_000)])
        shape = rng.random()
        five, hour = rng.choice([0, rng.randint(1, 9000)]), rng.choice([0, rng.randint(1, 9000)])
        if shape < 0.3:  # 1.0.x: the flat field only
            u["cache_creation_input_tokens"] = rng.randint(0, 9000)
        elif shape < 0.5:  # before 2.1.152: the flat field may read 0
            u["cache_creation_input_tokens"] = 0
            u["cache_creation"] = {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour}
        elif shape < 0.6:  # flat above the nested sum
            u["cache_creation_input_tokens"] = five + hour + rng.randint(1, 500)
            u["cache_creation"] = {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour}
        else:
            u["cache_creation_input_tokens"] = five + hour
            u["cache_creation"] = {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour}
        if rng.random() < 0.2:
            u["server_tool_use"] = {"web_search_requests": rng.randint(0, 3), "web_fetch_requests": 1}
        if rng.random() < 0.05:  # odd values count as 0 or their whole part
            u[rng.choice(["input_tokens", "cache_read_input_tokens"])] = rng.choice([None, -5, "7", 12.9])
        if rng.random() < 0.1:  # never added
            u["iterations"] = [dict(u)]
        return u

    def response(self, session: str, ts: float, model: str, sidechain: bool) -> list[Any]:
        """One API response: a line per content block, the same id and usage on each."""
        rng = self.rng
        self.counter += 1
        msg_id = f"msg_{self.counter:05d}"
        u = self.usage()
        lines: list[Any] = []
        undated = rng.random() < 0.04  # a response with no time on any copy
        for n in range(rng.choice([1, 1, 2, 3])):
            copy = dict(u)
            if n == 0 and rng.random() < 0.15:  # a streaming placeholder before the final figures
                copy["output_tokens"] = 1
            record: dict[str, Any] = {
                "type": "assistant",
                "sessionId": session,
                "isSidechain": sidechain,
                "uuid": f"{msg_id}-{n}",
                "timestamp": stamp(ts + n * 0.5),
                "requestId": f"req_{msg_id}",
                "message": {"id": msg_id, "model": model, "role": "assistant", "usage": copy},
            }
            if undated or (n > 0 and rng.random() < 0.05):  # a later copy undated: the first has the time
                del record["timestamp"]
            if "copies" in self.hard and n == 0 and rng.random() < 0.1:
                record.pop("timestamp", None)
                copy["output_tokens"] = u["output_tokens"]
            if "noid" in self.hard and rng.random() < 0.03:
                del record["message"]["id"]
            lines.append(record)
        return lines

    def turns(
        self, session: str, start: float, count: int, sidechain: bool = False
    ) -> tuple[list[Any], float]:
        """`count` prompts and responses from `start`; hours between some, so days are crossed."""
        rng = self.rng
        lines: list[Any] = []
        ts = start
        model = rng.choice(MODELS)
        for _ in range(count):
            ts += rng.choice([5, 40, 300, 3600, 4 * 3600, 11 * 3600])
            if rng.random() < 0.2:
                model = rng.choice(MODELS)
            lines.append({"type": "user", "sessionId": session, "timestamp": stamp(ts), "uuid": f"u{ts}"})
            lines += self.response(session, ts + 1, model, sidechain)
            if rng.random() < 0.05:
                synthetic = self.response(session, ts + 2, "<synthetic>", sidechain)
                lines += synthetic
            if rng.random() < 0.04:  # a corrupt line in the middle
                lines.append('{"type":"assistant","message":{"id":"msg_torn","usage":{"output_tokens":9')
        return lines, ts + 10

    def write(self, path: Path, lines: list[Any], torn_tail: bool = False) -> None:
        """The file, last written just after its last line."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = [line if isinstance(line, str) else json.dumps(line, separators=(",", ":")) for line in lines]
        body = "\n".join(text) + ("" if self.rng.random() < 0.05 else "\n")  # a whole last line, no newline
        if torn_tail:  # a write in progress: half a line, no newline
            body += "\n" + '{"type":"assistant","timestamp":"2026-1'
        path.write_text(body)
        stamps = [_ts(line) for line in lines if isinstance(line, dict) and "timestamp" in line]
        last = max(stamps, default=BASE.timestamp()) + self.rng.uniform(1, 30)
        os.utime(path, (last, last))


def _ts(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00")).timestamp()


def _resumed(lines: list[Any], session: str) -> list[Any]:
    """A resume's copy of earlier history: every record again, only its sessionId new (torn text lost)."""
    return [{**line, "sessionId": session} for line in lines if isinstance(line, dict)]


def generate(root: Path, seed: int, sessions: int = 24, hard: str = "") -> Path:
    """A Claude folder with `sessions` sessions over three projects, and everything around them."""
    gen = Corpus(root, seed, hard)
    rng = gen.rng
    claude = root / ".claude"
    projects = [claude / "projects" / f"-home-dev-proj-{name}" for name in "abc"]
    for n in range(sessions):
        folder = rng.choice(projects)
        sid = gen.new_id()
        start = BASE.timestamp() + rng.uniform(0, 20 * 86400)
        lines, end = gen.turns(sid, start, rng.randint(1, 10))
        kind = n % 9
        orphan = kind == 7
        if kind == 8:  # its history undated: the copies' times cannot tell the original
            lines = [
                _without(line, "timestamp") if line.get("type") == "assistant" else line
                for line in lines
                if isinstance(line, dict)
            ]
        if not orphan:
            gen.write(folder / f"{sid}.jsonl", lines, torn_tail=rng.random() < 0.1)
        if kind in (1, 2, 8):  # a resume chain of three or four files, each copying the one before
            chain, chain_end = lines, end
            for _ in range(min(kind, 2) + 1):
                next_sid = gen.new_id()
                new, chain_end = gen.turns(next_sid, chain_end + 600, rng.randint(0, 4))
                chain = _resumed(chain, next_sid) + new
                gen.write(folder / f"{next_sid}.jsonl", chain)
        if kind == 3:  # a fork: two resumes of the same original
            for _ in range(2):
                fork = gen.new_id()
                new, _ = gen.turns(fork, end + rng.uniform(60, 7200), rng.randint(1, 3))
                gen.write(folder / f"{fork}.jsonl", _resumed(lines, fork) + new)
        if kind in (4, 5, 6, 7):
            _subagents(gen, folder, sid, start, lines, old_layout=kind == 5)
        if kind == 6:  # a sibling agent of a session that is gone (2.0.x)
            gone = gen.new_id()
            agent, _ = gen.turns(gone, start, 2, sidechain=True)
            gen.write(folder / f"agent-a{rng.getrandbits(28):07x}.jsonl", agent)
    # A workflow's journal.jsonl is not a transcript, whatever it holds.
    fake, _ = gen.turns("journal", BASE.timestamp(), 2)
    gen.write(projects[0] / "x" / "subagents" / "workflows" / "wf_1" / "journal.jsonl", fake)
    return claude


def _subagents(gen: Corpus, folder: Path, sid: str, start: float, main: list[Any], old_layout: bool) -> None:
    """One to three subagent files of `sid`, some sharing message ids with it or with each other."""
    rng = gen.rng
    shared: list[Any] = []
    for k in range(rng.randint(1, 3)):
        agent, _ = gen.turns(sid, start + rng.uniform(0, 3600), rng.randint(1, 4), sidechain=True)
        responses = [line for line in main if isinstance(line, dict) and line["type"] == "assistant"]
        extra = []
        if responses and rng.random() < 0.5:  # a copy of a main-session message, maybe with more output
            copy = json.loads(json.dumps(rng.choice(responses)))
            copy["message"]["usage"]["output_tokens"] += rng.choice([0, 0, 77])
            extra.append(copy)
        if shared and rng.random() < 0.7:  # the same id in two subagents
            extra.append(rng.choice(shared))
        if "copies" not in gen.hard:  # copies in time order, as Claude Code writes them
            extra.sort(key=lambda line: line.get("timestamp", "~"))
        agent += extra
        shared += [line for line in agent if isinstance(line, dict) and line["type"] == "assistant"]
        name = f"agent-a{rng.getrandbits(40):010x}.jsonl"
        if old_layout:
            path = folder / name
        elif k == 2:
            path = folder / sid / "subagents" / "workflows" / f"wf_{k}" / name
        else:
            path = folder / sid / "subagents" / name
        if rng.random() < 0.1:  # nothing inside names the session: its folder, else its own name, does
            agent = [_without(line, "sessionId") for line in agent if isinstance(line, dict)]
        gen.write(path, agent)


def _without(line: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != key}


# --- comparing ---------------------------------------------------------------------------------


def differences(got: Any, want: Any, where: str = "") -> list[str]:
    """Where two JSON values differ, each place named by its path (a short report, not two dumps)."""
    if isinstance(got, dict) and isinstance(want, dict):
        keys = sorted(set(got) | set(want), key=str)
        return [
            line
            for k in keys
            for line in differences(got.get(k, "<absent>"), want.get(k, "<absent>"), f"{where}.{k}")
        ]
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [
            line
            for n, (g, w) in enumerate(zip(got, want, strict=True))
            for line in differences(g, w, f"{where}[{n}]")
        ]
    return [] if got == want else [f"{where or 'value'}: got {got!r}, want {want!r}"[:400]]


def cli_json(*args: str) -> Any:
    result = run("tokens", *args, "--json")
    assert result.exit_code == 0, (args, result.stderr)
    return json.loads(result.stdout)


def _iso(ts: float | None) -> list[str]:
    return [] if ts is None else [datetime.fromtimestamp(ts, timezone.utc).isoformat()]


def _window_args(since: float | None, until: float | None) -> list[str]:
    return [*(["--since", *_iso(since)] if since else []), *(["--until", *_iso(until)] if until else [])]


def _counts(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in (*COUNT_KEYS, "by_model", "unpriced_models")}


def windows() -> list[tuple[float | None, float | None]]:
    """Spans that cut through sessions, chains and days."""
    day = 86400
    start = BASE.timestamp()
    return [(start + 3 * day, None), (start + 3.3 * day, start + 9.7 * day), (None, start + 6.1 * day)]


def mismatches(claude: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every view that differs from the reference, named; [] when all agree."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    ref = Reference([claude])
    found: list[str] = []

    def check(name: str, got: Any, want: Any) -> None:
        found.extend(f"{name}: {line}" for line in differences(got, want))

    everything = cli_json("--all")
    check("--all", _counts(everything), _counts(ref.window()))
    check("--all files", everything["files"], [str(p) for p in sorted(f.path for f in ref.files)])
    check(
        "--all --no-subagents",
        _counts(cli_json("--all", "--no-subagents")),
        _counts(ref.window(None, None, False)),
    )
    for since, until in windows():
        args = _window_args(since, until)
        check(f"window {args}", _counts(cli_json(*args)), _counts(ref.window(since, until)))
    resumed = next(s for s in ref.sessions if s.inherited and s.main)
    by_path = cli_json("--session", str(resumed.main.path) if resumed.main else "")
    check("--session PATH", _session_view(by_path), ref.session(resumed))
    newest = max((s for s in ref.sessions if s.main), key=lambda s: s.main.mtime if s.main else 0)
    check("tokens (the newest session)", _session_view(cli_json()), ref.session(newest))
    since, until = windows()[1]
    for s in ref.sessions:
        check(f"--session {s.session_id}", _session_view(cli_json("--session", s.session_id)), ref.session(s))
        windowed = cli_json("--session", s.session_id, *_window_args(since, until))
        check(f"--session {s.session_id} in a window", _session_view(windowed), ref.session(s, since, until))
    check("--list", cli_json("--list"), ref.listing())
    check("--list --no-subagents", cli_json("--list", "--no-subagents"), Reference([claude], False).listing())
    for since, until in windows():
        args = _window_args(since, until)
        check(f"--list {args}", cli_json("--list", *args), ref.listing(since, until))
    _check_breakdowns(ref, monkeypatch, check)
    return found


def _session_view(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("session_id", "session_file", "files", "inherited", "inherited_from", "main_file_missing")
    return {**_counts(data), **{k: data[k] for k in keys}}


def _check_breakdowns(ref: Reference, monkeypatch: pytest.MonkeyPatch, check: Any) -> None:
    """Each --by, all time and in windows, with UTC dates and in two local zones."""
    spans: list[tuple[float | None, float | None]] = [(None, None), *windows()]
    for zone in ZONES:
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        kinds = (*DATED, "session", "model") if zone == "UTC" else DATED
        for kind in kinds:
            for since, until in spans:
                args = [
                    "--by",
                    kind,
                    *_window_args(since, until),
                    *(["--utc"] if zone == "UTC" and kind in DATED else []),
                ]
                got = cli_json(*args)
                check(
                    f"TZ={zone} {args}",
                    {k: got[k] for k in ("rows", "total", "undated")},
                    ref.by(kind, ZoneInfo(zone), since, until),
                )
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_view_equals_the_reference_rule(home: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    claude = generate(home, seed)
    assert mismatches(claude, monkeypatch) == []


def test_copies_out_of_time_order_keep_the_earliest_time(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    claude = generate(home, 4, hard="copies")
    assert mismatches(claude, monkeypatch) == []
