"""budget.json: round trips, atomic writes."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from conftest import budget, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_budget.fileio import write_atomic
from ai_budget.model.budget import BudgetFile, CopilotSection, dumps, parse
from ai_budget.model.calibration import CalibrationEntry

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=12)
finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(timezone.utc)
)
entries = st.builds(
    CalibrationEntry,
    unit=st.one_of(st.none(), names),
    samples=st.integers(0, 1000),
    units=finite,
    total_5h_pct=finite,
    token_units=finite,
    total_output_tokens=st.integers(0, 10**9),
)
budgets = st.builds(
    BudgetFile,
    calibration=st.dictionaries(names, entries, max_size=4),
    copilot=st.builds(
        CopilotSection,
        premium_requests_used=st.one_of(st.none(), st.integers(0, 10**5)),
        resets_at=st.one_of(st.none(), moments),
        last_updated=st.one_of(st.none(), st.dates(date(2020, 1, 1))),
        unit=st.sampled_from(["requests", "credits"]),
    ),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budgets)
def test_round_trip(tmp_path: Path, value: BudgetFile) -> None:
    path = tmp_path / "budget.json"
    write_atomic(path, dumps(value))
    assert parse(path.read_text(), path) == value
    # And a second write of what was read is byte-identical.
    first = path.read_bytes()
    write_atomic(path, dumps(parse(path.read_text(), path)))
    assert path.read_bytes() == first


def test_interrupted_write_leaves_the_old_file(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run("calibration", "add", "flashcard", "--unit", "per card")
    before = (journal / "budget.json").read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(journal / "budget.json", dumps(BudgetFile()))
    monkeypatch.undo()
    assert (journal / "budget.json").read_bytes() == before
    names = sorted(p.name for p in journal.iterdir())
    assert names == [".git", ".gitattributes", "budget.json", "sessions", "tasks"]


def test_unknown_keys_survive_a_write(journal: Path) -> None:
    data = budget(journal)
    data["claude"]["my_flag"] = True
    data["mine"] = {"a": 1}
    (journal / "budget.json").write_text(json.dumps(data))
    run("copilot", "set", "1")
    after = budget(journal)
    assert after["claude"]["my_flag"] is True
    assert after["mine"] == {"a": 1}
