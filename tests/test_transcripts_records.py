"""Message records by name: the dedupe rule's parts, the totals row, and the JSON keys they give."""

from __future__ import annotations

import json
import marshal
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from transcript_builder import assistant, usage, user

from ai_budget.claude.price_table import prices
from ai_budget.claude.pricing import PriceList
from ai_budget.claude.transcripts import Counts, Message, Report, Row
from ai_budget.claude.transcripts.records import (
    by_model,
    contribution,
    from_plain,
    merge,
    parse,
    sum_rows,
    to_plain,
)

NO_PRICES = PriceList([])  # a table that knows no model: every call unpriced

WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
COUNT_KEYS = [
    "exchanges",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_tokens",
    "cache_creation_1h_tokens",
    "web_search_requests",
    "web_fetch_requests",
    "total_tokens",
    "cost_usd",
    "cost_is_lower_bound",
]


def test_a_line_becomes_a_named_message() -> None:
    u = usage(inp=3, out=100, read=50, flat=10, five=4, hour=6, search=2, fetch=1)
    assert parse(json.loads(assistant("msg_1", u, when=WHEN))) == [
        (
            "msg_1",
            Message(
                timestamp=WHEN.timestamp(),
                model="claude-sonnet-4-5-20250929",
                speed="",
                geo="",
                input=3,
                output=100,
                cache_read=50,
                cache_write_flat=10,
                cache_write_5m=4,
                cache_write_1h=6,
                web_search=2,
                web_fetch=1,
                prompt=0,  # no iterations: a band is decided on the message's own counts
            ),
        )
    ]


def test_lines_that_do_not_count() -> None:
    assert parse(json.loads(user())) is None
    assert parse(json.loads(assistant("x", usage(out=1), model="<synthetic>"))) is None
    no_usage = json.loads(assistant("x", usage(out=1)))
    del no_usage["message"]["usage"]
    assert parse(no_usage) is None
    no_id = json.loads(assistant("x", usage(out=1), request="req_9"))
    del no_id["message"]["id"]
    assert parse(no_id) is not None and parse(no_id)[0][0] == "req_9"  # type: ignore[index]
    odd = json.loads(
        assistant("x", {"input_tokens": -5, "output_tokens": 2.9, "cache_read_input_tokens": "7"})
    )
    assert parse(odd)[0][1][4:7] == (0, 2, 0)  # type: ignore[index]


def test_merge_takes_each_fields_maximum_and_the_earliest_time() -> None:
    a = Message(200.0, "first", "fast", "us", 1, 50, 0, 0, 9, 0, 0, 1, 60)
    b = Message(100.0, "second", "", "", 3, 20, 5, 7, 0, 0, 1, 0, 70)
    merged = merge(a, b)
    assert merged == Message(100.0, "first", "fast", "us", 3, 50, 5, 7, 9, 0, 1, 1, 70)
    assert type(merged) is Message
    assert merge(a._replace(timestamp=None), b).timestamp == 100.0
    assert merge(a, b._replace(timestamp=None)).timestamp == 200.0
    assert merge(a._replace(timestamp=None), b._replace(timestamp=None)).timestamp is None


@pytest.mark.parametrize(
    ("flat", "five", "hour", "writes", "at_5m"),
    [
        (1000, 200, 500, 1000, 200 + 300),  # flat larger: its excess counts at 5 minutes
        (0, 100, 400, 500, 100),  # flat read 0: the nested sum
        (300, 0, 0, 300, 300),  # flat only: 5-minute writes
    ],
)
def test_contribution_applies_the_cache_write_rule(
    flat: int, five: int, hour: int, writes: int, at_5m: int
) -> None:
    m = Message(None, "m", "", "", 1, 2, 3, flat, five, hour, 4, 5, 0)
    assert contribution(m, NO_PRICES) == Row(
        exchanges=1,
        input_tokens=1,
        output_tokens=2,
        cache_read_input_tokens=3,
        cache_creation_input_tokens=writes,
        cache_creation_5m_tokens=at_5m,
        cache_creation_1h_tokens=hour,
        web_search_requests=4,
        web_fetch_requests=5,
        cost_pico=0,
        unpriced_calls=1,
    )


