"""Prices end to end: a session of every current model family priced to the cent, settings.prices,
`prices update` from a file and from a loopback server, `prices` naming what has no price, and bad
inputs refused in one line with nothing written."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import MACHINE, run
from transcript_builder import SESSION, assistant, project_dir, usage, write

M = Decimal(1_000_000)
WHEN = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)
# USD per million tokens, written down from platform.claude.com (pricing page and model pages, read
# 2026-12-07; docs/prices.md says which figures are reported rather than read there): input, output,
# 5-minute cache write, 1-hour cache write, cache read.
RATES = {
    "claude-fable-5-2": (8, 40, 10, 16, "0.20"),
    "claude-fable-5-1": (10, 50, "12.50", 20, "0.25"),
    "claude-opus-5-5": (4, 20, 5, 8, "0.20"),
    "claude-opus-5": (5, 25, "6.25", 10, "0.50"),
    "claude-sonnet-5-5": (2, 10, "2.50", 4, "0.10"),  # cache reads cut from $0.20 on 2026-10-07
    "claude-sonnet-5": (2, 10, "2.50", 4, "0.20"),
    "claude-haiku-5-5": ("0.10", "0.50", "0.125", "0.20", "0.01"),
    "claude-haiku-4-5-20251001": (1, 5, "1.25", 2, "0.10"),
}
HAIKU_BAND = 5  # every token of a Haiku 5.5 request whose prompt is over 100,000 tokens
US = Decimal("1.1")  # inference_geo "us", on every token rate
FAST = 2  # Opus 5.5 in fast mode


def cost(
    model: str, inp: int, out: int, five: int, hour: int, read: int, factor: Decimal | int = 1
) -> Decimal:
    """Dollars by hand: tokens of each kind times its rate, over a million."""
    rates = [Decimal(str(r)) for r in RATES[model]]
    return sum(n * r for n, r in zip((inp, out, five, hour, read), rates, strict=True)) * Decimal(factor) / M


def tokens(*args: str) -> dict[str, Any]:
    result = run("tokens", "--session", SESSION, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def line(
    msg_id: str,
    model: str,
    inp: int = 0,
    out: int = 0,
    five: int = 0,
    hour: int = 0,
    read: int = 0,
    **extra: Any,
) -> str:
    u = usage(inp=inp, out=out, read=read, flat=five + hour, five=five, hour=hour, **extra)
    return assistant(msg_id, u, model=model, when=WHEN)


def every_family(claude: Path) -> dict[str, Decimal]:
    """A session with a message of each current family and every per-request case; the cost of each model."""
    advisor = {
        "type": "advisor_message",
        "model": "claude-opus-5-5",
        "input_tokens": 40_000,
        "output_tokens": 3000,
        "cache_read_input_tokens": 10_000,
        "cache_creation_input_tokens": 2000,
        "cache_creation": {"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 0},
    }
    fallback = {
        "type": "fallback_message",
        "model": "claude-fable-5-2",
        "input_tokens": 900_000,
        "output_tokens": 9,
    }
    mirror = {"type": "message", "input_tokens": 3, "output_tokens": 200, "cache_read_input_tokens": 60_000}
    turn = line(
        "msg_adv",
        "claude-sonnet-5-5",
        inp=6,
        out=400,
        read=120_000,
        iterations=[fallback, mirror, advisor, mirror],
    )
    lines = [
        line("msg_f52", "claude-fable-5-2", inp=1000, out=2000, five=3000, read=50_000),
        line("msg_f51", "claude-fable-5-1", inp=500, out=1000, hour=4000, read=80_000),
        line("msg_o55", "claude-opus-5-5", inp=700, out=5000, hour=6000, read=90_000),
        line("msg_o5", "claude-opus-5", inp=300, out=800, five=1000, read=20_000),
        line("msg_s5", "claude-sonnet-5-20260630", inp=100, out=900, five=500, hour=500, read=30_000),
        line("msg_h55", "claude-haiku-5-5", inp=20_000, out=1500, five=1000, read=70_000),  # prompt 91,000
        line("msg_h55big", "claude-haiku-5-5", inp=90_000, out=2500, hour=5000, read=6000),  # 101,000
        line("msg_us", "claude-opus-5-5", inp=200, out=1000, read=10_000, inference_geo="us"),
        line("msg_fast", "claude-opus-5-5", inp=100, out=3000, five=2000, speed="fast"),
        line("msg_h45", "claude-haiku-4-5-20251001", inp=50, out=60, read=70),
        turn,
        turn.replace('"text"', '"tool_use"'),  # the same response streamed twice: counted once
        line(
            "msg_search",
            "claude-sonnet-5-5",
            inp=10,
            out=20,
            server_tool_use={"web_search_requests": 2, "web_fetch_requests": 3},
        ),
    ]
    write(project_dir(claude) / f"{SESSION}.jsonl", lines)
    return {
        "claude-fable-5-2": cost("claude-fable-5-2", 1000, 2000, 3000, 0, 50_000),
        "claude-fable-5-1": cost("claude-fable-5-1", 500, 1000, 0, 4000, 80_000),
        "claude-opus-5-5": cost("claude-opus-5-5", 700, 5000, 0, 6000, 90_000)
        + cost("claude-opus-5-5", 200, 1000, 0, 0, 10_000, US)
        + cost("claude-opus-5-5", 100, 3000, 2000, 0, 0, FAST)
        + cost("claude-opus-5-5", 40_000, 3000, 2000, 0, 10_000),  # the advisor call
        "claude-opus-5": cost("claude-opus-5", 300, 800, 1000, 0, 20_000),
        "claude-sonnet-5-20260630": cost("claude-sonnet-5", 100, 900, 500, 500, 30_000),
        "claude-haiku-5-5": cost("claude-haiku-5-5", 20_000, 1500, 1000, 0, 70_000)
        + cost("claude-haiku-5-5", 90_000, 2500, 0, 5000, 6000, HAIKU_BAND),
        "claude-haiku-4-5-20251001": cost("claude-haiku-4-5-20251001", 50, 60, 0, 0, 70),
        # The advisor turn's own counts (the fallback attempt is not billed), and two web searches at $0.01.
        "claude-sonnet-5-5": cost("claude-sonnet-5-5", 6, 400, 0, 0, 120_000)
        + cost("claude-sonnet-5-5", 10, 20, 0, 0, 0)
        + Decimal("0.02"),
    }


def test_a_session_of_every_current_family_is_priced_to_the_cent(claude: Path) -> None:
    expected = every_family(claude)
    data = tokens()
    assert data["unpriced_models"] == []
    assert data["cost_usd"] == float(round(sum(expected.values()), 6))
    for model, dollars in expected.items():
        assert data["by_model"][model]["cost_usd"] == float(round(dollars, 6)), model
    opus = data["by_model"]["claude-opus-5-5"]
    # Four calls: the plain one, the us one, the fast one and the advisor's, its tokens in this model's row.
    assert (opus["exchanges"], opus["input_tokens"], opus["output_tokens"]) == (4, 41_000, 12_000)
    assert data["by_model"]["claude-sonnet-5-5"]["exchanges"] == 2
    assert "claude-fable-5-2" in data["by_model"] and data["by_model"]["claude-fable-5-2"]["exchanges"] == 1
    assert data["exchanges"] == 13  # 12 responses (one streamed twice) and one advisor call
    # The per-model breakdown and the session list carry the same calls and cost.
    by = json.loads(run("tokens", "--by", "model", "--json").stdout)
    assert {r["key"]: r["cost_usd"] for r in by["rows"]} == {
        m: float(round(d, 6)) for m, d in expected.items()
    }
    listed = json.loads(run("tokens", "--list", "--json").stdout)
    assert listed[0]["exchanges"] == 13 and listed[0]["cost_usd"] == data["cost_usd"]


def test_a_warm_cache_gives_the_same_cost_and_a_price_change_reprices(claude: Path, journal: Path) -> None:
    expected = every_family(claude)
    cold = tokens()
    assert tokens() == cold  # from the cache
    budget = json.loads((journal / "budget.json").read_text())
    budget.setdefault("settings", {})["prices"] = [{"model": "claude-haiku-4-5", "output": 50}]
    (journal / "budget.json").write_text(json.dumps(budget))
    warm = tokens()
    # Haiku 4.5's 60 output tokens now at $50 instead of $5 a million.
    extra = Decimal(60) * 45 / M
    assert warm["by_model"]["claude-haiku-4-5-20251001"]["cost_usd"] == float(
        round(expected["claude-haiku-4-5-20251001"] + extra, 6)
    )


def test_settings_prices_a_model_a_pattern_and_a_date(claude: Path, journal: Path) -> None:
    write(
        project_dir(claude) / f"{SESSION}.jsonl",
        [
            line("a", "glm-5.1", inp=1000, out=2000, read=10_000),
            line("b", "claude-sonnet-5-5", inp=1000, out=2000, read=10_000),
        ],
    )
    assert tokens()["unpriced_models"] == ["glm-5.1"]
    budget = json.loads((journal / "budget.json").read_text())
    budget.setdefault("settings", {})["prices"] = [
        {"pattern": "glm-*", "input": 1, "output": 3},
        {"model": "claude-sonnet-5-5", "cache_read": "0.05", "since": "2026-11-01"},
        {"model": "claude-sonnet-5-5", "output": 99, "since": "2026-12-01"},  # after the message: no effect
    ]
    (journal / "budget.json").write_text(json.dumps(budget))
    data = tokens()
    # glm-5.1 from nothing: input $1, output $3, cache reads at 0.1 × input.
    assert data["by_model"]["glm-5.1"]["cost_usd"] == float(
        (1000 * 1 + 2000 * 3 + 10_000 * Decimal("0.1")) / M
    )
    assert data["by_model"]["claude-sonnet-5-5"]["cost_usd"] == float(
        (1000 * 2 + 2000 * 10 + 10_000 * Decimal("0.05")) / M
    )
    assert data["unpriced_models"] == []
    text = run("prices", "--no-transcripts").stdout
    assert "settings.prices in" in text and "shipped; settings.prices[1]" in text


def test_bad_settings_prices_stop_tokens_in_one_line(claude: Path, journal: Path) -> None:
    write(project_dir(claude) / f"{SESSION}.jsonl", [line("a", "claude-opus-5-5", out=10)])
    budget = json.loads((journal / "budget.json").read_text())
    budget.setdefault("settings", {})["prices"] = [{"model": "claude-opus-5-5", "output": -20}]
    (journal / "budget.json").write_text(json.dumps(budget))
    for args in (("tokens", "--session", SESSION), ("prices",)):
        result = run(*args)
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "settings.prices[0].output: -20 is not a price" in lines[0]


# --- prices update ------------------------------------------------------------------------------------


def genai(sonnet_input: float = 1.5) -> list[dict[str, Any]]:
    """genai-prices' data.json, cut down: one Anthropic model with a new input price."""
    model = {
        "id": "claude-sonnet-5-5",
        "name": "Claude Sonnet 5.5",
        "match": {"or": [{"equals": "claude-sonnet-5-5"}, {"starts_with": "claude-sonnet-5-5@"}]},
        "prices": {
            "input_mtok": sonnet_input,
            "output_mtok": 10,
            "cache_read_mtok": 0.1,
            "cache_write_mtok": 2.5,
            "cache_write_1h_mtok": 4,
        },
    }
    return [{"id": "anthropic", "models": [model]}]


