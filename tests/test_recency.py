"""Recency: a half-life in samples weighs recent calibration samples more; the stored sums stay sums."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import budget, run
from usage_server import Reply, UsageServer, usage_body

from ai_budget.planning.limits import Sample, weighted_rate

T0 = datetime(2026, 8, 1, tzinfo=timezone.utc)


def at(i: int) -> datetime:
    return T0 + timedelta(hours=i)


def test_off_by_default_every_sample_counts_alike() -> None:
    samples = [Sample(at(0), 10, 40.0), Sample(at(1), 10, 20.0)]
    assert weighted_rate(samples) == pytest.approx(3.0)
    assert weighted_rate(samples, half_life=None) == weighted_rate(samples, half_life=0)


def test_each_half_life_of_newer_samples_halves_a_weight() -> None:
    samples = [Sample(at(0), 10, 10.0), Sample(at(1), 10, 20.0), Sample(at(2), 10, 40.0)]
    # Weights 0.25, 0.5, 1: (2.5 + 10 + 40) / (2.5 + 5 + 10).
    assert weighted_rate(samples, half_life=1) == pytest.approx(3.0)
    # Half-life 2: weights 0.5, 0.5 ** 0.5, 1.
    w = 0.5**0.5
    assert weighted_rate(samples, half_life=2) == pytest.approx((5 + 20 * w + 40) / (5 + 10 * w + 10))


def test_a_lump_of_samples_ages_the_older_ones_by_its_count() -> None:
    samples = [Sample(at(0), 1, 1.0), Sample(at(1), 3, 9.0, count=3), Sample(at(2), 1, 2.0)]
    # Ages 4, 1, 0 at half-life 1: weights 1/16, 1/2, 1.
    expected = (1 / 16 * 1 + 0.5 * 9 + 2) / (1 / 16 * 1 + 0.5 * 3 + 1)
    assert weighted_rate(samples, half_life=1) == pytest.approx(expected)


def test_the_constructed_case_for_a_half_life() -> None:
    # A type that cost 3 %/unit for 40 samples, then 2 %/unit for the last 10 (the work got easier).
    samples = [Sample(at(i), 1, 3.0) for i in range(40)] + [Sample(at(40 + i), 1, 2.0) for i in range(10)]
    assert weighted_rate(samples) == pytest.approx(2.8)  # (40 × 3 + 10 × 2) / 50
    # Half-life 5: q = 2^(-1/5); the last ten weigh (1 - q^10) / (1 - q) together, the forty before them
    # q^10 (1 - q^40) / (1 - q).
    q = 2 ** (-1 / 5)
    new, old = (1 - q**10) / (1 - q), q**10 * (1 - q**40) / (1 - q)
    assert weighted_rate(samples, half_life=5) == pytest.approx((2 * new + 3 * old) / (new + old))
    assert weighted_rate(samples, half_life=5) == pytest.approx(2.249, abs=0.001)


@pytest.fixture
def halflife(journal: Path) -> Path:
    """Flashcards calibrated by two real `calibrate` runs (4 %/card, then 2 %/card), half-life 1."""
    run("calibration", "add", "flashcard", "--unit", "per card")
    run("calibrate", "flashcard", "10", "40")
    run("calibrate", "flashcard", "10", "20")
    run("backlog", "add", "[M] Cards {flashcard: 3}")
    data = budget(journal)
    data["settings"]["calibration_half_life"] = 1
    (journal / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
    return journal


# Weights 0.5 and 1: (0.5 × 40 + 20) / (0.5 × 10 + 10); the stored ratio of sums is 60 / 20 = 3.
WEIGHTED = 40 / 15


def test_estimates_use_the_half_life_and_the_sums_stay(halflife: Path, server: UsageServer) -> None:
    assert "~8.0% (calibrated)" in run("backlog", "list").stdout  # 3 × 2.667, not 3 × 3
    lines = run("calibration").stdout.splitlines()
    assert lines[0].split() == ["type", "unit", "samples", "units", "%/unit", "tokens/unit", "estimate"]
    rows = {cells[0]: cells[1:] for cells in (re.split(r" {2,}", line) for line in lines[1:])}
    assert rows.pop("flashcard") == ["per card", "2", "20", "3.00", "-", "2.67"]
    assert all(cells[1:] == ["0", "0", "-", "-", "-"] for cells in rows.values())  # a new journal's others
    reset = datetime.now(timezone.utc) + timedelta(hours=3)
    server.answer(Reply(body=usage_body(five=20.0, week=10.0, five_reset=reset)))
    brief = json.loads(run("check", "--json").stdout)
    assert brief["tasks"][0]["estimate_pct"] == round(WEIGHTED * 3, 2)
    assert not any("5-hour window seems" in w for w in brief["warnings"])
    entry = budget(halflife)["calibration"]["flashcard"]
    assert (entry["samples"], entry["units"], entry["total_5h_pct"], entry["avg_5h_pct"]) == (2, 20, 60, 3.0)
    assert budget(halflife)["settings"]["calibration_half_life"] == 1


def test_a_bad_half_life_is_refused_with_its_field(journal: Path) -> None:
    data = budget(journal)
    data.setdefault("settings", {})["calibration_half_life"] = -2
    (journal / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
    result = run("calibration")
    assert result.exit_code != 0
    assert "settings.calibration_half_life" in result.stderr and "Traceback" not in result.stderr
