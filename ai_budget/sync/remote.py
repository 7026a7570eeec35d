"""The remote a journal syncs with: naming it once, and git's network commands read for their reason.

ai-budget never asks for, prints or stores a credential: an address holding a password is refused, git's
own credential helpers and ssh keys do the asking, and every line shown has any password taken out.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ai_budget.errors import BudgetError, GitFailed, InvalidInput
from ai_budget.journal.gitrepo import GitRepo
from ai_budget.redact import scrub

CONFIG_KEY = "ai-budget.remote"
DEFAULT_NAME = "origin"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TIMEOUT_ENV = "AI_BUDGET_SYNC_TIMEOUT"
TIMEOUT_S = 120.0
# Each remote's head as of the last sync with it: a rewrite shows against it (one ref per remote, so
# syncing with another remote is never taken for a rewrite; removing a remote forgets its ref).
SYNCED_REFS = "refs/ai-budget/remotes/"
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@]*)@")
_URL_IN_TEXT = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)([^/@\s]*)@")


class SyncFailed(BudgetError):
    """A sync that stopped: what happened, that the journal here is whole, and what to do next."""


@dataclass(frozen=True)
class Remote:
    """A git remote of the journal, its address with any password taken out."""

    name: str
    url: str


def redacted(text: str) -> str:
    """Text with the password of every address in it taken out (`https://me:***@host` -> `https://me@host`)."""

    def strip(found: re.Match[str]) -> str:
        user = found[2].split(":", 1)[0]
        return f"{found[1]}{scrub(user) + '@' if user else ''}"

    return scrub(_URL_IN_TEXT.sub(strip, text))


def checked_url(url: str) -> str:
    """An address fit to keep in the journal's config: no password, no token in it."""
    url = url.strip()
    if not url:
        raise InvalidInput("the remote's address is empty: give a URL or path, such as git@host:journal.git")
    userinfo = _USERINFO.match(url)
    if userinfo and (":" in userinfo[2] or scrub(userinfo[2]) != userinfo[2]):
        raise InvalidInput(
            f"{redacted(url)} holds a password or token: give the address without it; git's credential "
            "helper (or an ssh key) supplies it, and ai-budget never stores one"
        )
    if any(ch.isspace() for ch in url):
        raise InvalidInput(f"{url!r} has a space in it: give the remote's address as one word")
    return url


def listed(repo: GitRepo) -> list[Remote]:
    """The journal's remotes, in git's order."""
    found: dict[str, str] = {}
    for line in repo.git("remote", "-v").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            found.setdefault(parts[0], redacted(parts[1]))
    return [Remote(name, url) for name, url in found.items()]


def _configured(repo: GitRepo) -> str | None:
    try:
        return repo.git("config", "--local", "--get", CONFIG_KEY).strip() or None
    except GitFailed:
        return None


def add(repo: GitRepo, url: str, name: str = DEFAULT_NAME) -> Remote:
    """Name the remote to sync with (a git remote of the journal); the one `sync` uses from now on."""
    url = checked_url(url)
    if not NAME.match(name):
        raise InvalidInput(f"remote name {name!r} must be one word of letters, digits, '.', '_' or '-'")
    known = {r.name: r for r in listed(repo)}
    if name in known and known[name].url != redacted(url):
        raise InvalidInput(
            f"the journal already has a remote {name!r} ({known[name].url}): remove it with "
            f"`ai-budget remote remove {name}`, or add this one under another --name"
        )
    if name not in known:
        repo.git("remote", "add", name, url)
    repo.git("config", "--local", CONFIG_KEY, name)
    return Remote(name, redacted(url))


def remove(repo: GitRepo, name: str) -> None:
    """Forget a remote (nothing on it is touched)."""
    if name not in {r.name for r in listed(repo)}:
        raise InvalidInput(f"the journal has no remote {name!r}: see `ai-budget remote`")
    repo.git("remote", "remove", name)
    repo.run("update-ref", "-d", SYNCED_REFS + name)
    if _configured(repo) == name:
        repo.git("config", "--local", "--unset", CONFIG_KEY)


def chosen(repo: GitRepo) -> Remote:
    """The remote `sync` uses: the one named by `remote add`, else the only one, else `origin`."""
    remotes = {r.name: r for r in listed(repo)}
    name = _configured(repo)
    if name not in remotes:
        name = next(iter(remotes)) if len(remotes) == 1 else DEFAULT_NAME
    if name not in remotes:
        if remotes:
            raise SyncFailed(
                f"the journal has remotes {', '.join(remotes)} but none is chosen: "
                "`ai-budget remote add URL` names the one to sync with"
            )
        raise SyncFailed(
            "no remote to sync with: name one with `ai-budget remote add URL` (a private repository, a bare "
            "repository over ssh, or a folder); nothing is ever pushed until you do"
        )
    return remotes[name]


