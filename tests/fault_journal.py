"""A journal primed for the fault suite: a calibrated type, three backlog tasks, a session started by
`check`, and the saved usage answer `log` ends it with."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from conftest import budget, run
from usage_server import usage_body

from ai_budget import paths
from ai_budget.session import state

TASKS = ("[H] first task {flashcard: 4}", "[M] second task", "[L] third task")


@dataclass
class Primed:
    """The journal and the usage files for the start and the end of the session."""

    root: Path
    start: Path
    end: Path

    def log_args(self, *extra: str) -> tuple[str, ...]:
        """`log` as the fault cases run it: one item, a lesson, task 1 moved to completed."""
        return (
            "log",
            "--from-file",
            str(self.end),
            "--done",
            "flashcard 2 two cards",
            "--lesson",
            "short prompts",
            "--backlog-done",
            "1",
            *extra,
        )

    def sessions_logged(self) -> int:
        """How many `## Session` sections the session logs hold."""
        return sum(p.read_text().count("## Session") for p in (self.root / "sessions").glob("*.md"))

    def samples(self) -> int:
        """Calibration samples of the flashcard type."""
        return int(budget(self.root)["calibration"]["flashcard"]["samples"])

    def backlog(self) -> str:
        """The backlog's text."""
        return (self.root / "tasks" / "backlog.md").read_text()


# Journals built once per run and copied for each test (building one costs seven commands); with the
# usage answers they were started with, so the baseline's reset times match the end answer's, and the
# state folder (the open session `check` started, the usage history) as it was.
_TEMPLATES: dict[bool, tuple[Path, bytes, bytes, Path]] = {}


def _copy_state(source: Path, target: Path, old_root: Path, new_root: Path) -> None:
    """A state folder copied for a journal that moved: its sessions folder renamed for the new root."""
    if not source.is_dir():
        return
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    moved = target / state.folder(old_root).relative_to(paths.state_dir())
    if moved.is_dir():
        shutil.move(str(moved), str(target / state.folder(new_root).relative_to(paths.state_dir())))


def prime(root: Path, folder: Path, check: bool = True) -> Primed:
    """Make `root` an initialised journal with calibration, a backlog and (with `check`) a baseline."""
    start, end = folder / "start.json", folder / "end.json"
    if check in _TEMPLATES and not root.exists():
        template, start_body, end_body, saved = _TEMPLATES[check]
        shutil.copytree(template, root, symlinks=True)
        _copy_state(saved, paths.state_dir(), template, root)
        start.write_bytes(start_body)
        end.write_bytes(end_body)
        return Primed(root, start, end)
    for args in (
        ("--home", str(root), "init"),
        ("--home", str(root), "calibration", "add", "flashcard", "--unit", "per card"),
        ("--home", str(root), "calibrate", "flashcard", "10", "20"),
        *(("--home", str(root), "backlog", "add", task) for task in TASKS),
    ):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
    start.write_text(usage_body(five=30.0, week=20.0))
    end.write_text(usage_body(five=40.0, week=22.0))
    if check:
        result = run("--home", str(root), "check", "--from-file", str(start))
        assert result.exit_code == 0, result.stderr
    if check not in _TEMPLATES and not os.path.ismount(root.parent):
        folder_of_templates = tempfile.mkdtemp(prefix="ai-budget-fault-template-")
        atexit.register(shutil.rmtree, folder_of_templates, True)
        template = Path(folder_of_templates) / "journal"
        shutil.copytree(root, template, symlinks=True)
        saved = Path(folder_of_templates) / "state"
        _copy_state(paths.state_dir(), saved, root, template)
        _TEMPLATES[check] = (template, start.read_bytes(), end.read_bytes(), saved)
    return Primed(root, start, end)


def can_mount() -> bool:
    """Whether this process may mount (root in a container that allows it)."""
    return os.geteuid() == 0 and shutil.which("mount") is not None


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` read-only for real: a read-only bind mount as root, else permissions."""
    if os.geteuid() == 0:
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True, capture_output=True)
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True)
            yield
        finally:
            subprocess.run(["umount", str(folder)], check=True, capture_output=True)
        return
    modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")] if p.is_dir()}
    for path in modes:
        path.chmod(0o555)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@contextlib.contextmanager
def small_disk(folder: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of `size_kb` KB mounted at `folder` (a real disk that fills up)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True, capture_output=True)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill the disk until only about `leave_bytes` are free; the filler can be deleted to free it."""
    filler = disk / "filler"
    free = os.statvfs(disk)
    room = free.f_bavail * free.f_frsize - leave_bytes
    with open(filler, "wb") as handle, contextlib.suppress(OSError):
        handle.write(b"\0" * max(room, 0))
    return filler
