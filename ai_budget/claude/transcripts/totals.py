"""Deduplicated totals over a set of files, per model and priced."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from ai_budget.claude.price_table import prices
from ai_budget.claude.pricing import dollars
from ai_budget.claude.transcripts.cache import Index, gc_paused
from ai_budget.claude.transcripts.discover import Transcript
from ai_budget.claude.transcripts.records import COUNT_FIELDS, Message, Row, contribution, merge, sum_rows
from ai_budget.claude.transcripts.scan import FileScan

K = TypeVar("K", bound=Hashable)


class Counts(Row):
    """Deduplicated totals for a set of messages, and their API-equivalent cost."""

    # Not fields: a Row's fields are the counts; the cost is set when the model is priced, and
    # `unpriced` names the models counted here that have no price (their cost is not in `cost`).
    cost: Decimal | None = Decimal(0)
    unpriced: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Iterable[int], cost: Decimal | None = Decimal(0)) -> Counts:
        """Counts from a totals row (in Row's field order) and a cost."""
        counts = cls._make(row)
        counts.cost = cost
        return counts

    @property
    def cost_is_lower_bound(self) -> bool:
        """Whether some models are unpriced while others are priced: the cost is only their part."""
        return bool(self.unpriced) and self.cost is not None

    @property
    def total_tokens(self) -> int:
        """Input + output + cache reads + cache writes."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_input_tokens
            + self.cache_creation_input_tokens
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON fields (cost in dollars, or None when the model is unpriced)."""
        data: dict[str, Any] = {k: getattr(self, k) for k in COUNT_FIELDS}
        data["total_tokens"] = self.total_tokens
        data["cost_usd"] = float(round(self.cost, 6)) if self.cost is not None else None
        data["cost_is_lower_bound"] = self.cost_is_lower_bound
        return data


class Window:
    """The window [since, until) of epoch seconds; no bounds means every message, dated or not."""

    def __init__(self, since: float | None, until: float | None):
        self.open = since is None and until is None
        self.low = since if since is not None else -math.inf
        self.high = until if until is not None else math.inf

    def __contains__(self, ts: float | None) -> bool:
        return self.open or (ts is not None and self.low <= ts < self.high)


def shared_ids(scans: Iterable[FileScan]) -> set[str]:
    """The message ids found in two or more of the scanned files."""
    seen: set[str] = set()
    shared: set[str] = set()
    for scan in scans:
        ids = set(scan.ids)
        shared |= ids & seen
        seen |= ids
    return shared


def bucketed(
    index: Index, files: list[Transcript], key: Callable[[float], K], since: float | None, until: float | None
) -> tuple[dict[tuple[K, str], list[int]], dict[str, list[int]]]:
    """Per (bucket, model) totals rows in the window, each message once; and the undated messages'."""
    # `key` only ever grows with time, so a file whose first and last messages share a bucket
    # and lie in the window, and share no id with another file, adds its cached per-model
    # totals as they are; the others' messages are read, ids found in several files merged first.
    window = Window(since, until)
    table = prices()
    scans = [index.scan(t.path, (t.size, t.mtime_ns)) for t in files]
    shared = shared_ids(scans)
    rows: dict[tuple[K, str], list[Iterable[int]]] = {}
    undated: dict[str, list[Iterable[int]]] = {}
    pooled: dict[str, Message] = {}

    def add(m: Message) -> None:
        if m.timestamp is None:
            if window.open:
                undated.setdefault(m.model, []).append(contribution(m, table))
        elif m.timestamp in window:
            rows.setdefault((key(m.timestamp), m.model), []).append(contribution(m, table))

    # Many messages unpacked and merged, no reference cycles: the cyclic GC would only walk them.
    with gc_paused():
        for t, scan in zip(files, scans, strict=True):
            if not scan.ids:
                continue
            first, last = scan.first_ts, scan.last_ts
            whole = not scan.undated and first in window and last in window
            if first is not None and last is not None and whole:
                bucket = key(first)
                if bucket == key(last) and shared.isdisjoint(scan.ids):
                    for model, row in scan.by_model.items():
                        rows.setdefault((bucket, model), []).append(row)
                    continue
            for msg_id, m in index.messages(t.path).items():
                if msg_id in shared:
                    old = pooled.get(msg_id)
                    pooled[msg_id] = m if old is None else merge(old, m)
                else:
                    add(m)
        for m in pooled.values():
            add(m)
    return {k: sum_rows(r) for k, r in rows.items()}, {m: sum_rows(r) for m, r in undated.items()}


def _one_bucket(ts: float) -> int:
    """Every moment in the same bucket: totals per model only."""
    return 0


def by_model_totals(
    index: Index, files: list[Transcript], since: float | None, until: float | None
) -> dict[str, list[int]]:
    """Per-model totals rows over files: each message once, in the window [since, until)."""
    rows, undated = bucketed(index, files, _one_bucket, since, until)
    found: dict[str, list[list[int]]] = {}
    for (_, model), row in rows.items():
        found.setdefault(model, []).append(row)
    for model, row in undated.items():  # only with no window: then they count too
        found.setdefault(model, []).append(row)
    return {model: sum_rows(r) for model, r in found.items()}


def price(model: str, row: Iterable[int]) -> Counts:
    """One model's counts, the cost of its priced calls (None, and the model named, when none has a price)."""
    counts = Counts._make(row)
    if counts.unpriced_calls:
        counts.unpriced = (model,)  # counted in tokens, never priced at zero
    if counts.unpriced_calls and counts.unpriced_calls >= counts.exchanges:
        counts.cost = None
    else:
        counts.cost = dollars(counts.cost_pico)
    return counts


def combined(parts: Iterable[Counts]) -> Counts:
    """Priced counts added up: the cost is None only when every part with calls is unpriced."""
    parts = list(parts)
    total = Counts.of(sum_rows(parts))
    total.unpriced = tuple(sorted({m for p in parts for m in p.unpriced}))
    costs = [p.cost for p in parts if p.cost is not None]
    # Nothing priced but something counted: the cost is unknown, not $0.
    total.cost = sum(costs, Decimal(0)) if costs or not total.unpriced else None
    return total


def priced(by_model: dict[str, list[int]]) -> tuple[Counts, dict[str, Counts], list[str]]:
    """The grand total, each model's priced counts, and the models with no known price."""
    counted = {model: price(model, row) for model, row in by_model.items()}
    total = combined(counted.values())
    return total, counted, list(total.unpriced)
