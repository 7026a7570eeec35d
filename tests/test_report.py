"""`report`: periods from the rollups and the journal's commits, its JSON, its HTML page, bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import MACHINE, git, run
from transcript_builder import SESSION, assistant, project_dir, usage, write

from ai_budget.claude import usage_history
from ai_budget.journal import calibration as journal_calibration
from ai_budget.journal.journal import Journal
from ai_budget.session.report import build_report

UTC = timezone.utc
SONNET = "claude-sonnet-4-5-20250929"
OPUS = "claude-opus-4-5-20251101"
HAIKU = "claude-haiku-4-5-20251001"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# --- a constructed journal -----------------------------------------------------------------------------
# Transcripts, 11-12 .. 11-21: Sonnet every day (in 1000, out 2000 × day number: $0.003 + $0.03 × n...),
# Opus on the 15th and 20th, Haiku on the 18th. Readings on the 13th, 15th and 20th. Two sessions
# logged on the 15th, one on the 20th; flashcard calibrated on the 14th and 20th, feature on the 20th.
SONNET_DAYS = range(12, 22)
OPUS_DAYS = (15, 20)
HAIKU_DAYS = (18,)
READINGS = {  # day: [(hour, five_hour, seven_day)]
    13: [(9, 10.0, 20.0), (15, 42.0, 24.0)],
    15: [(10, 71.5, 30.0)],
    20: [(11, 88.0, 45.0), (18, 12.0, 47.5)],
}


def sonnet_out(day: int) -> int:
    return 1000 * (day - 10)  # 2,000 on the 12th .. 11,000 on the 21st


def build(journal: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Transcripts, usage readings, sessions and calibration samples on known days; the transcript."""
    lines = []
    for day in SONNET_DAYS:
        lines.append(assistant(f"s{day}", usage(1000, sonnet_out(day)), when=at(day, 10)))
    for day in OPUS_DAYS:
        lines.append(assistant(f"o{day}", usage(200, 4000), model=OPUS, when=at(day, 14)))
    for day in HAIKU_DAYS:
        lines.append(assistant(f"h{day}", usage(5000, 1000), model=HAIKU, when=at(day, 16)))
    path = write(project_dir(home / ".claude") / f"{SESSION}.jsonl", lines)
    for day, readings in READINGS.items():
        for hour, five, seven in readings:
            usage_history.record(
                [("five_hour", five, None), ("seven_day", seven, None)], "api", at(day, hour)
            )
    j = Journal.open(journal)
    journal_calibration.add_type(j, "flashcard", "per card")
    journal_calibration.add_type(j, "feature", "per feature")

    def dated(moment: datetime) -> None:
        monkeypatch.setenv("GIT_AUTHOR_DATE", moment.isoformat())
        monkeypatch.setenv("GIT_COMMITTER_DATE", moment.isoformat())

    for n, moment in enumerate([at(15, 9), at(15, 16), at(20, 17)]):
        dated(moment)
        with j.transaction(f"session {moment:%Y-%m-%d %H:%M}: constructed, 5h +10.0%") as tx:
            tx.write(f"sessions/{moment:%Y-%m-%d}.md", f"# Sessions\n\n## Session {n}\n")
            tx.trailers = [
                ("Session-Start", moment.isoformat()),
                ("Five-Hour-Delta", "10.0"),
                ("Tasks", "none"),
            ]
    dated(at(14, 12))
    journal_calibration.record(j, "flashcard", 15, 38.5, 9843)  # 2.5667 %/card
    dated(at(20, 12))
    journal_calibration.record(j, "flashcard", 20, 51.0, 12000)  # 2.55 %/card; average 89.5/35
    dated(at(20, 13))
    journal_calibration.record(j, "feature", 1, 20.0, 5000)  # 20 %/feature
    monkeypatch.delenv("GIT_AUTHOR_DATE")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    return path


