"""Claude utilisation from every source we have: a file, the free local sources, the endpoint, the
last known values. Each name says whether it calls the network or falls back; none writes the journal."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ai_budget import paths
from ai_budget.claude import credentials, endpoint, feeds, local_sources, usage_cache, usage_history
from ai_budget.errors import BudgetError, FetchError
from ai_budget.model.usage import ClaudeSection, Snapshot, UsageResponse
from ai_budget.timeutil import countdown, local_clock, now


@dataclass(frozen=True)
class UsageFile:
    """A saved usage response given with `--from-file` (a path, or standard input)."""

    data: bytes
    origin: str
    written_at: datetime | None = None


def read_response_file(name: str) -> UsageFile:
    """The file given to `--from-file` (`-` for standard input), read whole."""
    if name == "-":
        return UsageFile(sys.stdin.buffer.read(), "standard input")
    path = Path(name).expanduser()
    try:
        written = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        return UsageFile(path.read_bytes(), str(path), written)
    except OSError as exc:
        raise FetchError(
            f"cannot read {path} ({exc.strerror}): check the path given to --from-file"
        ) from None


def from_file(file: UsageFile, claude_dir: Path, moment: datetime | None = None) -> Snapshot:
    """A saved usage response (`--from-file`): no network; counts as fresh.

    It is observed when it is read (`moment`, for a command that runs at a given time), unless the
    file was written longer ago than the cache lifetime: then it is as old as the file, and it does
    not replace a newer cached answer.
    """
    response = endpoint.parse_response(file.data, file.origin, retry="check the file")
    observed = moment or now()
    if file.written_at is not None and not usage_cache.is_fresh(
        Snapshot(response, file.written_at, "file"), observed
    ):
        observed = min(observed, file.written_at)
    snap = Snapshot(response, observed, "file")
    cached = usage_cache.read(claude_dir)
    if cached is None or cached.observed_at <= observed:
        usage_cache.remember(claude_dir, snap)
    return snap


def _next_try(until: datetime) -> str:
    return f"next try allowed at {local_clock(until)} (in {countdown(until)})"


def call_endpoint(claude_dir: Path) -> Snapshot:
    """Ask the endpoint (network) unless a 429 wait is on; fills the cache. Raises on failure."""
    until = usage_cache.backoff_until(claude_dir)
    if until is not None:
        raise FetchError(f"the usage endpoint asked us to wait after a 429: {_next_try(until)}")
    login = credentials.load(claude_dir)
    login.check()
    try:
        response = endpoint.request_usage(login.token)
    except endpoint.RateLimited as exc:
        until, capped = usage_cache.note_429(claude_dir, exc.retry_after)
        cap = ""
        if capped:
            cap = (
                f" (it asked for longer than a day, so the wait is capped at 24 h; "
                f"delete {usage_cache.backoff_file(claude_dir)} to try sooner)"
            )
        raise FetchError(f"{exc}: {_next_try(until)}{cap}") from None
    usage_cache.clear_backoff(claude_dir)
    snap = Snapshot(response, now(), "api")
    usage_cache.remember(claude_dir, snap)
    return snap


def cache_or_endpoint(claude_dir: Path, force: bool = False) -> Snapshot:
    """Our cache within its lifetime (unless `force`), else the endpoint (network). Raises on failure."""
    if not force:
        hit = usage_cache.read(claude_dir)
        if hit is not None and usage_cache.is_fresh(hit, now()):
            return hit
    return call_endpoint(claude_dir)


def last_known(claude_dir: Path, section: ClaudeSection | None, error: str) -> Snapshot | None:
    """The newest values kept anywhere (feed, caches, the usage history, budget.json), labelled as last
    known. The history holds what `check` saw, which it no longer writes into budget.json."""
    options = [
        *local_sources.all_local(claude_dir),
        local_sources.history(),
        section.snapshot() if section is not None else None,
    ]
    found = [s for s in options if s is not None]
    if not found:
        return None
    return max(found, key=lambda s: s.observed_at).as_last_known(error)


SOURCES = ("auto", "statusline", "claude", "api")
API_OFF = feeds.API_OFF


def _fresh(
    claude_dir: Path, source: str, force: bool, allow_api: bool, moment: datetime, no_api: str
) -> Snapshot:
    """Fresh numbers from the chosen source (`auto`: free local ones first, then the endpoint)."""
    if source in ("statusline", "claude"):
        snap = local_sources.only(claude_dir, source)
        if snap is None:
            where = (
                "statusline feed (`ai-budget integrate install`)"
                if source == "statusline"
                else "cached answer"
            )
            raise FetchError(f"Claude Code's {where} has no usage yet: try --source auto")
        return snap
    if source == "auto":
        snap = local_sources.freshest(claude_dir, moment, skip_our_cache=force)
        if snap is not None:
            return snap
    if not allow_api:
        raise FetchError(feeds.nothing_fresh(no_api))
    return cache_or_endpoint(claude_dir, force)


def fresh_or_last_known(
    claude_dir: Path,
    section: ClaudeSection | None,
    *,
    force: bool = False,
    file: UsageFile | None = None,
    moment: datetime | None = None,
    source: str = "auto",
    allow_api: bool = True,
    in_hook: bool = False,
) -> Snapshot:
    """Fresh numbers (a file, the statusline feed, Claude Code's cache, ours, the endpoint, best
    first), else falls back to the last known ones with the error; raises only when nothing is known.
    `force` skips our own cache (never a 429 wait); `in_hook` only says why the endpoint was not
    called, when `allow_api` is false."""
    try:
        snap = from_file(file, claude_dir, moment) if file is not None else None
        no_api = feeds.HOOK_NO_API if in_hook else feeds.API_OFF
        snap = snap or _fresh(claude_dir, source, force, allow_api, moment or now(), no_api)
        if snap.source != "cache":  # our cache was recorded when it was fetched
            usage_history.record(usage_history.rows_of(snap.response), snap.source, snap.observed_at)
        return snap
    except BudgetError as exc:
        fallback = last_known(claude_dir, section, str(exc))
        if fallback is None:
            raise
        return fallback


def current_usage(claude_dir: Path | None = None) -> UsageResponse | None:
    """For other programs: current usage (cached for the TTL), or None when it cannot be had."""
    try:
        return cache_or_endpoint(claude_dir or paths.primary_claude_dir()).response
    except Exception:  # a router gating calls on quota must never crash on us
        return None
