"""`tokens` for a person: what was counted, a row per model (or day, session...), totals, unpriced models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_budget.cli.views.table import table
from ai_budget.fmt import money, plural

if TYPE_CHECKING:
    from ai_budget.claude.transcripts import Counts, Report
    from ai_budget.claude.transcripts.breakdown import Breakdown
    from ai_budget.claude.transcripts.sessions import SessionRow

COUNT_HEADER = ("calls", "input", "output", "cache write", "cache read", "API cost")


def cost(c: Counts) -> str:
    """'$1.23', '$1.23+' when some models have no price (a lower bound), '?' when none has."""
    return money(c.cost) + ("+" if c.cost_is_lower_bound else "")


def _cells(c: Counts) -> tuple[str, ...]:
    """The count columns of one row."""
    return (
        f"{c.exchanges:,}",
        f"{c.input_tokens:,}",
        f"{c.output_tokens:,}",
        f"{c.cache_creation_input_tokens:,}",
        f"{c.cache_read_input_tokens:,}",
        cost(c),
    )


def unpriced_note(c: Counts) -> list[str]:
    """The line naming the models without a price, and what that does to the cost."""
    if not c.unpriced:
        return []
    names = ", ".join(c.unpriced)
    if c.cost is None:
        return [f"No price known for {names}: counted in tokens; the cost is unknown (?), not $0"]
    return [
        f"No price known for {names}: counted in tokens, left out of the cost, which is a lower bound (+)"
    ]


def _head(result: Report) -> str:
    """The first line: which session or window was counted."""
    if result.session_id is not None and result.session_file is None and result.main_file_missing:
        files = plural(len(result.files), "subagent file")
        return f"Session {result.session_id} (main file missing: only its {files})"
    if result.session_file is not None:
        extra = len(result.files) - 1
        head = f"Session {result.session_id} ({result.session_file}"
        return head + (f", + {plural(extra, 'subagent file')})" if extra else ")")
    since = f"since {result.since.astimezone():%Y-%m-%d %H:%M}" if result.since else "of all time"
    until = f" until {result.until.astimezone():%Y-%m-%d %H:%M}" if result.until else ""
    return f"All sessions {since}{until} ({plural(len(result.files), 'file')})"


def tokens_text(result: Report) -> str:
    """`tokens` for a person."""
    rows: list[tuple[str, ...]] = [("model", *COUNT_HEADER)]
    rows += [(m, *_cells(c)) for m, c in sorted(result.by_model.items())]
    rows.append(("total", *_cells(result.total)))
    lines = [_head(result), table(rows, right={1, 2, 3, 4, 5, 6})]
    t = result.total
    lines.append(
        f"cache writes: {t.cache_creation_5m_tokens:,} at 5 min, {t.cache_creation_1h_tokens:,} at 1 h; "
        f"web: {plural(t.web_search_requests, 'search')}, {plural(t.web_fetch_requests, 'fetch')}"
    )
    inherited = result.inherited
    if inherited is not None and inherited.exchanges:
        sources = ", ".join(i[:8] for i in result.inherited_from)
        lines.append(
            f"Inherited from {sources} (resumed; not in the total above): "
            f"{plural(inherited.exchanges, 'call')}, {inherited.output_tokens:,} output tokens, "
            f"{cost(inherited)}"
        )
    lines += [f"Warning: {w}" for w in result.warnings]
    lines += unpriced_note(t)
    return "\n".join(lines)


def sessions_text(rows: list[SessionRow]) -> str:
    """`tokens --list`: a row per session, newest first."""
    if not rows:
        return "No Claude Code sessions found."
    table_rows: list[tuple[str, ...]] = [
        ("session", "project", "first", "last", "calls", "output", "API cost", "agents")
    ]
    for r in rows:
        first = f"{r.first_time.astimezone():%Y-%m-%d %H:%M}" if r.first_time else "-"
        last = f"{(r.last_time or r.last_write).astimezone():%Y-%m-%d %H:%M}"
        table_rows.append(
            (
                r.session_id + (" (main file missing)" if r.main_file_missing else ""),
                r.project,
                first,
                last,
                f"{r.exchanges:,}",
                f"{r.output_tokens:,}",
                cost(r.counts),
                str(r.subagents),
            )
        )
    lines = [table(table_rows, right={4, 5, 6, 7})]
    resumed = sum(1 for r in rows if r.inherited.exchanges)
    if resumed:
        lines.append(
            f"{plural(resumed, 'resumed session')}: "
            "calls copied from an earlier session are counted there only"
        )
    if any(r.counts.unpriced for r in rows):
        lines.append("? = no price known for its models; + = a lower bound (some models have no price)")
    return "\n".join(lines)


LABELS = {"day": "date", "week": "week (Mon)", "month": "month", "session": "session", "model": "model"}


def breakdown_text(result: Breakdown) -> str:
    """`tokens --by`: a row per bucket and a totals row."""
    if not result.lines:
        return f"No Claude Code entries found{_window(result)}."
    session = result.by == "session"
    header = (LABELS[result.by], *(("project",) if session else ()), *COUNT_HEADER)
    rows: list[tuple[str, ...]] = [header]
    for line in result.lines:
        rows.append((line.key, *((line.project or "",) if session else ()), *_cells(line.counts)))
    rows.append(("total", *(("",) if session else ()), *_cells(result.total)))
    first = 2 if session else 1
    zone = f", dates in {result.zone}" if result.zone else ""
    lines = [f"Tokens by {result.by}{_window(result)}{zone}", table(rows, right=set(range(first, first + 6)))]
    if result.undated is not None and result.undated.exchanges:
        lines.append(
            f"{plural(result.undated.exchanges, 'call')} without a timestamp: in no row, nor in the total"
        )
    lines += unpriced_note(result.total)
    return "\n".join(lines)


def _window(result: Breakdown) -> str:
    """' since … until …', or ', all time'."""
    since = f" since {result.since.astimezone():%Y-%m-%d %H:%M}" if result.since else ""
    until = f" until {result.until.astimezone():%Y-%m-%d %H:%M}" if result.until else ""
    return since + until if since or until else ", all time"
