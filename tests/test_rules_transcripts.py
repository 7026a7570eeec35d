"""The transcript rules one by one, on plain functions: a line's key and model, counts, the
cross-file dedupe and the time window of the totals, and the cost's rounding."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from transcript_builder import assistant, usage, user, write

from ai_budget.claude.transcripts.cache import Index
from ai_budget.claude.transcripts.discover import Transcript
from ai_budget.claude.transcripts.records import Row, parse, sum_rows
from ai_budget.claude.transcripts.totals import Counts, by_model_totals, priced

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
MODEL = "claude-sonnet-4-5-20250929"
OUTPUT = Row._fields.index("output_tokens")
INPUT = Row._fields.index("input_tokens")
EXCHANGES = Row._fields.index("exchanges")


# --- one line -------------------------------------------------------------------------------------


def test_a_line_with_neither_message_id_nor_request_id_is_keyed_by_its_uuid() -> None:
    record = json.loads(assistant("m1", usage(out=5)))
    del record["message"]["id"]
    del record["requestId"]
    parsed = parse(record)
    assert parsed is not None and parsed[0][0] == "u-m1-text"


def test_a_line_with_no_model_or_an_empty_one_counts_under_unknown() -> None:
    for model in (None, ""):
        record = json.loads(assistant("m1", usage(out=5)))
        if model is None:
            del record["message"]["model"]
        else:
            record["message"]["model"] = model
        parsed = parse(record)
        assert parsed is not None and parsed[0][1].model == "unknown"


def test_a_fractional_count_keeps_its_whole_part() -> None:
    parsed = parse(json.loads(assistant("m1", {"output_tokens": 1.0, "input_tokens": 0.5})))
    assert parsed is not None
    assert (parsed[0][1].output, parsed[0][1].input) == (1, 0)


def test_no_rows_sum_to_a_row_of_zeros() -> None:
    assert sum_rows([]) == [0] * len(Row._fields)


# --- totals over files ----------------------------------------------------------------------------


def transcript(path: Path) -> Transcript:
    stat = path.stat()
    return Transcript(path, path.parent, True, stat.st_size, stat.st_mtime_ns)


def files(tmp_path: Path, contents: list[list[str]]) -> list[Transcript]:
    return [transcript(write(tmp_path / f"f{n}.jsonl", lines)) for n, lines in enumerate(contents)]


def line(msg_id: str, out: int, hours: float = 0) -> str:
    return assistant(msg_id, usage(out=out), when=T0 + timedelta(hours=hours))


def undated(msg_id: str, out: int) -> str:
    record = json.loads(assistant(msg_id, usage(out=out)))
    del record["timestamp"]
    return json.dumps(record)


def output(rows: dict[str, list[int]]) -> tuple[int, int]:
    """(exchanges, output tokens) of the one model."""
    assert list(rows) == [MODEL]
    return rows[MODEL][EXCHANGES], rows[MODEL][OUTPUT]


def test_an_id_in_the_first_and_third_file_counts_once(tmp_path: Path) -> None:
    # m1 is in files 0 and 2, with files between and after that share nothing.
    found = files(tmp_path, [[line("m1", 100)], [line("m2", 20)], [line("m1", 100)], [line("m3", 3)]])
    assert output(by_model_totals(Index(use_cache=False), found, None, None)) == (3, 123)


def test_a_file_with_no_messages_does_not_end_the_count(tmp_path: Path) -> None:
    found = files(tmp_path, [[user()], [line("m1", 7)]])
    assert output(by_model_totals(Index(use_cache=False), found, None, None)) == (1, 7)


def test_an_end_without_a_start_keeps_what_came_before_it(tmp_path: Path) -> None:
    found = files(tmp_path, [[line("m1", 5), line("m2", 50, hours=2)]])
    until = (T0 + timedelta(hours=1)).timestamp()
    assert output(by_model_totals(Index(use_cache=False), found, None, until)) == (1, 5)


def test_all_time_counts_a_line_with_no_timestamp(tmp_path: Path) -> None:
    found = files(tmp_path, [[line("m1", 5), undated("m2", 50)]])
    assert output(by_model_totals(Index(use_cache=False), found, None, None)) == (2, 55)


def test_a_window_leaves_out_a_line_with_no_timestamp(tmp_path: Path) -> None:
    found = files(tmp_path, [[line("m1", 5), undated("m2", 50)]])
    since = (T0 - timedelta(hours=1)).timestamp()
    assert output(by_model_totals(Index(use_cache=False), found, since, None)) == (1, 5)


def test_a_window_counts_an_id_shared_by_two_files_once(tmp_path: Path) -> None:
    found = files(tmp_path, [[line("m1", 40)], [line("m1", 40), line("m2", 2)]])
    since = (T0 - timedelta(hours=1)).timestamp()
    assert output(by_model_totals(Index(use_cache=False), found, since, None)) == (2, 42)


def test_copies_of_an_id_in_two_files_merge_by_each_fields_maximum(tmp_path: Path) -> None:
    first = assistant("m1", usage(inp=1, out=100))
    second = assistant("m1", usage(inp=7, out=40))
    rows = by_model_totals(Index(use_cache=False), files(tmp_path, [[first], [second]]), None, None)
    assert rows[MODEL][EXCHANGES : INPUT + 2] == [1, 7, 100]


def test_all_time_counts_an_undated_line_of_a_model_seen_nowhere_else(tmp_path: Path) -> None:
    other = json.loads(undated("m2", 50))
    other["message"]["model"] = "claude-haiku-4-5"
    found = files(tmp_path, [[line("m1", 5), json.dumps(other)]])
    rows = by_model_totals(Index(use_cache=False), found, None, None)
    assert {model: row[OUTPUT] for model, row in rows.items()} == {MODEL: 5, "claude-haiku-4-5": 50}


# --- cost -----------------------------------------------------------------------------------------


def test_the_cost_in_json_is_rounded_to_a_millionth_of_a_dollar() -> None:
    assert Counts.of(Row(), Decimal("0.0000016")).as_dict()["cost_usd"] == 0.000002
    assert Counts.of(Row(), None).as_dict()["cost_usd"] is None


def test_with_no_priced_model_the_cost_is_unknown_and_with_nothing_counted_zero() -> None:
    row = list(Row(exchanges=1, output_tokens=10, unpriced_calls=1))
    total, counted, unpriced = priced({"claude-mystery-1": row})
    assert (total.cost, counted["claude-mystery-1"].cost, unpriced) == (None, None, ["claude-mystery-1"])
    nothing, _, none = priced({})
    assert (nothing.cost, none) == (Decimal(0), [])
    # Sonnet: 10 output tokens at $15 a million (15 × 10^6 pico-dollars a token); the unpriced
    # model's tokens are counted, not priced.
    sonnet = list(Row(exchanges=1, output_tokens=10, cost_pico=10 * 15 * 10**6))
    mixed, _, named = priced({"claude-mystery-1": row, MODEL: sonnet})
    assert (mixed.cost, mixed.output_tokens, named) == (Decimal("0.00015"), 20, ["claude-mystery-1"])
