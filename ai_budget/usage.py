"""Claude utilisation: the OAuth usage endpoint, its on-disk cache, 429 backoff, and budget.json."""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ai_budget import __version__, credentials, paths, store
from ai_budget.errors import BudgetError, FetchError
from ai_budget.journal import Journal
from ai_budget.models import ClaudeSection, UsageResponse, UsageWindow
from ai_budget.timeutil import countdown, local_clock, now, parse_time

DEFAULT_BASE = "https://api.anthropic.com"
USAGE_PATH = "/api/oauth/usage"
TIMEOUT_S = 10
DEFAULT_TTL_S = 300
BACKOFF_START_S = 60
BACKOFF_CAP_S = 1800
RESET_JITTER = timedelta(minutes=1)

Source = Literal["api", "cache", "file", "last-known"]


@dataclass
class Usage:
    """Utilisation numbers, when they were true, and where they came from."""

    response: UsageResponse
    fetched_at: datetime
    source: Source
    error: str | None = None

    @property
    def fresh(self) -> bool:
        """Whether these numbers come from this call (endpoint, cache within its TTL, or a file)."""
        return self.source != "last-known"


# --- cache and backoff (keyed by the Claude config dir, never by the token) ------------


def _key(claude_dir: Path) -> str:
    return hashlib.sha256(str(claude_dir.resolve()).encode()).hexdigest()[:16]


def _cache_file(claude_dir: Path, kind: str) -> Path:
    return paths.cache_dir() / f"{kind}-{_key(claude_dir)}.json"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    store.write_atomic(path, json.dumps(data, indent=1) + "\n")


def ttl_seconds() -> float:
    """How long a cached answer counts as fresh ($AI_BUDGET_CACHE_TTL, default 300 s)."""
    try:
        return max(float(os.environ.get("AI_BUDGET_CACHE_TTL", DEFAULT_TTL_S)), 0.0)
    except ValueError:
        return DEFAULT_TTL_S


def cached(claude_dir: Path) -> Usage | None:
    """The last answer kept on disk, whatever its age."""
    data = _read_json(_cache_file(claude_dir, "usage"))
    if not data:
        return None
    try:
        fetched = parse_time(data.get("fetched_at"))
        response = UsageResponse.model_validate(data.get("response"))
    except (ValueError, ValidationError):
        return None
    if fetched is None:
        return None
    return Usage(response, fetched, "cache")


def _remember(claude_dir: Path, usage: Usage) -> None:
    _write_json(
        _cache_file(claude_dir, "usage"),
        {
            "fetched_at": usage.fetched_at.isoformat(),
            "source": usage.source,
            "claude_dir": str(claude_dir),
            "response": usage.response.model_dump(mode="json"),
        },
    )


def backoff_until(claude_dir: Path) -> datetime | None:
    """When the next request is allowed after a 429, if that is still in the future."""
    data = _read_json(_cache_file(claude_dir, "backoff")) or {}
    try:
        until = parse_time(data.get("until"))
    except ValueError:
        return None
    return until if until is not None and until > now() else None


def _note_429(claude_dir: Path, retry_after: str | None) -> datetime:
    path = _cache_file(claude_dir, "backoff")
    failures = int((_read_json(path) or {}).get("failures", 0)) + 1
    wait = _retry_after_seconds(retry_after)
    if not wait:  # absent or 0 (seen on a persistently throttled account): back off exponentially
        wait = min(BACKOFF_START_S * 2 ** (failures - 1), BACKOFF_CAP_S)
    until = now() + timedelta(seconds=wait)
    _write_json(path, {"until": until.isoformat(), "failures": failures})
    return until


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - now()).total_seconds(), 0.0)


def _clear_backoff(claude_dir: Path) -> None:
    path = _cache_file(claude_dir, "backoff")
    if path.exists():
        path.unlink()


# --- the endpoint ----------------------------------------------------------------------


def base_url() -> str:
    """The API base ($AI_BUDGET_ANTHROPIC_URL for tests and proxies)."""
    return os.environ.get("AI_BUDGET_ANTHROPIC_URL", DEFAULT_BASE).rstrip("/")


