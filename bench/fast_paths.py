"""Every figure the user waits for, each beside its yardstick, in one run.

Usage: python bench/fast_paths.py [--runs 15] [--corpus DIR] [--exe PATH] [--json FILE]

A fresh temporary HOME gets a journal (`ai-budget init`) and a statusline feed. Each round runs, alternated
so machine noise falls on all of them: `python -c pass` (the yardstick), `hook prompt`, `hook session-start`
(source `startup`, a new session id each round), `statusline` and, with --corpus (a tree made by
bench/make_corpus.py, used as the Claude dir), `check --json` (its fast path), `check --from-file` (its
full path) and `log`. The first round (caches filled) is not
counted. Prints medians of wall time, each hook's and the statusline's excess over the interpreter with its
target, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commands import SAMPLES, USAGE, bench_env, timed  # noqa: E402

# Excess over `python -c pass` the issue sets (ms), and absolute targets for check and log.
OVER_INTERPRETER = {"hook prompt": 50, "hook session-start": 150, "statusline": 30}
ABSOLUTE = {"check": 150, "log": 300}


def commands(exe: str, corpus: bool) -> dict[str, tuple[list[str], bytes]]:
    statusline_stdin = (SAMPLES / "statusline_stdin.json").read_bytes()
    found = {
        "python -c pass": ([sys.executable, "-c", "pass"], b""),
        "hook prompt": ([exe, "hook", "prompt"], json.dumps({"prompt": "go"}).encode()),
        "hook session-start": ([exe, "hook", "session-start"], b""),  # stdin set per round
        "statusline": ([exe, "statusline"], statusline_stdin),
    }
    if corpus:
        # `check` as the /budget-check skill runs it, the windows from the statusline feed just written:
        # the fast path, from the basis the previous round's `log` kept. With --from-file it always takes
        # the full path (shown for comparison; the first check after a change to the journal costs that).
        found["check"] = ([exe, "check", "--json"], b"")
        found["check (full path)"] = ([exe, "check", "--from-file", str(USAGE)], b"")
        found["log"] = ([exe, "log", "--from-file", str(USAGE)], b"")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--corpus", type=Path, help="a bench/make_corpus.py tree: also time check and log")
    parser.add_argument("--exe", default=shutil.which("ai-budget") or "ai-budget")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="ai-budget-bench-home-"))
    claude = args.corpus if args.corpus else home / "corpus"
    (claude / ".claude" / "projects").mkdir(parents=True, exist_ok=True)
    env = bench_env(home, claude)
    todo = commands(args.exe, args.corpus is not None)
    try:
        timed([args.exe, "init"], env)
        timed(todo["statusline"][0], env, todo["statusline"][1])  # the feed the hooks read
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in todo}
        for round_ in range(args.runs + 1):
            for label, (cmd, stdin) in todo.items():
                if label == "hook session-start":
                    event = {"session_id": f"bench-{round_}", "source": "startup"}
                    stdin = json.dumps(event | {"hook_event_name": "SessionStart"}).encode()
                wall, cpu = timed(cmd, env, stdin)
                if round_:
                    times[label].append((wall * 1000, cpu * 1000))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report(args, times)


def report(args: argparse.Namespace, times: dict[str, list[tuple[float, float]]]) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.runs} alternated rounds; {os.cpu_count()} cores; load average {load}")
    print("  (CPU = user + system of the process and its children: less sensitive to the load than wall)")
    wall_base = statistics.median(w for w, _ in times["python -c pass"])
    cpu_base = statistics.median(c for _, c in times["python -c pass"])
    figures = {}
    for label, runs in times.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        figures[label] = {
            "wall_median_ms": wall,
            "cpu_median_ms": cpu,
            "wall_min_ms": min(w for w, _ in runs),
        }
        goal = ""
        if label in OVER_INTERPRETER:
            target = OVER_INTERPRETER[label]
            over, over_cpu = wall - wall_base, cpu - cpu_base
            verdict = "met" if over <= target else "NOT met"
            goal = f"  +{over:4.0f} wall, +{over_cpu:4.0f} CPU over python (target <= {target}: {verdict})"
        elif label in ABSOLUTE:
            target = ABSOLUTE[label]
            goal = f"  (target <= {target} ms: {'met' if wall <= target else 'NOT met'})"
        print(f"  {label:<20} wall {wall:5.0f} ms  CPU {cpu:5.0f} ms{goal}")
    if args.json:
        args.json.write_text(json.dumps({"load": os.getloadavg(), "figures": figures}, indent=2))


if __name__ == "__main__":
    main()
