"""`check` (and `check --json`) on the fast path: the brief from the kept basis, without click or
pydantic, when the journal is as the last full `check` or `log` left it.

They keep, beside the basis the session-start hook uses (session.brief_basis), what only they work out:
the accounts' lines and JSON (Copilot, Gemini: models), the routing table, the journal's HEAD (whose
history was reviewed for a limit change) and where the rollup's quick record is. This path answers only
while all of that holds: HEAD unchanged, no interrupted write, the finished days rolled up (the first
check of a day takes the full path), no Copilot fetch due, no Console, no prepaid credits, and a young
local reading (else the full path may ask the endpoint).

The bookkeeping a by-hand command does first, and the brief shows nothing of, is left to the next `log`,
`sessions`, `history`, `report` or full `check`, each of which does it first: folding the closings the
end hooks left (and closing other sessions idle past their end; the one this check refreshes is the full
path's), and correcting a finished day whose
transcripts changed after it was rolled up. The plan, severity, route, paces, warnings and text come from
the very functions `check` uses; a test compares the two paths' output. Anything unexpected: None, and
the full path answers.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from ai_budget import paths
from ai_budget.fileio import read_json
from ai_budget.integrations import fast_reading, fast_start
from ai_budget.planning.estimates import Estimate
from ai_budget.planning.forecast import Pace
from ai_budget.planning.recommend import Plan
from ai_budget.planning.routing import Route, route, routing_view
from ai_budget.session import active, brief_basis, state
from ai_budget.session.opening import Opening, open_session
from ai_budget.session.pace import RULES, window_pace
from ai_budget.severity import Severity, Thresholds
from ai_budget.timeutil import now as utc_now

ARGS: tuple[list[str], ...] = ([], ["--json"])  # what this path answers; any other option takes the full path


class Brief(NamedTuple):
    """What the brief's views read of session.check.Brief (the accounts are kept apart)."""

    now: datetime
    usage: fast_reading.Snapshot
    error: str | None
    severity: Severity
    estimates: list[Estimate]
    plan: Plan
    warnings: list[str]
    paces: dict[str, Pace]
    route: Route


def _rolled_up(by_hand: dict[str, Any], now: datetime) -> bool:
    """The finished days are rolled up: the rollup's quick record went through yesterday."""
    record = read_json(Path(by_hand["rollup_record"])) or {}
    yesterday = now.astimezone().date() - timedelta(days=1)  # the C library's zone, as the rollup's
    return record.get("through") == yesterday.isoformat()


def kept_for_check(root: Path, now: datetime) -> dict[str, Any] | None:
    """The basis, if the full `check` kept its part and it still holds (HEAD unchanged)."""
    kept = brief_basis.load(root, now)
    by_hand = kept.get("check") if kept is not None else None
    if not isinstance(by_hand, dict) or by_hand.get("head") != brief_basis.head(root):
        return None
    if brief_basis.interrupted(root):  # recovery is the full path's, with its one line
        return None
    if by_hand.get("full_path_needed"):
        return None
    return kept


def brief(kept: dict[str, Any], snap: fast_reading.Snapshot, now: datetime) -> Brief:
    """session.check.check's brief, from the basis and the reading."""
    made = fast_start.brief(kept, snap, None, now)  # the plan, severity and warnings, as the hook's
    five, seven = snap.five_hour.utilization, snap.seven_day.utilization
    bounds = Thresholds(**kept["settings"]["tiers"])
    found = route(routing_view(kept["check"]["routing"]), five, seven, bounds=bounds)
    paces = {name: window_pace(name, getattr(snap, name), now) for name in RULES}
    return Brief(now, snap, None, made.severity, made.estimates, made.plan, made.warnings, paces, found)


def answer(args: list[str], moment: datetime | None = None) -> str | None:
    """The text `check` prints, or None when the full path must answer."""
    if args not in ARGS:
        return None
    now = moment or utc_now()
    root = paths.journal_home()
    kept = kept_for_check(root, now)
    if kept is None:
        return None
    if not _rolled_up(kept["check"], now):  # the first check of a day rolls up: the full path
        return None
    if os.environ.get(paths.ADMIN_KEY_ENV, "").strip():  # the Console, set up outside budget.json
        return None
    snap = fast_reading.freshest(paths.primary_claude_dir(), now)
    if snap is None:
        return None
    return _open_and_show(root, kept, snap, now, args == ["--json"])


def _open_and_show(
    root: Path,
    kept: dict[str, Any],
    snap: fast_reading.Snapshot,
    now: datetime,
    json_: bool,
) -> str | None:
    from ai_budget.claude import usage_history
    from ai_budget.cli.views.brief import brief_json, brief_text

    sid = active.resolve(root, paths.claude_dirs(), now)
    opened = state.load(root, sid) if sid is not None else None
    if opened is not None and active.ended(opened, now):  # the full path closes it and opens anew
        return None
    if snap.source != "cache":  # as claude.usage.fresh_or_last_known: our cache was recorded when fetched
        usage_history.record(usage_history.rows_of(snap.response), snap.source, snap.observed_at)
    open_session(root, Opening(sid, "check", resolve=True), snap, now)
    made = brief(kept, snap, now)
    accounts = kept["check"]["accounts"]
    if json_:
        from ai_budget.jsonio import dumps_pretty

        return dumps_pretty(brief_json(made, accounts["json"]))
    return brief_text(made, accounts["text"])
