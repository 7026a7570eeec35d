"""Session cost from its transcripts beside Claude Code's own `cost.total_cost_usd`, and why they differ."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Either figure is rounded somewhere: a difference within a cent is no difference.
TOLERANCE = Decimal("0.01")
SIDE_REQUESTS = (
    "Claude Code's figure includes requests it never writes to a transcript (session titles and other "
    "side requests, on a Haiku model)"
)
CLIENT_TABLE = (
    "Claude Code prices with the table built into its version: an older client prices a newer model at an "
    "older model's rate, or not at all, and misses price changes made since it shipped"
)


@dataclass(frozen=True)
class CostComparison:
    """Both figures, their difference (Claude Code's minus ours), and the reasons it can have."""

    ours: Decimal | None
    client: Decimal | None
    difference: Decimal | None
    verdict: str  # "same", "client higher", "client lower", "unknown"
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON form, dollars as numbers."""

        def number(value: Decimal | None) -> float | None:
            return None if value is None else float(round(value, 6))

        return {
            "cost_usd": number(self.ours),
            "client_cost_usd": number(self.client),
            "difference_usd": number(self.difference),
            "verdict": self.verdict,
            "reasons": list(self.reasons),
        }


def compare(
    ours: Decimal | None, client: float | Decimal | None, unpriced: Iterable[str] = ()
) -> CostComparison:
    """Our cost (None: no model priced) beside the client's (None: not reported), never preferring one."""
    missing = sorted(set(unpriced))
    gap = (
        (f"no price is known here for {', '.join(missing)}: ours leaves their calls out",) if missing else ()
    )
    if client is None or isinstance(client, bool) or (isinstance(client, float) and client != client):
        return CostComparison(ours, None, None, "unknown", ("Claude Code reported no cost for this session",))
    theirs = Decimal(str(client))
    if ours is None:
        return CostComparison(None, theirs, None, "unknown", gap)
    difference = theirs - ours
    if abs(difference) <= TOLERANCE:
        return CostComparison(ours, theirs, difference, "same", ())
    if difference > 0:
        return CostComparison(ours, theirs, difference, "client higher", (SIDE_REQUESTS, *gap, CLIENT_TABLE))
    return CostComparison(ours, theirs, difference, "client lower", (CLIENT_TABLE, *gap))
