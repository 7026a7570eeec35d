"""Pure arithmetic of prepaid credits and Console months: burn rate, days left, run-out date, the
alert levels, and the projection of a month's cost to its end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ai_budget.model.credits import LEVELS, Alerts
from ai_budget.timeutil import parse_time

WEEK_DAYS = 7
# Beyond this a run-out date means nothing (and past year 9999 it cannot be written): none is given.
MAX_DAYS_AHEAD = 36500
# Exit statuses of `--check` for each level (status's own: 10 warning tier, 11 runs out, 20 at limit).
EXIT_CODES = {"CAUTION": 10, "WARNING": 11, "CRITICAL": 20}


@dataclass(frozen=True)
class Spend:
    """What was spent, in dollars: since the balance was set, in the last 7 × 24 h, and today."""

    since_set: Decimal
    last_7_days: Decimal
    today: Decimal


@dataclass(frozen=True)
class Alert:
    """One level reached, and why."""

    level: str
    reason: str


@dataclass(frozen=True)
class CreditsForecast:
    """Where a prepaid balance stands now and when it runs out."""

    balance_at_set: Decimal
    spend: Spend
    remaining: Decimal
    daily_rate: Decimal
    days_left: Decimal | None
    runs_out_at: datetime | None
    expires: date | None
    expires_first: bool | None
    unused_at_expiry: Decimal | None
    alerts: list[Alert] = field(default_factory=list)
    # The expiry date has come (the credits expire at the start of that day, UTC).
    expired: bool = False

    @property
    def exit_code(self) -> int:
        """The `--check` status of the worst level reached (0 when none is)."""
        return max((EXIT_CODES[a.level] for a in self.alerts), default=0)


def forecast(
    balance_at_set: Decimal, spend: Spend, now: datetime, expires: date | None, alerts: Alerts
) -> CreditsForecast:
    """Remaining = balance − spend since it was set; days left at the 7-day average (spend / 7)."""
    remaining = balance_at_set - spend.since_set
    rate = spend.last_7_days / WEEK_DAYS
    days_left: Decimal | None = None
    runs_out: datetime | None = None
    if remaining <= 0:
        days_left, runs_out = Decimal(0), now
    elif rate > 0:
        days_left = remaining / rate
        if days_left <= MAX_DAYS_AHEAD:
            runs_out = now + timedelta(days=float(days_left))
    expires_first, unused = _expiry(remaining, rate, now, runs_out, expires)
    expired = expires is not None and now >= _start(expires, now)
    return CreditsForecast(
        balance_at_set=balance_at_set,
        spend=spend,
        remaining=remaining,
        daily_rate=rate,
        days_left=days_left,
        runs_out_at=runs_out,
        expires=expires,
        expires_first=expires_first,
        unused_at_expiry=unused,
        alerts=alert_levels(remaining, days_left, spend.today, rate, alerts, expires if expired else None),
        expired=expired,
    )


def _start(day: date, now: datetime) -> datetime:
    """The first moment of `day`, in the zone of `now` (UTC)."""
    return datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)


def _expiry(
    remaining: Decimal, rate: Decimal, now: datetime, runs_out: datetime | None, expires: date | None
) -> tuple[bool | None, Decimal | None]:
    """Whether the credits expire (at the start of `expires`, UTC) before they run out, and what is
    left unused then."""
    if expires is None:
        return None, None
    end = _start(expires, now)
    if runs_out is not None and runs_out <= end:
        return False, None
    days = Decimal(max((end - now).total_seconds(), 0)) / 86400
    return True, max(remaining - rate * days, Decimal(0))


def alert_levels(
    remaining: Decimal,
    days_left: Decimal | None,
    today: Decimal,
    rate: Decimal,
    alerts: Alerts,
    expired: date | None = None,
) -> list[Alert]:
    """CRITICAL or WARNING on the balance (the worse one only), and CAUTION on today's burn.
    Credits that have expired are CRITICAL, whatever is left of them."""
    found: list[Alert] = []
    if expired is not None:
        found.append(Alert("CRITICAL", f"the credits expired on {expired}: set the new balance"))
    else:
        found += _balance_alert(remaining, days_left, rate, alerts)
    ratio = Decimal(str(alerts.caution_ratio))
    # With nothing spent before today there is no average to exceed: a first day is no alarm.
    before_today = rate * WEEK_DAYS - today
    if before_today > 0 and today > ratio * rate:
        found.append(
            Alert(
                "CAUTION",
                f"today's spend ${today:,.2f} is over {alerts.caution_ratio:g}× "
                f"the 7-day average ${rate:,.2f}/day",
            )
        )
    return sorted(found, key=lambda a: LEVELS.index(a.level))


def _balance_alert(
    remaining: Decimal, days_left: Decimal | None, rate: Decimal, alerts: Alerts
) -> list[Alert]:
    """The worse of CRITICAL and WARNING reached by the balance or the days left (none, or one)."""
    for level, usd, days in (
        ("CRITICAL", alerts.critical_usd, alerts.critical_days),
        ("WARNING", alerts.warning_usd, alerts.warning_days),
    ):
        if remaining < usd:
            return [Alert(level, f"about ${max(remaining, Decimal(0)):,.2f} left (under ${usd:,.2f})")]
        if days_left is not None and days_left < Decimal(str(days)):
            return [Alert(level, f"about {days_left:.1f} days left at ${rate:,.2f}/day (under {days:g})")]
    return []


def month_end_projection(cost_so_far: Decimal, start: datetime, end: datetime, now: datetime) -> Decimal:
    """A month's cost at its end: cost so far / days elapsed × days in the month (elapsed counted in
    fractions of a day, at least one, so the first hours do not project a hundredfold)."""
    if now >= end:
        return cost_so_far
    elapsed = max(Decimal((now - start).total_seconds()) / 86400, Decimal(1))
    days = Decimal((end - start).total_seconds()) / 86400
    return cost_so_far / elapsed * days


@dataclass
class ModelLine:
    """One model this month: its cost (cost report) and its tokens (usage report)."""

    model: str
    cost: Decimal = Decimal(0)
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass
class WorkspaceLine:
    """One workspace's cost this month, and its spend limit when the user gave one."""

    id: str | None
    name: str
    cost: Decimal = Decimal(0)
    limit: Decimal | None = None


