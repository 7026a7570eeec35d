"""The journal: a local git repo holding budget.json, tasks and session logs; one action, one commit."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import git

from ai_budget import paths, store
from ai_budget.errors import BudgetError, GitFailed, NotAJournal
from ai_budget.models import BudgetFile

# Variables that would point git at another repository or index (`git rev-parse --local-env-vars`).
_REPO_ENV = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
)
FALLBACK_NAME = "ai-budget"
FALLBACK_EMAIL = "ai-budget@localhost"
INITIAL_FILES = {
    paths.BUDGET_FILE: "budget.json",
    paths.BACKLOG_FILE: "backlog.md",
    paths.COMPLETED_FILE: "completed.md",
}
GITKEEP = f"{paths.SESSIONS_DIR}/.gitkeep"


@contextlib.contextmanager
def _isolated_env() -> Iterator[None]:
    """Hide the caller's GIT_DIR and friends from git for the duration of one call."""
    saved = {key: os.environ.pop(key) for key in _REPO_ENV if key in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@dataclass
class Commit:
    """One journal commit as `history` shows it."""

    sha: str
    date: str
    subject: str
    trailers: list[tuple[str, str]] = field(default_factory=list)

    def trailer(self, key: str) -> str | None:
        """The first value of a trailer, or None."""
        return next((v for k, v in self.trailers if k == key), None)


class Journal:
    """An ai-budget journal at `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.budget_path = root / paths.BUDGET_FILE
        self._repo: git.Repo | None = None

    # --- opening -------------------------------------------------------

    @classmethod
    def open(cls, root: Path) -> Journal:
        """Open an existing journal, or say how to make one."""
        journal = cls(root)
        if not journal.budget_path.is_file():
            raise NotAJournal(f"no ai-budget journal at {root}: run `ai-budget init` first")
        if not (root / ".git").exists():
            raise NotAJournal(
                f"{root} has a budget.json but is not a git repo: run `ai-budget init` to make it one"
            )
        return journal

    @classmethod
    def init(cls, root: Path) -> tuple[Journal, bool]:
        """Create what is missing (never overwrite); return the journal and whether it committed."""
        if root.exists() and not root.is_dir():
            raise BudgetError(f"{root} exists and is not a folder: choose another --home")
        root.mkdir(parents=True, exist_ok=True)
        journal = cls(root)
        with _isolated_env():
            if not (root / ".git").exists():
                git.Repo.init(root, initial_branch="main")
        with journal.locked():
            adopted = journal.budget_path.exists()
            if adopted:
                store.load(journal.budget_path)  # refuse a corrupt or newer file before touching it
            templates = paths.shipped("templates")
            created: list[str] = []
            for rel, template in INITIAL_FILES.items():
                target = root / rel
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(templates / template, target)
                    created.append(rel)
            keep = root / GITKEEP
            if not keep.exists():
                keep.parent.mkdir(parents=True, exist_ok=True)
                keep.touch()
            existing_logs = sorted(str(p.relative_to(root)) for p in (root / paths.SESSIONS_DIR).glob("*.md"))
            message = "init: journal adopted" if adopted else "init: journal created"
            committed = journal.commit([*INITIAL_FILES, GITKEEP, *existing_logs], message)
        return journal, committed is not None

    # --- budget.json -----------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise read-modify-write-commit between ai-budget processes."""
        with store.locked(self.root / ".git" / "ai-budget.lock"):
            yield

    def load(self) -> BudgetFile:
        """Read budget.json (upgraded in memory; written back on the next save)."""
        return store.load(self.budget_path)

    def save(self, budget: BudgetFile) -> None:
        """Write budget.json atomically."""
        store.save(self.budget_path, budget)

    # --- git -------------------------------------------------------------

    @property
    def repo(self) -> git.Repo:
        """The GitPython repo, opened lazily with the caller's git variables hidden."""
        if self._repo is None:
            try:
                with _isolated_env():
                    self._repo = git.Repo(self.root)
            except (git.InvalidGitRepositoryError, git.NoSuchPathError):
                raise GitFailed(
                    f"{self.root}/.git is damaged: check it with `git -C {self.root} status`"
                ) from None
            # Never climb above the journal looking for another repository.
            self._repo.git.update_environment(GIT_CEILING_DIRECTORIES=str(self.root.parent))
        return self._repo

    def git(self, *args: str) -> str:
        """Run one git command in the journal; a failure is a GitFailed naming the command."""
        try:
            with _isolated_env():
                return str(self.repo.git.execute(["git", *args]))
        except git.GitCommandError as exc:
            detail = (str(exc.stderr or "").strip().splitlines() or ["no message"])[-1]
            raise GitFailed(
                f"`git {args[0]}` failed in {self.root} ({detail.removeprefix('stderr: ').strip()}): "
                f"check `git -C {self.root} status`"
            ) from None

    def _ensure_identity(self) -> None:
        """Fall back to a repo-local identity when the machine has none, so commits never fail."""
        env = os.environ.get
        from_env = {
            "user.name": bool(env("GIT_AUTHOR_NAME") and env("GIT_COMMITTER_NAME")),
            "user.email": bool(env("EMAIL") or (env("GIT_AUTHOR_EMAIL") and env("GIT_COMMITTER_EMAIL"))),
        }
        for key, fallback in (("user.name", FALLBACK_NAME), ("user.email", FALLBACK_EMAIL)):
            if from_env[key]:
                continue
            try:
                if self.git("config", "--get", key).strip():
                    continue
            except GitFailed:
                pass  # exit 1: not set anywhere
            self.git("config", "--local", key, fallback)

    def commit(
        self, rel_paths: Sequence[str], message: str, trailers: Sequence[tuple[str, str]] = ()
    ) -> str | None:
        """Stage exactly these paths and commit them; None when nothing changed."""
        rel_paths = [p for p in dict.fromkeys(rel_paths) if (self.root / p).exists() or self._tracked(p)]
        if not rel_paths:
            return None
        self.git("add", "--", *rel_paths)
        if not self.git("status", "--porcelain", "--", *rel_paths).strip():
            return None
        self._ensure_identity()
        args = ["commit", "--quiet", "--no-verify", "-m", message]
        if trailers:
            args += ["-m", "\n".join(f"{key}: {value}" for key, value in trailers)]
        self.git(*args, "--", *rel_paths)
        self.warn_if_remote()
        return self.git("rev-parse", "HEAD").strip()

    def _tracked(self, rel: str) -> bool:
        return bool(self.git("ls-files", "--", rel).strip())

    def warn_if_remote(self) -> None:
        """Warn once per remote set-up: the journal is meant to stay on this machine."""
        config = self.root / ".git" / "config"
        if not config.exists() or "[remote " not in config.read_text(encoding="utf-8", errors="replace"):
            return  # the common case, without another git process
        remotes = self.git("remote", "-v").strip()
        marker = self.root / ".git" / "ai-budget-remote-warned"
        if not remotes:
            return
        if marker.exists() and marker.read_text(encoding="utf-8") == remotes:
            return
        names = sorted({line.split()[0] for line in remotes.splitlines()})
        print(
            f"Warning: the journal at {self.root} has a git remote ({', '.join(names)}); "
            "it is meant to stay local, and ai-budget never pushes.",
            file=sys.stderr,
        )
        marker.write_text(remotes, encoding="utf-8")

    def history(self, limit: int | None = None) -> list[Commit]:
        """Commits newest first, with the trailers of each message."""
        try:
            self.git("rev-parse", "--verify", "--quiet", "HEAD")
        except GitFailed:
            return []
        args = ["log", "--format=%H%x1f%aI%x1f%s%x1f%(trailers:only,unfold)%x1e"]
        if limit:
            args.append(f"-n{limit}")
        commits: list[Commit] = []
        for record in self.git(*args).split("\x1e"):
            record = record.strip("\n")
            if not record:
                continue
            sha, date, subject, trailer_text = record.split("\x1f")
            trailers: list[tuple[str, str]] = []
            for line in trailer_text.splitlines():
                key, sep, value = line.partition(":")
                if sep:
                    trailers.append((key.strip(), value.strip()))
            commits.append(Commit(sha, date, subject, trailers))
        return commits

    def is_clean(self) -> bool:
        """Whether the working tree has no uncommitted change."""
        return not self.git("status", "--porcelain").strip()
