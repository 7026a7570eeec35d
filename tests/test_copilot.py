"""Copilot and Gemini, set by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_clean, budget, run, subjects

from ai_budget.timeutil import next_month_start, now


def test_set_and_show(journal: Path) -> None:
    result = run("copilot", "set", "212")
    assert result.exit_code == 0
    assert subjects(journal)[0] == "copilot: 212/300 premium requests used"
    data = budget(journal)["copilot"]
    assert data["premium_requests_used"] == 212
    assert data["premium_requests_limit"] == 300
    assert data["unit"] == "requests"
    reset = next_month_start(now())
    assert data["resets_at"] == reset.isoformat()
    assert reset.day == 1 and reset.hour == 0
    shown = json.loads(run("copilot", "show", "--json").stdout)
    assert shown["remaining"] == 88
    assert shown["reset_since_update"] is False
    assert "212/300 premium requests used, 88 left" in run("copilot", "show").stdout
    assert_clean(journal)


@pytest.mark.parametrize(
    ("args", "limit", "unit", "label"),
    [
        (("--unit", "credits"), 1500, "credits", "AI credits"),
        (("--unit", "credits", "--plan", "pro+"), 7000, "credits", "AI credits"),
        (("--plan", "Pro Plus"), 1500, "requests", "premium requests"),
        (("--plan", "free"), 50, "requests", "premium requests"),
        (("--limit", "450"), 450, "requests", "premium requests"),
    ],
)
def test_allowance_by_plan_and_unit(
    journal: Path, args: tuple[str, ...], limit: int, unit: str, label: str
) -> None:
    assert run("copilot", "set", "40", *args).exit_code == 0
    data = budget(journal)["copilot"]
    assert (data["premium_requests_limit"], data["unit"]) == (limit, unit)
    assert subjects(journal)[0] == f"copilot: 40/{limit} {label} used"


def test_custom_limit_is_kept_on_the_next_set(journal: Path) -> None:
    run("copilot", "set", "10", "--limit", "450")
    run("copilot", "set", "20")
    assert budget(journal)["copilot"]["premium_requests_limit"] == 450


def test_reset_since_last_update_is_reported(journal: Path) -> None:
    data = budget(journal)
    data["copilot"].update(
        premium_requests_used=280, last_updated="2026-01-20", resets_at="2026-02-01T00:00:00+00:00"
    )
    (journal / "budget.json").write_text(json.dumps(data))
    out = run("copilot", "show")
    assert "The monthly counter has reset since this count was taken" in out.stdout
    assert json.loads(run("copilot", "show", "--json").stdout)["reset_since_update"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("copilot", "set", "many"), "Error: USED must be a whole number, got 'many'\n"),
        (("copilot", "set", "-5"), "Error: USED cannot be negative, got '-5'\n"),
        (("copilot", "set", "5", "--limit", "0"), "Error: --limit must be greater than 0\n"),
        (
            ("copilot", "set", "5", "--plan", "free", "--unit", "credits"),
            "Error: no known AI credits allowance for plan 'free' (known: pro, pro+, max, business, "
            "enterprise): give it with --limit N\n",
        ),
        (
            ("gemini", "set", " "),
            "Error: STATUS must not be empty, for example `ai-budget gemini set active`\n",
        ),
    ],
)
def test_bad_input(journal: Path, args: tuple[str, ...], message: str) -> None:
    before = (journal / "budget.json").read_bytes()
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr == message
    assert (journal / "budget.json").read_bytes() == before


def test_gemini(journal: Path) -> None:
    assert run("gemini", "set", "billing_pending").exit_code == 0
    assert subjects(journal)[0] == "gemini: billing_pending"
    assert run("gemini", "show").stdout.startswith("Gemini (api): billing_pending (updated ")
    assert budget(journal)["gemini"]["status"] == "billing_pending"
