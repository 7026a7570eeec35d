"""Files written whole or not at all, and the lock that serialises ai-budget processes."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ai_budget.errors import BadText, JournalBusy
from ai_budget.redact import scrub

TYPE_CHECKING = False  # typing's own costs every hook milliseconds of start-up
if TYPE_CHECKING:
    from typing import Any

LOCK_TIMEOUT_S = 30.0
LOCK_NOTICE_S = 1.0  # after this long, say why nothing is happening


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` so a reader sees the old file or the new one, never half."""
    data = content.encode("utf-8", errors="replace") if isinstance(content, str) else content
    # `.NAME.XXXXXXXX.tmp` beside the file (what crash recovery sweeps up); tempfile costs start-up time.
    tmp = str(path.parent / f".{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        # Name the file being written, not the temp file beside it (or nothing at all).
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def overwrite_in_place(path: Path, data: bytes) -> None:
    """Put bytes back into a file without a temp file (a rollback on a full disk has no room for one)."""
    with open(path, "r+b" if path.exists() else "wb") as handle:
        handle.truncate(0)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def read_json(path: Path) -> dict[str, Any] | None:
    """A small JSON object kept by ai-budget (cache, backoff), or None if missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a small JSON object atomically, in a private folder."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # An answer that echoes a token (a proxy, an error page) must not keep it on disk.
    write_atomic(path, scrub(json.dumps(data, indent=1)) + "\n")


@contextlib.contextmanager
def locked(lock_path: Path, timeout: float = LOCK_TIMEOUT_S, quiet: bool = False) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (another process waits, up to `timeout` s; `quiet`: a hook,
    which must print nothing, does not say that it waits)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        start = time.monotonic()
        told = False
        while not _try_lock(handle):
            waited = time.monotonic() - start
            if not told and not quiet and waited >= LOCK_NOTICE_S:
                print(f"waiting for another ai-budget to finish with {lock_path.parent} …", file=sys.stderr)
                told = True
            if waited > timeout:
                raise JournalBusy(
                    f"another ai-budget is still working on the journal ({lock_path}): "
                    "wait for it to finish and run the command again"
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(handle)


try:
    import fcntl

    def _try_lock(handle: Any) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

except ImportError:  # Windows
    import msvcrt

    def _try_lock(handle: Any) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


def read_text(path: Path) -> str | None:
    """A text file of the user's, or None when it does not exist; bad UTF-8 is one clear error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadText(
            f"{path} is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}): "
            "fix that byte in an editor, or restore the file from the journal's git history"
        ) from None


def unwritable(path: Path) -> str | None:
    """Why `path` could not be written (replaced, or created with its folders), or None when it can.
    A read-only file (no owner write bit) counts as unwritable even for root, who could replace it:
    a user who made it read-only meant it."""
    try:
        if path.exists() or path.is_symlink():
            real = path.resolve()
            if not real.is_file():
                return "is not a regular file"
            if not real.stat().st_mode & stat.S_IWUSR:
                return "is read-only (`chmod u+w` it to let ai-budget edit it)"
            if not os.access(real, os.W_OK):
                return "cannot be written by you"
            folder = real.parent
        else:
            folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            return f"cannot be created: {folder} is not a folder"
        if not os.access(folder, os.W_OK | os.X_OK):
            return f"cannot be written: the folder {folder} is not writable"
    except OSError as exc:
        return f"cannot be reached ({exc.strerror or exc})"
    return None
