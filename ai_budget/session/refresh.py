"""Usage into the journal: `fetch`, and the claude section that `check` and `log` keep current."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ai_budget.claude import usage
from ai_budget.claude.usage import UsageFile
from ai_budget.fmt import pct
from ai_budget.journal.accounts import set_copilot_from_github
from ai_budget.journal.journal import Journal
from ai_budget.model.accounts import CopilotState
from ai_budget.model.budget import BudgetFile
from ai_budget.model.usage import Snapshot


def keep_current(budget: BudgetFile, snap: Snapshot | None) -> bool:
    """Put fresh numbers into budget.json's claude section when they materially changed."""
    if snap is None or not snap.fresh or not budget.claude.differs_from(snap.response):
        return False
    budget.claude = budget.claude.holding(snap)
    return True


def copilot_into_journal(
    journal: Journal, moment: datetime, force: bool = False
) -> tuple[CopilotState, bool]:
    """`copilot fetch`: this month's count from GitHub into the journal (a commit when it changed)."""
    from ai_budget.github import copilot  # only when asked: `check` imports this module every run

    unit = journal.read_budget().copilot.unit
    count = copilot.fetch_count(unit, moment, force)
    return set_copilot_from_github(journal, count.used, count.fetched_at)


def fetch_into_journal(
    journal: Journal,
    claude_dir: Path,
    *,
    force: bool = False,
    file: UsageFile | None = None,
    source: str = "auto",
) -> Snapshot:
    """`ai-budget fetch`: fresh numbers into the journal (a commit only when they changed), or the
    last known ones labelled with the error."""
    budget = journal.read_budget()
    snap = usage.fresh_or_last_known(
        claude_dir,
        budget.claude,
        force=force,
        file=file,
        source=source,
        allow_api=budget.settings.usage_api,
    )
    if snap.fresh:
        message = f"claude: 5h {pct(snap.five_hour.utilization)}, week {pct(snap.seven_day.utilization)}"
        with journal.transaction(message) as tx:
            keep_current(tx.budget, snap)
    return snap