def parse_response(text: str | bytes, origin: str) -> UsageResponse:
    """Parse a usage answer leniently; say what is wrong with one that cannot be used."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("<"):
        raise FetchError(
            f"{origin} answered with a web page instead of JSON (a bot check or a proxy?): try again later"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise FetchError(f"{origin} gave invalid or truncated JSON: try again later") from None
    if not isinstance(data, dict) or not isinstance(data.get("five_hour"), dict):
        raise FetchError(
            f"{origin} has no five_hour/seven_day windows: is it a usage response? "
            "(the format may have changed)"
        )
    try:
        return UsageResponse.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise FetchError(f"{origin} has an unreadable {where}: the format may have changed") from None


def _request(token: str) -> UsageResponse:
    url = base_url() + USAGE_PATH
    request = urllib.request.Request(
        url,
        headers={
            "Authorization": f"Bearer {token}",
            "anthropic-beta": "oauth-2025-04-20",
            "Accept": "application/json",
            "User-Agent": f"ai-budget/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            body = answer.read()
    except urllib.error.HTTPError as exc:
        raise _http_error(exc) from None
    except TimeoutError:
        raise FetchError(
            f"the usage endpoint did not answer within {TIMEOUT_S} s: check the network and retry"
        ) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(
                f"the usage endpoint did not answer within {TIMEOUT_S} s: check the network and retry"
            ) from None
        raise FetchError(f"cannot reach {base_url()} ({reason}): check the network") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"the request to {base_url()} failed ({exc}): try again later") from None
    return parse_response(body, "the usage endpoint")


class RateLimited(FetchError):
    """HTTP 429: the endpoint wants us to wait (Retry-After header kept for the backoff)."""

    def __init__(self, message: str, retry_after: str | None):
        super().__init__(message)
        self.retry_after = retry_after


def _http_error(exc: urllib.error.HTTPError) -> FetchError:
    code = exc.code
    if code == 401:
        return FetchError(f"the usage endpoint refused the Claude login (401): {credentials.REFRESH_HINT}")
    if code == 403:
        return FetchError(
            "the usage endpoint refused this login (403; it needs the user:profile scope): "
            "run `claude` and /login again"
        )
    if code == 429:
        return RateLimited("the usage endpoint is rate limiting (429)", exc.headers.get("Retry-After"))
    if code >= 500:
        return FetchError(f"the usage endpoint failed (HTTP {code}): try again in a few minutes")
    return FetchError(f"the usage endpoint answered HTTP {code}: try again later")


def _next_try(until: datetime) -> str:
    return f"next try allowed at {local_clock(until)} (in {countdown(until)})"


# --- getting usage -----------------------------------------------------------------------


def from_text(text: str, claude_dir: Path, origin: str = "the file") -> Usage:
    """A usage response given as text (`--from-file`): counts as fresh and fills the cache."""
    usage = Usage(parse_response(text, origin), now(), "file")
    _remember(claude_dir, usage)
    return usage


def get(claude_dir: Path, force: bool = False) -> Usage:
    """Fresh usage: the cache within its TTL (unless `force`), else the endpoint. Raises on failure."""
    if not force:
        hit = cached(claude_dir)
        if hit is not None and (now() - hit.fetched_at).total_seconds() < ttl_seconds():
            return hit
    until = backoff_until(claude_dir)
    if until is not None:
        raise FetchError(f"the usage endpoint asked us to wait after a 429: {_next_try(until)}")
    login = credentials.load(claude_dir)
    login.check()
    try:
        response = _request(login.token)
    except RateLimited as exc:
        until = _note_429(claude_dir, exc.retry_after)
        raise FetchError(f"{exc}: {_next_try(until)}") from None
    _clear_backoff(claude_dir)
    usage = Usage(response, now(), "api")
    _remember(claude_dir, usage)
    return usage


def last_known(claude_dir: Path, section: ClaudeSection | None, error: str) -> Usage | None:
    """The newest values kept anywhere (cache or budget.json), labelled as last known."""
    options: list[Usage] = []
    hit = cached(claude_dir)
    if hit is not None:
        options.append(hit)
    from_budget = section_usage(section) if section is not None else None
    if from_budget is not None:
        options.append(from_budget)
    if not options:
        return None
    best = max(options, key=lambda u: u.fetched_at)
    return Usage(best.response, best.fetched_at, "last-known", error)


def section_usage(section: ClaudeSection) -> Usage | None:
    """budget.json's claude section as a Usage, if it holds values."""
    if section.five_hour_util is None or section.last_fetched is None:
        return None
    data: dict[str, Any] = {name: w.model_dump(mode="json") for name, w in section.windows.items()}
    data["five_hour"] = {"utilization": section.five_hour_util, "resets_at": section.five_hour_resets_at}
    data["seven_day"] = {"utilization": section.seven_day_util, "resets_at": section.seven_day_resets_at}
    data["limits"] = section.limits
    data["extra_usage"] = section.extra_usage
    return Usage(UsageResponse.model_validate(data), section.last_fetched, "last-known")


