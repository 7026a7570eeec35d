"""What every end-to-end scenario asserts, gathered as a list of problems (so one failure shows them all),
and the report table: per session, the server's truth beside the journal's figures."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

from e2e.claude_rig import FIELDS, REFUSED, JournalView, Rig, truth
from e2e.fake_messages_api import responses_in, tool_results

LISTING = "The following skills are available"
TABLE: list[Row] = []  # filled by the tests, printed by conftest's terminal summary
VERSIONS: set[str] = set()  # the Claude Code versions the rows come from


@dataclass
class Row:
    """One line of the report: a session's truth against the journal."""

    test: str
    label: str
    session_id: str
    truth: dict[str, int]
    numbers: list[int]  # the server's response numbers in the truth
    journal: dict[str, Any] | None
    source: str
    side: int = 0  # requests without tools under this session id: never in the transcript

    def cells(self) -> list[str]:
        got = self.journal or {}
        figures = [f"{self.truth[n]}/{'?' if got.get(n) is None else got[n]}" for n in FIELDS]
        state = f"{got.get('state') or '-'}" + (" pending" if got.get("pending") else "")
        same = self.journal is not None and all(got.get(n) == self.truth[n] for n in FIELDS)
        held = [_numbers(out) for out in got.get("outputs") or []]
        responses = ",".join(map(str, self.numbers)) + " / " + (" + ".join(held) or "-")
        return [
            self.test,
            self.label,
            self.session_id[:8],
            *figures,
            responses,
            str(self.side),
            _cost(got.get("cost_usd")) + " / " + _cost(got.get("client_cost_usd")),
            state,
            "ok" if same else "DIFFERS",
        ]


def _cost(value: Any) -> str:
    """A dollar figure of the journal, or `-` when it has none."""
    return f"${value:.4f}" if isinstance(value, (int, float)) else "-"


def _numbers(output_tokens: int | None) -> str:
    """`[1,2]`: the responses a journal record's output tokens add up to (`?` when they cannot)."""
    found = responses_in(output_tokens) if isinstance(output_tokens, int) else None
    return "?" if found is None else "[" + ",".join(map(str, found)) + "]"


HEADER = [
    "test",
    "session",
    "id",
    "calls",
    "output",
    "input",
    "cache written",
    "cache read",
    "responses server / journal",
    "side",
    "cost ours / Claude Code's",
    "state",
    "",
]


def table() -> str:
    """The report as a plain text table: `truth/journal` in each figure column."""
    rows = [HEADER] + [r.cells() for r in TABLE]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    sources = sorted({r.source for r in TABLE})
    return "\n".join(
        [
            f"Claude Code {', '.join(sorted(VERSIONS))}: server truth / journal per session "
            f"(journal read from: {'; '.join(sources)})"
        ]
        + lines
    )


def session_problems(
    rig: Rig, test: str, sessions: dict[str, str], entrypoint: str, view: JournalView | None = None
) -> list[str]:
    """Each session in the journal with exactly its transcript-written tokens, closed, not pending."""
    view = view or rig.journal_sessions()
    problems = []
    for label, sid in sessions.items():
        want = truth(rig.api, sid)
        got = view.of(sid, only_session=len(sessions) == 1)
        numbers = [r.number for r in rig.api.of_session(sid)]
        side = len(rig.api.of_session(sid, with_tools=False))
        TABLE.append(Row(test, label, sid, want, numbers, got, view.source, side))
        served = {r.message_id for r in rig.api.of_session(sid)}
        written = rig.transcript_message_ids(sid)
        if served != written:  # the truth's own premise: tool-bearing responses are the transcript's
            problems.append(f"{label}: server gave {sorted(served)}, transcript holds {sorted(written)}")
        if got is None:
            problems.append(f"{label} ({sid}): not in the journal [{view.source}]")
            continue
        for name in FIELDS:
            if got[name] != want[name]:
                problems.append(f"{label}: {name} journal {got[name]} != server {want[name]} [{view.source}]")
        if got.get("state") == "open" or got.get("pending"):
            problems.append(f"{label}: ended, yet state {got.get('state')!r}, pending {got.get('pending')}")
        if view.source.startswith("ai-budget sessions"):
            if got.get("ended_at") is None:
                problems.append(f"{label}: ended, yet no ended_at")
            if got.get("entrypoint") != entrypoint:
                problems.append(f"{label}: entrypoint {got.get('entrypoint')!r}, transcript {entrypoint!r}")
    if len(sessions) > 1 and (unnamed := view.unattributed()) is not None:  # an old journal: no ids
        everything = [r for sid in sessions.values() for r in rig.api.of_session(sid)]
        combined = {n: sum(truth(rig.api, sid)[n] for sid in sessions.values()) for n in FIELDS}
        TABLE.append(
            Row(
                test,
                "all (journal names none)",
                "-",
                combined,
                sorted(r.number for r in everything),
                unnamed,
                view.source,
            )
        )
    return problems


