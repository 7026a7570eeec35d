"""Daily rollups: the CSV format, the rollup's days, its one commit, corrections and what never changes."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import MACHINE, assert_clean, git, run, subjects
from transcript_builder import SESSION, assistant, project_dir, usage, write

from ai_budget.claude import usage_history
from ai_budget.journal.journal import Journal
from ai_budget.journal.rollups import COLUMNS, DamagedRollup, DayRow, parse, render, span_label
from ai_budget.session.rollup import rollup

UTC = timezone.utc
SONNET = "claude-sonnet-4-5-20250929"
OPUS = "claude-opus-4-5-20251101"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
HEADER = ",".join(COLUMNS)
# By construction (pricing.json: Sonnet 3/15, Opus 5/25 $/MTok; cache read 0.1x, 5-minute writes
# 1.25x, 1-hour writes 2x input; $0.01 a search):
#   Sonnet 11-20: in 1100 $0.0033, out 2300 $0.0345, read 600 $0.00018, 5m 400 $0.0015, 1h 100 $0.0006,
#                 1 search $0.01: $0.05008
#   Opus 11-20:   in 20 $0.0001, out 1000 $0.025: $0.0251
#   Sonnet 11-21: in 100 $0.0003, out 60 $0.0009: $0.0012
DAY_20 = [
    f"2026-11-20,{OPUS},1,20,1000,0,0,0,0,0.0251,,",
    f"2026-11-20,{SONNET},2,1100,2300,400,100,600,1,0.0501,,",
]
DAY_21 = [f"2026-11-21,{SONNET},1,100,60,0,0,0,0,0.0012,,"]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def session_lines() -> list[str]:
    big = usage(1000, 2000, 600, five=400, hour=100, search=1)
    return [
        assistant("m1", big, when=at(20, 10)),
        assistant("m1", big, when=at(20, 10), block="tool_use"),  # a second copy: counted once
        assistant("m3", usage(20, 1000), model=OPUS, when=at(20, 14)),
        assistant("m2", usage(100, 300), when=at(20, 23, 30)),
        assistant("m4", usage(100, 60), when=at(21, 1)),
        assistant("m5", usage(7, 7), when=at(22, 9)),  # today: not finished, never rolled up
    ]


@pytest.fixture
def claude(home: Path) -> Path:
    return home / ".claude"


@pytest.fixture
def transcripts(claude: Path) -> Path:
    return write(project_dir(claude) / f"{SESSION}.jsonl", session_lines())


def csv_lines(journal: Path, month: str = "2026-11") -> list[str]:
    return (journal / "usage" / MACHINE / f"{month}.csv").read_text().splitlines()


def roll(journal: Path, claude: Path, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return rollup(Journal.open(journal), [claude], now)


# --- the file format ---------------------------------------------------------------------------------


def test_rows_render_and_parse_back() -> None:
    rows = [
        DayRow(date(2026, 11, 3), SONNET, (1, 2, 3, 4, 5, 6, 7), Decimal("0.12345"), 12.5, 40.0),
        DayRow(date(2026, 11, 2), "-", None, None, 61.0, None),
        DayRow(date(2026, 11, 3), "mystery-model", (1, 0, 9, 0, 0, 0, 0), None, 12.5, 40.0),
    ]
    text = render(rows)
    assert text.splitlines() == [
        HEADER,
        "2026-11-02,-,,,,,,,,,61,",
        f"2026-11-03,{SONNET},1,2,3,4,5,6,7,0.1234,12.5,40",
        "2026-11-03,mystery-model,1,0,9,0,0,0,0,,12.5,40",
    ]
    again = parse(text, "usage/2026-11.csv")
    assert [(r.day, r.model, r.counts, r.peak_five_hour) for r in again] == [
        (date(2026, 11, 2), "-", None, 61.0),
        (date(2026, 11, 3), SONNET, (1, 2, 3, 4, 5, 6, 7), 12.5),
        (date(2026, 11, 3), "mystery-model", (1, 0, 9, 0, 0, 0, 0), 12.5),
    ]
    assert again[1].cost == Decimal("0.1234") and again[2].cost is None


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (["date,model"], "line 1: the header is not"),
        (
            [HEADER, f"2026-11-20,{SONNET},1,2,x,4,5,6,7,0.1,,"],
            "line 2: output_tokens 'x' is not a whole number",
        ),
        ([HEADER, f"2026-11-20,{SONNET},1,2,3"], "line 2: 5 cells where 12 belong"),
        (
            [HEADER, f"2026-12-01,{SONNET},1,2,3,4,5,6,7,0.1,,"],
            "line 2: 2026-12-01 does not belong in 2026-11.csv",
        ),
        ([HEADER, "", f"20261120,{SONNET},1,2,3,4,5,6,7,0.1,,"], "line 3: date '20261120' is not YYYY-MM-DD"),
        (
            [HEADER, f"2026-11-20,{SONNET},1,2,3,4,5,6,7,0.1,250,"],
            "line 2: peak_5h_pct '250' is not a percentage",
        ),
        ([HEADER, f"2026-11-20,{SONNET},1,2,3,4,5,6,7,-1,,"], "line 2: cost_usd '-1' is not a cost"),
        ([HEADER, *DAY_21, *DAY_21], f"line 3: a second row for 2026-11-21 {SONNET}"),
    ],
)
def test_a_damaged_line_is_named(lines: list[str], problem: str) -> None:
    with pytest.raises(DamagedRollup, match=problem) as err:
        parse("\n".join(lines) + "\n", "usage/2026-11.csv")
    assert str(err.value).startswith("usage/2026-11.csv line ")
    assert "fix or remove that line" in str(err.value)


def test_commit_labels_name_the_days() -> None:
    d = date
    assert span_label([d(2026, 11, 21), d(2026, 11, 20)]) == "2026-11-20..21"
    assert span_label([d(2026, 11, 20)]) == "2026-11-20"
    assert span_label([d(2026, 10, 31), d(2026, 11, 1)]) == "2026-10-31..2026-11-01"
    assert span_label([d(2026, 11, 5), d(2026, 11, 20), d(2026, 11, 21)]) == "2026-11-05, 2026-11-20..21"
    many = [d(2026, 11, n) for n in (1, 3, 5, 7, 9)]
    assert span_label(many) == "2026-11-01, 2026-11-03, 2026-11-05 and 2 more"


# --- the rollup ----------------------------------------------------------------------------------------


def test_finished_days_are_rolled_up_in_one_commit(journal: Path, claude: Path, transcripts: Path) -> None:
    result = roll(journal, claude)
    assert result.written == [date(2026, 11, 20), date(2026, 11, 21)]
    assert csv_lines(journal) == [HEADER, *DAY_20, *DAY_21]
    assert subjects(journal)[0] == "usage: rollup 2026-11-20..21"
    changed = git(journal, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == [f"usage/{MACHINE}/2026-11.csv"]
    assert_clean(journal)


def test_a_second_rollup_commits_nothing(journal: Path, claude: Path, transcripts: Path) -> None:
    roll(journal, claude)
    count = len(subjects(journal))
    assert roll(journal, claude).sha is None
    # Even with the state lost (a cleared cache) the recount finds nothing to change.
    for state in (journal.parent / ".cache" / "ai-budget").glob("rollups-*.json"):
        state.unlink()
    again = roll(journal, claude)
    assert (again.sha, again.written) == (None, [])
    assert len(subjects(journal)) == count


def test_the_next_day_adds_only_itself(journal: Path, claude: Path, transcripts: Path) -> None:
    roll(journal, claude)
    roll(journal, claude, datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    assert csv_lines(journal)[-1] == f"2026-11-22,{SONNET},1,7,7,0,0,0,0,0.0001,,"
    assert subjects(journal)[0] == "usage: rollup 2026-11-22"


def test_a_late_subagent_file_corrects_its_day(journal: Path, claude: Path, transcripts: Path) -> None:
    roll(journal, claude)
    late = project_dir(claude) / SESSION / "subagents" / "agent-a1.jsonl"
    # One new message on 11-21 (in 100 $0.0003, out 100 $0.0015), and a copy of one already counted.
    write(
        late,
        [assistant("s1", usage(100, 100), when=at(21, 5)), assistant("m4", usage(100, 60), when=at(21, 1))],
    )
    result = roll(journal, claude)
    assert (result.written, result.corrected) == ([date(2026, 11, 21)], [date(2026, 11, 21)])
    assert csv_lines(journal) == [HEADER, *DAY_20, f"2026-11-21,{SONNET},2,200,160,0,0,0,0,0.0030,,"]
    assert subjects(journal)[0] == "usage: rollup 2026-11-21"
    assert_clean(journal)


def test_days_stay_once_their_transcripts_are_gone(journal: Path, claude: Path, transcripts: Path) -> None:
    roll(journal, claude)
    before = csv_lines(journal)
    transcripts.unlink()
    head = git(journal, "rev-parse", "HEAD")
    assert roll(journal, claude, datetime(2026, 12, 30, tzinfo=UTC)).written == []
    assert csv_lines(journal) == before and git(journal, "rev-parse", "HEAD") == head
    # A transcript that holds part of a day whose other files are gone does not rewrite it, even
    # when it alone holds more than the day had (a recount would otherwise take it for a correction).
    more = usage(9999, 9999, 9999, five=9999, hour=9999, search=9)
    write(
        project_dir(claude) / "other.jsonl",
        [
            assistant("z1", more, when=at(20, 12)),
            assistant("z2", more, when=at(20, 13)),
            assistant("z3", more, model=OPUS, when=at(20, 12)),
        ],
    )
    assert roll(journal, claude, datetime(2026, 12, 30, tzinfo=UTC)).written == []
    assert csv_lines(journal) == before


def test_a_recount_that_shrinks_keeps_the_day(journal: Path, claude: Path, transcripts: Path) -> None:
    roll(journal, claude)
    for state in (journal.parent / ".cache" / "ai-budget").glob("rollups-*.json"):
        state.unlink()  # no memory of which files there were
    write(transcripts, session_lines()[:3] + session_lines()[4:])  # m2 (11-20) gone from the file
    result = roll(journal, claude)
    assert (result.written, result.kept) == ([], [date(2026, 11, 20)])
    assert csv_lines(journal) == [HEADER, *DAY_20, *DAY_21]


def test_peaks_come_from_the_usage_history_and_the_journal(
    journal: Path, claude: Path, transcripts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage_history.record([("five_hour", 30.0, None), ("seven_day", 10.0, None)], "api", at(20, 12))
    usage_history.record([("five_hour", 55.5, None), ("seven_day", 12.0, None)], "api", at(20, 18))
    usage_history.record([("five_hour", 5.0, None)], "statusline", at(21, 2))
    # The journal saw 61 % / 40 % on 11-19, a day with no transcripts.
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-11-19T15:00:00+00:00")
    with Journal.open(journal).transaction("claude: 5h 61.0%, week 40.0%") as tx:
        tx.budget.claude.five_hour_util, tx.budget.claude.seven_day_util = 61.0, 40.0
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    assert roll(journal, claude).written == [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
    assert csv_lines(journal) == [
        HEADER,
        "2026-11-19,-,,,,,,,,,61,40",
        *[line[:-2] + ",55.5,12" for line in DAY_20],
        DAY_21[0][:-2] + ",5,",
    ]
    assert subjects(journal)[0] == "usage: rollup 2026-11-19..21"


def test_a_damaged_file_is_never_overwritten(journal: Path, claude: Path, transcripts: Path) -> None:
    roll(journal, claude)
    path = journal / "usage" / MACHINE / "2026-11.csv"
    damaged = path.read_text().replace(",2300,", ",23OO,")
    path.write_text(damaged)
    with pytest.raises(DamagedRollup, match=rf"usage/{MACHINE}/2026-11.csv line 3: output_tokens '23OO'"):
        roll(journal, claude, datetime(2026, 11, 25, tzinfo=UTC))
    assert path.read_text() == damaged


def test_check_rolls_up_first_and_warns_about_a_damaged_file(
    journal: Path, claude: Path, transcripts: Path
) -> None:
    result = run("check")
    assert result.exit_code == 0, result.stderr
    assert subjects(journal)[0] == "usage: rollup 2026-11-20..22"  # the real today is later
    path = journal / "usage" / MACHINE / "2026-11.csv"
    path.write_text(path.read_text() + "2026-11-23,x,1\n")
    result = run("check")
    assert result.exit_code == 0, result.stderr
    problem = f"usage/{MACHINE}/2026-11.csv line 6: 3 cells where 12 belong"
    assert f"daily rollup skipped: {problem}" in result.stdout


def test_log_rolls_up_first(journal: Path, claude: Path, transcripts: Path) -> None:
    result = run("log")
    assert result.exit_code == 0, result.stderr
    assert subjects(journal)[1] == "usage: rollup 2026-11-20..22"
    assert subjects(journal)[0].startswith("session ")
    assert_clean(journal)


@pytest.mark.parametrize("how", ["given", "the process's TZ"])
def test_days_are_local_days(journal: Path, claude: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from zoneinfo import ZoneInfo

    # 18:40 UTC is 00:10 the next day in Kolkata (+5:30); 18:20 UTC is still 23:50 there.
    write(
        project_dir(claude) / f"{SESSION}.jsonl",
        [
            assistant("k1", usage(1, 10), when=at(20, 18, 20)),
            assistant("k2", usage(1, 20), when=at(20, 18, 40)),
        ],
    )
    if how == "given":
        rollup(Journal.open(journal), [claude], NOW, tz=ZoneInfo("Asia/Kolkata"))
    else:
        monkeypatch.setenv("TZ", "Asia/Kolkata")  # the autouse fixture puts UTC back afterwards
        time.tzset()
        rollup(Journal.open(journal), [claude], NOW)
    assert [line.split(",")[:5] for line in csv_lines(journal)[1:]] == [
        ["2026-11-20", SONNET, "1", "1", "10"],
        ["2026-11-21", SONNET, "1", "1", "20"],
    ]


def test_the_session_end_hook_leaves_the_rollup_to_the_next_command(
    journal: Path, claude: Path, transcripts: Path
) -> None:
    from ai_budget.session.log import LogRequest, log

    log(Journal.open(journal), LogRequest(claude_dirs=[claude], local_only=True, automatic=True))
    assert not any(s.startswith("usage: rollup") for s in subjects(journal))
    assert not (journal / "usage").exists()


def test_an_empty_month_file_says_so() -> None:
    with pytest.raises(DamagedRollup, match=r"^usage/2026-11.csv is empty: remove it, then run it again$"):
        parse("", "usage/2026-11.csv")


def test_a_file_where_the_folder_belongs_is_one_line_and_kept(
    journal: Path, claude: Path, transcripts: Path
) -> None:
    (journal / "usage").write_text("mine\n")
    problem = f"{journal / 'usage'} is a file where the daily rollups' folder belongs: move it away"
    result = run("report")
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {problem}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    checked = run("check")
    assert checked.exit_code == 0, checked.stderr
    assert f"daily rollup skipped: {problem}" in checked.stdout
    assert run("log").exit_code == 0
    assert (journal / "usage").read_text() == "mine\n"


@pytest.mark.parametrize("command", ["check", "log"])
def test_check_and_log_report_the_backfill_to_a_progress_callback(
    journal: Path, claude: Path, transcripts: Path, command: str
) -> None:
    # What the CLI hands them on a terminal (cli/progress.py draws it); the hooks hand them none.
    from ai_budget.session.check import check
    from ai_budget.session.log import LogRequest, log

    seen: list[tuple[int, ...]] = []
    if command == "check":
        check(Journal.open(journal), claude, progress=lambda *done: seen.append(done))
    else:
        log(Journal.open(journal), LogRequest(claude_dirs=[claude]), progress=lambda *done: seen.append(done))
    size = transcripts.stat().st_size
    assert seen[0] == (0, 1, 0, size) and seen[-1] == (1, 1, size, size)
    # check commits nothing of its own, log its session after the rollup
    assert subjects(journal)[command == "log"] == "usage: rollup 2026-11-20..22"
