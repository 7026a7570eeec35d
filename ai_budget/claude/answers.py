"""Final answers of `ai-budget tokens`, kept per question and file list, replayed while nothing changed."""

# A warm all-time query would otherwise load every file's summary (every message id of years
# of transcripts) to print the same numbers again. The key is the question (the arguments, the
# working directory, the environment and time zone they are read in, the code that answers);
# the answer is kept with a digest of every transcript's and folder's identity (size, mtime,
# inode, mode...) and their paths, so one stat a path is all a repeated question costs: a file
# added or removed moves its folder's mtime, and only folders that changed moments before the
# walk are listed again. Only absolute questions are kept: a relative `--since 5h` moves with
# the clock. Stdlib only, and no typing or pathlib: the whole warm answer should cost little
# more than the interpreter's start.

import gc
import marshal
import os
import sys
import time
from stat import S_ISDIR  # loaded with os already

TYPE_CHECKING = False  # not typing's: a warm answer imports nothing it does not use
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TextIO

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
# A folder's mtime has the clock's tick (milliseconds) or its file system's granularity (up to 2 s):
# one changed less than this before the walk is listed again at every replay, not only stat'ed.
SETTLE_NS = 5_000_000_000
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


def _fields(st: os.stat_result) -> tuple[int, ...]:
    """What a change to a file or folder moves: its size, mtime, ctime, inode, mode and owner."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode, st.st_uid)


def _identity(path: str) -> tuple[int, ...]:
    """The path's fields, or its errno when it cannot be stat'ed (a folder not made yet)."""
    try:
        return _fields(os.stat(path))  # follows a symlink, as the transcripts' walk does
    except OSError as err:
        return (err.errno or 0,)


def _digest(value: "list[Any]") -> "blake2b":
    """A hash of value's marshal form (version 2: no back-references, so equal values give equal bytes)."""
    # Marshalled, not formatted: formatting thousands of 19-digit mtimes cost more than the
    # stat calls (callgrind).
    return blake2b(marshal.dumps(value, 2), digest_size=20)


class Listing:
    """Every Claude folder and the `*.jsonl` in them: their paths, and a digest of their identities."""

    def __init__(self, paths: list[str], digest: bytes, settled: bool):
        self.paths = paths
        self.digest = digest
        # Whether no folder could have changed unseen: then stat'ing the paths again tells
        # whether anything changed, without listing a folder.
        self.settled = settled

    @classmethod
    def take(cls) -> "Listing":
        """Walk every Claude folder, as the transcripts' walk would."""
        paths: list[str] = []
        identities: list[tuple[int, ...]] = []
        settled_before = time.time_ns() - SETTLE_NS
        settled = True
        gc.disable()  # thousands of tuples would set off the cyclic GC for nothing
        try:
            for root in _claude_roots():
                settled = _walk(root, paths, identities, settled_before) and settled
            return cls(paths, _digest(identities).digest(), settled)
        finally:
            gc.enable()

    def unchanged(self) -> bool:
        """Whether every path and identity is as when this listing was taken."""
        if not self.settled:
            again = Listing.take()
            return again.paths == self.paths and again.digest == self.digest
        gc.disable()
        try:
            return _digest([_identity(path) for path in self.paths]).digest() == self.digest
        finally:
            gc.enable()


def _walk(folder: str, paths: list[str], identities: list[tuple[int, ...]], settled_before: int) -> bool:
    """The folder, then its `*.jsonl` and subfolders; whether every folder had settled."""
    paths.append(folder)
    try:
        st = os.stat(folder)  # before the listing: an entry added after it moves this mtime
    except OSError as err:
        identities.append((err.errno or 0,))
        return True
    identities.append(_fields(st))
    if not S_ISDIR(st.st_mode):
        return True
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False  # only a new walk can tell whether it can be listed now
    # A folder changed this recently could change again within its mtime's granularity and
    # keep the same mtime: its identity alone cannot vouch for its entries.
    settled = st.st_mtime_ns < settled_before
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            settled = _walk(entry.path, paths, identities, settled_before) and settled
        elif entry.name.endswith(".jsonl"):
            paths.append(entry.path)
            identities.append(_identity(entry.path))
    return settled


def _code() -> list[tuple[str, int, int]]:
    """The answering code and price list (size, mtime of each file): a new version answers afresh."""
    out: list[tuple[str, int, int]] = []
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
                out.append((entry.path, st.st_size, st.st_mtime_ns))
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
    key = [
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
    ]
    return _digest(key).hexdigest()


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

    def __init__(self, stream: "TextIO"):
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

    @classmethod
    def of(cls, argv: list[str]) -> "Answers | None":
        """The question `tokens ARGV`, or None when its answer may not be kept."""
        return cls(argv) if cacheable(argv) else None

    def replay(self) -> bool:
        """Print the kept answer when the files are as they were; whether it did."""
        try:
            with open(self.path, "rb") as handle:
                # loads, not load: marshal.load reads a file object one small read a value.
                paths, digest, settled, text = marshal.loads(handle.read())
            if not isinstance(text, str) or not Listing(paths, digest, settled).unchanged():
                return False
        except (OSError, EOFError, ValueError, TypeError):  # not an answer this code kept
            return False
        sys.stdout.write(text)
        sys.stdout.flush()
        return True

    def record(self, run: "Callable[[], object]") -> None:
        """Run the CLI (`run()`), keeping what it prints when it ends well and says nothing on stderr."""
        # Taken before anything is read: a file written meanwhile makes the next run answer afresh.
        listing = Listing.take()
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
                self._keep(listing, "".join(out.parts))

    def _keep(self, listing: Listing, text: str) -> None:
        """Write the answer atomically; drop the oldest when more than KEEP are kept."""
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            with open(tmp, "wb") as handle:
                marshal.dump((listing.paths, listing.digest, listing.settled, text), handle)
            os.replace(tmp, self.path)
            kept = sorted(os.scandir(self.folder), key=lambda e: e.stat().st_mtime_ns)
            for entry in kept[:-KEEP]:
                os.unlink(entry.path)
        except OSError:
            pass  # an answer that cannot be kept only costs time next run
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
