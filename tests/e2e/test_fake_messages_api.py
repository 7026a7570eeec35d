"""The fake Messages API on its own (no Claude Code needed): the stream reassembles into the message it
recorded, the script follows the last user message, and a record's output total names its responses."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.fake_messages_api import SESSION_HEADER, FakeMessagesAPI, responses_in, usage_for


@pytest.fixture
def api() -> Iterator[FakeMessagesAPI]:
    server = FakeMessagesAPI(skill_commands={"budget-check": "ai-budget check --json"})
    yield server
    server.close()


def post(api: FakeMessagesAPI, body: dict[str, Any], session: str = "s1") -> bytes:
    request = urllib.request.Request(
        api.url + "/v1/messages?beta=true",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Claude-Code-Session-Id": session},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return bytes(reply.read())


def replay(stream: bytes) -> dict[str, Any]:
    """The message a client builds from the SSE stream (as the SDK does)."""
    message: dict[str, Any] = {}
    partial: dict[int, str] = {}
    for chunk in stream.decode().split("\n\n"):
        data = next((line[6:] for line in chunk.splitlines() if line.startswith("data: ")), None)
        event = json.loads(data) if data else {}
        kind = event.get("type")
        if kind == "message_start":
            message = event["message"]
        elif kind == "content_block_start":
            message["content"].append(event["content_block"])
        elif kind == "content_block_delta" and event["delta"]["type"] == "text_delta":
            message["content"][event["index"]]["text"] += event["delta"]["text"]
        elif kind == "content_block_delta":
            partial[event["index"]] = partial.get(event["index"], "") + event["delta"]["partial_json"]
        elif kind == "message_delta":
            message["usage"] |= event["usage"]
            message["stop_reason"] = event["delta"]["stop_reason"]
    for index, raw in partial.items():
        message["content"][index]["input"] = json.loads(raw)
    return message


def skill_prompt(name: str) -> dict[str, Any]:
    body = f"Base directory for this skill: /home/u/.claude/skills/{name}\n\n# Budget check"
    return {"role": "user", "content": [{"type": "text", "text": body}]}


def test_a_skill_body_gets_its_command_and_the_stream_carries_the_recorded_usage(
    api: FakeMessagesAPI,
) -> None:
    message = replay(
        post(api, {"stream": True, "tools": [{"name": "Bash"}], "messages": [skill_prompt("budget-check")]})
    )
    assert message["content"][1]["input"]["command"] == "ai-budget check --json"
    assert message["stop_reason"] == "tool_use"
    [recorded] = api.responses
    assert message["usage"] == recorded.usage == usage_for(1)
    assert (recorded.session_id, recorded.with_tools, recorded.kind) == ("s1", True, "tool_use:Bash")


def test_after_a_tool_result_the_queued_step_then_a_text(api: FakeMessagesAPI) -> None:
    tools = [{"name": "Bash"}]
    first = {"role": "user", "content": "READ[/p/notes.txt] THEN[READ:/p/more.txt]"}
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x", "content": "ok"}]}
    post(api, {"tools": tools, "messages": [first]})
    post(api, {"tools": tools, "messages": [first, result]})
    post(api, {"tools": tools, "messages": [first, result, result]})
    assert [r.kind for r in api.responses] == ["tool_use:Read", "tool_use:Read", "text"]


def test_a_side_request_without_tools_is_recorded_as_not_transcript_written(api: FakeMessagesAPI) -> None:
    post(api, {"messages": [{"role": "user", "content": "title this"}]}, session="s2")
    assert api.of_session("s2") == [] and len(api.of_session("s2", with_tools=False)) == 1
    assert api.requests[0].headers[SESSION_HEADER] == "s2"


def test_an_output_total_names_its_responses() -> None:
    out = {n: usage_for(n)["output_tokens"] for n in range(1, 5)}
    assert responses_in(out[1] + out[3]) == [1, 3]
    assert responses_in(out[1] + out[2] + out[4]) == [1, 2, 4]
    assert responses_in(0) == []
    assert responses_in(out[1] + 1) is None  # no set of responses adds up to it
