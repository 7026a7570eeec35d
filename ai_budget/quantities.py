"""Reading numbers typed by a user, with errors that say what was expected."""

from __future__ import annotations

import math
import re

from ai_budget.errors import InvalidInput

# Bounds beyond any real session: larger values are typing slips, refused rather than stored.
MAX_UNITS = 1_000_000
MAX_TOKENS = 10**11
MAX_COPILOT = 10_000_000

# Plain digits, or digits grouped by thousands with commas ("1,500"); nothing looser.
_COUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+")
# The same grouping before a decimal part ("1,500.5"): a number reads one way wherever it is typed.
_GROUPED = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


def parse_number(
    text: str | float, name: str, *, positive: bool = False, maximum: float | None = None
) -> float:
    """A finite number; `positive` refuses zero and below, otherwise only below zero; at most `maximum`.
    Thousands may be grouped with commas (1,500 or 1,500.5), as counts may."""
    raw = text.strip() if isinstance(text, str) else text
    if isinstance(raw, str) and _GROUPED.fullmatch(raw):
        raw = raw.replace(",", "")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, got {text!r}")
    if positive and value <= 0:
        raise InvalidInput(f"{name} must be greater than 0, got {text!r}")
    if value < 0:
        raise InvalidInput(f"{name} cannot be negative, got {text!r}")
    if maximum is not None and value > maximum:
        raise InvalidInput(f"{name} must be at most {maximum:,g}, got {text!r}")
    return value


def parse_count(text: str | int, name: str, maximum: int | None = None) -> int:
    """A whole number, zero or more, at most `maximum`; thousands may be grouped with commas (1,500)."""
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
    if maximum is not None and value > maximum:
        raise InvalidInput(f"{name} must be at most {maximum:,}, got {text!r}")
    return value
