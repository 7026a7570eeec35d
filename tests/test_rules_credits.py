"""The arithmetic of prepaid credits and Console months (planning/credits.py) at its edges: a balance
exactly used up, a run-out exactly at the expiry, thresholds met exactly, and every odd shape an
Admin API answer can take. Every figure follows from the numbers given."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from ai_budget.model.credits import Alerts
from ai_budget.planning.credits import (
    MAX_DAYS_AHEAD,
    MAX_MINOR,
    Spend,
    alert_levels,
    console_month,
    daily_costs,
    dollars,
    forecast,
    month_end_projection,
    spent_after,
)

NOW = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)  # a midnight: day arithmetic stays exact
D = Decimal


def spend(since_set: float, last_7_days: float, today: float = 0) -> Spend:
    return Spend(D(str(since_set)), D(str(last_7_days)), D(str(today)))


def test_a_balance_used_up_exactly_runs_out_now() -> None:
    done = forecast(D(10), spend(10, 0), NOW, None, Alerts())
    assert (done.remaining, done.days_left, done.runs_out_at) == (0, 0, NOW)


def test_under_a_dollar_left_still_lasts_its_share_of_a_day() -> None:
    done = forecast(D(10), spend(9.5, 7), NOW, None, Alerts())  # $0.50 at $1/day
    assert (done.remaining, done.daily_rate, done.days_left) == (D("0.5"), 1, D("0.5"))
    assert done.runs_out_at == NOW + timedelta(hours=12)


def test_a_run_out_exactly_at_the_horizon_is_given_and_one_past_it_is_not() -> None:
    at_horizon = forecast(D(MAX_DAYS_AHEAD), spend(0, 7), NOW, None, Alerts())  # $1/day
    assert at_horizon.days_left == MAX_DAYS_AHEAD
    assert at_horizon.runs_out_at == NOW + timedelta(days=MAX_DAYS_AHEAD)
    beyond = forecast(D(MAX_DAYS_AHEAD + 1), spend(0, 7), NOW, None, Alerts())
    assert (beyond.days_left, beyond.runs_out_at) == (MAX_DAYS_AHEAD + 1, None)


def test_the_forecast_keeps_what_it_was_given() -> None:
    done = forecast(D(25), spend(5, 7), NOW, date(2027, 1, 1), Alerts())
    assert (done.balance_at_set, done.expires, done.spend) == (D(25), date(2027, 1, 1), spend(5, 7))


def test_credits_that_run_out_before_they_expire() -> None:
    # $10 at $1/day runs out in 10 days; they expire in 30: nothing is left unused.
    done = forecast(D(10), spend(0, 7), NOW, (NOW + timedelta(days=30)).date(), Alerts())
    assert (done.expires_first, done.unused_at_expiry) == (False, None)


def test_running_out_exactly_when_they_expire_is_not_expiring_first() -> None:
    done = forecast(D(10), spend(0, 7), NOW, (NOW + timedelta(days=10)).date(), Alerts())
    assert done.runs_out_at == NOW + timedelta(days=10)
    assert (done.expires_first, done.unused_at_expiry) == (False, None)


def test_credits_that_expire_first_leave_the_rest_unused() -> None:
    # $10 at $0.10/day lasts 100 days; they expire in 30: $7.00 unused.
    done = forecast(D(10), spend(0, "0.7"), NOW, (NOW + timedelta(days=30)).date(), Alerts())
    assert (done.expires_first, done.unused_at_expiry) == (True, D("7.0"))


def test_expired_credits_are_critical_from_the_first_moment_of_the_day() -> None:
    today = NOW.date()
    done = forecast(D(50), spend(0, 7), NOW, today, Alerts())
    assert done.expired is True
    assert [a.level for a in done.alerts] == ["CRITICAL"]
    assert done.unused_at_expiry == D(50)  # expired now: nothing was spent after the expiry
    tomorrow = forecast(D(50), spend(0, 7), NOW, today + timedelta(days=1), Alerts())
    assert tomorrow.expired is False


def test_an_overspent_balance_past_its_expiry_leaves_nothing_unused() -> None:
    done = forecast(D(5), spend(8, 7), NOW, NOW.date() - timedelta(days=1), Alerts())
    assert (done.remaining, done.expires_first, done.unused_at_expiry) == (D(-3), True, D(0))


def test_an_overspent_balance_says_zero_left_not_less() -> None:
    done = forecast(D(5), spend(8, 7), NOW, None, Alerts())
    assert [(a.level, a.reason) for a in done.alerts] == [("CRITICAL", "about $0.00 left (under $5.00)")]


def test_days_left_exactly_at_a_threshold_do_not_raise_it() -> None:
    # $40 at $20/day: 2 days left, exactly the WARNING days; over $10, so no WARNING.
    assert alert_levels(D(40), D(2), D(0), D(20), Alerts()) == []
    found = alert_levels(D(39), D("1.95"), D(0), D(20), Alerts())
    assert [(a.level, a.reason) for a in found] == [
        ("WARNING", "about 2.0 days left at $20.00/day (under 2)")
    ]


def test_todays_spend_exactly_at_the_caution_ratio_is_no_caution() -> None:
    # 7-day average $2/day (of which $2 today), the ratio 2: today must exceed $4.
    assert alert_levels(D(100), None, D(4), D(2), Alerts()) == []
    assert [a.level for a in alert_levels(D(100), None, D("4.01"), D("2.001"), Alerts())] == ["CAUTION"]


def test_the_projection_of_a_finished_month_is_its_cost() -> None:
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    end = start + timedelta(days=3)
    assert month_end_projection(D(10), start, end, end) == D(10)  # not 10 / 3 × 3
    assert month_end_projection(D(10), start, end, start + timedelta(days=2)) == D(15)


# --- dollars from the Admin API -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "usd"),
    [
        ("1250.5", D("12.505")),
        (0, D(0)),
        ("0", D(0)),
        (int(MAX_MINOR), D(10**12)),
        (str(MAX_MINOR + 1), None),
        ("-5", None),
        ("Infinity", None),
        ("NaN", None),
        ("1e999999999", None),
        ("lots", None),
        (True, None),
        (None, None),
        (D(500), None),  # not a JSON value: refused like any other
        ([5], None),
    ],
    ids=repr,
)
def test_dollars(minor: object, usd: Decimal | None) -> None:
    assert dollars(minor) == usd


# --- a Console month from odd answers -------------------------------------------------------------------


def cost(day: str, *items: dict[str, Any]) -> dict[str, Any]:
    start = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
    return {
        "starting_at": start.isoformat(),
        "ending_at": (start + timedelta(days=1)).isoformat(),
        "results": list(items),
    }


def month(answers: dict[str, Any], limits: dict[str, Decimal] | None = None) -> Any:
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    end = datetime(2026, 12, 1, tzinfo=timezone.utc)
    return console_month(answers, start, end, end, (end, False), limits or {})


def test_unusable_buckets_are_skipped_and_the_rest_counted() -> None:
    good = cost("2026-11-03", {"amount": "300"})
    buckets = [
        {"starting_at": "not a time", "ending_at": "2026-11-02T00:00:00Z", "results": [{"amount": "100"}]},
        {"starting_at": None, "ending_at": "2026-11-02T00:00:00Z", "results": [{"amount": "100"}]},
        {"starting_at": "2026-11-01T00:00:00Z", "ending_at": None, "results": [{"amount": "100"}]},
        {"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z", "results": "x"},
        good,
    ]
    assert [(s.day, amount) for s, _e, amount in daily_costs(buckets)] == [(3, D(3))]
    empty = daily_costs([cost("2026-11-04")])
    assert empty[0][2] == 0 and isinstance(empty[0][2], Decimal)


def test_spend_after_a_moment_takes_the_share_of_the_day_it_falls_in() -> None:
    moment = datetime(2026, 11, 2, 18, tzinfo=timezone.utc)  # a quarter of the 2nd is left
    days = [
        (datetime(2026, 11, 3, tzinfo=timezone.utc), datetime(2026, 11, 4, tzinfo=timezone.utc), D(10)),
        (datetime(2026, 11, 2, tzinfo=timezone.utc), datetime(2026, 11, 3, tzinfo=timezone.utc), D(8)),
        (datetime(2026, 11, 1, tzinfo=timezone.utc), datetime(2026, 11, 2, tzinfo=timezone.utc), D(99)),
    ]
    assert spent_after(days, moment, datetime(2026, 11, 5, tzinfo=timezone.utc)) == D(12)
    instant = [(moment, moment, D(5))]  # a bucket that ends the moment it starts: nothing after
    assert spent_after(instant, moment, moment + timedelta(days=1)) == 0


def test_models_workspaces_and_tokens_from_odd_answers() -> None:
    answers = {
        "cost": [
            cost(
                "2026-11-02",
                {"amount": "500", "model": "big"},
                {"amount": "100", "model": "small", "workspace_id": "wrkspc_unlisted"},
                {"amount": "50"},  # no model, no cost type: "other"
                {"amount": "20", "workspace_id": None},
            )
        ],
        "usage": [
            {
                "results": [
                    {
                        "model": "small",
                        "output_tokens": 7,
                        "uncached_input_tokens": "5",
                        "cache_creation": None,
                    },
                    {"model": "only-used", "output_tokens": 3, "cache_read_input_tokens": True},
                    {"output_tokens": -2, "cache_creation": {"ephemeral_5m_input_tokens": 4, "x": 2.5}},
                ]
            }
        ],
        "workspaces": [{"name": "no id"}, {"id": "wrkspc_a", "name": "A"}],
        "you": "me@example.invalid",
        "claude_code": [
            {"date": "2026-11-02", "core_metrics": None, "model_breakdown": [{"estimated_cost": None}]},
            {
                "date": "2026-11-03",
                "core_metrics": {"num_sessions": 2},
                "model_breakdown": [
                    {"estimated_cost": {"amount": "lots"}},
                    {"estimated_cost": {"amount": 150}},
                ],
            },
        ],
        "notes": "not a list",
    }
    got = month(answers, {"": D(1), "Default": D(3)})
    assert got.total == D("6.70")
    assert [(m.model, m.cost) for m in got.models] == [
        ("big", D(5)),
        ("small", D(1)),
        ("other", D("0.70")),
        ("only-used", D(0)),
    ]
    lines = {m.model: m for m in got.models}
    assert (lines["small"].output_tokens, lines["small"].input_tokens, lines["small"].cache_write_tokens) == (
        7,
        0,
        0,
    )
    assert (lines["only-used"].output_tokens, lines["only-used"].cache_read_tokens) == (3, 0)
    assert (lines["other"].output_tokens, lines["other"].cache_write_tokens) == (0, 4)
    spaces = [(w.id, w.name, w.cost, w.limit) for w in got.workspaces]
    # Items with no workspace are the Default one's ($5 + $0.50 + $0.20); its limit is looked up by
    # its empty id first, then by name.
    assert spaces == [
        (None, "Default", D("5.70"), D(1)),
        ("wrkspc_unlisted", "wrkspc_unlisted", D(1), None),
        ("wrkspc_a", "A", D(0), None),
    ]
    assert got.you is not None and (got.you.cost, got.you.sessions, got.you.days) == (D("1.50"), 2, 2)
    assert got.notes == []
    assert got.now == datetime(2026, 12, 1, tzinfo=timezone.utc)


def test_tokens_with_no_model_and_no_cost_make_a_line_named_other() -> None:
    got = month({"cost": [], "usage": [{"results": [{"output_tokens": 9}]}]})
    assert [(m.model, m.cost, m.output_tokens) for m in got.models] == [("other", D(0), 9)]


def test_a_month_with_nothing_spent_is_zero_dollars() -> None:
    got = month({"cost": [], "notes": ["a note", 5]})
    assert got.total == 0 and isinstance(got.total, Decimal)
    assert got.notes == ["a note", "5"]
