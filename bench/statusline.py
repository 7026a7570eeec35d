"""Time `ai-budget statusline` (it runs on every assistant message) against `python -c pass`.

Usage: python bench/statusline.py [--runs 41] [--exe PATH]

Runs each command --runs times in a fresh temporary HOME (the feed is written there), alternating
them so machine noise falls on both, and prints the medians and the difference. The target is a
median within 50 ms of a bare interpreter's start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

# The test fixtures: the benches read nothing outside the repository.
SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def payload() -> bytes:
    """The sample statusline stdin (or a built one), reset times in the future."""
    path = SAMPLE / "statusline_stdin.json"
    data = json.loads(path.read_text())
    soon = datetime.now(timezone.utc) + timedelta(hours=2)
    data["rate_limits"] = {
        "five_hour": {"used_percentage": 37.0, "resets_at": int(soon.timestamp())},
        "seven_day": {"used_percentage": 22.0, "resets_at": int((soon + timedelta(days=3)).timestamp())},
    }
    return json.dumps(data).encode()


def once(cmd: list[str], stdin: bytes, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, env=env, capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr.decode(errors='replace').strip()}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--exe", default=shutil.which("ai-budget") or "ai-budget")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ai-budget-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AI_BUDGET_", "CLAUDE_"))}
    env.update(HOME=str(home), NO_COLOR="1", AI_BUDGET_ANTHROPIC_URL="http://127.0.0.1:9")
    # Byte code as an installed package has it, kept outside the tree (see bench/run.py).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "ai-budget-bench-pycache"))
    stdin = payload()
    ours_cmd, bare_cmd = [args.exe, "statusline"], [sys.executable, "-c", "pass"]
    try:
        once(ours_cmd, stdin, env)  # warm the file cache and write byte code once
        ours, bare = [], []
        for _ in range(args.runs):
            ours.append(once(ours_cmd, stdin, env))
            bare.append(once(bare_cmd, b"", env))
        out = subprocess.run(ours_cmd, input=stdin, env=env, capture_output=True).stdout.decode().strip()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    m_ours, m_bare = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    print(f"statusline output: {out}")
    print(f"runs: {args.runs} each, alternating; {os.cpu_count()} cores")
    p90 = sorted(ours)[int(0.9 * len(ours))] * 1000
    print(f"  ai-budget statusline   median {m_ours:6.1f} ms   (p90 {p90:.1f})")
    print(f"  python -c pass         median {m_bare:6.1f} ms")
    print(f"  difference             {m_ours - m_bare:6.1f} ms   (target <= 50 ms)")
    print(f"  ratio                  {m_ours / m_bare:6.2f}x")


if __name__ == "__main__":
    main()
