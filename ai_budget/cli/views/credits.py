"""`credits` for people and scripts: the balance, the spend since it was set, the burn rate, days
left, the run-out date against the expiry, and the alerts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_budget.fmt import money
from ai_budget.model.credits import CreditsSection
from ai_budget.planning.credits import MAX_DAYS_AHEAD
from ai_budget.session.credits import CreditsState
from ai_budget.timeutil import age, local_clock

MAX_YEARS = MAX_DAYS_AHEAD // 365
SOURCE_LABEL = {
    "transcripts": "API-equivalent cost of the Claude Code transcripts",
    "console": "the Console's cost report (whole UTC days)",
}


def usd(value: Decimal | None) -> float | None:
    """Dollars for JSON (a number, to a millionth), or None."""
    return float(round(value, 6)) if value is not None else None


def section_text(section: CreditsSection) -> str:
    """What `credits set` recorded."""
    of = f" of {money(section.total_usd)}" if section.total_usd is not None else ""
    expires = f", expires {section.expires.isoformat()}" if section.expires else ""
    return f"Prepaid credits set: {money(section.remaining_usd)}{of} remaining{expires}"


def section_json(section: CreditsSection) -> dict[str, Any]:
    """The credits section as budget.json holds it."""
    return section.model_dump(mode="json")


def credits_line(state: CreditsState) -> str:
    """One line for `status` and the brief."""
    f = state.forecast
    left = money(max(f.remaining, Decimal(0)))
    text = f"Credits: about {left} left, {money(f.daily_rate)}/day (7-day average)"
    if f.remaining <= 0:
        text += ", used up"
    elif f.days_left is not None and f.runs_out_at is not None:
        text += f", {f.days_left:.1f} days: runs out {local_clock(f.runs_out_at, state.now)}"
    elif f.days_left is None:
        text += ", no spend in 7 days"
    else:
        text += f", over {MAX_YEARS} years at that rate"
    if f.expired:
        text += f"; expired {f.expires}"
    elif f.expires_first:
        text += f"; expires {f.expires} first, about {money(f.unused_at_expiry)} unused"
    return text


def credits_text(state: CreditsState) -> str:
    """`credits show` for a person."""
    f, s = state.forecast, state.section
    of = f" of {money(s.total_usd)}" if s.total_usd is not None else ""
    lines = [
        f"Prepaid credits: about {money(f.remaining)} left{of}",
        f"  Set to {money(f.balance_at_set)} {age(s.set_at, state.now)} ago "
        f"({s.set_at.astimezone():%a %d %b %H:%M}); spent since: {money(f.spend.since_set)}",
        f"  From the {SOURCE_LABEL[state.source]}",
        f"  Burn: {money(f.daily_rate)}/day over the last 7 days ({money(f.spend.last_7_days)}); "
        f"today {money(f.spend.today)}",
    ]
    if f.remaining <= 0:
        lines.append("  Days left: none: the balance is used up (top up, then `ai-budget credits set`)")
    elif f.days_left is not None and f.runs_out_at is not None:
        lines.append(
            f"  Days left: {f.days_left:.1f} at that rate: runs out about "
            f"{local_clock(f.runs_out_at, state.now)}"
        )
    elif f.days_left is not None:
        lines.append(f"  Days left: over {MAX_YEARS} years at that rate, so no run-out date")
    else:
        lines.append("  Days left: no spend in the last 7 days, so no run-out date")
    if f.expires is not None:
        if f.expired:
            lines.append(f"  Expired {f.expires}: set the new balance with `ai-budget credits set`")
        elif f.expires_first:
            lines.append(
                f"  Expires {f.expires}, before it runs out: about {money(f.unused_at_expiry)} unused then"
            )
        else:
            lines.append(f"  Expires {f.expires}: it runs out first")
    lines += [f"  ({note})" for note in state.notes]
    lines += alert_lines(state)
    return "\n".join(lines)


def alert_lines(state: CreditsState) -> list[str]:
    """The alerts reached, and any failure of alert_command."""
    lines = [f"  {a.level}: {a.reason}" for a in state.forecast.alerts]
    lines += [f"  ({p})" for p in state.alert_problems]
    return (["Alerts"] + lines) if lines else []


def credits_json(state: CreditsState) -> dict[str, Any]:
    """`credits show --json`."""
    f, s = state.forecast, state.section
    return {
        "remaining_usd": usd(f.remaining),
        "balance_at_set_usd": usd(f.balance_at_set),
        "total_usd": usd(s.total_usd),
        "set_at": s.set_at.isoformat(),
        "expires": f.expires.isoformat() if f.expires else None,
        "burn_source": state.source,
        "spent_since_set_usd": usd(f.spend.since_set),
        "last_7_days_usd": usd(f.spend.last_7_days),
        "today_usd": usd(f.spend.today),
        "daily_rate_usd": usd(f.daily_rate),
        "days_left": float(round(f.days_left, 4)) if f.days_left is not None else None,
        "runs_out_at": f.runs_out_at.isoformat() if f.runs_out_at else None,
        "expires_first": f.expires_first,
        "expired": f.expired,
        "unused_at_expiry_usd": usd(f.unused_at_expiry),
        "alerts": [{"level": a.level, "reason": a.reason} for a in f.alerts],
        "alert_problems": state.alert_problems,
        "notes": state.notes,
        "check": f.exit_code,
    }
