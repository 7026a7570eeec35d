"""Time parsing and formatting shared by every module (UTC inside, local time on screen)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone

TYPE_CHECKING = False  # typing's own costs every hook milliseconds of start-up
if TYPE_CHECKING:
    from typing import Any


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


# What ai-budget and the endpoints write: read by the standard library (the same moment dateutil's
# isoparse gives, without its import; anything else still goes to isoparse).
_PLAIN_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?(Z|[+-]\d\d:\d\d)?")


def _fromisoformat(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:  # 24:00, a 13th month, ...: isoparse decides
        return None


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO string, an epoch number (s or ms) or a datetime into aware UTC; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value  # epoch ms from credentials files
        try:
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"not a time: {value!r} is out of range") from None
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return parse_time(float(text))
        fast = _fromisoformat(text) if _PLAIN_ISO.fullmatch(text) else None
        if fast is not None:
            dt = fast
        else:
            from dateutil import parser as dateparser  # kept out of start-up

            try:
                dt = dateparser.isoparse(text)
            except OverflowError:
                raise ValueError(f"not a time: {text!r} is out of range") from None
    else:
        raise ValueError(f"not a time: {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:59-23:59 is past the last UTC moment datetime holds
        raise ValueError(f"not a time: {value!r} is out of range") from None


def next_month_start(moment: datetime) -> datetime:
    """The 1st of the month after `moment`, 00:00 UTC (Copilot's reset)."""
    from dateutil.relativedelta import relativedelta

    return month_start(moment) + relativedelta(months=1)


def month_start(moment: datetime) -> datetime:
    """The 1st of `moment`'s month, 00:00 UTC."""
    return moment.astimezone(timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_when(text: str, reference: datetime | None = None) -> datetime:
    """Parse `--since`/`--until`: relative (`90m`, `5h`, `2d`, `1w`) or an ISO time (local if naive)."""
    reference = reference or now()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        try:
            return reference - timedelta(seconds=amount * _UNITS[unit])
        except OverflowError:
            raise ValueError(f"{text!r} reaches back before the year 1: give a shorter span") from None
    plain = text.strip()
    # The common full form without dateutil's import (about a tenth of a cold `tokens --since`).
    dt = _fromisoformat(plain) if _PLAIN_ISO.fullmatch(plain) else None
    if dt is None:
        from dateutil import parser as dateparser

        try:
            dt = dateparser.isoparse(plain)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"cannot read {text!r} as a time: use ISO (2026-11-22T09:00) or 5h, 2d") from exc
    try:
        if dt.tzinfo is None:
            dt = dt.astimezone()  # a bare time means the user's local time
        return dt.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # 0001-01-01 in a zone east of UTC is in the year 0
        raise ValueError(f"{text!r} is too close to the year 1: give a later time") from None


def _span(total_minutes: int) -> str:
    """`3d 4h`, `2h 13m` or `5m`."""
    days, rest = divmod(total_minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def countdown(target: datetime | None, reference: datetime | None = None) -> str:
    """A short countdown such as `2h 13m`, `3d 4h`, or `now`."""
    if target is None:
        return "no reset scheduled"
    seconds = (target - (reference or now())).total_seconds()
    if seconds <= 0:
        return "now"
    # Round up to the minute: "in 2m" for a 119.6 s wait, never a too-early promise.
    return _span(math.ceil(seconds / 60))


def age(then: datetime | None, reference: datetime | None = None) -> str:
    """How old a value is, such as `3h 5m`, `2d 1h` or `40s`."""
    if then is None:
        return "unknown age"
    seconds = int(((reference or now()) - then).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    return _span(seconds // 60)


def local_clock(moment: datetime, reference: datetime | None = None) -> str:
    """A time as local wall time; with the date when it is not today, and the year when not this year."""
    local = moment.astimezone()
    ref = (reference or now()).astimezone()
    if local.date() == ref.date():
        return local.strftime("%H:%M")
    if local.year != ref.year:
        return local.strftime("%a %d %b %Y %H:%M")
    return local.strftime("%a %d %b %H:%M")


def today() -> date:
    """Today's date in local time."""
    return datetime.now().astimezone().date()
