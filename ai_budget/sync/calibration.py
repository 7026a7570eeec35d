"""Calibration after a merge, rebuilt from the merged history rather than merged as text.

A calibration entry is what no sample trailer accounts for (a hand-made start, an edit) plus the samples
its history counts (`journal/samples.py`). After a merge, the first part is merged three ways (it only
changes by hand) and the second is summed over the merged history: every sample once, whichever machine
logged it and however often the histories met. A sample whose session ran while another machine's did is
withdrawn (the 5-hour window is the account's: its delta was shared), with a trailer that says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.errors import BudgetError, GitFailed
from ai_budget.journal import samples
from ai_budget.journal.gitrepo import Commit, GitRepo
from ai_budget.journal.samples import Sums, Tracked
from ai_budget.model import budget as budget_file
from ai_budget.model.calibration import CalibrationEntry

ZERO = Sums()
PLACES = Decimal("0.000001")


@dataclass
class Rebuilt:
    """The calibration table after the merge, and the samples it withdrew (with the reason each)."""

    table: dict[str, CalibrationEntry]
    withdrawn: list[tuple[Tracked, str]] = field(default_factory=list)


def _entry_sums(entry: CalibrationEntry) -> Sums:
    return Sums(
        entry.samples,
        Decimal(str(entry.units)),
        Decimal(str(entry.total_5h_pct)),
        Decimal(str(entry.token_units)),
        entry.total_output_tokens,
    )


def _minus(a: Sums, b: Sums) -> Sums:
    units, pct, token_units = a.units - b.units, a.pct - b.pct, a.token_units - b.token_units
    return Sums(a.samples - b.samples, units, pct, token_units, a.tokens - b.tokens)


def _plus(a: Sums, b: Sums) -> Sums:
    return _minus(a, _minus(ZERO, b))


def _round(s: Sums) -> Sums:
    return Sums(
        s.samples, s.units.quantize(PLACES), s.pct.quantize(PLACES), s.token_units.quantize(PLACES), s.tokens
    )


def untracked(table: dict[str, CalibrationEntry], commits: list[Commit]) -> dict[str, Sums]:
    """Per type, what the entries hold beyond the samples their history counts."""
    counted = samples.sums(samples.counted(commits))
    return {name: _round(_minus(_entry_sums(e), counted.get(name, ZERO))) for name, e in table.items()}


def table_at(repo: GitRepo, rev: str) -> dict[str, CalibrationEntry]:
    """budget.json's calibration at a commit (none when it has no readable budget.json)."""
    try:
        text = repo.git("show", f"{rev}:{paths.BUDGET_FILE}")
        return budget_file.parse(text, Path(paths.BUDGET_FILE)).calibration
    except BudgetError:
        return {}


def _three_way(base: Sums, ours: Sums, theirs: Sums) -> Sums:
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    return _minus(_plus(ours, theirs), base)  # both edited by hand: both edits count


def _number(value: Decimal, old: Any) -> Any:
    """A sum as budget.json keeps it: the old value when equal (no churn), else int or float."""
    value = max(value, Decimal(0))
    if old is not None and Decimal(str(old)) == value:
        return old
    return int(value) if value == value.to_integral_value() and isinstance(old, int) else float(value)


def entry_with(entry: CalibrationEntry, total: Sums) -> CalibrationEntry:
    """The entry with these sums and the averages they give."""
    updated = entry.model_copy(deep=True)
    updated.samples = max(total.samples, 0)
    updated.units = _number(total.units, entry.units)
    updated.total_5h_pct = _number(total.pct, entry.total_5h_pct)
    updated.token_units = _number(total.token_units, entry.token_units)
    updated.total_output_tokens = max(total.tokens, 0)
    return updated.synced()


def _reason(span: samples.Span) -> str:
    label = "-".join(span.label.split())
    return f"shared-with={span.machine}:{label}"


def to_withdraw(commits: list[Commit], lines: Iterable[dict[str, Any]]) -> list[tuple[Tracked, str]]:
    """The samples that count but whose session ran while another machine's did."""
    counted = samples.counted(commits)
    found = samples.shared(counted, samples.spans(commits, lines))
    return [(s, _reason(found[s.key])) for s in counted if s.key in found]


def rebuild(
    repo: GitRepo,
    ours: str,
    theirs: str,
    bases: list[str],
    merged: dict[str, CalibrationEntry],
    lines: Iterable[dict[str, Any]],
) -> Rebuilt:
    """The calibration of the merge of `ours` and `theirs` (`merged`: the file-level merge's entries,
    for the units and any other keys; `lines`: the merged ledger)."""
    ours_commits, theirs_commits = repo.history(revs=[ours]), repo.history(revs=[theirs])
    own = untracked(table_at(repo, ours), ours_commits)
    other = untracked(table_at(repo, theirs), theirs_commits)
    base = untracked(table_at(repo, bases[0]), repo.history(revs=[bases[0]])) if bases else {}
    every = list({c.sha: c for c in ours_commits + theirs_commits}.values())
    withdraw = to_withdraw(every, lines)
    gone = {s.key for s, _ in withdraw}
    counted = samples.sums(s for s in samples.counted(every) if s.key not in gone)
    table: dict[str, CalibrationEntry] = {}
    for name in merged:  # the file-level merge says which types exist (a type removed stays removed)
        kept = _three_way(base.get(name, ZERO), own.get(name, ZERO), other.get(name, ZERO))
        entry = merged.get(name) or CalibrationEntry()
        table[name] = entry_with(entry, _plus(kept, counted.get(name, ZERO)))
    return Rebuilt(table, withdraw)


def merge_bases(repo: GitRepo, ours: str, theirs: str) -> list[str]:
    """The common ancestors of two commits (none for two journals that started apart)."""
    try:
        return repo.git("merge-base", "--all", ours, theirs).split()
    except GitFailed:
        return []


def without(table: dict[str, CalibrationEntry], withdraw: list[tuple[Tracked, str]]) -> None:
    """Take withdrawn samples out of the entries that counted them."""
    for name, gone in samples.sums(s for s, _ in withdraw).items():
        if name in table:
            table[name] = entry_with(table[name], _minus(_entry_sums(table[name]), gone))
