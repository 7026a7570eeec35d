"""Numbers for people: percentages, deltas, money, units and plurals (plain text, no terminal)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal


def fmt_units(value: float) -> str:
    """15.0 -> '15', 2.5 -> '2.5'."""
    return f"{value:g}" if value != int(value) else str(int(value))


def plural(count: float, word: str) -> str:
    """'1 sample', '2 samples', '2.5 cards', '3 searches'."""
    suffix = "" if count == 1 else ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{fmt_units(count)} {word}{suffix}"


def pct(value: float | None) -> str:
    """37.0 -> '37.0%'; None -> '?'."""
    return "?" if value is None else f"{value:.1f}%"


def delta(value: float | None, reset: bool = False) -> str:
    """'+25.0%', 'reset' or '?'."""
    if reset:
        return "reset"
    return "?" if value is None else f"{value:+.1f}%"


def rate(value: float | None) -> str:
    """A %/unit average with two decimals, or '-' when there is none."""
    return "-" if value is None else f"{value:.2f}"


def money(value: Decimal | float | None) -> str:
    """'$1.23' (cents), or '?' when unpriced."""
    return "?" if value is None else f"${value:,.2f}"


# Terminal escapes (CSI and OSC sequences) and other control characters: never stored in the journal.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?|[\x00-\x08\x0b-\x1f\x7f]"
)


def clean_text(text: str) -> str:
    """Text typed by a user with terminal escapes and control characters removed (tabs kept)."""
    return _ESCAPES.sub("", text)


def clean_line(text: str) -> str:
    """One line of user text for the journal: escapes and control characters removed, breaks folded."""
    return " ".join(clean_text(text).split())


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'flashcard'?)' when a known name is close to `name` (case aside), else ''."""
    from difflib import get_close_matches  # only on the way to an error message

    lowered = {k.lower(): k for k in known}
    close = get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[close[0]]!r}?)" if close else ""