def current_usage(claude_dir: Path | None = None) -> UsageResponse | None:
    """For other programs: current usage (cached for the TTL), or None when it cannot be had."""
    try:
        return get(claude_dir or paths.primary_claude_dir()).response
    except BudgetError:
        return None
    except Exception:  # a router gating calls on quota must never crash on us
        return None


# --- budget.json ----------------------------------------------------------------------------


def _moved(old: datetime | None, new: datetime | None) -> bool:
    if old is None or new is None:
        return old is not new
    return abs(new - old) > RESET_JITTER


def changed(section: ClaudeSection, response: UsageResponse) -> bool:
    """Whether a utilisation changed or a reset moved by more than a minute (resets_at jitters)."""
    if section.five_hour_util != response.five_hour.utilization:
        return True
    if section.seven_day_util != response.seven_day.utilization:
        return True
    if _moved(section.five_hour_resets_at, response.five_hour.resets_at):
        return True
    if _moved(section.seven_day_resets_at, response.seven_day.resets_at):
        return True
    old, new = section.windows, response.other_windows()
    if set(old) != set(new):
        return True
    return any(
        old[k].utilization != new[k].utilization or _moved(old[k].resets_at, new[k].resets_at) for k in new
    )


def apply(section: ClaudeSection, usage: Usage) -> ClaudeSection:
    """The claude section holding these numbers (keys the user added are kept)."""
    updated = section.model_copy(deep=True)
    r = usage.response
    updated.five_hour_util = r.five_hour.utilization
    updated.seven_day_util = r.seven_day.utilization
    updated.five_hour_resets_at = r.five_hour.resets_at
    updated.seven_day_resets_at = r.seven_day.resets_at
    updated.last_fetched = usage.fetched_at
    updated.source = usage.source
    updated.windows = r.other_windows()
    updated.limits = r.limits
    updated.extra_usage = r.extra_usage
    return updated


def record(journal: Journal, usage: Usage) -> bool:
    """Write fresh numbers into budget.json and commit, only when they materially changed."""
    with journal.locked():
        budget = journal.load()
        if not changed(budget.claude, usage.response):
            return False
        budget.claude = apply(budget.claude, usage)
        journal.save(budget)
        r = usage.response
        journal.commit(
            ["budget.json"],
            f"claude: 5h {pct(r.five_hour.utilization)}, week {pct(r.seven_day.utilization)}",
        )
    return True


def pct(value: float | None) -> str:
    """37.0 -> '37.0%'; None -> '?'."""
    return "?" if value is None else f"{value:.1f}%"


def obtain(
    claude_dir: Path,
    section: ClaudeSection | None,
    force: bool = False,
    text: str | None = None,
    origin: str = "the file",
) -> Usage:
    """Fresh numbers (file, cache, endpoint), else the last known ones labelled with the error."""
    try:
        return from_text(text, claude_dir, origin) if text is not None else get(claude_dir, force)
    except BudgetError as exc:
        fallback = last_known(claude_dir, section, str(exc))
        if fallback is None:
            raise
        return fallback


def fetch(
    journal: Journal, claude_dir: Path, force: bool = False, text: str | None = None, origin: str = "the file"
) -> Usage:
    """`ai-budget fetch`: fresh numbers into the journal, or the last known ones with the error."""
    usage = obtain(claude_dir, journal.load().claude, force, text, origin)
    if usage.fresh:
        record(journal, usage)
    return usage


def read_source(name: str) -> tuple[str, str]:
    """The text of the file given to `--from-file`, and how to name it in messages."""
    path = Path(name).expanduser()
    try:
        return path.read_text(encoding="utf-8", errors="replace"), str(path)
    except OSError as exc:
        raise FetchError(
            f"cannot read {path} ({exc.strerror}): check the path given to --from-file"
        ) from None


def window_rows(response: UsageResponse) -> list[tuple[str, UsageWindow]]:
    """The windows to show, labelled: 5-hour, weekly, then the others that carry a number."""
    rows = [("5-hour", response.five_hour), ("weekly", response.seven_day)]
    for key, window in response.other_windows().items():
        if window.utilization is None:
            continue
        rows.append((key.replace("seven_day_", "weekly ").replace("_", " "), window))
    for limit in response.limits or []:
        if limit.get("kind") != "weekly_scoped":
            continue
        scope = limit.get("scope") or {}
        model = (scope.get("model") or {}).get("display_name") if isinstance(scope, dict) else None
        label = f"weekly {model}" if model else "weekly (scoped)"
        try:
            rows.append(
                (label, UsageWindow(utilization=limit.get("percent"), resets_at=limit.get("resets_at")))
            )
        except ValidationError:
            continue
    return rows
