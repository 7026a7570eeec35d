"""The journal: init, git isolation, identity, history, corrupt and newer files."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import MACHINE, assert_clean, budget, git, python_cli, run, subjects

ORIGINAL = {
    "claude": {
        "plan": "pro",
        "five_hour_util": 43.0,
        "seven_day_util": 45.0,
        "five_hour_resets_at": "2026-02-12T04:00:00+00:00",
        "seven_day_resets_at": "2026-02-17T08:00:00+00:00",
        "last_fetched": "2026-02-11T23:10:00+00:00",
    },
    "copilot": {
        "plan": "pro",
        "premium_requests_used": 212,
        "premium_requests_limit": 300,
        "resets_at": "2026-12-01T00:00:00+00:00",
        "last_updated": "2026-11-20",
    },
    "gemini": {"plan": "api", "status": "billing_pending", "last_updated": None},
    "calibration": {
        "flashcard": {"unit": "per card", "samples": 2, "avg_output_tokens": 624, "avg_5h_pct": 2.56},
        "essay": {"unit": "per page", "samples": 0, "avg_output_tokens": None, "avg_5h_pct": None},
    },
    "my_notes": "kept by hand",
}


def test_init_creates_journal_and_second_init_changes_nothing(journal_dir: Path) -> None:
    first = run("init")
    assert first.exit_code == 0
    assert first.stdout.splitlines() == [
        f"Journal ready at {journal_dir}",
        f"This machine is {MACHINE} in it: `ai-budget machine NAME` names it otherwise "
        "(each machine that syncs one journal needs a name of its own)",
    ]
    for rel in ("budget.json", "tasks/backlog.md", "tasks/completed.md", "sessions/.gitkeep"):
        assert (journal_dir / rel).is_file(), rel
    assert subjects(journal_dir) == ["init: journal created"]
    before = (journal_dir / "budget.json").read_bytes()

    second = run("init")
    assert second.exit_code == 0
    assert second.stdout == f"Journal already set up at {journal_dir}; nothing changed\n"
    assert subjects(journal_dir) == ["init: journal created"]
    assert (journal_dir / "budget.json").read_bytes() == before
    assert_clean(journal_dir)
    assert budget(journal_dir)["schema_version"] == 1


def test_home_option_and_env_choose_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    by_env = tmp_path / "env-journal"
    monkeypatch.setenv("AI_BUDGET_HOME", str(by_env))
    assert run("init").exit_code == 0
    assert (by_env / "budget.json").exists()
    by_option = tmp_path / "opt-journal"
    assert run("--home", str(by_option), "init").exit_code == 0
    assert (by_option / "budget.json").exists()
    assert not (home / ".ai-budget").exists()


def test_commands_outside_a_journal_say_to_init(journal_dir: Path) -> None:
    result = run("calibration")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: no ai-budget journal at {journal_dir}: run `ai-budget init` first\n"


def write_original(folder: Path) -> bytes:
    folder.mkdir(parents=True)
    (folder / "budget.json").write_text(json.dumps(ORIGINAL, indent=2))
    return (folder / "budget.json").read_bytes()


def test_original_format_loads_unchanged_then_upgrades_on_first_write(journal_dir: Path) -> None:
    original_bytes = write_original(journal_dir)
    adopt = run("init")
    assert adopt.exit_code == 0
    assert subjects(journal_dir) == ["init: journal adopted"]
    assert (journal_dir / "budget.json").read_bytes() == original_bytes

    shown = run("calibration", "--json")
    assert shown.exit_code == 0
    table = json.loads(shown.stdout)
    # Each earlier sample counts as one unit at the stored averages.
    assert table["flashcard"]["units"] == 2
    assert table["flashcard"]["pct_per_unit"] == pytest.approx(2.56)
    assert (journal_dir / "budget.json").read_bytes() == original_bytes  # reading writes nothing

    assert run("calibrate", "flashcard", "20", "51.0", "12000").exit_code == 0
    data = budget(journal_dir)
    assert data["schema_version"] == 1
    assert data["my_notes"] == "kept by hand"
    assert list(data)[:4] == ["claude", "copilot", "gemini", "calibration"]
    card = data["calibration"]["flashcard"]
    assert card["samples"] == 3
    assert card["units"] == 22
    # (2 × 2.56 + 51.0) / 22 and (2 × 624 + 12000) / 22, from the rule.
    assert card["avg_5h_pct"] == round((2 * 2.56 + 51.0) / 22, 2)
    assert card["avg_output_tokens"] == round((2 * 624 + 12000) / 22)
    assert data["claude"]["five_hour_util"] == 43.0
    assert data["copilot"]["premium_requests_used"] == 212
    assert data["copilot"]["unit"] == "requests"
    assert data["gemini"]["last_updated"] is None

    assert run("calibrate", "essay", "3", "9.0").exit_code == 0
    essay = budget(journal_dir)["calibration"]["essay"]
    assert (essay["samples"], essay["units"], essay["avg_5h_pct"]) == (1, 3, 3.0)
    assert essay["avg_output_tokens"] is None
    assert_clean(journal_dir)


def test_corrupt_budget_is_reported_and_never_overwritten(journal: Path) -> None:
    (journal / "budget.json").write_text('{"claude": {')
    before = (journal / "budget.json").read_bytes()
    for args in (("calibrate", "x", "1", "1"), ("copilot", "set", "3"), ("init",)):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"Error: {journal / 'budget.json'} is not valid JSON")
        assert f"git -C {journal} checkout budget.json" in result.stderr
        assert (journal / "budget.json").read_bytes() == before


def test_invalid_values_are_reported_with_the_field(journal: Path) -> None:
    data = budget(journal)
    data["copilot"]["premium_requests_used"] = "lots"
    (journal / "budget.json").write_text(json.dumps(data))
    result = run("copilot", "show")
    assert result.exit_code == 1
    assert "copilot.premium_requests_used" in result.stderr


def test_newer_schema_is_refused(journal: Path) -> None:
    data = budget(journal)
    data["schema_version"] = 99
    (journal / "budget.json").write_text(json.dumps(data))
    before = (journal / "budget.json").read_bytes()
    result = run("copilot", "set", "10")
    assert result.exit_code == 1
    assert "newer ai-budget (schema 99" in result.stderr
    assert "upgrade" in result.stderr
    assert (journal / "budget.json").read_bytes() == before


def test_no_git_identity_falls_back_to_a_local_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, journal_dir: Path
) -> None:
    empty = tmp_path / "empty-gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    assert run("init").exit_code == 0
    assert git(journal_dir, "log", "--format=%an <%ae>").strip() == "ai-budget <ai-budget@localhost>"
    assert git(journal_dir, "config", "--local", "user.email").strip() == "ai-budget@localhost"


def test_configured_identity_is_used_and_not_copied(journal: Path) -> None:
    assert git(journal, "log", "--format=%an <%ae>").strip() == "Test User <test@example.invalid>"
    local = subprocess.run(
        ["git", "-C", str(journal), "config", "--local", "user.email"], capture_output=True, text=True
    )
    assert local.returncode == 1


def test_git_dir_in_environment_never_touches_that_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, journal_dir: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.chdir(other)
    assert run("init").exit_code == 0
    assert run("calibration", "add", "essay", "--unit", "per page").exit_code == 0
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    assert (
        subprocess.run(
            ["git", "-C", str(other), "rev-parse", "--verify", "HEAD"], capture_output=True
        ).returncode
        != 0
    )
    assert subjects(journal_dir) == [
        "calibration: add task type essay (per page)",
        "init: journal created",
    ]
    assert_clean(journal_dir)


def test_journal_inside_another_repo_gets_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    subprocess.run(["git", "init", "-q", str(outer)], check=True)
    inner = outer / "notes" / "journal"
    assert run("--home", str(inner), "init").exit_code == 0
    assert (inner / ".git").is_dir()
    assert (
        subprocess.run(
            ["git", "-C", str(outer), "rev-parse", "--verify", "HEAD"], capture_output=True
        ).returncode
        != 0
    )


def test_a_remote_is_used_only_by_sync(journal: Path, tmp_path: Path) -> None:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(journal, "remote", "add", "origin", str(bare))
    first = run("copilot", "set", "10")
    assert (first.exit_code, first.stderr) == (0, "")
    assert git(bare, "for-each-ref") == ""  # nothing is pushed but by `ai-budget sync`


def test_history_lists_commits_newest_first(journal: Path) -> None:
    run("copilot", "set", "212")
    run("gemini", "set", "active")
    text = run("history").stdout.splitlines()
    assert [line.split("  ", 2)[2] for line in text] == [
        "gemini: active",
        "copilot: 212/300 premium requests used",
        "init: journal created",
    ]
    data = json.loads(run("history", "--json", "-n", "2").stdout)
    assert [c["message"] for c in data] == ["gemini: active", "copilot: 212/300 premium requests used"]
    assert all(len(c["sha"]) == 40 for c in data)


def test_nothing_changed_means_no_commit(journal: Path) -> None:
    run("gemini", "set", "active")
    count = len(subjects(journal))
    # Same status the same day: budget.json is byte-identical, so no commit.
    run("gemini", "set", "active")
    assert len(subjects(journal)) == count
    assert_clean(journal)


def test_python_dash_m_runs(journal: Path) -> None:
    result = python_cli("--home", str(journal), "copilot", "show", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["premium_requests_limit"] == 300


def test_not_a_git_repo_with_budget_says_init(journal_dir: Path) -> None:
    write_original(journal_dir)
    result = run("calibration")
    assert result.exit_code == 1
    assert "run `ai-budget init`" in result.stderr


def test_init_on_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("mine")
    result = run("--home", str(target), "init")
    assert result.exit_code == 1
    assert "is not a folder" in result.stderr
    assert target.read_text() == "mine"


def test_environment_unchanged_after_commands(
    journal: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "elsewhere-index"))
    run("copilot", "set", "5")
    assert os.environ["GIT_INDEX_FILE"] == str(tmp_path / "elsewhere-index")
    assert not (tmp_path / "elsewhere-index").exists()


def test_every_command_leaves_a_clean_tree_and_at_most_one_commit(journal: Path, home: Path) -> None:
    from transcript_builder import assistant, project_dir, usage, write

    write(project_dir(home / ".claude") / "s1.jsonl", [assistant("msg_1", usage(out=5), session="s1")])
    sample = Path(__file__).resolve().parent / "fixtures" / "api" / "anthropic_oauth_usage_normal.json"
    steps = [
        ("calibration", "add", "flashcard", "--unit", "per card"),
        ("calibrate", "flashcard", "15", "38.5", "9843"),
        ("calibration",),
        ("copilot", "set", "212"),
        ("copilot", "show"),
        ("gemini", "set", "active"),
        ("backlog", "add", "[H] cards {flashcard: 10}"),
        ("backlog", "add", "[L] typo"),
        ("backlog", "list"),
        ("fetch", "--from-file", str(sample)),
        ("check", "--from-file", str(sample)),
        ("tokens",),
        ("log", "--from-file", str(sample), "--done", "flashcard 2 x", "--backlog-done", "typo"),
        ("backlog", "done", "1"),
        ("history",),
        ("history", "--calibration", "flashcard"),
    ]
    for args in steps:
        before = len(subjects(journal))
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
        # The rollup of finished days is a commit of its own, made before the command's.
        made = subjects(journal)[: len(subjects(journal)) - before]
        assert len([s for s in made if not s.startswith("usage: rollup ")]) in (0, 1), args
        assert len([s for s in made if s.startswith("usage: rollup ")]) in (0, 1), args
        assert_clean(journal)


def test_a_damaged_git_folder_is_one_line(journal: Path) -> None:
    (journal / ".git" / "HEAD").write_text("garbage\n")
    result = run("copilot", "set", "3")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {journal}/.git is damaged: check it with `git -C {journal} status`\n"


def test_a_failing_git_command_is_one_line(journal: Path) -> None:
    # An index that is a folder makes `git add` fail.
    index = journal / ".git" / "index"
    index.unlink()
    index.mkdir()
    result = run("copilot", "set", "3")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: `git add` failed in {journal} (")
    assert result.stderr.count("\n") == 1


def test_a_file_system_error_is_one_line(journal: Path) -> None:
    backlog = journal / "tasks" / "backlog.md"
    backlog.unlink()
    backlog.mkdir()  # a folder where the backlog file should be
    result = run("backlog", "add", "[M] something")
    assert result.exit_code == 1
    assert result.stderr == f"Error: Is a directory: {backlog}: check the path and its permissions\n"
