"""Crash recovery: a write-ahead marker names the files a command is changing and their pre-images,
so the next command can finish or undo a command that died half-way."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from ai_budget import paths
from ai_budget.fileio import overwrite_in_place, write_atomic
from ai_budget.journal.gitrepo import GitRepo

MARKER = paths.TRANSACTION_MARKER
SYNC_MARKER = paths.SYNC_MARKER  # a sync is merging: where HEAD was before
INDEX_LOCK_WAIT_S = 2.0  # an orphaned `git commit` of a killed command may still be finishing
TEMP_DIRS = ("", "tasks", paths.SESSIONS_DIR)


def write_marker(repo: GitRepo, message: str, head: str | None, before: dict[str, bytes | None]) -> None:
    """Record, durably, what this command is about to change and how to put it back."""
    files = {rel: None if data is None else base64.b64encode(data).decode() for rel, data in before.items()}
    record = {"pid": os.getpid(), "message": message, "head": head, "files": files}
    write_atomic(repo.git_dir / MARKER, json.dumps(record))


def clear_marker(repo: GitRepo) -> None:
    """The command finished (committed or rolled back): nothing to recover."""
    (repo.git_dir / MARKER).unlink(missing_ok=True)


def restore(root: Path, before: dict[str, bytes | None]) -> bool:
    """Put files back as they were (removing those that did not exist), newest change first;
    False when one could not be (the marker then stays for the next command to try again)."""
    whole = True
    for rel, data in reversed(before.items()):
        path = root / rel
        try:
            if data is None:
                path.unlink(missing_ok=True)
                continue
            try:
                if path.read_bytes() == data:
                    continue  # never replaced (or already put back): touching it could only harm it
            except FileNotFoundError:
                pass
            try:
                write_atomic(path, data)
            except OSError:  # no room for a temp file: put the old bytes back in place
                overwrite_in_place(path, data)
        except OSError:
            whole = False
    return whole


def write_sync_marker(repo: GitRepo, head: str | None) -> None:
    """A sync is about to merge into the journal: where HEAD was, so a killed sync can be undone."""
    write_atomic(repo.git_dir / SYNC_MARKER, json.dumps({"pid": os.getpid(), "head": head}))


def clear_sync_marker(repo: GitRepo) -> None:
    """The sync's merge is committed, or undone."""
    (repo.git_dir / SYNC_MARKER).unlink(missing_ok=True)


def undo_merge(repo: GitRepo, head: str | None) -> None:
    """Put the journal back at `head` as it was before a sync's merge began (its tree was clean then)."""
    if (repo.git_dir / "MERGE_HEAD").exists():
        repo.git("merge", "--abort")
    if head is not None and repo.git("status", "--porcelain", "--untracked-files=no").strip():
        repo.git("reset", "--quiet", "--hard", head)  # killed before git had written MERGE_HEAD


def recover_sync(repo: GitRepo) -> list[str]:
    """A sync that died mid-merge: its merge undone (or, if its commit landed, kept); one line each."""
    marker = repo.git_dir / SYNC_MARKER
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        head = record.get("head")
    except FileNotFoundError:
        return []
    except (OSError, ValueError, AttributeError):
        head = None  # torn before the merge began
    _wait_for_index(repo)
    notes = []
    (repo.git_dir / "index.lock").unlink(missing_ok=True)  # the dead sync's git: nothing else holds it
    if head is not None and repo.head_sha() == head:
        undo_merge(repo, head)
        notes.append("ai-budget: undid the merge of an interrupted sync; `ai-budget sync` does it again")
    elif (repo.git_dir / "MERGE_HEAD").exists():
        repo.git("merge", "--quit")  # its commit landed: only git's note of the merge was left
    marker.unlink(missing_ok=True)
    for note in notes:
        print(note, file=sys.stderr)
    return notes


def _wait_for_index(repo: GitRepo) -> None:
    """An orphaned git of a killed command may still be finishing with the index."""
    lock = repo.git_dir / "index.lock"
    deadline = time.monotonic() + INDEX_LOCK_WAIT_S
    while lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def recover(repo: GitRepo) -> list[str]:
    """Undo (or, if its commit landed, keep) what a dead command left; say what was done, one line each."""
    _remove_temp_files(repo.root, repo.git_dir)
    synced = recover_sync(repo)
    marker = repo.git_dir / MARKER
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        before = {rel: None if b64 is None else base64.b64decode(b64) for rel, b64 in record["files"].items()}
    except FileNotFoundError:
        return synced
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        marker.unlink(missing_ok=True)  # torn while being written: nothing was changed yet
        return synced
    lock = repo.git_dir / "index.lock"
    _wait_for_index(repo)
    notes: list[str] = []
    if repo.head_sha() == record.get("head"):
        if not restore(repo.root, before):
            return notes  # still no room: the marker stays, and the next command tries again
        notes.append(f"ai-budget: undid `{record.get('message')}`, which was interrupted before it committed")
    if lock.exists():
        lock.unlink(missing_ok=True)
        notes.append(f"ai-budget: removed {lock}, left by the interrupted command's git")
    if before:
        repo.unstage(list(before))
    marker.unlink(missing_ok=True)
    for note in notes:
        print(note, file=sys.stderr)
    return synced + notes


def _remove_temp_files(root: Path, git_dir: Path) -> None:
    """Temp files of atomic writes that a dead command never renamed (`.NAME.XXXX.tmp`)."""
    for folder in [root / name for name in TEMP_DIRS] + [git_dir]:
        for tmp in folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
