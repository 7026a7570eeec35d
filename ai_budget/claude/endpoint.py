"""The OAuth usage endpoint over HTTP: one request, and what its failures mean for the user."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request

from pydantic import ValidationError

from ai_budget.claude.credentials import REFRESH_HINT
from ai_budget.errors import FetchError
from ai_budget.model.usage import UsageResponse
from ai_budget.version import __version__

DEFAULT_BASE = "https://api.anthropic.com"
USAGE_PATH = "/api/oauth/usage"
TIMEOUT_S = 10


class RateLimited(FetchError):
    """HTTP 429: the endpoint wants us to wait (Retry-After header kept for the backoff)."""

    def __init__(self, message: str, retry_after: str | None):
        super().__init__(message)
        self.retry_after = retry_after


def base_url() -> str:
    """The API base ($AI_BUDGET_ANTHROPIC_URL for tests and proxies)."""
    return os.environ.get("AI_BUDGET_ANTHROPIC_URL", DEFAULT_BASE).rstrip("/")


def parse_response(text: str | bytes, origin: str) -> UsageResponse:
    """Parse a usage answer leniently; say what is wrong with one that cannot be used."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if text.lstrip().startswith("<"):
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


def request_usage(token: str) -> UsageResponse:
    """GET the usage endpoint with this token (network); every failure is a FetchError."""
    request = urllib.request.Request(
        base_url() + USAGE_PATH,
        headers={
            "Authorization": f"Bearer {token}",
            "anthropic-beta": "oauth-2025-04-20",
            "Accept": "application/json",
            "User-Agent": f"ai-budget/{__version__}",
        },
    )
    timeout = FetchError(
        f"the usage endpoint did not answer within {TIMEOUT_S} s: check the network and retry"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            body = answer.read()
    except urllib.error.HTTPError as exc:
        raise _http_error(exc) from None
    except TimeoutError:
        raise timeout from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise timeout from None
        raise FetchError(f"cannot reach {base_url()} ({exc.reason}): check the network") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"the request to {base_url()} failed ({exc}): try again later") from None
    return parse_response(body, "the usage endpoint")


def _http_error(exc: urllib.error.HTTPError) -> FetchError:
    code = exc.code
    if code == 401:
        return FetchError(f"the usage endpoint refused the Claude login (401): {REFRESH_HINT}")
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
