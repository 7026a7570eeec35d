"""Limit changes: the detector on constructed histories, the weighting rule, the journal end to end."""

from __future__ import annotations

import json
import math
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import assert_clean, budget, git, run
from usage_server import Reply, UsageServer, usage_body

from ai_budget.planning.limits import Change, Point, Sample, detect, predating, weighted_rate
from ai_budget.session.limits import warning

T0 = datetime(2026, 8, 1, 10, 0, tzinfo=timezone.utc)


def sessions(rates: list[float], pct: float = 10.0, start: int = 0) -> list[Point]:
    """One session a day from T0, each at `pct` of the window and the given tokens per %."""
    return [Point(T0 + timedelta(days=start + i), rate * pct, pct) for i, rate in enumerate(rates)]


# --- the detector ---------------------------------------------------------------------------------


def test_a_clean_step_is_found_with_its_date_and_ratio() -> None:
    points = sessions([1000.0] * 20 + [1900.0] * 10)
    assert detect(points) == Change(
        since=T0 + timedelta(days=20), ratio=1.9, sessions_before=20, sessions_after=10
    )


def test_the_step_shows_once_most_of_the_last_ten_are_past_it() -> None:
    # 25 old and 5 new: the last ten's median is (1000 + 1900) / 2 = 1450, a ratio of 1.45 < 1.5.
    assert detect(sessions([1000.0] * 25 + [1900.0] * 5)) is None
    # 24 old and 6 new: that median is 1900; the change is placed at the first new session.
    change = detect(sessions([1000.0] * 24 + [1900.0] * 6))
    assert change is not None
    assert (change.since, change.ratio, change.sessions_before, change.sessions_after) == (
        T0 + timedelta(days=24),
        1.9,
        24,
        6,
    )


def test_a_step_down_is_found_and_said_as_fewer_tokens() -> None:
    change = detect(sessions([2000.0] * 20 + [1000.0] * 10))
    assert change is not None and change.ratio == 0.5
    assert warning(change) == (
        "Claude's 5-hour window seems to hold about 2.0× fewer tokens per % since 2026-08-21: "
        "calibrations before that date are weighted down"
    )


def test_a_session_halfway_between_counts_as_new() -> None:
    # Exactly at the geometric mean of the two levels, it fits either side alike: the earliest split wins.
    change = detect(sessions([1000.0] * 20 + [math.sqrt(1000.0 * 1900.0)] + [1900.0] * 9))
    assert change is not None and (change.since, change.ratio) == (T0 + timedelta(days=20), 1.9)


def test_a_median_shift_inside_a_wide_spread_is_not_a_change() -> None:
    # Before: ten at 500 and ten at 2000 (median 1250); after: four at 500, six at 2000 (median 2000):
    # a ratio of 1.6, but the pooled spread is 1.4826 × 0.47 = 0.70 in log, and three standard errors
    # of the difference, 3 × 1.2533 × 0.70 × √(1/20 + 1/10) = 1.01, exceed log 1.6 = 0.47.
    assert detect(sessions([500.0, 2000.0] * 10 + [500.0, 2000.0] * 4 + [2000.0] * 2)) is None


def test_too_few_sessions_find_nothing() -> None:
    assert detect(sessions([1000.0] * 19 + [1900.0] * 10)) is None  # 29 < 20 + 10
    assert detect([]) is None


def test_sessions_with_tiny_deltas_are_ignored() -> None:
    # 4 % sessions are off by up to ±25 % from rounding alone: wild ones among them change nothing.
    tiny = [Point(T0 + timedelta(days=i, hours=5), 40_000.0 * (i % 2) + 10.0, 4.0) for i in range(30)]
    step = sessions([1000.0] * 20 + [1900.0] * 10)
    assert detect(step + tiny) == detect(step)
    # ...and they do not count towards enough sessions.
    assert detect(sessions([1000.0] * 19 + [1900.0] * 10) + tiny) is None
    # Sessions without output tokens (transcripts gone) do not count either.
    assert detect(sessions([1000.0] * 19 + [1900.0] * 10) + [Point(T0, 0.0, 20.0)]) is None


def test_only_sessions_since_the_last_recorded_change_count() -> None:
    points = sessions([1000.0] * 20 + [1900.0] * 10)
    since = T0 + timedelta(days=20)
    assert detect(points, after=since) is None  # 10 sessions since: too few for another change
    # Twenty more at the new level and ten at a third: a second change, measured against the new level.
    more = sessions([1900.0] * 20 + [3800.0] * 10, start=30)
    second = detect(points + more, after=since)
    assert second is not None and (second.since, second.ratio) == (T0 + timedelta(days=50), 2.0)


