"""Every test gets a fresh HOME, journal location, cache and git identity under tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from usage_server import UsageServer, write_login

from ai_budget.cli import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MACHINE = "testbox"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core, at most 8. Much of a test's time is spent waiting on real
    subprocesses, servers, locks and timeouts (run alone, the suite keeps one core about 40 % busy),
    so twice as many workers as cores finish sooner (docs/contributing.md has the figures)."""
    return min(8, 2 * (os.cpu_count() or 1))


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME, XDG dirs, git config and the usage endpoint at tmp_path; never the real ones."""
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Test User\n\temail = test@example.invalid\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # Port 9 on loopback refuses connections: no test can reach the real endpoint by accident.
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", "http://127.0.0.1:9")
    # One machine name on every test machine: the rollups' folder (usage/testbox/) is known.
    monkeypatch.setenv("AI_BUDGET_MACHINE", MACHINE)
    for name in (
        "AI_BUDGET_HOME",
        "AI_BUDGET_CACHE_DIR",
        "AI_BUDGET_STATE_DIR",
        "AI_BUDGET_CACHE_TTL",
        "CLAUDE_CONFIG_DIR",
        "CLAUDE_CODE_OAUTH_TOKEN",
        "ANTHROPIC_ADMIN_API_KEY",
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
        "GIT_CEILING_DIRECTORIES",
    ):
        monkeypatch.delenv(name, raising=False)
    # Local time is UTC in tests, so rendered clocks and dates are the same on every machine; the
    # process's zone is put back afterwards (tzset reads TZ only when called).
    saved_tz = os.environ.get("TZ")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.chdir(tmp_path)
    yield home
    if saved_tz is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved_tz
    time.tzset()


@pytest.fixture
def home(isolated: Path) -> Path:
    """The temporary HOME."""
    return isolated


@pytest.fixture
def journal_dir(home: Path) -> Path:
    """Where the journal lives by default (~/.ai-budget in the temporary HOME)."""
    return home / ".ai-budget"


def run(*args: str, input: str | None = None) -> Result:
    """Invoke the CLI in-process, stdout and stderr kept apart."""
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def journal(journal_dir: Path) -> Path:
    """An initialised journal."""
    result = run("init")
    assert result.exit_code == 0, result.stderr
    return journal_dir


def git(repo: Path, *args: str) -> str:
    """Plain git, to inspect what ai-budget did."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_DIR")}
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    ).stdout


def subjects(repo: Path) -> list[str]:
    """Commit subjects, newest first."""
    out = git(repo, "log", "--format=%s")
    return out.splitlines()


def assert_clean(repo: Path) -> None:
    """The journal's working tree has nothing uncommitted."""
    assert git(repo, "status", "--porcelain") == ""


def budget(repo: Path) -> dict:
    """budget.json as data."""
    return json.loads((repo / "budget.json").read_text())


def python_cli(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a real subprocess (python -m ai_budget)."""
    return subprocess.run(
        [sys.executable, "-m", "ai_budget", *args], capture_output=True, text=True, **kwargs
    )  # type: ignore[call-overload]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[UsageServer]:
    """A usage endpoint on 127.0.0.1, and the tool pointed at it."""
    srv = UsageServer()
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", srv.url)
    yield srv
    srv.close()


@pytest.fixture
def claude_dir(home: Path) -> Path:
    """~/.claude with a fake login."""
    write_login(home / ".claude")
    return home / ".claude"


@pytest.fixture
def claude(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ~/.claude named by CLAUDE_CONFIG_DIR (no login): transcripts go under it."""
    path = home / ".claude"
    path.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(path))
    return path


def opened(repo: Path) -> dict | None:
    """The journal's open session (state, not git), the newest when several; None when none is open."""
    from ai_budget.session import state

    found = state.all_open(repo)
    return found[-1].to_json() if found else None


def baseline(repo: Path) -> dict | None:
    """The windows the open session started from (what budget.json's baseline used to hold)."""
    found = opened(repo)
    return found["baseline"] if found is not None else None


def in_new_process(argv: list[str], stdin: str = "") -> tuple[str, list[str]]:
    """`ai-budget ARGV` through the program's entry in a fresh interpreter: its output, and which of the
    heavy modules (click, pydantic, git, the journal) it loaded; it must exit 0 and print no error."""
    code = (
        "import sys\n"
        f"sys.argv = ['ai-budget', *{argv!r}]\n"
        "from ai_budget.entry import main\n"
        "try:\n    main()\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('click', 'pydantic', 'git', 'ai_budget.journal') if m in sys.modules]\n"
        "print('heavy:', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
    *out, heavy = done.stdout.splitlines()
    return "\n".join(out), eval(heavy.removeprefix("heavy: "))


# --- a history whose sessions show a limit change (tests/test_limits.py, tests/test_fast_check.py) ---


def commit_session(journal: Path, n: int, start: datetime, pct: float, tokens: int, sums: dict) -> None:
    """A session commit as `log` writes it: budget.json with one more flashcard sample, and the trailers."""
    sums["samples"] += 1
    sums["units"] += 10
    sums["pct"] += pct
    sums["tokens"] += tokens
    data = budget(journal)
    entry = data["calibration"]["flashcard"]
    entry.update(
        samples=sums["samples"],
        units=sums["units"],
        total_5h_pct=sums["pct"],
        token_units=sums["units"],
        total_output_tokens=sums["tokens"],
        avg_5h_pct=round(sums["pct"] / sums["units"], 2),
        avg_output_tokens=round(sums["tokens"] / sums["units"]),
    )
    (journal / "budget.json").write_text(json.dumps(data, indent=2) + "\n")
    git(journal, "add", "budget.json")
    trailers = "\n".join(
        [
            f"Session-Start: {start.isoformat()}",
            f"Five-Hour-Delta: {pct:.1f}",
            "Seven-Day-Delta: 1.0",
            f"Output-Tokens: {tokens}",
            "Cost-USD: 1.0000",
            "Tasks: flashcard=10",
            f"Calibration: flashcard samples={sums['samples']} units={sums['units']} "
            f"pct_per_unit={sums['pct'] / sums['units']:.4f} "
            f"tokens_per_unit={sums['tokens'] / sums['units']:.1f}",
        ]
    )
    stamp = (start + timedelta(hours=1)).isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subject = f"session {start + timedelta(hours=1):%Y-%m-%d %H:%M}: flashcard ×10, 5h +{pct:.1f}%"
    subprocess.run(
        ["git", "-C", str(journal), "commit", "-q", "-m", subject, "-m", trailers], check=True, env=env
    )


@pytest.fixture
def changed(journal: Path) -> Path:
    """20 sessions at 1000 output tokens per % (10 cards, 10 %), then from 2026-09-14 10 at 1900 (5 %)."""
    run("calibration", "add", "flashcard", "--unit", "per card")
    run("calibration", "add", "essay", "--unit", "per page")
    run("backlog", "add", "[M] Chapter cards {flashcard: 10}")
    sums = {"samples": 0, "units": 0, "pct": 0.0, "tokens": 0}
    for i in range(20):
        commit_session(
            journal, i, datetime(2026, 8, 1, 10, tzinfo=timezone.utc) + timedelta(days=i), 10.0, 10_000, sums
        )
    for i in range(10):
        commit_session(
            journal, i, datetime(2026, 9, 14, 10, tzinfo=timezone.utc) + timedelta(days=i), 5.0, 9_500, sums
        )
    run("calibrate", "essay", "2", "6")  # today: after the change
    return journal
