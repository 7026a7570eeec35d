"""The Anthropic Admin API over HTTP: the key, one page at a time under a deadline, every page
followed, and what each failure means. The key is sent in one header and nowhere else: never
printed, logged, cached or committed."""

from __future__ import annotations

import json
import os
import re
import stat
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ai_budget import http, paths
from ai_budget.claude.endpoint import base_url
from ai_budget.errors import BudgetError
from ai_budget.version import __version__

KEY_ENV = paths.ADMIN_KEY_ENV
API_VERSION = "2023-06-01"
TIMEOUT_S = 10  # per page
TOTAL_S = 30  # for all the pages of one look: a slow Console never holds `status` or the brief long
MAX_BODY = 8 << 20  # a month of daily buckets grouped by description is a few hundred KB
MAX_PAGES = 100
KEY_SHAPE = re.compile(r"[\x21-\x7e]+")
HOW_TO = (
    "create an Admin API key (sk-ant-admin…; organisation admins only) in the Claude Console under "
    f"Settings > Admin keys, then export {KEY_ENV} or name a file (mode 0600) holding it in "
    "settings.console.admin_key_file. Individual accounts have no Admin API"
)


class ConsoleError(BudgetError):
    """The Admin API could not give the organisation's reports."""


class AuthRefused(ConsoleError):
    """HTTP 401 or 403: the key itself is the problem, so no other request is worth making."""


def find_key(key_file: str | None) -> str:
    """$ANTHROPIC_ADMIN_API_KEY, else the key file named in settings (mode 0600 only)."""
    key = os.environ.get(KEY_ENV, "").strip()
    origin = KEY_ENV
    if not key and key_file:
        path = Path(key_file).expanduser()
        key, origin = _read_key_file(path), str(path)
        if not key:
            raise ConsoleError(f"{path} (settings.console.admin_key_file) is empty: put the key in it")
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


@dataclass
class Api:
    """The key, and the moment (time.monotonic) by which every page of this look must have come."""

    key: str
    deadline: float = field(default_factory=lambda: time.monotonic() + TOTAL_S)

    def get_json(self, path: str, query: list[tuple[str, str]]) -> dict[str, Any]:
        """One GET; the answer's JSON object, or a ConsoleError that names the cause."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ConsoleError(f"the Admin API took over {TOTAL_S} s in all (at {_what(path)}): try later")
        headers = {
            "x-api-key": self.key,
            "anthropic-version": API_VERSION,
            "Accept": "application/json",
            "User-Agent": f"ai-budget/{__version__}",
        }
        url = base_url() + path + ("?" + urllib.parse.urlencode(query) if query else "")
        try:
            answer = http.get(url, headers, min(TIMEOUT_S, left), MAX_BODY)
        except http.HttpFailure as exc:
            raise _failure(exc, path) from None
        text = answer.body[:4000].decode("utf-8", errors="replace")
        if answer.status != 200:
            raise _refused(answer.status, answer.headers, text, path)
        return _object(answer.body, text, path)

    def report(self, path: str, query: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Every item of a report, following `has_more` / `next_page` (passed back as `page`)."""
        return self._paged(path, query, "next_page", "page")

    def listing(self, path: str) -> list[dict[str, Any]]:
        """Every item of a list, following `has_more` / `last_id` (passed back as `after_id`)."""
        return self._paged(path, [("limit", "1000")], "last_id", "after_id")

    def _paged(
        self, path: str, query: list[tuple[str, str]], cursor: str, param: str
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        extra: list[tuple[str, str]] = []
        for _ in range(MAX_PAGES):
            data = self.get_json(path, query + extra)
            found += _items(data, path)
            if data.get("has_more") is not True:
                return found
            token = data.get(cursor)
            if not isinstance(token, str) or not token or token in seen:
                raise ConsoleError(
                    f"the Admin API's {_what(path)} answer says there is more, with no new {cursor}: "
                    "try later"
                )
            seen.add(token)
            extra = [(param, token)]
        raise ConsoleError(
            f"the Admin API's {_what(path)} report runs past {MAX_PAGES} pages: try a shorter month"
        )


def _object(body: bytes, text: str, path: str) -> dict[str, Any]:
    """The JSON object of a 200 answer, or why there is none."""
    try:
        data = json.loads(body)
    except ValueError:
        page = "a web page" if text.lstrip().startswith("<") else "not JSON"
        raise ConsoleError(
            f"the Admin API's answer to {_what(path)} is {page} (a proxy or an outage?): try later"
        ) from None
    if not isinstance(data, dict):
        raise ConsoleError(
            f"the Admin API's answer to {_what(path)} is not the JSON object expected: the format may "
            "have changed"
        )
    return data


def _failure(exc: http.HttpFailure, path: str) -> ConsoleError:
    if exc.kind == "timeout":
        return ConsoleError(f"the Admin API did not answer {_what(path)} in time: try again later")
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
