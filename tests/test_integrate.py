"""`integrate install|uninstall|status`: settings.json edited in place, and exactly undone."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, run

from ai_budget.cli import cli
from ai_budget.integrations import claude_settings
from ai_budget.integrations.claude_settings import executable, our_words

THEIRS = "printf 'my line %s' \"$(date +%H)\" # theirs"
# Deliberately not how ai-budget writes JSON: 4-space indent, a one-line object, a \u escape.
ORIGINAL = """{
    "model": "opus",
    "env": {"GREETING": "caf\\u00e9"},
    "statusLine": {
        "type": "command",
        "command": "printf 'my line %s' \\"$(date +%H)\\" # theirs",
        "padding": 0
    },
    "hooks": {
        "SessionStart": [
            {"matcher": "startup|resume", "hooks": [{"type": "command", "command": "echo hi"}]}
        ],
        "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]
    },
    "permissions": {"allow": ["Bash(git status:*)"], "deny": []},
    "includeCoAuthoredBy": false
}
"""


@pytest.fixture
def claude(home: Path) -> Path:
    """~/.claude, existing but empty."""
    (home / ".claude").mkdir()
    return home / ".claude"


def settings(claude: Path) -> dict:
    """settings.json as data."""
    return json.loads((claude / "settings.json").read_text())


def install(*flags: str) -> dict:
    """`integrate install --json` with these flags, which must succeed."""
    result = run("integrate", "install", *flags, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def uninstall() -> dict:
    """`integrate uninstall --json`, which must succeed."""
    result = run("integrate", "uninstall", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def actions(report: dict) -> dict[str, str]:
    """{part: action} from an install or uninstall report."""
    return {c["part"]: c["action"] for c in report["changes"]}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_install_then_uninstall_leaves_settings_byte_for_byte(claude: Path) -> None:
    (claude / "settings.json").write_text(ORIGINAL)
    before = snapshot(claude)
    report = install("--allow")
    assert actions(report) == {
        "hook SessionStart": "added",
        "hook SessionEnd": "added",
        "hook UserPromptSubmit": "added",
        "statusline": "left",
        "permission": "added",
    }
    data = settings(claude)
    assert list(data) == list(json.loads(ORIGINAL))  # their keys, in their order
    assert data["statusLine"]["command"] == THEIRS  # never replaced without --wrap-existing
    assert data["env"] == {"GREETING": "café"} and data["includeCoAuthoredBy"] is False
    start = data["hooks"]["SessionStart"]
    assert start[0] == json.loads(ORIGINAL)["hooks"]["SessionStart"][0]  # theirs first, untouched
    ours = {"type": "command", "command": f"{executable()} hook session-start"}
    assert start[1] == {"matcher": "startup|resume|clear", "hooks": [ours]}
    assert data["hooks"]["SessionEnd"] == [
        {"hooks": [{"type": "command", "command": f"{executable()} hook session-end", "timeout": 5}]}
    ]
    assert data["hooks"]["UserPromptSubmit"][0]["hooks"][0]["command"] == f"{executable()} hook prompt"
    assert data["hooks"]["Stop"] == [{"hooks": [{"type": "command", "command": "say done"}]}]
    assert data["permissions"] == {"allow": ["Bash(git status:*)", "Bash(ai-budget:*)"], "deny": []}
    assert (claude / "settings.json.ai-budget.bak").read_text() == ORIGINAL

    undone = uninstall()
    assert "statusline" not in actions(undone)  # theirs was never ours to take away
    assert (claude / "settings.json").read_text() == ORIGINAL
    after = snapshot(claude)
    assert after == before | {"settings.json.ai-budget.bak": ORIGINAL.encode()}  # the backup stays
    assert not (claude / "skills").exists() and not (claude / "commands").exists()


def test_without_a_usable_backup_uninstall_keeps_json_and_key_order(claude: Path) -> None:
    (claude / "settings.json").write_text(ORIGINAL)
    install("--allow", "--wrap-existing")
    (claude / "settings.json.ai-budget.bak").unlink()
    uninstall()
    restored = (claude / "settings.json").read_text()
    assert json.dumps(json.loads(restored)) == json.dumps(json.loads(ORIGINAL))  # equal, same key order
    assert restored.startswith('{\n    "model"')  # in the file's own indent


def test_install_twice_changes_nothing(claude: Path) -> None:
    (claude / "settings.json").write_text(ORIGINAL)
    install("--allow", "--wrap-existing")
    first = snapshot(claude)
    mtimes = [(claude / name).stat().st_mtime_ns for name in ("settings.json", "ai-budget-integration.json")]
    again = install("--allow", "--wrap-existing")
    assert set(actions(again).values()) == {"kept"}
    assert {f["action"] for f in again["skills"]} == {"unchanged"}
    assert again["written"] is False and again["backup"] is None
    assert snapshot(claude) == first
    assert [
        (claude / n).stat().st_mtime_ns for n in ("settings.json", "ai-budget-integration.json")
    ] == mtimes
    assert "unchanged" in run("integrate", "install", "--allow", "--wrap-existing").stdout


def test_wrap_existing_wraps_theirs_once_and_uninstall_restores_it(claude: Path) -> None:
    (claude / "settings.json").write_text(ORIGINAL)
    report = install("--wrap-existing")
    assert actions(report)["statusline"] == "wrapped"
    line = settings(claude)["statusLine"]
    assert line == {
        "type": "command",
        "command": f"{executable()} statusline --wrap {shlex.quote(THEIRS)}",
        "padding": 0,
    }
    assert shlex.split(line["command"])[-2:] == ["--wrap", THEIRS]  # sh hands theirs over intact
    assert actions(install("--wrap-existing"))["statusline"] == "kept"  # never wrapped twice
    assert settings(claude)["statusLine"] == line
    assert json.loads(run("integrate", "status", "--json").stdout)["statusline"]["state"] == "wrapped"
    assert actions(uninstall())["statusline"] == "restored"
    assert (claude / "settings.json").read_text() == ORIGINAL


def test_an_existing_statusline_is_left_alone_and_said_so(claude: Path) -> None:
    (claude / "settings.json").write_text(ORIGINAL)
    out = run("integrate", "install").stdout
    assert f"left       statusline: yours is kept ({THEIRS}); --wrap-existing shows ours after it" in out
    assert settings(claude)["statusLine"]["command"] == THEIRS
    assert json.loads(run("integrate", "status", "--json").stdout)["statusline"] == {
        "state": "theirs",
        "command": THEIRS,
    }


def test_a_missing_settings_json_is_created_and_uninstall_leaves_nothing(claude: Path) -> None:
    report = install()
    assert report["written"] is True and report["backup"] is None
    data = settings(claude)
    assert list(data) == ["hooks", "statusLine"]
    assert data["statusLine"] == {"type": "command", "command": f"{executable()} statusline"}
    assert list(data["hooks"]) == ["SessionStart", "SessionEnd", "UserPromptSubmit"]
    uninstall()
    assert snapshot(claude) == {}


def test_no_hooks_no_statusline_installs_only_the_skills(claude: Path) -> None:
    report = install("--no-hooks", "--no-statusline")
    assert report["changes"] == [] and report["written"] is False
    assert not (claude / "settings.json").exists()
    assert (claude / "skills" / "budget-log" / "SKILL.md").is_file()
    install("--no-statusline")
    assert "statusLine" not in settings(claude) and len(settings(claude)["hooks"]) == 3
    uninstall()
    assert snapshot(claude) == {}


def test_allow_adds_the_rule_once_and_uninstall_keeps_a_rule_of_yours(claude: Path) -> None:
    install("--allow")
    install("--allow")
    assert settings(claude)["permissions"] == {"allow": ["Bash(ai-budget:*)"]}
    assert json.loads(run("integrate", "status", "--json").stdout)["permission"] is True
    uninstall()
    assert snapshot(claude) == {}

    (claude / "settings.json").write_text('{"permissions": {"allow": ["Bash(ai-budget:*)"]}}\n')
    assert actions(install("--allow"))["permission"] == "kept"
    assert "permission" not in actions(uninstall())  # it was yours before: it stays
    assert settings(claude) == {"permissions": {"allow": ["Bash(ai-budget:*)"]}}


BAD = {
    "bad JSON": (b'{"model": "opus",\n', "is not valid JSON (Expecting property name enclosed in double"),
    "empty file": (b"", "is not valid JSON (Expecting value, line 1 column 1)"),
    "a list": (b"[]\n", "holds a JSON list, not an object"),
    "not UTF-8": (b'{"model": "caf\xe9"}', "is not UTF-8 text (byte 14 is 0xe9)"),
    "hooks a list": (b'{"hooks": []}', "has `hooks` that is not an object"),
    "an event not a list": (b'{"hooks": {"SessionEnd": {}}}', "has `hooks.SessionEnd` that is not a list"),
    "permissions.allow": (b'{"permissions": {"allow": "x"}}', "has `permissions.allow` that is not a list"),
    "a key twice": (b'{"model": "a", "model": "b"}', "has the key 'model' twice in one object"),
}


@pytest.mark.parametrize("kind", BAD)
def test_an_invalid_settings_json_is_refused_untouched(claude: Path, kind: str) -> None:
    raw, problem = BAD[kind]
    path = claude / "settings.json"
    path.write_bytes(raw)
    for command in (["install", "--allow"], ["uninstall"], ["status"]):
        result = run("integrate", *command)
        assert result.exit_code == 1, command
        assert result.stderr.startswith(f"Error: {path} {problem}"), result.stderr
        assert result.stderr.endswith("nothing was changed\n") and result.stderr.count("\n") == 1
        assert snapshot(claude) == {"settings.json": raw}  # no backup, no record, no skills


def test_a_broken_install_record_is_refused(claude: Path) -> None:
    install()
    (claude / "ai-budget-integration.json").write_text('{"version": 1}')
    before = snapshot(claude)
    result = run("integrate", "uninstall")
    assert result.exit_code == 1
    assert "ai-budget-integration.json is not a record this ai-budget can read" in result.stderr
    assert snapshot(claude) == before


def test_the_backup_is_written_once(claude: Path) -> None:
    path, backup = claude / "settings.json", claude / "settings.json.ai-budget.bak"
    path.write_text('{"model": "opus"}\n')
    assert install()["backup"] == str(backup)
    uninstall()
    path.write_text('{"model": "sonnet"}\n')
    assert install()["backup"] is None
    assert backup.read_text() == '{"model": "opus"}\n'
    uninstall()  # the backup is stale now: the file is rebuilt from what is left
    assert path.read_text() == '{\n  "model": "sonnet"\n}\n'


def test_an_edited_skill_refuses_install_before_settings_are_touched(claude: Path) -> None:
    run("skills", "install")
    skill = claude / "skills" / "budget-log" / "SKILL.md"
    skill.write_text(skill.read_text() + "\nMine.\n")
    before = snapshot(claude)
    result = run("integrate", "install")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {skill} has changes of yours: keep them, or run `ai-budget skills install --force`\n"
    )
    assert snapshot(claude) == before


def test_uninstall_removes_the_skills_it_installed_and_keeps_edited_ones(claude: Path) -> None:
    install()
    skill = claude / "skills" / "budget-log" / "SKILL.md"
    skill.write_text(skill.read_text() + "\nMine.\n")
    result = run("integrate", "uninstall")
    assert result.exit_code == 0
    assert f"kept       {skill}" in result.stdout
    assert f"Kept {skill}: edited by you" in result.stdout
    assert sorted(snapshot(claude)) == ["skills/budget-log/SKILL.md"]


def test_skills_that_were_there_before_install_stay(claude: Path) -> None:
    run("skills", "install")
    before = snapshot(claude)
    install()
    uninstall()
    assert snapshot(claude) == before


def test_uninstall_takes_only_ours_from_what_you_changed_since(claude: Path) -> None:
    install()
    data = settings(claude)
    data["hooks"]["SessionEnd"][0]["hooks"].append({"type": "command", "command": "echo bye"})
    data["statusLine"] = {"type": "command", "command": "my-own-line"}
    data["theme"] = "dark"
    (claude / "settings.json").write_text(json.dumps(data, indent=2))
    report = uninstall()
    assert actions(report)["statusline"] == "left"
    assert settings(claude) == {
        "hooks": {"SessionEnd": [{"hooks": [{"type": "command", "command": "echo bye"}]}]},
        "statusLine": {"type": "command", "command": "my-own-line"},
        "theme": "dark",
    }


def test_uninstall_with_nothing_installed_changes_nothing(claude: Path) -> None:
    (claude / "settings.json").write_text(ORIGINAL)
    result = run("integrate", "uninstall")
    assert result.exit_code == 0
    assert "nothing recorded here" in result.stdout
    assert snapshot(claude) == {"settings.json": ORIGINAL.encode()}


def test_a_moved_ai_budget_is_updated_in_place(claude: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claude_settings, "executable", lambda: "/old/bin/ai-budget")
    install("--wrap-existing")
    status = json.loads(run("integrate", "status", "--json").stdout)
    assert status["hooks"]["SessionStart"] == "installed"
    monkeypatch.setattr(claude_settings, "executable", lambda: "/new/bin/ai-budget")
    assert json.loads(run("integrate", "status", "--json").stdout)["hooks"]["SessionStart"] == "other-path"
    assert set(actions(install()).values()) == {"updated"}
    data = settings(claude)
    assert [g["hooks"][0]["command"] for g in data["hooks"]["SessionStart"]] == [
        "/new/bin/ai-budget hook session-start"
    ]
    assert data["statusLine"]["command"] == "/new/bin/ai-budget statusline"
    uninstall()
    assert snapshot(claude) == {}


def test_a_symlinked_settings_json_stays_a_link(claude: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text(ORIGINAL)
    (claude / "settings.json").symlink_to(real)
    install()
    assert (claude / "settings.json").is_symlink() and "hooks" in json.loads(real.read_text())
    uninstall()
    assert (claude / "settings.json").is_symlink() and real.read_text() == ORIGINAL


def test_status_before_and_after(claude: Path) -> None:
    empty = json.loads(run("integrate", "status", "--json").stdout)
    assert empty["hooks"] == dict.fromkeys(["SessionStart", "SessionEnd", "UserPromptSubmit"], "missing")
    assert empty["statusline"] == {"state": "none", "command": None}
    assert empty["permission"] is False and empty["recorded"] is False and empty["exists"] is False
    assert {s["action"] for s in empty["skills"]} == {"missing"}
    install("--allow")
    full = json.loads(run("integrate", "status", "--json").stdout)
    assert full["hooks"] == dict.fromkeys(["SessionStart", "SessionEnd", "UserPromptSubmit"], "installed")
    assert full["statusline"] == {"state": "ours", "command": f"{executable()} statusline"}
    assert full["permission"] is True and full["recorded"] is True
    assert {s["action"] for s in full["skills"]} == {"current"}
    text = run("integrate", "status").stdout
    assert "hook        installed  SessionEnd" in text and "statusline  ours" in text


def test_the_executable_is_an_absolute_path_or_python_m(monkeypatch: pytest.MonkeyPatch) -> None:
    exe = executable()
    assert os.path.isabs(shlex.split(exe)[0])
    with monkeypatch.context() as patch:
        patch.setattr(claude_settings.shutil, "which", lambda name: "/opt/my tools/ai-budget")
        patch.setattr(claude_settings.os, "access", lambda *args, **kwargs: False)
        assert executable() == "'/opt/my tools/ai-budget'"
        assert our_words("'/opt/my tools/ai-budget' hook prompt") == ["hook", "prompt"]
        patch.setattr(claude_settings.shutil, "which", lambda name: None)
        fallback = executable()
    assert fallback == f"{shlex.quote(sys.executable)} -m ai_budget"
    assert our_words(f"{fallback} statusline") == ["statusline"]
    for command in (exe, fallback):  # both forms run this ai-budget from sh, as Claude Code does
        done = subprocess.run(["sh", "-c", f"{command} --version"], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.startswith("ai-budget "), done.stderr


def sh(command: str, stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a settings.json command the way Claude Code does: `sh -c`, JSON on stdin."""
    return subprocess.run(
        ["sh", "-c", command], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def test_the_hook_commands_written_run(claude: Path, tmp_path: Path) -> None:
    install()
    hooks = settings(claude)["hooks"]
    commands = {event: groups[0]["hooks"][0]["command"] for event, groups in hooks.items()}
    for command in commands.values():  # the program part runs from sh whatever the subcommand
        assert sh(command.rsplit(" hook ", 1)[0] + " --version", "").stdout.startswith("ai-budget ")
    if "hook" not in cli.commands:
        pytest.skip("`ai-budget hook` is not a command yet")
    prompt = {"session_id": "s", "cwd": str(tmp_path), "hook_event_name": "UserPromptSubmit", "prompt": "hi"}
    stdins = {
        "SessionStart": (FIXTURES / "hook_stdin" / "session_start.json").read_text(),
        "SessionEnd": (FIXTURES / "hook_stdin" / "session_end.json").read_text(),
        "UserPromptSubmit": json.dumps(prompt),
    }
    for event, command in commands.items():
        done = sh(command, stdins[event])
        assert done.returncode == 0, (event, done.stderr)
        assert "Traceback" not in done.stderr
        bad = sh(command, "not json")
        assert bad.returncode == 0 and bad.stdout == "", event


def test_the_statusline_commands_written_run(claude: Path) -> None:
    install()
    ours = settings(claude)["statusLine"]["command"]
    uninstall()
    theirs = {"statusLine": {"type": "command", "command": "echo THEIRS"}}
    (claude / "settings.json").write_text(json.dumps(theirs))
    install("--wrap-existing")
    wrapped = settings(claude)["statusLine"]["command"]
    assert sh(ours.rsplit(" statusline", 1)[0] + " --version", "").stdout.startswith("ai-budget ")
    if "statusline" not in cli.commands:
        pytest.skip("`ai-budget statusline` is not a command yet")
    stdin = (FIXTURES / "statusline_stdin.json").read_text()
    env = dict(os.environ, NO_COLOR="1")
    done = sh(ours, stdin, env)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr
    both = sh(wrapped, stdin, env)
    assert both.returncode == 0 and "THEIRS" in both.stdout, both.stderr
    assert done.stdout.strip().splitlines()[-1] in both.stdout


def test_the_guide_explains_every_option_of_install() -> None:
    """docs/guide.md's set-up section names each option `integrate install` has, and what it adds."""
    guide = (REPO / "docs" / "guide.md").read_text()
    section = guide.split("## Set up Claude Code", 1)[1].split("\n## ", 1)[0]
    install = cli.commands["integrate"].commands["install"]  # type: ignore[attr-defined]
    for param in install.params:
        for option in getattr(param, "opts", []):
            if option not in ("--help", "--json"):
                assert f"`{option}`" in section, option
    for event, (_, sub, _) in claude_settings.HOOKS.items():
        assert f"`hooks.{event}" in section and sub in section, event
