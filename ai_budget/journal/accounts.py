"""Copilot and Gemini in the journal: the counts and statuses typed in by hand, one commit each."""

from __future__ import annotations

from datetime import datetime

from ai_budget.fmt import clean_line
from ai_budget.journal.journal import Journal
from ai_budget.model.accounts import UNIT_LABEL, CopilotState, copilot_state, copilot_updated, gemini_updated
from ai_budget.model.budget import CopilotSection, GeminiSection
from ai_budget.timeutil import now, today


def copilot_summary(section: CopilotSection) -> str:
    """'212/300 premium requests used'."""
    return f"{section.premium_requests_used}/{section.premium_requests_limit} {UNIT_LABEL[section.unit]} used"


def set_copilot(
    journal: Journal, used: int, *, limit: int | None = None, unit: str | None = None, plan: str | None = None
) -> CopilotState:
    """Record the Copilot count read from GitHub's billing page, one commit."""
    moment = now()
    with journal.transaction("copilot") as tx:
        section = copilot_updated(
            tx.budget.copilot, used, limit=limit, unit=unit, plan=plan, moment=moment, today=today()
        )
        tx.budget.copilot = section
        tx.message = f"copilot: {copilot_summary(section)}"
    return copilot_state(section, moment)


def set_copilot_from_github(journal: Journal, used: int, moment: datetime) -> tuple[CopilotState, bool]:
    """Record GitHub's count; one commit only when the count changed (the time is kept either way)."""
    with journal.transaction("copilot") as tx:
        before = tx.budget.copilot
        section = copilot_updated(
            before, used, moment=moment, today=moment.astimezone().date(), source="github"
        )
        changed = before.premium_requests_used != used
        if changed:
            tx.budget.copilot = section
            tx.message = f"copilot: {copilot_summary(section)} (from GitHub)"
    return copilot_state(section, moment), changed


def set_gemini(journal: Journal, status: str, plan: str | None = None) -> GeminiSection:
    """Record the Gemini status the user sees in AI Studio, one commit."""
    with journal.transaction(f"gemini: {clean_line(status)}") as tx:
        section = tx.budget.gemini = gemini_updated(tx.budget.gemini, status, plan, today())
    return section


def switch(journal: Journal, account: str, enabled: bool) -> bool:
    """Switch Copilot or Gemini on or off, one commit; False when it already was."""
    word = "on" if enabled else "off: not shown in the brief, never asked for"
    with journal.transaction(f"{account}: switched {word}") as tx:
        section = tx.budget.copilot if account == "copilot" else tx.budget.gemini
        if section.enabled == enabled:
            return False
        section.enabled = enabled
    return True
