"""Copilot and Gemini, updated by hand: allowances by plan, the monthly reset, staleness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ai_budget.errors import InvalidInput
from ai_budget.fmt import clean_line
from ai_budget.model.budget import CopilotSection, GeminiSection
from ai_budget.timeutil import month_start, next_month_start

# Monthly allowances by unit and plan (GitHub's plans page; credits since June 2026).
ALLOWANCES: dict[str, dict[str, int]] = {
    "requests": {"free": 50, "pro": 300, "pro+": 1500, "business": 300, "enterprise": 1000},
    "credits": {"pro": 1500, "pro+": 7000, "max": 20000, "business": 1900, "enterprise": 3900},
}
UNIT_LABEL = {"requests": "premium requests", "credits": "AI credits"}
STALE_DAYS = 2


def normalise_plan(plan: str) -> str:
    """'Pro Plus', 'pro_plus', 'PRO+' -> 'pro+'."""
    key = plan.strip().lower().replace(" ", "").replace("_", "").replace("-", "")
    return "pro+" if key in ("proplus", "pro+") else key


@dataclass
class CopilotState:
    """What `copilot show` and the brief say about Copilot."""

    section: CopilotSection
    reset_since_update: bool
    stale: bool
    age_days: int | None

    @property
    def label(self) -> str:
        """'premium requests' or 'AI credits'."""
        return UNIT_LABEL[self.section.unit]

    @property
    def remaining(self) -> int | None:
        """What is left this month (0 once over the allowance), or None if unknown."""
        s = self.section
        if s.premium_requests_used is None or s.premium_requests_limit is None:
            return None
        return max(s.premium_requests_limit - s.premium_requests_used, 0)


def copilot_state(section: CopilotSection, moment: datetime) -> CopilotState:
    """Whether the counter reset since it was last set, and whether it is stale."""
    updated = section.last_updated
    reset = False
    age_days = None
    if updated is not None:
        # The counter resets at 00:00 UTC on the 1st: a count from before this month's start is old.
        # The stored date is a local one, so it is compared with the reset's local date.
        reset_at = month_start(moment)
        if section.last_updated_at is not None:
            reset = section.last_updated_at < reset_at
        else:
            reset = updated < reset_at.astimezone().date()
        age_days = (moment.astimezone().date() - updated).days
    if section.resets_at is not None and moment >= section.resets_at:
        reset = True
    stale = age_days is None or age_days > STALE_DAYS or reset
    if not section.enabled:  # switched off: nothing is stale or due, so nothing asks for a count
        reset = stale = False
    return CopilotState(section, reset, stale, age_days)


def copilot_updated(
    section: CopilotSection,
    used: int,
    *,
    limit: int | None = None,
    unit: str | None = None,
    plan: str | None = None,
    moment: datetime,
    today: date,
    source: str = "manual",
) -> CopilotSection:
    """The Copilot section after a count read from GitHub's billing page."""
    if limit == 0:
        raise InvalidInput("--limit must be greater than 0")
    if unit is not None and unit not in ALLOWANCES:
        raise InvalidInput(f"--unit must be 'requests' or 'credits', got {unit!r}")
    new_plan = normalise_plan(plan or section.plan or "pro")
    new_unit = unit or section.unit
    if limit is None and (plan or unit or section.premium_requests_limit is None):
        limit = ALLOWANCES[new_unit].get(new_plan)
        if limit is None:
            plans = ", ".join(ALLOWANCES[new_unit])
            raise InvalidInput(
                f"no known {UNIT_LABEL[new_unit]} allowance for plan {new_plan!r} "
                f"(known: {plans}): give it with --limit N"
            )
    return section.model_copy(
        deep=True,
        update={
            "plan": new_plan,
            "unit": new_unit,
            "premium_requests_used": used,
            "premium_requests_limit": limit if limit is not None else section.premium_requests_limit,
            "last_updated": today,
            "last_updated_at": moment,
            "source": source,
            "resets_at": next_month_start(moment),
        },
    )


def gemini_updated(section: GeminiSection, status: str, plan: str | None, today: date) -> GeminiSection:
    """The Gemini section with the status the user sees in AI Studio."""
    status = clean_line(status)
    if not status:
        raise InvalidInput("STATUS must not be empty, for example `ai-budget gemini set active`")
    update: dict[str, object] = {"status": status, "last_updated": today}
    if plan and clean_line(plan):
        update["plan"] = clean_line(plan)
    return section.model_copy(deep=True, update=update)
