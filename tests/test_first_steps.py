"""A new user's first steps read one way: the README's commands work on a fresh journal, accounts not
used can be switched off, a number or a name is read the same wherever it is typed, and a near miss
names what was meant."""

from __future__ import annotations

import json
import shlex
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from conftest import REPO, assert_clean, budget, run, subjects
from usage_server import Reply, UsageServer, usage_body

SEEDED = {
    "flashcard": "per card",
    "circuit_diagram": "per diagram",
    "migration": "per migration",
    "feature": "per feature",
    "css_component": "per component",
    "refactor": "per file",
}


def readme_by_hand() -> list[list[str]]:
    """The README's "By hand" commands, each as its arguments after `ai-budget`."""
    text = (REPO / "README.md").read_text()
    block = text.split("By hand:", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.strip().splitlines():
        words = shlex.split(line, comments=True)
        assert words[0] == "ai-budget"
        commands.append(words[1:])
    return commands


def test_the_readmes_commands_run_verbatim_on_a_fresh_journal(journal: Path) -> None:
    commands = readme_by_hand()
    assert ["log", "--done", "flashcard 10 chapter 4", "--lesson", "smaller prompts"] in commands
    for args in commands:
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
    assert any(s.endswith("flashcard ×10, 5h ?") for s in subjects(journal))
    assert_clean(journal)


def test_a_new_journal_has_the_designs_task_types_with_no_samples(journal: Path) -> None:
    table = budget(journal)["calibration"]
    assert {name: entry["unit"] for name, entry in table.items()} == SEEDED
    assert all(entry["samples"] == 0 for entry in table.values())
    # Uncalibrated: a size tag's default, with no warning that the type is unknown.
    assert run("backlog", "add", "[H] Chapter 4 cards {flashcard: 15}").exit_code == 0
    data = json.loads(run("check", "--json").stdout)
    task = data["tasks"][0]
    assert (task["basis"], task["estimate_pct"], task["pct_per_unit"]) == ("tag", 35.0, None)
    assert not [w for w in data["warnings"] if "not a known type" in w]


def test_a_journal_made_before_keeps_its_own_types(home: Path) -> None:
    root = home / ".ai-budget"
    root.mkdir()
    original = {"calibration": {"essay": {"unit": "per page", "samples": 1, "avg_5h_pct": 4.0}}}
    (root / "budget.json").write_text(json.dumps(original))
    assert run("init").exit_code == 0
    assert list(budget(root)["calibration"]) == ["essay"]


# --- accounts switched off ----------------------------------------------------------------------------


def test_copilot_and_gemini_off_never_nag_and_on_brings_them_back(journal: Path) -> None:
    before = run("check").stdout
    assert "Copilot: no count yet" in before and "Gemini (api): unknown" in before
    off = run("copilot", "off")
    assert off.stdout == (
        "Copilot is off: the brief no longer shows it or asks for it (`ai-budget copilot on` to undo)\n"
    )
    assert run("gemini", "off").exit_code == 0
    assert subjects(journal)[:2] == [
        "gemini: switched off: not shown in the brief, never asked for",
        "copilot: switched off: not shown in the brief, never asked for",
    ]
    assert run("copilot", "off").stdout == "Copilot was already off\n"
    brief = run("check").stdout
    assert "Copilot" not in brief and "Gemini" not in brief
    data = json.loads(run("check", "--json").stdout)
    assert (data["copilot"]["enabled"], data["copilot"]["stale"], data["gemini"]["enabled"]) == (
        False,
        False,
        False,
    )
    assert json.loads(run("status", "--json").stdout)["copilot"] is None
    assert run("copilot", "on").stdout == "Copilot is on: the brief shows it again\n"
    assert "Copilot: no count yet" in run("check").stdout
    assert_clean(journal)


def test_the_hooks_brief_carries_no_copilot_warning_when_it_is_off(journal: Path) -> None:
    from ai_budget.integrations import hooks

    run("copilot", "off")
    context = json.loads(hooks.session_start({"source": "startup"}) or "{}")
    assert "Copilot" not in context["hookSpecificOutput"]["additionalContext"]


# --- one number, one name ------------------------------------------------------------------------------


def test_thousands_read_the_same_everywhere(journal: Path) -> None:
    assert json.loads(run("copilot", "set", "1,500", "--json").stdout)["used"] == 1500
    assert run("calibrate", "flashcard", "1,500", "30").exit_code == 0
    assert budget(journal)["calibration"]["flashcard"]["units"] == 1500
    added = json.loads(
        run("backlog", "add", "Cards", "--type", "flashcard", "--units", "1,500", "--json").stdout
    )
    assert added["units"] == 1500
    logged = run("log", "--done", "flashcard 1,500.5 chapter 4", "--json")
    assert logged.exit_code == 0, logged.stderr
    assert "flashcard ×1500.5" in subjects(journal)[0]
    bad = run("log", "--done", "flashcard 1,50 cards")
    assert bad.stderr == "Error: the units in --done 'flashcard 1,50 cards' must be a number, got '1,50'\n"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("chek",), "Error: No such command 'chek' (did you mean 'check'?). (see `cli --help`)\n"),
        (
            ("copilot", "sett", "3"),
            "Error: No such command 'sett' (did you mean 'set'?). (see `cli copilot --help`)\n",
        ),
        (
            ("log", "--done", "flashcrad 3 x"),
            "Error: unknown task type 'flashcrad' (did you mean 'flashcard'?) (known: circuit_diagram, "
            "css_component, feature, flashcard, migration, refactor)\n",
        ),
        (
            ("calibrate", "Refactr", "1", "2"),
            "Error: unknown task type 'Refactr' (did you mean 'refactor'?) (known: circuit_diagram, "
            "css_component, feature, flashcard, migration, refactor)\n",
        ),
        (
            ("backlog", "add", "Tidy up", "--type", "nosuch"),
            "Error: unknown task type 'nosuch' (known: circuit_diagram, css_component, feature, flashcard, "
            'migration, refactor): add it with `ai-budget calibration add nosuch --unit "per item"`\n',
        ),
        (
            ("backlog", "add", "[M] Tidy up {migrate: 2}"),
            "Error: unknown task type 'migrate' (did you mean 'migration'?) (known: circuit_diagram, "
            "css_component, feature, flashcard, migration, refactor)\n",
        ),
    ],
)
def test_a_near_miss_names_what_was_meant_and_changes_nothing(
    journal: Path, args: tuple[str, ...], said: str
) -> None:
    count = len(subjects(journal))
    result = run(*args)
    assert result.exit_code != 0
    assert result.stderr == said
    assert len(subjects(journal)) == count
    assert (journal / "tasks" / "backlog.md").read_text() == (REPO / "templates" / "backlog.md").read_text()


