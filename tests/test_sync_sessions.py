"""After a sync, a machine's `log` sees the other machines' sessions: one that ran at the same time shares
the account's 5-hour delta, whether it was a Claude Code session (a ledger line) or one logged by hand
in a terminal (only its commit says when it ran). And each session's section in the day's log names
the machine it ran on.

Real git end to end: HOMEs of their own running the real CLI, a bare repository between them. Which
sessions overlapped is known from the order the test ran them, never from the output.
"""

from __future__ import annotations

import json
from pathlib import Path

from sync_kit import TYPE, Machine, bare, calibration_figures, git, usage_answer


def by_hand(m: Machine, five_before: float, five_after: float, units: float) -> str:
    """A session in a terminal, without Claude Code: `check`, then `log` (no session id, no transcript);
    the sha of its commit."""
    start, end = m.home / f"hand-{five_before}.json", m.home / f"hand-{five_after}-end.json"
    start.write_text(usage_answer(five_before))
    end.write_text(usage_answer(five_after))
    m.ok("check", "--from-file", str(start))
    m.ok("log", "--done", f"{TYPE} {units:g} by hand", "--from-file", str(end))
    m.last_five = five_after
    return git(m.journal, "rev-parse", "HEAD").strip()


def trailers(m: Machine, rev: str) -> list[tuple[str, str]]:
    text = git(m.journal, "log", "-1", "--format=%(trailers:only,unfold)", rev)
    return [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in text.splitlines()) if v]


def entry(m: Machine) -> dict:
    return calibration_figures(m.budget()["calibration"][TYPE])


def test_a_log_after_a_sync_sees_a_session_logged_by_hand_on_another_machine(tmp_path: Path) -> None:
    remote = bare(tmp_path / "remote.git")
    laptop = Machine(tmp_path, "laptop").setup(str(remote))
    laptop.sync()
    desktop = Machine(tmp_path, "desktop").setup(str(remote))
    desktop.sync()
    laptop.sync()
    start = entry(laptop)
    assert start["samples"] == 0

    s = laptop.open(10, 400, five_before=8)  # a Claude Code session on the laptop, still running
    shared = by_hand(desktop, 11, 15, units=5)  # the desktop, in a terminal, at the same time
    desktop.sync()
    laptop.sync()  # mid-session: the laptop now holds the desktop's commit (it has no ledger line)
    before_log = entry(laptop)
    s.close()

    # The laptop's log knew: no sample, and it says which session it shared the window with.
    logged = git(laptop.journal, "log", "-1", "--format=%H", "--grep", "^session ").strip()
    found = trailers(laptop, logged)
    assert not [v for k, v in found if k == "Calibration-Sample"], found
    assert ("Shared-With", f"desktop:session-{shared[:7]}") in found
    assert entry(laptop) == before_log
    lines = [json.loads(line) for p in (laptop.journal / "sessions" / "ledger").glob("*.jsonl")
             for line in p.read_text().splitlines()]  # fmt: skip
    mine = [line for line in lines if line["session_id"] == s.sid]
    assert [line["shared_with"] for line in mine] == [[f"desktop:session-{shared[:7]}"]]

    # A session alone afterwards counts everywhere; the desktop's shared one is withdrawn by the sync.
    by_hand(desktop, 20, 24, units=4)
    for m in (desktop, laptop, desktop):
        m.sync()
    expected = {**start, "samples": start["samples"] + 1, "units": start["units"] + 4}
    expected["total_5h_pct"] = start["total_5h_pct"] + (24 - 20)  # no transcript: no tokens sample
    assert entry(laptop) == entry(desktop) == expected
    heads = {git(m.journal, "rev-parse", "HEAD") for m in (laptop, desktop)}
    assert len(heads) == 1

    # Each section of the day's log names its machine.
    logs = "".join(p.read_text() for p in (laptop.journal / "sessions").glob("*.md"))
    headings = [line for line in logs.splitlines() if line.startswith("## Session ")]
    assert sorted(h.rsplit(" on ", 1)[1] for h in headings) == ["desktop", "desktop", "laptop"]
    assert logs.count(f"session `{s.sid}`") == 1
