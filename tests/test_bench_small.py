"""The benchmark's corpora, small: `tokens` totals equal their construction, cold, warm and replayed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SINCE = "2000-01-01T00:00:00+00:00"


def make(out: Path, profile: str) -> dict:
    """A corpus of about 2 MB from bench/make_corpus.py, and its expected.json."""
    extra = ["--projects", "3", "--sessions-per-project", "4"] if profile == "dense" else []
    subprocess.run(
        [sys.executable, str(BENCH / "make_corpus.py"), str(out), "--profile", profile, "--mb", "2", *extra],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return json.loads((out / "expected.json").read_text())


def tokens(corpus: Path, *args: str) -> dict:
    """`ai-budget tokens ARGS --json` as a real process, with the corpus as the Claude dir."""
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(corpus / ".claude"))
    done = subprocess.run(
        [sys.executable, "-m", "ai_budget", "tokens", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def counts(report: dict, expected: dict) -> dict:
    """The report's values of the keys the construction knows."""
    return {k: report[k] for k in expected["totals"]}


@pytest.mark.parametrize("profile", ["real", "dense"])
def test_totals_equal_the_construction_cold_warm_and_replayed(tmp_path: Path, profile: str) -> None:
    corpus = tmp_path / "corpus"
    expected = make(corpus, profile)
    assert expected["profile"] == profile and expected["totals"]["exchanges"] > 50
    cold = tokens(corpus, "--since", SINCE, "--no-cache")
    assert counts(cold, expected) == expected["totals"]
    first = tokens(corpus, "--all")  # fills the per-file cache and keeps the answer
    again = tokens(corpus, "--all")  # the kept answer, replayed
    assert counts(first, expected) == expected["totals"]
    assert again == first
    assert len(again["files"]) == expected["files"]


def test_real_profile_has_resumes_and_both_subagent_layouts(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    make(corpus, "real")
    projects = corpus / ".claude" / "projects"
    files = list(projects.rglob("*.jsonl"))
    assert any(p.parent.name == "subagents" for p in files)  # >= 2.1.2 layout
    assert any(p.name.startswith("agent-") and p.parent.parent == projects for p in files)  # 2.0.x
    # A resumed session starts with a copy of an earlier one's lines: the same message ids.
    ids: dict[str, set[str]] = {}
    for p in files:
        if not p.name.startswith("agent-"):
            ids[p.name] = {
                line.split('"id":"')[1][:30] for line in p.read_text().splitlines() if '"msg_01' in line
            }
    names = sorted(ids)
    assert any(ids[a] & ids[b] for i, a in enumerate(names) for b in names[i + 1 :])
    kinds = {
        json.loads(line).get("type")
        for p in files
        for line in p.read_text().splitlines()[:200]
        if "torn" not in line
    }
    assert {"progress", "attachment", "file-history-snapshot", "queue-operation"} <= kinds


def test_a_kept_answer_is_not_replayed_once_a_file_changed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    expected = make(corpus, "real")
    assert tokens(corpus, "--all")["output_tokens"] == expected["totals"]["output_tokens"]
    newest = max(
        (p for p in (corpus / ".claude" / "projects").rglob("*.jsonl") if not p.name.startswith("agent-")),
        key=lambda p: p.stat().st_mtime,
    )
    line = {
        "type": "assistant",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "message": {"id": "msg_added_by_test", "model": "claude-opus-4-6", "usage": {"output_tokens": 1234}},
    }
    with newest.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    after = tokens(corpus, "--all")
    assert after["output_tokens"] == expected["totals"]["output_tokens"] + 1234
    assert after["exchanges"] == expected["totals"]["exchanges"] + 1
    # A window is kept per window: a different --since is a different question.
    since = tokens(corpus, "--since", "2025-12-31T23:00:00+00:00", "--until", "2026-01-01T01:00:00+00:00")
    assert since["exchanges"] == 1 and since["output_tokens"] == 1234


def test_only_absolute_questions_keep_their_answers(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    make(corpus, "dense")
    kept = Path(os.environ["XDG_CACHE_HOME"]) / "ai-budget" / "answers-v1"
    tokens(corpus, "--since", "5000d")  # moves with the clock: answered afresh every time
    tokens(corpus, "--all", "--no-cache")
    assert not kept.exists() or not list(kept.iterdir())
    tokens(corpus, "--since", "2000-01-01")
    assert len(list(kept.iterdir())) == 1
