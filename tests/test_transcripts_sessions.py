"""Sessions: resume chains counted once, sessions whose main file is gone, unpriced models, --list."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import run
from transcript_builder import assistant, project_dir, usage, user, write

from ai_budget.claude.transcripts import tokens as query

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
SONNET = "claude-sonnet-4-5-20250929"  # $15 per million output tokens
# Ids chosen so that sorting by id would put the chain backwards: only the times may decide.
A, B, C = (f"{d * 8}-0000-4000-8000-{d * 12}" for d in "321")


def cli_json(*args: str) -> dict | list:
    result = run("tokens", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def text(*args: str) -> str:
    result = run("tokens", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def history(session: str, upto: int) -> list[str]:
    """The chain's lines up to message `upto`, as written into `session`'s file (a resume copies them)."""
    steps = [
        (user("start", session, when=T0), assistant("msg_a1", usage(out=100_000), session=session, when=T0)),
        (
            user("more", session, when=T0 + timedelta(minutes=1)),
            assistant("msg_a2", usage(out=200_000), session=session, when=T0 + timedelta(minutes=1)),
        ),
        (
            user("resumed", session, when=T0 + timedelta(hours=1)),
            assistant("msg_b1", usage(out=1_000_000), session=session, when=T0 + timedelta(hours=1)),
        ),
        (
            user("again", session, when=T0 + timedelta(hours=2)),
            assistant("msg_c1", usage(out=2_000_000), session=session, when=T0 + timedelta(hours=2)),
        ),
    ]
    return [line for pair in steps[:upto] for line in pair]


@pytest.fixture
def chain(claude: Path) -> Path:
    """A resumed twice: B starts with a copy of A's history, C with a copy of B's."""
    folder = project_dir(claude)
    # Last writes in the wrong order too: the original was touched last.
    write(folder / f"{C}.jsonl", history(C, 4), mtime=T0 + timedelta(hours=3))
    write(folder / f"{B}.jsonl", history(B, 3), mtime=T0 + timedelta(hours=4))
    write(folder / f"{A}.jsonl", history(A, 2), mtime=T0 + timedelta(hours=5))
    return folder


def test_a_resume_chain_counts_each_message_in_the_session_it_first_appeared_in(chain: Path) -> None:
    a = query([chain.parent.parent], session=A).as_dict()
    b = query([chain.parent.parent], session=B).as_dict()
    c = query([chain.parent.parent], session=C).as_dict()
    assert (a["exchanges"], a["output_tokens"], a["cost_usd"]) == (2, 300_000, 4.5)
    assert (a["inherited"]["exchanges"], a["inherited_from"]) == (0, [])
    assert (b["exchanges"], b["output_tokens"], b["cost_usd"]) == (1, 1_000_000, 15.0)
    assert (b["inherited"]["exchanges"], b["inherited"]["output_tokens"], b["inherited_from"]) == (
        2,
        300_000,
        [A],
    )
    assert (c["exchanges"], c["output_tokens"], c["cost_usd"]) == (1, 2_000_000, 30.0)
    assert c["inherited"]["output_tokens"] == 300_000 + 1_000_000
    assert c["inherited"]["cost_usd"] == 19.5
    assert c["inherited_from"] == sorted([A, B])
    assert c["files"] == [str(chain / f"{C}.jsonl")]
    # All time is unchanged: every message once.
    everything = cli_json("--all")
    assert (everything["exchanges"], everything["output_tokens"]) == (4, 3_300_000)


def test_the_newest_session_reports_only_its_own_messages(chain: Path) -> None:
    # No selector: the newest file by last write is A here, the original.
    assert cli_json()["session_id"] == A
    shown = text("--session", C)
    assert "Inherited from " in shown and "(resumed; not in the total above): 2 calls" not in shown
    assert f"Inherited from {B[:8]}, {A[:8]} (resumed; not in the total above): 3 calls" in shown
    assert "1,300,000 output tokens, $19.50" in shown


def test_a_window_over_a_chain_counts_each_message_once(chain: Path) -> None:
    since = (T0 + timedelta(minutes=30)).isoformat()
    assert cli_json("--since", since)["output_tokens"] == 1_000_000 + 2_000_000
    windowed = cli_json("--session", C, "--since", since)
    assert (windowed["output_tokens"], windowed["inherited"]["output_tokens"]) == (2_000_000, 1_000_000)


def test_list_shows_each_session_with_its_own_numbers(chain: Path) -> None:
    rows = cli_json("--list")
    assert [r["session_id"] for r in rows] == [C, B, A]  # newest last message first
    by_id = {r["session_id"]: r for r in rows}
    assert (by_id[C]["exchanges"], by_id[C]["output_tokens"], by_id[C]["cost_usd"]) == (1, 2_000_000, 30.0)
    assert (by_id[C]["inherited_exchanges"], by_id[C]["inherited_from"]) == (3, sorted([A, B]))
    assert (by_id[A]["exchanges"], by_id[A]["output_tokens"], by_id[A]["cost_usd"]) == (2, 300_000, 4.5)
    assert by_id[A]["first_time"] == T0.isoformat()
    assert by_id[A]["last_time"] == (T0 + timedelta(minutes=1)).isoformat()
    assert by_id[C]["first_time"] == (T0 + timedelta(hours=2)).isoformat()  # its own first message
    assert by_id[C]["last_time"] == (T0 + timedelta(hours=2)).isoformat()
    assert sum(r["output_tokens"] for r in rows) == 3_300_000
    assert [
        r["session_id"] for r in cli_json("--list", "--since", (T0 + timedelta(minutes=30)).isoformat())
    ] == [
        C,
        B,
    ]
    before_b = (T0 + timedelta(minutes=59)).isoformat()
    assert [r["session_id"] for r in cli_json("--list", "--until", before_b)] == [A]
    shown = text("--list")
    assert "2 resumed sessions: calls copied from an earlier session are counted there only" in shown
    assert "$30.00" in shown and "$4.50" in shown


def test_a_subagent_of_an_original_stays_with_it(chain: Path) -> None:
    write(
        chain / A / "subagents" / "agent-x1.jsonl",
        [assistant("msg_s1", usage(out=5_000), session=A, sidechain=True, when=T0 + timedelta(seconds=30))],
    )
    a = cli_json("--session", A)
    assert (a["exchanges"], a["output_tokens"]) == (3, 305_000)
    assert cli_json("--session", C)["inherited"]["output_tokens"] == 1_300_000
    rows = {r["session_id"]: r for r in cli_json("--list")}
    assert (rows[A]["subagents"], rows[A]["output_tokens"]) == (1, 305_000)


# --- sessions whose main file is gone --------------------------------------------------------


ORPHAN = "99999999-aaaa-4bbb-8ccc-dddddddddddd"
LEGACY = "88888888-aaaa-4bbb-8ccc-dddddddddddd"


@pytest.fixture
def orphans(claude: Path) -> Path:
    """A 2.1 subagent folder (two agents, one a workflow's) and a 2.0 sibling agent, mains gone."""
    folder = project_dir(claude)
    write(
        folder / ORPHAN / "subagents" / "agent-o1.jsonl",
        [
            assistant("msg_o1", usage(out=1_000), session=ORPHAN, sidechain=True, when=T0),
            assistant("msg_o1", usage(out=1_000), session=ORPHAN, sidechain=True, when=T0, block="tool_use"),
        ],
    )
    write(
        folder / ORPHAN / "subagents" / "workflows" / "w1" / "agent-o2.jsonl",
        [assistant("msg_o2", usage(out=20), session=ORPHAN, sidechain=True, when=T0 + timedelta(minutes=5))],
    )
    write(folder / "agent-l1.jsonl", [assistant("msg_l1", usage(out=300), session=LEGACY, sidechain=True)])
    write(folder / "live.jsonl", [assistant("msg_live", usage(out=4), session="live")])
    return folder


def test_a_subagent_folder_without_its_main_file_is_still_a_session(orphans: Path) -> None:
    data = cli_json("--session", ORPHAN)
    assert (data["exchanges"], data["output_tokens"]) == (2, 1_020)
    assert data["main_file_missing"] is True
    assert data["session_file"] is None and data["session_id"] == ORPHAN
    assert len(data["files"]) == 2
    shown = text("--session", ORPHAN[:8])
    assert shown.startswith(f"Session {ORPHAN} (main file missing: only its 2 subagent files)")
    legacy = cli_json("--session", LEGACY)
    assert (legacy["output_tokens"], legacy["main_file_missing"]) == (300, True)
    assert cli_json("--session", "live")["main_file_missing"] is False


def test_list_includes_sessions_whose_main_file_is_gone(orphans: Path) -> None:
    rows = {r["session_id"]: r for r in cli_json("--list")}
    assert set(rows) == {ORPHAN, LEGACY, "live"}
    assert (rows[ORPHAN]["output_tokens"], rows[ORPHAN]["subagents"], rows[ORPHAN]["main_file_missing"]) == (
        1_020,
        2,
        True,
    )
    assert (rows[LEGACY]["output_tokens"], rows[LEGACY]["main_file_missing"]) == (300, True)
    assert rows["live"]["main_file_missing"] is False
    assert f"{ORPHAN} (main file missing)" in text("--list")


def test_an_unknown_session_still_says_how_to_find_one(orphans: Path) -> None:
    result = run("tokens", "--session", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: no session 'nope' found: `ai-budget tokens --list` lists them, newest first"
    )


# --- unpriced models ------------------------------------------------------------------------


def test_an_all_unpriced_session_reads_unknown_never_free(claude: Path) -> None:
    write(
        project_dir(claude) / "glm.jsonl",
        [
            assistant("msg_g1", usage(inp=1_000, out=2_000), model="glm-5.1", session="glm"),
            assistant("msg_g2", usage(out=500), model="glm-5.1", session="glm"),
        ],
    )
    data = cli_json("--session", "glm")
    assert (data["exchanges"], data["output_tokens"]) == (2, 2_500)
    assert data["cost_usd"] is None and data["cost_is_lower_bound"] is False
    assert data["unpriced_models"] == ["glm-5.1"]
    shown = text("--session", "glm")
    total = next(line for line in shown.splitlines() if line.startswith("total"))
    assert total.split()[-1] == "?"
    assert "No price known for glm-5.1: counted in tokens; the cost is unknown (?), not $0" in shown
    window = cli_json("--since", "2026-11-01T00:00:00Z")
    assert (window["cost_usd"], window["unpriced_models"]) == (None, ["glm-5.1"])
    row = cli_json("--list")[0]
    assert (row["cost_usd"], row["unpriced_models"]) == (None, ["glm-5.1"])
    assert "?" in text("--list").splitlines()[1].split()


def test_a_partly_priced_total_is_a_lower_bound(claude: Path) -> None:
    write(
        project_dir(claude) / "mixed.jsonl",
        [
            assistant("msg_m1", usage(out=1_000_000), session="mixed"),
            assistant("msg_m2", usage(out=1_000_000), model="glm-5.1", session="mixed"),
        ],
    )
    data = cli_json("--session", "mixed")
    assert (data["cost_usd"], data["cost_is_lower_bound"]) == (15.0, True)
    assert data["by_model"]["glm-5.1"]["cost_usd"] is None
    assert data["by_model"][SONNET]["cost_is_lower_bound"] is False
    shown = text("--session", "mixed")
    assert next(line for line in shown.splitlines() if line.startswith("total")).endswith("$15.00+")
    assert "left out of the cost, which is a lower bound (+)" in shown
    row = cli_json("--list")[0]
    assert (row["cost_usd"], row["cost_is_lower_bound"], row["unpriced_models"]) == (15.0, True, ["glm-5.1"])


# --- bad input: one line, the next step, a non-zero exit -------------------------------------

LIST_HINT = "`ai-budget tokens --list` lists them, newest first"


def test_what_is_no_transcript_is_refused_in_one_line(orphans: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a transcript\n")
    (tmp_path / "folder.jsonl").mkdir()
    os.mkfifo(tmp_path / "pipe.jsonl")  # reading it would hang
    cases = {
        str(tmp_path / "notes.txt"): f"{tmp_path / 'notes.txt'} is not a transcript (.jsonl)",
        str(tmp_path / "folder.jsonl"): f"{tmp_path / 'folder.jsonl'} is not a regular file",
        str(tmp_path / "pipe.jsonl"): f"{tmp_path / 'pipe.jsonl'} is not a regular file",
        str(tmp_path): f"{tmp_path} is not a regular file",
        str(tmp_path / "gone.jsonl"): f"no file at {tmp_path / 'gone.jsonl'}",
    }
    for selector, problem in cases.items():
        result = run("tokens", "--session", selector)
        assert (result.exit_code, result.stdout) == (1, ""), selector
        assert (
            result.stderr == f"Error: {problem}: give a transcript (.jsonl) or a session id ({LIST_HINT})\n"
        )
    empty = run("tokens", "--session", "")
    assert empty.stderr == f"Error: --session needs a session id or a .jsonl file: {LIST_HINT}\n"


def test_a_prefix_of_two_sessions_and_an_empty_transcript(orphans: Path) -> None:
    write(orphans / "77777777-0000-4000-8000-000000000001.jsonl", [user("a")])
    write(orphans / "77777777-0000-4000-8000-000000000002.jsonl", [user("b")])
    two = run("tokens", "--session", "7777")
    assert (two.exit_code, two.stderr) == (
        1,
        "Error: session id prefix '7777' matches 2 sessions "
        "(77777777-0000-4000-8000-000000000001, 77777777-0000-4000-8000-000000000002): give more of it\n",
    )
    other = "99999999-bbbb-4bbb-8ccc-dddddddddddd"  # a second session whose main file is gone
    write(orphans / other / "subagents" / "agent-x.jsonl", [assistant("msg_x", usage(out=1), session=other)])
    gone = run("tokens", "--session", "9999")
    assert (
        gone.stderr
        == f"Error: session id prefix '9999' matches 2 sessions ({ORPHAN}, {other}): give more of it\n"
    )
    (orphans / "empty.jsonl").write_bytes(b"")  # a session just begun: nothing yet, not an error
    data = cli_json("--session", str(orphans / "empty.jsonl"))
    assert (data["exchanges"], data["cost_usd"], data["session_id"]) == (0, 0.0, "empty")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--utc",), "--utc sets the dates of --by day|week|month: add one of them, or drop --utc"),
        (("--utc", "--list"), "--utc sets the dates of --by day|week|month: add one of them, or drop --utc"),
        (
            ("--utc", "--by", "model"),
            "--utc sets the dates of --by day|week|month: add one of them, or drop --utc",
        ),
        (("--by", "day", "--session", ORPHAN), "--by day covers every session: drop --session, or drop --by"),
        (("--list", "--session", ORPHAN), "--list covers every session: drop --session, or drop --list"),
        (("--all", "--since", "2d"), "--all is every entry of all time: drop --since/--until, or drop --all"),
        (("--all", "--session", ORPHAN), "--all is every entry of all time: drop --session, or drop --all"),
        (
            ("--list", "--since", "2026-11-10", "--until", "2026-11-01"),
            "--until must be later than --since: swap them, or widen the window",
        ),
    ],
)
def test_options_that_contradict_each_other_are_refused(
    orphans: Path, args: tuple[str, ...], message: str
) -> None:
    result = run("tokens", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")


def test_list_leaves_subagents_out_when_asked(orphans: Path) -> None:
    assert {r["session_id"] for r in cli_json("--list", "--no-subagents")} == {"live"}
