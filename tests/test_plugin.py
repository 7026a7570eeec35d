"""The Claude Code plugin: the repository is a marketplace with one plugin carrying the skills and the
hooks (a skill adds the statusline); `integrate install` never adds them a second time beside it, and
the real `claude` CLI validates and installs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, run

from ai_budget.integrations import claude_settings, plugin, skills

MARKETPLACE = REPO / ".claude-plugin" / "marketplace.json"
PLUGIN = REPO / "plugin"


def manifest(path: Path) -> dict:
    return json.loads(path.read_text())


def hooks_json() -> dict:
    return manifest(PLUGIN / "hooks" / "hooks.json")["hooks"]


# --- the files ---------------------------------------------------------------------------------------


def test_the_marketplace_lists_the_plugin_folder() -> None:
    market = manifest(MARKETPLACE)
    [entry] = market["plugins"]
    assert entry["name"] == plugin.NAME == manifest(PLUGIN / ".claude-plugin" / "plugin.json")["name"]
    assert (MARKETPLACE.parent.parent / entry["source"]).resolve() == PLUGIN
    # Only the plugin's folder is copied into Claude Code's cache, not the checkout (and its .venv).
    assert entry["source"] != "./"


def test_the_plugin_version_is_the_packages() -> None:
    version = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.M)
    assert version is not None
    version = version.group(1)
    assert manifest(PLUGIN / ".claude-plugin" / "plugin.json")["version"] == version


def test_the_plugin_skills_are_the_ones_integrate_installs() -> None:
    """The same files, not copies: the plugin's skill folders link to the repository's skills/."""
    for name in skills.NAMES:
        folder = PLUGIN / "skills" / name
        assert folder.is_symlink(), name
        assert (folder / "SKILL.md").resolve() == (REPO / "skills" / name / "SKILL.md").resolve()


def test_the_plugin_hooks_are_the_ones_integrate_installs() -> None:
    """Each event, matcher, subcommand and timeout as `integrate install` writes them (HOOKS)."""
    found = hooks_json()
    assert set(found) == set(claude_settings.HOOKS)
    for event, (matcher, sub, timeout) in claude_settings.HOOKS.items():
        [group] = found[event]
        assert group.get("matcher") == matcher, event
        [handler] = group["hooks"]
        assert handler["type"] == "command"
        assert handler["command"].endswith(f"exec ai-budget {sub}"), event
        assert handler.get("timeout") == timeout, event


def test_the_statusline_skill_runs_only_integrate() -> None:
    text = (PLUGIN / "skills" / "statusline" / "SKILL.md").read_text()
    tools = re.findall(r"^  - (Bash\(.*\))$", text, re.M)
    assert tools == ["Bash(ai-budget integrate install:*)", "Bash(ai-budget integrate status:*)"]
    assert "disable-model-invocation: true" in text  # it edits settings.json: only the user starts it
    options = set(re.findall(r"--[a-z][a-z-]*", run("integrate", "install", "--help").stdout))
    assert set(re.findall(r"--[a-z][a-z-]*", text)) <= options


PAYLOAD = {
    "SessionStart": (FIXTURES / "hook_stdin" / "session_start.json").read_text(),
    "SessionEnd": (FIXTURES / "hook_stdin" / "session_end.json").read_text(),
    "UserPromptSubmit": json.dumps({"session_id": "s", "hook_event_name": "UserPromptSubmit", "prompt": "x"}),
}


@pytest.mark.parametrize("event", sorted(claude_settings.HOOKS))
def test_each_hook_command_runs_and_never_fails(event: str, tmp_path: Path) -> None:
    """Run as Claude Code runs it (`sh -c`): with ai-budget on PATH, and without (silent, exit 0)."""
    command = hooks_json()[event][0]["hooks"][0]["command"]
    beside = str(Path(sys.executable).parent)  # where pip put the ai-budget script
    assert shutil.which("ai-budget", path=beside), "the test needs the installed ai-budget script"
    for path, silent in ((f"{beside}{os.pathsep}/usr/bin{os.pathsep}/bin", False), ("/usr/bin:/bin", True)):
        env = dict(os.environ, PATH=path)
        done = subprocess.run(
            ["sh", "-c", command], input=PAYLOAD[event], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0 and "Traceback" not in done.stderr, (event, done.stderr)
        if silent:
            assert done.stdout == done.stderr == "", event


# --- which plugin Claude Code has -----------------------------------------------------------------


def claude_has_it(claude: Path, enabled: object = True, listed: object = "v2") -> None:
    """The two files `claude plugin install` writes (shapes as Claude Code 2.1 writes them)."""
    claude.mkdir(parents=True, exist_ok=True)
    settings = {"enabledPlugins": {"other@x": True, "ai-budget@ai-budget": enabled}}
    (claude / "settings.json").write_text(json.dumps(settings, indent=2))
    entry = [{"scope": "user", "installPath": str(claude / "plugins" / "cache"), "version": "0.1.0"}]
    if listed == "v2":
        (claude / "plugins").mkdir(exist_ok=True)
        (claude / "plugins" / "installed_plugins.json").write_text(
            json.dumps({"version": 2, "plugins": {"ai-budget@ai-budget": entry}})
        )
    elif listed == "garbled":
        (claude / "plugins").mkdir(exist_ok=True)
        (claude / "plugins" / "installed_plugins.json").write_text("{not json")


def provider(claude: Path) -> str | None:
    return plugin.provider(claude, json.loads((claude / "settings.json").read_text()))


def test_the_plugin_is_found_when_installed_and_enabled(home: Path) -> None:
    claude_has_it(home / ".claude")
    assert provider(home / ".claude") == "ai-budget@ai-budget"


@pytest.mark.parametrize(
    ("enabled", "listed", "found"),
    [(False, "v2", None), (True, None, None), (True, "garbled", "ai-budget@ai-budget"), ("yes", "v2", None)],
    ids=["disabled", "uninstalled", "unreadable-list", "not-a-boolean"],
)
def test_the_plugin_counts_only_when_enabled_and_installed(
    home: Path, enabled: object, listed: object, found: str | None
) -> None:
    claude_has_it(home / ".claude", enabled, listed)
    assert provider(home / ".claude") == found


def test_another_plugin_with_a_similar_name_is_not_ours(home: Path) -> None:
    claude = home / ".claude"
    claude.mkdir()
    (claude / "settings.json").write_text(json.dumps({"enabledPlugins": {"ai-budget-extra@x": True}}))
    assert provider(claude) is None


# --- integrate install beside the plugin -------------------------------------------------------------


def install() -> dict:
    result = run("integrate", "install", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def status() -> dict:
    return json.loads(run("integrate", "status", "--json").stdout)


def test_with_the_plugin_install_adds_only_the_statusline(home: Path) -> None:
    claude = home / ".claude"
    claude_has_it(claude)
    report = install()
    data = json.loads((claude / "settings.json").read_text())
    assert "hooks" not in data and report["skills"] == []
    assert not (claude / "skills").exists() and not (claude / "commands").exists()
    assert data["statusLine"]["command"].endswith(" statusline")
    assert data["enabledPlugins"]["ai-budget@ai-budget"] is True  # Claude Code's own keys kept
    state = status()
    assert state["plugin"] == "ai-budget@ai-budget"
    assert set(state["hooks"].values()) == {"plugin"}
    assert "plugin      enabled    ai-budget@ai-budget" in run("integrate", "status").stdout


def test_install_hands_over_to_a_plugin_installed_since(home: Path) -> None:
    """Installed without the plugin first: once it is there, install takes its own hooks and skills out."""
    claude = home / ".claude"
    claude.mkdir()
    install()
    assert len(json.loads((claude / "settings.json").read_text())["hooks"]) == len(claude_settings.HOOKS)
    data = json.loads((claude / "settings.json").read_text())
    plugins = {"enabledPlugins": {"ai-budget@ai-budget": True}}
    (claude / "settings.json").write_text(json.dumps(data | plugins, indent=2))
    listed = claude / "plugins" / "installed_plugins.json"
    listed.parent.mkdir()
    listed.write_text(json.dumps({"version": 2, "plugins": {"ai-budget@ai-budget": []}}))
    assert set(status()["hooks"].values()) == {"twice"}
    report = install()
    after = json.loads((claude / "settings.json").read_text())
    assert not after.get("hooks")  # none of ours left (the empty object goes at uninstall)
    assert {o["action"] for o in report["skills"]} == {"removed"}
    assert not (claude / "skills").exists()
    assert set(status()["hooks"].values()) == {"plugin"}
    uninstall = run("integrate", "uninstall", "--json")
    assert uninstall.exit_code == 0, uninstall.stderr
    assert "statusLine" not in json.loads((claude / "settings.json").read_text())


# --- the real Claude Code ---------------------------------------------------------------------------


def claude_bin() -> str | None:
    return os.environ.get("AI_BUDGET_CLAUDE_BIN") or shutil.which("claude")


needs_claude = pytest.mark.skipif(
    claude_bin() is None, reason="no Claude Code CLI: set AI_BUDGET_CLAUDE_BIN or put `claude` on PATH"
)


def claude_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI, in the test's HOME, with its telemetry off."""
    env = dict(os.environ, DISABLE_TELEMETRY="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
    env.pop("CLAUDE_CONFIG_DIR", None)
    done = subprocess.run(
        [str(claude_bin()), *args], capture_output=True, text=True, env=env, timeout=120, cwd=env["HOME"]
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@needs_claude
@pytest.mark.parametrize("where", [REPO, PLUGIN], ids=["marketplace", "plugin"])
def test_claude_validates_the_manifests_strictly(where: Path) -> None:
    out = claude_cli("plugin", "validate", "--strict", str(where)).stdout
    assert "Validation passed" in out


@needs_claude
def test_installed_in_claude_the_skills_and_hooks_are_there_once(home: Path) -> None:
    before = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True)
    claude_cli("plugin", "marketplace", "add", str(REPO))
    claude_cli("plugin", "install", f"{plugin.NAME}@ai-budget")
    details = claude_cli("plugin", "details", f"{plugin.NAME}@ai-budget").stdout
    skill_line = re.search(r"Skills \((\d+)\)\s+(.*)", details)
    hook_line = re.search(r"Hooks \((\d+)\)\s+(\S.*?)(\s+\(|$)", details, re.M)
    assert skill_line and hook_line, details
    assert sorted(skill_line.group(2).split(", ")) == sorted([*skills.NAMES, "statusline"])
    assert sorted(hook_line.group(2).split(", ")) == sorted(claude_settings.HOOKS)
    # ai-budget's own install beside it adds the statusline and nothing the plugin already gives.
    install()
    claude = home / ".claude"
    data = json.loads((claude / "settings.json").read_text())
    assert "hooks" not in data and not (claude / "skills").exists()
    assert status()["plugin"] == f"{plugin.NAME}@ai-budget"
    after = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True)
    assert after.stdout == before.stdout  # the checkout is only read