# --- the network: git's commands, and what their failures mean -----------------------------------


def timeout() -> float:
    """How long one network command may take (AI_BUDGET_SYNC_TIMEOUT seconds, default 120)."""
    try:
        value = float(os.environ.get(TIMEOUT_ENV, ""))
    except ValueError:
        return TIMEOUT_S
    return value if 0 < value <= 3600 else TIMEOUT_S


def network_env(repo: GitRepo, interactive: bool) -> dict[str, str]:
    """What git's network commands run with: no prompt unless a person is at the terminal."""
    if interactive:
        return {}
    env = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
    if not (os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH")):
        try:
            own = repo.git("config", "--get", "core.sshCommand").strip()
        except GitFailed:
            own = ""
        if not own:
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"  # an ssh that would ask fails instead
    return env


CREDENTIALS = (
    "terminal prompts disabled",
    "could not read username",
    "could not read password",
    "authentication failed",
    "returned error: 401",
    "returned error: 403",
    "permission denied (publickey",
    "host key verification failed",
    "http basic: access denied",
    "invalid username or password",
)
REFUSED = ("hook declined", "[remote rejected]", "pre-receive hook", "protected branch")
BEHIND = ("[rejected]", "non-fast-forward", "fetch first", "stale info")


# No repository at the address: a path with none, a code host's "not found" (http 404).
MISSING = re.compile(
    r"does not appear to be a git repository|repository not found|repository '[^']*' not found"
    r"|could not be found|no such repository"
)
# What git says after the reason, whatever the reason: never the detail shown.
BOILERPLATE = (
    "could not read from remote repository",
    "please make sure you have the correct access rights",
    "and the repository exists",
    "failed to push some refs",
)


def _meaningful(stderr: str) -> list[str]:
    lines = [
        line.strip().removeprefix("fatal: ").removeprefix("error: ")
        for line in stderr.splitlines()
        if line.strip() and not line.lower().startswith(("hint:", "to ", "from "))
    ]
    return [line for line in lines if not line.lower().startswith(BOILERPLATE)]


def detail(stderr: str) -> str:
    """git's last meaningful line, short, with no password or token in it."""
    lines = [line.removeprefix("remote: ").strip() for line in _meaningful(stderr)]
    text = lines[-1] if lines else "no message"
    return redacted(text[:200])


def remote_words(stderr: str) -> str:
    """What the remote itself said (a hook's message, a host's reason), else git's detail."""
    lines = _meaningful(stderr)
    said = [text for line in lines if line.startswith("remote:") and (text := line[7:].strip())]
    return redacted(" ".join(said)[:200]) if said else detail(stderr)


def failure(remote: Remote, stderr: str, what: str, merged: bool = False) -> SyncFailed:
    """One line for a network command that failed (`what`: fetch or push; `merged`: this sync has
    committed a merge here, which the next sync sends)."""
    low = stderr.lower()
    where = f"{remote.name} ({remote.url})"
    here = (
        "the journal here is merged and committed, the next `ai-budget sync` sends it"
        if merged
        else "nothing changed here"
    )
    if any(marker in low for marker in CREDENTIALS):
        return SyncFailed(
            f"{where} asks for credentials git could not supply ({detail(stderr)}): set up git's "
            "credential helper or an ssh key for it (ai-budget never stores one), then run "
            f"`ai-budget sync` again; {here}"
        )
    if what == "push" and any(marker in low for marker in REFUSED):
        return SyncFailed(
            f"{where} refused the push ({remote_words(stderr)}): {here}; once the remote accepts it, "
            "`ai-budget sync` sends the journal"
        )
    if MISSING.search(low):
        return SyncFailed(
            f"{where} has no repository at that address ({detail(stderr)}): check the address (create "
            "an empty private repository there, or `ai-budget remote remove "
            f"{remote.name}` and add the right one), then run `ai-budget sync` again; {here}"
        )
    if stderr.rstrip().endswith("(timed out)"):
        return SyncFailed(
            f"{where} did not answer within {timeout():g} s: check the network, then run `ai-budget sync` "
            f"again; {here}"
        )
    return SyncFailed(
        f"{where} cannot be reached ({detail(stderr)}): check the address and the network, then run "
        f"`ai-budget sync` again; {here}"
    )
