"""`ai-budget sync`: fetch the remote's journal, merge it into this one by meaning, push the result.

The order keeps the journal whole whatever stops it. The fetch and the push run without the journal's
lock (another command may write meanwhile). What was changed by hand is committed first; the merge is
made and committed beside the journal (`merge.py`), and the journal only moves to it, under its lock, as
a fast-forward (a killed one is put back by the next command). A push the remote turns down because it
moved on meanwhile starts the round again.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from ai_budget import fileio, paths
from ai_budget.errors import BudgetError, GitFailed, NewerSchema
from ai_budget.fmt import plural
from ai_budget.journal import machine, recovery, samples
from ai_budget.journal.gitrepo import GitRepo
from ai_budget.journal.journal import Journal
from ai_budget.model import budget as budget_file
from ai_budget.sync import calibration, merge, prepare
from ai_budget.sync.remote import SYNCED_REFS, Remote, SyncFailed, chosen, failure, network_env, timeout

SYNC_LOCK = "ai-budget-sync.lock"
SYNC_WAIT_S = 120.0  # another sync of this journal: wait for it, then find (most of) the work done
ATTEMPTS = 3  # rounds when the remote moves on between our fetch and our push
STALE_LOCK_S = 5.0


@dataclass
class SyncResult:
    """What one sync did."""

    remote: Remote
    received: int = 0  # commits that were new here
    sent: int = 0  # commits that were new to the remote
    merged: str | None = None  # the merge commit
    fast_forward: bool = False
    created: bool = False  # the remote was empty: this journal is its first
    withdrawn: int = 0  # calibration samples taken back (their sessions shared the window)
    sessions_in: dict[str, int] = field(default_factory=dict)  # machine -> sessions received
    head: str | None = None
    notes: list[str] = field(default_factory=list)


def branch_of(repo: GitRepo) -> str:
    """The journal's branch (the remote's of the same name is the one synced)."""
    repo.check_head()
    head = (repo.git_dir / "HEAD").read_text(encoding="utf-8").strip()
    return head.removeprefix("ref:").strip().removeprefix("refs/heads/")


def _clear_stale_locks(repo: GitRepo, remote: Remote) -> None:
    """Ref locks a killed sync's git left (we hold the sync lock: no sync of ours is running)."""
    common = repo.common_dir
    candidates = list((common / "refs" / "remotes" / remote.name).rglob("*.lock"))
    candidates += list((common / "refs" / "ai-budget").rglob("*.lock"))
    candidates += [common / "packed-refs.lock", repo.git_dir / "FETCH_HEAD.lock", common / "shallow.lock"]
    for lock in candidates:
        with contextlib.suppress(OSError):
            if time.time() - lock.stat().st_mtime > STALE_LOCK_S:
                lock.unlink()


def _rev(repo: GitRepo, ref: str) -> str | None:
    try:
        return repo.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip() or None
    except GitFailed:
        return None


def _is_ancestor(repo: GitRepo, older: str, newer: str) -> bool:
    return repo.run("merge-base", "--is-ancestor", older, newer).returncode == 0


def _fetch(repo: GitRepo, remote: Remote, branch: str, env: dict[str, str]) -> str | None:
    """The remote's `branch` fetched: its head; None when it has no such branch."""
    ref = f"refs/remotes/{remote.name}/{branch}"
    refspec = f"+refs/heads/{branch}:{ref}"
    done = repo.run("fetch", "--quiet", "--no-tags", remote.name, refspec, timeout=timeout(), env=env)
    if done.returncode == 0:
        return _rev(repo, ref)
    if "couldn't find remote ref" not in done.stderr.lower():
        raise failure(remote, done.stderr, "fetch")
    return None


