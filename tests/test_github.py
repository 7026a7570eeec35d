"""Copilot counts from GitHub's billing API, against a real HTTP server on 127.0.0.1 answering in
the documented shapes; the token never appears anywhere."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, assert_clean, budget, git, run, subjects

# Not shaped like a GitHub token, so the masking of token-shaped text cannot hide a leak.
TOKEN = "fake-github-token-for-tests"
SAMPLE = FIXTURES / "api" / "github_premium_request_usage_user.json"


class GitHub:
    """A stand-in for api.github.com: /user and the two usage reports; records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[int, str, dict[str, str]]] = {}
        self.answer("/user", 200, json.dumps({"login": "octo-fixture", "id": 1}))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                outer.requests.append({"path": self.path, "headers": dict(self.headers)})
                status, body, headers = outer.answers.get(
                    self.path.split("?")[0], (404, '{"message": "Not Found"}', {})
                )
                data = body.encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.answers[path] = (status, body, headers or {})

    def usage(self, kind: str, items: list[dict[str, Any]] | None, status: int = 200) -> None:
        now = datetime.now(timezone.utc)
        report = {"timePeriod": {"year": now.year, "month": now.month}, "user": "octo-fixture"}
        if items is not None:
            report["usageItems"] = items
        self.answer(f"/users/octo-fixture/settings/billing/{kind}/usage", status, json.dumps(report))


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHub]:
    fake = GitHub()
    monkeypatch.setenv("AI_BUDGET_GITHUB_URL", fake.url)
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no `gh` of the machine's
    yield fake
    fake.server.shutdown()


def credit(model: str, quantity: float) -> dict[str, Any]:
    return {
        "product": "Copilot",
        "sku": "Copilot AI Credit",
        "model": model,
        "unitType": "credits",
        "grossQuantity": quantity,
        "discountQuantity": quantity,
        "netQuantity": 0,
    }


