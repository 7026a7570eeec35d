"""`tokens` for a person: what was counted, a row per model, totals, web tools, unpriced models."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_budget.cli.views.table import table
from ai_budget.fmt import money, plural

if TYPE_CHECKING:
    from ai_budget.claude.transcripts import Counts, Report
    from ai_budget.claude.transcripts.sessions import SessionRow


def _row(name: str, c: Counts) -> tuple[str, ...]:
    return (
        name,
        f"{c.exchanges:,}",
        f"{c.input_tokens:,}",
        f"{c.output_tokens:,}",
        f"{c.cache_creation_input_tokens:,}",
        f"{c.cache_read_input_tokens:,}",
        money(c.cost),
    )


def tokens_text(result: Report) -> str:
    """`tokens` for a person."""
    if result.session_file is not None:
        extra = len(result.files) - 1
        head = f"Session {result.session_id} ({result.session_file}"
        head += f", + {plural(extra, 'subagent file')})" if extra else ")"
    else:
        since = f"since {result.since.astimezone():%Y-%m-%d %H:%M}" if result.since else "of all time"
        until = f" until {result.until.astimezone():%Y-%m-%d %H:%M}" if result.until else ""
        head = f"All sessions {since}{until} ({plural(len(result.files), 'file')})"
    rows: list[tuple[str, ...]] = [
        ("model", "calls", "input", "output", "cache write", "cache read", "API cost")
    ]
    rows += [_row(m, c) for m, c in sorted(result.by_model.items())]
    rows.append(_row("total", result.total))
    lines = [head, table(rows, right={1, 2, 3, 4, 5, 6})]
    t = result.total
    lines.append(
        f"cache writes: {t.cache_creation_5m_tokens:,} at 5 min, {t.cache_creation_1h_tokens:,} at 1 h; "
        f"web: {plural(t.web_search_requests, 'search')}, {plural(t.web_fetch_requests, 'fetch')}"
    )
    lines += [f"Warning: {w}" for w in result.warnings]
    if result.unpriced_models:
        lines.append(
            f"No price known for {', '.join(result.unpriced_models)}: counted in tokens, left out of the cost"
        )
    return "\n".join(lines)


def sessions_text(rows: list[SessionRow]) -> str:
    """`tokens --list`: a row per session, newest first."""
    if not rows:
        return "No Claude Code sessions found."
    table_rows: list[tuple[str, ...]] = [
        ("session", "project", "last write", "calls", "output", "API cost", "agents")
    ]
    for r in rows:
        cost = "?" if r.cost is None else f"${r.cost:,.2f}"
        when = f"{r.last_write.astimezone():%Y-%m-%d %H:%M}"
        table_rows.append(
            (
                r.session_id,
                r.project,
                when,
                f"{r.exchanges:,}",
                f"{r.output_tokens:,}",
                cost,
                str(r.subagents),
            )
        )
    return table(table_rows, right={3, 4, 5, 6})
