"""Each kind of journal file merged by what it means when both machines changed it: the backlog by line,
the session logs section by section, budget.json key by key (the newer reading wins, a setting changed on
one side is kept), rollups by machine; the drivers themselves on files a side damaged; and what a journal
from before machine names brings to its first sync."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sync_kit import TYPE, Machine, bare, fsck, git, no_conflict_markers

from ai_budget.sync import merges


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Machine, Machine]:
    remote = bare(tmp_path / "remote.git")
    a = Machine(tmp_path, "laptop").setup(str(remote))
    a.ok("backlog", "add", "[M] first task")
    a.ok("backlog", "add", "[L] second task")
    a.sync()
    b = Machine(tmp_path, "desktop").setup(str(remote))
    b.sync()
    return a, b


def settle(a: Machine, b: Machine) -> None:
    """Sync both ways until both journals are the same commit."""
    a.sync()
    b.sync()
    a.sync()
    assert git(a.journal, "rev-parse", "HEAD") == git(b.journal, "rev-parse", "HEAD")
    for m in (a, b):
        fsck(m.journal)
        no_conflict_markers(m.journal)


def tasks(m: Machine) -> list[str]:
    return [t["text"] for t in json.loads(m.ok("backlog", "list", "--json"))]


def test_the_backlog_merges_by_line(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    a.ok("backlog", "done", "1")  # the laptop finishes the first task
    b.ok("backlog", "add", "[H] added on the desktop")
    (b.journal / "tasks" / "backlog.md").write_text(
        (b.journal / "tasks" / "backlog.md").read_text() + "- a note typed by hand\n"
    )  # an edit by hand, committed by the sync
    settle(a, b)
    assert tasks(a) == tasks(b) == ["second task", "added on the desktop"]
    assert "- a note typed by hand" in (a.journal / "tasks" / "backlog.md").read_text()
    assert "first task" in (a.journal / "tasks" / "completed.md").read_text()
    assert "edits by hand: tasks/backlog.md" in git(b.journal, "log", "--format=%s")


def test_budget_json_merges_key_by_key(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    data = a.budget()
    data["settings"]["safety_margin_pct"] = 25  # a setting edited by hand on the laptop
    (a.journal / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
    a.ok("copilot", "set", "100")
    b.ok("gemini", "set", "tier 1, fine")
    b.ok("copilot", "set", "140")  # later: the newer count wins wherever it merges
    b.ok("calibration", "add", "essay", "--unit", "per essay")
    settle(a, b)
    for m in (a, b):
        got = m.budget()
        assert got["settings"]["safety_margin_pct"] == 25
        assert got["copilot"]["premium_requests_used"] == 140
        assert got["gemini"]["status"] == "tier 1, fine"
        assert {TYPE, "essay"} <= set(got["calibration"])
        assert got["calibration"][TYPE]["unit"] == "per card"  # added on both, the same
        assert got["calibration"][TYPE]["samples"] == 0


def test_session_logs_keep_every_section_in_time_order(pair: tuple[Machine, Machine]) -> None:
    a, b = pair
    s1 = a.open(4, 40, five_before=2)
    s1.close()
    s2 = b.open(7, 40, five_before=4)
    s2.close()
    s3 = a.open(9, 40)
    s3.close()
    settle(a, b)
    days = sorted((a.journal / "sessions").glob("*.md"))
    for p in days:
        text = p.read_text()
        assert text.count("# Sessions ") == 1  # one title, whoever made the file
        clocks = [line.split()[3] for line in text.splitlines() if line.startswith("## Session ")]
        assert clocks == sorted(clocks)  # by the minute in their headings (the finest they say)
    text = "".join(p.read_text() for p in days)
    assert [text.count(f"session `{s.sid}`") for s in (s1, s2, s3)] == [1, 1, 1]


def test_a_first_sync_names_this_machine_on_what_it_wrote_before(tmp_path: Path) -> None:
    """A journal from before machine names: rollups in usage/, ledger lines without a machine."""
    remote = bare(tmp_path / "remote.git")
    old = Machine(tmp_path, "old")
    old.ok("init")
    old.ok("machine", "old")
    (old.journal / "usage").mkdir()
    header = "date,model,api_calls,input_tokens,output_tokens,cache_write_5m_tokens,cache_write_1h_tokens,"
    header += "cache_read_tokens,web_searches,cost_usd,peak_5h_pct,peak_weekly_pct\n"
    (old.journal / "usage" / "2026-10.csv").write_text(header + "2026-10-03,claude-x,2,1,9,0,0,0,0,,,\n")
    ledger = old.journal / "sessions" / "ledger"
    ledger.mkdir(parents=True)
    line = {
        "kind": "run",
        "session_id": "s-before",
        "recorded_at": "2026-10-03T10:00:00+00:00",
        "exchanges": 2,
    }
    (ledger / "2026-10.jsonl").write_text(json.dumps(line) + "\n")
    git(old.journal, "add", "-A")
    git(old.journal, "commit", "-q", "-m", "from before machine names")
    old.ok("remote", "add", str(remote))
    old.sync()
    assert not (old.journal / "usage" / "2026-10.csv").exists()
    assert "2026-10-03,claude-x,2" in (old.journal / "usage" / "old" / "2026-10.csv").read_text()
    kept = [json.loads(x) for x in (ledger / "2026-10.jsonl").read_text().splitlines()]
    assert [(r["session_id"], r["machine"]) for r in kept] == [("s-before", "old")]
    assert git(old.journal, "status", "--porcelain") == ""
    # A second machine's copy of those lines (it started from the remote) is not taken for its own.
    new = Machine(tmp_path, "new").setup(str(remote))
    new.sync()
    kept = [
        json.loads(x)
        for x in (new.journal / "sessions" / "ledger" / "2026-10.jsonl").read_text().splitlines()
    ]
    assert [(r["session_id"], r["machine"]) for r in kept] == [("s-before", "old")]


def test_machine_names(tmp_path: Path) -> None:
    m = Machine(tmp_path, "box")
    m.ok("init")
    from ai_budget.journal.machine import host_name

    assert m.ok("machine").strip() == host_name()
    assert "This machine is studio in the journal" in m.ok("machine", "studio")
    assert m.ok("machine").strip() == "studio"
    assert git(m.journal, "config", "ai-budget.machine").strip() == "studio"
    m.ok("copilot", "set", "3")
    assert git(m.journal, "log", "-1", "--format=%(trailers:key=Machine,valueonly)").strip() == "studio"
    bad = m.run("machine", "my laptop")
    assert bad.returncode == 1 and "one word of letters" in bad.stderr
    pinned = m.run("machine", "other", AI_BUDGET_MACHINE="pinned")
    assert pinned.returncode == 1 and "AI_BUDGET_MACHINE is set" in pinned.stderr
    (m.journal / "usage" / "studio").mkdir(parents=True)
    (m.journal / "usage" / "studio" / "2026-10.csv").write_text("x\n")
    (m.journal / "usage" / "taken").mkdir()
    taken = m.run("machine", "taken")
    assert taken.returncode == 1 and "another machine of this journal is named 'taken'" in taken.stderr
    git(m.journal, "add", "-A")
    git(m.journal, "commit", "-q", "-m", "rollups")
    assert "1 rollup files moved to usage/desk/" in m.ok("machine", "desk")
    assert (m.journal / "usage" / "desk" / "2026-10.csv").read_text() == "x\n"
    assert git(m.journal, "status", "--porcelain") == ""


def test_two_machines_under_one_name_are_stopped(tmp_path: Path) -> None:
    remote = bare(tmp_path / "remote.git")
    a = Machine(tmp_path, "twin-a").setup(str(remote))
    a.ok("machine", "twin")
    a.ok("copilot", "set", "1")
    a.sync()
    b = Machine(tmp_path, "twin-b").setup(str(remote))
    b.ok("machine", "twin")
    b.ok("copilot", "set", "2")
    done = b.run("sync")
    assert done.returncode == 1
    assert "another machine also named 'twin'" in done.stderr and "ai-budget machine NAME" in done.stderr
    b.ok("machine", "twin-b")
    b.sync()


def test_log_syncs_after_when_asked_and_a_hook_never_does(tmp_path: Path) -> None:
    remote = bare(tmp_path / "remote.git")
    m = Machine(tmp_path, "laptop").setup(str(remote))
    m.sync()
    s = m.open(3, 20, five_before=1)
    s.close()
    assert git(remote, "rev-parse", "main") != git(m.journal, "rev-parse", "HEAD")  # off by default
    data = m.budget()
    data["settings"]["sync"] = {"after_log": True}
    (m.journal / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
    s = m.open(5, 20)
    s.close()
    assert git(remote, "rev-parse", "main") == git(m.journal, "rev-parse", "HEAD")
    # The session-end hook logs a session nobody logged: it never syncs.
    before = git(remote, "rev-parse", "main")
    from sync_kit import Session

    t = Session(m, 5, 6, 10, 1)
    t.opened = 10_000
    t.sid = "laptop-hook-4000-8000-000000000000"
    t.transcript.parent.mkdir(parents=True, exist_ok=True)
    t.transcript.write_text("")
    for _ in range(6):
        t._reply(10)
    event = {"session_id": t.sid, "transcript_path": str(t.transcript), "cwd": "/home/dev/proj"}
    t._hook("session-end", {**event, "reason": "other", "hook_event_name": "SessionEnd"})
    assert git(m.journal, "log", "-1", "--format=%s").strip().endswith("(automatic)")  # it logged
    assert git(remote, "rev-parse", "main") == before
    # A remote that fails: the log still succeeds, with one warning line.
    git(m.journal, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    s = m.open(7, 20)
    end = m.home / "end.json"
    from usage_server import usage_body

    end.write_text(usage_body(five=9))
    done = m.run("log", "--from-file", str(end), CLAUDE_CODE_SESSION_ID=s.sid)
    assert done.returncode == 0, done.stderr
    assert git(m.journal, "log", "-1", "--format=%s").startswith("session ")
    warning = [line for line in done.stderr.splitlines() if "sync after log" in line]
    assert len(warning) == 1 and "has no repository at that address" in warning[0]


def driver(kind: str, base: str, ours: str, theirs: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    files = []
    for name, text in (("base", base), ("ours", ours), ("theirs", theirs)):
        (tmp_path / name).write_text(text)
        files.append(str(tmp_path / name))
    return subprocess.run(
        [sys.executable, "-m", "ai_budget.sync.driver", kind, *files, "budget.json"],
        capture_output=True,
        text=True,
    )


def test_a_driver_that_cannot_merge_says_why_in_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text("{}")
    done = driver("budget", "{}", "{}", "{not json", tmp_path)
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines() == [done.stderr.strip()]
        and "the remote's budget.json cannot be read" in done.stderr
    )
    assert (tmp_path / "ours").read_text() == "{}"  # left as it was: git marks the file conflicted


def test_the_line_merges_on_their_own() -> None:
    base = "# Backlog\n\n## Now\n\n- [M] a\n- [M] b\n\n## Later\n"
    ours = "# Backlog\n\n## Now\n\n- [M] b\n- [L] ours\n\n## Later\n"
    theirs = "# Backlog\n\n## Now\n\n- [M] a\n- [M] b\n- [H] theirs\n\n## Later\n- [L] later\n"
    assert merges.lines(base, ours, theirs) == (
        "# Backlog\n\n## Now\n\n- [M] b\n- [H] theirs\n- [L] ours\n\n## Later\n- [L] later\n"
    )
    ledger_base = '{"recorded_at":"1"}\n'
    assert merges.ledger(
        ledger_base, ledger_base + '{"recorded_at":"3"}\n', ledger_base + '{"recorded_at":"2"}\n'
    ) == ('{"recorded_at":"1"}\n{"recorded_at":"2"}\n{"recorded_at":"3"}\n')


def test_a_journal_on_master_syncs_with_one_on_main(pair: tuple[Machine, Machine], tmp_path: Path) -> None:
    a, _ = pair
    old = Machine(tmp_path, "old-box").setup(str(tmp_path / "remote.git"))
    git(old.journal, "branch", "-m", "main", "master")  # begun by an ai-budget that named it master
    old.ok("copilot", "set", "9")
    old.sync()
    a.sync()
    assert git(a.journal, "rev-parse", "HEAD") == git(old.journal, "rev-parse", "HEAD")
    assert git(tmp_path / "remote.git", "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]


def test_a_day_log_merges_section_by_section() -> None:
    title = "# Sessions 2026-11-20\n"
    a = "## Session 2026-11-20 09:10\n\nmorning on the laptop\n"
    b = "## Runs folded 09:40\n\n- `x` run\n"
    c = "## Session 2026-11-20 11:05 (started 10:00)\n\nlate on the desktop\n"
    base = title + "\n" + a
    ours = base + "\n" + c
    theirs = base + "\n" + b
    merged = merges.session_log(base, ours, theirs)
    assert merged == title + "\n" + a + "\n" + b + "\n" + c
    assert merges.session_log(base, ours, theirs) == merges.session_log(base, theirs, ours)  # same either way
    assert merges.session_log("", title + "\n" + a, title + "\n" + b) == title + "\n" + a + "\n" + b
    assert (
        merges.session_log(base, title, base + "\n" + b) == title + "\n" + b
    )  # removed by hand stays removed


def test_rollups_merge_row_by_row(tmp_path: Path) -> None:
    from ai_budget.journal import rollups

    header = ",".join(rollups.COLUMNS) + "\n"
    row = "2026-11-{d},claude-x,{n},1,{n},0,0,0,0,0.0100,,\n"
    base = header + row.format(d="01", n=1)
    ours = base + row.format(d="02", n=2)
    theirs = base + row.format(d="03", n=3)
    assert merges.rollup(base, ours, theirs, "usage/x/2026-11.csv") == (
        header + row.format(d="01", n=1) + row.format(d="02", n=2) + row.format(d="03", n=3)
    )
    both = merges.rollup(
        base, header + row.format(d="01", n=5), header + row.format(d="01", n=7), "usage/x/2026-11.csv"
    )
    assert both == header + row.format(d="01", n=7)  # two machines under one name: the fuller row
    with pytest.raises(merges.MergeFailed, match="usage/x/2026-11.csv line 2"):
        merges.rollup(base, ours, header + "garbage\n", "usage/x/2026-11.csv")


def test_budget_json_merge_rules() -> None:
    from ai_budget.model.budget import BudgetFile

    def text(change: dict) -> str:
        data = BudgetFile().model_dump(mode="json")
        for key, value in change.items():
            data[key] = {**(data.get(key) or {}), **value} if isinstance(value, dict) else value
        return json.dumps(data)

    base = text({})
    ours = text({"claude": {"five_hour_util": 40.0, "last_fetched": "2026-11-20T10:00:00+00:00"},
                 "settings": {"safety_margin_pct": 15},
                 "limits": [{"since": "2026-11-01T00:00:00+00:00", "ratio": 2.0}]})  # fmt: skip
    theirs = text({"claude": {"five_hour_util": 55.0, "last_fetched": "2026-11-20T11:00:00+00:00"},
                   "settings": {"safety_margin_pct": 20, "weekly_focus_pct": 70},
                   "limits": [{"since": "2026-11-01T00:00:00+00:00", "ratio": 2.0, "dismissed": True},
                              {"since": "2026-11-09T00:00:00+00:00", "ratio": 0.5}]})  # fmt: skip
    got = json.loads(merges.budget(base, ours, theirs))
    assert got["claude"]["five_hour_util"] == 55.0  # the newer reading
    assert got["settings"]["safety_margin_pct"] == 15  # changed on both: this machine's
    assert got["settings"]["weekly_focus_pct"] == 70  # changed on one side: kept
    assert [(c["since"][:10], c["dismissed"]) for c in got["limits"]] == [
        ("2026-11-01", True),
        ("2026-11-09", False),
    ]
    fresh = json.loads(merges.budget("", BudgetFile().model_dump_json(), theirs))
    assert fresh["settings"]["safety_margin_pct"] == 20  # a new machine's defaults never win


def test_addresses_never_show_or_keep_a_password() -> None:
    from ai_budget.errors import InvalidInput
    from ai_budget.sync.remote import checked_url, redacted

    assert redacted("fatal: unable to access 'https://me:s3cret@host/x.git/'") == (
        "fatal: unable to access 'https://me@host/x.git/'"
    )
    assert checked_url(" git@host:me/journal.git ") == "git@host:me/journal.git"
    assert checked_url("ssh://git@host/journal.git") == "ssh://git@host/journal.git"
    for bad in ("https://me:s3cret@host/x.git", "https://ghp_" + "a" * 36 + "@github.com/me/j.git", "  "):
        with pytest.raises(InvalidInput):
            checked_url(bad)
