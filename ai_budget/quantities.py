"""Reading numbers typed by a user, with errors that say what was expected."""

from __future__ import annotations

import math
import re

from ai_budget.errors import InvalidInput

# Plain digits, or digits grouped by thousands with commas ("1,500"); nothing looser.
_COUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+")


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
    """A whole number, zero or more; thousands may be grouped with commas (1,500)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        raw = str(text).strip()
        if raw.startswith("-") and _COUNT.fullmatch(raw[1:]):
            raise InvalidInput(f"{name} cannot be negative, got {text!r}")
        if not _COUNT.fullmatch(raw):
            raise InvalidInput(f"{name} must be a whole number, got {text!r}")
        value = int(raw.replace(",", ""))
    if value < 0:
        raise InvalidInput(f"{name} cannot be negative, got {text!r}")
    return value
