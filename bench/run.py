"""Benchmark `ai-budget tokens` against ccusage on a generated corpus; prints figures and ratios.

Usage: python bench/run.py [--profile dense|real] [--mb 200] [--corpus DIR] [--runs 5]
                           [--no-ccusage] [--ccusage PATH] [--json FILE] [--code DIR]

Generates the corpus with make_corpus.py when DIR has none (default: a folder under the system
temp dir named after the profile and size), finds ccusage 20.0.24 (--ccusage, else
bench/node_modules, else installs it there with npm), checks that both tools' totals match the
totals known by construction, then runs every command once per round, alternated, for --runs
rounds, so load from other jobs falls on all of them alike (the "touched" ones in rounds of
their own, after the others, as they change what the warm runs would replay):
  ccusage             ccusage daily --offline --json
  cold                ai-budget tokens --since 2000-01-01 --no-cache --json
  warm                ai-budget tokens --all --json, caches filled by an earlier run
  newest cold / warm  ai-budget tokens --json (the newest session), without / with the cache
  newest touched      the same, warm, just after the session file's mtime moved (a live session)
  session cold / warm ai-budget tokens --session ID --json (the biggest session)
  session touched     the same, warm, just after its file's mtime moved
  python -c pass
Wall and CPU times are medians; ratios (wall and CPU) are medians of each round's own ratio. Peak
resident memory of a cold run comes last.
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

HERE = Path(__file__).resolve().parent
CCUSAGE_VERSION = "20.0.24"
SINCE = "2000-01-01T00:00:00+00:00"


def once(cmd: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system, the child's) of one run, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def peak_rss_kb(cmd: list[str], env: dict[str, str], cwd: str) -> int:
    """Peak resident memory of one run, in KB (a fresh process via a wrapper; the larger of its two)."""
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *cmd], env=env, capture_output=True, text=True, cwd=cwd
    )
    return int(done.stdout.strip())


def ccusage_binary(given: Path | None) -> Path | None:
    """ccusage: the given one, bench/node_modules', or one installed there with npm."""
    if given is not None:
        return given
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


def corpus(path: Path, profile: str, mb: float) -> dict:
    """The corpus's expected.json, generating the corpus first when there is none."""
    if not (path / "expected.json").exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_corpus.py"), str(path), "--profile", profile, "--mb", str(mb)],
            check=True,
            capture_output=True,
        )
    return json.loads((path / "expected.json").read_text())


def sessions(root: Path) -> tuple[Path, Path]:
    """The biggest main session file (the slowest `--session`) and the newest one."""
    mains = [p for p in root.glob(".claude/projects/*/*.jsonl") if not p.name.startswith("agent-")]
    return max(mains, key=lambda p: p.stat().st_size), max(mains, key=lambda p: p.stat().st_mtime_ns)


def touch(path: Path) -> None:
    """A new mtime, same bytes: the file looks written to, as a live session's does."""
    # One microsecond later, not now: which session is the newest stays as it was.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))


def check_totals(expected: dict, ours: str, theirs: str | None) -> None:
    """Both tools' totals against the construction; stops the benchmark when one is off."""
    got = json.loads(ours)
    wrong = [k for k, v in expected["totals"].items() if got.get(k) != v]
    print(f"ai-budget totals match construction: {'yes' if not wrong else 'NO: ' + ', '.join(wrong)}")
    if wrong:
        sys.exit(1)
    if theirs is None:
        return
    totals = json.loads(theirs)["totals"]
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


Command = tuple[list[str], str, "Path | None"]


def ai_budget() -> list[str]:
    """The `ai-budget` console script beside this Python (what people run), else `python -m`."""
    # `python -m` imports runpy first: about 18 M instructions, 3-5 ms of a warm answer.
    script = Path(sys.executable).parent / "ai-budget"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ai_budget"]


