"""Sessions as groups of files, and which session owns a message that several of them hold."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ai_budget.claude.price_table import prices
from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.discover import (
    Lookup,
    Transcript,
    ambiguous,
    find_session,
    looks_like_path,
    session_of,
    subagents_of,
)
from ai_budget.claude.transcripts.records import Message, contribution, merge, sum_rows
from ai_budget.claude.transcripts.scan import FileScan
from ai_budget.claude.transcripts.totals import Window, shared_ids

# Resuming a session in Claude Code 2.0.x writes a new file that starts with a copy of the
# earlier history (same message ids and timestamps; only sessionId differs). A message belongs
# to the session in which it first appeared: the session holding its earliest copy, and among
# sessions whose copies are equally early, the first in session order (ORDER_NOTE).
ORDER_NOTE = "first message time, then last message time, then last write, then session id, then path"


@dataclass(eq=False)  # a session is itself: used as a dict key by identity
class Session:
    """A session: its main file (None when it is gone) and its subagent files."""

    session_id: str
    project: Path
    main: Transcript | None
    agents: list[Transcript] = field(default_factory=list)

    @property
    def files(self) -> list[Transcript]:
        """The main file (when there is one), then the subagent files."""
        return [self.main, *self.agents] if self.main is not None else list(self.agents)

    @property
    def mtime(self) -> float:
        """The last write to any of its files, in epoch seconds."""
        return max((t.mtime for t in self.files), default=0.0)


@dataclass
class Split:
    """One session's per-model totals rows: its own messages, and those it holds copies of."""

    own: dict[str, list[int]] = field(default_factory=dict)
    inherited: dict[str, list[int]] = field(default_factory=dict)
    inherited_from: set[str] = field(default_factory=set)
    first: float | None = None  # its own first and last message, in epoch seconds
    last: float | None = None


def group_sessions(transcripts: Iterable[Transcript], lookup: Lookup) -> list[Session]:
    """Every session: each main file with its subagents, and subagents whose main file is gone."""
    found: dict[tuple[Path, str], Session] = {}
    others = []
    for t in transcripts:
        if t.is_session:
            found[(t.project, t.path.stem)] = Session(t.path.stem, t.project, t)
        else:
            others.append(t)
    for t in others:
        sid = session_of(t, lookup)
        found.setdefault((t.project, sid), Session(sid, t.project, None)).agents.append(t)
    return list(found.values())


Rows = dict[str, list[Iterable[int]]]  # per model: the rows to add up
Scanned = list[tuple[Session, Transcript, FileScan]]


def split(
    index: Index, sessions: list[Session], since: float | None = None, until: float | None = None
) -> dict[Session, Split]:
    """Each session's own and inherited totals in the window, every message owned by one session."""
    window = Window(since, until)
    files = [(s, t, index.scan(t.path, (t.size, t.mtime_ns))) for s in sessions for t in s.files]
    tally = _Tally(sessions)
    tally.collect(index, files, window)
    tally.assign(_order(files), window)
    return {
        s: Split(
            own={model: sum_rows(rows) for model, rows in tally.own[s].items()},
            inherited={model: sum_rows(rows) for model, rows in tally.inherited[s].items()},
            inherited_from=tally.inherited_from[s],
            first=tally.first.get(s),
            last=tally.last.get(s),
        )
        for s in sessions
    }


class _Tally:
    """Rows per session as they are found; copies of shared ids pooled until their owner is known."""

    def __init__(self, sessions: list[Session]):
        self.own: dict[Session, Rows] = {s: {} for s in sessions}
        self.inherited: dict[Session, Rows] = {s: {} for s in sessions}
        self.inherited_from: dict[Session, set[str]] = {s: set() for s in sessions}
        self.pooled: dict[str, Message] = {}
        self.holders: dict[str, dict[Session, float]] = {}  # each holder's earliest copy of an id
        self.first: dict[Session, float] = {}
        self.last: dict[Session, float] = {}
        self.table = prices()

    def _add(self, s: Session, model: str, row: Iterable[int], *stamps: float | None) -> None:
        """Rows of `s`'s own, and the times of the messages they hold."""
        self.own[s].setdefault(model, []).append(row)
        for ts in stamps:
            if ts is not None:
                if ts < self.first.get(s, math.inf):
                    self.first[s] = ts
                if ts > self.last.get(s, -math.inf):
                    self.last[s] = ts

    def collect(self, index: Index, files: Scanned, window: Window) -> None:
        """Every file's rows: its cached totals when it shares no id and lies in the window."""
        shared = shared_ids(scan for _, _, scan in files)  # their copies are merged first
        for s, t, scan in files:
            if not scan.ids:
                continue
            whole = not scan.undated and scan.first_ts in window and scan.last_ts in window
            if whole and shared.isdisjoint(scan.ids):
                for model, row in scan.by_model.items():
                    self._add(s, model, row, scan.first_ts, scan.last_ts)
                continue
            for key, m in index.messages(t.path).items():
                if key in shared:
                    self._pool(s, key, m)
                elif m.timestamp in window:
                    self._add(s, m.model, contribution(m, self.table), m.timestamp)

    def _pool(self, s: Session, key: str, m: Message) -> None:
        """A copy of a shared message: merged with the others, and `s` noted as a holder."""
        old = self.pooled.get(key)
        self.pooled[key] = m if old is None else merge(old, m)
        copies = self.holders.setdefault(key, {})
        stamp = math.inf if m.timestamp is None else m.timestamp
        copies[s] = min(stamp, copies.get(s, math.inf))

    def assign(self, order: dict[Session, tuple[object, ...]], window: Window) -> None:
        """Each pooled message to its owner; a copy in every other holder is inherited from it."""
        for key, m in self.pooled.items():
            if m.timestamp not in window:
                continue
            copies = self.holders[key]
            owner = min(copies, key=lambda s: (copies[s], order[s]))
            row = contribution(m, self.table)
            self._add(owner, m.model, row, m.timestamp)
            for s in copies:
                if s is not owner:
                    self.inherited[s].setdefault(m.model, []).append(row)
                    self.inherited_from[s].add(owner.session_id)