def test_noise_without_a_step_raises_no_alarm_at_any_check() -> None:
    # Log-normal tokens per %, σ = 0.2 in log (about ±20 %), deltas 5 to 40 %: every prefix is what a
    # `check` would see after that many sessions.
    rng = random.Random(2026)
    points = [
        Point(T0 + timedelta(hours=8 * i), 1000.0 * pct * math.exp(rng.gauss(0, 0.2)), float(pct))
        for i, pct in ((i, rng.randint(5, 40)) for i in range(100))
    ]
    assert [n for n in range(31, 101) if detect(points[:n]) is not None] == []


def test_noise_with_a_step_is_found_near_it() -> None:
    rng = random.Random(2026)
    points = [
        Point(
            T0 + timedelta(hours=8 * i),
            (1900.0 if i >= 50 else 1000.0) * pct * math.exp(rng.gauss(0, 0.2)),
            float(pct),
        )
        for i, pct in ((i, rng.randint(5, 40)) for i in range(80))
    ]
    found = next((detect(points[:n]) for n in range(31, 81) if detect(points[:n]) is not None), None)
    assert found is not None
    # Placed within three sessions of the real step; the ratio, a median of as few as 5 sessions, within
    # three of its standard errors (1.2533 × 0.2 / √5 = 0.112 in log, so a factor of e^0.336 = 1.4).
    assert abs(found.since - points[50].at) <= timedelta(hours=24)
    assert 1.9 / 1.4 <= found.ratio <= 1.9 * 1.4


# --- the weighting rule ---------------------------------------------------------------------------

CHANGE = Change(since=T0 + timedelta(days=10), ratio=2.0, sessions_before=20, sessions_after=10)
OLD = T0 + timedelta(days=1)
NEW = T0 + timedelta(days=11)


def test_without_a_change_the_rate_is_the_ratio_of_sums() -> None:
    assert weighted_rate([Sample(OLD, 10, 25.0), Sample(NEW, 20, 30.0)]) == pytest.approx(55 / 30)


def test_old_samples_are_scaled_by_the_ratio_and_weighted_a_quarter() -> None:
    samples = [Sample(OLD, 10, 40.0), Sample(NEW, 10, 10.0)]
    # (0.25 × 40 / 2 + 10) / (0.25 × 10 + 10) = 15 / 12.5
    assert weighted_rate(samples, [CHANGE]) == pytest.approx(1.2)
    # Only old samples: their rate over the ratio, 40 / 10 / 2.
    assert weighted_rate(samples[:1], [CHANGE]) == pytest.approx(2.0)
    assert predating(samples, [CHANGE]) == CHANGE
    assert predating(samples[1:], [CHANGE]) is None


def test_a_sample_before_two_changes_is_scaled_and_weighted_by_both() -> None:
    later = Change(since=T0 + timedelta(days=20), ratio=1.5, sessions_before=20, sessions_after=10)
    samples = [Sample(OLD, 10, 30.0), Sample(T0 + timedelta(days=21), 10, 10.0)]
    # (0.0625 × 30 / 3 + 10) / (0.0625 × 10 + 10) = 10.625 / 10.625
    assert weighted_rate(samples, [CHANGE, later]) == pytest.approx(1.0)
    assert predating(samples, [CHANGE, later]) == later


# --- the journal, end to end ----------------------------------------------------------------------


# The rule on this history: old flashcard samples 200 % over 200 cards, new ones 50 % over 100 cards.
WEIGHTED = (0.25 * 200 / 1.9 + 50) / (0.25 * 200 + 100)
WARNING = (
    "Claude's 5-hour window seems to hold about 1.9× more tokens per % since 2026-09-14: "
    "calibrations before that date are weighted down"
)


def test_the_brief_warns_once_and_estimates_with_the_rule(changed: Path, server: UsageServer) -> None:
    reset = datetime.now(timezone.utc) + timedelta(hours=3)
    server.answer(Reply(body=usage_body(five=20.0, week=10.0, five_reset=reset)))
    first = run("check")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.count(WARNING) == 1
    # 10 cards at the weighted rate: 5.09 % shown as 5.1 %, not the stored 8.3 %.
    assert re.search(r"Chapter cards \{flashcard: 10\}\s+5\.1%\s+calibrated, 0\.51 %/card", first.stdout)
    limits = budget(changed)["limits"]
    assert [(r["since"], r["ratio"]) for r in limits] == [("2026-09-14T10:00:00+00:00", 1.9)]
    assert "Limit-Change: since=2026-09-14T10:00:00+00:00 ratio=1.9" in git(
        changed, "log", "-1", "--format=%(trailers)"
    )
    assert_clean(changed)

    second = json.loads(run("check", "--json").stdout)
    assert WARNING not in second["warnings"]
    assert second["tasks"][0]["estimate_pct"] == round(WEIGHTED * 10, 2)
    assert second["tasks"][0]["pct_per_unit"] == round(WEIGHTED, 4)
    assert len(budget(changed)["limits"]) == 1
    # The stored sums stay exact: 30 samples, 300 cards, 250 %.
    entry = budget(changed)["calibration"]["flashcard"]
    assert (entry["samples"], entry["units"], entry["total_5h_pct"]) == (30, 300, 250.0)


