"""Time `ai-budget check`, `log` and `statusline` with a corpus as the Claude dir; prints medians.

Usage: python bench/commands.py --corpus DIR [--runs 9] [--exe PATH]

A fresh temporary HOME gets a journal (`ai-budget init`); CLAUDE_CONFIG_DIR points at the corpus,
the usage endpoint at a closed port and usage comes from the sample response (`--from-file`),
so nothing leaves the machine. Each round runs `check`, `log` (no items), `statusline` (the sample
stdin) and `python -c pass`, alternated; the first round (caches filled) is not counted. Prints the
median and the minimum of wall and CPU time (user + system, children such as git included) and the
load average at the end.
Targets: check <= 0.15 s and log <= 0.3 s on a 1 GB corpus; the statusline within 50 ms of
`python -c pass` (bench/statusline.py measures it on its own).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The test fixtures: the benches read nothing outside the repository.
SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
USAGE = SAMPLES / "api" / "anthropic_oauth_usage_normal.json"


def once(cmd: list[str], env: dict[str, str], stdin: bytes = b"") -> float:
    """Wall seconds of one run (it must succeed)."""
    return timed(cmd, env, stdin)[0]


def timed(cmd: list[str], env: dict[str, str], stdin: bytes = b"") -> tuple[float, float]:
    """Wall and CPU seconds (user + system, its children included) of one run (it must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, input=stdin, env=env, capture_output=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr.decode(errors='replace').strip()}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return took, cpu


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
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
        for round_ in range(args.runs + 1):
            for label, (cmd, stdin) in commands.items():
                took = timed(cmd, env, stdin)
                if round_:
                    times[label].append(took)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"corpus {args.corpus}; {args.runs} alternated rounds; {os.cpu_count()} cores; load average {load}")
    figures = {}
    for label, runs in times.items():
        wall, cpu = [w * 1000 for w, _ in runs], [c * 1000 for _, c in runs]
        figures[label] = {
            "wall_median": statistics.median(wall),
            "wall_min": min(wall),
            "cpu_median": statistics.median(cpu),
            "cpu_min": min(cpu),
        }
        f = figures[label]
        print(
            f"  {label:<16} wall median {f['wall_median']:5.0f} ms (min {f['wall_min']:4.0f})"
            f"   CPU median {f['cpu_median']:5.0f} ms (min {f['cpu_min']:4.0f})"
        )
    if args.json:
        args.json.write_text(json.dumps({"load": os.getloadavg(), "figures": figures}, indent=2))


if __name__ == "__main__":
    main()
