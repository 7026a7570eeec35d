"""Calibration: unit-weighted averages from totals, bad input, concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_clean, budget, run, subjects

from ai_budget.model.calibration import CalibrationEntry, split_weights


@pytest.fixture
def flashcards(journal: Path) -> Path:
    assert run("calibration", "add", "flashcard", "--unit", "per card").exit_code == 0
    return journal


def test_original_plan_samples(flashcards: Path) -> None:
    first = run("calibrate", "flashcard", "15", "38.5", "9843")
    # 38.5 / 15 = 2.566…, 9843 / 15 = 656.2
    assert first.stdout == "flashcard: 2.57 %/card, 656 output tokens/card (1 sample, 15 cards)\n"
    second = run("calibrate", "flashcard", "20", "51.0", "12000")
    # (38.5 + 51.0) / 35 = 2.557…, (9843 + 12000) / 35 = 624.08…
    assert second.stdout == "flashcard: 2.56 %/card, 624 output tokens/card (2 samples, 35 cards)\n"
    entry = budget(flashcards)["calibration"]["flashcard"]
    assert entry["samples"] == 2
    assert entry["units"] == 35
    assert entry["total_5h_pct"] == 89.5
    assert entry["total_output_tokens"] == 21843
    assert entry["avg_5h_pct"] == 2.56
    assert entry["avg_output_tokens"] == 624
    assert subjects(flashcards)[:2] == [
        "calibrate flashcard: 20 cards at 51% -> 2.56%/card (2 samples)",
        "calibrate flashcard: 15 cards at 38.5% -> 2.57%/card (1 sample)",
    ]
    assert_clean(flashcards)


def test_table_and_json(flashcards: Path) -> None:
    run("calibrate", "flashcard", "15", "38.5", "9843")
    # A new journal's six task types, flashcard with its sample, the others with none yet.
    assert run("calibration").stdout == (
        "type             unit           samples  units  %/unit  tokens/unit\n"
        "circuit_diagram  per diagram          0      0       -            -\n"
        "css_component    per component        0      0       -            -\n"
        "feature          per feature          0      0       -            -\n"
        "flashcard        per card             1     15    2.57          656\n"
        "migration        per migration        0      0       -            -\n"
        "refactor         per file             0      0       -            -\n"
    )
    data = run("calibration", "show", "--json")
    assert data.exit_code == 0
    assert '"pct_per_unit": 2.5667' in data.stdout


def test_tokens_are_optional_and_averaged_over_samples_that_had_them(flashcards: Path) -> None:
    run("calibrate", "flashcard", "10", "20")
    run("calibrate", "flashcard", "10", "30", "1000")
    entry = budget(flashcards)["calibration"]["flashcard"]
    assert entry["avg_5h_pct"] == 2.5  # 50 / 20
    assert entry["avg_output_tokens"] == 100  # 1000 over the 10 units that recorded tokens


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("calibrate", "poem", "1", "2"),
            "Error: unknown task type 'poem' (known: circuit_diagram, css_component, feature, flashcard, "
            'migration, refactor): add it with `ai-budget calibration add poem --unit "per item"`\n',
        ),
        (
            ("calibrate", "flashcards", "1", "2"),
            "Error: unknown task type 'flashcards' (did you mean 'flashcard'?) (known: circuit_diagram, "
            "css_component, feature, flashcard, migration, refactor)\n",
        ),
        (("calibrate", "flashcard", "0", "2"), "Error: UNITS must be greater than 0, got '0'\n"),
        (("calibrate", "flashcard", "-3", "2"), "Error: UNITS must be greater than 0, got '-3'\n"),
        (("calibrate", "flashcard", "ten", "2"), "Error: UNITS must be a number, got 'ten'\n"),
        (("calibrate", "flashcard", "nan", "2"), "Error: UNITS must be a finite number, got 'nan'\n"),
        (("calibrate", "flashcard", "3", "lots"), "Error: PCT_DELTA must be a number, got 'lots'\n"),
        (
            ("calibrate", "flashcard", "3", "2", "1.5k"),
            "Error: OUTPUT_TOKENS must be a whole number, got '1.5k'\n",
        ),
        (
            ("calibration", "add", "two words", "--unit", "per x"),
            "Error: task type 'two words' must be one word of letters, digits, '-', '_' or '.'\n",
        ),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    flashcards: Path, args: tuple[str, ...], message: str
) -> None:
    before = (flashcards / "budget.json").read_bytes()
    count = len(subjects(flashcards))
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr == message
    assert (flashcards / "budget.json").read_bytes() == before
    assert len(subjects(flashcards)) == count


def test_missing_argument_is_a_one_line_usage_error(flashcards: Path) -> None:
    result = run("calibrate", "flashcard")
    assert result.exit_code == 2
    assert result.stderr == ("Error: Missing argument 'UNITS'. (see `cli calibrate --help`)\n")


def test_unknown_type_with_no_types_says_none_yet(journal: Path) -> None:
    data = budget(journal)
    data["calibration"] = {}  # a journal made before task types came with it
    (journal / "budget.json").write_text(json.dumps(data))
    result = run("calibrate", "flashcard", "1", "1")
    assert "(known: none yet)" in result.stderr


def test_adding_a_type_again_changes_nothing_and_a_type_with_samples_keeps_its_unit(flashcards: Path) -> None:
    count = len(subjects(flashcards))
    again = run("calibration", "add", "flashcard", "--unit", "per card")
    assert (again.exit_code, again.stdout) == (
        0,
        "Task type flashcard is already there (per card): nothing changed\n",
    )
    assert len(subjects(flashcards)) == count
    # No samples yet: the unit may still change (a new journal's types come with the design's units).
    other = run("calibration", "add", "refactor", "--unit", "per module")
    assert other.stdout == "Task type refactor now counts per module (it had no samples yet)\n"
    assert budget(flashcards)["calibration"]["refactor"]["unit"] == "per module"
    assert subjects(flashcards)[0] == "calibration: task type refactor now counts per module"
    run("calibrate", "flashcard", "3", "6")
    before = (flashcards / "budget.json").read_bytes()
    refused = run("calibration", "add", "flashcard", "--unit", "per deck")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: task type 'flashcard' already exists, counted per card over 1 sample: "
        "see `ai-budget calibration`\n"
    )
    assert (flashcards / "budget.json").read_bytes() == before
    assert_clean(flashcards)


def test_concurrent_calibrations_lose_no_update(flashcards: Path) -> None:
    writers = 6
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ai_budget", "calibrate", "flashcard", "1", "1.5", "10"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(writers)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    entry = budget(flashcards)["calibration"]["flashcard"]
    assert entry["samples"] == writers
    assert entry["units"] == writers
    assert entry["total_5h_pct"] == pytest.approx(1.5 * writers)
    assert entry["total_output_tokens"] == 10 * writers
    assert sum(s.startswith("calibrate flashcard") for s in subjects(flashcards)) == writers
    assert_clean(flashcards)


def test_split_weights_follow_expected_cost() -> None:
    table = {
        "flashcard": CalibrationEntry(units=10, total_5h_pct=20),  # 2 %/unit
        "essay": CalibrationEntry(units=2, total_5h_pct=16),  # 8 %/unit
        "new": CalibrationEntry(),
    }
    # Expected costs: 5 × 2 = 10, 1 × 8 = 8, and 2 × mean(2, 8) = 10 for the uncalibrated type.
    assert split_weights(table, [("flashcard", 5), ("essay", 1), ("new", 2)]) == pytest.approx(
        [10 / 28, 8 / 28, 10 / 28]
    )
    # With nothing calibrated, units of different kinds cannot be compared: equal shares.
    assert split_weights({}, [("a", 1), ("b", 3)]) == pytest.approx([0.5, 0.5])
    assert split_weights({}, [("flashcard", 15), ("feature", 1), ("essay", 2)]) == pytest.approx([1 / 3] * 3)
