"""Time `ai-budget check` on a journal with many session commits (limit detection reads them) and a corpus.

Usage: python bench/check_history.py --corpus DIR [--sessions 300] [--runs 11] [--exe PATH] [--detector]

A fresh temporary HOME gets a journal (`EXE init`) and SESSIONS session commits made with git
directly (the trailers `log` writes: Session-Start, Five-Hour-Delta, Output-Tokens, Calibration),
one every six hours back from now. CLAUDE_CONFIG_DIR points at the corpus, usage comes from a file,
the endpoint is a closed port. The first `check` (the rollup backfill, caches filled) is timed on its
own; then RUNS checks, each adding its own commit as a user's would. `--detector` also times, in this
process (the tree's ai_budget), reading the history and running the limit detector on that journal.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from commands import bench_env, once


def sessions(journal: Path, count: int, env: dict[str, str]) -> None:
    """COUNT session commits, oldest first, with a file change each (as `log` makes them)."""
    rng = random.Random(12)
    now = datetime.now(timezone.utc)
    units = 0
    for n in range(count):
        start = now - timedelta(hours=6 * (count - n))
        delta = rng.choice([3.0, 6.0, 9.0, 12.0, 18.0])
        tokens = int(delta * rng.uniform(4000, 6000))
        units += 4
        note = journal / "sessions" / f"{start:%Y-%m-%d}.md"
        note.parent.mkdir(exist_ok=True)
        with note.open("a") as handle:
            handle.write(f"## Session {start:%Y-%m-%d %H:%M}\n\nflashcard ×4\n\n")
        message = (
            f"session {start:%Y-%m-%d %H:%M}: flashcard ×4, 5h +{delta}%\n\n"
            f"Session-Start: {start.isoformat()}\nFive-Hour-Delta: {delta}\nSeven-Day-Delta: 1.0\n"
            f"Output-Tokens: {tokens}\nCost-USD: 0.5000\nTasks: flashcard=4\n"
            f"Calibration: flashcard samples={n + 1} units={units} pct_per_unit=2.0000 tokens_per_unit=-\n"
        )
        stamp = {"GIT_AUTHOR_DATE": start.isoformat(), "GIT_COMMITTER_DATE": start.isoformat()}
        subprocess.run(["git", "add", "-A"], cwd=journal, env=env, check=True)
        subprocess.run(
            ["git", "commit", "-q", "-F", "-"],
            cwd=journal,
            env={**env, **stamp},
            input=message.encode(),
            check=True,
        )


def usage_file(folder: Path) -> Path:
    """A usage response whose windows reset in the future."""
    now = datetime.now(timezone.utc)
    path = folder / "usage.json"
    path.write_text(
        json.dumps(
            {
                "five_hour": {"utilization": 20.0, "resets_at": (now + timedelta(hours=3)).isoformat()},
                "seven_day": {"utilization": 30.0, "resets_at": (now + timedelta(days=3)).isoformat()},
            }
        )
    )
    return path


def detector(journal: Path, runs: int) -> dict[str, list[float]]:
    """Seconds to read the history and run the detector, in this process: all of it, and what check reads."""
    from ai_budget.journal.journal import Journal
    from ai_budget.session import limits

    j = Journal.open(journal)
    budget = j.read_budget()
    ways = {"whole history": limits.read_history, "check's": lambda j: limits.recent_history(j, budget)}
    took: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(runs):
        for name, read in ways.items():
            start = time.perf_counter()
            limits.review(budget, read(j))
            took[name].append(time.perf_counter() - start)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--exe", default=shutil.which("ai-budget") or "ai-budget")
    parser.add_argument("--detector", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ai-budget-bench-history-"))
    env = bench_env(home, args.corpus.resolve())
    once([args.exe, "init"], env)
    once([args.exe, "calibration", "add", "flashcard", "--unit", "per card"], env)
    journal = home / ".ai-budget"
    sessions(journal, args.sessions, env)
    usage = usage_file(home)
    first = once([args.exe, "check", "--from-file", str(usage)], env)
    took = [once([args.exe, "check", "--from-file", str(usage)], env) for _ in range(args.runs)]
    print(f"{args.exe}: {args.sessions} session commits, corpus {args.corpus}")
    print(f"  first check (backfill): {first * 1000:.0f} ms")
    print(
        f"  check: median {statistics.median(took) * 1000:.0f} ms, min {min(took) * 1000:.0f} ms"
        f" over {args.runs} runs"
    )
    if args.detector:
        for name, d in detector(journal, args.runs).items():
            print(
                f"  {name} + detector in-process: median {statistics.median(d) * 1000:.1f} ms,"
                f" min {min(d) * 1000:.1f} ms"
            )
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
