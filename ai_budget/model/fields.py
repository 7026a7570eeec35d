"""Pydantic building blocks shared by every model: lenient timestamps and models that keep extra keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from ai_budget.timeutil import parse_time


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# A timestamp field: lenient on the way in, ISO 8601 with "+00:00" on the way out.
Timestamp = Annotated[datetime, BeforeValidator(parse_time), PlainSerializer(_iso, when_used="json")]


class Loose(BaseModel):
    """A model that keeps keys it does not know (a user's own, or a newer endpoint's)."""

    # NaN and ±Infinity are never a usage, a count or a setting (and json reads them happily).
    model_config = ConfigDict(extra="allow", allow_inf_nan=False, defer_build=True)
