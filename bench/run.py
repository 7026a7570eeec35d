"""Benchmark `ai-budget tokens` against ccusage on a generated corpus; prints figures and ratios.

Usage: python bench/run.py [--corpus DIR] [--mb 200] [--runs 5] [--no-ccusage]

Generates the corpus with make_corpus.py when DIR has none, installs ccusage 20.0.24 with npm
into bench/node_modules when it is missing, then times (median of --runs, wall clock):
  ccusage cold      ccusage daily --offline --json
  ai-budget cold    ai-budget tokens --all --no-cache --json (and again with stdlib json)
  ai-budget warm    the same with the per-file cache filled by a previous run
  newest session    ai-budget tokens --json (no cache)
  --help            ai-budget --help, against python -c pass
and checks that both tools' totals match the totals known by construction.
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

HERE = Path(__file__).resolve().parent
CCUSAGE_VERSION = "20.0.24"


def timed(cmd: list[str], env: dict[str, str], runs: int, cwd: str | None = None) -> tuple[float, str]:
    """Median wall time of `runs` runs, and the last run's stdout."""
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
        out = done.stdout
    return statistics.median(times), out


def peak_rss_kb(cmd: list[str], env: dict[str, str]) -> int:
    """Peak resident memory of one run, in KB (a fresh process via a wrapper)."""
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", code, *cmd], env=env, capture_output=True, text=True)
    return int(done.stdout.strip())


def ccusage_binary() -> Path | None:
    binary = HERE / "node_modules" / ".bin" / "ccusage"
    if binary.exists():
        return binary
    if shutil.which("npm") is None:
        return None
    subprocess.run(
        ["npm", "install", "--no-save", "--prefix", str(HERE), f"ccusage@{CCUSAGE_VERSION}"],
        check=True,
        capture_output=True,
    )
    return binary if binary.exists() else None


def corpus(path: Path, mb: float) -> dict:
    if not (path / "expected.json").exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_corpus.py"), str(path), "--mb", str(mb)],
            check=True,
            capture_output=True,
        )
    return json.loads((path / "expected.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus")
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-ccusage", action="store_true")
    args = parser.parse_args()

    expected = corpus(args.corpus, args.mb)
    cache = Path(tempfile.mkdtemp(prefix="ai-budget-bench-cache-"))
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(args.corpus / ".claude"), AI_BUDGET_CACHE_DIR=str(cache))
    ours = [sys.executable, "-m", "ai_budget"]
    print(
        f"corpus: {expected['files']} files, {expected['bytes'] / 1e6:.0f} MB, "
        f"{expected['totals']['exchanges']:,} API calls; {os.cpu_count()} cores; median of {args.runs}"
    )

    cold, out = timed([*ours, "tokens", "--all", "--no-cache", "--json"], env, args.runs)
    got = json.loads(out)
    wrong = [k for k, v in expected["totals"].items() if got.get(k) != v]
    print(f"ai-budget totals match construction: {'yes' if not wrong else 'NO: ' + ', '.join(wrong)}")

    # The same cold run with orjson hidden, so the standard library's json parses instead.
    no_orjson = [
        sys.executable,
        "-c",
        "import runpy, sys; sys.modules['orjson'] = None; "
        "sys.argv = ['ai-budget', *sys.argv[1:]]; runpy.run_module('ai_budget', run_name='__main__')",
    ]
    stdlib_cold, _ = timed([*no_orjson, "tokens", "--all", "--no-cache", "--json"], env, args.runs)
    subprocess.run([*ours, "tokens", "--all", "--json"], env=env, capture_output=True, check=True)
    warm, _ = timed([*ours, "tokens", "--all", "--json"], env, args.runs)
    newest, _ = timed([*ours, "tokens", "--no-cache", "--json"], env, args.runs, cwd=tempfile.gettempdir())
    bare, _ = timed([sys.executable, "-c", "pass"], env, args.runs * 2)
    helped, _ = timed([*ours, "--help"], env, args.runs * 2)
    rss = peak_rss_kb([*ours, "tokens", "--all", "--no-cache", "--json"], env)

    rows = [
        ("ai-budget cold (all time, --no-cache)", cold),
        ("ai-budget cold, stdlib json instead of orjson", stdlib_cold),
        ("ai-budget warm (cache filled)", warm),
        ("ai-budget newest session (no cache)", newest),
        ("ai-budget --help", helped),
        ("python -c pass", bare),
    ]
    base = None
    binary = None if args.no_ccusage else ccusage_binary()
    if binary is not None:
        base, out = timed([str(binary), "daily", "--offline", "--json"], env, args.runs)
        totals = json.loads(out)["totals"]
        t = expected["totals"]
        agree = (
            totals["inputTokens"],
            totals["outputTokens"],
            totals["cacheReadTokens"],
            totals["cacheCreationTokens"],
        ) == (
            t["input_tokens"],
            t["output_tokens"],
            t["cache_read_input_tokens"],
            t["cache_creation_input_tokens"],
        )
        print(f"ccusage {CCUSAGE_VERSION} totals match construction: {'yes' if agree else 'NO'}")
        rows.insert(0, (f"ccusage {CCUSAGE_VERSION} daily --offline --json", base))
    else:
        print("ccusage: not run (no npm, or --no-ccusage)")
    print()
    for label, seconds in rows:
        print(f"  {label:<42} {seconds * 1000:7.0f} ms")
    print()
    if base:
        print(f"  cold / ccusage          {cold / base:5.2f}x   (target <= 1.0x)")
        print(f"  warm / ccusage          {warm / base:5.2f}x   (target <= 0.2x)")
    print(f"  orjson / stdlib json    {cold / stdlib_cold:5.2f}x   (cold, all time)")
    print(f"  newest session          {newest:5.2f} s   (target < 0.5 s)")
    print(f"  --help - python         {(helped - bare) * 1000:5.0f} ms  (target <= 150 ms)")
    print(f"  peak RSS, cold all time {rss / 1024:5.1f} MB  (corpus {expected['bytes'] / 1e6:.0f} MB)")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
