"""The Console's organisation reports from the Admin API: the month's cost, tokens per model,
workspaces and your own Claude Code, kept on disk a while, with the 429 wait honoured."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ai_budget.claude import console_cache
from ai_budget.claude.admin_api import Api, AuthRefused, ConsoleError, RateLimited, find_key, key_configured
from ai_budget.claude.endpoint import base_url
from ai_budget.timeutil import local_clock

__all__ = ["ConsoleError", "fetch_daily_cost", "fetch_month", "key_configured"]

COST = "/v1/organizations/cost_report"
MESSAGES = "/v1/organizations/usage_report/messages"
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
WORKSPACES = "/v1/organizations/workspaces"
USERS = "/v1/organizations/users"
SETTLED = timedelta(days=2)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def collect(
    api: Api, start: datetime, end: datetime, now: datetime, email: str | None, key_names: list[str]
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
        "cost": api.report(COST, [*span, ("group_by[]", "workspace_id"), ("group_by[]", "description")])
    }
    notes: list[str] = []
    optional: tuple[tuple[str, Callable[[], dict[str, Any]]], ...] = (
        ("usage", lambda: {"usage": api.report(MESSAGES, [*span, ("group_by[]", "model")])}),
        ("workspaces", lambda: {"workspaces": api.listing(WORKSPACES)}),
        ("Claude Code", lambda: _yours(api, email, key_names, (start, min(end, now), now), notes)),
    )
    for name, fetch in optional:
        try:
            answers |= fetch()
        except (AuthRefused, RateLimited):
            raise
        except ConsoleError as exc:
            notes.append(f"{name}: {exc}")
    return answers, notes


def _yours(
    api: Api,
    email: str | None,
    key_names: list[str],
    span: tuple[datetime, datetime, datetime],
    notes: list[str],
) -> dict[str, Any]:
    """Who you are and your Claude Code records from `start` to `until` (`span`: start, until, now);
    nothing, and a note, when who you are is not known."""
    found, note = _whoami(api, email) if email or not key_names else (None, None)
    notes += [note] if note else []
    who = ([found] if found else []) + list(key_names)
    if not who:
        return {}
    return {"you": ", ".join(who), "claude_code": _claude_code(api, who, *span)}


def _whoami(api: Api, email: str | None) -> tuple[str | None, str | None]:
    """Your address: the configured one, else the organisation's only member (users endpoint)."""
    if email:
        return email.strip(), None
    found = [u["email"] for u in api.listing(USERS) if isinstance(u.get("email"), str)]
    if len(found) == 1:
        return found[0], None
    many = f"has {len(found)} members" if found else "lists no members"
    return None, (
        f"Claude Code: the organisation {many}: set settings.console.email in budget.json to see "
        "your own spend"
    )


def _claude_code(
    api: Api, who: list[str], start: datetime, until: datetime, now: datetime
) -> list[dict[str, Any]]:
    """Your Claude Code records, one request (and its pages) per UTC day: the report covers one day.
    Days over two days old are settled (the report lags minutes, not days): kept, never asked again."""
    base = base_url()
    name = f"{start:%Y-%m}-" + hashlib.sha256("\n".join(who).lower().encode()).hexdigest()[:12]
    settled = console_cache.read_settled(base, api.key, name)
    mine: list[dict[str, Any]] = []
    day = start
    try:
        while day < until:
            stamp = day.strftime("%Y-%m-%d")
            records = settled.get(stamp)
            if not isinstance(records, list):
                query = [("starting_at", stamp), ("limit", "1000")]
                records = [r for r in api.report(CLAUDE_CODE, query) if _is_you(r, who)]
                if day + timedelta(days=1) < now - SETTLED:
                    settled[stamp] = records
            mine += [r for r in records if isinstance(r, dict)]
            day += timedelta(days=1)
    finally:  # the days had before a failure are not asked again
        console_cache.keep_settled(base, api.key, name, settled)
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
    key: str, name: str, now: datetime, force: bool, fetch: Callable[[Api], dict[str, Any]], glance: bool
) -> tuple[dict[str, Any], datetime, bool]:
    """Our copy when younger than its lifetime (at least 2 minutes), else `fetch` unless a 429 wait
    is on: the answers, when they were fetched, and whether they came from the cache. A glance
    (`status`, the brief, `watch`) does not ask again within 2 minutes of a failure: it repeats it."""
    base = base_url()
    hit = None if force else console_cache.read(base, key, name, now)
    if hit is not None:
        return hit[0], hit[1], True
    until = console_cache.backoff_until(base, key, now)
    if until is not None:
        raise ConsoleError(
            f"the Admin API asked us to wait after a 429: next try at {local_clock(until, now)}"
        )
    failed = console_cache.recent_failure(base, key, name, now) if glance else None
    if failed is not None:
        raise ConsoleError(f"{failed[0]} (at {local_clock(failed[1], now)})")
    try:
        answers = fetch(Api(key))
    except RateLimited as exc:
        until = console_cache.note_429(base, key, exc.retry_after, now)
        raise ConsoleError(f"{exc}: next try at {local_clock(until, now)}") from None
    except ConsoleError as exc:
        console_cache.note_failure(base, key, name, str(exc), now)
        raise
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
    glance: bool = False,
) -> tuple[dict[str, Any], datetime, bool]:
    """The month's answers, with notes on the parts that could not be had (see `_cached`)."""

    def fetch(api: Api) -> dict[str, Any]:
        answers, notes = collect(api, start, end, now, email, key_names)
        return answers | {"notes": notes}

    return _cached(find_key(key_file), f"{start:%Y-%m}", now, force, fetch, glance)


def fetch_daily_cost(key_file: str | None, since: datetime, now: datetime) -> list[dict[str, Any]]:
    """The organisation's cost per UTC day from the day of `since` to today (see `_cached`)."""
    start = since.replace(hour=0, minute=0, second=0, microsecond=0)
    span = [("starting_at", _stamp(start)), ("ending_at", _stamp(now + timedelta(days=1)))]

    def fetch(api: Api) -> dict[str, Any]:
        return {"cost": api.report(COST, [*span, ("bucket_width", "1d"), ("limit", "31")])}

    name = f"daily-{start:%Y-%m-%d}"
    answers, _at, _cached_hit = _cached(find_key(key_file), name, now, False, fetch, glance=True)
    return [b for b in answers.get("cost") or [] if isinstance(b, dict)]
