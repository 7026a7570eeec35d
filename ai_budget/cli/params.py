"""Click parameter types: user input is parsed once, here, into the values the core takes."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import click

from ai_budget.quantities import MAX_COPILOT, MAX_TOKENS, MAX_UNITS, parse_count, parse_number


def _name(param: click.Parameter | None) -> str:
    """How a message names the parameter: `UNITS` for an argument, `--limit` for an option."""
    if param is None:
        return "the value"
    if isinstance(param, click.Option):
        return param.opts[0]
    return param.human_readable_name


class Number(click.ParamType):
    """A finite number, zero or more (or above zero with `positive`)."""

    name = "number"

    def __init__(self, positive: bool = False, maximum: float | None = None):
        self.positive = positive
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """The number, or a one-line error naming the parameter (our InvalidInput, not click's)."""
        if isinstance(value, float):
            return value
        return parse_number(value, _name(param), positive=self.positive, maximum=self.maximum)


class Count(click.ParamType):
    """A whole number, zero or more; `1,500` means fifteen hundred."""

    name = "count"

    def __init__(self, maximum: int | None = None):
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The count, or a one-line error naming the parameter."""
        return parse_count(value, _name(param), self.maximum)


class When(click.ParamType):
    """`--since`/`--until`: an ISO time (local if naive) or 90m, 5h, 2d, 1w ago."""

    name = "when"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """An aware UTC datetime, or a one-line error."""
        from ai_budget.errors import InvalidInput
        from ai_budget.timeutil import parse_when

        try:
            return parse_when(value)
        except ValueError as exc:
            raise InvalidInput(f"{_name(param)}: {exc}") from None


NUMBER = Number()
POSITIVE = Number(positive=True)
UNITS = Number(positive=True, maximum=MAX_UNITS)
PERCENT = Number(maximum=100)
TOKENS = Count(MAX_TOKENS)
COPILOT_COUNT = Count(MAX_COPILOT)
WHEN = When()


class DoneItem(click.ParamType):
    """`--done 'TYPE UNITS description'` (the type is checked against the journal later)."""

    name = "done"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """A parsed Done item, or a one-line error."""
        from ai_budget.session.log import Done, parse_done

        return value if isinstance(value, Done) else parse_done(value)


DONE = DoneItem()


MAX_USD = Decimal(10**9)
# Whole dollars (with or without thousands commas) and at most cents: the Console shows no less.
_AMOUNT = re.compile(r"\$?\s*([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(\.[0-9]{1,2})?")


class Dollars(click.ParamType):
    """A dollar amount, zero or more: 12.50, $12.50 or 1,250."""

    name = "dollars"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        """The amount, or a one-line error naming the parameter."""
        from ai_budget.errors import InvalidInput

        if isinstance(value, Decimal):
            return value
        name = _name(param)
        text = str(value).strip()
        found = _AMOUNT.fullmatch(text.lstrip("-"))
        if found and text.startswith("-"):
            raise InvalidInput(f"{name} cannot be negative, got {text!r}: give the amount the Console shows")
        if found is None:
            raise InvalidInput(f"{name} must be a dollar amount to the cent like 12.50, got {text!r}")
        amount = Decimal(found.group(1).replace(",", "") + (found.group(2) or ""))
        if amount > MAX_USD:
            raise InvalidInput(f"{name} must be at most ${MAX_USD:,}, got {text!r}")
        return amount


class Day(click.ParamType):
    """A calendar date, YYYY-MM-DD, after today."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        """The date, or a one-line error."""
        from ai_budget.errors import InvalidInput
        from ai_budget.timeutil import today

        if isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{_name(param)} must be a date like 2027-03-31, got {str(value)!r}") from None
        if day <= today():  # the credits expire at the start of that day: today's date has passed
            raise InvalidInput(
                f"{_name(param)} {day} has already come (credits expire at the start of that day): "
                "give the date the Console shows"
            )
        return day


class Month(click.ParamType):
    """A calendar month, YYYY-MM."""

    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        """The month's first moment (UTC), or a one-line error."""
        from ai_budget.errors import InvalidInput

        if isinstance(value, datetime):
            return value
        try:
            start = datetime.strptime(str(value).strip(), "%Y-%m").replace(tzinfo=timezone.utc)
        except ValueError:
            raise InvalidInput(f"{_name(param)} must be a month like 2026-11, got {str(value)!r}") from None
        return start


DOLLARS = Dollars()
DAY_AHEAD = Day()
MONTH = Month()
