"""Transcript accounting: the dedupe rule on traps built by hand, the shared samples, windows, the CLI."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transcript_builder import SESSION, assistant, project_dir, usage, user, write

from ai_budget.claude.transcripts import tokens as query
from ai_budget.errors import InvalidInput

EXPECTED = json.loads((FIXTURES / "expected_totals.json").read_text())
SAMPLE_PROJECT = "-home-user-proj-a"
MAIN = "7c1e2a4b-3d5f-4a60-9b8c-1d2e3f405162"
OLDER = "0b9d7e12-6a4c-4f1e-8d33-5c7a9e2b1f08"
FIELDS = [
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "web_search_requests",
    "web_fetch_requests",
    "total_tokens",
]


@pytest.fixture
def samples(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = home / "samples" / ".claude"
    shutil.copytree(FIXTURES / "claude_home" / ".claude", target)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(target))
    return target


def totals(claude_dir: Path, **kw: Any) -> dict:
    """The package's query on one Claude dir, as its JSON document."""
    return query([claude_dir], **kw).as_dict()


def cli_tokens(*args: str) -> dict:
    result = run("tokens", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def check(data: dict, expected: dict) -> None:
    for name in FIELDS:
        assert data[name] == expected[name], name
    assert data["cache_creation_5m_tokens"] == expected["ephemeral_5m_input_tokens"]
    assert data["cache_creation_1h_tokens"] == expected["ephemeral_1h_input_tokens"]


# --- the shared samples ----------------------------------------------------------------------


def test_main_session_sample(samples: Path) -> None:
    data = totals(samples, session=MAIN, subagents=False)
    expected = EXPECTED["main_session"]
    check(data, expected["deduplicated"])
    assert data["exchanges"] == expected["api_calls_excluding_synthetic"]
    for model, counts in expected["deduplicated_by_model"].items():
        check(data["by_model"][model], counts)
        assert data["by_model"][model]["exchanges"] == counts["api_calls"]
    assert data["session_id"] == MAIN


def test_main_session_with_subagents_sample(samples: Path) -> None:
    data = totals(samples, session=MAIN)
    expected = EXPECTED["main_session_including_subagents"]
    check(data, expected["deduplicated"])
    assert data["exchanges"] == expected["api_calls_excluding_synthetic"]
    assert sorted(Path(f).name for f in data["files"]) == sorted(Path(f).name for f in expected["files"])


def test_older_session_takes_the_maximum_of_growing_copies(samples: Path) -> None:
    data = totals(samples, session=OLDER, subagents=False)
    check(data, EXPECTED["older_session_v2_0"]["deduplicated"])


def test_legacy_sibling_agent_file(samples: Path) -> None:
    path = samples / "projects" / SAMPLE_PROJECT / "agent-a91e0b4.jsonl"
    check(totals(samples, session=str(path)), EXPECTED["legacy_sibling_agent_files"]["deduplicated"])
    # Attributed to its session by the sessionId inside it.
    with_agent = totals(samples, session=OLDER)
    assert str(path) in with_agent["files"]
    assert with_agent["output_tokens"] == (
        EXPECTED["older_session_v2_0"]["deduplicated"]["output_tokens"]
        + EXPECTED["legacy_sibling_agent_files"]["deduplicated"]["output_tokens"]
    )


def test_all_time_over_the_samples_dedupes_across_files(samples: Path) -> None:
    data = totals(samples, all_sessions=True)
    parts = [
        EXPECTED[k]["deduplicated"]
        for k in ("main_session_including_subagents", "older_session_v2_0", "legacy_sibling_agent_files")
    ]
    assert data["output_tokens"] == sum(p["output_tokens"] for p in parts)
    assert data["total_tokens"] == sum(p["total_tokens"] for p in parts)


def test_naive_sum_is_about_twice(samples: Path) -> None:
    expected = EXPECTED["main_session"]
    assert expected["naive_sum_no_dedup"]["total_tokens"] / totals(samples, session=MAIN, subagents=False)[
        "total_tokens"
    ] == pytest.approx(expected["naive_over_dedup_ratio_total_tokens"], abs=1e-4)


# --- traps, each in its own file ---------------------------------------------------------------


def session_file(claude: Path, name: str, lines: list[str], **kw: object) -> Path:
    return write(project_dir(claude) / f"{name}.jsonl", lines, **kw)  # type: ignore[arg-type]


def test_copies_of_one_response_count_once(claude: Path) -> None:
    u = usage(inp=3, out=100, read=50, flat=10, five=10)
    session_file(
        claude, SESSION, [user()] + [assistant("msg_a", u, block=b) for b in ("thinking", "text", "tool_use")]
    )
    data = totals(claude, session=SESSION)
    assert (data["exchanges"], data["output_tokens"], data["input_tokens"]) == (1, 100, 3)


def test_growing_placeholder_copies_take_the_maximum(claude: Path) -> None:
    lines = [assistant("msg_g", usage(out=n, inp=2), block=f"b{n}") for n in (1, 1, 250)]
    session_file(claude, SESSION, lines)
    assert totals(claude, session=SESSION)["output_tokens"] == 250


def test_sidechain_replay_is_the_same_message(claude: Path) -> None:
    session_file(claude, SESSION, [assistant("msg_s", usage(out=40, read=7))])
    write(
        project_dir(claude) / SESSION / "subagents" / "agent-abc.jsonl",
        [assistant("msg_s", usage(out=55, read=3), request="req_other", sidechain=True)],
    )
    data = totals(claude, session=SESSION)
    assert (data["exchanges"], data["output_tokens"], data["cache_read_input_tokens"]) == (1, 55, 7)
    assert totals(claude, all_sessions=True)["exchanges"] == 1


def test_synthetic_null_and_iterations(claude: Path) -> None:
    iterations = [{"input_tokens": 5, "output_tokens": 999, "type": "message"}]
    session_file(
        claude,
        SESSION,
        [
            assistant("synthetic-uuid", usage(), model="<synthetic>"),
            assistant("msg_n", {"input_tokens": None, "output_tokens": 8, "cache_read_input_tokens": None}),
            assistant("msg_i", usage(inp=5, out=20, iterations=iterations)),
        ],
    )
    data = totals(claude, session=SESSION)
    assert data["exchanges"] == 2
    assert (data["input_tokens"], data["output_tokens"]) == (5, 28)


def test_cache_write_is_the_larger_of_flat_and_nested(claude: Path) -> None:
    session_file(
        claude,
        SESSION,
        [
            assistant("msg_1", usage(flat=0, five=100, hour=400)),  # flat field read 0 (pre-2.1.152 bug)
            assistant("msg_2", usage(flat=300)),  # flat only: 5-minute writes
            assistant("msg_3", usage(flat=1000, five=200, hour=500)),  # flat larger: excess at 5 minutes
        ],
    )
    data = totals(claude, session=SESSION)
    assert data["cache_creation_input_tokens"] == 500 + 300 + 1000
    assert data["cache_creation_5m_tokens"] == 100 + 300 + (200 + 300)
    assert data["cache_creation_1h_tokens"] == 400 + 500


def test_invalid_lines_are_skipped_without_losing_neighbours(claude: Path) -> None:
    good = [assistant(f"msg_{i}", usage(out=10 * i)) for i in range(1, 5)]
    path = project_dir(claude) / f"{SESSION}.jsonl"
    path.parent.mkdir(parents=True)
    body = (
        good[0]
        + "\n"
        + good[1][:40]
        + good[1]
        + "\n"  # a write cut mid-record with a whole record glued on
        + good[2]
        + "\n"
        + '{"type":"assistant","message":{"id":"msg_bad\xff"}}'
        + "\n"
    )
    path.write_bytes(body.encode("utf-8").replace(b"\xc3\xbf", b"\xff") + good[3][:50].encode())
    data = totals(claude, session=SESSION)
    # msg_1 and msg_3 survive; msg_2's line is invalid as a whole; the torn last line is skipped.
    assert (data["exchanges"], data["output_tokens"]) == (2, 10 + 30)


def test_crlf_and_blank_lines(claude: Path) -> None:
    session_file(
        claude,
        SESSION,
        [assistant("msg_1", usage(out=7)), "", assistant("msg_2", usage(out=5)), ""],
        newline="\r\n",
    )
    assert totals(claude, session=SESSION)["output_tokens"] == 12


def test_journal_jsonl_is_not_a_transcript(claude: Path) -> None:
    session_file(claude, SESSION, [assistant("msg_1", usage(out=7))])
    write(
        project_dir(claude) / SESSION / "subagents" / "workflows" / "wf_1" / "journal.jsonl",
        [assistant("msg_j", usage(out=1000))],
    )
    data = totals(claude, all_sessions=True)
    assert data["output_tokens"] == 7
    assert not any(f.endswith("journal.jsonl") for f in data["files"])


def test_workflow_agents_one_level_deeper_belong_to_their_session(claude: Path) -> None:
    session_file(claude, SESSION, [assistant("msg_1", usage(out=7))])
    write(
        project_dir(claude) / SESSION / "subagents" / "workflows" / "wf_1" / "agent-a1.jsonl",
        [assistant("msg_w", usage(out=3), sidechain=True)],
    )
    write(
        project_dir(claude) / "other-session" / "subagents" / "agent-a2.jsonl",
        [assistant("msg_x", usage(out=100), session="someone-else", sidechain=True)],
    )
    assert totals(claude, session=SESSION)["output_tokens"] == 10
    assert totals(claude, session=SESSION, subagents=False)["output_tokens"] == 7


def test_unknown_model_is_flagged_not_priced_at_zero(claude: Path) -> None:
    session_file(
        claude,
        SESSION,
        [
            assistant("msg_1", usage(inp=1_000_000), model="mystery-model-9"),
            assistant("msg_2", usage(out=1_000_000)),
        ],
    )
    data = totals(claude, session=SESSION)
    assert data["unpriced_models"] == ["mystery-model-9"]
    assert data["by_model"]["mystery-model-9"]["cost_usd"] is None
    assert data["cost_usd"] == 15.0  # the priced part: 1M Sonnet output tokens at $15/MTok
    text = run("tokens", "--session", SESSION).stdout
    assert "No price known for mystery-model-9: counted in tokens, left out of the cost" in text


@pytest.mark.parametrize(
    ("model", "u", "dollars"),
    [
        # Prompts of 100,000 tokens: under Sonnet 4.5's 200,000-token band.
        ("claude-sonnet-4-5-20250929", usage(inp=100_000), 0.3),
        ("claude-sonnet-4-5-20250929", usage(read=100_000), 0.03),
        ("claude-sonnet-4-5-20250929", usage(five=100_000, flat=100_000), 0.375),
        ("claude-sonnet-4-5-20250929", usage(hour=100_000, flat=100_000), 0.6),
        # Over it every token of the request is at the band's rates ($6 input, $22.50 output).
        ("claude-sonnet-4-5-20250929", usage(inp=200_001, out=1_000_000), 200_001 * 6e-6 + 22.5),
        ("claude-opus-4-6", usage(out=1_000_000), 25.0),
        ("claude-opus-4-1-20250805", usage(out=1_000_000), 75.0),
        ("claude-haiku-4-5-20251001", usage(inp=1_000_000, out=1_000_000), 6.0),
        ("claude-3-5-haiku-20241022", usage(inp=1_000_000, out=1_000_000), 4.8),
    ],
)
def test_cost_from_the_price_list(claude: Path, model: str, u: dict, dollars: float) -> None:
    session_file(claude, SESSION, [assistant("msg_1", u, model=model)])
    assert totals(claude, session=SESSION)["cost_usd"] == pytest.approx(dollars)


# --- selection and windows ------------------------------------------------------------------------


def test_newest_session_prefers_the_current_project(
    claude: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "work" / "proj"
    (here / "src").mkdir(parents=True)
    old = datetime.now(timezone.utc) - timedelta(hours=5)
    mine = write(
        project_dir(claude, str(here)) / "aaaa.jsonl",
        [assistant("msg_m", usage(out=1), session="aaaa", cwd=str(here))],
        mtime=old,
    )
    write(
        project_dir(claude, "/elsewhere") / "bbbb.jsonl",
        [assistant("msg_o", usage(out=2), session="bbbb", cwd="/elsewhere")],
    )
    write(
        project_dir(claude, str(here)) / "agent-zzz.jsonl",
        [assistant("msg_z", usage(out=3), session="aaaa", cwd=str(here), sidechain=True)],
    )
    monkeypatch.chdir(here / "src")  # a subfolder of the project still finds it
    data = totals(claude)
    assert data["session_file"] == str(mine)
    assert data["output_tokens"] == 1 + 3  # with its legacy sibling agent file
    monkeypatch.chdir(tmp_path)
    assert totals(claude)["session_id"] == "bbbb"  # no project here: the newest anywhere
    assert totals(claude, cwd=here)["session_id"] == "aaaa"  # or the folder given


def test_a_sibling_agent_file_is_never_the_newest_session(claude: Path) -> None:
    old = datetime.now(timezone.utc) - timedelta(days=1)
    write(project_dir(claude) / "s1.jsonl", [assistant("msg_1", usage(out=1), session="s1")], mtime=old)
    write(project_dir(claude) / "agent-new.jsonl", [assistant("msg_2", usage(out=2), session="s1")])
    assert totals(claude)["session_id"] == "s1"


def test_since_and_until_windows(claude: Path) -> None:
    base = (datetime.now(timezone.utc) - timedelta(hours=10)).replace(microsecond=0)
    lines = [assistant(f"msg_{h}", usage(out=h), when=base + timedelta(hours=h)) for h in range(1, 10)]
    session_file(claude, SESSION, lines)
    # Messages at base+6h .. base+9h are within the last 4.5 hours.
    assert cli_tokens("--since", "4.5h")["output_tokens"] == 6 + 7 + 8 + 9
    assert totals(claude, since=base + timedelta(hours=5.5))["output_tokens"] == 6 + 7 + 8 + 9
    since, until = base + timedelta(hours=2), base + timedelta(hours=4)
    assert totals(claude, since=since, until=until)["output_tokens"] == 2 + 3
    assert cli_tokens("--since", since.isoformat(), "--until", until.isoformat())["output_tokens"] == 2 + 3


def test_a_file_older_than_the_window_is_never_opened(claude: Path) -> None:
    now = datetime.now(timezone.utc)
    # Entries stamped inside the window, but the file was last written long before it:
    # only a reader that opened it anyway would count them.
    session_file(claude, "old", [assistant("msg_o", usage(out=50), when=now)], mtime=now - timedelta(days=3))
    session_file(claude, "new", [assistant("msg_n", usage(out=5), when=now - timedelta(minutes=5))])
    assert totals(claude, since=now - timedelta(days=1))["output_tokens"] == 5


def test_bad_inputs_raise_invalid_input(claude: Path) -> None:
    with pytest.raises(InvalidInput, match=f"^no Claude Code transcripts under {re.escape(str(claude))}/"):
        totals(claude)
    write(project_dir(claude) / "agent-1.jsonl", [assistant("msg_1", usage(out=7))])
    with pytest.raises(InvalidInput, match="^no Claude Code sessions found: "):
        totals(claude)
    session_file(claude, "abc-1", [assistant("msg_3", usage(out=7))])  # msg_1 first appeared in agent-1
    session_file(claude, "abc-2", [assistant("msg_2", usage(out=7))])
    with pytest.raises(
        InvalidInput, match=r"^session id prefix 'abc' matches 2 sessions \(abc-1, abc-2\): give more of it$"
    ):
        totals(claude, session="abc")
    assert totals(claude, session="abc-1")["output_tokens"] == 7


def test_bad_inputs(claude: Path) -> None:
    empty = run("tokens")
    assert empty.exit_code == 1
    assert empty.stderr.startswith("Error: no Claude Code transcripts under ")
    session_file(claude, SESSION, [assistant("msg_1", usage(out=7))])
    bad_when = run("tokens", "--since", "yesterday-ish")
    assert bad_when.exit_code == 1
    assert bad_when.stderr == (
        "Error: --since: cannot read 'yesterday-ish' as a time: use ISO (2026-11-22T09:00) or 5h, 2d\n"
    )
    missing = run("tokens", "--session", "nope")
    assert missing.stderr == (
        "Error: no session 'nope' found: `ai-budget tokens --list` lists them, newest first\n"
    )
    no_file = run("tokens", "--session", "/no/such/file.jsonl")
    assert no_file.stderr == (
        "Error: no file at /no/such/file.jsonl: give a transcript (.jsonl) or a session id "
        "(`ai-budget tokens --list` lists them, newest first)\n"
    )


# --- the CLI prints the package's report --------------------------------------------------------


def test_cli_json_is_the_report(samples: Path) -> None:
    for args, kw in [
        (("--session", MAIN), {"session": MAIN}),
        (("--all", "--no-subagents"), {"all_sessions": True, "subagents": False}),
    ]:
        assert cli_tokens(*args) == totals(samples, **kw)


def test_human_view(claude: Path) -> None:
    session_file(
        claude,
        SESSION,
        [
            assistant(
                "msg_1", usage(inp=10, out=2000, read=30000, flat=500, hour=500), model="claude-opus-4-6"
            ),
            assistant("msg_2", usage(inp=5, out=1000, search=2, fetch=1)),
        ],
    )
    out = run("tokens", "--session", SESSION).stdout.splitlines()
    assert out[0] == f"Session {SESSION} ({project_dir(claude) / (SESSION + '.jsonl')})"
    # Opus 4.6: 10 × $5 + 2000 × $25 + 30000 × $0.50 + 500 × $10 per MTok = $0.07005
    # Sonnet: 5 × $3 + 1000 × $15 per MTok + 2 searches × $0.01 = $0.035015
    assert out[1:] == [
        "model                       calls  input  output  cache write  cache read  API cost",
        "claude-opus-4-6                 1     10   2,000          500      30,000     $0.07",
        "claude-sonnet-4-5-20250929      1      5   1,000            0           0     $0.04",
        "total                           2     15   3,000          500      30,000     $0.11",
        "cache writes: 0 at 5 min, 500 at 1 h; web: 2 searches, 1 fetch",
    ]


def test_works_without_a_journal_and_in_a_subprocess(claude: Path) -> None:
    from conftest import python_cli

    session_file(claude, SESSION, [assistant("msg_1", usage(out=7))])
    done = python_cli("tokens", "--json", "--session", SESSION)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output_tokens"] == 7


# --- hypothesis: shuffle, duplicate and tear lines --------------------------------------------------

counts = st.integers(min_value=0, max_value=5000)
message = st.tuples(
    counts,
    counts,
    counts,
    st.one_of(st.none(), counts),
    st.one_of(st.none(), counts),
    st.one_of(st.none(), counts),
)


def rule(lines: list[bytes]) -> dict[str, int]:
    """The rule, written out plainly: parse each line, keep assistant usage, per-id field maximum."""
    best: dict[str, dict[str, int]] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        message = record.get("message") or {}
        if record.get("type") != "assistant" or message.get("model") == "<synthetic>":
            continue
        u = message["usage"]
        nested = u.get("cache_creation") or {}
        fields = {
            "in": u.get("input_tokens") or 0,
            "out": u.get("output_tokens") or 0,
            "read": u.get("cache_read_input_tokens") or 0,
            "flat": u.get("cache_creation_input_tokens") or 0,
            "five": nested.get("ephemeral_5m_input_tokens") or 0,
            "hour": nested.get("ephemeral_1h_input_tokens") or 0,
        }
        old = best.setdefault(message["id"], dict.fromkeys(fields, 0))
        for k, v in fields.items():
            old[k] = max(old[k], v)
    out = {
        "exchanges": len(best),
        "output_tokens": 0,
        "input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    for f in best.values():
        out["output_tokens"] += f["out"]
        out["input_tokens"] += f["in"]
        out["cache_read_input_tokens"] += f["read"]
        out["cache_creation_input_tokens"] += max(f["flat"], f["five"] + f["hour"])
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    messages=st.lists(message, min_size=1, max_size=8),
    copies=st.lists(st.integers(1, 4), min_size=8, max_size=8),
    tears=st.lists(st.integers(0, 200), max_size=4),
    seed=st.randoms(),
)
def test_shuffled_duplicated_torn_lines_follow_the_rule(
    claude: Path, messages: list, copies: list[int], tears: list[int], seed: object
) -> None:
    lines: list[bytes] = []
    for i, (inp, out, read, flat, five, hour) in enumerate(messages):
        for c in range(copies[i]):
            # Copies may differ (older versions grew their placeholders): scale by the copy number.
            u = usage(inp=inp, out=out * (c + 1) // copies[i], read=read, flat=flat, five=five, hour=hour)
            lines.append(assistant(f"msg_{i}", u, block=f"b{c}").encode())
    for t in tears:
        victim = lines[t % len(lines)]
        lines.insert(t % (len(lines) + 1), victim[: max(1, t % len(victim))])  # a torn copy
    seed.shuffle(lines)  # type: ignore[attr-defined]
    path = project_dir(claude) / f"{SESSION}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
    data = totals(claude, session=SESSION, use_cache=False)
    expected = rule(lines)
    for key, value in expected.items():
        assert data[key] == value, key
