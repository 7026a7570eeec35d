"""Time `ai-budget check`, `log` and `statusline` with a corpus as the Claude dir; prints medians.

Usage: python bench/commands.py --corpus DIR [--runs 9] [--exe PATH]

A fresh temporary HOME gets a journal (`ai-budget init`); CLAUDE_CONFIG_DIR points at the corpus,
the usage endpoint at a closed port and usage comes from the sample response (`--from-file`),
so nothing leaves the machine. Each round runs `check`, `log` (no items), `statusline` (the sample
stdin) and `python -c pass`, alternated; the first round (caches filled) is not counted.
Targets: check <= 0.15 s and log <= 0.3 s on a 1 GB corpus; the statusline within 50 ms of
`python -c pass` (bench/statusline.py measures it on its own).
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
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "samples"
USAGE = SAMPLES / "api" / "anthropic_oauth_usage_normal.json"


def once(cmd: list[str], env: dict[str, str], stdin: bytes = b"") -> float:
    """Wall seconds of one run (it must succeed)."""
    start = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, env=env, capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr.decode(errors='replace').strip()}")
    return took


def bench_env(home: Path, corpus: Path) -> dict[str, str]:
    """The environment of a timed run: HOME, the corpus as the Claude dir, no network, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AI_BUDGET_", "CLAUDE_"))}
    env.update(
        HOME=str(home),
        NO_COLOR="1",
        AI_BUDGET_ANTHROPIC_URL="http://127.0.0.1:9",
        CLAUDE_CONFIG_DIR=str(corpus / ".claude"),
    )
    # Byte code as an installed package has it (pip compiles on install), kept outside the tree:
    # with PYTHONDONTWRITEBYTECODE every run would compile every module again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "ai-budget-bench-pycache"))
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--exe", default=shutil.which("ai-budget") or "ai-budget")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ai-budget-bench-home-"))
    env = bench_env(home, args.corpus)
    statusline_stdin = (SAMPLES / "statusline_stdin.json").read_bytes()
    commands = {
        "check": ([args.exe, "check", "--from-file", str(USAGE)], b""),
        "log": ([args.exe, "log", "--from-file", str(USAGE)], b""),
        "statusline": ([args.exe, "statusline"], statusline_stdin),
        "python -c pass": ([sys.executable, "-c", "pass"], b""),
    }
    try:
        once([args.exe, "init"], env)
        times: dict[str, list[float]] = {k: [] for k in commands}
        for round_ in range(args.runs + 1):
            for label, (cmd, stdin) in commands.items():
                took = once(cmd, env, stdin)
                if round_:
                    times[label].append(took)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"corpus {args.corpus}; {args.runs} alternated rounds; {os.cpu_count()} cores")
    medians = {k: statistics.median(v) * 1000 for k, v in times.items()}
    for label, ms in medians.items():
        print(f"  {label:<16} median {ms:7.0f} ms   (min {min(times[label]) * 1000:.0f})")
    if args.json:
        args.json.write_text(json.dumps(medians, indent=2))


if __name__ == "__main__":
    main()