def commands(session: Path, newest: Path, binary: Path | None) -> dict[str, Command]:
    """Label -> (command, which cache: none or warm, a file to touch first or None)."""
    ours = [*ai_budget(), "tokens"]
    found: dict[str, Command] = {}
    if binary is not None:
        found["ccusage"] = ([str(binary), "daily", "--offline", "--json"], "none", None)
    found["cold"] = ([*ours, "--since", SINCE, "--no-cache", "--json"], "none", None)
    found["warm"] = ([*ours, "--all", "--json"], "warm", None)
    found["newest cold"] = ([*ours, "--no-cache", "--json"], "none", None)
    found["newest warm"] = ([*ours, "--json"], "warm", None)
    found["newest touched"] = ([*ours, "--json"], "warm", newest)
    found["session cold"] = ([*ours, "--session", session.stem, "--no-cache", "--json"], "none", None)
    found["session warm"] = ([*ours, "--session", session.stem, "--json"], "warm", None)
    found["session touched"] = ([*ours, "--session", session.stem, "--json"], "warm", session)
    found["python -c pass"] = ([sys.executable, "-c", "pass"], "none", None)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", choices=["dense", "real"], default="dense")
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-ccusage", action="store_true")
    parser.add_argument("--ccusage", type=Path, help="a ccusage executable (else bench/node_modules')")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--code", type=Path, help="run this copy of ai_budget (its parent folder) instead")
    args = parser.parse_args()
    root = args.corpus or Path(tempfile.gettempdir()) / f"ai-budget-corpus-{args.profile}-{args.mb:g}"
    expected = corpus(root, args.profile, args.mb)
    cache = Path(tempfile.mkdtemp(prefix="ai-budget-bench-cache-"))
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(root / ".claude"), AI_BUDGET_CACHE_DIR=str(cache))
    if args.code:
        env["PYTHONPATH"] = str(args.code.resolve())
    # Byte code as an installed package has it (pip compiles on install), kept outside the tree:
    # with PYTHONDONTWRITEBYTECODE every run would compile every module again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "ai-budget-bench-pycache"))
    cold_env = dict(env, AI_BUDGET_CACHE_DIR=str(cache / "never-written"))
    where = tempfile.gettempdir()  # no project's folder: the newest session anywhere
    binary = None if args.no_ccusage else ccusage_binary(args.ccusage)
    print(
        f"corpus: {root} ({expected.get('profile', 'dense')}), {expected['files']} files, "
        f"{expected['bytes'] / 1e6:.0f} MB, {expected['totals']['exchanges']:,} API calls; "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; {args.runs} alternated rounds"
    )
    ours_all = [*ai_budget(), "tokens", "--all", "--json"]
    # Everything runs in `where`: in the repository, `python -m` would import the tree's code
    # ahead of --code's.
    _, _, out = once(ours_all, env, cwd=where)  # fills the caches the warm runs use
    theirs = once([str(binary), "daily", "--offline", "--json"], env, cwd=where)[2] if binary else None
    check_totals(expected, out, theirs)
    _, _, warm_out = once(ours_all, env, cwd=where)
    if json.loads(warm_out)["total_tokens"] != expected["totals"]["total_tokens"]:
        sys.exit("warm totals differ from construction")
    session, newest = sessions(root)
    table = commands(session, newest, binary)
    walls: dict[str, list[float]] = {k: [] for k in table}
    cpus: dict[str, list[float]] = {k: [] for k in table}
    # The touched ones last: a touched file is a changed question for every warm run after it.
    for phase in (False, True):
        for _ in range(args.runs):
            for label, (cmd, which, first) in table.items():
                if (first is not None) != phase:
                    continue
                if first is not None:
                    touch(first)
                wall, cpu, _ = once(cmd, env if which == "warm" else cold_env, cwd=where)
                walls[label].append(wall)
                cpus[label].append(cpu)
    rss_cold = peak_rss_kb(table["cold"][0], cold_env, where)
    report(args, expected, walls, cpus, rss_cold)
    shutil.rmtree(cache, ignore_errors=True)


def report(
    args: argparse.Namespace,
    expected: dict,
    walls: dict[str, list[float]],
    cpus: dict[str, list[float]],
    rss_cold: int,
) -> None:
    """The medians, the ratios to ccusage, and peak memory."""
    print(f"\n  {'':<16} {'wall ms':>9} {'cpu ms':>9}   (medians)")
    for label in walls:
        wall, cpu = statistics.median(walls[label]) * 1000, statistics.median(cpus[label]) * 1000
        print(f"  {label:<16} {wall:9.0f} {cpu:9.0f}")
    figures: dict = {
        "profile": expected.get("profile", "dense"),
        "mb": expected["bytes"] / 1e6,
        "files": expected["files"],
        "wall_ms": {k: statistics.median(v) * 1000 for k, v in walls.items()},
        "cpu_ms": {k: statistics.median(v) * 1000 for k, v in cpus.items()},
        "peak_rss_mb": rss_cold / 1024,
    }
    if "ccusage" in walls:
        print(f"\n  {'':<22} {'wall':>7} {'cpu':>7}   (medians of each round's ratio)")
        targets = {"cold": 0.8, "warm": 0.05}  # issue 24: cold <= 0.8x in wall and CPU, warm <= 0.05x
        for label in ("cold", "warm", "newest cold", "newest warm", "session cold", "session warm"):
            if label not in walls:
                continue
            ratio = _ratio(walls[label], walls["ccusage"])
            cpu_ratio = _ratio(cpus[label], cpus["ccusage"])
            figures.setdefault("ratio", {})[label] = ratio
            figures.setdefault("cpu_ratio", {})[label] = cpu_ratio
            target = f"(target <= {targets[label]}x)" if label in targets else ""
            print(f"  {label + ' / ccusage':<22} {ratio:6.3f}x {cpu_ratio:6.3f}x {target}")
    print(
        f"\n  peak RSS, cold all time  {rss_cold / 1024:5.1f} MB  (corpus {expected['bytes'] / 1e6:.0f} MB)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def _ratio(ours: list[float], base: list[float]) -> float:
    """The median of each round's ratio (ours over the yardstick's, run in the same round)."""
    return statistics.median(o / b for o, b in zip(ours, base, strict=True))


if __name__ == "__main__":
    main()
