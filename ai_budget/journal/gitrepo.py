"""Git for the journal: isolated from the caller's repository, an identity that always works, history."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ai_budget.errors import GitFailed

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


@contextlib.contextmanager
def isolated_env() -> Iterator[None]:
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
    parents: list[str] = field(default_factory=list)

    def trailer(self, key: str) -> str | None:
        """The first value of a trailer, or None."""
        return next((v for k, v in self.trailers if k == key), None)


def find_git_dir(root: Path) -> Path:
    """The repository folder: `.git`, or where a `.git` file points (a worktree, --separate-git-dir)."""
    dot_git = root / ".git"
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text[len("gitdir:") :].strip())
            return target if target.is_absolute() else (root / target).resolve()
    return dot_git


# Files git leaves while an operation waits for the user; writing then would mix our commit into it.
_IN_PROGRESS = {
    "MERGE_HEAD": ("a merge", "merge"),
    "rebase-merge": ("a rebase", "rebase"),
    "rebase-apply": ("a rebase", "rebase"),
    "CHERRY_PICK_HEAD": ("a cherry-pick", "cherry-pick"),
    "REVERT_HEAD": ("a revert", "revert"),
}


class GitRepo:
    """The journal's git repository at `root`, opened lazily."""

    def __init__(self, root: Path):
        self.root = root
        self.git_dir = find_git_dir(root)

    def check_head(self, allow_detached: bool = False) -> None:
        """HEAD must name a branch: a damaged HEAD, or a detached one, is refused with the way back."""
        where = f"git -C {self.root}"
        head = (self.git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        if head.startswith("ref:"):
            return
        if not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", head):
            raise GitFailed(f"{self.git_dir} is damaged: check it with `{where} status`")
        if allow_detached:
            return
        branches = sorted(p.name for p in (self.common_dir / "refs" / "heads").glob("*") if p.is_file())
        branch = (
            "main"
            if "main" in branches
            else ("master" if "master" in branches else (branches or ["main"])[0])
        )
        raise GitFailed(
            f"the journal's HEAD is detached (not on a branch): `{where} switch {branch}`, then run it again"
        )

    @property
    def common_dir(self) -> Path:
        """Where refs and config live: the git dir, or for a worktree the main repository's."""
        pointer = self.git_dir / "commondir"
        if pointer.is_file():
            return (self.git_dir / pointer.read_text(encoding="utf-8").strip()).resolve()
        return self.git_dir

    def refuse_unsafe_state(self) -> None:
        """Refuse to write while git is mid-operation, HEAD is detached, or another git holds the index."""
        where = f"git -C {self.root}"
        for name, (what, verb) in _IN_PROGRESS.items():
            if (self.git_dir / name).exists():
                raise GitFailed(
                    f"the journal has {what} in progress: finish it (`{where} {verb} --continue`) "
                    f"or abort it (`{where} {verb} --abort`), then run the command again"
                )
        self.check_head()
        if (self.git_dir / "index.lock").exists():
            raise GitFailed(
                f"another git command is using the journal ({self.git_dir / 'index.lock'} exists): "
                "wait for it, or remove that file if no git command is running"
            )

    @staticmethod
    def create(root: Path) -> None:
        """`git init` with a main branch, unless `root` already is a repository."""
        import git  # GitPython only here: importing it costs every other command tens of ms

        with isolated_env():
            if not (root / ".git").exists():
                git.Repo.init(root, initial_branch="main")

    def _env(self) -> dict[str, str]:
        """git's environment: the caller's git variables hidden, never climbing above the journal,
        messages in English (they are parsed), as GitPython runs it."""
        env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
        env.update(GIT_CEILING_DIRECTORIES=str(self.root.parent), LANGUAGE="C", LC_ALL="C")
        return env

    def run(
        self, *args: str, timeout: float | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run git and hand back its exit status and output, for the caller to read (sync's network
        commands, whose failures are reasons, not errors); past `timeout` s it is stopped (exit -9)."""
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.root,
                env={**self._env(), **(env or {})},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            out = (exc.stderr or b"").decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else ""
            return subprocess.CompletedProcess(exc.cmd, -9, "", out + "\n(timed out)")
        except OSError as exc:
            raise GitFailed(f"`git {args[0]}` could not run in {self.root} ({exc.strerror or exc})") from None
        out, err = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
        return subprocess.CompletedProcess(done.args, done.returncode, out, err)

    @property
    def config_path(self) -> Path:
        """The repository's own git config file (never synced)."""
        return self.common_dir / "config"

    def git(self, *args: str) -> str:
        """Run one git command in the journal; a failure is a GitFailed naming the command."""
        # A plain subprocess, not GitPython: its import and its `git version` check cost every
        # `check` and `log` about 50 ms, for commands that need nothing but the output.
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.root, env=self._env(), stdin=subprocess.DEVNULL, capture_output=True
            )
        except OSError as exc:  # no git on PATH, or the journal folder gone
            raise GitFailed(f"`git {args[0]}` could not run in {self.root} ({exc.strerror or exc})") from None
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            if "not a git repository" in stderr:
                raise GitFailed(f"{self.root}/.git is damaged: check it with `git -C {self.root} status`")
            detail = (stderr.strip().splitlines() or ["no message"])[-1].strip()
            raise GitFailed(
                f"`git {args[0]}` failed in {self.root} ({detail}): check `git -C {self.root} status`"
            )
        out = done.stdout.decode("utf-8", "replace")
        return out[:-1] if out.endswith("\n") else out  # as GitPython gives it

    def _ensure_identity(self) -> None:
        """Fall back to a repo-local identity when the machine has none, so commits never fail."""
        env = os.environ.get
        from_env = {
            "user.name": bool(env("GIT_AUTHOR_NAME") and env("GIT_COMMITTER_NAME")),
            "user.email": bool(env("EMAIL") or (env("GIT_AUTHOR_EMAIL") and env("GIT_COMMITTER_EMAIL"))),
        }
        if all(from_env.values()):
            return
        try:  # both keys, every scope, in one git process
            found = self.git("config", "--get-regexp", r"^user\.(name|email)$")
        except GitFailed:
            found = ""  # exit 1: neither is set anywhere
        known = dict(line.partition(" ")[::2] for line in found.splitlines())  # the last scope wins
        for key, fallback in (("user.name", FALLBACK_NAME), ("user.email", FALLBACK_EMAIL)):
            if not from_env[key] and not known.get(key, "").strip():
                self.git("config", "--local", key, fallback)

    def commit(
        self, rel_paths: Sequence[str], message: str, trailers: Sequence[tuple[str, str]]
    ) -> str | None:
        """Stage exactly these paths and commit them; None when nothing changed (the transaction's)."""
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
        return self.head_sha() or self.git("rev-parse", "HEAD").strip()  # the files: no git process

    def commit_merge(self, message: str, trailers: Sequence[tuple[str, str]]) -> str | None:
        """Commit the merge in progress (everything in the index), with these trailers."""
        self._ensure_identity()
        args = ["commit", "--quiet", "--no-verify", "-m", message]
        if trailers:
            args += ["-m", "\n".join(f"{key}: {value}" for key, value in trailers)]
        self.git(*args)
        return self.head_sha()

    def unstage(self, rel_paths: Sequence[str]) -> None:
        """Put the index back as HEAD has these paths (after a failed commit); best effort."""
        with contextlib.suppress(GitFailed):
            if self.has_head():
                self.git("reset", "--quiet", "--", *rel_paths)
            else:
                self.git("rm", "--cached", "--quiet", "--ignore-unmatch", "--", *rel_paths)

    def head_sha(self) -> str | None:
        """The commit HEAD names, read from the files (no git process), or None before the first."""
        head = (self.git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head[4:].strip()
        common = self.git_dir
        if (self.git_dir / "commondir").is_file():
            common = (
                self.git_dir / (self.git_dir / "commondir").read_text(encoding="utf-8").strip()
            ).resolve()
        for folder in (self.git_dir, common):
            if (folder / ref).is_file():
                return (folder / ref).read_text(encoding="utf-8").strip() or None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha
        return None

    def has_head(self) -> bool:
        """Whether the repository has a first commit."""
        try:
            self.git("rev-parse", "--verify", "--quiet", "HEAD")
        except GitFailed:
            return False
        return True

    def _tracked(self, rel: str) -> bool:
        return bool(self.git("ls-files", "--", rel).strip())

    def history(
        self, limit: int | None = None, revs: Sequence[str] = (), since: datetime | None = None
    ) -> list[Commit]:
        """Commits newest first (of HEAD, or of every rev given), with the trailers of each message;
        `since`: only those committed from then on (git stops walking at older ones)."""
        if not revs:
            self.check_head(allow_detached=True)  # a damaged HEAD is not an empty history
            if self.head_sha() is None and not self.has_head():  # the files first: no git process
                return []
        args = ["log", "--format=%H%x1f%aI%x1f%s%x1f%P%x1f%(trailers:only,unfold)%x1e"]
        if limit:
            args.append(f"-n{limit}")
        if since is not None:
            args.append(f"--since=@{int(since.timestamp())}")
        records = self.git(*args, *revs, "--").split("\x1e")
        return [_commit(record) for record in records if record.strip("\n")]


def _commit(record: str) -> Commit:
    """One `git log` record (fields split by 0x1f) as a Commit."""
    sha, date, subject, parents, trailer_text = record.strip("\n").split("\x1f")
    trailers: list[tuple[str, str]] = []
    for line in trailer_text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            trailers.append((key.strip(), value.strip()))
    return Commit(sha, date, subject, trailers, parents.split())
