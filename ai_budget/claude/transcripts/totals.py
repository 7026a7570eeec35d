"""Deduplicated totals over a set of files, per model and priced."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ai_budget.claude.pricing import prices
from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.discover import Transcript
from ai_budget.claude.transcripts.records import Message, Row, contribution, merge, sum_rows


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
        data: dict[str, Any] = self._asdict()
        data["total_tokens"] = self.total_tokens
        data["cost_usd"] = float(round(self.cost, 6)) if self.cost is not None else None
        data["cost_is_lower_bound"] = self.cost_is_lower_bound
        return data


def by_model_totals(
    index: Index, files: list[Transcript], since: float | None, until: float | None
) -> dict[str, list[int]]:
    """Per-model totals rows over files: each message once, in the window [since, until)."""
    # A file's cached per-model totals are used as they are when every message in it lies in
    # the window and none of its ids appears in another file; otherwise its messages are read.
    windowed = since is not None or until is not None
    low = since if since is not None else float("-inf")
    high = until if until is not None else float("inf")

    def inside(ts: float | None) -> bool:
        return not windowed or (ts is not None and low <= ts < high)

    scans = [index.scan(t.path, (t.size, t.mtime_ns)) for t in files]
    seen: set[str] = set()
    shared: set[str] = set()
    for scan in scans:
        ids = set(scan.ids)
        shared |= ids & seen
        seen |= ids
    rows: dict[str, list[Iterable[int]]] = {}
    pooled: dict[str, Message] = {}  # ids found in several files: merged before counting
    for transcript, scan in zip(files, scans, strict=True):
        if not scan.ids:
            continue
        whole = not scan.undated and inside(scan.first_ts) and inside(scan.last_ts)
        if whole and shared.isdisjoint(scan.ids):
            for model, row in scan.by_model.items():
                rows.setdefault(model, []).append(row)
            continue
        for key, m in index.messages(transcript.path).items():
            if key in shared:
                old = pooled.get(key)
                pooled[key] = m if old is None else merge(old, m)
            elif inside(m.timestamp):
                rows.setdefault(m.model, []).append(contribution(m))
    for m in pooled.values():
        if inside(m.timestamp):
            rows.setdefault(m.model, []).append(contribution(m))
    return {model: sum_rows(r) for model, r in rows.items()}


def price(model: str, row: Iterable[int]) -> Counts:
    """One model's counts, priced (cost None, and the model named, when it has no price)."""
    counts = Counts._make(row)
    counts.cost = prices().cost(
        model,
        counts.input_tokens,
        counts.output_tokens,
        counts.cache_read_input_tokens,
        counts.cache_creation_5m_tokens,
        counts.cache_creation_1h_tokens,
        counts.web_search_requests,
    )
    if counts.cost is None:
        counts.unpriced = (model,)  # counted in tokens, never priced at zero
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