def test_update_from_a_file_reprices_and_reset_goes_back(claude: Path, tmp_path: Path, home: Path) -> None:
    write(project_dir(claude) / f"{SESSION}.jsonl", [line("a", "claude-sonnet-5-5", inp=1_000_000)])
    assert tokens()["cost_usd"] == 2.0
    source = tmp_path / "data.json"
    source.write_text(json.dumps(genai(1.5)))
    result = run("prices", "update", "--from", str(source))
    assert result.exit_code == 0, result.stderr
    assert "claude-sonnet-5-5: input 2 → 1.5" in result.stdout
    written = home / ".local" / "state" / "ai-budget" / "prices.json"
    assert json.loads(written.read_text())["dataset"] == "genai-prices"
    assert tokens()["cost_usd"] == 1.5
    listing = json.loads(run("prices", "--json", "--no-transcripts").stdout)
    sonnet = [m for m in listing["models"] if "claude-sonnet-5-5" in m["ids"]]
    assert [m["input"] for m in sonnet] == [1.5] and sonnet[0]["from"].startswith("prices update from")
    assert run("prices", "reset").exit_code == 0 and not written.exists()
    assert tokens()["cost_usd"] == 2.0


class Served:
    """A loopback HTTP server answering every GET with one status, headers and body (and keeping the
    request's headers); `short` announces more bytes than it sends, `delay` waits before answering."""

    def __init__(self) -> None:
        self.status, self.kind, self.body = 200, "application/json", b"[]"
        self.location: str | None = None
        self.short, self.delay = False, 0.0
        self.asked: dict[str, str] = {}
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                served.asked = dict(self.headers.items())
                time.sleep(served.delay)
                self.send_response(served.status)
                if served.kind:
                    self.send_header("Content-Type", served.kind)
                if served.location:
                    self.send_header("Location", served.location)
                self.send_header("Content-Length", str(len(served.body) + (100 if served.short else 0)))
                self.end_headers()
                # The client may stop reading (too big): what it then says is the test's.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(served.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/prices/data.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served()
    yield server
    server.close()


