"""`sessions` for a person: one line per Claude Code session."""

from __future__ import annotations

from typing import Any

from ai_budget.fmt import money
from ai_budget.timeutil import parse_time


def _when(text: Any) -> str:
    moment = parse_time(text)
    return f"{moment.astimezone():%Y-%m-%d %H:%M}" if moment is not None else "?"


def sessions_text(rows: list[dict[str, Any]]) -> str:
    """A table: start, session, state, calls, input and output tokens, cost (and Claude Code's)."""
    if not rows:
        return (
            "No Claude Code sessions in the journal yet: they are recorded when one ends "
            "(sessions logged in a terminal are in `ai-budget history`)."
        )
    names = {r["machine"] for r in rows if r.get("machine")}
    width = max((len(n) for n in names), default=0) if len(names) > 1 else 0  # a column once there are two
    head = f"{'machine':{width}}  " if width else ""
    head += f"{'started':16}  {'session':12}  {'state':7}  {'calls':>5}  {'input':>9}  {'output':>9}  cost"
    lines = [head]
    for r in rows:
        sid = (r["session_id"] or "terminal")[:12]
        where = f"{r.get('machine') or '?':{width}}  " if width else ""
        cost = money(r["cost_usd"]) if r["cost_usd"] is not None else "?"
        if r["client_cost_usd"] is not None:
            cost += f" (Claude Code: {money(r['client_cost_usd'])})"
        state = r["state"] + ("*" if r["pending"] else "")
        lines.append(
            f"{where}{_when(r['started_at']):16}  {sid:12}  {state:7}  {r['calls']:>5}  "
            f"{r['input_tokens']:>9,}  {r['output_tokens']:>9,}  {cost}"
        )
    if any(r["pending"] for r in rows):
        lines.append("* waiting for the journal: written by the next command that can take its lock")
    return "\n".join(lines)
