"""API-equivalent cost of token counts, from the shipped pricing.json (prices are data, not code)."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from ai_budget.jsonio import loads

PRICES_FILE = Path(__file__).resolve().parent / "pricing.json"
MILLION = Decimal(1_000_000)


# NamedTuples, not frozen dataclasses: as immutable, and a tenth of the import time (`tokens`
# pays it on every run).
class Rate(NamedTuple):
    """Prices for one model family, USD per million tokens."""

    name: str
    pattern: re.Pattern[str]
    input: Decimal
    output: Decimal


class PriceList(NamedTuple):
    """Every rate plus the cache and web-search multipliers."""

    rates: tuple[Rate, ...]
    cache_read: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    web_search: Decimal

    def rate(self, model: str) -> Rate | None:
        """The first rate whose pattern matches the model id, or None (unpriced)."""
        lowered = model.lower()
        for rate in self.rates:
            if rate.pattern.search(lowered):
                return rate
        return None

    def cost(
        self,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_read: int,
        write_5m: int,
        write_1h: int,
        web_searches: int,
    ) -> Decimal | None:
        """Dollars for these counts, or None when the model has no known price."""
        rate = self.rate(model)
        if rate is None:
            return None
        per_token_in = rate.input / MILLION
        return (
            input_tokens * per_token_in
            + output_tokens * rate.output / MILLION
            + cache_read * per_token_in * self.cache_read
            + write_5m * per_token_in * self.cache_write_5m
            + write_1h * per_token_in * self.cache_write_1h
            + web_searches * self.web_search
        )


@lru_cache(maxsize=1)
def prices(path: Path = PRICES_FILE) -> PriceList:
    """Load the price list once."""
    data = loads(path.read_bytes())
    return PriceList(
        rates=tuple(
            Rate(m["name"], re.compile(m["pattern"]), Decimal(m["input"]), Decimal(m["output"]))
            for m in data["models"]
        ),
        cache_read=Decimal(data["cache_read_multiplier"]),
        cache_write_5m=Decimal(data["cache_write_5m_multiplier"]),
        cache_write_1h=Decimal(data["cache_write_1h_multiplier"]),
        web_search=Decimal(data["web_search_per_request"]),
    )