def test_messages_go_through_marshal_as_plain_tuples() -> None:
    messages = {
        "a": Message(1.5, "m", "fast", "us", 1, 2, 3, 4, 5, 6, 7, 8, 9),
        "b": Message(None, "n", "", "", *range(9)),
    }
    with pytest.raises(ValueError):
        marshal.dumps(messages)  # why to_plain exists
    back = from_plain(marshal.loads(marshal.dumps(to_plain(messages))))
    assert back == messages
    assert all(type(m) is Message for m in back.values())


def test_counts_and_report_keep_their_json_keys() -> None:
    counts = Counts.of([*range(1, 10), 1_500_000_000_000, 0], Decimal("1.5"))
    assert list(counts.as_dict()) == COUNT_KEYS
    assert counts.as_dict() == {
        **dict(zip(COUNT_KEYS[:9], range(1, 10), strict=True)),
        "total_tokens": 2 + 3 + 4 + 5,
        "cost_usd": 1.5,
        "cost_is_lower_bound": False,
    }
    assert (counts.exchanges, counts.web_fetch_requests, counts.cost) == (1, 9, Decimal("1.5"))
    assert Counts.of(Row(), None).as_dict()["cost_usd"] is None
    empty = Counts()
    assert (empty.total_tokens, empty.cost) == (0, Decimal(0))
    report = Report(counts, {"m": counts}, [Path("/a.jsonl")], [], "s", Path("/a.jsonl"), WHEN, None)
    assert list(report.as_dict()) == [
        *COUNT_KEYS,
        "by_model",
        "unpriced_models",
        "session_id",
        "session_file",
        "files",
        "since",
        "until",
        "warnings",
        "inherited",
        "inherited_from",
        "main_file_missing",
    ]
    assert report.as_dict()["since"] == "2026-11-20T10:00:00+00:00"


def test_advisor_calls_are_calls_of_their_own_keyed_by_their_response() -> None:
    from ai_budget.claude.price_table import prices
    from ai_budget.claude.transcripts.records import prompt_of

    def advice(model: str, inp: int, speed: str | None = None) -> dict:
        found = {"type": "advisor_message", "model": model, "input_tokens": inp, "output_tokens": 10}
        return found if speed is None else {**found, "speed": speed}

    mirror = {
        "type": "message",
        "input_tokens": 4,
        "cache_creation_input_tokens": 9,
        "cache_read_input_tokens": 2,
    }
    u = usage(inp=8, out=1, read=4, inference_geo="us", speed="fast")
    u["iterations"] = [
        "odd",
        mirror,
        advice("claude-haiku-5-5", 150_000),
        advice("claude-opus-5-5", 1, "fast"),
        mirror,
    ]
    found = parse(json.loads(assistant("msg_a", u, when=WHEN, model="claude-opus-5-5")))
    assert found is not None
    assert [key for key, _ in found] == ["msg_a", "msg_a#advisor2", "msg_a#advisor3"]
    top, haiku, opus = (m for _, m in found)
    assert (top.timestamp, top.speed, top.geo, top.prompt) == (WHEN.timestamp(), "fast", "us", 4 + 9 + 2)
    assert (haiku.timestamp, haiku.model, haiku.speed, haiku.geo, haiku.prompt) == (
        WHEN.timestamp(),
        "claude-haiku-5-5",
        "",
        "us",
        0,
    )
    assert (opus.speed, opus.input) == ("fast", 1)
    # Another response's advisor call is another call.
    other = parse(json.loads(assistant("msg_b", u, when=WHEN)))
    assert other is not None and other[1][0] == "msg_b#advisor2"
    # The advisor's own prompt decides its band: 150,000 tokens of Haiku 5.5 at 5 × $0.10, in the us (1.1×).
    row = contribution(haiku, prices())
    assert row[9] == 150_000 * 500_000 * 11 // 10 + 10 * 2_500_000 * 11 // 10  # pico-dollars
    # Only advisor entries: the band is decided on the response's own counts.
    alone = usage(inp=150_000, out=1)
    alone["iterations"] = [advice("claude-opus-5-5", 1)]
    ((_, response), _) = parse(json.loads(assistant("msg_c", alone, when=WHEN, model="claude-haiku-5-5")))
    assert response.prompt == 0
    assert contribution(response, prices())[9] == 150_000 * 500_000 + 1 * 2_500_000
    # A request's prompt: input, cache reads, and the larger of the flat and nested writes.
    base = Message(None, "m", "", "", 1, 0, 2, 10, 3, 4, 0, 0, 0)
    assert prompt_of(base) == 1 + 2 + 10
    assert prompt_of(base._replace(cache_write_flat=5)) == 1 + 2 + 3 + 4
    assert prompt_of(base._replace(cache_write_flat=7)) == 1 + 2 + 7


