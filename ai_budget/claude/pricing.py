"""The price of each API request: model ids as Claude Code writes them, dated rates, bands, fast mode, geo."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

# The rates of a price table, in its order; USD per million tokens.
RATE_KEYS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
# Costs are added up in whole pico-dollars: a rate of $r per million tokens is r × 10^6 pico-dollars
# a token, a whole number for any rate to six decimals, so sums are exact integers.
PICO_PER_DOLLAR = 10**12
PICO_PER_TOKEN = Decimal(1_000_000)  # per dollar-per-million-tokens
# What a cache rate is when a user's price names only input and output: the prompt-caching
# multipliers Anthropic publishes for every model up to Claude 5 (5-minute write, 1-hour write, read).
CACHE_MULTIPLIERS = {
    "cache_write_5m": Decimal("1.25"),
    "cache_write_1h": Decimal(2),
    "cache_read": Decimal("0.1"),
}
STANDARD_SPEED = ("", "standard")

_PROVIDER = re.compile(r"^(?:[a-z-]+\.)?anthropic\.")  # Bedrock: anthropic., us.anthropic., global.anthropic.
_VERSION = re.compile(r"-v\d+(?::\d+)?$")  # Bedrock: -v1, -v1:0, -v2:0
_SNAPSHOT = re.compile(r"-(?:\d{8}|latest)$")  # a dated snapshot, or the alias of the newest one


def canonical(model: str) -> str:
    """The model id without where and how it was called: `us.anthropic.claude-x-v1:0` → `claude-x`."""
    name = model.strip().lower().split("[", 1)[0]  # "[1m]": the 1M-context mark
    name = name.rsplit("/", 1)[-1]  # a Bedrock ARN, "anthropic/claude-…"
    name = _PROVIDER.sub("", name).split("@", 1)[0]  # Vertex: claude-x@20250929
    return _SNAPSHOT.sub("", _VERSION.sub("", name)).replace(".", "-")


class Rates(NamedTuple):
    """USD per million tokens of each kind."""

    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal


class Band(NamedTuple):
    """Rates for every token of a request whose prompt is over `above` tokens."""

    above: int
    rates: Rates


class Entry(NamedTuple):
    """One row of a price table: the rates of the models `ids` from `since` on (None: from the start)."""

    name: str
    ids: frozenset[str]
    since: date | None
    rates: Rates
    band: Band | None
    fast: Decimal | None  # the multiplier on every rate for fast mode; None: no fast rate known
    origin: str


class Override(NamedTuple):
    """A user's price: `changes` (rates, band, fast) for a model or a pattern of ids, from `since` on."""

    model: str | None
    pattern: str | None
    since: date | None
    changes: Mapping[str, Any]
    origin: str

    def names(self, model_id: str) -> bool:
        """Whether it applies to this canonical id."""
        if self.model is not None:
            return self.model == model_id
        return self.pattern is not None and fnmatchcase(model_id, self.pattern)


class Period(NamedTuple):
    """The prices of one model from `since` on, with where they came from."""

    since: date | None
    name: str
    rates: Rates
    band: Band | None
    fast: Decimal | None
    origin: str


def _day(since: date | None) -> int:
    """A date's place in time order; None is before every date."""
    return since.toordinal() if since is not None else 0


def _epoch(since: date | None) -> float:
    """The start of a date (UTC) in epoch seconds; None is the start of time."""
    if since is None:
        return float("-inf")
    return datetime(since.year, since.month, since.day, tzinfo=timezone.utc).timestamp()


def _apply(period: Period | None, o: Override, name: str, start: date | None) -> Period | None:
    """A period with an override's changes; from nothing (from `start`), only if it gives input and output."""
    if period is None:
        if "input" not in o.changes or "output" not in o.changes:
            return None
        base = o.changes["input"]
        rates = Rates(*(o.changes[k] if k in o.changes else base * CACHE_MULTIPLIERS[k] for k in RATE_KEYS))
        return Period(start, name, rates, o.changes.get("band"), o.changes.get("fast"), o.origin)
    rates = Rates(*(o.changes.get(k, getattr(period.rates, k)) for k in RATE_KEYS))
    band = o.changes.get("band", period.band)  # a null band or fast in settings removes it
    fast = o.changes.get("fast", period.fast)
    return Period(period.since, period.name, rates, band, fast, f"{period.origin}; {o.origin}")


def timeline(entries: Sequence[Entry], overrides: Iterable[Override], model_id: str) -> list[Period | None]:
    """A model's periods in date order: each table date and each override date starts one."""
    base = sorted(entries, key=lambda e: _day(e.since))
    mine = list(overrides)
    starts = sorted({e.since for e in base} | {o.since for o in mine}, key=_day)
    found: list[Period | None] = []
    for start in starts:
        earlier = [e for e in base if _day(e.since) <= _day(start)]
        # An entry also prices what came before its date: a message a model wrote on the eve of
        # the date recorded for it is still that model's.
        entry = earlier[-1] if earlier else (base[0] if base else None)
        period = None
        if entry is not None:
            period = Period(start, entry.name, entry.rates, entry.band, entry.fast, entry.origin)
        for o in mine:
            if _day(o.since) <= _day(start):
                period = _apply(period, o, model_id, start)
        found.append(period)
    return found


