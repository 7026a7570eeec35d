"""The merge itself, made beside the journal rather than in it.

The remote's head is merged in a worktree of the journal's own repository kept inside `.git`
(`.git/ai-budget-merge`): the drivers run there, calibration is rebuilt there, and the merge is committed
there. The journal's files are not touched until that commit exists; then, under the journal's lock, the
journal moves to it as a fast-forward. A sync killed while merging leaves only that worktree, which the
next sync removes; one killed during the fast-forward is put back by the next command (`recovery`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ai_budget import fileio, paths
from ai_budget.errors import GitFailed
from ai_budget.fmt import plural
from ai_budget.journal import machine, samples
from ai_budget.journal.gitrepo import GitRepo
from ai_budget.journal.records import read_lines
from ai_budget.model import budget as budget_file
from ai_budget.sync import calibration
from ai_budget.sync.remote import Remote, SyncFailed, detail

WORKTREE = "ai-budget-merge"


def ledger_lines(root: Path) -> list[dict[str, Any]]:
    """The ledger's lines in a checkout."""
    return read_lines(root / paths.LEDGER_DIR)


def remove_worktree(repo: GitRepo) -> None:
    """The merge worktree gone (a killed sync's too)."""
    place = repo.git_dir / WORKTREE
    if place.exists():
        repo.run("worktree", "remove", "--force", str(place))
    if place.exists():
        import shutil

        shutil.rmtree(place, ignore_errors=True)
    repo.run("worktree", "prune")


def _stuck(journal_root: Path, branch: str, remote: Remote, files: list[str], stderr: str) -> SyncFailed:
    where = f"in {', '.join(files[:5])}" if files else f"({detail(stderr)})"
    return SyncFailed(
        f"the merge with {remote.name} stopped {where}: nothing changed here; merge by hand "
        f"(`git -C {journal_root} pull {remote.name} {branch}`, then commit) or fix those files on the "
        "other machine, then run `ai-budget sync` again"
    )


def subject(remote: Remote, received: int, sessions_in: dict[str, int]) -> str:
    """The merge commit's subject: what came in, and whose sessions."""
    who = ", ".join(f"{plural(n, 'session')} from {m}" for m, n in sorted(sessions_in.items()))
    return f"sync: merged {plural(received, 'commit')} from {remote.name}" + (f" ({who})" if who else "")


def merged_commit(
    repo: GitRepo, remote: Remote, branch: str, head: str, tip: str, message: str
) -> tuple[str, int]:
    """The merge of `tip` into `head`, committed beside the journal: its sha, and the samples it withdrew."""
    remove_worktree(repo)
    place = repo.git_dir / WORKTREE
    added = repo.run("worktree", "add", "--detach", "--quiet", str(place), head)
    if added.returncode != 0:
        raise GitFailed(f"`git worktree add` failed in {repo.root} ({detail(added.stderr)})")
    try:
        work = GitRepo(place)
        done = work.run(
            "merge", "--no-ff", "--no-commit", "--allow-unrelated-histories", "--quiet", tip,
            env={"GIT_MERGE_AUTOEDIT": "no"},
        )  # fmt: skip
        if done.returncode != 0:
            stuck = work.git("diff", "--name-only", "--diff-filter=U").split()
            raise _stuck(repo.root, branch, remote, stuck, done.stderr)
        budget_path = place / paths.BUDGET_FILE
        merged = budget_file.parse(fileio.read_text(budget_path) or "", budget_path)
        bases = calibration.merge_bases(repo, head, tip)
        rebuilt = calibration.rebuild(repo, head, tip, bases, merged.calibration, ledger_lines(place))
        merged.calibration = rebuilt.table
        fileio.write_atomic(budget_path, budget_file.dumps(merged))
        work.git("add", "--", paths.BUDGET_FILE)
        trailers = [("Synced-With", remote.name), (machine.TRAILER, machine.name(repo.config_path))]
        trailers += [samples.withdrawn_trailer(s, why) for s, why in rebuilt.withdrawn]
        sha = work.commit_merge(message, trailers)
        if sha is None:
            raise GitFailed(f"the merge commit was not made in {place}")
        return sha, len(rebuilt.withdrawn)
    finally:
        remove_worktree(repo)