def test_update_from_a_loopback_address(claude: Path, served: Served, home: Path) -> None:
    write(project_dir(claude) / f"{SESSION}.jsonl", [line("a", "claude-sonnet-5-5", inp=1_000_000)])
    served.body = json.dumps(genai(1.25)).encode()
    served.kind = ""  # no Content-Type at all: the body decides
    result = run("prices", "update", "--from", served.url, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "from": served.url,
        "dataset": "genai-prices",
        "written": str(home / ".local" / "state" / "ai-budget" / "prices.json"),
        "models": ["claude-sonnet-5-5"],
        "changed": ["claude-sonnet-5-5: input 2 → 1.25"],
        "skipped": [],
    }
    assert (
        served.asked["User-Agent"].startswith("ai-budget/") and served.asked["Accept"] == "application/json"
    )
    assert tokens()["cost_usd"] == 1.25
    written = json.loads((home / ".local" / "state" / "ai-budget" / "prices.json").read_text())
    assert written["fetched"].endswith("+00:00")
    # The same table again changes nothing in force.
    again = json.loads(run("prices", "update", "--from", served.url, "--json").stdout)
    assert again["changed"] == []


@pytest.mark.parametrize(
    ("status", "kind", "body", "message"),
    [
        (404, "text/plain", b"not found", "answered HTTP 404: check the address"),
        (200, "text/html", b"<!doctype html><p>hi", "returned a web page, not a price list"),
        (200, "application/json", b"<html>", "returned a web page, not a price list"),
        (200, "application/json", b"{oops", "is not valid JSON"),
        (200, "application/json", b" " * (8 << 20) + b"[]", "sent more than 8,388,608 bytes"),
        (302, "text/plain", b"", "redirects (HTTP 302) to elsewhere: give that address"),
        (300, "text/plain", b"", "redirects (HTTP 300)"),
        (400, "application/json", b"[]", "answered HTTP 400"),
        (200, "Text/HTML; charset=utf-8", b"hello", "returned a web page"),
        (200, "application/json", b"  \n<html>", "returned a web page"),
    ],
)
def test_a_bad_address_is_one_line_and_nothing_written(
    served: Served, home: Path, status: int, kind: str, body: bytes, message: str
) -> None:
    served.status, served.kind, served.body = status, kind, body
    result = run("prices", "update", "--from", served.url)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (home / ".local" / "state" / "ai-budget" / "prices.json").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (
            json.dumps({"models": [{"ids": ["claude-x-1"], "input": -3, "output": 1}]}).encode(),
            "models[0].input: -3 is not a price",
        ),
        (
            json.dumps({"models": [{"ids": ["claude-x-1"], "input": 3, "output": 1, "colour": 1}]}).encode(),
            "unknown key 'colour'",
        ),
        (json.dumps({"models": []}).encode(), "holds no Claude prices"),
        (json.dumps({"claude-x": {"litellm_provider": "anthropic"}}).encode(), "LiteLLM's table"),
    ],
)
def test_a_bad_file_is_one_line_and_nothing_written(
    tmp_path: Path, home: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "prices-in.json"
    path.write_bytes(content)
    written = home / ".local" / "state" / "ai-budget" / "prices.json"
    written.parent.mkdir(parents=True)
    written.write_text(
        json.dumps({"dataset": "ai-budget", "from": "x", "fetched": "2026-12-01", "models": []})
    )
    before = written.read_bytes()
    result = run("prices", "update", "--from", str(path))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert result.stderr.startswith(f"Error: {path}")
    assert written.read_bytes() == before  # the table in place is left as it was


def test_a_redirect_names_where_it_points(served: Served) -> None:
    served.status, served.location = 301, "https://example.invalid/data.json"
    result = run("prices", "update", "--from", served.url)
    assert "redirects (HTTP 301) to https://example.invalid/data.json: give that address" in result.stderr


def test_an_address_that_cannot_be_fetched_says_why(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from ai_budget.claude import price_import

    cases = {
        "https://127.0.0.1:9/data.json": "9/data.json cannot be reached: check the address and the network",
        "http://127.0.0.1:99999/x": "is not an http(s) address ai-budget can fetch",
    }
    for url, message in cases.items():
        result = run("prices", "update", "--from", url)
        assert result.exit_code == 1 and message in result.stderr, url
    served.short = True
    result = run("prices", "update", "--from", served.url)
    assert "broke off the transfer: try again" in result.stderr
    served.short, served.delay = False, 1.5
    monkeypatch.setattr(price_import, "TIMEOUT_S", 0.5)
    result = run("prices", "update", "--from", served.url)
    assert "did not answer within 0.5 s: try again later" in result.stderr


def test_a_huge_or_missing_file_is_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate((8 << 20) + 1)
    result = run("prices", "update", "--from", str(huge))
    assert result.exit_code == 1 and "a price list is far smaller" in result.stderr
    result = run("prices", "update", "--from", str(tmp_path / "none.json"))
    assert result.exit_code == 1 and "no such file" in result.stderr
    result = run("prices", "update", "--from", str(tmp_path))
    assert result.exit_code == 1 and f"{tmp_path} is a folder: give a price file" in result.stderr
    at_most = tmp_path / "at-most.json"
    at_most.write_bytes(b" " * ((8 << 20) - 2) + b"[]")  # exactly the limit: read, then found wanting
    result = run("prices", "update", "--from", str(at_most))
    assert result.exit_code == 1 and "has no Anthropic models" in result.stderr


# --- what has no price ------------------------------------------------------------------------------


def test_prices_names_the_models_and_modes_with_no_price(claude: Path) -> None:
    write(
        project_dir(claude) / f"{SESSION}.jsonl",
        [
            line("a", "mystery-model-9", out=10),
            line("b", "claude-sonnet-5-5", out=10, speed="fast"),  # Sonnet has no fast mode
            line("c", "claude-sonnet-5-5", out=1_000_000),
        ],
    )
    text = run("prices").stdout
    assert "mystery-model-9: 1 call(s): no price for this model id" in text
    assert "claude-sonnet-5-5: 1 call(s): some calls are in fast mode or a geography with no price" in text
    data = json.loads(run("prices", "--json").stdout)
    assert [u["model"] for u in data["unpriced_models"]] == ["claude-sonnet-5-5", "mystery-model-9"]
    # The priced call still counts; the one with no price is named, never $0.
    session = tokens()
    assert session["by_model"]["claude-sonnet-5-5"]["cost_usd"] == 10.0
    assert session["by_model"]["claude-sonnet-5-5"]["cost_is_lower_bound"] is True
    assert session["by_model"]["mystery-model-9"]["cost_usd"] is None


def test_prices_with_no_transcripts_says_so(claude: Path) -> None:
    text = run("prices").stdout
    assert "Claude Fable 5.2" in text and "over 100,000 prompt tokens" in text
    assert 'every token price ×1.1 for "us"' in text
    assert "No Claude Code transcripts found" in text


def test_an_advisor_turn_decides_the_band_on_each_request_not_on_their_sum(claude: Path) -> None:
    # The top level adds up the two requests of the main model around the advice: 120,000 prompt
    # tokens, while each request's own prompt is 60,000, under Haiku 5.5's 100,000.
    mirror = {"type": "message", "input_tokens": 5, "output_tokens": 100, "cache_read_input_tokens": 59_995}
    advice = {
        "type": "advisor_message",
        "model": "claude-opus-5-5",
        "input_tokens": 1000,
        "output_tokens": 10,
    }
    write(
        project_dir(claude) / f"{SESSION}.jsonl",
        [line("t", "claude-haiku-5-5", inp=10, out=200, read=119_990, iterations=[mirror, advice, mirror])],
    )
    data = tokens()
    haiku = cost("claude-haiku-5-5", 10, 200, 0, 0, 119_990)  # at the rates under the band
    opus = cost("claude-opus-5-5", 1000, 10, 0, 0, 0)
    assert data["by_model"]["claude-haiku-5-5"]["cost_usd"] == float(round(haiku, 6))
    assert data["by_model"]["claude-opus-5-5"]["cost_usd"] == float(round(opus, 6))


def test_a_price_change_recomputes_the_rolled_up_days_still_in_the_transcripts(
    claude: Path, journal: Path, tmp_path: Path
) -> None:
    from ai_budget.journal.journal import Journal
    from ai_budget.session.rollup import rollup

    write(project_dir(claude) / f"{SESSION}.jsonl", [line("a", "claude-haiku-4-5-20251001", out=1_000_000)])
    now = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
    month = journal / "usage" / MACHINE / "2026-11.csv"

    def cost_column() -> str:
        (row,) = [r for r in month.read_text().splitlines() if r.startswith("2026-11-20,")]
        return row.split(",")[9]

    rollup(Journal.open(journal), [claude], now)
    assert cost_column() == "5.0000"  # 1M output tokens at $5
    table = {"models": [{"ids": ["claude-haiku-4-5"], "input": 1, "output": 4}]}
    (tmp_path / "mine.json").write_text(json.dumps(table))
    assert run("prices", "update", "--from", str(tmp_path / "mine.json")).exit_code == 0
    rollup(Journal.open(journal), [claude], now)
    assert cost_column() == "4.0000"
