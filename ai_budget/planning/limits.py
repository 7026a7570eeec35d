"""Limit changes: tokens per 5-hour percent per session, a lasting step in them, how samples weigh."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

# A session's 5-hour delta is a difference of two whole percents, so it is off by up to ±1: at 5 % that
# is ±20 % on its tokens per %, at 1 % it is ±100 %. Sessions below this delta say nothing about the limit.
MIN_PCT = 5.0
# The median of the last AFTER sessions against the median of the BEFORE sessions before them. A session's
# tokens per % spread by about ±30 % (output tokens are only part of what the window counts, and models
# count differently): at 5 against 10, 82 % of simulated 100-session histories without any change
# raised a false alarm; with these windows and the Z rule below, 8 %, and a 1.9× step is found after
# about 7 sessions (the figures and how they were made are in docs/design.md, "Calibration").
BEFORE = 20
AFTER = 10
# A change must move the median by this factor, either way: the real changes so far were about 2×.
MIN_RATIO = 1.5
# ...and by Z standard errors of the difference of the two medians, from the spread seen in the window
# (1.4826 × the median absolute deviation; a median's error is 1.2533 σ/√n): noisier sessions need a
# bigger step.
Z = 3.0
# Fewest sessions on either side of a located change: the median of 3 is the least that a single odd
# session cannot move.
MIN_SIDE = 3
# Samples from before a change: their %/unit is divided by the change's ratio (the same work is fewer
# percents of a bigger window), and they count at this weight, since the ratio itself is an estimate.
OLD_WEIGHT = 0.25


@dataclass(frozen=True)
class Point:
    """One logged session: when it started, its output tokens and its 5-hour delta."""

    at: datetime
    output_tokens: float
    five_hour_pct: float

    @property
    def tokens_per_pct(self) -> float:
        """Output tokens per percent of the 5-hour window."""
        return self.output_tokens / self.five_hour_pct


@dataclass(frozen=True)
class Change:
    """A lasting step in tokens per %: since when, by what factor (new over old), and on how many sessions."""

    since: datetime
    ratio: float
    sessions_before: int
    sessions_after: int


@dataclass(frozen=True)
class Sample:
    """A calibration sample (or a lump of `count` that cannot be told apart): when, units and percent."""

    at: datetime
    units: float
    pct: float
    count: int = 1


def usable(points: Sequence[Point]) -> list[Point]:
    """Sessions that can measure the limit (a delta of at least MIN_PCT and some output), oldest first."""
    return sorted(
        (p for p in points if p.five_hour_pct >= MIN_PCT and p.output_tokens > 0), key=lambda p: p.at
    )


def _beyond(ratio: float) -> bool:
    return ratio >= MIN_RATIO or ratio <= 1 / MIN_RATIO


def _significant(logs: list[float]) -> bool:
    """Whether the medians of the two sides (logs of tokens per %) differ by Z of their standard errors."""
    old, new = median(logs[:BEFORE]), median(logs[BEFORE:])
    sigma = 1.4826 * median([abs(x - old) for x in logs[:BEFORE]] + [abs(x - new) for x in logs[BEFORE:]])
    return abs(new - old) >= Z * 1.2533 * sigma * math.sqrt(1 / BEFORE + 1 / AFTER)


def _cost(logs: list[float]) -> float:
    """Total distance from the median (a step's two sides fit their own medians best)."""
    mid = median(logs)
    return sum(abs(x - mid) for x in logs)


def _split(logs: list[float]) -> int:
    """Where the step is: the first index of its new side (the split that fits both sides best)."""
    best, where = math.inf, len(logs) - MIN_SIDE
    for k in range(MIN_SIDE, len(logs) - MIN_SIDE + 1):
        cost = _cost(logs[:k]) + _cost(logs[k:])
        if cost < best - 1e-12:  # the earliest of equal fits
            best, where = cost, k
    return where


def detect(points: Sequence[Point], after: datetime | None = None) -> Change | None:
    """A lasting step in tokens per % among the sessions from `after` on (the last known change), or None."""
    # The median of the last AFTER usable sessions against the BEFORE before them must differ by
    # MIN_RATIO; the change is then placed at the split of those sessions that fits both sides best,
    # and its ratio is the median after it over the median before it.
    pts = [p for p in usable(points) if after is None or p.at >= after]
    if len(pts) < BEFORE + AFTER:
        return None
    window = pts[-(BEFORE + AFTER) :]
    rates = [p.tokens_per_pct for p in window]
    logs = [math.log(r) for r in rates]
    if not _beyond(median(rates[BEFORE:]) / median(rates[:BEFORE])) or not _significant(logs):
        return None
    k = _split(logs)
    ratio = median(rates[k:]) / median(rates[:k])
    if not _beyond(ratio):
        return None
    return Change(
        since=window[k].at, ratio=round(ratio, 4), sessions_before=k, sessions_after=len(window) - k
    )


def _weights(samples: Sequence[Sample], changes: Sequence[Change], half_life: float | None) -> list[float]:
    """Each sample's weight: OLD_WEIGHT per later change, halved every `half_life` newer samples."""
    newer, found = 0, []
    for s in reversed(samples):
        w = OLD_WEIGHT ** sum(1 for c in changes if s.at < c.since)
        if half_life:
            w *= 0.5 ** (newer / half_life)
        found.append(w)
        newer += s.count
    return found[::-1]


def weighted_rate(
    samples: Sequence[Sample], changes: Sequence[Change] = (), half_life: float | None = None
) -> float | None:
    """%/unit from samples (oldest first): Σ w·pct/r ÷ Σ w·units, r the ratios of the changes since each."""
    # With no change and no half-life every w and r is 1: the stored ratio of sums.
    top = bottom = 0.0
    for s, w in zip(samples, _weights(samples, changes, half_life), strict=True):
        scale = math.prod(1 / c.ratio for c in changes if s.at < c.since)
        top += w * s.pct * scale
        bottom += w * s.units
    return top / bottom if bottom > 0 else None


def predating(samples: Sequence[Sample], changes: Sequence[Change]) -> Change | None:
    """The latest change that some of these samples predate, or None."""
    for change in sorted(changes, key=lambda c: c.since, reverse=True):
        if any(s.at < change.since for s in samples):
            return change
    return None
