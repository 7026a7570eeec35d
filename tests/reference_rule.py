"""The transcript rule written out plainly, to check `ai-budget tokens` against: no cache, no shortcuts."""

# docs/design.md, "Transcript accounting" (the dedupe rule, resumed sessions, the breakdowns).
# Every file is read whole with json.loads per line; every view is computed from
# the same list of deduplicated messages. It answers in the JSON shapes of `tokens --json`.

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget.claude.price_table import prices

COUNTS = ("input", "output", "read", "flat", "five", "hour", "search", "fetch")
ROW_KEYS = (
    "exchanges",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_tokens",
    "cache_creation_1h_tokens",
    "web_search_requests",
    "web_fetch_requests",
)


@dataclass
class Msg:
    """One call: the earliest timestamp of its copies, the first copy's model and mode, per-field maxima."""

    ts: float | None
    model: str
    counts: dict[str, int]
    speed: str = ""
    geo: str = ""
    prompt: int = 0  # the largest of its `message` iterations' prompts, when it lists any

    def merged(self, other: Msg) -> Msg:
        stamps = [t for t in (self.ts, other.ts) if t is not None]
        counts = {k: max(self.counts[k], other.counts[k]) for k in COUNTS}
        prompt = max(self.prompt, other.prompt)
        return Msg(min(stamps) if stamps else None, self.model, counts, self.speed, self.geo, prompt)


@dataclass
class File:
    """One transcript file as the rule sees it."""

    path: Path
    project: str
    is_session: bool
    mtime: float
    session_id: str
    messages: dict[str, Msg] = field(default_factory=dict)

    @property
    def is_agent(self) -> bool:
        return self.path.name.startswith("agent-")


def number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value <= 0:
        return 0
    return int(value)


