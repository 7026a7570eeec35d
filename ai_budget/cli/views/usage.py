"""Claude utilisation for people and scripts: bars, reset countdowns, `fetch --json`."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ai_budget.timeutil import age, countdown, local_clock, now

# Type names only: `tokens` must not pay for pydantic at start-up.
if TYPE_CHECKING:
    from ai_budget.model.usage import Snapshot, UsageResponse, UsageWindow

SOURCE_LABEL = {
    "statusline": "from Claude Code's statusline",
    "claude-cache": "from Claude Code's cache",
    "api": "from the usage endpoint",
    "cache": "cached",
    "file": "from a file",
    "history": "from the usage history",
    "last-known": "last known values",
}


def bar(percent: float | None, width: int = 20) -> str:
    """A fixed-width bar for a 0-100 percentage."""
    if percent is None:
        return "·" * width
    filled = round(min(max(percent, 0.0), 100.0) / 100 * width)
    return "█" * filled + "░" * (width - filled)


def window_rows(response: UsageResponse) -> list[tuple[str, UsageWindow]]:
    """The windows to show, labelled: 5-hour, weekly, then the others that carry a number."""
    rows = [("5-hour", response.five_hour), ("weekly", response.seven_day)]
    for key, window in response.other_windows().items():
        if window.utilization is not None:
            rows.append((key.replace("seven_day_", "weekly ").replace("_", " "), window))
    return rows + response.scoped_windows()


def window_json(window: UsageWindow, at: datetime | None = None) -> dict[str, Any]:
    """One window as JSON, with minutes to its reset."""
    minutes = None
    if window.resets_at is not None:
        minutes = max(round((window.resets_at - (at or now())).total_seconds() / 60), 0)
    return {
        "utilization": window.utilization,
        "resets_at": window.resets_at.isoformat() if window.resets_at else None,
        "minutes_to_reset": minutes,
    }


def window_line(label: str, window: UsageWindow, at: datetime | None = None, label_width: int = 14) -> str:
    """'5-hour  ███░░  37.0%  resets 17:59, in 3h 57m'."""
    value = "    ?" if window.utilization is None else f"{window.utilization:5.1f}%"
    if window.resets_at is None:
        reset = "no reset scheduled (idle window)"
    elif window.resets_at <= (at or now()):
        reset = f"reset time passed ({local_clock(window.resets_at, at)}): fetch again"
    else:
        reset = f"resets {local_clock(window.resets_at, at)}, in {countdown(window.resets_at, at)}"
    return f"  {label.ljust(label_width)} {bar(window.utilization)} {value}  {reset}"


def usage_json(snap: Snapshot, at: datetime | None = None) -> dict[str, Any]:
    """`fetch --json`."""
    r = snap.response
    return {
        "source": snap.source,
        "fresh": snap.fresh,
        "fetched_at": snap.observed_at.isoformat(),
        "age_seconds": round(((at or now()) - snap.observed_at).total_seconds()),
        "error": snap.error,
        "five_hour": window_json(r.five_hour, at),
        "seven_day": window_json(r.seven_day, at),
        "windows": {k: window_json(w, at) for k, w in r.other_windows().items()},
        "limits": r.limits,
        "extra_usage": r.extra_usage,
    }


def extra_usage_line(extra: dict[str, Any] | None) -> str | None:
    """Extra usage (pay-as-you-go credits), amounts given in minor units."""
    if not extra or not extra.get("is_enabled"):
        return None
    places = extra.get("decimal_places")
    scale = 10 ** (
        places if isinstance(places, int) and not isinstance(places, bool) and 0 <= places <= 6 else 2
    )
    currency = extra.get("currency") if isinstance(extra.get("currency"), str) else None
    used, limit, share = (_number(extra.get(key)) for key in ("used_credits", "monthly_limit", "utilization"))
    if used is None or limit is None:  # a figure missing, or not a number: only that it is on
        return "  extra usage    enabled"
    shown = f" ({share:.1f}%)" if share is not None else ""
    return (
        f"  extra usage    enabled: {used / scale:.2f} of {limit / scale:.2f} {currency or 'USD'} used{shown}"
    )


def _number(value: Any) -> float | None:
    """A JSON number, finite, as a float; anything else (text, true/false, a list) is no figure."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def usage_text(snap: Snapshot, at: datetime | None = None) -> str:
    """`fetch` for a person: a line per window with bar, percentage and reset countdown."""
    head = f"Claude usage ({SOURCE_LABEL[snap.source]}, {local_clock(snap.observed_at, at)}"
    if snap.source in ("statusline", "claude-cache", "cache", "last-known"):
        head += f", {age(snap.observed_at, at)} old"
    lines = [head + ")"]
    lines += [window_line(label, w, at) for label, w in window_rows(snap.response)]
    extra = extra_usage_line(snap.response.extra_usage)
    if extra:
        lines.append(extra)
    return "\n".join(lines)