def _order(files: Scanned) -> dict[Session, tuple[object, ...]]:
    """Session order (ORDER_NOTE): the original of a resume chain comes before its copies."""
    # In a chain every copy starts with the same history, so first times tie; the original
    # stops where its copy goes on, so it has the earlier last time.
    first: dict[Session, float] = {}
    last: dict[Session, float] = {}
    for s, _, scan in files:
        if scan.first_ts is not None:
            first[s] = min(scan.first_ts, first.get(s, math.inf))
        if scan.last_ts is not None:
            last[s] = max(scan.last_ts, last.get(s, -math.inf))
    return {
        s: (first.get(s, math.inf), last.get(s, math.inf), s.mtime, s.session_id, str(s.files[0].path))
        for s, _, _ in files
    }


def of_main(
    main: Transcript, transcripts: list[Transcript], lookup: Lookup, subagents: bool = True
) -> Session:
    """The session of a main file, with its subagent files when they are wanted."""
    agents = subagents_of(main, transcripts, lookup) if subagents else []
    return Session(main.path.stem, main.project, main, agents)


def select(
    transcripts: list[Transcript], selector: str, lookup: Lookup, subagents: bool = True
) -> Session | Transcript:
    """A session by id or unique prefix (also one whose main file is gone), or a file by path."""
    named = looks_like_path(selector) or any(
        t.is_session and t.path.stem.startswith(selector) for t in transcripts
    )
    orphan = None if named else _orphan(transcripts, selector, lookup)
    if orphan is not None:
        return orphan if subagents else Session(orphan.session_id, orphan.project, None)
    chosen = find_session(transcripts, selector)  # when nothing matches: the error that says so
    return of_main(chosen, transcripts, lookup, subagents) if chosen.is_session else chosen


def _orphan(transcripts: list[Transcript], selector: str, lookup: Lookup) -> Session | None:
    """The session of subagent files alone (their main file gone) that `selector` names, if one."""
    mains = {(t.project, t.path.stem) for t in transcripts if t.is_session}
    orphans = [
        s
        for s in group_sessions([t for t in transcripts if not t.is_session], lookup)
        if (s.project, s.session_id) not in mains
    ]
    exact = [s for s in orphans if s.session_id == selector]
    if exact:
        return max(exact, key=lambda s: s.mtime)
    prefixed = [s for s in orphans if s.session_id.startswith(selector)]
    if len(prefixed) > 1:
        raise ambiguous(selector, [s.session_id for s in prefixed])
    return prefixed[0] if prefixed else None


def related(
    session: Session, transcripts: list[Transcript], lookup: Lookup, subagents: bool
) -> list[Session]:
    """The other sessions of its project that may hold copies of its messages: written since it began."""
    # A copy keeps the original's timestamp, so a session holding a copy of a dated message was
    # written at or after the first message of this one: older sessions are never read. An
    # undated message gives no such bound: then every session of the project is read.
    scans = [lookup(t.path) for t in session.files]
    stamps = [scan.first_ts for scan in scans if scan.first_ts is not None]
    begun = min(stamps) if stamps and not any(scan.undated for scan in scans) else -math.inf
    same = [
        t
        for t in transcripts
        if t.project == session.project and t.mtime >= begun - 1 and (subagents or t.is_session)
    ]
    return [s for s in group_sessions(same, lookup) if s.session_id != session.session_id]
