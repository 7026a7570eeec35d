"""The Anthropic Admin API (the Console's organisation reports) over HTTP: the key, one page at a
time under a deadline, every page followed, and what each failure means. The key is sent in one
header and nowhere else: never printed, logged, cached or committed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ai_budget import http
from ai_budget.claude import console_cache
from ai_budget.claude.endpoint import base_url
from ai_budget.errors import BudgetError
from ai_budget.timeutil import local_clock
from ai_budget.version import __version__

KEY_ENV = "ANTHROPIC_ADMIN_API_KEY"
API_VERSION = "2023-06-01"
TIMEOUT_S = 10  # per page
MAX_BODY = 8 << 20  # a month of daily buckets grouped by description is a few hundred KB
MAX_PAGES = 100
SETTLED = timedelta(days=2)
KEY_SHAPE = re.compile(r"[\x21-\x7e]+")
HOW_TO = (
    "create an Admin API key (sk-ant-admin…) in the Claude Console under Settings > Admin keys "
    "(https://platform.claude.com/settings/admin-keys; only organisation admins can) and export "
    f"{KEY_ENV}, or keep it in a file of mode 0600 named by settings.console.admin_key_file in "
    "budget.json. Individual accounts have no Admin API: it needs an organisation (Console > "
    "Settings > Organization)"
)
COST = "/v1/organizations/cost_report"
MESSAGES = "/v1/organizations/usage_report/messages"
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
WORKSPACES = "/v1/organizations/workspaces"
USERS = "/v1/organizations/users"


class ConsoleError(BudgetError):
    """The Admin API could not give the organisation's reports."""


class AuthRefused(ConsoleError):
    """HTTP 401 or 403: the key itself is the problem, so no other request is worth making."""


def find_key(key_file: str | None) -> str:
    """$ANTHROPIC_ADMIN_API_KEY, else the key file named in settings (mode 0600 only)."""
    key = os.environ.get(KEY_ENV, "").strip()
    origin = KEY_ENV
    if not key and key_file:
        key, origin = _read_key_file(Path(key_file).expanduser()), str(Path(key_file).expanduser())
    if not key:
        raise ConsoleError(f"no Admin API key: {HOW_TO}")
    if not KEY_SHAPE.fullmatch(key):
        raise ConsoleError(
            f"the Admin API key in {origin} has spaces or control characters in it: set it again"
        )
    return key


def key_configured(key_file: str | None) -> bool:
    """Whether a key is set up at all (without reading it)."""
    return bool(os.environ.get(KEY_ENV, "").strip() or key_file)


def _read_key_file(path: Path) -> str:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConsoleError(f"{path} (settings.console.admin_key_file) is not a file: name the key's file")
        if info.st_mode & 0o077:
            raise ConsoleError(
                f"{path} holds the Admin API key but others may read it (mode "
                f"{stat.S_IMODE(info.st_mode):04o}): run `chmod 600 {path}`"
            )
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConsoleError(
            f"cannot read {path} ({exc.strerror}): check settings.console.admin_key_file"
        ) from None
    except UnicodeDecodeError:
        raise ConsoleError(f"{path} is not text: it should hold the Admin API key alone") from None


def _what(path: str) -> str:
    return path.rsplit("/organizations/", 1)[-1]


