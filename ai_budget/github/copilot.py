"""Copilot's monthly count from GitHub's billing API (AI credits, or legacy premium requests):
the token, one request at a time under a deadline, a 15-minute cache, and rate limits honoured."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ai_budget import http, paths
from ai_budget.errors import BudgetError
from ai_budget.fileio import read_json, write_json
from ai_budget.quantities import MAX_COPILOT
from ai_budget.timeutil import parse_time

DEFAULT_BASE = "https://api.github.com"
API_VERSION = "2026-03-10"
TIMEOUT_S = 10
MAX_BODY = 1 << 20
CACHE_S = 900
MAX_WAIT_S = 86400
PATHS = {"credits": "ai_credit", "requests": "premium_request"}
TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")
HOW_TO = (
    "set GH_TOKEN to a fine-grained token with the 'Plan' user permission (read), or log in with "
    "`gh auth login` and `gh auth refresh -s user`; or keep typing it with `ai-budget copilot set N`"
)


class GitHubError(BudgetError):
    """GitHub's billing API could not give the count."""


@dataclass(frozen=True)
class CopilotCount:
    """The month's Copilot usage as GitHub reports it."""

    used: int
    unit: str
    login: str
    year: int
    month: int
    fetched_at: datetime
    cached: bool = False


def base_url() -> str:
    """GitHub's API base ($AI_BUDGET_GITHUB_URL for tests and GitHub Enterprise)."""
    return os.environ.get("AI_BUDGET_GITHUB_URL", DEFAULT_BASE).rstrip("/")


def find_token() -> str:
    """GH_TOKEN, GITHUB_TOKEN, else `gh auth token`; never printed, never stored."""
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not token and shutil.which("gh"):
        try:
            done = subprocess.run(["gh", "auth", "token"], capture_output=True, text=True, timeout=5)
            token = done.stdout.strip() if done.returncode == 0 else None
        except (OSError, subprocess.SubprocessError):
            token = None
    if not token:
        raise GitHubError(f"no GitHub token: {HOW_TO}")
    if not TOKEN_SHAPE.fullmatch(token.strip()):
        raise GitHubError("the GitHub token has spaces or control characters in it: set GH_TOKEN again")
    return token.strip()


def _file(kind: str) -> Path:
    """A cache file of ours, keyed by the API base (never by the token)."""
    key = hashlib.sha256(base_url().encode()).hexdigest()[:16]
    return paths.cache_dir() / f"github-{kind}-{key}.json"


def _request(path: str, token: str) -> http.Answer:
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": "ai-budget",
    }
    try:
        return http.get(base_url() + path, headers, TIMEOUT_S, MAX_BODY)
    except http.HttpFailure as exc:
        what = {"timeout": f"did not answer within {TIMEOUT_S} s", "too-big": "sent more than 1 MB"}
        said = what.get(exc.kind, f"could not be reached ({exc.detail or exc.kind})")
        raise GitHubError(f"GitHub {said}: try again later") from None


