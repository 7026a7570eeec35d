"""Prepaid API credits, the alert thresholds and the Console settings: parts of budget.json, no I/O."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer

from ai_budget.model.fields import Loose, Timestamp

# Dollars, exact in memory (Decimal), a plain number in budget.json.
Money = Annotated[Decimal, Field(ge=0, le=10**9), PlainSerializer(float, when_used="json")]
LEVELS = ("CRITICAL", "WARNING", "CAUTION")


class Alerts(Loose):
    """Thresholds of the credit alerts (the original tracker's defaults)."""

    critical_usd: Money = Decimal(5)
    critical_days: float = Field(default=1, ge=0)
    warning_usd: Money = Decimal(10)
    warning_days: float = Field(default=2, ge=0)
    # CAUTION: today's spend above this many times the 7-day daily average.
    caution_ratio: float = Field(default=2, gt=0)


class ConsoleSettings(Loose):
    """Where the Admin API key is kept and who "you" are in the Console's reports."""

    # A file holding the key (mode 0600); ANTHROPIC_ADMIN_API_KEY wins when set.
    admin_key_file: str | None = None
    # Your address in the organisation, for your own Claude Code spend.
    email: str | None = None
    # Names of the API keys your Claude Code runs on (its report lists those by key, not by person).
    api_key_names: list[str] = Field(default_factory=list)
    # Monthly spend limit per workspace (id or name), in dollars: the Admin API does not report them.
    workspace_limits: dict[str, Money] = Field(default_factory=dict)


class CreditsSection(Loose):
    """A prepaid balance typed in from the Console, and when it was read."""

    remaining_usd: Money
    total_usd: Money | None = None
    expires: date | None = None
    set_at: Timestamp
    # Where the spend since `set_at` comes from: the transcripts' API-equivalent cost, or the Console.
    burn_source: Literal["transcripts", "console"] = "transcripts"


def cents(value: Decimal) -> Decimal:
    """A dollar amount rounded to the cent."""
    return value.quantize(Decimal("0.01"))