def fetch(repo: GitRepo, remote: Remote, branch: str, env: dict[str, str]) -> tuple[str | None, str]:
    """The remote's journal fetched: its head (None when the remote is empty) and its branch (ours, or
    a journal begun as `master` where ours is `main`, or the other way round)."""
    tip = _fetch(repo, remote, branch, env)
    if tip is not None:
        return tip, branch
    heads = repo.run("ls-remote", "--heads", remote.name, timeout=timeout(), env=env)
    if heads.returncode != 0:
        raise failure(remote, heads.stderr, "fetch")
    names = [line.split("refs/heads/", 1)[-1] for line in heads.stdout.splitlines() if line.strip()]
    if not names:
        return None, branch
    other = next((name for name in ("main", "master") if name in names), None)
    tip = _fetch(repo, remote, other, env) if other is not None else None
    if other is None or tip is None:
        raise SyncFailed(
            f"{remote.name} ({remote.url}) is not an ai-budget journal: it has branches "
            f"{', '.join(names[:5])} but no {branch}; sync with an empty repository or another journal's; "
            "nothing changed here"
        )
    return tip, other


def check_journal(repo: GitRepo, remote: Remote, branch: str, tip: str) -> None:
    """The remote's head must be an ai-budget journal this version reads."""
    where = f"{remote.name} ({remote.url})"
    try:
        text = repo.git("show", f"{tip}:{paths.BUDGET_FILE}")
    except GitFailed:
        raise SyncFailed(
            f"{where} is not an ai-budget journal (its {branch} has no budget.json): sync with an empty "
            "repository or another journal's; nothing changed here"
        ) from None
    try:
        budget_file.parse(text, Path(paths.BUDGET_FILE))
    except NewerSchema:
        raise SyncFailed(
            f"{where} holds a journal written by a newer ai-budget: upgrade this one "
            "(`pipx upgrade ai-budget` or `pip install -U ai-budget`), then sync; nothing changed here"
        ) from None
    except BudgetError as exc:
        raise SyncFailed(
            f"{where} has a budget.json that cannot be read ({exc}): fix it on the machine that wrote it, "
            "then sync; nothing changed here"
        ) from None


def _check_names(repo: GitRepo, head: str | None, tip: str, me: str) -> None:
    """Two machines under one name would each take the other's sessions for its own."""
    if head is None:
        return

    def ours_only(a: str, b: str) -> bool:
        listed = repo.git("log", "--format=%s%x1f%(trailers:key=Machine,valueonly)", f"{b}..{a}", "--")
        for line in listed.splitlines():
            subject, _, who = line.partition("\x1f")
            if who.strip() == me and not subject.startswith("init:"):
                return True
        return False

    if ours_only(tip, head) and ours_only(head, tip):
        raise SyncFailed(
            f"the remote has commits from another machine also named {me!r}: give this one a name of its "
            "own with `ai-budget machine NAME`, then sync again; nothing changed here"
        )


def _received(repo: GitRepo, head: str | None, tip: str) -> tuple[int, dict[str, int]]:
    """How many commits are new here, and the sessions among them per machine."""
    span = f"{head}..{tip}" if head else tip
    listed = repo.git(
        "log", "--format=%x1e%(trailers:key=Five-Hour-Delta,valueonly)%x1f%(trailers:key=Machine,valueonly)",
        span, "--",
    )  # fmt: skip
    records = [r for r in listed.split("\x1e") if r.strip("\n")]
    sessions: dict[str, int] = {}
    for record in records:
        delta, _, who = record.strip("\n").partition("\x1f")
        if delta.strip():
            name = who.strip() or "unnamed"
            sessions[name] = sessions.get(name, 0) + 1
    return len(records), sessions


def _fast_forward(journal: Journal, head: str | None, tip: str) -> None:
    repo = journal.repo
    recovery.write_sync_marker(repo, head)
    try:
        repo.git("merge", "--quiet", "--ff-only", tip)
    except BaseException:
        with contextlib.suppress(BudgetError):
            recovery.undo_merge(repo, head)
        recovery.clear_sync_marker(repo)
        raise
    recovery.clear_sync_marker(repo)