@dataclass
class ClaudeCodeSpend:
    """Your own Claude Code this month, as the Console estimates it."""

    who: str
    cost: Decimal = Decimal(0)
    sessions: int = 0
    days: int = 0


@dataclass
class ConsoleMonth:
    """What `console` shows for one month."""

    month: str
    start: datetime
    end: datetime
    now: datetime
    fetched_at: datetime
    cached: bool
    total: Decimal
    projection: Decimal
    daily: list[tuple[date, Decimal]]
    models: list[ModelLine]
    workspaces: list[WorkspaceLine]
    you: ClaudeCodeSpend | None
    notes: list[str] = field(default_factory=list)


# No organisation's month comes near this (in cents: $10^12); past it an amount is damage, and
# "1e999999999" would print a billion digits or overflow the arithmetic.
MAX_MINOR = Decimal(10**14)


def dollars(minor: object) -> Decimal | None:
    """Minor units (cents: a decimal string or a number) as dollars; None when not a finite amount from
    0 to MAX_MINOR."""
    if isinstance(minor, bool) or not isinstance(minor, (str, int, float)):
        return None
    try:
        value = Decimal(str(minor).strip())
    except ArithmeticError:
        return None
    return value / 100 if value.is_finite() and 0 <= value <= MAX_MINOR else None


def _dicts(value: object) -> list[dict[str, Any]]:
    """The objects of a JSON list (anything else in it, or no list, is nothing)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _priced(cost: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Decimal]]:
    """Every cost item of the report's buckets with its amount in dollars (unusable amounts left out)."""
    for bucket in cost:
        for item in _dicts(bucket.get("results")):
            amount = dollars(item.get("amount"))
            if amount is not None:
                yield item, amount


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def daily_costs(buckets: list[dict[str, Any]]) -> list[tuple[datetime, datetime, Decimal]]:
    """Each cost bucket's start, end and total in dollars (unusable amounts and times left out)."""
    found = []
    for bucket in buckets:
        try:
            start, end = parse_time(bucket.get("starting_at")), parse_time(bucket.get("ending_at"))
        except ValueError:
            continue
        if start is None or end is None or not isinstance(bucket.get("results"), list):
            continue
        found.append((start, end, sum((amount for _item, amount in _priced([bucket])), Decimal(0))))
    return found


