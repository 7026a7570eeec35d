"""Calibration samples as git history holds them, one trailer each, so any merged history can be summed.

A commit that adds samples carries one `Calibration-Sample: TYPE units=U pct=P tokens=T id=ID` trailer
per sample (besides the running `Calibration:` sums, which only hold along one machine's line of
commits). A sample later found to have shared its 5-hour delta with another machine's session is taken
back by a `Calibration-Withdrawn:` trailer naming its id. The samples that count are thus the ones in
the history, each id once, minus the withdrawn ids: the same set whatever order the machines' commits
were merged in, and however often. Commits older than these trailers are read from their running sums,
step by step along each commit's first parent (the one machine's line they were written on).
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from ai_budget.journal.gitrepo import Commit
from ai_budget.journal.machine import TRAILER as MACHINE
from ai_budget.model.calibration import parse_trailer
from ai_budget.timeutil import parse_time

SAMPLE = "Calibration-Sample"
WITHDRAWN = "Calibration-Withdrawn"
SESSION_END = "Session-End"  # the measured span's end, to the microsecond (a commit's date has seconds)
EPOCH = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Tracked:
    """One calibration sample, where history recorded it."""

    key: str  # its id (a legacy step: the commit and the type)
    type: str
    units: Decimal
    pct: Decimal
    tokens: int | None
    at: datetime  # the commit's time (a session's end)
    start: datetime | None  # the session's start (Session-Start), when a session made it
    machine: str | None
    session: str | None
    sha: str
    count: int = 1  # a legacy step may hold several samples

    @property
    def when(self) -> datetime:
        """When the work was done: the session's start, else the commit."""
        return self.start or self.at


@dataclass
class Sums:
    """What samples add to a calibration entry."""

    samples: int = 0
    units: Decimal = Decimal(0)
    pct: Decimal = Decimal(0)
    token_units: Decimal = Decimal(0)
    tokens: int = 0

    def add(self, s: Tracked, sign: int = 1) -> None:
        self.samples += sign * s.count
        self.units += sign * s.units
        self.pct += sign * s.pct
        if s.tokens is not None:
            self.token_units += sign * s.units
            self.tokens += sign * s.tokens


def number(value: float | Decimal) -> str:
    """A figure as a trailer writes it: exact, no exponent, no trailing zeros."""
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "") else text


def new_key() -> str:
    """A sample's id: random, so two machines never make the same one."""
    return os.urandom(6).hex()


def sample_trailer(type_name: str, units: float, pct: float, tokens: int | None, key: str) -> tuple[str, str]:
    """The trailer of one sample."""
    value = f"{type_name} units={number(units)} pct={number(pct)} tokens={'-' if tokens is None else tokens}"
    return SAMPLE, f"{value} id={key}"


def withdrawn_trailer(s: Tracked, reason: str) -> tuple[str, str]:
    """The trailer taking a sample back."""
    tokens = "-" if s.tokens is None else str(s.tokens)
    value = f"{s.type} units={number(s.units)} pct={number(s.pct)} tokens={tokens}"
    return WITHDRAWN, f"{value} id={s.key} {reason}"


def _parsed(value: str) -> tuple[str, Decimal, Decimal, int | None, str] | None:
    name, fields = parse_trailer(value)
    try:
        units, pct = Decimal(fields["units"]), Decimal(fields["pct"])
        raw = fields.get("tokens", "-")
        tokens = None if raw == "-" else int(raw)
        key = fields["id"]
    except (KeyError, ValueError, InvalidOperation):
        return None
    if not units.is_finite() or not pct.is_finite() or units <= 0 or pct < 0 or not key:
        return None
    return name, units, pct, tokens, key


def _time(raw: str | None) -> datetime | None:
    try:
        return parse_time(raw)
    except ValueError:
        return None


def _end(c: Commit) -> datetime:
    """When a commit's session ended: its Session-End trailer, else the commit's time."""
    return _time(c.trailer(SESSION_END)) or _time(c.date) or EPOCH