OPUS_46_REPRICED = datetime(2026, 3, 13, tzinfo=timezone.utc).timestamp()  # its band ends here (pricing.json)
DAY = 86400.0


def opus(
    at: float | None, inp: int, speed: str = "", geo: str = "", model: str = "claude-opus-4-6"
) -> Message:
    """A request of Opus 4.6 `at` seconds after its repricing (None: undated) with `inp` input tokens."""
    stamp = None if at is None else OPUS_46_REPRICED + at
    return Message(stamp, model, speed, geo, inp, 10, 1_000, 300, 100, 200, 1, 2, 0)


@pytest.mark.parametrize(
    "messages",
    [
        [opus(-DAY, 150_000), opus(-2 * DAY, 250_000)],  # one period, prompts each side of the band
        [opus(-DAY, 250_000), opus(-DAY + 5, 300_000)],  # all over the band
        [opus(-DAY, 250_000), opus(DAY, 250_000)],  # over the band, each side of the repricing
        [opus(DAY, 250_000), opus(None, 250_000)],  # one dated, one undated (priced as the latest)
        [opus(-DAY, 250_000), opus(None, 250_000)],
        [opus(-DAY, 250_000, speed="fast"), opus(-DAY, 10, speed="fast")],  # no band in fast mode
        [opus(-DAY, 250_000, speed="fast"), opus(-DAY, 300_000, speed="fast")],
        [opus(-DAY, 5, speed="fast"), opus(-DAY, 6)],  # two modes
        [opus(-DAY, 5, geo="us"), opus(-DAY, 6)],
        [opus(-DAY, 250_000, speed="standard"), opus(-DAY, 10, speed="")],  # two spellings of one speed
        [opus(-DAY, 5, geo="us"), opus(-DAY, 6, geo="us")],
        [opus(-DAY, 5, geo="nowhere"), opus(-DAY, 6, geo="nowhere")],  # unpriced
        [opus(-DAY, 5, model="not-a-model"), opus(None, 6, model="not-a-model")],
        [opus(-DAY, 5)._replace(prompt=250_000), opus(-DAY, 5)],  # an advisor turn's own prompt
    ],
)
def test_a_files_totals_are_the_sum_of_its_messages_contributions(messages: list[Message]) -> None:
    # by_model prices a model's messages once when they share one rate; the rule prices each
    # message: the sums must be the same, in every count and to the pico-dollar.
    table = prices()
    expected: dict[str, list[tuple[int, ...]]] = {}
    for m in messages:
        expected.setdefault(m.model, []).append(contribution(m, table))
    assert by_model(messages, table) == {model: sum_rows(rows) for model, rows in expected.items()}
    assert by_model(messages[::-1], table) == by_model(messages, table)