def _json(answer: http.Answer, what: str) -> dict[str, object]:
    try:
        data = json.loads(answer.body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GitHubError(f"GitHub's answer to {what} is not JSON (a proxy or an outage page?): try later")
    return data


def _refused(answer: http.Answer, what: str, moment: datetime) -> GitHubError:
    """What a non-200 answer means, and the wait it asks for (remembered for the next call)."""
    status, headers = answer.status, answer.headers
    limited = status == 429 or (status == 403 and headers.get("x-ratelimit-remaining") == "0")
    if limited:
        until = _wait_until(headers, moment)
        write_json(_file("backoff"), {"until": until.isoformat()})
        return GitHubError(f"GitHub is rate limiting (HTTP {status}): next try after {until:%H:%M} UTC")
    if 300 <= status < 400:
        return GitHubError(
            f"GitHub redirected (HTTP {status}); the token is not sent on: check AI_BUDGET_GITHUB_URL"
        )
    if status == 401:
        return GitHubError("GitHub refused the token (401): check GH_TOKEN, or run `gh auth login`")
    if status in (403, 404):
        return GitHubError(
            f"GitHub will not show {what} (HTTP {status}): the token needs the 'Plan' user permission "
            "(read; `gh auth refresh -s user`), or the seat is managed by an organisation, which this "
            "endpoint cannot see: keep using `ai-budget copilot set N`"
        )
    return GitHubError(f"GitHub answered HTTP {status} for {what}: try again later")


def _wait_until(headers: object, moment: datetime) -> datetime:
    get = getattr(headers, "get", lambda _k: None)
    wait = 60.0
    retry, reset = get("Retry-After"), get("x-ratelimit-reset")
    if retry and str(retry).strip().isdigit():
        wait = float(retry)
    elif reset and str(reset).strip().isdigit():
        wait = float(reset) - moment.timestamp()
    return moment + timedelta(seconds=min(max(wait, 1.0), MAX_WAIT_S))


def _backoff(moment: datetime) -> datetime | None:
    data = read_json(_file("backoff")) or {}
    try:
        until = parse_time(data.get("until"))
    except ValueError:
        return None
    return until if until is not None and until > moment else None


def _cached(path: Path, unit: str, moment: datetime) -> CopilotCount | None:
    """This month's count from our cache while it is young; a damaged cache is no cache."""
    cached = read_json(path) or {}
    used, login = cached.get("used"), cached.get("login")
    if isinstance(used, bool) or not isinstance(used, int) or not 0 <= used <= MAX_COPILOT:
        return None
    try:
        at = parse_time(cached.get("fetched_at"))
    except ValueError:
        return None
    same_month = (cached.get("year"), cached.get("month")) == (moment.year, moment.month)
    if (
        at is None
        or not isinstance(login, str)
        or not same_month
        or not 0 <= (moment - at).total_seconds() < CACHE_S
    ):
        return None
    return CopilotCount(used, unit, login, moment.year, moment.month, at, True)


def fetch_count(unit: str, moment: datetime, force: bool = False) -> CopilotCount:
    """This month's count (network, unless the 15-minute cache answers or a rate-limit wait is on)."""
    cache_path = _file(f"copilot-{unit}")
    hit = None if force else _cached(cache_path, unit, moment)
    if hit is not None:
        return hit
    until = _backoff(moment)
    if until is not None:
        raise GitHubError(f"GitHub asked us to wait after a rate limit: next try after {until:%H:%M} UTC")
    token = find_token()
    me = _request("/user", token)
    if me.status != 200:
        raise _refused(me, "who you are", moment)
    login = _json(me, "/user").get("login")
    if not isinstance(login, str) or not login:
        raise GitHubError("GitHub's /user answer has no login: try again later")
    path = f"/users/{login}/settings/billing/{PATHS[unit]}/usage?year={moment.year}&month={moment.month}"
    answer = _request(path, token)
    if answer.status != 200:
        raise _refused(answer, "your Copilot usage", moment)
    used = total_used(_json(answer, "the usage report"))
    record = {"fetched_at": moment.isoformat(), "login": login, "used": used}
    write_json(cache_path, record | {"year": moment.year, "month": moment.month})
    return CopilotCount(used, unit, login, moment.year, moment.month, moment)


def total_used(report: dict[str, object]) -> int:
    """Used this month: the sum of `grossQuantity` over `usageItems`, rounded up (an empty month is 0)."""
    items = report.get("usageItems")
    if items is None:
        return 0
    if not isinstance(items, list):
        raise GitHubError("GitHub's usage report has no list of usageItems: the format may have changed")
    total = 0.0
    for item in items:
        quantity = item.get("grossQuantity") if isinstance(item, dict) else None
        if isinstance(quantity, (int, float)) and not isinstance(quantity, bool) and quantity >= 0:
            total += quantity
    if not total <= MAX_COPILOT:  # past any month's allowance, or no finite number at all
        raise GitHubError(
            f"GitHub's usage report adds up to more than {MAX_COPILOT:,} this month, which no plan "
            "allows: the format may have changed; keep using `ai-budget copilot set N`"
        )
    # Credits come in fractions; the journal counts whole ones, rounded up so usage is never understated.
    return math.ceil(total - 1e-9)