@pytest.fixture
def built(journal: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return build(journal, home, monkeypatch)


def report(journal: Path, home: Path, **options: object) -> dict:  # type: ignore[type-arg]
    from ai_budget.cli.views.report import report_json

    data = build_report(Journal.open(journal), [home / ".claude"], now=NOW, **options)  # type: ignore[arg-type]
    return report_json(data)


def commit_count(journal: Path) -> int:
    return int(git(journal, "rev-list", "--count", "HEAD"))


# --- figures --------------------------------------------------------------------------------------------


def test_each_day_has_its_figures(journal: Path, home: Path, built: Path) -> None:
    got = report(journal, home, days=11)
    rows = {p["period"]: p for p in got["periods"]}
    assert list(rows) == [f"2026-11-{d}" for d in range(12, 23)]
    # The 15th: Sonnet (in 1000 $0.003, out 5000 $0.075) + Opus (in 200 $0.001, out 4000 $0.1).
    assert rows["2026-11-15"] == {
        "period": "2026-11-15",
        "start": "2026-11-15",
        "end": "2026-11-15",
        "partial": False,
        "sessions": 2,
        "api_calls": 2,
        "output_tokens": 9000,
        "cost_usd": 0.179,
        "unpriced_models": [],
        "tokens_unknown": False,
        "peak_5h_pct": 71.5,
        "peak_weekly_pct": 30.0,
        "calibration": {},
    }
    assert (rows["2026-11-13"]["peak_5h_pct"], rows["2026-11-13"]["peak_weekly_pct"]) == (42.0, 24.0)
    # The 20th: one session, two flashcard... no: one flashcard sample and one feature sample.
    assert rows["2026-11-20"]["calibration"] == {"feature": 1, "flashcard": 1}
    assert rows["2026-11-20"]["sessions"] == 1
    assert (rows["2026-11-20"]["peak_5h_pct"], rows["2026-11-20"]["peak_weekly_pct"]) == (88.0, 47.5)
    # Haiku on the 18th: in 5000 $0.005, out 1000 $0.005; Sonnet out 8000 $0.12, in $0.003.
    assert rows["2026-11-18"]["cost_usd"] == 0.133
    assert rows["2026-11-22"]["partial"] is True and rows["2026-11-22"]["api_calls"] == 0


def test_weeks_and_months_add_up(journal: Path, home: Path, built: Path) -> None:
    weeks = report(journal, home, since=datetime(2026, 11, 12, tzinfo=UTC), by="week")
    # ISO weeks, labelled by their Monday as `tokens --by week` does: 11-12..15 (Thursday to Sunday)
    # is the week of Monday 11-09, cut to the range; 11-16..22 is the week of Monday 11-16.
    assert [(p["period"], p["start"], p["end"]) for p in weeks["periods"]] == [
        ("2026-11-09", "2026-11-12", "2026-11-15"),
        ("2026-11-16", "2026-11-16", "2026-11-22"),
    ]
    w46, w47 = weeks["periods"]
    assert (w46["sessions"], w46["api_calls"], w46["output_tokens"]) == (
        2,
        5,
        2000 + 3000 + 4000 + 5000 + 4000,
    )
    assert (w47["sessions"], w47["api_calls"], w47["output_tokens"]) == (1, 8, 51000 + 4000 + 1000)
    assert (w46["peak_5h_pct"], w47["peak_5h_pct"], w47["peak_weekly_pct"]) == (71.5, 88.0, 47.5)
    assert (w46["calibration"], w47["calibration"]) == ({"flashcard": 1}, {"feature": 1, "flashcard": 1})
    month = report(journal, home, since=datetime(2026, 11, 12, tzinfo=UTC), by="month")
    assert [p["period"] for p in month["periods"]] == ["2026-11"]
    assert month["periods"][0]["output_tokens"] == w46["output_tokens"] + w47["output_tokens"]


def test_task_types_carry_their_samples(journal: Path, home: Path, built: Path) -> None:
    got = report(journal, home, days=11)
    types = {t["name"]: t for t in got["task_types"]}
    flash = types["flashcard"]
    assert flash["unit"] == "card"
    assert [a["pct_per_unit"] for a in flash["averages"]] == [2.5667, 2.5571]  # 38.5/15, 89.5/35
    # The second sample on its own is 51/20 = 2.55 (derived from the rounded averages).
    assert [s["pct_per_unit"] for s in flash["samples"]] == [2.5667, pytest.approx(2.55, abs=0.001)]
    assert [s["pct_per_unit"] for s in types["feature"]["samples"]] == [20.0]


# --- the rollups are the record ---------------------------------------------------------------------------


def test_report_is_the_same_once_the_transcripts_are_gone(journal: Path, home: Path, built: Path) -> None:
    first = run("report", "--since", "2026-11-10", "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["rollup"]["written"][0] == "2026-11-12"
    before = run("report", "--since", "2026-11-10", "--json")
    built.unlink()
    after = run("report", "--since", "2026-11-10", "--json")
    assert after.exit_code == 0, after.stderr
    assert json.loads(after.stdout) == json.loads(before.stdout)
    assert json.loads(after.stdout)["rollup"] == {"written": [], "corrected": [], "kept": [], "commit": None}


def test_a_second_report_makes_no_commit(journal: Path, home: Path, built: Path) -> None:
    count = commit_count(journal)
    assert run("report").exit_code == 0
    assert commit_count(journal) == count + 1
    assert git(journal, "log", "-1", "--format=%s").strip() == "usage: rollup 2026-11-12..21"
    assert run("report", "--by", "week").exit_code == 0
    assert commit_count(journal) == count + 1
    assert git(journal, "status", "--porcelain") == ""


def test_the_text_report(journal: Path, home: Path, built: Path) -> None:
    from ai_budget.cli.views.report import report_text

    data = build_report(Journal.open(journal), [home / ".claude"], days=2, now=at(16, 12))
    assert report_text(data).splitlines() == [
        "Report 2026-11-15 .. 2026-11-16, by day (today so far)",
        "period      sessions  API calls  output   cost  peak 5h  peak week  calibration",
        "2026-11-15         2          2   9,000  $0.18    71.5%      30.0%  -",
        "2026-11-16         0          1   6,000  $0.09        -          -  -",
        "total              2          3  15,000  $0.27    71.5%      30.0%  -",
        "Rolled up 2026-11-12..15 into the journal ("
        + git(journal, "rev-parse", "--short=7", "HEAD").strip()
        + ").",
    ]


# --- the page ---------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """Collects the tags of a page and the text of each <svg> element, and refuses scripts and links."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.svgs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        assert tag not in ("script", "link", "img", "iframe"), tag
        for name, value in attrs:
            if name != "xmlns":  # a namespace name, never fetched
                assert not (value or "").startswith(("http:", "https:", "//")), (tag, name, value)


def svgs_of(text: str) -> list[ET.Element]:
    parser = Page()
    parser.feed(text)
    parser.close()
    assert "html" in parser.tags and "table" in parser.tags
    parts = text.split("<svg ")[1:]
    return [ET.fromstring("<svg " + p.split("</svg>")[0] + "</svg>") for p in parts]


def test_the_page_draws_every_series(journal: Path, home: Path, built: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run("report", "--since", "2026-11-12", "--html", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"Wrote {out}" in result.stdout
    peaks, cost, *types = svgs_of(out.read_text())
    series = {g.get("data-series"): g for g in peaks.iter(f"{SVG}g") if g.get("class") == "series"}
    assert sorted(series) == ["five_hour", "seven_day"]
    # One dot per day with readings, at the day's highest one.
    assert [c.get("data-value") for c in series["five_hour"].iter(f"{SVG}circle")] == ["42", "71.5", "88"]
    assert [c.get("data-value") for c in series["seven_day"].iter(f"{SVG}circle")] == ["24", "30", "47.5"]
    models = {g.get("data-model"): g for g in cost.iter(f"{SVG}g") if g.get("class") == "series"}
    assert sorted(models) == [HAIKU, OPUS, SONNET]
    days = {m: [r.get("data-day") for r in g.iter(f"{SVG}rect")] for m, g in models.items()}
    assert days == {
        SONNET: [f"2026-11-{d}" for d in SONNET_DAYS],
        OPUS: ["2026-11-15", "2026-11-20"],
        HAIKU: ["2026-11-18"],
    }
    assert [r.get("data-cost") for r in models[OPUS].iter(f"{SVG}rect")] == ["0.1010", "0.1010"]
    dots = {
        g.get("data-type"): len(list(g.iter(f"{SVG}circle")))
        for svg in types
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "samples"
    }
    assert dots == {"feature": 1, "flashcard": 2}


# --- bad input: one line, a non-zero exit, nothing changed -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "Error: --days must be from 1 to 36,600, got 0: for example --days 30"),
        (["--days", "abc"], "Error: --days must be a whole number, got 'abc'"),
        (["--days", "-3"], "Error: --days cannot be negative, got '-3'"),
        (["--since", "2999-01-01"], "Error: --since 2999-01-01 00:00 is in the future: give a past time"),
        (["--since", "yesterday"], "Error: --since: cannot read 'yesterday' as a time"),
        (["--days", "3", "--since", "2d"], "Error: give --days or --since, not both"),
        (["--since", "1900-01-01"], "Error: --since 1900-01-01 is over 36,600 days ago: give a later time"),
        (["--by", "year"], "Error: Invalid value for '--by'"),
    ],
)
def test_bad_options_are_one_line(journal: Path, args: list[str], message: str) -> None:
    head = git(journal, "rev-parse", "HEAD")
    result = run("report", *args)
    assert result.exit_code != 0
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert git(journal, "rev-parse", "HEAD") == head


def test_the_page_needs_a_writable_file(journal: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for target, message in [
        (folder, f"Error: --html {folder} is a folder: give a file in it, such as {folder / 'report.html'}"),
        (tmp_path / "no" / "r.html", f"Error: --html: the folder {tmp_path / 'no'} does not exist"),
        (Path("/proc/report.html"), "Error: --html: cannot write /proc/report.html"),
    ]:
        result = run("report", "--html", str(target))
        assert result.exit_code == 1
        assert result.stderr.startswith(message), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert list(folder.iterdir()) == []


def test_a_damaged_rollup_stops_the_report(journal: Path, home: Path, built: Path) -> None:
    assert run("report").exit_code == 0
    path = journal / "usage" / MACHINE / "2026-11.csv"
    damaged = path.read_text().replace(f"2026-11-14,{SONNET},1,", f"2026-11-14,{SONNET},one,")
    path.write_text(damaged)
    head = git(journal, "rev-parse", "HEAD")
    result = run("report", "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        f"Error: usage/{MACHINE}/2026-11.csv line 4: api_calls 'one' is not a whole number: fix or remove "
        f"that line (`git -C {journal} log -p -- usage/{MACHINE}/2026-11.csv` shows what it was), "
        "then run it again"
    )
    assert path.read_text() == damaged and git(journal, "rev-parse", "HEAD") == head


def test_days_before_the_range_are_left_out(journal: Path, home: Path, built: Path) -> None:
    got = report(journal, home, since=datetime(2026, 11, 20, 6, tzinfo=UTC))
    assert [p["period"] for p in got["periods"]] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert {d["date"] for d in got["days"]} == {"2026-11-20", "2026-11-21"}
    flash = next(t for t in got["task_types"] if t["name"] == "flashcard")
    assert [a["pct_per_unit"] for a in flash["averages"]] == [2.5571]
    assert date.fromisoformat(got["since"]) == date(2026, 11, 20) == NOW.date() - timedelta(days=2)


def test_a_day_known_only_from_its_readings_shows_unknown_tokens(
    journal: Path, home: Path, built: Path
) -> None:
    from ai_budget.cli.views.report import UNKNOWN_NOTE, report_text

    usage_history.record([("five_hour", 30.0, None), ("seven_day", 9.0, None)], "api", at(11, 9))
    data = build_report(Journal.open(journal), [home / ".claude"], days=2, now=at(12, 12))
    # The 11th: no transcript, so its calls, tokens and cost are unknown; the 12th: Sonnet, 2,000 out.
    text = report_text(data).splitlines()
    assert [line.split() for line in text[2:5]] == [
        ["2026-11-11", "0", "?", "?", "?", "30.0%", "9.0%", "-"],
        ["2026-11-12", "0", "1", "2,000", "$0.03", "-", "-", "-"],
        ["total", "0", "1+?", "2,000+?", "$0.03+?", "30.0%", "9.0%", "-"],
    ]
    assert UNKNOWN_NOTE in text
    got = report(journal, home, since=datetime(2026, 11, 11, tzinfo=UTC))
    assert [p["tokens_unknown"] for p in got["periods"][:2]] == [True, False]


def test_the_page_names_models_without_a_price_and_fits_big_costs(
    journal: Path, home: Path, built: Path, tmp_path: Path
) -> None:
    from ai_budget.cli.views.report_svg import axis_label

    write(
        project_dir(home / ".claude") / "22222222-2222-4333-8444-555555555555.jsonl",
        [assistant("u1", usage(100, 100), model="claude-future-9", when=at(16, 9))],
    )
    out = tmp_path / "report.html"
    assert run("report", "--since", "2026-11-12", "--html", str(out)).exit_code == 0
    assert (
        "No price known for claude-future-9: in the table&#x27;s tokens, not in this chart."
        in out.read_text()
    )
    # Whole dollars once the axis's fifths are whole; cents below.
    assert [axis_label(v, 15_000, "$") for v in (0, 3_000, 15_000)] == ["$0", "$3,000", "$15,000"]
    assert [axis_label(v, 1.5, "$") for v in (0, 0.3, 1.5)] == ["$0.00", "$0.30", "$1.50"]


def test_a_type_with_one_average_in_range_still_draws_it(
    journal: Path, home: Path, built: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    result = run("report", "--since", "2026-11-20T06:00:00+00:00", "--html", str(out))
    assert result.exit_code == 0, result.stderr
    _, _, *types = svgs_of(out.read_text())
    averages = [p for svg in types for p in svg.iter(f"{SVG}path") if p.get("class") == "average"]
    # In the range: feature's one sample (20 %, 11-20 13:00) and flashcard's second average (89.5/35,
    # 11-20 12:00): one average each, each a tick rather than nothing.
    assert sorted(p.get("data-type") for p in averages) == ["feature", "flashcard"]
