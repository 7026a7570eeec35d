"""The one severity of the budget: green, yellow, orange or red on the worse of the two windows, the
window that decided it, and whether a window is at its limit (the primary model unavailable now).

Every surface takes it from here: the statusline (which imports this module alone, so it stays
free of pydantic and click), `check` and its JSON, `status`, `watch`, `tier`, the hooks, routing and
the Python API. The settings live in budget.json under `settings.tiers`; `thresholds` reads them
from plain JSON for the fast paths, and the pydantic model takes its defaults from DEFAULTS.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # not typing's own: importing typing costs the statusline milliseconds per message
if TYPE_CHECKING:
    from typing import Any, NamedTuple

LEVELS = ("green", "yellow", "orange", "red")
UNKNOWN = "unknown"
WINDOWS = {"five_hour": "5-hour", "seven_day": "weekly"}
# Each level's colour: ANSI for the statusline and `status`, rich's names for `watch`.
ANSI = {"green": "32", "yellow": "33", "orange": "38;5;208", "red": "31"}
RICH = {"green": "green", "yellow": "yellow", "orange": "dark_orange", "red": "red"}
# Upper bounds (exclusive) of green, yellow and orange; at or past the limit a window is "at its
# limit" (every routing policy sends work to its fallback).
BOUNDS = {"green": 50.0, "yellow": 70.0, "orange": 85.0, "limit": 95.0}

# The two tuples are collections.namedtuple at run time (typing.NamedTuple would import typing); the
# checker sees the same fields typed.
if TYPE_CHECKING:

    class _Thresholds(NamedTuple):
        green: float = BOUNDS["green"]
        yellow: float = BOUNDS["yellow"]
        orange: float = BOUNDS["orange"]
        limit: float = BOUNDS["limit"]

    class _Severity(NamedTuple):
        level: str
        window: str | None
        value: float | None
        at_limit: bool
        limit: float

else:
    _Thresholds = namedtuple("_Thresholds", list(BOUNDS), defaults=list(BOUNDS.values()))
    _Severity = namedtuple("_Severity", "level window value at_limit limit")


class Thresholds(_Thresholds):
    """Upper bounds (exclusive) of green, yellow and orange, and where a window counts as at its limit."""

    __slots__ = ()


DEFAULTS = Thresholds()


class Severity(_Severity):
    """The severity now: its level, the window that decided it, that window's value, and the limit."""

    __slots__ = ()

    @property
    def label(self) -> str:
        """'5-hour' or 'weekly' (empty when nothing is known)."""
        return WINDOWS.get(self.window or "", "")

    def describe(self) -> str:
        """'RED (5-hour window at 90 %)', with 'at its limit' from the limit on."""
        if self.window is None or self.value is None:
            return "UNKNOWN (no usage known)"
        limit = ", at its limit" if self.at_limit else ""
        return f"{self.level.upper()} ({self.label} window at {self.value:g} %{limit})"


def paint(text: str, level_name: str, colour: bool = True) -> str:
    """`text` in the level's ANSI colour (as it is for an unknown level or without colour)."""
    code = ANSI.get(level_name)
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text


def level(value: float | None, bounds: Any = DEFAULTS) -> str:
    """The level of one window's value: below green is green, and so on; unknown without a value."""
    if value is None:
        return UNKNOWN
    if value < bounds.green:
        return "green"
    if value < bounds.yellow:
        return "yellow"
    if value < bounds.orange:
        return "orange"
    return "red"


def severity(five_hour: float | None, seven_day: float | None, bounds: Any = DEFAULTS) -> Severity:
    """The level of the worse window (on a tie the 5-hour one, which resets first), and its limit state."""
    limit = float(bounds.limit)
    if five_hour is None and seven_day is None:
        return Severity(UNKNOWN, None, None, False, limit)
    if seven_day is None or (five_hour is not None and five_hour >= seven_day):
        window, value = "five_hour", five_hour
    else:
        window, value = "seven_day", seven_day
    assert value is not None
    return Severity(level(value, bounds), window, value, value >= limit, limit)


def _number(value: Any, default: float) -> float:
    """A finite number from JSON (never a bool), else the default."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < float("inf"):
        return float(value)
    return default


def thresholds(settings: Any) -> Thresholds:
    """The thresholds from budget.json's `settings` as plain JSON (the fast paths' reading of it); a
    missing or odd value takes its default, as the full model would refuse it."""
    given = settings.get("tiers") if isinstance(settings, dict) else None
    if not isinstance(given, dict):
        return DEFAULTS
    return Thresholds(*(_number(given.get(name), default) for name, default in DEFAULTS._asdict().items()))