def get_json(path: str, query: list[tuple[str, str]], key: str) -> dict[str, Any]:
    """One GET of the Admin API; the answer's JSON object, or a ConsoleError that names the cause."""
    headers = {
        "x-api-key": key,
        "anthropic-version": API_VERSION,
        "Accept": "application/json",
        "User-Agent": f"ai-budget/{__version__}",
    }
    url = base_url() + path + ("?" + urllib.parse.urlencode(query) if query else "")
    try:
        answer = http.get(url, headers, TIMEOUT_S, MAX_BODY)
    except http.HttpFailure as exc:
        raise _failure(exc, path) from None
    text = answer.body[:4000].decode("utf-8", errors="replace")
    if answer.status != 200:
        raise _refused(answer.status, answer.headers, text, path)
    try:
        data = json.loads(answer.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        page = "a web page" if text.lstrip().startswith("<") else "not JSON"
        raise ConsoleError(
            f"the Admin API's answer to {_what(path)} is {page} (a proxy or an outage?): try later"
        )
    return data


def _failure(exc: http.HttpFailure, path: str) -> ConsoleError:
    if exc.kind == "timeout":
        return ConsoleError(
            f"the Admin API did not answer {_what(path)} within {TIMEOUT_S} s: try again later"
        )
    if exc.kind == "bad-url":
        return ConsoleError(
            f"AI_BUDGET_ANTHROPIC_URL is not an http(s) address ({base_url()}): fix or unset it"
        )
    if exc.kind == "too-big":
        return ConsoleError(f"the Admin API sent more than {MAX_BODY >> 20} MB for {_what(path)}: try later")
    return ConsoleError(f"cannot reach {base_url()} ({exc.detail or exc.kind}): check the network")


class RateLimited(ConsoleError):
    """HTTP 429, with the Retry-After header kept for the wait."""

    def __init__(self, message: str, retry_after: str | None):
        super().__init__(message)
        self.retry_after = retry_after


def _error_type(text: str) -> str:
    try:
        kind = json.loads(text).get("error", {}).get("type")
    except (ValueError, AttributeError):
        return ""
    return f" {kind}" if isinstance(kind, str) and re.fullmatch(r"[a-z_]{1,40}", kind) else ""


def _refused(status: int, headers: Any, text: str, path: str) -> ConsoleError:
    what = _what(path)
    if status == 429:
        return RateLimited(f"the Admin API is rate limiting (429) on {what}", headers.get("Retry-After"))
    if 300 <= status < 400:
        return ConsoleError(
            f"the Admin API redirected (HTTP {status}); the key is not sent on: check AI_BUDGET_ANTHROPIC_URL"
        )
    if text.lstrip().startswith("<") and status in (401, 403):
        return ConsoleError(
            f"the Admin API answered {status} with a web page (a proxy or a bot check): try later"
        )
    if status == 401:
        return AuthRefused(
            f"the Admin API refused the key (401{_error_type(text)}): it is wrong, revoked or expired; "
            "create a new one in the Claude Console under Settings > Admin keys"
        )
    if status == 403:
        return AuthRefused(
            f"the Admin API will not show {what} to this key (403{_error_type(text)}): it needs an "
            "Admin API key (sk-ant-admin…) of a Console organisation, not a regular API key; "
            "individual accounts have no Admin API"
        )
    if status == 404:
        return ConsoleError(f"the Admin API has no {what} (404): check AI_BUDGET_ANTHROPIC_URL")
    if status >= 500:
        return ConsoleError(f"the Admin API failed on {what} (HTTP {status}): try again in a few minutes")
    return ConsoleError(f"the Admin API answered HTTP {status} for {what}: try again later")


def _items(data: dict[str, Any], path: str) -> list[dict[str, Any]]:
    items = data.get("data")
    if not isinstance(items, list):
        raise ConsoleError(
            f"the Admin API's {_what(path)} answer has no data list: the format may have changed"
        )
    return [item for item in items if isinstance(item, dict)]


def report_pages(path: str, query: list[tuple[str, str]], key: str) -> list[dict[str, Any]]:
    """Every item of a report, following `has_more` / `next_page` (passed back as `page`)."""
    return _paged(path, query, key, "next_page", "page")


def list_pages(path: str, query: list[tuple[str, str]], key: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint, following `has_more` / `last_id` (passed back as `after_id`)."""
    return _paged(path, query, key, "last_id", "after_id")


def _paged(
    path: str, query: list[tuple[str, str]], key: str, cursor: str, param: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    extra: list[tuple[str, str]] = []
    for _ in range(MAX_PAGES):
        data = get_json(path, query + extra, key)
        found += _items(data, path)
        if data.get("has_more") is not True:
            return found
        token = data.get(cursor)
        if not isinstance(token, str) or not token or token in seen:
            raise ConsoleError(
                f"the Admin API's {_what(path)} answer says there is more, with no new {cursor}: try later"
            )
        seen.add(token)
        extra = [(param, token)]
    raise ConsoleError(
        f"the Admin API's {_what(path)} report runs past {MAX_PAGES} pages: try a shorter month"
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def collect(
    key: str, start: datetime, end: datetime, now: datetime, email: str | None, key_names: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """The month's raw answers (cost, tokens per model, workspaces, your Claude Code records) and
    notes on the optional parts that could not be had; the cost report is required."""
    # A month under way ends with today's bucket: nothing is asked of the future.
    tomorrow = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    span = [
        ("starting_at", _stamp(start)),
        ("ending_at", _stamp(min(end, tomorrow))),
        ("bucket_width", "1d"),
        ("limit", "31"),
    ]
    answers: dict[str, Any] = {
        "cost": report_pages(
            COST, [*span, ("group_by[]", "workspace_id"), ("group_by[]", "description")], key
        )
    }
    notes: list[str] = []
    optional = (
        ("usage", lambda: report_pages(MESSAGES, [*span, ("group_by[]", "model")], key)),
        ("workspaces", lambda: list_pages(WORKSPACES, [("limit", "100")], key)),
    )
    for name, fetch in optional:
        try:
            answers[name] = fetch()
        except (AuthRefused, RateLimited):
            raise
        except ConsoleError as exc:
            notes.append(f"{name}: {exc}")
    try:
        found, note = _whoami(key, email) if email or not key_names else (None, None)
        if note:
            notes.append(note)
        who = ([found] if found else []) + list(key_names)
        if who:
            answers["you"] = ", ".join(who)
            answers["claude_code"] = _claude_code(key, who, start, min(end, now), now)
    except (AuthRefused, RateLimited):
        raise
    except ConsoleError as exc:
        notes.append(f"Claude Code: {exc}")
    return answers, notes


def _whoami(key: str, email: str | None) -> tuple[str | None, str | None]:
    """Your address: the configured one, else the organisation's only member (users endpoint)."""
    if email:
        return email.strip(), None
    users = list_pages(USERS, [("limit", "100")], key)
    found = [u["email"] for u in users if isinstance(u.get("email"), str)]
    if len(found) == 1:
        return found[0], None
    return None, (
        f"Claude Code: the organisation has {len(found)} members: set settings.console.email in "
        "budget.json to see your own spend"
    )


def _claude_code(
    key: str, who: list[str], start: datetime, until: datetime, now: datetime
) -> list[dict[str, Any]]:
    """Your Claude Code records, one request (and its pages) per UTC day: the report covers one day.
    Days over two days old are settled (the report lags minutes, not days): kept, never asked again."""
    base = base_url()
    name = f"{start:%Y-%m}-" + hashlib.sha256("\n".join(who).lower().encode()).hexdigest()[:12]
    settled = console_cache.read_settled(base, key, name)
    mine: list[dict[str, Any]] = []
    day = start
    while day < until:
        stamp = day.strftime("%Y-%m-%d")
        records = settled.get(stamp)
        if not isinstance(records, list):
            query = [("starting_at", stamp), ("limit", "1000")]
            records = [r for r in report_pages(CLAUDE_CODE, query, key) if _is_you(r, who)]
            if day + timedelta(days=1) < now - SETTLED:
                settled[stamp] = records
        mine += [r for r in records if isinstance(r, dict)]
        day += timedelta(days=1)
    console_cache.keep_settled(base, key, name, settled)
    return mine


def _is_you(record: dict[str, Any], who: list[str]) -> bool:
    """A user_actor with your address (any case), or an api_actor with one of your API keys' names."""
    actor = record.get("actor")
    if not isinstance(actor, dict):
        return False
    if actor.get("type") == "api_actor":
        return actor.get("api_key_name") in who
    return str(actor.get("email_address", "")).lower() in {w.lower() for w in who}


def _cached(
    key: str, name: str, now: datetime, force: bool, fetch: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], datetime, bool]:
    """Our copy when younger than its lifetime (at least 2 minutes), else `fetch` unless a 429 wait
    is on: the answers, when they were fetched, and whether they came from the cache."""
    base = base_url()
    hit = None if force else console_cache.read(base, key, name, now)
    if hit is not None:
        return hit[0], hit[1], True
    until = console_cache.backoff_until(base, key, now)
    if until is not None:
        raise ConsoleError(
            f"the Admin API asked us to wait after a 429: next try at {local_clock(until, now)}"
        )
    try:
        answers = fetch()
    except RateLimited as exc:
        until = console_cache.note_429(base, key, exc.retry_after, now)
        raise ConsoleError(f"{exc}: next try at {local_clock(until, now)}") from None
    console_cache.clear_backoff(base, key)
    console_cache.remember(base, key, name, answers, now)
    return answers, now, False


def fetch_month(
    key_file: str | None,
    email: str | None,
    key_names: list[str],
    start: datetime,
    end: datetime,
    now: datetime,
    force: bool = False,
) -> tuple[dict[str, Any], datetime, bool]:
    """The month's answers, with notes on the parts that could not be had (see `_cached`)."""
    key = find_key(key_file)

    def fetch() -> dict[str, Any]:
        answers, notes = collect(key, start, end, now, email, key_names)
        return answers | {"notes": notes}

    return _cached(key, f"{start:%Y-%m}", now, force, fetch)


def fetch_daily_cost(key_file: str | None, since: datetime, now: datetime) -> list[dict[str, Any]]:
    """The organisation's cost per UTC day from the day of `since` to today (see `_cached`)."""
    key = find_key(key_file)
    start = since.replace(hour=0, minute=0, second=0, microsecond=0)
    span = [("starting_at", _stamp(start)), ("ending_at", _stamp(now + timedelta(days=1)))]

    def fetch() -> dict[str, Any]:
        return {"cost": report_pages(COST, [*span, ("bucket_width", "1d"), ("limit", "31")], key)}

    answers, _at, _cached_hit = _cached(key, f"daily-{start:%Y-%m-%d}", now, False, fetch)
    return [b for b in answers.get("cost") or [] if isinstance(b, dict)]
