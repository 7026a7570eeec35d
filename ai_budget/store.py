"""Load, upgrade, validate and atomically save budget.json; the lock that serialises writers."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ai_budget.errors import CorruptBudget, JournalBusy, NewerSchema
from ai_budget.models import SCHEMA_VERSION, BudgetFile


def _restore_hint(path: Path) -> str:
    return f"restore the last good copy with `git -C {path.parent} checkout budget.json`"


def _upgrade_0_to_1(data: dict[str, Any]) -> dict[str, Any]:
    """The original hand-made format: averages and samples, no totals, no schema_version."""
    for entry in (data.get("calibration") or {}).values():
        if not isinstance(entry, dict) or "units" in entry:
            continue
        samples = entry.get("samples") or 0
        pct, tokens = entry.get("avg_5h_pct"), entry.get("avg_output_tokens")
        # Each earlier sample counts as one unit at the stored averages.
        entry["units"] = samples if pct is not None else 0
        entry["total_5h_pct"] = round(samples * pct, 6) if pct is not None else 0
        entry["token_units"] = samples if tokens is not None else 0
        entry["total_output_tokens"] = round(samples * tokens) if tokens is not None else 0
    copilot = data.get("copilot")
    if isinstance(copilot, dict):
        copilot.setdefault("unit", "requests")
    data["schema_version"] = 1
    return data


# Ordered upgrade steps: UPGRADES[n] turns version n into n + 1.
UPGRADES: list[Callable[[dict[str, Any]], dict[str, Any]]] = [_upgrade_0_to_1]


def parse(text: str, path: Path) -> BudgetFile:
    """Parse budget.json text, upgrading older formats; refuse newer ones."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptBudget(f"{path} is not valid JSON (line {exc.lineno}): {_restore_hint(path)}") from None
    if not isinstance(data, dict):
        raise CorruptBudget(f"{path} does not hold a JSON object: {_restore_hint(path)}")
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or version < 0:
        raise CorruptBudget(f"{path} has schema_version {version!r}: {_restore_hint(path)}")
    if version > SCHEMA_VERSION:
        raise NewerSchema(
            f"{path} was written by a newer ai-budget (schema {version}, this one reads "
            f"{SCHEMA_VERSION}): upgrade with `pipx upgrade ai-budget` or `pip install -U ai-budget`"
        )
    for step in UPGRADES[version:]:
        data = step(data)
    try:
        return BudgetFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise CorruptBudget(f"{path}: {where}: {first['msg']}: {_restore_hint(path)}") from None


def load(path: Path) -> BudgetFile:
    """Read budget.json."""
    return parse(path.read_text(encoding="utf-8"), path)


def dumps(budget: BudgetFile) -> str:
    """budget.json text: validated again, indented, with a final newline."""
    data = budget.model_dump(mode="json")
    BudgetFile.model_validate(data)  # never write what could not be read back
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def save(path: Path, budget: BudgetFile) -> None:
    """Write budget.json atomically: temp file in the same folder, then os.replace."""
    write_atomic(path, dumps(budget))


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so a reader sees the old file or the new one, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(lock_path: Path, timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive lock on `lock_path` (another process waits, up to `timeout` s)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle):
            if time.monotonic() > deadline:
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
