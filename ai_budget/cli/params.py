"""Click parameter types: user input is parsed once, here, into the values the core takes."""

from __future__ import annotations

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