def test_a_credits_month_with_several_models(journal: Path, github: GitHub) -> None:
    run("copilot", "set", "10", "--unit", "credits")
    github.usage(
        "ai_credit", [credit("Claude Sonnet 4.5", 400), credit("GPT-5", 250.5), credit("Gemini", 60)]
    )
    result = run("copilot", "fetch", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    # The keys follow the unit: credits here, and used/limit whatever the unit.
    assert "premium_requests_used" not in data and (data["used"], data["limit"]) == (711, 1500)
    assert (data["credits_used"], data["credits_limit"], data["source"]) == (
        711,
        1500,
        "github",
    )
    assert subjects(journal)[0] == "copilot: 711/1500 AI credits used (from GitHub)"
    calls = [r["path"].split("?")[0] for r in github.requests]
    assert calls == ["/user", "/users/octo-fixture/settings/billing/ai_credit/usage"]
    headers = github.requests[1]["headers"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert (
        headers["Accept"] == "application/vnd.github+json" and headers["X-GitHub-Api-Version"] == "2026-03-10"
    )
    now = datetime.now(timezone.utc)
    assert github.requests[1]["path"].endswith(f"?year={now.year}&month={now.month}")
    assert "from GitHub" in run("copilot", "show").stdout
    assert_clean(journal)


def test_a_requests_month_from_the_sample(journal: Path, github: GitHub) -> None:
    items = json.loads(SAMPLE.read_text())["usageItems"]  # 212 + 103
    github.usage("premium_request", items)
    assert json.loads(run("copilot", "fetch", "--json").stdout)["premium_requests_used"] == 315
    assert budget(journal)["copilot"]["premium_requests_limit"] == 300


def test_an_empty_month_is_zero_not_an_error(journal: Path, github: GitHub) -> None:
    github.usage("premium_request", [])
    assert json.loads(run("copilot", "fetch", "--json").stdout)["premium_requests_used"] == 0
    github.usage("premium_request", None)
    assert run("copilot", "fetch", "--force").exit_code == 0


def test_the_cache_answers_for_15_minutes_and_an_unchanged_count_makes_no_commit(
    journal: Path, github: GitHub
) -> None:
    github.usage("premium_request", [credit("x", 5)])
    run("copilot", "fetch")
    count = len(subjects(journal))
    assert run("copilot", "fetch").exit_code == 0
    assert len(github.requests) == 2  # the cache answered the second time
    assert run("copilot", "fetch", "--force").exit_code == 0
    assert len(github.requests) == 4
    assert len(subjects(journal)) == count  # the same count, fresh: nothing to commit


@pytest.mark.parametrize(
    ("status", "body", "headers", "says"),
    [
        (401, '{"message": "Bad credentials"}', {}, "GitHub refused the token (401)"),
        (403, '{"message": "Resource not accessible"}', {}, "the 'Plan' user permission"),
        (404, '{"message": "Not Found"}', {}, "managed by an organisation"),
        (429, "{}", {"Retry-After": "120"}, "GitHub is rate limiting (HTTP 429)"),
        (
            403,
            "{}",
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999999999"},
            "rate limiting (HTTP 403)",
        ),
        (200, "<html><body>Unicorn!</body></html>", {}, "is not JSON"),
        (302, "", {"Location": "https://elsewhere.invalid/steal"}, "redirected (HTTP 302)"),
        (500, "{}", {}, "HTTP 500"),
    ],
)
def test_failures_are_one_line_and_change_nothing(
    journal: Path, github: GitHub, status: int, body: str, headers: dict[str, str], says: str
) -> None:
    github.answer("/users/octo-fixture/settings/billing/premium_request/usage", status, body, headers)
    before = (journal / "budget.json").read_bytes()
    result = run("copilot", "fetch")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and says in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (journal / "budget.json").read_bytes() == before
    assert not any(r["path"].startswith("/steal") for r in github.requests)
    if status in (429,) or "ratelimit" in str(headers):
        again = run("copilot", "fetch", "--force")
        assert "asked us to wait" in again.stderr
        assert len(github.requests) == 2  # no request during the wait


def test_no_token_says_how_to_make_one(
    journal: Path, github: GitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GH_TOKEN")
    result = run("copilot", "fetch")
    assert result.exit_code == 1
    assert "no GitHub token" in result.stderr and "'Plan' user permission" in result.stderr
    assert "gh auth refresh -s user" in result.stderr
    assert github.requests == []


def test_check_refreshes_a_stale_count_with_one_request(journal: Path, github: GitHub) -> None:
    data = budget(journal)
    data.setdefault("settings", {})["copilot_fetch"] = True
    data["copilot"].update(premium_requests_used=100, last_updated="2026-01-01")
    (journal / "budget.json").write_text(json.dumps(data))
    git(journal, "commit", "-qam", "old count")
    github.usage("premium_request", [credit("x", 222)])
    brief = json.loads(run("check", "--json").stdout)
    assert brief["copilot"]["premium_requests_used"] == 222
    assert not [w for w in brief["warnings"] if w.startswith("Copilot")]
    assert len([r for r in github.requests if "usage" in r["path"]]) == 1
    assert_clean(journal)


def test_the_token_never_appears_anywhere(journal: Path, github: GitHub, home: Path) -> None:
    github.usage("premium_request", [credit("x", 7)])
    outputs = [run("copilot", "fetch", "--json"), run("copilot", "show"), run("check", "--json")]
    github.answer("/user", 401, json.dumps({"message": f"token {TOKEN} is bad"}))
    outputs.append(run("copilot", "fetch", "--force"))
    for result in outputs:
        assert TOKEN not in result.stdout + result.stderr
    for path in home.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    log = subprocess.run(["git", "-C", str(journal), "log", "-p"], capture_output=True, text=True).stdout
    assert TOKEN not in log


def test_gemini_show_says_no_api_reports_its_quota(journal: Path) -> None:
    out = run("gemini", "show").stdout
    assert "No API reports a Gemini API key's quota" in out and "aistudio.google.com" in out