def test_calibration_show_marks_types_older_than_the_change(changed: Path, server: UsageServer) -> None:
    reset = datetime.now(timezone.utc) + timedelta(hours=3)
    server.answer(Reply(body=usage_body(five=20.0, week=10.0, five_reset=reset)))
    before = run("calibration").stdout
    assert "*" not in before and "estimate" not in before  # no change recorded yet
    run("check")
    lines = run("calibration").stdout.splitlines()
    assert lines[0].split() == ["type", "unit", "samples", "units", "%/unit", "tokens/unit", "estimate"]
    rows = {cells[0]: cells[1:] for cells in (re.split(r" {2,}", line) for line in lines[1:-1])}
    assert rows.pop("essay") == ["per page", "1", "2", "3.00", "-", "3.00"]
    assert rows.pop("flashcard *") == ["per card", "30", "300", "0.83", "983", "0.51"]
    assert all(cells[1:] == ["0", "0", "-", "-", "-"] for cells in rows.values())  # a new journal's others
    assert lines[-1] == (
        "* has samples from before the limit change of 2026-09-14 (1.90× tokens per %): "
        "estimates divide their %/unit by 1.90 and weigh them ×0.25"
    )
    data = json.loads(run("calibration", "show", "--json").stdout)
    assert data["flashcard"]["predates_limit_change"] == {"since": "2026-09-14T10:00:00+00:00", "ratio": 1.9}
    assert data["flashcard"]["estimate_pct_per_unit"] == round(WEIGHTED, 4)
    assert data["essay"]["predates_limit_change"] is None
    assert data["essay"]["estimate_pct_per_unit"] == 3.0
    listed = run("backlog", "list").stdout
    assert f"~{round(WEIGHTED * 10, 2):.1f}% (calibrated)" in listed


def test_samples_no_trailer_accounts_for_predate_every_change(journal: Path) -> None:
    # An entry typed in by hand (2 samples, 20 cards, 50 %) and a change recorded by hand: no trailer
    # dates those samples, so they count as older than the change: 50 / 2.0 / 20 = 1.25 %/card.
    data = budget(journal)
    data["calibration"]["flashcard"] = {"unit": "per card", "samples": 2, "units": 20, "total_5h_pct": 50}
    data["limits"] = [{"since": "2026-09-14T10:00:00+00:00", "ratio": 2.0}]
    (journal / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
    shown = json.loads(run("calibration", "show", "--json").stdout)["flashcard"]
    assert shown["predates_limit_change"] == {"since": "2026-09-14T10:00:00+00:00", "ratio": 2.0}
    assert shown["estimate_pct_per_unit"] == 1.25
    assert shown["pct_per_unit"] == 2.5


def test_a_dismissed_change_is_neither_weighed_nor_found_again(changed: Path, server: UsageServer) -> None:
    reset = datetime.now(timezone.utc) + timedelta(hours=3)
    server.answer(Reply(body=usage_body(five=20.0, week=10.0, five_reset=reset)))
    assert WARNING in json.loads(run("check", "--json").stdout)["warnings"]
    data = budget(changed)
    data["limits"][0]["dismissed"] = True
    (changed / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
    again = json.loads(run("check", "--json").stdout)
    assert WARNING not in again["warnings"]
    assert again["tasks"][0]["estimate_pct"] == round(250 / 300 * 10, 2)  # the stored ratio of sums
    assert "*" not in run("calibration").stdout
    assert budget(changed)["limits"][0]["dismissed"] is True


def test_a_change_behind_many_other_commits_is_still_found(changed: Path, server: UsageServer) -> None:
    # `check` reads the last RECENT commits first; these 30 sessions are all behind them.
    from ai_budget.session.limits import RECENT

    for n in range(RECENT):
        git(changed, "commit", "-q", "--allow-empty", "-m", f"backlog: note {n}")
    reset = datetime.now(timezone.utc) + timedelta(hours=3)
    server.answer(Reply(body=usage_body(five=20.0, week=10.0, five_reset=reset)))
    assert WARNING in json.loads(run("check", "--json").stdout)["warnings"]
    assert [r["ratio"] for r in budget(changed)["limits"]] == [1.9]
