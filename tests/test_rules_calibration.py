"""Calibration's rules one by one: ratios of sums, unit words, trailers, type names, the cost split."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import assert_clean, budget, git, run, subjects

from ai_budget.errors import InvalidInput, UnknownTaskType
from ai_budget.journal.calibration import add_type, record
from ai_budget.journal.journal import Journal
from ai_budget.model.calibration import (
    CalibrationEntry,
    find_type,
    mean_pct_per_unit,
    new_type,
    parse_trailer,
    split_weights,
)

# --- one entry ------------------------------------------------------------------------------------


def test_an_entry_without_units_has_no_rates() -> None:
    empty = CalibrationEntry(unit="per card")
    assert (empty.pct_per_unit, empty.tokens_per_unit) == (None, None)
    no_tokens = CalibrationEntry(units=4, total_5h_pct=10)
    assert (no_tokens.pct_per_unit, no_tokens.tokens_per_unit) == (2.5, None)


@pytest.mark.parametrize(
    ("unit", "word"),
    [("per card", "card"), ("Per Page", "Page"), ("  per  chapter ", "chapter"), ("cards", "cards")],
)
def test_the_unit_word_drops_per(unit: str, word: str) -> None:
    assert CalibrationEntry(unit=unit).unit_word == word


@pytest.mark.parametrize("unit", [None, "", "   "])
def test_a_type_without_a_unit_counts_in_units(unit: str | None) -> None:
    assert CalibrationEntry(unit=unit).unit_word == "unit"


def test_a_free_sample_and_one_with_zero_tokens_are_samples_too() -> None:
    entry = CalibrationEntry().with_sample(2, 0.0, 0)
    assert (entry.samples, entry.units, entry.total_5h_pct, entry.token_units) == (1, 2, 0.0, 2)
    assert (entry.avg_5h_pct, entry.avg_output_tokens) == (0.0, 0)


@pytest.mark.parametrize("tokens", [-1, 10**11 + 1])
def test_negative_or_impossible_tokens_are_refused_with_the_numbers(tokens: int) -> None:
    with pytest.raises(InvalidInput, match=r"units > 0 and no negative cost, got 1, 2"):
        CalibrationEntry().with_sample(1, 2, tokens)


def test_the_largest_possible_token_count_is_a_sample() -> None:
    assert CalibrationEntry().with_sample(1, 2, 10**11).total_output_tokens == 10**11


FIELD_BOUNDS = [
    ("samples", 10**9),
    ("avg_output_tokens", 10**15),
    ("avg_5h_pct", 10**9),
    ("units", 10**12),
    ("total_5h_pct", 10**12),
    ("token_units", 10**12),
    ("total_output_tokens", 10**18),
]


@pytest.mark.parametrize(("field", "most"), FIELD_BOUNDS)
def test_stored_numbers_from_zero_to_far_past_any_history_load(field: str, most: int) -> None:
    for value in (0, most):
        assert getattr(CalibrationEntry.model_validate({field: value}), field) == value


@pytest.mark.parametrize(("field", "most"), FIELD_BOUNDS)
def test_stored_numbers_below_zero_or_past_the_bound_are_damage(field: str, most: int) -> None:
    for value in (-1, most + 1):
        with pytest.raises(ValueError, match=field):
            CalibrationEntry.model_validate({field: value})


def test_a_sample_leaves_the_entry_it_came_from_alone() -> None:
    before = CalibrationEntry(unit="per card", samples=1, units=2, total_5h_pct=4.0)
    after = before.with_sample(3, 6.0, 300)
    assert (before.samples, before.units, before.total_5h_pct, before.token_units) == (1, 2, 4.0, 0)
    assert (after.samples, after.units, after.total_5h_pct) == (2, 5, 10.0)
    assert (after.token_units, after.total_output_tokens) == (3, 300)


def test_totals_carry_no_float_dust() -> None:
    entry = CalibrationEntry().with_sample(0.1, 0.1, None).with_sample(0.2, 0.2, None)
    assert (entry.units, entry.total_5h_pct) == (0.3, 0.3)
    tokens = CalibrationEntry().with_sample(0.1, 1, 1).with_sample(0.2, 1, 1)
    assert tokens.token_units == 0.3


def test_totals_are_kept_to_six_decimals() -> None:
    # A millionth of a unit or of a percent is the finest the file keeps.
    entry = CalibrationEntry().with_sample(1.2345678, 2.3456784, 5)
    assert (entry.units, entry.total_5h_pct, entry.token_units) == (1.234568, 2.345678, 1.234568)


def test_the_old_average_keys_are_rounded_once_from_the_totals() -> None:
    # 10 % and 1000 tokens over 3 cards: 3.333… → 3.33 and 333.3… → 333.
    entry = CalibrationEntry().with_sample(3, 10.0, 1000)
    assert (entry.avg_5h_pct, entry.avg_output_tokens) == (3.33, 333)
    assert CalibrationEntry().with_sample(3, 10.0, None).avg_output_tokens is None


def test_synced_clears_averages_the_totals_no_longer_give() -> None:
    entry = CalibrationEntry(avg_5h_pct=9.9, avg_output_tokens=99).synced()
    assert (entry.avg_5h_pct, entry.avg_output_tokens) == (None, None)


# --- the trailer ----------------------------------------------------------------------------------


def test_a_trailer_names_samples_units_and_both_rates() -> None:
    entry = CalibrationEntry(samples=2, units=2.5, total_5h_pct=5, token_units=2.5, total_output_tokens=1001)
    assert entry.trailer("card") == "card samples=2 units=2.5 pct_per_unit=2.0000 tokens_per_unit=400.4"
    assert CalibrationEntry().trailer("x") == "x samples=0 units=0 pct_per_unit=- tokens_per_unit=-"


def test_a_trailer_reads_back_and_ignores_words_without_a_value() -> None:
    name, fields = parse_trailer("essay samples=3 junk units=4 note=a=b")
    assert name == "essay"
    assert fields == {"samples": "3", "units": "4", "note": "a=b"}
    assert parse_trailer("lonely") == ("lonely", {})


# --- the table of types ---------------------------------------------------------------------------


def test_a_type_is_found_whatever_its_case() -> None:
    table = {"FlashCard": CalibrationEntry()}
    assert find_type(table, "flashcard") == "FlashCard"


def test_an_unknown_type_lists_the_known_ones_sorted() -> None:
    table = {"zine": CalibrationEntry(), "essay": CalibrationEntry()}
    with pytest.raises(UnknownTaskType) as caught:
        find_type(table, "poem")
    assert str(caught.value) == (
        "unknown task type 'poem' (known: essay, zine): "
        'add it with `ai-budget calibration add poem --unit "per item"`'
    )


@pytest.mark.parametrize("name", ["a", "B2", "x.y-z_w", "9lives"])
def test_good_type_names(name: str) -> None:
    assert new_type({}, name, " per \n  thing ").unit == "per thing"


@pytest.mark.parametrize("name", ["", "-x", "_x", ".x", "two words", "tab\tname", "emoji✓"])
def test_bad_type_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="must be one word"):
        new_type({}, name, "per x")


def test_a_new_type_needs_a_unit_and_a_new_name() -> None:
    with pytest.raises(
        InvalidInput, match=r'^--unit must name the unit of work, for example --unit "per card"$'
    ):
        new_type({}, "essay", "   ")
    with pytest.raises(InvalidInput, match="task type 'Essay' already exists"):
        new_type({"Essay": CalibrationEntry()}, "essay", "per page")
    fresh = new_type({"Essay": CalibrationEntry()}, "poem", "per poem")
    assert (fresh.samples, fresh.units, fresh.pct_per_unit) == (0, 0, None)


# --- splitting one session between items ----------------------------------------------------------

RATES = {
    "flashcard": CalibrationEntry(units=10, total_5h_pct=20),  # 2 %/card
    "essay": CalibrationEntry(units=1, total_5h_pct=6),  # 6 %/page
    "zero": CalibrationEntry(units=5, total_5h_pct=0),  # 0 %/unit
    "new": CalibrationEntry(),
}


def test_the_mean_rate_is_over_calibrated_types_only() -> None:
    assert mean_pct_per_unit(RATES) == pytest.approx((2 + 6 + 0) / 3)
    assert mean_pct_per_unit({"new": CalibrationEntry()}) is None
    assert mean_pct_per_unit({}) is None


def test_no_items_no_shares() -> None:
    assert split_weights(RATES, []) == []


def test_with_nothing_calibrated_each_item_takes_an_equal_share() -> None:
    table = {"a": CalibrationEntry(), "b": CalibrationEntry()}
    assert split_weights(table, [("a", 15), ("b", 1)]) == [0.5, 0.5]
    assert split_weights({}, [("a", 1), ("b", 2), (None, 3)]) == pytest.approx([1 / 3] * 3)


def test_items_of_uncalibrated_types_split_equally_even_beside_calibrated_types() -> None:
    assert split_weights(RATES, [("new", 15), (None, 1), ("poem", 4)]) == pytest.approx([1 / 3] * 3)


def test_an_untyped_or_unknown_item_counts_at_the_mean_rate() -> None:
    # Mean of 2, 6 and 0 is 8/3: costs 3 × 2 = 6, 1 × 8/3 and 1 × 8/3 for the untyped and unknown ones.
    mean = 8 / 3
    total = 6 + 2 * mean
    got = split_weights(RATES, [("flashcard", 3), (None, 1), ("poem", 1)])
    assert got == pytest.approx([6 / total, mean / total, mean / total])


def test_a_small_session_splits_by_cost_too() -> None:
    # 0.1 and 0.2 cards at 2 %/card: expected costs 0.2 and 0.4, under 1 % in all.
    assert split_weights(RATES, [("flashcard", 0.1), ("flashcard", 0.2)]) == pytest.approx([1 / 3, 2 / 3])


def test_a_zero_rate_type_takes_no_share_beside_a_costly_one() -> None:
    assert split_weights(RATES, [("zero", 4), ("essay", 1)]) == [0.0, 1.0]


def test_when_every_expected_cost_is_zero_the_shares_are_equal() -> None:
    assert split_weights({"zero": RATES["zero"]}, [("zero", 1), ("zero", 3)]) == [0.5, 0.5]


# --- in the journal -------------------------------------------------------------------------------


def test_record_returns_the_stored_name_and_both_entries(journal: Path) -> None:
    assert run("calibration", "add", "PoemDraft", "--unit", "per poem").exit_code == 0
    done = record(Journal.open(journal), "poemdraft", 4, 10.0, 800)
    assert done.task_type == "PoemDraft"
    assert (done.before.samples, done.after.samples, done.after.units) == (0, 1, 4)
    assert budget(journal)["calibration"]["PoemDraft"]["total_output_tokens"] == 800
    assert subjects(journal)[0] == "calibrate PoemDraft: 4 poems at 10% -> 2.50%/poem (1 sample)"
    trailers = git(journal, "log", "-1", "--format=%(trailers)")
    assert "Calibration: PoemDraft samples=1 units=4 pct_per_unit=2.5000 tokens_per_unit=200.0" in trailers
    assert_clean(journal)


def test_record_of_one_unit_names_the_unit_once(journal: Path) -> None:
    run("calibration", "add", "essay", "--unit", "per page")
    record(Journal.open(journal), "essay", 1, 6.5)
    assert subjects(journal)[0] == "calibrate essay: 1 page at 6.5% -> 6.50%/page (1 sample)"


def test_add_type_commits_the_trimmed_unit(journal: Path) -> None:
    entry = add_type(Journal.open(journal), "essay", "  per\tpage ")
    assert entry.unit == "per page"
    assert budget(journal)["calibration"]["essay"]["unit"] == "per page"
    assert subjects(journal)[0] == "calibration: add task type essay (per page)"
    assert_clean(journal)
