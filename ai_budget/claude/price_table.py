"""Where prices come from (the shipped table, `prices update`'s, settings.prices) and their checks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.claude.pricing import (
    CACHE_MULTIPLIERS,
    RATE_KEYS,
    Band,
    Entry,
    Override,
    PriceList,
    Rates,
    canonical,
)
from ai_budget.errors import InvalidInput
from ai_budget.jsonio import loads

BUILTIN = Path(__file__).resolve().parent / "pricing.json"
UPDATE_FILE = "prices.json"  # in the state folder: this machine's, never in the journal's git
MAX_RATE = Decimal(10_000)  # dollars per million tokens: more is a typo, not a price
MAX_FAST = Decimal(100)
ENTRY_KEYS = frozenset({"name", "ids", "since", *RATE_KEYS, "band", "fast", "source", "note"})
OVERRIDE_KEYS = frozenset({"model", "pattern", "since", *RATE_KEYS, "band", "fast", "note"})
BAND_KEYS = frozenset({"above", *RATE_KEYS})
KEYS_HINT = "see docs/prices.md for the keys and their units"

_home: Path | None = None
_cached: tuple[tuple[Any, ...], PriceList] | None = None


def use_home(home: Path | None) -> None:
    """Read settings.prices from this journal (None: $AI_BUDGET_HOME or ~/.ai-budget)."""
    global _home
    _home = home


def budget_path() -> Path:
    """The budget.json whose settings.prices apply."""
    return (_home if _home is not None else paths.journal_home()) / paths.BUDGET_FILE


def update_path() -> Path:
    """The table `prices update` writes."""
    return paths.state_dir() / UPDATE_FILE


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def prices() -> PriceList:
    """The prices in force here (the shipped table, the updated one, settings.prices), read again only
    when one of their files changed."""
    global _cached
    budget, update = budget_path(), update_path()
    key = (str(budget), _stamp(budget), str(update), _stamp(update))
    if _cached is None or _cached[0] != key:
        _cached = (key, load(budget, update))
    return _cached[1]


def shipped() -> tuple[dict[str, Any], list[Entry]]:
    """The shipped table: its data and its entries."""
    data = loads(BUILTIN.read_bytes())
    return data, [entry(e, f"{BUILTIN.name} models[{i}]", "shipped") for i, e in enumerate(data["models"])]


def load(budget: Path, update: Path, *, strict: bool = False) -> PriceList:
    """The shipped table, the updated one if any, and the overrides (a broken budget.json: none)."""
    data, entries = shipped()
    updated: list[Entry] = []
    raw_update = _read(update)
    if raw_update is not None:
        updated = updated_entries(raw_update, update)
    raw_budget = _read(budget)
    overrides = settings_overrides(raw_budget, budget, strict=strict) if raw_budget is not None else []
    table = PriceList(
        entries,
        overrides,
        web_search=rate(data["web_search_per_request"], "web_search_per_request"),
        geo={k: rate(v, f"geo.{k}") for k, v in data["geo"].items()},
        updated=updated,
    )
    table.digest = _digest(raw_update, overrides)
    return table


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInput(f"{path} cannot be read ({exc.strerror}): check its permissions") from None


def _digest(raw_update: bytes | None, overrides: list[Override]) -> str:
    """What the prices depend on, hashed: costs kept in the transcript cache are only reused with it."""
    try:  # the C module alone: hashlib loads OpenSSL first, milliseconds of every `tokens`
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import blake2b

    parts = repr(
        (BUILTIN.read_bytes(), raw_update, [(o[:3], sorted(o.changes.items()), o.origin) for o in overrides])
    )
    return blake2b(parts.encode(), digest_size=6).hexdigest()


def updated_entries(raw: bytes, path: Path) -> list[Entry]:
    """The entries of the file `prices update` wrote."""
    hint = "run `ai-budget prices update` again, or `ai-budget prices reset` to go back to the shipped table"
    try:
        data = loads(raw)
        models = data["models"]
        origin = f"prices update from {data['from']} ({data['fetched'][:10]})"
        return [entry(e, f"{path} models[{i}]", origin) for i, e in enumerate(models)]
    except InvalidInput as exc:
        raise InvalidInput(f"{exc}; {hint}") from None
    except (ValueError, KeyError, TypeError):
        raise InvalidInput(f"{path} is not a price table ai-budget wrote: {hint}") from None


def settings_overrides(raw: bytes, path: Path, *, strict: bool = False) -> list[Override]:
    """budget.json's settings.prices (nothing when budget.json itself is broken, unless strict)."""
    try:
        data = loads(raw)
    except ValueError:
        if strict:
            raise InvalidInput(
                f"{path} is not valid JSON: settings.prices cannot be read; fix the file"
            ) from None
        return []  # the commands that read the journal say what is wrong with it
    settings = data.get("settings") if isinstance(data, dict) else None
    found = settings.get("prices") if isinstance(settings, dict) else None
    if found is None:
        return []
    where = f"{path} settings.prices"
    if not isinstance(found, list):
        raise InvalidInput(f"{where}: not a list: give a list of prices, {KEYS_HINT}")
    return [override(item, f"{where}[{i}]") for i, item in enumerate(found)]


