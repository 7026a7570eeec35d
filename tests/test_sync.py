"""Several machines, one journal: sessions logged on each on the same day, overlapping and not, synced
through a bare repository in either order, end as one journal with every session once and the
calibration one machine would have computed from all of them.

Every machine is a HOME of its own running the real CLI; the remote is a bare repository on disk.
Expected figures come from the sessions the test ran (`sync_kit.expected_calibration`), never from the
output.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sync_kit import (
    TYPE,
    Machine,
    Session,
    bare,
    calibration_figures,
    expected_calibration,
    fsck,
    git,
    no_conflict_markers,
)

from ai_budget.journal.journal import Journal
from ai_budget.session import limits


def two_machines(tmp_path: Path) -> tuple[Machine, Machine, Path]:
    """A laptop with a calibrated type, on the remote first; a desktop with a journal of its own that
    joins it."""
    remote = bare(tmp_path / "remote.git")
    laptop = Machine(tmp_path, "laptop").setup(str(remote))
    laptop.ok("calibrate", TYPE, "10", "5")
    laptop.sync()
    desktop = Machine(tmp_path, "desktop").setup(str(remote))
    desktop.ok("backlog", "add", "[M] a task typed on the desktop")
    desktop.sync()
    return laptop, desktop, remote


def a_day(laptop: Machine, desktop: Machine, between: list[Machine]) -> list[Session]:
    """Six sessions: two pairs at the same time on both machines, two alone; `between` sync mid-day."""
    s1 = laptop.open(14, 400, five_before=10)
    s2 = desktop.open(20, 300, five_before=14)
    s1.close()
    s2.close()
    s3 = laptop.open(23, 200)
    s3.close()
    for m in between:
        m.sync()
    s4 = desktop.open(25.5, 120, units=4)
    s4.close()
    s5 = laptop.open(30, 500)
    s6 = desktop.open(31, 60, units=2.5)
    s6.close()
    s5.close()
    return [s1, s2, s3, s4, s5, s6]


def assert_one_journal(machines: list[Machine], remote: Path, sessions: list[Session], start: dict) -> None:
    heads = {git(m.journal, "rev-parse", "HEAD").strip() for m in machines}
    assert heads == {git(remote, "rev-parse", "main").strip()}
    trees = {git(m.journal, "ls-files", "-s") for m in machines}
    assert len(trees) == 1
    for m in machines:
        fsck(m.journal)
        no_conflict_markers(m.journal)
        assert git(m.journal, "status", "--porcelain") == ""
        entry = m.budget()["calibration"][TYPE]
        assert calibration_figures(entry) == expected_calibration(sessions, start)
        rows = m.session_rows()
        assert set(rows) == {s.sid for s in sessions}
        for s in sessions:
            row = rows[s.sid]
            assert (row["calls"], row["output_tokens"], row["machine"]) == (s.calls, s.output, s.machine.name)
    fsck(remote)
    lines = [
        json.loads(line)
        for path in (machines[0].journal / "sessions" / "ledger").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert sorted(line["session_id"] for line in lines) == sorted(s.sid for s in sessions)
    assert {line["session_id"]: line["machine"] for line in lines} == {
        s.sid: s.machine.name for s in sessions
    }
    logs = "".join(p.read_text() for p in (machines[0].journal / "sessions").glob("*.md"))
    for s in sessions:
        assert logs.count(f"session `{s.sid}`") == 1


@pytest.mark.parametrize("order", ["laptop first", "desktop first"])
def test_two_machines_one_day_synced_in_either_order(tmp_path: Path, order: str) -> None:
    laptop, desktop, remote = two_machines(tmp_path)
    start = laptop.budget()["calibration"][TYPE]
    first, second = (laptop, desktop) if order == "laptop first" else (desktop, laptop)
    sessions = a_day(laptop, desktop, between=[second])
    first.sync()
    second.sync()
    first.sync()
    assert_one_journal([laptop, desktop], remote, sessions, start)
    # Limit-change detection takes a point from each session that had the window to itself.
    points = limits.points(Journal.open(laptop.journal).history())
    alone = [s for s in sessions if not any(o.machine is not s.machine and s.overlaps(o) for o in sessions)]
    assert sorted(p.output_tokens for p in points) == sorted(s.output for s in alone)
    head = git(remote, "rev-parse", "main")
    for m in (laptop, desktop, laptop):  # syncing again changes nothing
        assert "nothing new either way" in m.sync()
    assert git(remote, "rev-parse", "main") == head


def yesterday_transcript(m: Machine, calls: int, output: int) -> None:
    """A session of yesterday's on the machine, finished: the next report rolls it up."""
    from datetime import datetime, timedelta, timezone

    from sync_kit import CWD
    from transcript_builder import assistant, project_dir, usage

    when = datetime.now(timezone.utc) - timedelta(days=1)
    sid = f"{m.name}-yesterday-4000-8000-000000000000"
    path = project_dir(m.claude, CWD) / f"{sid}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        assistant(f"msg_{sid}_{i}", usage(inp=1, out=output // calls), session=sid, cwd=CWD, when=when)
        for i in range(calls)
    ]
    path.write_text("\n".join(lines) + "\n")


