"""Final answers of `ai-budget tokens`, kept per question and file list, replayed while nothing changed."""

# A warm all-time query would otherwise load every file's summary (every message id of years
# of transcripts) to print the same numbers again. The key is the question (the arguments, the
# working directory, the environment and time zone they are read in, the code that answers);
# the answer is kept with a digest of every transcript's (path, size, mtime, mode, owner), so
# listing the files with os.scandir is all a repeated question costs. Only absolute questions
# are kept: a relative `--since 5h` moves with the clock. Stdlib only, and no typing or pathlib:
# the whole warm answer should cost little more than the interpreter's start.

from __future__ import annotations

import gc
import marshal
import os
import sys
import time

TYPE_CHECKING = False  # not typing's: a warm answer imports nothing it does not use
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TextIO

try:  # the C module alone: hashlib would load OpenSSL first, a few ms of a warm answer
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b

VERSION = 1
KEEP = 64  # answers kept; the oldest go first
FLAGS = {"--all", "--json", "--no-subagents", "--utc", "--list"}
VALUED = {"--session", "--since", "--until", "--by"}
TIMES = {"--since", "--until"}
ENV_NAMES = {"HOME", "TZ", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "COLUMNS", "LINES", "LANG", "TERM"}
ENV_PREFIXES = ("AI_BUDGET_", "CLAUDE_", "XDG_", "LC_")
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _absolute(value: str) -> bool:
    """Whether a --since/--until value names a fixed moment (an ISO date), not a span back from now."""
    value = value.strip()
    return len(value) >= 10 and value[:4].isdigit() and value[4] == "-"


def cacheable(argv: list[str]) -> bool:
    """Whether the answer to `tokens ARGV` depends only on the files and the key's environment."""
    rest = iter(argv)
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name in FLAGS and not eq:
            continue
        if name not in VALUED:
            return False  # --no-cache, --help, anything new: answered afresh
        if not eq:
            value = next(rest, "")
            if not value or value.startswith("-"):
                return False
        if name in TIMES and not _absolute(value):
            return False
    return True


def _claude_roots() -> list[str]:
    """Every folder whose transcripts could be read: a superset of the CLI's Claude dirs."""
    env = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    home = os.path.expanduser("~")
    if env:
        dirs = [os.path.abspath(os.path.expanduser(p.strip())) for p in env.split(",") if p.strip()]
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        dirs = [os.path.join(home, ".claude"), os.path.join(xdg, "claude")]
    roots = [os.path.join(d, "projects") for d in dirs]
    roots += [d for d in dirs if os.path.basename(d) == "projects"]  # the projects folder itself
    return roots


def _listing(root: str, out: list[tuple[object, ...]]) -> None:
    """(path, size, mtime, mode, owner) of every `*.jsonl` under root, as os.walk would find them."""
    try:
        entries = list(os.scandir(root))
    except OSError as err:
        out.append((root, "unlistable", err.errno))
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _listing(entry.path, out)
                continue
            if not entry.name.endswith(".jsonl"):
                continue
            st = entry.stat()
        except OSError:
            out.append((entry.path, "unreadable"))
            continue
        out.append((entry.path, st.st_size, st.st_mtime_ns, st.st_mode, st.st_uid))


def files_digest() -> bytes:
    """A digest of every transcript file's identity: it changes whenever an answer could."""
    # Tuples marshalled, not text: formatting thousands of 19-digit mtimes cost more than the
    # stat calls (callgrind); the cyclic GC, set off by all those tuples, is paused meanwhile.
    out: list[tuple[object, ...]] = []
    gc.disable()
    try:
        for root in _claude_roots():
            if os.path.isdir(root):
                _listing(root, out)
    finally:
        gc.enable()
    return blake2b(marshal.dumps(out), digest_size=20).digest()


def _code() -> list[str]:
    """The answering code and price list (size, mtime of each file): a new version answers afresh."""
    out: list[str] = []
    stack = [PACKAGE]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(entry.path)
            elif entry.name.endswith((".py", ".json")):
                st = entry.stat()
                out.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}")
    return out


