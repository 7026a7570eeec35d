"""Click parameter types: user input is parsed once, here, into the values the core takes."""

from __future__ import annotations

from typing import Any

import click

from ai_budget.quantities import parse_count, parse_number


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

    def __init__(self, positive: bool = False):
        self.positive = positive

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """The number, or a one-line error naming the parameter (our InvalidInput, not click's)."""
        return (
            value if isinstance(value, float) else parse_number(value, _name(param), positive=self.positive)
        )


class Count(click.ParamType):
    """A whole number, zero or more; `1,500` means fifteen hundred."""

    name = "count"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """The count, or a one-line error naming the parameter."""
        return parse_count(value, _name(param))


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
COUNT = Count()
WHEN = When()


class DoneItem(click.ParamType):
    """`--done 'TYPE UNITS description'` (the type is checked against the journal later)."""

    name = "done"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """A parsed Done item, or a one-line error."""
        from ai_budget.session.log import Done, parse_done

        return value if isinstance(value, Done) else parse_done(value)


DONE = DoneItem()
