"""Credit alerts: `settings.alert_command` runs once each time a level is reached. Which levels were
announced is kept in the state folder (not git, so `status` stays read-only), per journal and per
balance: a level re-arms when it is left, and a new balance re-arms them all."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_budget import paths
from ai_budget.fileio import locked, read_json, write_json
from ai_budget.fmt import clean_line
from ai_budget.planning.credits import CreditsForecast
from ai_budget.redact import scrub

TIMEOUT_S = 30
# The command is the user's own tool: it gets the alert, not our keys.
HIDDEN_ENV = ("ANTHROPIC_ADMIN_API_KEY",)


def state_file(home: Path) -> Path:
    """Where the announced levels of the journal at `home` are kept."""
    tag = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:16]
    return paths.state_dir() / f"alerts-{tag}.json"


def payload(forecast: CreditsForecast, level: str, reason: str, now: datetime) -> dict[str, Any]:
    """What the command reads on standard input."""
    return {
        "level": level,
        "reason": reason,
        "at": now.isoformat(),
        "remaining_usd": float(round(forecast.remaining, 2)),
        "daily_rate_usd": float(round(forecast.daily_rate, 2)),
        "today_usd": float(round(forecast.spend.today, 2)),
        "days_left": float(round(forecast.days_left, 2)) if forecast.days_left is not None else None,
        "runs_out_at": forecast.runs_out_at.isoformat() if forecast.runs_out_at else None,
        "expires": forecast.expires.isoformat() if forecast.expires else None,
    }


def announce(
    home: Path, set_at: datetime, forecast: CreditsForecast, command: list[str] | None, now: datetime
) -> list[str]:
    """Run the command for each level reached since the last look; the failures, one line each.
    A level whose command failed stays unannounced, so the next look tries again."""
    if not command:
        return []
    path = state_file(home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    problems: list[str] = []
    with locked(path.with_suffix(".lock")):
        data = read_json(path) or {}
        before = data.get("announced") if data.get("set_at") == set_at.isoformat() else None
        announced = {str(level) for level in before} if isinstance(before, list) else set()
        reached = {a.level for a in forecast.alerts}
        for alert in forecast.alerts:
            if alert.level in announced:
                continue
            problem = run_command(command, payload(forecast, alert.level, alert.reason, now))
            if problem is None:
                announced.add(alert.level)
            else:
                problems.append(f"alert_command for {alert.level}: {problem}")
        write_json(path, {"set_at": set_at.isoformat(), "announced": sorted(announced & reached)})
    return problems


def run_command(command: list[str], alert: dict[str, Any]) -> str | None:
    """Run the command (no shell) with the alert as JSON on stdin; None when it succeeded, else why not."""
    env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}
    try:
        done = subprocess.run(
            command,
            input=json.dumps(alert),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        return f"{command[0]!r} was not found: fix settings.alert_command in budget.json"
    except subprocess.TimeoutExpired:
        return f"it did not finish within {TIMEOUT_S} s"
    except (OSError, ValueError) as exc:
        return f"it could not be run ({type(exc).__name__}): fix settings.alert_command in budget.json"
    if done.returncode != 0:
        said = clean_line(scrub((done.stderr or "").strip().splitlines()[-1] if done.stderr.strip() else ""))
        return f"it exited with status {done.returncode}" + (f": {said[:200]}" if said else "")
    return None
