"""Views of what the journal holds: calibration, Copilot and Gemini, the git history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ai_budget.cli.views.table import table
from ai_budget.fmt import fmt_units, plural, rate
from ai_budget.journal.history import session_figures
from ai_budget.planning.limits import OLD_WEIGHT

if TYPE_CHECKING:
    from ai_budget.journal.calibration import Recorded
    from ai_budget.journal.gitrepo import Commit
    from ai_budget.model.accounts import CopilotState
    from ai_budget.model.budget import GeminiSection
    from ai_budget.model.calibration import CalibrationEntry
    from ai_budget.planning.limits import Change


def calibration_json(name: str, entry: CalibrationEntry) -> dict[str, Any]:
    """One task type's calibration as JSON."""
    pct, tokens = entry.pct_per_unit, entry.tokens_per_unit
    return {
        "type": name,
        "unit": entry.unit,
        "samples": entry.samples,
        "units": entry.units,
        "total_5h_pct": entry.total_5h_pct,
        "total_output_tokens": entry.total_output_tokens,
        "pct_per_unit": round(pct, 4) if pct is not None else None,
        "output_tokens_per_unit": round(tokens, 2) if tokens is not None else None,
    }


def calibrated(done: Recorded) -> str:
    """The line `calibrate` prints."""
    after, word = done.after, done.after.unit_word
    tokens = after.tokens_per_unit
    token_part = f", {tokens:.0f} output tokens/{word}" if tokens is not None else ""
    return (
        f"{done.task_type}: {rate(after.pct_per_unit)} %/{word}{token_part} "
        f"({plural(after.samples, 'sample')}, {plural(after.units, word)})"
    )


def calibration_show_json(
    entries: dict[str, CalibrationEntry], marks: dict[str, Change], rates: dict[str, float]
) -> dict[str, Any]:
    """`calibration show --json`: each type, the limit change its samples predate, the weighted %/unit."""
    found = {}
    for name, e in entries.items():
        data = calibration_json(name, e)
        change = marks.get(name)
        data["predates_limit_change"] = (
            {"since": change.since.isoformat(), "ratio": change.ratio} if change is not None else None
        )
        weighted = rates.get(name, e.pct_per_unit)
        data["estimate_pct_per_unit"] = round(weighted, 4) if weighted is not None else None
        found[name] = data
    return found


def calibration_table(
    entries: dict[str, CalibrationEntry],
    marks: dict[str, Change] | None = None,
    rates: dict[str, float] | None = None,
) -> str:
    """The calibration table; with weighting, an estimate column and a mark on types older than a change."""
    if not entries:
        return 'No task types yet: add one with `ai-budget calibration add TYPE --unit "per X"`'
    marks, rates = marks or {}, rates or {}
    rows: list[tuple[str, ...]] = [("type", "unit", "samples", "units", "%/unit", "tokens/unit")]
    if rates:
        rows[0] += ("estimate",)
    for name, e in sorted(entries.items()):
        tokens = e.tokens_per_unit
        row: tuple[str, ...] = (
            name + (" *" if name in marks else ""),
            e.unit or "-",
            str(e.samples),
            fmt_units(e.units),
            rate(e.pct_per_unit),
            f"{tokens:.0f}" if tokens is not None else "-",
        )
        rows.append(row + ((rate(rates.get(name, e.pct_per_unit)),) if rates else ()))
    text = table(rows, right={2, 3, 4, 5, 6})
    return text + "".join(f"\n{line}" for line in _mark_notes(marks))


def _mark_notes(marks: dict[str, Change]) -> list[str]:
    """What the marks mean, one line per change."""
    lines = []
    for change in sorted({c.since: c for c in marks.values()}.values(), key=lambda c: c.since):
        lines.append(
            f"* has samples from before the limit change of {change.since.astimezone():%Y-%m-%d} "
            f"({change.ratio:.2f}× tokens per %): estimates divide their %/unit by {change.ratio:.2f} "
            f"and weigh them ×{OLD_WEIGHT:g}"
        )
    return lines


# The JSON keys of the count follow its unit (budget.json keeps the original `premium_requests_*`).
COUNT_KEYS = {"requests": "premium_requests", "credits": "credits"}


