"""A real HTTP server on 127.0.0.1 standing in for the Anthropic Admin API: each endpoint serves the
documented shapes (platform.claude.com/docs/en/api/admin: cost_report, usage_report/messages,
usage_report/claude_code, workspaces, users), over several pages, and records every request."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from usage_server import LocalServer, Reply

# Not shaped like a real key on purpose: the redaction of token-shaped text cannot hide a leak.
ADMIN_KEY = "test-admin-key-NOT-REAL-4a7b0c9d1e"
Handler = Callable[[dict[str, list[str]]], Reply]


def ok(data: dict[str, Any]) -> Reply:
    return Reply(body=json.dumps(data), headers={"Content-Type": "application/json"})


def report(pages: list[list[dict[str, Any]]]) -> Handler:
    """A report endpoint: `has_more` / `next_page`, the token passed back as `page`."""

    def serve(query: dict[str, list[str]]) -> Reply:
        token = query.get("page", ["page_0"])[0]
        index = int(token.removeprefix("page_"))
        more = index < len(pages) - 1
        return ok(
            {"data": pages[index], "has_more": more, "next_page": f"page_{index + 1}" if more else None}
        )

    return serve


def listing(pages: list[list[dict[str, Any]]]) -> Handler:
    """A list endpoint: `has_more` and `first_id` / `last_id` (the ids of the page's ends); the next
    page is asked for with `after_id` = the last id."""

    def serve(query: dict[str, list[str]]) -> Reply:
        after = query.get("after_id", [None])[0]
        ends = [page[-1]["id"] for page in pages if page]
        index = 0 if after is None else ends.index(after) + 1
        items = pages[index]
        return ok(
            {
                "data": items,
                "has_more": index < len(pages) - 1,
                "first_id": items[0]["id"] if items else None,
                "last_id": items[-1]["id"] if items else None,
            }
        )

    return serve


def per_day(days: dict[str, list[list[dict[str, Any]]]]) -> Handler:
    """The Claude Code report: one UTC day per request (`starting_at=YYYY-MM-DD`), paged."""

    def serve(query: dict[str, list[str]]) -> Reply:
        pages = days.get(query["starting_at"][0], [[]])
        return report(pages)(query)

    return serve


def cost_item(
    cents: str, workspace: str | None, model: str | None, token_type: str | None = "output_tokens"
) -> dict[str, Any]:
    """One cost_report result, grouped by workspace_id and description."""
    return {
        "amount": cents,
        "context_window": "0-200k" if model else None,
        "cost_type": "tokens" if model else "web_search",
        "currency": "USD",
        "description": f"{model} Usage" if model else "Web Search",
        "inference_geo": None,
        "model": model,
        "service_tier": "standard" if model else None,
        "token_type": token_type if model else None,
        "workspace_id": workspace,
    }


def bucket(day: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """One daily bucket (`day` is YYYY-MM-DD; the next day is its end)."""
    end = date.fromisoformat(day) + timedelta(days=1)
    return {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{end}T00:00:00Z", "results": results}


def usage_item(model: str, uncached: int, output: int, read: int, five: int, hour: int) -> dict[str, Any]:
    """One usage_report/messages result, grouped by model."""
    return {
        "account_id": None,
        "api_key_id": None,
        "cache_creation": {"ephemeral_1h_input_tokens": hour, "ephemeral_5m_input_tokens": five},
        "cache_read_input_tokens": read,
        "context_window": None,
        "inference_geo": None,
        "model": model,
        "output_tokens": output,
        "server_tool_use": {"web_search_requests": 0},
        "service_account_id": None,
        "service_tier": None,
        "uncached_input_tokens": uncached,
        "workspace_id": None,
    }


def workspace(wid: str, name: str, archived: bool = False) -> dict[str, Any]:
    return {
        "id": wid,
        "archived_at": "2026-10-01T00:00:00Z" if archived else None,
        "created_at": "2026-01-01T00:00:00Z",
        "display_color": "#6C5BB9",
        "name": name,
        "type": "workspace",
    }


def user(uid: str, email: str) -> dict[str, Any]:
    return {
        "id": uid,
        "added_at": "2026-01-01T00:00:00Z",
        "email": email,
        "name": uid,
        "role": "developer",
        "type": "user",
    }


def claude_code(
    email: str, day: str, costs: list[tuple[str, int]], sessions: int, api_key: str | None = None
) -> dict[str, Any]:
    """One Claude Code record of a user (or of an API key): estimated cost per model in cents (a number)."""
    actor = (
        {"api_key_name": api_key, "type": "api_actor"}
        if api_key
        else {"email_address": email, "type": "user_actor"}
    )
    return {
        "actor": actor,
        "core_metrics": {
            "commits_by_claude_code": 1,
            "lines_of_code": {"added": 10, "removed": 2},
            "num_sessions": sessions,
            "pull_requests_by_claude_code": 0,
        },
        "customer_type": "api",
        "date": f"{day}T00:00:00Z",
        "is_remote": False,
        "model_breakdown": [
            {
                "estimated_cost": {"amount": cents, "currency": "USD"},
                "model": model,
                "tokens": {"cache_creation": 1, "cache_read": 2, "input": 3, "output": 4},
            }
            for model, cents in costs
        ],
        "organization_id": "12345678-1234-5678-1234-567812345678",
        "terminal_type": "xterm",
        "tool_actions": {},
        "subscription_type": None,
    }


AUTH_FAILED = '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}'


class ConsoleServer(LocalServer):
    """Routes by path; a request without the admin key gets the documented 401; queued `failures` are
    served first, whatever the path (the last does not repeat)."""

    def __init__(self, key: str = ADMIN_KEY) -> None:
        self.key = key
        self.routes: dict[str, Handler] = {}
        self.failures: list[Reply] = []
        super().__init__()

    def handle(self, target: str, headers: dict[str, str]) -> Reply:
        """The queued failure, else a 401 for a wrong key, else the route's answer (404 without one)."""
        parts = urllib.parse.urlsplit(target)
        query = urllib.parse.parse_qs(parts.query)
        self.requests.append({"path": parts.path, "query": query, "headers": headers})
        if self.failures:
            return self.failures.pop(0)
        if headers.get("x-api-key") != self.key:
            return Reply(status=401, body=AUTH_FAILED)
        if parts.path in self.routes:
            return self.routes[parts.path](query)
        return Reply(status=404, body='{"type":"error","error":{"type":"not_found_error"}}')

    def paths(self) -> list[str]:
        """The path of every request so far, in order."""
        return [r["path"] for r in self.requests]


def serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsoleServer]:
    """For a fixture: a ConsoleServer, with ai-budget pointed at it and holding its key."""
    server = ConsoleServer()
    monkeypatch.setenv("AI_BUDGET_ANTHROPIC_URL", server.url)
    monkeypatch.setenv("ANTHROPIC_ADMIN_API_KEY", ADMIN_KEY)
    yield server
    server.close()