def _oldest_first(commits: Iterable[Commit]) -> list[Commit]:
    """Commits with every parent before its children (git log's order, newest first, reversed and
    mended where clocks disagree)."""
    listed = list(commits)
    by_sha = {c.sha: c for c in listed}
    done: set[str] = set()
    order: list[Commit] = []
    for start in reversed(listed):
        stack = [(start, False)]
        while stack:
            commit, expanded = stack.pop()
            if commit.sha in done:
                continue
            if expanded:
                done.add(commit.sha)
                order.append(commit)
                continue
            stack.append((commit, True))
            stack += [(by_sha[p], False) for p in commit.parents if p in by_sha and p not in done]
    return order


def tracked(commits: Iterable[Commit]) -> list[Tracked]:
    """Every sample of a `Calibration-Sample` trailer, each id once, oldest first."""
    found: dict[str, Tracked] = {}
    for c in _oldest_first(commits):
        for key, value in c.trailers:
            parsed = _parsed(value) if key == SAMPLE else None
            if parsed is None or parsed[4] in found:
                continue
            name, units, pct, tokens, sid = parsed
            at = _end(c)
            session = (c.trailer("Claude-Session") or "").split(" ")[0] or None
            found[sid] = Tracked(
                key=sid,
                type=name,
                units=units,
                pct=pct,
                tokens=tokens,
                at=at,
                start=_time(c.trailer("Session-Start")),
                machine=c.trailer(MACHINE),
                session=session,
                sha=c.sha,
            )
    return list(found.values())


def withdrawn(commits: Iterable[Commit]) -> set[str]:
    """The ids of the samples taken back."""
    return {p[4] for c in commits for k, v in c.trailers if k == WITHDRAWN and (p := _parsed(v)) is not None}


def counted(commits: list[Commit]) -> list[Tracked]:
    """The samples that count: tracked, not withdrawn."""
    gone = withdrawn(commits)
    return [s for s in tracked(commits) if s.key not in gone]


def sums(samples: Iterable[Tracked]) -> dict[str, Sums]:
    """Per task type (as written), what the samples add up to."""
    found: dict[str, Sums] = {}
    for s in samples:
        found.setdefault(s.type, Sums()).add(s)
    return found


def _cumulative(value: str) -> tuple[str, int, Decimal, Decimal, Decimal | None] | None:
    """A running `Calibration:` trailer: type, samples, units, total %, total tokens (if it had a rate)."""
    name, fields = parse_trailer(value)
    try:
        count, units = int(fields["samples"]), Decimal(fields["units"])
        pct = Decimal(fields["pct_per_unit"]) * units if units else Decimal(0)
        rate = fields.get("tokens_per_unit", "-")
        tokens = None if rate == "-" else Decimal(rate) * units
    except (KeyError, ValueError, InvalidOperation):
        return None
    return name, count, units, pct, tokens


def legacy(commits: list[Commit]) -> list[Tracked]:
    """Samples of commits written before `Calibration-Sample` trailers: each the step between a commit's
    running sums and those before it on its first-parent line; a smaller count means the entry was reset
    by hand, and its samples start again from there."""
    by_sha = {c.sha: c for c in commits}
    zero = (0, Decimal(0), Decimal(0), Decimal(0))
    state: dict[str, dict[str, tuple[int, Decimal, Decimal, Decimal]]] = {}
    found: dict[str, list[Tracked]] = {}
    for c in _oldest_first(commits):
        parent = c.parents[0] if c.parents and c.parents[0] in by_sha else None
        now = dict(state.get(parent, {})) if parent else {}
        modern = any(k == SAMPLE for k, _ in c.trailers)
        for key, value in c.trailers:
            parsed = _cumulative(value) if key == "Calibration" else None
            if parsed is None:
                continue
            name, count, units, pct, tokens = parsed
            before = now.get(name.lower(), zero)
            if count < before[0] or units < before[1]:
                before = zero
                found.pop(name.lower(), None)
            now[name.lower()] = (count, units, pct, tokens or Decimal(0))
            if modern or count <= before[0] or units <= before[1]:
                continue
            step_tokens = None if tokens is None else max(0, round(tokens - before[3]))
            found.setdefault(name.lower(), []).append(
                Tracked(
                    key=f"{c.sha}:{name}",
                    type=name,
                    units=units - before[1],
                    pct=max(Decimal(0), pct - before[2]),
                    tokens=step_tokens,
                    at=_time(c.date) or EPOCH,
                    start=_time(c.trailer("Session-Start")),
                    machine=c.trailer(MACHINE),
                    session=None,
                    sha=c.sha,
                    count=count - before[0],
                )
            )
        state[c.sha] = now
    return [s for steps in found.values() for s in steps]