def integrate(journal: Journal, remote: Remote, branch: str, tip: str | None, result: SyncResult) -> None:
    """The remote's head into the journal (merged beside it, then a fast-forward under the journal's
    lock), and samples another machine's sessions shared taken back."""
    repo = journal.repo
    for _ in range(ATTEMPTS):
        head = repo.head_sha()
        if tip is None or tip == head or (head and _is_ancestor(repo, tip, head)):
            break
        _check_names(repo, head, tip, machine.name(repo.config_path))
        result.received, result.sessions_in = _received(repo, head, tip)
        target, withdrawn = tip, 0
        if head is not None and not _is_ancestor(repo, head, tip):
            message = merge.subject(remote, result.received, result.sessions_in)
            target, withdrawn = merge.merged_commit(repo, remote, branch, head, tip, message)
        with journal.transaction("sync"):
            if repo.head_sha() != head:
                continue  # a command committed meanwhile: merge again with it
            _fast_forward(journal, head, target)
        result.merged = target if target != tip else None
        result.fast_forward = target == tip
        result.withdrawn += withdrawn
        break
    with journal.transaction("sync") as tx:
        withdraw = calibration.to_withdraw(repo.history(), merge.ledger_lines(journal.root))
        if withdraw:
            calibration.without(tx.budget.calibration, withdraw)
            tx.trailers = [samples.withdrawn_trailer(s, why) for s, why in withdraw]
            tx.message = (
                f"calibration: {plural(len(withdraw), 'sample')} withdrawn: "
                f"{'its session' if len(withdraw) == 1 else 'their sessions'} shared the 5-hour window "
                "with another machine's"
            )
            result.withdrawn += len(withdraw)


def push(repo: GitRepo, remote: Remote, branch: str, head: str, env: dict[str, str], merged: bool) -> bool:
    """Send the journal's head; False when the remote moved on meanwhile (fetch and merge again)."""
    done = repo.run("push", "--quiet", remote.name, f"{head}:refs/heads/{branch}", timeout=timeout(), env=env)
    if done.returncode == 0:
        repo.git("update-ref", f"refs/remotes/{remote.name}/{branch}", head)
        return True
    low = done.stderr.lower()
    behind = any(m in low for m in ("[rejected]", "non-fast-forward", "fetch first"))
    if behind and "remote rejected" not in low:
        return False
    raise failure(remote, done.stderr, "push", merged=merged)


def sync(journal: Journal, interactive: bool = False) -> SyncResult:
    """Fetch, merge and push until this journal and the remote's are the same commit."""
    repo = journal.repo
    journal.read_budget()  # a damaged budget.json (or a dead command's leftovers) first
    with fileio.locked(repo.git_dir / SYNC_LOCK, SYNC_WAIT_S, quiet=not interactive):
        remote = chosen(repo)
        branch = branch_of(repo)
        env = network_env(repo, interactive)
        result = SyncResult(remote)
        _clear_stale_locks(repo, remote)
        merge.remove_worktree(repo)  # a killed sync's
        for _ in range(ATTEMPTS):
            tip, theirs = fetch(repo, remote, branch, env)
            if tip is not None:
                check_journal(repo, remote, theirs, tip)
                last = _rev(repo, SYNCED_REFS + remote.name)
                note = (
                    f"{remote.name}'s history was rewritten since the last sync (force-pushed): "
                    "merged with this journal's, nothing of either lost"
                )
                if last is not None and not _is_ancestor(repo, last, tip) and note not in result.notes:
                    result.notes.append(note)
            prepare.prepare(journal, tip)
            integrate(journal, remote, theirs, tip, result)
            head = repo.head_sha()
            result.head = head
            if head is None or head == tip:
                break
            result.created = tip is None
            sent = repo.git("rev-list", "--count", head, *([f"^{tip}"] if tip else [])).strip()
            if push(repo, remote, theirs, head, env, merged=bool(result.merged or result.withdrawn)):
                result.sent = int(sent or 0)
                break
        else:
            raise SyncFailed(
                f"{remote.name} kept changing while this journal synced ({ATTEMPTS} rounds): the journal "
                "here is merged and committed; run `ai-budget sync` again"
            )
        if result.head is not None:
            repo.git("update-ref", SYNCED_REFS + remote.name, result.head)
    return result