def test_a_mistyped_policy_is_one_line_naming_the_one_meant(journal: Path) -> None:
    data = budget(journal)
    data["settings"] = {"routing": {"preset": "metabolik"}}
    (journal / "budget.json").write_text(json.dumps(data))
    result = run("route")
    assert result.exit_code == 1
    assert "settings.routing.preset: Value error, unknown policy 'metabolik' (did you mean 'metabolic'?)" in (
        result.stderr
    )
    assert result.stderr.count("\n") == 1


def test_the_python_api_refuses_an_unknown_policy_once() -> None:
    from ai_budget.api import QuotaMonitor

    with pytest.raises(ValueError, match=r"unknown policy 'batery' \(did you mean 'battery'\?\)"):
        QuotaMonitor(policy="batery")
    assert QuotaMonitor(policy="metabolic").routing().preset == "metabolic"


def test_weeks_are_labelled_by_their_monday_in_report_and_tokens_alike() -> None:
    from ai_budget.claude.transcripts.breakdown import week_key
    from ai_budget.session.report import period_key

    # Thursday 19 November 2026 is in the week of Monday the 16th; Sunday the 22nd too; Monday the 23rd not.
    for day, monday in ((date(2026, 11, 19), "2026-11-16"), (date(2026, 11, 22), "2026-11-16")):
        assert period_key(day, "week") == monday
    assert period_key(date(2026, 11, 23), "week") == "2026-11-23"
    noon = datetime(2026, 11, 22, 12, tzinfo=timezone.utc).timestamp()  # a Sunday
    assert week_key(timezone.utc)(noon).isoformat() == period_key(date(2026, 11, 22), "week")


def test_copilot_json_keys_follow_the_unit(journal: Path) -> None:
    requests = json.loads(run("copilot", "show", "--json").stdout)
    assert "credits_used" not in requests and "premium_requests_used" in requests
    run("copilot", "set", "700", "--unit", "credits")
    credits = json.loads(run("copilot", "show", "--json").stdout)
    assert (credits["credits_used"], credits["credits_limit"], credits["unit"]) == (700, 1500, "credits")
    assert (credits["used"], credits["limit"]) == (700, 1500)
    assert "premium_requests_used" not in credits
    assert budget(journal)["copilot"]["premium_requests_used"] == 700  # the file keeps its keys


def test_copilot_help_says_where_the_count_comes_from() -> None:
    text = " ".join(run("copilot", "-h").stdout.split())
    assert "entered by hand" not in text
    assert "typed in from GitHub's billing page (`set`), or fetched from its billing API (`fetch`)" in text


def test_fetch_force_asks_the_endpoint_even_after_a_fresh_statusline_reading(
    journal: Path, claude_dir: Path, server: UsageServer
) -> None:
    soon = int(datetime.now(timezone.utc).timestamp()) + 7200
    windows = {"five_hour": {"used_percentage": 37.0, "resets_at": soon}}
    windows["seven_day"] = {"used_percentage": 22.0, "resets_at": soon + 86400}
    run("statusline", input=json.dumps({"rate_limits": windows}))
    assert json.loads(run("fetch", "--json").stdout)["source"] == "statusline"
    assert server.requests == []
    server.answer(Reply(body=usage_body(five=41.0, week=23.0)))
    forced = json.loads(run("fetch", "--force", "--json").stdout)
    assert (forced["source"], forced["five_hour"]["utilization"]) == ("api", 41.0)
    assert len(server.requests) == 1
    both = run("fetch", "--force", "--source", "statusline")
    assert both.exit_code == 1
    assert both.stderr == (
        "Error: --force asks the usage endpoint, --source statusline never does: drop one of them\n"
    )