def report(m: Machine, *args: str) -> dict:
    return json.loads(m.ok("report", "--days", "3", "--json", *args))


def test_report_shows_each_machine_and_one_alone(tmp_path: Path) -> None:
    laptop, desktop, remote = two_machines(tmp_path)
    yesterday_transcript(laptop, 3, 300)
    yesterday_transcript(desktop, 2, 50)
    today = {m.name: m.open((m.last_five or 0) + 2, 40) for m in (laptop, desktop)}
    for s in today.values():
        s.close()
    for m in (laptop, desktop):
        report(m)  # rolls up yesterday into usage/NAME/
        assert (m.journal / "usage" / m.name).is_dir()
    laptop.sync()
    desktop.sync()
    laptop.sync()
    for here, other in ((laptop, desktop), (desktop, laptop)):
        data = report(here)
        parts = {row["machine"]: row for row in data["machines"]}
        assert set(parts) == {"laptop", "desktop"}
        # Another machine's days are there once rolled up and synced; its today is its own.
        calls = {laptop.name: 3, desktop.name: 2}
        assert parts[here.name]["api_calls"] == calls[here.name] + today[here.name].calls
        assert parts[other.name]["api_calls"] == calls[other.name]
        assert parts[here.name]["sessions"] == parts[other.name]["sessions"] == 1
        assert sum(p["sessions"] for p in data["periods"]) == 2
        alone = report(here, "--machine", other.name)
        assert [row["machine"] for row in alone["machines"]] == [other.name]
        assert sum(p["api_calls"] for p in alone["periods"]) == calls[other.name]
        assert sum(p["sessions"] for p in alone["periods"]) == 1
        text = here.ok("report", "--days", "3")
        assert "By machine:" in text and f"\n{other.name} " in text
        # The other machine's today is still on it: unknown here, not zero, and the report says why.
        assert parts[other.name]["tokens_unknown"] and not parts[here.name]["tokens_unknown"]
        day = date.today().isoformat()
        assert data["pending_rollups"] == {other.name: [day]}
        assert f"{other.name}'s tokens for {day} are still on {other.name}" in text
        row = [line.split() for line in text.splitlines() if line.startswith(f"{other.name} ")]
        assert [r[2] for r in row] == [f"{calls[other.name]}+?"]  # its rolled-up yesterday, then unknown
        page = tmp_path / f"{here.name}.html"
        here.ok("report", "--days", "3", "--html", str(page))
        machines_html = page.read_text().split("<h2>By machine</h2>", 1)[1]
        for name, row in parts.items():
            cells = f'<td class="text">{name}</td><td class="">{row["sessions"]}</td>'
            assert cells in machines_html, machines_html
    wrong = laptop.run("report", "--machine", "nowhere")
    assert wrong.returncode == 1 and wrong.stderr.strip().splitlines() == [
        "Error: no machine named 'nowhere' in this journal: give one of desktop, laptop"
    ]


def test_report_on_a_machine_that_synced_but_logged_nothing_says_so(tmp_path: Path) -> None:
    """A machine known from its commits but with no session in the range: not an unknown name."""
    url = str(bare(tmp_path / "remote.git"))
    laptop = Machine(tmp_path, "laptop").setup(url)
    laptop.sync()
    box = Machine(tmp_path, "box").setup(url)
    box.sync()
    laptop.sync()
    asked = laptop.run("report", "--machine", "box")
    assert asked.returncode == 1 and asked.stderr.strip().splitlines() == [
        "Error: box has no sessions or tokens in this range: give one of laptop"
    ]
