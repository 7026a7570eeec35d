"""`ai-budget prices`: the table in force, where each rate came from, and the models seen with no price."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget.claude import price_table
from ai_budget.claude.pricing import RATE_KEYS, Period, PriceList
from ai_budget.errors import InvalidInput
from ai_budget.jsonio import loads


@dataclass
class Row:
    """One model's prices from one date on (ids that share every period are one row)."""

    ids: list[str]
    period: Period

    def as_dict(self) -> dict[str, Any]:
        """JSON form: rates as numbers (USD per million tokens)."""
        p = self.period
        band = None
        if p.band is not None:
            band = {"above": p.band.above, **{k: float(getattr(p.band.rates, k)) for k in RATE_KEYS}}
        return {
            "name": p.name,
            "ids": self.ids,
            "since": p.since.isoformat() if p.since else None,
            **{k: float(getattr(p.rates, k)) for k in RATE_KEYS},
            "band": band,
            "fast": float(p.fast) if p.fast is not None else None,
            "from": p.origin,
        }


@dataclass
class Unpriced:
    """A model the transcripts name whose calls (some or all) have no price."""

    model: str
    calls: int
    why: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"model": self.model, "calls": self.calls, "why": self.why}


@dataclass
class PriceReport:
    """What `ai-budget prices` shows."""

    rows: list[Row]
    geo: dict[str, Decimal]
    web_search: Decimal
    read: str  # when the shipped table was read from the official pages
    update: dict[str, Any] | None  # the updated table's dataset, address and date
    overrides: int  # settings.prices items
    budget: Path
    unpriced: list[Unpriced] = field(default_factory=list)
    transcripts: bool | None = True  # False: none were found; None: not looked through

    def as_dict(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "models": [r.as_dict() for r in self.rows],
            "geo": {k: float(v) for k, v in self.geo.items()},
            "web_search_per_request": float(self.web_search),
            "shipped_table_read": self.read,
            "update": self.update,
            "settings_prices": self.overrides,
            "budget_file": str(self.budget),
            "unpriced_models": [u.as_dict() for u in self.unpriced],
            "transcripts_found": self.transcripts,
        }


def rows(table: PriceList) -> list[Row]:
    """Every priced model id's periods, ids with the same periods together, in the shipped table's order."""
    ids: list[str] = []
    for e in [*table.updated, *table.entries]:
        ids += sorted(e.ids - set(ids))
    ids += sorted({o.model for o in table.overrides if o.model is not None} - set(ids))
    groups: dict[tuple[Period | None, ...], list[str]] = {}
    for model_id in ids:
        groups.setdefault(tuple(table.periods(model_id)), []).append(model_id)
    return [Row(group, p) for periods, group in groups.items() for p in periods if p is not None]


def _update_meta(path: Path) -> dict[str, Any] | None:
    try:
        data = loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {
        "dataset": data.get("dataset"),
        "from": data.get("from"),
        "fetched": data.get("fetched"),
        "file": str(path),
    }


def unpriced(table: PriceList, claude_dirs: list[Path]) -> list[Unpriced] | None:
    """Models in the transcripts with calls that have no price (None: no transcripts were found)."""
    from ai_budget.claude.transcripts import tokens

    try:
        report = tokens(claude_dirs, all_sessions=True)
    except InvalidInput:
        return None
    found = []
    for model, counts in sorted(report.by_model.items()):
        if counts.unpriced_calls:
            why = "some calls are in fast mode or a geography with no price"
            if not table.periods(model):
                why = "no price for this model id"
            found.append(Unpriced(model, counts.unpriced_calls, why))
    return found


def report(claude_dirs: list[Path], *, look: bool = True) -> PriceReport:
    """The prices in force (a broken settings.prices or budget.json is an error here) and, if `look`, gaps."""
    budget, update = price_table.budget_path(), price_table.update_path()
    table = price_table.load(budget, update, strict=True)
    data, _ = price_table.shipped()
    seen = unpriced(table, claude_dirs) if look else None
    return PriceReport(
        rows(table),
        table.geo,
        table.web_search,
        str(data["read"]),
        _update_meta(update) if table.updated else None,
        len(table.overrides),
        budget,
        seen or [],
        None if not look else seen is not None,
    )
