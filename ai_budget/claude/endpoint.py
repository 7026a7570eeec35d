"""The OAuth usage endpoint over HTTP: one request under one deadline, and what its failures mean."""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import ValidationError

from ai_budget import http
from ai_budget.claude.credentials import REFRESH_HINT
from ai_budget.errors import FetchError
from ai_budget.model.usage import UsageResponse, UsageWindow
from ai_budget.version import __version__

DEFAULT_BASE = "https://api.anthropic.com"
USAGE_PATH = "/api/oauth/usage"
TIMEOUT_S = 10  # for the whole request, however slowly the body trickles in
MAX_BODY = 1 << 20  # a usage answer is a few KB; anything past a megabyte is not one


class RateLimited(FetchError):
    """HTTP 429: the endpoint wants us to wait (Retry-After header kept for the backoff)."""

    def __init__(self, message: str, retry_after: str | None):
        super().__init__(message)
        self.retry_after = retry_after


def base_url() -> str:
    """The API base ($AI_BUDGET_ANTHROPIC_URL for tests and proxies)."""
    return os.environ.get("AI_BUDGET_ANTHROPIC_URL", DEFAULT_BASE).rstrip("/")


def _is_web_page(text: str) -> bool:
    return text.lstrip().startswith("<")


def parse_response(data: str | bytes, origin: str, retry: str = "try again later") -> UsageResponse:
    """Parse a usage answer leniently; say what is wrong with one that cannot be used."""
    if isinstance(data, bytes):
        if b"\x00" in data:
            raise FetchError(f"{origin} is binary, not a usage response: give a saved JSON answer")
        data = data.decode("utf-8", errors="replace")
    if not data.strip():
        raise FetchError(f"{origin} is empty, not a usage response: give a saved JSON answer")
    if _is_web_page(data):
        raise FetchError(
            f"{origin} answered with a web page instead of JSON (a bot check or a proxy?): {retry}"
        )
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError:
        raise FetchError(f"{origin} gave invalid or truncated JSON: {retry}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("five_hour"), dict):
        raise FetchError(
            f"{origin} has no five_hour/seven_day windows: is it a usage response? "
            "(the format may have changed)"
        )
    try:
        response = UsageResponse.model_validate(parsed)
    except ValidationError as exc:
        raise _unusable(origin, exc) from None
    for key, value in (response.model_extra or {}).items():  # per-model windows: a NaN is no usage either
        if isinstance(value, dict) and "utilization" in value:
            try:
                UsageWindow.model_validate(value)
            except ValidationError as exc:
                raise _unusable(origin, exc, key) from None
    return response


def _unusable(origin: str, exc: ValidationError, key: str | None = None) -> FetchError:
    first = exc.errors()[0]
    where = ".".join([*([key] if key else []), *(str(p) for p in first["loc"])])
    return FetchError(f"{origin} has an unusable {where}: {first['msg'].lower()}")


def request_usage(token: str) -> UsageResponse:
    """GET the usage endpoint with this token (network); every failure is a FetchError."""
    headers = {
        "Authorization": f"Bearer {token}",
        "anthropic-beta": "oauth-2025-04-20",
        "Accept": "application/json",
        "User-Agent": f"ai-budget/{__version__}",
    }
    try:
        answer = http.get(base_url() + USAGE_PATH, headers, TIMEOUT_S, MAX_BODY)
    except http.HttpFailure as exc:
        raise _failure(exc) from None
    if answer.status == 200:
        return parse_response(answer.body, "the usage endpoint")
    raise _http_error(answer.status, answer.headers, answer.body)


def _failure(exc: http.HttpFailure) -> FetchError:
    """A request that did not complete, said for the user."""
    if exc.kind == "timeout":
        return FetchError(
            f"the usage endpoint did not answer within {TIMEOUT_S} s: check the network and retry"
        )
    if exc.kind == "unreachable":
        return FetchError(f"cannot reach {base_url()} ({exc.detail}): check the network")
    if exc.kind == "too-big":
        return FetchError(f"the usage endpoint sent more than {MAX_BODY // 1024} KB: not a usage response")
    if exc.kind == "bad-url":
        return FetchError(
            f"AI_BUDGET_ANTHROPIC_URL is not an http(s) address ({base_url()}): fix or unset it"
        )
    return FetchError(f"the connection to {base_url()} broke ({exc.detail}): try again later")


def _http_error(status: int, headers: Any, body: bytes) -> FetchError:
    text = body[:2000].decode("utf-8", errors="replace")
    if 300 <= status < 400:
        return FetchError(
            f"the usage endpoint redirected (HTTP {status}); ai-budget does not follow redirects with your "
            "login: check AI_BUDGET_ANTHROPIC_URL or the network's proxy"
        )
    if status == 401:
        return FetchError(f"the usage endpoint refused the Claude login (401): {REFRESH_HINT}")
    if status == 403 and _is_web_page(text):
        return FetchError(
            "the usage endpoint answered 403 with a web page (a bot check or a proxy, not your login): "
            "try again later"
        )
    if status == 403:
        return FetchError(
            "the usage endpoint refused this login (403; it needs the user:profile scope): "
            "run `claude` and /login again"
        )
    if status == 429:
        return RateLimited("the usage endpoint is rate limiting (429)", headers.get("Retry-After"))
    if status >= 500:
        return FetchError(f"the usage endpoint failed (HTTP {status}): try again in a few minutes")
    return FetchError(f"the usage endpoint answered HTTP {status}: try again later")