def _keys(item: Any, allowed: frozenset[str], where: str) -> Mapping[str, Any]:
    """An object whose keys are all known."""
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: not an object: {KEYS_HINT}")
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise InvalidInput(f"{where}: unknown key {unknown[0]!r}: use {', '.join(sorted(allowed))}")
    return item


def rate(value: Any, where: str, limit: Decimal = MAX_RATE) -> Decimal:
    """A price (or a multiplier): a number from 0 up to `limit`."""
    bad = f"{where}: {value!r} is not a price: give a number of dollars from 0 to {limit}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidInput(bad)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(bad) from None
    if not number.is_finite() or number < 0 or number > limit:
        raise InvalidInput(bad)
    return number


def since(value: Any, where: str) -> date | None:
    """A date written YYYY-MM-DD, or None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{where}: {value!r} is not a date: write it YYYY-MM-DD") from None


def _rates(item: Mapping[str, Any], where: str) -> Rates:
    """All five rates; a missing cache rate from the published multipliers of input."""
    for key in ("input", "output"):
        if key not in item:
            raise InvalidInput(f"{where}: no {key!r} price: give dollars per million tokens")
    base = rate(item["input"], f"{where}.input")
    return Rates(
        *(rate(item[k], f"{where}.{k}") if k in item else base * CACHE_MULTIPLIERS[k] for k in RATE_KEYS)
    )


def band(value: Any, where: str) -> Band | None:
    """A band: `above` a number of prompt tokens, and its rates (null: no band)."""
    if value is None:
        return None
    item = _keys(value, BAND_KEYS, where)
    above = item.get("above")
    if isinstance(above, bool) or not isinstance(above, int) or above <= 0:
        raise InvalidInput(f"{where}.above: {above!r} is not a number of tokens: give a whole number over 0")
    return Band(above, _rates(item, where))


def fast(value: Any, where: str) -> Decimal | None:
    """The fast-mode multiplier (null: no fast rate)."""
    if value is None:
        return None
    factor = rate(value, where, MAX_FAST)
    if factor == 0:
        raise InvalidInput(f"{where}: 0 is not a multiplier: give the factor on every rate, such as 2")
    return factor


def _ids(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidInput(f'{where}.ids: give a list of model ids, such as ["claude-sonnet-5-5"]')
    return frozenset(canonical(v) for v in value)


def entry(item: Any, where: str, origin: str) -> Entry:
    """One table row."""
    item = _keys(item, ENTRY_KEYS, where)
    ids = _ids(item.get("ids"), where)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        name = sorted(ids)[0]
    return Entry(
        name,
        ids,
        since(item.get("since"), f"{where}.since"),
        _rates(item, where),
        band(item.get("band"), f"{where}.band"),
        fast(item.get("fast"), f"{where}.fast"),
        origin,
    )


def override(item: Any, where: str) -> Override:
    """One settings.prices item: `model` or `pattern`, an optional `since`, and what it changes."""
    item = _keys(item, OVERRIDE_KEYS, where)
    model, pattern = item.get("model"), item.get("pattern")
    if (model is None) == (pattern is None):
        raise InvalidInput(
            f'{where}: give either "model" (one model id) or "pattern" (such as "claude-opus-*")'
        )
    for key, value in (("model", model), ("pattern", pattern)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InvalidInput(
                f'{where}.{key}: {value!r} is not a model id: give text such as "claude-opus-5"'
            )
    changes: dict[str, Any] = {k: rate(item[k], f"{where}.{k}") for k in RATE_KEYS if k in item}
    if "band" in item:
        changes["band"] = band(item["band"], f"{where}.band")
    if "fast" in item:
        changes["fast"] = fast(item["fast"], f"{where}.fast")
    if not changes:
        raise InvalidInput(f"{where}: sets no price: give input, output, cache rates, band or fast")
    return Override(
        canonical(model) if model is not None else None,
        pattern.strip().lower() if pattern is not None else None,
        since(item.get("since"), f"{where}.since"),
        changes,
        f"settings.prices[{where.rsplit('[', 1)[-1]}",
    )
