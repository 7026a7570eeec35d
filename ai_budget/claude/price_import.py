"""`prices update`: a price table from a file or an address (genai-prices' data.json, or ai-budget's own
format), checked whole, then written to this machine's override file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ai_budget.claude import price_table
from ai_budget.claude.pricing import RATE_KEYS, Entry, PriceList, canonical
from ai_budget.errors import InvalidInput
from ai_budget.fileio import write_atomic
from ai_budget.jsonio import dumps_pretty, loads

MAX_BYTES = 8 << 20  # genai-prices' whole data.json is under 0.5 MB; LiteLLM's, every provider, 1.6 MB
TIMEOUT_S = 30
GENAI_KEYS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_write_mtok": "cache_write_5m",
    "cache_write_1h_mtok": "cache_write_1h",
    "cache_read_mtok": "cache_read",
}
# An id, not a prefix: "claude-opus-4-6", "claude-3-5-haiku", "claude-4-opus", not "claude-sonnet-4-2025".
_FULL_ID = re.compile(r"^claude-(?:[a-z]+-)?\d{1,2}(?:-\d{1,2})?(?:-[a-z]+)?$")
FORMATS_HINT = (
    "give genai-prices' data.json (its prices/data.json) or a table in ai-budget's format (docs/prices.md)"
)


@dataclass
class Update:
    """What `prices update` read and wrote."""

    source: str
    dataset: str
    path: Path
    models: list[str]
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "from": self.source,
            "dataset": self.dataset,
            "written": str(self.path),
            "models": self.models,
            "changed": self.changed,
            "skipped": self.skipped,
        }


def read_source(source: str) -> bytes:
    """The bytes of a file, or of an http(s) address (the only network use, and only when asked)."""
    if source.startswith(("http://", "https://")):
        return _download(source)
    path = Path(source).expanduser()
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InvalidInput(
                f"{path} has {size:,} bytes: a price list is far smaller (at most {MAX_BYTES:,})"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file: give a price file or an http(s) address") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder: give a price file") from None
    except OSError as exc:
        raise InvalidInput(f"{path} cannot be read ({exc.strerror}): check its permissions") from None


def _download(url: str) -> bytes:
    """GET an address: a 200 with a body that is not a web page, else one line saying what came back."""
    from ai_budget import http
    from ai_budget.version import __version__

    headers = {"User-Agent": f"ai-budget/{__version__}", "Accept": "application/json"}
    try:
        answer = http.get(url, headers, TIMEOUT_S, MAX_BYTES)
    except http.HttpFailure as failure:
        why = {
            "too-big": f"sent more than {MAX_BYTES:,} bytes: that is no price list",
            "timeout": f"did not answer within {TIMEOUT_S} s: try again later",
            "unreachable": "cannot be reached: check the address and the network",
            "bad-url": "is not an http(s) address ai-budget can fetch",
        }.get(failure.kind, "broke off the transfer: try again")
        raise InvalidInput(f"{url} {why}") from None
    if 300 <= answer.status < 400:
        where = answer.headers.get("Location") or "elsewhere"
        raise InvalidInput(f"{url} redirects (HTTP {answer.status}) to {where}: give that address")
    if answer.status != 200:
        raise InvalidInput(f"{url} answered HTTP {answer.status}: check the address")
    kind = answer.headers.get("Content-Type") or ""
    if "html" in kind.lower() or answer.body.lstrip()[:1] == b"<":
        raise InvalidInput(f"{url} returned a web page, not a price list: give the raw file's address")
    return answer.body


def parse(raw: bytes, where: str) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(dataset, entries in ai-budget's format, models left out and why) of a price file's bytes."""
    try:
        data = loads(raw)
    except ValueError:
        raise InvalidInput(f"{where} is not valid JSON: {FORMATS_HINT}") from None
    if isinstance(data, dict) and isinstance(data.get("models"), list):
        return "ai-budget", data["models"], []
    if isinstance(data, list):
        entries, skipped = from_genai(data, where)
        return "genai-prices", entries, skipped
    if isinstance(data, dict) and any(isinstance(v, dict) and "litellm_provider" in v for v in data.values()):
        raise InvalidInput(f"{where} is LiteLLM's table, which has no dates: {FORMATS_HINT}")
    raise InvalidInput(f"{where} is no price table ai-budget reads: {FORMATS_HINT}")