def _price_files() -> list[object]:
    """(size, mtime) of the files prices are read from besides the code: budget.json, `prices update`'s."""
    # As paths.journal_home and paths.state_dir find them, without importing them.
    home = os.path.expanduser(os.environ.get("AI_BUDGET_HOME") or os.path.join("~", ".ai-budget"))
    xdg = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    state = os.environ.get("AI_BUDGET_STATE_DIR") or os.path.join(xdg, "ai-budget")
    found: list[object] = []
    for path in (os.path.join(home, "budget.json"), os.path.join(os.path.expanduser(state), "prices.json")):
        try:
            st = os.stat(path)
            found.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            found.append((path, None))
    return found


def question_key(argv: list[str]) -> str:
    """A file name for the question `tokens ARGV` asked here and now (but for the files)."""
    env = sorted((k, v) for k, v in os.environ.items() if k in ENV_NAMES or k.startswith(ENV_PREFIXES))
    tty = sys.stdout.isatty()
    try:
        width = os.get_terminal_size().columns if tty else 0
    except OSError:
        width = 0
    try:
        zone = os.stat("/etc/localtime")
        zone_id = (zone.st_ino, zone.st_mtime_ns)
    except OSError:
        zone_id = (0, 0)
    local = time.localtime()
    key = (
        VERSION,
        argv,
        os.getcwd(),
        env,
        tty,
        width,
        time.tzname,
        time.timezone,
        time.altzone,
        local.tm_gmtoff,
        zone_id,
        sorted(_code()),
        _price_files(),
    )
    return blake2b(marshal.dumps(repr(key)), digest_size=20).hexdigest()


def _cache_dir() -> str:
    """Where answers are kept: beside the transcript index (same rules as paths.cache_dir)."""
    env = os.environ.get("AI_BUDGET_CACHE_DIR")
    if env:
        base = os.path.abspath(os.path.expanduser(env))
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = os.path.join(
            os.path.expanduser(xdg) if xdg else os.path.join(os.path.expanduser("~"), ".cache"), "ai-budget"
        )
    return os.path.join(base, f"answers-v{VERSION}")


class _Tee:
    """A text stream that passes everything on and keeps what was written."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        if isinstance(text, str):
            self.parts.append(text)
        return self.stream.write(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self.stream, name)


class Answers:
    """One cacheable `tokens` question: replay its kept answer, or record the one about to be printed."""

    def __init__(self, argv: list[str]):
        self.folder = _cache_dir()
        self.path = os.path.join(self.folder, question_key(argv) + ".marshal")
        # Taken before anything is read: a file written meanwhile makes the next run answer afresh.
        self.files = files_digest()

    @classmethod
    def of(cls, argv: list[str]) -> Answers | None:
        """The question `tokens ARGV`, or None when its answer may not be kept."""
        return cls(argv) if cacheable(argv) else None

    def replay(self) -> bool:
        """Print the kept answer when the files are as they were; whether it did."""
        try:
            with open(self.path, "rb") as handle:
                files, text = marshal.load(handle)
        except (OSError, EOFError, ValueError, TypeError):
            return False
        if files != self.files or not isinstance(text, str):
            return False
        sys.stdout.write(text)
        sys.stdout.flush()
        return True

    def record(self, run: Callable[[], object]) -> None:
        """Run the CLI (`run()`), keeping what it prints when it ends well and says nothing on stderr."""
        out, err = _Tee(sys.stdout), _Tee(sys.stderr)
        sys.stdout, sys.stderr = out, err
        ok = False
        try:
            run()
            ok = True
        except SystemExit as done:
            ok = done.code in (0, None)
            raise
        finally:
            sys.stdout, sys.stderr = out.stream, err.stream
            if ok and not err.parts:
                self._keep("".join(out.parts))

    def _keep(self, text: str) -> None:
        """Write the answer atomically; drop the oldest when more than KEEP are kept."""
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            with open(tmp, "wb") as handle:
                marshal.dump((self.files, text), handle)
            os.replace(tmp, self.path)
            kept = sorted(os.scandir(self.folder), key=lambda e: e.stat().st_mtime_ns)
            for entry in kept[:-KEEP]:
                os.unlink(entry.path)
        except OSError:
            pass  # an answer that cannot be kept only costs time next run
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