def copilot_json(st: CopilotState) -> dict[str, Any]:
    """Copilot as JSON: `used`/`limit` whatever the unit, and the same under the unit's own name
    (`premium_requests_used` or `credits_used`)."""
    section = st.section.model_dump(mode="json")
    used, limit = section.pop("premium_requests_used"), section.pop("premium_requests_limit")
    prefix = COUNT_KEYS[st.section.unit]
    data = {"used": used, "limit": limit, f"{prefix}_used": used, f"{prefix}_limit": limit, **section}
    data.update(
        {
            "remaining": st.remaining,
            "reset_since_update": st.reset_since_update,
            "stale": st.stale,
            "unit_label": st.label,
        }
    )
    return data


def copilot_text(st: CopilotState) -> str:
    """Copilot in one or two lines."""
    s = st.section
    if s.premium_requests_used is None:
        return "Copilot: no count yet: run `ai-budget copilot set N` after checking GitHub billing"
    line = f"Copilot ({s.plan}): {s.premium_requests_used}/{s.premium_requests_limit} {st.label} used"
    if st.remaining is not None:
        line += f", {st.remaining} left"
    if s.resets_at is not None:
        line += f"; resets {s.resets_at:%Y-%m-%d} 00:00 UTC"
    if s.last_updated is not None:
        where = "from GitHub" if s.source == "github" else "typed in"
        line += f" ({where}, {s.last_updated:%Y-%m-%d})"
    if st.reset_since_update:
        line += (
            "\nThe monthly counter has reset since this count was taken: "
            "check GitHub billing and run `ai-budget copilot set N`"
        )
    return line


GEMINI_NOTE = (
    "No API reports a Gemini API key's quota or spend: see them in Google AI Studio "
    "(https://aistudio.google.com/usage; limits: https://ai.google.dev/gemini-api/docs/rate-limits) "
    "and keep the status here with `ai-budget gemini set STATUS`."
)


def gemini_text(section: GeminiSection, note: bool = False) -> str:
    """Gemini in one line (and, for `gemini show`, why it is typed in by hand)."""
    status = section.status or "unknown"
    when = f" (updated {section.last_updated:%Y-%m-%d})" if section.last_updated else ""
    line = f"Gemini ({section.plan}): {status}{when}"
    return f"{line}\n{GEMINI_NOTE}" if note else line


def history_json(commits: list[Commit]) -> list[dict[str, Any]]:
    """`history --json`: commits, with session figures where there are some."""
    return [
        {
            "sha": c.sha,
            "date": c.date,
            "message": c.subject,
            "trailers": [{"key": k, "value": v} for k, v in c.trailers],
            "machine": c.trailer("Machine"),
            "session": session_figures(c),
        }
        for c in commits
    ]


def history_lines(commits: list[Commit]) -> str:
    """`history`: a line per commit; session commits add their tokens and cost."""
    if not commits:
        return "No history yet."
    out = []
    several = len({c.trailer("Machine") for c in commits} - {None}) > 1  # a synced journal: say whose
    for c in commits:
        line = f"{c.date[:10]} {c.date[11:16]}  {c.sha[:7]}  {c.subject}"
        if several and c.trailer("Machine"):
            line += f" [{c.trailer('Machine')}]"
        figures = session_figures(c) or {}
        extra = []
        if isinstance(figures.get("seven_day_delta"), float):
            extra.append(f"week {figures['seven_day_delta']:+.1f}%")
        if isinstance(figures.get("output_tokens"), float):
            extra.append(f"{figures['output_tokens']:,.0f} output tokens")
        if isinstance(figures.get("cost_usd"), float):
            extra.append(f"${figures['cost_usd']:,.2f}")
        out.append(line + (f" ({', '.join(extra)})" if extra else ""))
    return "\n".join(out)


def calibration_history_text(name: str, rows: list[dict[str, Any]]) -> str:
    """`history --calibration TYPE` for a person."""
    if not rows:
        return f"No calibration history for {name!r} yet."
    table_rows: list[tuple[str, ...]] = [("date", "samples", "units", "%/unit", "tokens/unit")]
    for r in rows:
        table_rows.append(
            (
                f"{r['date'][:10]} {r['date'][11:16]}",
                str(r["samples"]),
                fmt_units(r["units"] or 0),
                rate(r["pct_per_unit"]),
                "-" if r["tokens_per_unit"] is None else f"{r['tokens_per_unit']:.0f}",
            )
        )
    return f"Calibration of {name}, oldest first\n" + table(table_rows, right={1, 2, 3, 4})
