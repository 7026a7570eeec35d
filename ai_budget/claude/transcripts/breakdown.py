"""Totals split by local day, week, month, session or model (`tokens --by`), with a totals row."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.chains import group_sessions, split
from ai_budget.claude.transcripts.discover import Transcript
from ai_budget.claude.transcripts.report import all_transcripts, window_files
from ai_budget.claude.transcripts.totals import Counts, bucketed, by_model_totals, combined, price, priced

BY = ("day", "week", "month", "session", "model")


class LocalZone(dt.tzinfo):
    """The process's local time zone (TZ), its daylight saving time included, as the C library has it."""

    def fromutc(self, moment: dt.datetime) -> dt.datetime:
        """The local time of a UTC moment (what `datetime.fromtimestamp(ts, tz)` asks for)."""
        stamp = (moment.replace(tzinfo=dt.timezone.utc) - EPOCH).total_seconds()
        offset = time.localtime(stamp).tm_gmtoff
        return (moment + dt.timedelta(seconds=offset)).replace(tzinfo=self)

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta:
        """The offset from UTC at a local time."""
        return dt.timedelta(seconds=self._local(moment).tm_gmtoff)

    def dst(self, moment: dt.datetime | None) -> dt.timedelta | None:
        """Not known apart from the offset."""
        return None

    def tzname(self, moment: dt.datetime | None) -> str:
        """The zone's abbreviation at a local time."""
        return self._local(moment).tm_zone

    def _local(self, moment: dt.datetime | None) -> time.struct_time:
        if moment is None:
            return time.localtime()
        fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, 0, 0, -1)
        return time.localtime(time.mktime(fields))


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def day_key(tz: dt.tzinfo) -> Callable[[float], dt.date]:
    """A moment's date in `tz`."""
    return lambda ts: dt.datetime.fromtimestamp(ts, tz).date()


def week_key(tz: dt.tzinfo) -> Callable[[float], dt.date]:
    """The Monday that starts a moment's ISO week, in `tz`."""
    day = day_key(tz)

    def monday(ts: float) -> dt.date:
        d = day(ts)
        return d - dt.timedelta(days=d.weekday())

    return monday


def month_key(tz: dt.tzinfo) -> Callable[[float], dt.date]:
    """The first day of a moment's month, in `tz`."""
    day = day_key(tz)
    return lambda ts: day(ts).replace(day=1)


def daily_by_model(index: Index, files: list[Transcript], tz: dt.tzinfo) -> dict[tuple[dt.date, str], Counts]:
    """Priced counts per (date in `tz`, model), each message once on its own date; undated ones left out."""
    index.prefetch(files)
    rows, _ = bucketed(index, files, day_key(tz), None, None)
    return {(day, model): price(model, row) for (day, model), row in rows.items()}


@dataclass
class Line:
    """One row of a breakdown: its label, and the counts (for a session, its project too)."""

    key: str
    counts: Counts
    models: list[str]
    project: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form: the label, the counts, the models and which of them have no price."""
        data: dict[str, Any] = {"key": self.key}
        if self.project is not None:
            data["project"] = self.project
        data.update(self.counts.as_dict())
        data["models"] = self.models
        data["unpriced_models"] = list(self.counts.unpriced)
        return data


@dataclass
class Breakdown:
    """`tokens --by`: the rows, oldest first (models by name), and their total."""

    by: str
    lines: list[Line]
    total: Counts
    since: dt.datetime | None
    until: dt.datetime | None
    zone: str | None  # the zone of the dates (day, week, month), else None
    undated: Counts | None  # messages with no timestamp: in no dated row, nor in the total

    def as_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "by": self.by,
            "timezone": self.zone,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "rows": [line.as_dict() for line in self.lines],
            "total": {**self.total.as_dict(), "unpriced_models": list(self.total.unpriced)},
            "undated": self.undated.as_dict() if self.undated is not None else None,
        }


def breakdown(
    claude_dirs: list[Path],
    by: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    utc: bool = False,
    subagents: bool = True,
    index: Index | None = None,
    unreadable: list[str] | None = None,
) -> Breakdown:
    """Every entry in the window (all time without one), a row per `by` bucket, and the total."""
    index = index or Index()
    files = window_files(all_transcripts(claude_dirs, unreadable), since, subagents)
    index.prefetch(files)
    low = since.timestamp() if since else None
    high = until.timestamp() if until else None
    zone: str | None = None
    undated: Counts | None = None
    if by == "model":
        lines = _model_lines(by_model_totals(index, files, low, high))
    elif by == "session":
        lines = _session_lines(index, files, low, high)
    else:
        tz: dt.tzinfo = dt.timezone.utc if utc else LocalZone()
        zone = "UTC" if utc else _zone_name()
        key = {"day": day_key, "week": week_key, "month": month_key}[by](tz)
        rows, undated_rows = bucketed(index, files, key, low, high)
        lines = _dated_lines(rows, "%Y-%m" if by == "month" else "%Y-%m-%d")
        undated = priced(undated_rows)[0] if undated_rows else None
    index.save()
    total = combined(line.counts for line in lines)
    return Breakdown(by, lines, total, since, until, zone, undated)


def _zone_name() -> str:
    """The local zone as a person knows it: TZ when set, else its abbreviation now."""
    return os.environ.get("TZ") or time.strftime("%Z")


def _model_lines(rows: dict[str, list[int]]) -> list[Line]:
    """A row per model, by name."""
    return [Line(model, price(model, row), [model]) for model, row in sorted(rows.items())]


def _dated_lines(rows: dict[tuple[dt.date, str], list[int]], label: str) -> list[Line]:
    """A row per date bucket, oldest first, its models priced together."""
    by_bucket: dict[dt.date, dict[str, list[int]]] = {}
    for (bucket, model), row in rows.items():
        by_bucket.setdefault(bucket, {})[model] = row
    return [
        Line(bucket.strftime(label), priced(models)[0], sorted(models))
        for bucket, models in sorted(by_bucket.items())
    ]


def _session_lines(
    index: Index, files: list[Transcript], low: float | None, high: float | None
) -> list[Line]:
    """A row per session with messages of its own in the window, oldest last activity first."""
    sessions = group_sessions(files, index.scan)
    parts = split(index, sessions, low, high)
    found = []
    for s in sessions:
        if not parts[s].own:
            continue
        last = parts[s].last if parts[s].last is not None else 0.0  # undated only: first
        line = Line(s.session_id, priced(parts[s].own)[0], sorted(parts[s].own), s.project.name)
        found.append((last, s.session_id, line))
    return [line for *_, line in sorted(found, key=lambda f: (f[0], f[1]))]