def assert_all(
    rig: Rig,
    test: str,
    sessions: dict[str, str],
    entrypoint: str,
    processes: int,
    earlier: list[str] | None = None,
    view: JournalView | None = None,
    folded: bool = False,
) -> None:
    """The session checks and the client checks together; one failure lists every problem."""
    __tracebackhide__ = True
    problems = list(earlier or [])
    problems += session_problems(rig, test, sessions, entrypoint, view)
    problems += client_problems(rig, list(sessions.values()), processes, folded)
    assert not problems, "\n".join(problems)


def skill_listings(body: Any) -> list[list[str]]:
    """The skill names of each skill listing in a request (system prompt or messages)."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body.get("system"))
    walk(body.get("messages"))
    listings = []
    for text in texts:
        for part in text.split(LISTING)[1:]:
            names = []
            for line in part.splitlines()[1:]:  # after the heading's own line: blank lines, then entries
                if found := re.match(r"- ([\w:.-]+):", line):
                    names.append(found.group(1))
                elif line.strip() or names:
                    break
            listings.append(names)
    return listings


def client_problems(rig: Rig, session_ids: list[str], processes: int, folded: bool = False) -> list[str]:
    """Across the whole run: no skill listed twice, nothing refused, hooks never failed, one SessionEnd
    (status 0) per Claude Code process, ai-budget's commands answered JSON, history reads as sessions."""
    problems = []
    bodies = [q.body for q in rig.api.requests if isinstance(q.body, dict) and q.body.get("tools")]
    listings = [names for b in bodies for names in skill_listings(b)]
    if not listings:
        problems.append("no request carried a skill listing: cannot tell whether a skill is listed twice")
    if any(names.count("budget-check") != 1 for names in listings):
        counts = sorted({names.count("budget-check") for names in listings})
        problems.append(f"the model's skill list names budget-check {counts} times, not once")
    twice = sorted({n for names in listings for n in names if names.count(n) > 1} - {"budget-check"})
    if twice:
        problems.append(f"listed twice in the model's skill list: {', '.join(twice)}")
    problems += _tool_result_problems(rig, bodies)
    problems += [f"hook trouble: {t}" for t in rig.hook_trouble(session_ids)]
    ends = rig.session_ends()
    if len(ends) != processes or any(not e.endswith(":0") for e in ends):
        problems.append(f"SessionEnd hook runs (reason:status) {ends}, expected {processes} with status 0")
    return problems + history_problems(rig, folded)


def history_problems(rig: Rig, folded: bool) -> list[str]:
    """`git log` reads as sessions: no commit for a session start; print-mode runs nobody logged are
    folded into a `runs` record, not a `session` commit each."""
    subjects = rig.subjects()[: len(rig.subjects()) - rig.commits_after_setup]  # newest first
    problems = []
    if starts := [s for s in subjects if "session start" in s]:
        problems.append(f"{len(starts)} commit(s) for a session start: {starts[:3]}")
    if folded and (each := [s for s in subjects if s.startswith("session")]):
        problems.append(f"print-mode runs with no /budget-log made a commit each: {each[:3]}")
    if folded and not any(s.startswith("runs") for s in subjects):
        problems.append(f"no `runs` commit holds the folded print-mode runs (commits: {subjects[:5]})")
    return problems


def _tool_result_problems(rig: Rig, bodies: list[dict[str, Any]]) -> list[str]:
    """Nothing refused a permission; each ai-budget command the script ran answered JSON."""
    commands = {f"toolu_fake{r.number:04d}": r.command for r in rig.api.responses if r.command}
    seen: dict[str, dict[str, Any]] = {}
    for body in bodies:
        for block in tool_results(body):
            seen[str(block.get("tool_use_id"))] = block
    problems = []
    for use_id, block in seen.items():
        content = block.get("content")
        text = content if isinstance(content, str) else json.dumps(content)
        command = commands.get(use_id) or "?"
        if REFUSED in text or block.get("is_error"):
            problems.append(f"tool_result for {command!r} is an error: {text[:200]}")
        elif command.startswith("ai-budget") and not text.lstrip().startswith("{"):
            problems.append(f"{command!r} did not answer JSON: {text[:200]}")
    return problems


def command_output(rig: Rig, command_prefix: str) -> list[dict[str, Any]]:
    """The parsed JSON the script's Bash runs of `command_prefix…` gave back (from the tool_results)."""
    ids = {
        f"toolu_fake{r.number:04d}" for r in rig.api.responses if (r.command or "").startswith(command_prefix)
    }
    found: dict[str, Any] = {}
    for q in rig.api.requests:
        if isinstance(q.body, dict):
            for block in tool_results(q.body):
                if block.get("tool_use_id") in ids and isinstance(block.get("content"), str):
                    with contextlib.suppress(ValueError):
                        found[block["tool_use_id"]] = json.loads(block["content"])
    return list(found.values())