def spent_after(days: list[tuple[datetime, datetime, Decimal]], moment: datetime, now: datetime) -> Decimal:
    """The cost of the daily buckets after `moment`: whole for a day that began after it, and for the
    day it falls in the share of that day (up to now) that came after it, as if spent evenly."""
    total = Decimal(0)
    for start, end, amount in days:
        end = min(end, now)
        if end <= moment:
            continue
        if start >= moment:
            total += amount
        else:
            total += amount * Decimal((end - moment).total_seconds()) / Decimal((end - start).total_seconds())
    return total


def _models(cost: list[dict[str, Any]], usage: list[dict[str, Any]]) -> list[ModelLine]:
    lines: dict[str, ModelLine] = {}
    for item, amount in _priced(cost):
        name = str(item.get("model") or item.get("cost_type") or "other")
        lines.setdefault(name, ModelLine(name)).cost += amount
    for bucket in usage:
        for r in _dicts(bucket.get("results")):
            name = str(r.get("model") or "other")
            line = lines.setdefault(name, ModelLine(name))
            line.input_tokens += _count(r.get("uncached_input_tokens"))
            line.output_tokens += _count(r.get("output_tokens"))
            line.cache_read_tokens += _count(r.get("cache_read_input_tokens"))
            made = r.get("cache_creation")
            line.cache_write_tokens += sum(_count(v) for v in made.values()) if isinstance(made, dict) else 0
    return sorted(lines.values(), key=lambda m: (-m.cost, m.model))


def _workspaces(
    cost: list[dict[str, Any]], listed: list[dict[str, Any]], limits: dict[str, Decimal]
) -> list[WorkspaceLine]:
    lines: dict[str, WorkspaceLine] = {}
    for w in listed:
        wid = str(w.get("id") or "")
        if wid and not w.get("archived_at"):
            lines[wid] = WorkspaceLine(wid, str(w.get("name") or wid))
    for item, amount in _priced(cost):
        wid = str(item.get("workspace_id") or "")  # null: the Default workspace
        line = lines.get(wid)
        if line is None:
            line = lines[wid] = WorkspaceLine(wid or None, wid or "Default")
        line.cost += amount
    for line in lines.values():
        line.limit = limits.get(line.id or "", limits.get(line.name))
    return sorted(lines.values(), key=lambda w: (-w.cost, w.name))


def _claude_code(who: str, records: list[dict[str, Any]]) -> ClaudeCodeSpend:
    you = ClaudeCodeSpend(who)
    days = set()
    for record in records:
        days.add(record.get("date"))
        metrics = record.get("core_metrics")
        you.sessions += _count(metrics.get("num_sessions")) if isinstance(metrics, dict) else 0
        for part in _dicts(record.get("model_breakdown")):
            estimated = part.get("estimated_cost")
            amount = dollars(estimated.get("amount")) if isinstance(estimated, dict) else None
            you.cost += amount or Decimal(0)
    you.days = len(days)
    return you


def console_month(
    answers: dict[str, Any],
    start: datetime,
    end: datetime,
    now: datetime,
    fetched: tuple[datetime, bool],
    limits: dict[str, Decimal],
) -> ConsoleMonth:
    """The month from the Admin API's answers: totals per day, model and workspace, the projection."""
    cost, usage = _dicts(answers.get("cost")), _dicts(answers.get("usage"))
    days = daily_costs(cost)
    total = sum((amount for _s, _e, amount in days), Decimal(0))
    who = answers.get("you")
    notes = answers.get("notes")
    return ConsoleMonth(
        month=f"{start:%Y-%m}",
        start=start,
        end=end,
        now=now,
        fetched_at=fetched[0],
        cached=fetched[1],
        total=total,
        projection=month_end_projection(total, start, end, fetched[0]),
        daily=[(s.date(), amount) for s, _e, amount in sorted(days)],
        models=_models(cost, usage),
        workspaces=_workspaces(cost, _dicts(answers.get("workspaces")), limits),
        you=_claude_code(who, _dicts(answers.get("claude_code"))) if isinstance(who, str) else None,
        notes=[str(n) for n in notes] if isinstance(notes, list) else [],
    )
