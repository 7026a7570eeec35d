"""Reading numbers typed by a user, with errors that say what was expected."""

from __future__ import annotations

import math

from ai_budget.errors import InvalidInput


def parse_number(text: str | float, name: str, *, positive: bool = False) -> float:
    """A finite number; `positive` refuses zero and below, otherwise only below zero."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, got {text!r}")
    if positive and value <= 0:
        raise InvalidInput(f"{name} must be greater than 0, got {text!r}")
    if value < 0:
        raise InvalidInput(f"{name} cannot be negative, got {text!r}")
    return value


def parse_count(text: str | int, name: str) -> int:
    """A whole number, zero or more."""
    try:
        value = int(str(text).replace(",", "").replace("_", ""))
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {text!r}") from None
    if value < 0:
        raise InvalidInput(f"{name} cannot be negative, got {text!r}")
    return value


def fmt_units(value: float) -> str:
    """15.0 -> '15', 2.5 -> '2.5'."""
    return f"{value:g}" if value != int(value) else str(int(value))


def plural(count: float, word: str) -> str:
    """'1 sample', '2 samples', '2.5 cards', '3 searches'."""
    suffix = "" if count == 1 else ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")
    return f"{fmt_units(count)} {word}{suffix}"