def when(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _model(value: Any) -> str:
    return value if isinstance(value, str) and value else "unknown"


def _counts(usage: dict[str, Any]) -> dict[str, int]:
    nested, server = _object(usage.get("cache_creation")), _object(usage.get("server_tool_use"))
    values = (
        usage.get("input_tokens"),
        usage.get("output_tokens"),
        usage.get("cache_read_input_tokens"),
        usage.get("cache_creation_input_tokens"),
        nested.get("ephemeral_5m_input_tokens"),
        nested.get("ephemeral_1h_input_tokens"),
        server.get("web_search_requests"),
        server.get("web_fetch_requests"),
    )
    return {k: number(v) for k, v in zip(COUNTS, values, strict=True)}


def _reject(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python's json takes them, the spec does not


def read(path: Path) -> tuple[dict[str, Msg], str | None]:
    """A file's messages (copies within it merged) and the first sessionId it records."""
    messages: dict[str, Msg] = {}
    session_id = None
    for line in path.read_bytes().split(b"\n"):
        try:
            record = json.loads(line, parse_constant=_reject)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if session_id is None and isinstance(record.get("sessionId"), str):
            session_id = record["sessionId"]
        message = record.get("message")
        if record.get("type") != "assistant" or not isinstance(message, dict):
            continue
        usage = message.get("usage")
        if not isinstance(usage, dict) or message.get("model") == "<synthetic>":
            continue
        key = message.get("id")
        if not isinstance(key, str):
            continue
        ts, model = when(record.get("timestamp")), message.get("model")
        speed, geo = _string(usage.get("speed")), _string(usage.get("inference_geo"))
        calls = {key: Msg(ts, _model(model), _counts(usage), speed, geo)}
        iterations = usage.get("iterations")
        for n, it in enumerate(iterations if isinstance(iterations, list) else []):
            if not isinstance(it, dict):
                continue
            if it.get("type") == "message":  # repeats the top level: only its prompt is used
                own = _counts(it)
                prompt = own["input"] + own["read"] + max(own["flat"], own["five"] + own["hour"])
                calls[key].prompt = max(calls[key].prompt, prompt)
            elif it.get("type") == "advisor_message":  # a call of its own, left out of the top level
                calls[f"{key}#advisor{n}"] = Msg(
                    ts, _model(it.get("model")), _counts(it), _string(it.get("speed")), geo
                )
        for call, m in calls.items():
            messages[call] = messages[call].merged(m) if call in messages else m
    return messages, session_id


def discover(claude_dir: Path) -> list[File]:
    """Every `*.jsonl` under projects/ but journal.jsonl; a session is `<id>.jsonl` in a project folder."""
    files = []
    root = claude_dir / "projects"
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if not name.endswith(".jsonl") or name == "journal.jsonl":
                continue
            parts = path.relative_to(root).parts
            is_session = len(parts) == 2 and not name.startswith("agent-")
            messages, recorded = read(path)
            if is_session:
                sid = path.stem
            elif recorded is not None:
                sid = recorded
            else:  # nothing inside says: the folder under the project, else the file's own name
                sid = parts[1] if len(parts) > 2 else path.stem
            # In seconds from the nanoseconds, as the tool has them (st_mtime rounds differently).
            mtime = path.stat().st_mtime_ns / 1e9
            files.append(File(path, parts[0], is_session, mtime, sid, messages))
    return files


def everything(files: list[File]) -> dict[str, Msg]:
    """Each message id once over all files, its copies merged."""
    found: dict[str, Msg] = {}
    for f in files:
        for key, m in f.messages.items():
            found[key] = found[key].merged(m) if key in found else m
    return found


def inside(m: Msg, since: float | None, until: float | None) -> bool:
    if since is None and until is None:
        return True
    return m.ts is not None and (since is None or m.ts >= since) and (until is None or m.ts < until)


def row(messages: list[Msg]) -> list[int]:
    total = [0] * len(ROW_KEYS)
    for m in messages:
        c = m.counts
        writes = max(c["flat"], c["five"] + c["hour"])
        five = c["five"] + writes - (c["five"] + c["hour"])
        one = (1, c["input"], c["output"], c["read"], writes, five, c["hour"], c["search"], c["fetch"])
        total = [a + b for a, b in zip(total, one, strict=True)]
    return total


def cost(m: Msg) -> Decimal | None:
    """One call's dollars (docs/prices.md): the rates in force on its date, the band its prompt falls
    in, fast mode and geography as multipliers on every token rate; None when it has no price."""
    table = prices()
    period = table.period(m.model, m.ts)
    factor = table.geo.get(m.geo)
    if period is None or factor is None:
        return None
    c = m.counts
    writes = max(c["flat"], c["five"] + c["hour"])
    five = c["five"] + writes - (c["five"] + c["hour"])
    prompt = m.prompt or c["input"] + c["read"] + writes
    rates = period.rates
    if m.speed == "fast":
        if period.fast is None:
            return None
        factor *= period.fast
    elif m.speed not in ("", "standard"):
        return None
    elif period.band is not None and prompt > period.band.above:
        rates = period.band.rates
    tokens = (
        c["input"] * rates.input
        + c["output"] * rates.output
        + five * rates.cache_write_5m
        + c["hour"] * rates.cache_write_1h
        + c["read"] * rates.cache_read
    )
    return tokens * factor / 1_000_000 + c["search"] * table.web_search


def counts(messages: list[Msg]) -> dict[str, Any]:
    """The JSON counts of a set of messages: each call priced, unpriced models never at $0."""
    total, priced, unpriced = Decimal(0), False, set()
    for m in messages:
        c = cost(m)
        if c is None:
            unpriced.add(m.model)
        else:
            total, priced = total + c, True
    data: dict[str, Any] = dict(zip(ROW_KEYS, row(messages), strict=True))
    data["total_tokens"] = sum(
        data[k]
        for k in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    )
    known = priced or not unpriced
    data["cost_usd"] = float(round(total, 6)) if known else None
    data["cost_is_lower_bound"] = bool(unpriced) and known
    data["unpriced_models"] = sorted(unpriced)
    return data


def plain(messages: list[Msg]) -> dict[str, Any]:
    """The counts as `Counts.as_dict` has them: without the models named."""
    data = counts(messages)
    del data["unpriced_models"]
    return data


def by_model(messages: list[Msg]) -> dict[str, dict[str, Any]]:
    models = sorted({m.model for m in messages})
    return {model: plain([m for m in messages if m.model == model]) for model in models}


@dataclass
class Session:
    """A session: its files (main and subagents), what it holds and what it owns."""

    session_id: str
    project: str
    files: list[File]
    held: dict[str, float] = field(default_factory=dict)  # id -> its earliest copy here
    own: list[str] = field(default_factory=list)
    inherited: dict[str, str] = field(default_factory=dict)  # id -> owner's session id

    @property
    def main(self) -> File | None:
        return next((f for f in self.files if f.is_session), None)

    def order(self) -> tuple[float, float, float, str, str]:
        """First message time, last message time, last write, id, path (docs/design.md)."""
        stamps = [m.ts for f in self.files for m in f.messages.values() if m.ts is not None]
        first = min(stamps) if stamps else float("inf")
        last = max(stamps) if stamps else float("inf")
        path = str((self.main or self.files[0]).path)
        return (first, last, max(f.mtime for f in self.files), self.session_id, path)


def sessions(files: list[File]) -> list[Session]:
    """Sessions with every message given to the one holding its earliest copy (ties: session order)."""
    found: dict[tuple[str, str], Session] = {}
    for f in files:
        found.setdefault((f.project, f.session_id), Session(f.session_id, f.project, [])).files.append(f)
    result = list(found.values())
    holders: dict[str, list[Session]] = {}
    for s in result:
        for f in s.files:
            for key, m in f.messages.items():
                ts = m.ts if m.ts is not None else float("inf")
                if key not in s.held:
                    holders.setdefault(key, []).append(s)
                s.held[key] = min(ts, s.held.get(key, float("inf")))
    for key, holding in holders.items():
        owner = min(holding, key=lambda s: (s.held[key], s.order()))
        owner.own.append(key)
        for s in holding:
            if s is not owner:
                s.inherited[key] = owner.session_id
    return result


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat() if ts is not None else None


class Reference:
    """Every view of one set of Claude folders, by the rule."""

    def __init__(self, claude_dirs: list[Path], subagents: bool = True):
        self.files = [f for d in claude_dirs for f in discover(d) if subagents or not f.is_agent]
        self.messages = everything(self.files)
        self.sessions = sessions(self.files)

    def window(
        self, since: float | None = None, until: float | None = None, subagents: bool = True
    ) -> dict[str, Any]:
        """`tokens --all`, `--since`, `--until`: every message once in [since, until)."""
        files = [f for f in self.files if subagents or not f.is_agent]
        found = [m for m in everything(files).values() if inside(m, since, until)]
        data = counts(found)
        data["by_model"] = by_model(found)
        return data

    def session(self, s: Session, since: float | None = None, until: float | None = None) -> dict[str, Any]:
        """`tokens --session ID`: its own messages (in the window), and apart from them what it inherited."""
        own = [self.messages[k] for k in s.own if inside(self.messages[k], since, until)]
        copies = {k: owner for k, owner in s.inherited.items() if inside(self.messages[k], since, until)}
        data = counts(own)
        data["by_model"] = by_model(own)
        data["session_id"] = s.session_id
        data["session_file"] = str(s.main.path) if s.main else None
        data["files"] = [str(p) for p in sorted(f.path for f in s.files)]
        data["inherited"] = plain([self.messages[k] for k in copies])
        data["inherited_from"] = sorted(set(copies.values()))
        data["main_file_missing"] = s.main is None
        return data

    def listing(self, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
        """`tokens --list`: sessions with own messages in [since, until) (else last write), newest first."""
        rows = []
        for s in self.sessions:
            own = [self.messages[k] for k in s.own]
            stamps = [m.ts for m in own if m.ts is not None]
            if not stamps:  # nothing dated of its own: what its files hold
                stamps = [m.ts for f in s.files for m in f.messages.values() if m.ts is not None]
            first, last = (min(stamps), max(stamps)) if stamps else (None, None)
            write = max(f.mtime for f in s.files)
            latest, earliest = last if last is not None else write, first if first is not None else write
            if (since is not None and latest < since) or (until is not None and earliest >= until):
                continue
            c = counts(own)
            inherited = counts([self.messages[k] for k in s.inherited])
            row_ = {
                "session_id": s.session_id,
                "project": s.project,
                "first_time": iso(first),
                "last_time": iso(last),
                "last_write": iso(write),
                "exchanges": c["exchanges"],
                "output_tokens": c["output_tokens"],
                "cost_usd": c["cost_usd"],
                "cost_is_lower_bound": c["cost_is_lower_bound"],
                "unpriced_models": c["unpriced_models"],
                "subagents": len([f for f in s.files if not f.is_session]),
                "main_file_missing": s.main is None,
                "inherited_exchanges": inherited["exchanges"],
                "inherited_output_tokens": inherited["output_tokens"],
                "inherited_from": sorted(set(s.inherited.values())),
            }
            rows.append((latest, s.session_id, row_))
        return [r for *_, r in sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)]

    def by(
        self, kind: str, zone: tzinfo, since: float | None = None, until: float | None = None
    ) -> dict[str, Any]:
        """`tokens --by`: the rows and their total (the JSON `rows`, `total` and `undated`)."""
        found = [m for m in self.messages.values() if inside(m, since, until)]
        groups: dict[Any, list[Msg]] = {}
        projects: dict[str, str] = {}
        if kind == "session":
            for s in self.sessions:
                own = [self.messages[k] for k in s.own if inside(self.messages[k], since, until)]
                if own:
                    last = max((m.ts for m in own if m.ts is not None), default=0.0)
                    groups[(last, s.session_id)] = own
                    projects[s.session_id] = s.project
        else:
            for m in found:
                if kind == "model":
                    groups.setdefault(m.model, []).append(m)
                elif m.ts is not None:
                    groups.setdefault(bucket(kind, m.ts, zone), []).append(m)
        rows = []
        for k in sorted(groups):
            key = k[1] if kind == "session" else k
            extra = {"project": projects[key]} if kind == "session" else {}
            models = sorted({m.model for m in groups[k]})
            rows.append({"key": key, **extra, **counts(groups[k]), "models": models})
        undated = [m for m in found if m.ts is None]
        dated_view = kind in ("day", "week", "month")
        return {
            "rows": rows,
            "total": counts([m for ms in groups.values() for m in ms]),
            "undated": plain(undated) if dated_view and undated else None,
        }


def bucket(kind: str, ts: float, zone: tzinfo) -> str:
    """A moment's local date, its ISO week's Monday, or its month."""
    day: date = datetime.fromtimestamp(ts, zone).date()
    if kind == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if kind == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()
