"""Copilot and Gemini, updated by hand: allowances by plan, the monthly reset, staleness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ai_budget.errors import InvalidInput
from ai_budget.journal import Journal
from ai_budget.models import CopilotSection, GeminiSection
from ai_budget.quantities import parse_count
from ai_budget.timeutil import month_start, next_month_start, now, today

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


def state(section: CopilotSection, moment: datetime | None = None) -> CopilotState:
    """Whether the counter reset since it was last set, and whether it is stale."""
    moment = moment or now()
    updated = section.last_updated
    reset = False
    if updated is not None:
        # The counter resets at 00:00 UTC on the 1st: a count from before this month's start is old.
        reset = updated < month_start(moment).date()
    if section.resets_at is not None and moment >= section.resets_at:
        reset = True
    stale = updated is None or (moment.astimezone().date() - updated).days > STALE_DAYS or reset
    return CopilotState(section, reset, stale)


def updated(
    section: CopilotSection,
    used: str | int,
    limit: str | int | None = None,
    unit: str | None = None,
    plan: str | None = None,
) -> CopilotSection:
    """The Copilot section after a count read from GitHub's billing page (not saved)."""
    used_v = parse_count(used, "USED")
    limit_v = parse_count(limit, "--limit") if limit is not None else None
    if limit_v == 0:
        raise InvalidInput("--limit must be greater than 0")
    if unit is not None and unit not in ALLOWANCES:
        raise InvalidInput(f"--unit must be 'requests' or 'credits', got {unit!r}")
    section = section.model_copy(deep=True)
    new_plan = normalise_plan(plan) if plan else normalise_plan(section.plan or "pro")
    new_unit = unit or section.unit
    if limit_v is None and (plan or unit or section.premium_requests_limit is None):
        allowance = ALLOWANCES[new_unit].get(new_plan)
        if allowance is None:
            plans = ", ".join(ALLOWANCES[new_unit])
            raise InvalidInput(
                f"no known {UNIT_LABEL[new_unit]} allowance for plan {new_plan!r} "
                f"(known: {plans}): give it with --limit N"
            )
        limit_v = allowance
    section.plan = new_plan
    section.unit = new_unit  # type: ignore[assignment]
    section.premium_requests_used = used_v
    if limit_v is not None:
        section.premium_requests_limit = limit_v
    section.last_updated = today()
    section.resets_at = next_month_start(now())
    return section


def summary(section: CopilotSection) -> str:
    """'212/300 premium requests used'."""
    return f"{section.premium_requests_used}/{section.premium_requests_limit} {UNIT_LABEL[section.unit]} used"


def set_usage(
    journal: Journal,
    used: str | int,
    limit: str | int | None = None,
    unit: str | None = None,
    plan: str | None = None,
) -> CopilotState:
    """Record the Copilot count read from GitHub's billing page, and commit."""
    with journal.locked():
        budget = journal.load()
        budget.copilot = updated(budget.copilot, used, limit, unit, plan)
        journal.save(budget)
        journal.commit(["budget.json"], f"copilot: {summary(budget.copilot)}")
    return state(budget.copilot)


def set_gemini(journal: Journal, status: str, plan: str | None = None) -> GeminiSection:
    """Record the Gemini status the user sees in AI Studio, and commit."""
    status = status.strip()
    if not status:
        raise InvalidInput("STATUS must not be empty, for example `ai-budget gemini set active`")
    with journal.locked():
        budget = journal.load()
        section = budget.gemini.model_copy(deep=True)
        section.status = status
        if plan:
            section.plan = plan.strip()
        section.last_updated = today()
        budget.gemini = section
        journal.save(budget)
        journal.commit(["budget.json"], f"gemini: {status}")
    return section
