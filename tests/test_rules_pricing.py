"""The price rules by themselves: model ids, dates, bands, fast mode, geography, overrides, their checks,
the genai-prices reader and the comparison with Claude Code's own figure. Expected dollars are worked
out here from the rates written down below, never read back from the code."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from ai_budget.claude import client_cost, price_import, price_table
from ai_budget.claude.pricing import Band, Entry, Override, PriceList, Rates, canonical, dollars, timeline
from ai_budget.errors import InvalidInput

M = Decimal(1_000_000)
# USD per million tokens as the official pages give them (read 2026-12-07): input, output,
# 5-minute write, 1-hour write, cache read.
SONNET_5_5_OCT = (Decimal(2), Decimal(10), Decimal("2.5"), Decimal(4), Decimal("0.10"))
SONNET_5_5_SEP = (Decimal(2), Decimal(10), Decimal("2.5"), Decimal(4), Decimal("0.20"))
SONNET_5 = (Decimal(2), Decimal(10), Decimal("2.5"), Decimal(4), Decimal("0.20"))
HAIKU_5_5 = (Decimal("0.10"), Decimal("0.50"), Decimal("0.125"), Decimal("0.20"), Decimal("0.01"))
HAIKU_5_5_OVER_100K = tuple(r * 5 for r in HAIKU_5_5)
OPUS_5_5 = (Decimal(4), Decimal(20), Decimal(5), Decimal(8), Decimal("0.20"))


def at(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp()


def by_hand(counts: tuple[int, ...], rates: tuple[Decimal, ...], factor: Decimal = Decimal(1)) -> Decimal:
    return sum((n * r for n, r in zip(counts, rates, strict=True)), Decimal(0)) * factor / M


@pytest.fixture
def shipped() -> PriceList:
    return price_table.load(Path("/nonexistent/budget.json"), Path("/nonexistent/prices.json"))


# --- model ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "claude-sonnet-5-5",
        "claude-sonnet-5-5-20261001",
        "claude-sonnet-5-5[1m]",
        "Claude-Sonnet-5-5 ",
        "claude-sonnet-5-5-latest",
        "anthropic.claude-sonnet-5-5-v1",
        "us.anthropic.claude-sonnet-5-5-20261001-v1:0",
        "global.anthropic.claude-sonnet-5-5-v2:0",
        "claude-sonnet-5-5@20261001",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-5-5-v1:0",
        "claude-sonnet-5.5",
        # Everything after the first mark is dropped, whatever follows it.
        "claude-sonnet-5-5[1m][beta]",
        "claude-sonnet-5-5@20261001@us",
        "projects/p/locations/global/publishers/anthropic/models/claude-sonnet-5-5@20261001",
    ],
)
def test_model_ids_as_claude_code_and_providers_write_them(written: str, shipped: PriceList) -> None:
    assert canonical(written) == "claude-sonnet-5-5"
    period = shipped.period(written, at("2026-11-20"))
    assert period is not None and period.name == "Claude Sonnet 5.5"


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("claude-sonnet-5", "Claude Sonnet 5"),
        ("claude-sonnet-5-20260630", "Claude Sonnet 5"),
        ("claude-opus-5", "Claude Opus 5"),
        ("claude-opus-5-5", "Claude Opus 5.5"),
        ("claude-fable-5", "Claude Fable 5"),
        ("claude-fable-5-1", "Claude Fable 5.1"),
        ("claude-mythos-5-2", "Claude Fable 5.2"),
        ("claude-haiku-4-5-20251001", "Claude Haiku 4.5"),
        ("claude-3-5-haiku-20241022", "Claude Haiku 3.5"),
        ("claude-opus-4-20250514", "Claude Opus 4"),
        ("claude-opus-4-1-20250805", "Claude Opus 4.1"),
    ],
)
def test_the_most_specific_family_wins(written: str, name: str, shipped: PriceList) -> None:
    period = shipped.period(written, None)
    assert period is not None and period.name == name


@pytest.mark.parametrize(
    "written", ["claude-sonnet-5-6", "claude-sonnet", "sonnet", "claude-opus-6", "glm-5.1"]
)
def test_an_unknown_model_has_no_price_never_an_older_one(written: str, shipped: PriceList) -> None:
    assert shipped.periods(written) == []
    assert shipped.cost(written, (1, 1, 1, 1, 1)) is None


# --- dates, bands, fast mode, geography -----------------------------------------------------------


def test_a_message_is_priced_at_the_rate_in_force_on_its_date(shipped: PriceList) -> None:
    counts = (1000, 2000, 3000, 4000, 500_000)
    sep = shipped.cost("claude-sonnet-5-5", counts, ts=at("2026-10-06T23:59:59"))
    oct_ = shipped.cost("claude-sonnet-5-5", counts, ts=at("2026-10-07"))
    assert sep == by_hand(counts, SONNET_5_5_SEP)
    assert oct_ == by_hand(counts, SONNET_5_5_OCT)
    # Before the first date recorded: the first rates; undated: today's.
    assert shipped.cost("claude-sonnet-5-5", counts, ts=at("2026-01-01")) == by_hand(counts, SONNET_5_5_SEP)
    assert shipped.cost("claude-sonnet-5-5", counts) == by_hand(counts, SONNET_5_5_OCT)


def test_haiku_5_5_bills_every_token_of_a_prompt_over_100k_at_five_times(shipped: PriceList) -> None:
    # The prompt is input + cache reads + cache writes: 60,000 + 30,000 + 10,000 = 100,000.
    at_limit = (60_000, 1000, 4000, 6000, 30_000)
    assert shipped.cost("claude-haiku-5-5", at_limit) == by_hand(at_limit, HAIKU_5_5)
    over = (60_001, 1000, 4000, 6000, 30_000)
    assert shipped.cost("claude-haiku-5-5", over) == by_hand(over, HAIKU_5_5_OVER_100K)
    # Output does not count toward the prompt.
    long_answer = (1000, 500_000, 0, 0, 0)
    assert shipped.cost("claude-haiku-5-5", long_answer) == by_hand(long_answer, HAIKU_5_5)
    # A prompt given apart (the largest request of an advisor turn) decides the band.
    assert shipped.cost("claude-haiku-5-5", at_limit, prompt=100_001) == by_hand(
        at_limit, HAIKU_5_5_OVER_100K
    )


def test_fast_mode_and_us_inference_multiply_every_token_rate(shipped: PriceList) -> None:
    counts = (1000, 2000, 3000, 4000, 5000)
    assert shipped.cost("claude-opus-5-5", counts, speed="fast") == by_hand(counts, OPUS_5_5, Decimal(2))
    assert shipped.cost("claude-opus-5-5", counts, geo="us") == by_hand(counts, OPUS_5_5, Decimal("1.1"))
    both = shipped.cost("claude-opus-5-5", counts, speed="fast", geo="us")
    assert both == by_hand(counts, OPUS_5_5, Decimal("2.2"))
    for same in ("", "global", "not_available"):
        assert shipped.cost("claude-opus-5-5", counts, geo=same) == by_hand(counts, OPUS_5_5)
    assert shipped.cost("claude-opus-5-5", counts, speed="standard") == by_hand(counts, OPUS_5_5)


def test_fast_mode_ignores_the_band_and_web_search_is_per_request(shipped: PriceList) -> None:
    opus46 = (Decimal(5), Decimal(25), Decimal("6.25"), Decimal(10), Decimal("0.50"))
    big = (300_000, 1000, 0, 0, 0)
    when = at("2026-02-20")  # Opus 4.6 had a 200k band until 2026-03-13
    assert shipped.cost("claude-opus-4-6", big, ts=when) == by_hand(
        big, tuple(r * 2 for r in opus46[:1]) + (Decimal("37.5"), Decimal("12.5"), Decimal(20), Decimal(1))
    )
    assert shipped.cost("claude-opus-4-6", big, ts=when, speed="fast") == by_hand(big, opus46, Decimal(6))
    assert shipped.cost("claude-opus-4-6", big, ts=at("2026-03-13")) == by_hand(big, opus46)
    assert shipped.cost("claude-haiku-5-5", (0, 0, 0, 0, 0), searches=3) == Decimal("0.03")


@pytest.mark.parametrize(("speed", "geo"), [("fast", ""), ("priority", ""), ("", "eu")])
def test_a_mode_or_geography_with_no_known_price_has_no_price(
    speed: str, geo: str, shipped: PriceList
) -> None:
    # Sonnet 5.5 has no fast mode; "priority" and "eu" are not priced anywhere.
    assert shipped.cost("claude-sonnet-5-5", (1, 1, 1, 1, 1), speed=speed, geo=geo) is None


def test_rates_are_exact_to_the_pico_dollar() -> None:
    assert dollars(1) == Decimal("0.000000000001")
    odd = PriceList([Entry("x", frozenset({"x"}), None, Rates(*[Decimal("0.0000001")] * 5), None, None, "t")])
    assert odd.cost("x", (1, 0, 0, 0, 0)) == Decimal(0)  # 0.1 pico-dollar a token rounds to none
    assert odd.cost("x", (10, 0, 0, 0, 0)) == Decimal(0)


# --- overrides and timelines -----------------------------------------------------------------------


def rates(*values: str) -> Rates:
    return Rates(*(Decimal(v) for v in values))


BASE = Entry(
    "Base", frozenset({"claude-x"}), date(2026, 1, 1), rates("1", "2", "3", "4", "5"), None, None, "t"
)


def test_an_override_changes_only_what_it_names_from_its_date_on() -> None:
    later = Override("claude-x", None, date(2026, 6, 1), {"output": Decimal(9)}, "settings.prices[0]")
    periods = timeline([BASE], [later], "claude-x")
    assert [p.since if p else None for p in periods] == [date(2026, 1, 1), date(2026, 6, 1)]
    assert periods[0] is not None and periods[0].rates == BASE.rates
    assert periods[1] is not None and periods[1].rates == rates("1", "9", "3", "4", "5")
    assert periods[1].origin == "t; settings.prices[0]"


def test_an_override_for_an_unknown_model_needs_input_and_output() -> None:
    only_input = Override("new", None, None, {"input": Decimal(1)}, "s")
    assert timeline([], [only_input], "new") == [None]
    both = Override("new", None, None, {"input": Decimal(2), "output": Decimal(8)}, "s")
    (period,) = timeline([], [both], "new")
    # Cache rates from the published multipliers of input: 1.25×, 2×, 0.1×.
    assert period is not None and period.rates == rates("2", "8", "2.5", "4", "0.2")


def test_a_pattern_override_and_null_band_or_fast() -> None:
    banded = BASE._replace(band=Band(10, rates("9", "9", "9", "9", "9")), fast=Decimal(2))
    table = PriceList([banded], [Override(None, "claude-*", None, {"band": None, "fast": None}, "s")])
    assert table.cost("claude-x", (100, 0, 0, 0, 0)) == Decimal(100) / M  # no band any more
    assert table.cost("claude-x", (1, 0, 0, 0, 0), speed="fast") is None
    assert PriceList([banded]).cost("claude-x", (100, 0, 0, 0, 0)) == Decimal(900) / M


def test_overrides_from_nothing_keep_their_own_dates_band_fast_and_origin() -> None:
    band = Band(100, rates("1", "1", "1", "1", "1"))
    first = Override(
        "claude-new",
        None,
        date(2026, 1, 1),
        {"input": Decimal(2), "output": Decimal(8), "band": band, "fast": Decimal(3)},
        "settings.prices[0]",
    )
    second = Override("claude-new", None, date(2026, 6, 1), {"output": Decimal(9)}, "settings.prices[1]")
    periods = timeline([], [first, second], "claude-new")
    assert [(p.since, p.name, p.band, p.fast) for p in periods if p] == [
        (date(2026, 1, 1), "claude-new", band, Decimal(3)),
        (date(2026, 6, 1), "claude-new", band, Decimal(3)),
    ]
    assert [p.origin for p in periods if p] == [
        "settings.prices[0]",
        "settings.prices[0]; settings.prices[1]",
    ]
    # A gap (no input and output yet) has no price, before and at its date.
    gap = PriceList([], [Override("new", None, None, {"input": Decimal(1)}, "s")])
    assert gap.periods("new") == [None] and gap.cost("new", (1, 1, 1, 1, 1)) is None
    assert gap.period("new", at("2026-01-01")) is None
    named = PriceList([], [first]).periods("claude-new@20260101")
    assert [p.name for p in named if p] == ["claude-new"]  # the matched id names a model the table lacks


def test_an_override_keeps_the_band_and_fast_rate_it_does_not_name() -> None:
    banded = BASE._replace(band=Band(10, rates("9", "9", "9", "9", "9")), fast=Decimal(2))
    earlier = Override("claude-x", None, date(2025, 12, 1), {"output": Decimal(7)}, "s")
    (before, after) = timeline([banded], [earlier], "claude-x")
    assert before is not None and after is not None
    # From 2025-12-01, before the table's first date: the table's first row with the override.
    assert (before.since, before.rates.output, before.band, before.fast) == (
        date(2025, 12, 1),
        Decimal(7),
        banded.band,
        Decimal(2),
    )
    assert (after.since, after.rates.output) == (date(2026, 1, 1), Decimal(7))


def test_rows_are_taken_in_date_order_whatever_their_order_or_names() -> None:
    june = Entry("A", frozenset({"m"}), date(2026, 6, 1), rates("2", "2", "2", "2", "2"), None, None, "t")
    january = Entry("Z", frozenset({"m"}), date(2026, 1, 1), rates("1", "1", "1", "1", "1"), None, None, "t")
    table = PriceList([june, january])
    assert [p.name for p in table.periods("m") if p] == ["Z", "A"]
    assert table.period("m", at("2026-03-01")) == table.periods("m")[0]
    assert table.period("m", at("2026-07-01")) == table.periods("m")[1]
    assert table.period("m", at("2025-07-01")) == table.periods("m")[0]
    assert PriceList([]).digest == ""


def test_a_date_is_a_utc_date_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch, shipped: PriceList
) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        # 02:00 UTC on 7 October is still 6 October in New York: the cut applies (UTC).
        fresh = price_table.load(Path("/nonexistent/budget.json"), Path("/nonexistent/prices.json"))
        counts = (0, 0, 0, 0, 1_000_000)
        assert fresh.cost("claude-sonnet-5-5", counts, ts=at("2026-10-07T02:00")) == Decimal("0.10")
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


def test_an_updated_table_replaces_the_shipped_one_id_by_id() -> None:
    newer = BASE._replace(ids=frozenset({"claude-x"}), rates=rates("7", "7", "7", "7", "7"), origin="u")
    other = Entry("Y", frozenset({"claude-y"}), None, rates("1", "1", "1", "1", "1"), None, None, "t")
    table = PriceList([BASE, other], updated=[newer])
    assert table.cost("claude-x", (1, 0, 0, 0, 0)) == Decimal(7) / M
    assert table.cost("claude-y", (1, 0, 0, 0, 0)) == Decimal(1) / M


# --- checks on what users and files give -------------------------------------------------------------


def settings(prices: object) -> bytes:
    return json.dumps({"settings": {"prices": prices}}).encode()


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ([{"model": "x", "input": -1}], "settings.prices[0].input: -1 is not a price"),
        ([{"model": "x", "input": "abc"}], "'abc' is not a price"),
        ([{"model": "x", "input": True}], "True is not a price"),
        ([{"model": "x", "input": "NaN"}], "'NaN' is not a price"),
        ([{"model": "x", "input": 20000}], "20000 is not a price: give a number of dollars from 0 to 10000"),
        ([{"model": "x", "inptu": 1}], "unknown key 'inptu'"),
        ([{"input": 1}], 'give either "model"'),
        ([{"model": "x", "pattern": "y", "input": 1}], 'give either "model"'),
        ([{"model": "", "input": 1}], "is not a model id"),
        ([{"model": "x"}], "sets no price"),
        ([{"model": "x", "input": 1, "since": "7 Oct"}], "'7 Oct' is not a date: write it YYYY-MM-DD"),
        (
            [{"model": "x", "band": {"above": 0, "input": 1, "output": 2}}],
            ".band.above: 0 is not a number of tokens",
        ),
        ([{"model": "x", "band": {"above": 10, "input": 1}}], "band: no 'output' price"),
        ([{"model": "x", "fast": 0}], ".fast: 0 is not a multiplier"),
        ([{"model": "x", "fast": 101}], "101 is not a price"),
        ({"model": "x"}, "settings.prices: not a list"),
        (["x"], "settings.prices[0]: not an object"),
    ],
)
def test_bad_settings_prices_are_one_clear_line(prices: object, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        price_table.settings_overrides(settings(prices), Path("/j/budget.json"))
    text = str(caught.value)
    assert message in text and "\n" not in text and text.startswith("/j/budget.json settings.prices")


def test_settings_prices_read_and_a_broken_budget_file_left_to_its_owners() -> None:
    found = price_table.settings_overrides(
        settings([{"pattern": "GLM-*", "input": "1.5", "output": 3}]), Path("b")
    )
    assert found == [
        Override(None, "glm-*", None, {"input": Decimal("1.5"), "output": Decimal(3)}, "settings.prices[0]")
    ]
    assert price_table.settings_overrides(b"{not json", Path("b")) == []
    assert price_table.settings_overrides(b"{}", Path("b")) == []
    with pytest.raises(InvalidInput, match="is not valid JSON"):
        price_table.settings_overrides(b"{not json", Path("b"), strict=True)


def test_table_entries_need_ids_and_prices() -> None:
    with pytest.raises(InvalidInput, match=r"f models\[0\].ids: give a list of model ids"):
        price_table.entry({"ids": [], "input": 1, "output": 2}, "f models[0]", "o")
    with pytest.raises(InvalidInput, match="no 'input' price"):
        price_table.entry({"ids": ["a"], "output": 2}, "f", "o")
    e = price_table.entry({"ids": ["us.anthropic.claude-a-v1"], "input": 1, "output": 2}, "f", "o")
    assert (e.name, e.ids, e.rates.cache_write_1h) == ("claude-a", frozenset({"claude-a"}), Decimal(2))


# --- genai-prices' format ---------------------------------------------------------------------------


GENAI = [
    "not a provider",
    {"id": "openai", "models": [{"id": "gpt-9", "prices": {"input_mtok": 1, "output_mtok": 1}}]},
    {
        "id": "anthropic",
        "models": [
            "not a model",
            {
                "id": "claude-sonnet-4-6",
                "name": "Claude Sonnet 4.6",
                "match": {
                    "or": [
                        {"starts_with": "claude-4-6-sonnet"},
                        {"and": [{"equals": "claude-sonnet-4-6-fast"}]},
                        {"starts_with": "claude-sonnet-4-6"},
                    ]
                },
                "prices": [
                    {
                        "prices": {
                            "input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 6}]},
                            "output_mtok": {"base": 15, "tiers": [{"start": 200000, "price": 22.5}]},
                            "cache_read_mtok": 0.3,
                        }
                    },
                    {"constraint": {"start_time": "01:00"}, "prices": {"input_mtok": 1, "output_mtok": 1}},
                    {
                        "constraint": {"start_date": "2026-03-13"},
                        "prices": {"input_mtok": 3, "output_mtok": 15},
                    },
                ],
                "price_variants": [
                    {"when": {"speed": "fast"}, "prices": {"input_mtok": 18, "output_mtok": 90}},
                ],
            },
            {
                "id": "claude-opus-5-5",
                "match": {"equals": "claude-opus-5-5"},
                "prices": {
                    "input_mtok": 4,
                    "output_mtok": 20,
                    "cache_read_mtok": 0.2,
                    "cache_write_1h_mtok": 8,
                },
                "price_variants": [
                    {"when": {"processing": "batch"}, "prices": {"input_mtok": 2, "output_mtok": 10}},
                    {"when": {"speed": "fast"}, "prices": {"input_mtok": 8, "output_mtok": 40}},
                ],
            },
            {"id": "claude-sonnet-9", "name": "Broken", "prices": {"output_mtok": 1}},
            {"id": "claude-sonnet-8", "prices": {"input_mtok": "abc", "output_mtok": 1}},
            {"id": "claude-sonnet-7", "prices": {"input_mtok": True, "output_mtok": 1}},
            {"name": "Nameless", "prices": {"input_mtok": 1, "output_mtok": 1}},
            {"prices": {"input_mtok": 1, "output_mtok": 1}},
        ],
    },
]


def test_genai_prices_become_dated_entries_with_bands_and_fast() -> None:
    dataset, entries, skipped = price_import.parse(json.dumps(GENAI).encode(), "data.json")
    assert dataset == "genai-prices"
    assert skipped == [
        "Broken: no input or output price",
        "claude-sonnet-8: 'abc' is not a price",
        "claude-sonnet-7: True is not a price",
        "Nameless: no model id",
        "?: no model id",
    ]
    checked = [price_table.entry(e, "t", "u") for e in entries]
    sonnet, flat, opus = checked
    ids = {"claude-sonnet-4-6", "claude-4-6-sonnet", "claude-sonnet-4-6-fast"}
    assert sonnet.ids == flat.ids == frozenset(ids)
    assert (sonnet.name, opus.name) == ("Claude Sonnet 4.6", "claude-opus-5-5")
    assert (sonnet.since, flat.since) == (None, date(2026, 3, 13))
    assert sonnet.fast == flat.fast == Decimal(6)  # fast over the tiered price's base: 18 / 3
    # A kind the file prices without a tier costs the same in the band (cache read 0.3); a kind it
    # does not price at all follows the band's input by the caching multipliers (6 × 1.25, 6 × 2).
    assert sonnet.band == Band(200000, rates("6", "22.5", "7.5", "12", "0.3"))
    assert flat.band is None
    assert (opus.fast, opus.rates) == (Decimal(2), rates("4", "20", "5", "8", "0.2"))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html>", "data.json is not valid JSON"),
        (b"[]", "data.json has no Anthropic models"),
        (b'{"claude-x": {"litellm_provider": "anthropic"}}', "LiteLLM's table, which has no dates"),
        (b'{"a": 1}', "no price table ai-budget reads"),
    ],
)
def test_what_is_not_a_price_table_says_which_to_give(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        price_import.parse(raw, "data.json")
    assert message in str(caught.value) and "genai-prices' data.json" in str(caught.value)


def test_our_own_format_is_read_as_it_is() -> None:
    table = {"models": [{"ids": ["claude-z"], "input": 1, "output": 2}]}
    assert price_import.parse(json.dumps(table).encode(), "t") == ("ai-budget", table["models"], [])


# --- beside Claude Code's own figure ------------------------------------------------------------------


def test_our_cost_beside_the_clients() -> None:
    same = client_cost.compare(Decimal("1.234"), 1.24)
    assert (same.verdict, same.difference, same.reasons) == ("same", Decimal("0.006"), ())
    higher = client_cost.compare(Decimal("1.00"), 1.25)
    assert higher.verdict == "client higher" and higher.difference == Decimal("0.25")
    assert higher.reasons == (client_cost.SIDE_REQUESTS, client_cost.CLIENT_TABLE)
    lower = client_cost.compare(Decimal("2.00"), Decimal("1.50"), unpriced=["glm-5.1"])
    assert lower.verdict == "client lower" and lower.difference == Decimal("-0.50")
    assert lower.reasons[0] == client_cost.CLIENT_TABLE and "glm-5.1" in lower.reasons[1]
    assert client_cost.compare(None, 1.0, ["x"]).verdict == "unknown"
    assert client_cost.compare(None, 1.0, ["y", "x", "y"]).as_dict() == {
        "cost_usd": None,
        "client_cost_usd": 1.0,
        "difference_usd": None,
        "verdict": "unknown",
        "reasons": ["no price is known here for x, y: ours leaves their calls out"],
    }
    assert client_cost.compare(Decimal("0.5"), None).as_dict()["cost_usd"] == 0.5
    edge = client_cost.compare(Decimal("1.0000004"), Decimal("1.01"))  # 0.0099996: within a cent
    assert (edge.verdict, edge.ours, edge.client) == ("same", Decimal("1.0000004"), Decimal("1.01"))
    assert edge.as_dict()["cost_usd"] == 1.0  # to the millionth
    cent = client_cost.compare(Decimal("1.00"), Decimal("1.01"))
    assert cent.verdict == "same"
    lower_fields = client_cost.compare(Decimal(3), 1)
    assert (lower_fields.ours, lower_fields.client) == (Decimal(3), Decimal(1))
    assert client_cost.compare(Decimal(1), None).reasons == ("Claude Code reported no cost for this session",)
    assert client_cost.compare(Decimal(1), float("nan")).verdict == "unknown"
    assert higher.as_dict() == {
        "cost_usd": 1.0,
        "client_cost_usd": 1.25,
        "difference_usd": 0.25,
        "verdict": "client higher",
        "reasons": list(higher.reasons),
    }


# --- where prices are read from ------------------------------------------------------------------------


def write_settings(folder: Path, prices: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "budget.json").write_bytes(settings(prices))
    return folder


def test_the_table_in_force_follows_the_journal_and_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AI_BUDGET_HOME", str(write_settings(tmp_path / "default", [{"model": "m", "input": 1, "output": 1}]))
    )
    monkeypatch.setenv("AI_BUDGET_STATE_DIR", str(tmp_path / "state"))
    other = write_settings(tmp_path / "other", [{"model": "m", "input": 2, "output": 2}])
    try:
        price_table.use_home(other)
        assert price_table.budget_path() == other / "budget.json"
        first = price_table.prices()
        assert first is price_table.prices()  # read once while nothing changed
        assert first.cost("m", (1, 0, 0, 0, 0)) == Decimal(2) / M
        price_table.use_home(None)
        assert price_table.budget_path() == tmp_path / "default" / "budget.json"
        assert price_table.prices().cost("m", (1, 0, 0, 0, 0)) == Decimal(1) / M
        (tmp_path / "state").mkdir()
        update = {
            "from": "f",
            "fetched": "2026-12-01T10:00:00+00:00",
            "models": [{"ids": ["m"], "input": 5, "output": 5}],
        }
        (tmp_path / "state" / "prices.json").write_text(json.dumps(update))
        again = price_table.prices()
        assert again.updated[0].origin == "prices update from f (2026-12-01)"
        assert again.cost("m", (1, 0, 0, 0, 0)) == Decimal(1) / M  # settings.prices still applies on top
        assert again.cost("claude-haiku-4-5", (0, 0, 0, 0, 0)) == 0 and again.digest != first.digest
    finally:
        price_table.use_home(None)


def test_a_broken_budget_file_gives_no_overrides_and_an_unreadable_one_a_line(tmp_path: Path) -> None:
    broken = tmp_path / "budget.json"
    broken.write_text("{not json")
    assert price_table.load(broken, tmp_path / "none.json").overrides == []
    with pytest.raises(InvalidInput, match="is not valid JSON"):
        price_table.load(broken, tmp_path / "none.json", strict=True)
    with pytest.raises(InvalidInput, match=r"cannot be read \(Is a directory\): check its permissions"):
        price_table.load(tmp_path, tmp_path / "none.json")  # a folder where the file should be
    assert price_table.settings_overrides(b"[]", Path("b")) == []


def test_a_broken_updated_table_says_how_to_get_back(tmp_path: Path) -> None:
    bad = {"from": "x", "fetched": "2026-12-01", "models": [{"ids": ["a"], "input": -1, "output": 1}]}
    with pytest.raises(InvalidInput) as caught:
        price_table.updated_entries(json.dumps(bad).encode(), Path("/s/prices.json"))
    assert str(caught.value).startswith("/s/prices.json models[0].input: -1 is not a price")
    assert str(caught.value).endswith(
        "; run `ai-budget prices update` again, or `ai-budget prices reset` to go back to the shipped table"
    )
    with pytest.raises(
        InvalidInput, match=r"^/s/prices.json is not a price table ai-budget wrote: run `ai-budget"
    ):
        price_table.updated_entries(b"[]", Path("/s/prices.json"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"web_search_per_request": "-1", "geo": {}, "models": []},
            "web_search_per_request: '-1' is not a price",
        ),
        ({"web_search_per_request": "0.01", "geo": {"us": "x"}, "models": []}, "geo.us: 'x' is not a price"),
        (
            {"web_search_per_request": "0.01", "geo": {}, "models": [{"ids": []}]},
            r"pricing.json models\[0\].ids",
        ),
    ],
)
def test_a_broken_shipped_table_names_the_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: object, message: str
) -> None:
    shipped_file = tmp_path / "pricing.json"
    shipped_file.write_text(json.dumps(data))
    monkeypatch.setattr(price_table, "BUILTIN", shipped_file)
    with pytest.raises(InvalidInput, match=message):
        price_table.load(tmp_path / "none", tmp_path / "none")


def test_the_checks_name_each_place_and_accept_the_edges() -> None:
    def refused(item: object, where: str = "f") -> str:
        with pytest.raises(InvalidInput) as caught:
            price_table.entry(item, where, "o")
        return str(caught.value)

    assert refused({"ids": ["a"], "input": "x", "output": 1}).startswith("f.input: 'x'")
    assert refused({"ids": ["a"], "input": 1, "output": 1, "cache_read": -1}).startswith("f.cache_read: -1")
    assert refused({"ids": ["a"], "input": 1, "output": 1, "since": "x"}).startswith("f.since: 'x'")
    assert refused({"ids": ["a"], "input": 1, "output": 1, "fast": 0}).startswith("f.fast: 0")
    assert refused(
        {"ids": ["a"], "input": 1, "output": 1, "band": {"above": 5, "input": 1, "output": 1, "x": 1}}
    ).startswith(
        "f.band: unknown key 'x': use above, cache_read, cache_write_1h, cache_write_5m, input, output"
    )
    assert refused(
        {"ids": ["a"], "input": 1, "output": 1, "band": {"above": 5, "input": 1, "output": -2}}
    ).startswith("f.band.output: -2")
    assert refused(
        {"ids": ["a"], "input": 1, "output": 1, "band": {"above": True, "input": 1, "output": 1}}
    ).startswith("f.band.above: True is not a number of tokens")
    assert refused({"ids": [5], "input": 1, "output": 1}).startswith("f.ids: give a list of model ids")
    edge = price_table.entry(
        {"ids": ["a"], "input": 10000, "output": 0, "band": {"above": 1, "input": 1, "output": 1}}, "f", "o"
    )
    assert (edge.rates.input, edge.rates.output, edge.band and edge.band.above) == (Decimal(10000), 0, 1)


def test_override_checks_and_what_they_set() -> None:
    with pytest.raises(InvalidInput, match=r"^w\.model: 5 is not a model id"):
        price_table.override({"model": 5, "input": 1}, "w")
    with pytest.raises(InvalidInput, match=r"^w\.pattern: ' ' is not a model id"):
        price_table.override({"pattern": " ", "input": 1}, "w")
    band = {"above": 10, "input": 4, "output": 4}
    o = price_table.override({"model": "m", "band": band, "fast": 3}, "/j[x]/budget.json settings.prices[3]")
    assert o.origin == "settings.prices[3]"
    assert o.changes == {"band": Band(10, rates("4", "4", "5", "8", "0.4")), "fast": Decimal(3)}


def test_load_names_the_file_a_bad_price_is_in(tmp_path: Path) -> None:
    update = tmp_path / "prices.json"
    update.write_text(json.dumps({"from": "x", "fetched": "2026-12-01", "models": [{"ids": ["a"]}]}))
    with pytest.raises(InvalidInput, match=f"^{update} models\\[0\\]: no 'input' price"):
        price_table.load(tmp_path / "none.json", update)
    budget = write_settings(tmp_path / "j", [{"model": "m", "fast": -1}]) / "budget.json"
    with pytest.raises(InvalidInput, match=f"^{budget} settings.prices\\[0\\].fast: -1"):
        price_table.load(budget, tmp_path / "none.json")


def test_update_reports_new_models_changed_rates_and_what_it_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AI_BUDGET_STATE_DIR", str(tmp_path / "state"))
    data = [
        {
            "id": "anthropic",
            "models": [
                {"id": "claude-aardvark-1", "prices": {"input_mtok": 1, "output_mtok": 2}},
                {"id": "claude-haiku-4-5", "prices": {"input_mtok": 2, "output_mtok": 6}},
                {
                    "id": "claude-opus-4-6",
                    "prices": {
                        "input_mtok": {"base": 5, "tiers": [{"start": 200000, "price": 10}]},
                        "output_mtok": 25,
                    },
                    "price_variants": [
                        {"when": {"speed": "fast"}, "prices": {"input_mtok": 30, "output_mtok": 150}}
                    ],
                },
                {"id": "claude-sonnet-9", "prices": {"output_mtok": 1}},
            ],
        }
    ]
    source = tmp_path / "data.json"
    source.write_text(json.dumps(data))
    done = price_import.update(str(source), datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc))
    assert done.models == ["claude-aardvark-1", "claude-haiku-4-5", "claude-opus-4-6"]
    assert done.changed == [
        "claude-aardvark-1: newly priced",
        "claude-haiku-4-5: input 1 → 2, output 5 → 6, cache_write_5m 1.25 → 2.50, cache_write_1h 2 → 4, "
        "cache_read 0.10 → 0.2",
    ]
    assert done.skipped == ["claude-sonnet-9: no input or output price"]
    written = json.loads((tmp_path / "state" / "prices.json").read_text())
    assert (written["dataset"], written["fetched"]) == ("genai-prices", "2026-12-07T09:30:00+00:00")
    opus = written["models"][2]
    assert (opus["fast"], opus["band"]["above"]) == ("6", 200000)  # fast over the tiered input's base
    assert price_import.reset() == tmp_path / "state" / "prices.json" and price_import.reset() is None