class PriceList:
    """The prices in force: a table (an updated one replaces it id by id) and the user's overrides."""

    def __init__(
        self,
        entries: Iterable[Entry],
        overrides: Iterable[Override] = (),
        *,
        web_search: Decimal = Decimal("0.01"),
        geo: Mapping[str, Decimal] | None = None,
        updated: Iterable[Entry] = (),
    ):
        self.entries = list(entries)
        self.updated = list(updated)
        self.overrides = list(overrides)
        self.web_search = web_search
        self.geo = dict(geo) if geo is not None else {"": Decimal(1)}
        self.web_search_pico = int(web_search * PICO_PER_DOLLAR)
        self.digest = ""  # set by the loader: a hash of everything the prices were read from
        self._lines: dict[str, tuple[list[float], list[Period | None]]] = {}
        self._picos: dict[tuple[Any, ...], tuple[int, ...] | None] = {}

    def table_for(self, model_id: str) -> list[Entry]:
        """The table entries of a canonical id: the updated table's when it has any."""
        newer = [e for e in self.updated if model_id in e.ids]
        return newer or [e for e in self.entries if model_id in e.ids]

    def periods(self, model: str) -> list[Period | None]:
        """Every period of a model id as written (None: a span with no price)."""
        return self._line(model)[1]

    def _line(self, model: str) -> tuple[list[float], list[Period | None]]:
        line = self._lines.get(model)
        if line is None:
            model_id = canonical(model)
            mine = [o for o in self.overrides if o.names(model_id)]
            periods = timeline(self.table_for(model_id), mine, model_id)
            line = self._lines[model] = ([_epoch(p.since if p else None) for p in periods], periods)
            if periods:
                line[0][0] = float("-inf")  # the first period also covers what came before it
        return line

    def period(self, model: str, ts: float | None) -> Period | None:
        """The period in force for a message of `model` at `ts` (epoch seconds; None: the latest)."""
        starts, periods = self._line(model)
        if not periods:
            return None
        return periods[-1] if ts is None else periods[bisect_right(starts, ts) - 1]

    def cost_pico(
        self,
        model: str,
        ts: float | None,
        speed: str,
        geo: str,
        prompt: int,
        counts: Sequence[int],
        searches: int,
    ) -> int | None:
        """Pico-dollars for one request (counts in RATE_KEYS order), or None when it has no price."""
        starts, periods = self._line(model)
        if not periods:
            return None
        at = len(periods) - 1 if ts is None else bisect_right(starts, ts) - 1
        period = periods[at]
        if period is None:
            return None
        banded = period.band is not None and prompt > period.band.above and speed in STANDARD_SPEED
        rates = self._rates(model, at, banded, speed, geo)
        if rates is None:
            return None
        # Written out rather than summed over zip: once per message of every file read (callgrind).
        tokens_in, tokens_out, writes_5m, writes_1h, reads = counts  # RATE_KEYS order
        r_in, r_out, r_5m, r_1h, r_read = rates
        return (
            tokens_in * r_in
            + tokens_out * r_out
            + writes_5m * r_5m
            + writes_1h * r_1h
            + reads * r_read
            + searches * self.web_search_pico
        )

    def _rates(self, model: str, at: int, banded: bool, speed: str, geo: str) -> tuple[int, ...] | None:
        """The pico rates of a model's period `at` (made once per key), None when it has no price."""
        key = (model, at, banded, speed, geo)
        rates = self._picos.get(key, ())
        if rates == ():
            period = self._line(model)[1][at]
            rates = None if period is None else self._pico_rates(period, banded, speed, geo)
            self._picos[key] = rates
        return rates

    def shared_rates(
        self,
        model: str,
        stamps: tuple[float, float] | None,
        undated: bool,
        speed: str,
        geo: str,
        prompts: Callable[[], tuple[int, int]],
    ) -> tuple[bool, tuple[int, ...] | None]:
        """Whether `cost_pico` prices requests (dated first to last, prompts' range) at one rate, which."""
        # Costs are linear in the counts, so requests at one rate cost that rate times their sums:
        # a file's totals are then priced once instead of once per message (bench/README.md).
        starts, periods = self._line(model)
        if not periods:
            return True, None
        ats = {len(periods) - 1} if undated else set()
        if stamps is not None:
            ats |= {bisect_right(starts, stamps[0]) - 1, bisect_right(starts, stamps[1]) - 1}
        if len(ats) != 1:
            return False, None
        at = ats.pop()
        period = periods[at]
        if period is None:
            return True, None
        banded = False
        if period.band is not None and speed in STANDARD_SPEED:
            least, most = prompts()
            if least <= period.band.above < most:
                return False, None  # some requests over the band, some not
            banded = least > period.band.above
        return True, self._rates(model, at, banded, speed, geo)

    def _pico_rates(self, period: Period, banded: bool, speed: str, geo: str) -> tuple[int, ...] | None:
        """Pico-dollars a token of each kind: the band's or the period's, times fast mode and geography."""
        factor = self.geo.get(geo)
        if factor is None:
            return None  # a geography with no known price
        if speed not in STANDARD_SPEED:
            if speed != "fast" or period.fast is None:
                return None
            factor *= period.fast  # on every rate, over the whole context: no band in fast mode
        rates = period.band.rates if banded and period.band is not None else period.rates
        return tuple(int((r * factor * PICO_PER_TOKEN).to_integral_value(ROUND_HALF_EVEN)) for r in rates)

    def cost(
        self,
        model: str,
        counts: Sequence[int],
        *,
        ts: float | None = None,
        speed: str = "",
        geo: str = "",
        prompt: int | None = None,
        searches: int = 0,
    ) -> Decimal | None:
        """Dollars for one request (counts in RATE_KEYS order); the prompt is input + cache unless given."""
        if prompt is None:
            prompt = counts[0] + counts[2] + counts[3] + counts[4]
        pico = self.cost_pico(model, ts, speed, geo, prompt, counts, searches)
        return None if pico is None else Decimal(pico) / PICO_PER_DOLLAR


def dollars(pico: int) -> Decimal:
    """Pico-dollars as dollars, exactly."""
    return Decimal(pico) / PICO_PER_DOLLAR