def from_genai(providers: list[Any], where: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Anthropic's models as entries: one per dated price, a tier as a band, fast as a multiplier."""
    anthropic = next((p for p in providers if isinstance(p, dict) and p.get("id") == "anthropic"), None)
    models = anthropic.get("models") if anthropic is not None else None
    if not isinstance(models, list):
        raise InvalidInput(f"{where} has no Anthropic models: {FORMATS_HINT}")
    entries: list[dict[str, Any]] = []
    skipped: list[str] = []
    for model in models:
        if not isinstance(model, dict):
            continue
        name = str(model.get("name") or model.get("id") or "?")
        try:
            entries += _genai_model(model, name)
        except (KeyError, TypeError, ValueError) as exc:
            skipped.append(f"{name}: {exc}")
    return entries, skipped


def _genai_model(model: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """One genai-prices model's entries."""
    ids = sorted(_genai_ids(model))
    if not ids:
        raise ValueError("no model id")
    prices = model["prices"]
    periods = prices if isinstance(prices, list) else [{"prices": prices}]
    fast = _genai_fast(model.get("price_variants"), periods[-1]["prices"])
    found = []
    for period in periods:
        constraint = period.get("constraint") or {}
        if set(constraint) - {"start_date"}:
            continue  # a price for some hours of the day or the like: Anthropic has none
        row: dict[str, Any] = {"name": name, "ids": ids, "since": constraint.get("start_date")}
        row.update(_genai_rates(period["prices"]))
        if fast is not None:
            row["fast"] = fast
        found.append(row)
    return found


def _genai_ids(model: dict[str, Any]) -> set[str]:
    """The model's id and the full ids among its match rules, as ai-budget matches them."""
    texts = [model.get("id")]
    stack = [model.get("match")]
    while stack:
        clause = stack.pop()
        if isinstance(clause, dict):
            texts += [clause.get("equals"), clause.get("starts_with")]
            stack += [*(clause.get("or") or []), *(clause.get("and") or [])]
    return {canonical(t) for t in texts if isinstance(t, str) and _FULL_ID.match(canonical(t))}


def _number(value: Any) -> str:
    """A price as text, exactly as written (ValueError when it is no number)."""
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            return str(Decimal(str(value)))
        except InvalidOperation:
            pass
    raise ValueError(f"{value!r} is not a price")


def _genai_rates(prices: dict[str, Any]) -> dict[str, Any]:
    """The rates and a band from a price's first tier (every token of a request at the tier's rate)."""
    if "input_mtok" not in prices or "output_mtok" not in prices:
        raise ValueError("no input or output price")
    row: dict[str, Any] = {}
    band: dict[str, Any] = {}
    for theirs, ours in GENAI_KEYS.items():
        value = prices.get(theirs)
        if isinstance(value, dict):  # {"base": …, "tiers": [{"start": …, "price": …}]}
            tier = value["tiers"][0]
            band["above"] = int(tier["start"])
            band[ours] = _number(tier["price"])
            value = value["base"]
        if value is not None:
            row[ours] = _number(value)
    if band:
        for key in RATE_KEYS:  # a kind with no tier is priced the same in the band
            band.setdefault(key, row.get(key))
        row["band"] = {k: v for k, v in band.items() if v is not None}
    return row


def _genai_fast(variants: Any, base: dict[str, Any]) -> str | None:
    """The fast-mode multiplier: the fast price of input over the standard one."""
    for variant in variants if isinstance(variants, list) else []:
        if isinstance(variant, dict) and variant.get("when") == {"speed": "fast"}:
            fast, standard = variant["prices"]["input_mtok"], base["input_mtok"]
            if isinstance(standard, dict):
                standard = standard["base"]
            return str(Decimal(_number(fast)) / Decimal(_number(standard)))
    return None


def update(source: str, now: datetime | None = None) -> Update:
    """Read a price table, check every entry, and write it where `prices()` reads it (nothing on error)."""
    raw = read_source(source)
    dataset, entries, skipped = parse(raw, source)
    checked = [price_table.entry(e, f"{source} models[{i}]", "update") for i, e in enumerate(entries)]
    if not checked:
        raise InvalidInput(f"{source} holds no Claude prices: {FORMATS_HINT}")
    _, shipped = price_table.shipped()
    before = PriceList(shipped, updated=_kept())
    moment = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    document = {"dataset": dataset, "from": source, "fetched": moment, "models": entries}
    path = price_table.update_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dumps_pretty(document) + "\n")
    ids = sorted({i for e in checked for i in e.ids})
    after = PriceList(shipped, updated=checked)
    return Update(source, dataset, path, ids, _changes(before, after, ids), skipped)


def _kept() -> list[Entry]:
    """The entries of the table updated before, when it can be read (a broken one is being replaced)."""
    path = price_table.update_path()
    try:
        return price_table.updated_entries(path.read_bytes(), path)
    except (OSError, InvalidInput):
        return []


def _changes(before: PriceList, after: PriceList, ids: list[str]) -> list[str]:
    """Each model whose price today is not what it was: `claude-x: input 3 → 2`."""
    found = []
    for model_id in ids:
        old, new = before.period(model_id, None), after.period(model_id, None)
        assert new is not None  # every id of the new table has its rows
        if old is None:
            found.append(f"{model_id}: newly priced")
            continue
        moved = [
            f"{key} {getattr(old.rates, key)} → {getattr(new.rates, key)}"
            for key in RATE_KEYS
            if getattr(old.rates, key) != getattr(new.rates, key)
        ]
        if moved:
            found.append(f"{model_id}: {', '.join(moved)}")
    return found


def reset() -> Path | None:
    """Remove the updated table (back to the shipped one); the path removed, or None if there was none."""
    path = price_table.update_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path