def over_time(commits: list[Commit], by_end: bool = False) -> list[Tracked]:
    """Every sample that counts, legacy steps included, by when its work was done (`by_end`: when it
    was recorded); within one second, in the order of the history (a parent before its children)."""
    place = {c.sha: i for i, c in enumerate(_oldest_first(commits))}
    found = legacy(commits) + counted(commits)
    return sorted(found, key=lambda s: (s.at if by_end else s.when, place.get(s.sha, -1), s.key))


# --- who else used the window: spans of sessions on other machines -------------------------------


@dataclass(frozen=True)
class Span:
    """A session (or a record of one) on a machine, from its start to its end."""

    machine: str
    label: str
    start: datetime
    end: datetime


@dataclass
class _Machine:
    starts: list[datetime] = field(default_factory=list)
    max_end: list[tuple[datetime, Span]] = field(default_factory=list)  # the latest end so far


def session_span(c: Commit, machine: str | None = None) -> Span | None:
    """A session commit's span: from its Session-Start to the commit, on its machine (`machine` for a
    commit from before machine names)."""
    who, start, end = c.trailer(MACHINE) or machine, _time(c.trailer("Session-Start")), _end(c)
    if c.trailer("Five-Hour-Delta") is None or not who or start is None:
        return None
    return Span(who, c.trailer("Claude-Session") or f"session {c.sha[:7]}", start, end)


def spans(commits: Iterable[Commit], lines: Iterable[dict[str, Any]]) -> list[Span]:
    """Every session a machine recorded: its ledger lines and its session commits."""
    found = []
    for line in lines:
        who, start, end = line.get("machine"), _time(line.get("started_at")), _time(line.get("ended_at"))
        if isinstance(who, str) and who and start is not None and end is not None:
            label = line.get("session_id") if isinstance(line.get("session_id"), str) else "terminal session"
            found.append(Span(who, str(label), start, end))
    found += [span for c in commits if (span := session_span(c)) is not None]
    return found


class Overlaps:
    """Whether a span on one machine overlaps a session of another (per machine, its spans by start
    with the latest end so far: a bisect per question)."""

    def __init__(self, every: Iterable[Span]):
        self.index: dict[str, _Machine] = {}
        for span in sorted(every, key=lambda s: (s.start, s.end)):
            m = self.index.setdefault(span.machine, _Machine())
            m.starts.append(span.start)
            best = m.max_end[-1] if m.max_end and m.max_end[-1][0] >= span.end else (span.end, span)
            m.max_end.append(best)

    def other(self, machine: str, start: datetime, end: datetime) -> Span | None:
        """A session of another machine that ran during [start, end], if any."""
        for who, m in self.index.items():
            if who == machine:
                continue
            last = bisect.bisect_left(m.starts, end) - 1  # spans that started before this one ended
            if last >= 0 and m.max_end[last][0] > start:
                return m.max_end[last][1]
        return None


def shared(samples: Iterable[Tracked], every: list[Span]) -> dict[str, Span]:
    """The samples whose session ran while another machine's did (the 5-hour window is the account's):
    sample id -> one such span."""
    overlaps = Overlaps(every)
    found = {}
    for s in samples:
        if s.start is not None and s.machine is not None:
            span = overlaps.other(s.machine, s.start, s.at)
            if span is not None:
                found[s.key] = span
    return found


def shared_sessions(commits: list[Commit]) -> set[str]:
    """The session commits (shas) whose session ran while another machine's did: their 5-hour delta
    is not theirs alone."""
    mine = {c.sha: span for c in commits if (span := session_span(c)) is not None}
    overlaps = Overlaps(mine.values())
    return {sha for sha, span in mine.items() if overlaps.other(span.machine, span.start, span.end)}
