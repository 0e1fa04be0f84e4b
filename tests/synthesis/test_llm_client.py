"""The LLM client over real HTTP against the scripted OpenAI-compatible server."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from text2ml.synthesis.llm.client import (
    Budget,
    BudgetExceeded,
    LLMBadReply,
    LLMClient,
    LLMError,
    LLMRateLimited,
    LLMServerError,
    LLMUnavailable,
)

from scripted_openai import ScriptedOpenAI

HELLO = [{"role": "user", "content": "say hello"}]
FAST_RETRY = {"retry-after-ms": "10"}  # the openai client honours it: tests stay quick


def client(server: ScriptedOpenAI, **kwargs: object) -> LLMClient:
    options: dict = {"timeout": 10.0, "max_retries": 2, **kwargs}
    return LLMClient(server.base_url, None, "scripted", **options)


def test_a_reply_and_its_tokens(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script(["hello there"])
    llm = client(scripted_llm)
    reply = llm.chat(HELLO, temperature=0.3, seed=5, max_tokens=50, purpose="model/c1/0")
    assert reply.text == "hello there" and not reply.cached and reply.finish_reason == "stop"
    sent = scripted_llm.requests[0]
    assert sent["temperature"] == 0.3 and sent["seed"] == 5 and sent["max_tokens"] == 50
    assert llm.usage.calls == 1 and llm.usage.prompt_tokens > 0
    assert llm.usage.per_purpose == {"model": 1}
    assert "1 LLM call(s)" in llm.usage.summary()


def test_rate_limited_then_answered(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"status": 429, "headers": FAST_RETRY}, "after the wait"])
    assert client(scripted_llm).chat(HELLO).text == "after the wait"
    assert len(scripted_llm.requests) == 2


def test_rate_limited_for_good_is_a_clear_error(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"status": 429, "headers": FAST_RETRY}] * 3)
    with pytest.raises(LLMRateLimited, match="rate-limiting after retries"):
        client(scripted_llm).chat(HELLO)
    assert len(scripted_llm.requests) == 3  # the first try and two retries


def test_server_errors_are_retried_then_reported(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"status": 503, "headers": FAST_RETRY}, "recovered"])
    assert client(scripted_llm).chat(HELLO).text == "recovered"
    scripted_llm.script([{"status": 500, "headers": FAST_RETRY,
                          "body": {"error": {"message": "model crashed"}}}] * 3)
    with pytest.raises(LLMServerError, match="model crashed"):
        client(scripted_llm).chat(HELLO)


def test_a_server_that_is_down() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    llm = LLMClient(f"http://127.0.0.1:{port}/v1", None, "m", timeout=2, max_retries=0)
    with pytest.raises(LLMUnavailable, match="cannot reach the LLM"):
        llm.chat(HELLO)


def test_a_server_that_hangs(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"hang": 3}])
    with pytest.raises(LLMUnavailable, match="did not answer in time"):
        client(scripted_llm, timeout=0.5, max_retries=0).chat(HELLO)


def test_a_malformed_body(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"raw": "<html>proxy error</html>"}])
    with pytest.raises(LLMBadReply):
        client(scripted_llm, max_retries=0).chat(HELLO)


def test_a_truncated_reply_says_so(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"text": "```python\ndef build_model(", "finish_reason": "length"}])
    reply = client(scripted_llm).chat(HELLO)
    assert reply.finish_reason == "length" and reply.text.endswith("build_model(")


def test_the_cache_answers_a_rerun(scripted_llm: ScriptedOpenAI, tmp_path: Path) -> None:
    scripted_llm.script(["first answer"])
    first = client(scripted_llm, cache_dir=tmp_path).chat(HELLO, seed=1)
    again = client(scripted_llm, cache_dir=tmp_path)
    reply = again.chat(HELLO, seed=1)
    assert reply.text == first.text and reply.cached
    assert again.usage.calls == 0 and again.usage.cached_calls == 1
    assert len(scripted_llm.requests) == 1
    again.chat(HELLO, seed=2)  # other inputs: a real call
    assert len(scripted_llm.requests) == 2
    for entry in tmp_path.rglob("*.json"):  # a damaged entry is only a miss
        entry.write_text("{broken")
    assert not client(scripted_llm, cache_dir=tmp_path).chat(HELLO, seed=1).cached


def test_the_budget_stops_before_the_call(scripted_llm: ScriptedOpenAI) -> None:
    llm = client(scripted_llm, budget=Budget(max_calls=2))
    llm.chat(HELLO, seed=1)
    llm.chat(HELLO, seed=2)
    with pytest.raises(BudgetExceeded, match="2 calls made, the limit is 2"):
        llm.chat(HELLO, seed=3)
    assert len(scripted_llm.requests) == 2
    tokens = client(scripted_llm, budget=Budget(max_total_tokens=1))
    tokens.chat(HELLO, seed=4)
    with pytest.raises(BudgetExceeded, match="tokens used"):
        tokens.chat(HELLO, seed=5)


def test_structured_output_formats(scripted_llm: ScriptedOpenAI) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    client(scripted_llm, structured="llama").chat(HELLO, json_schema=schema)
    assert scripted_llm.requests[-1]["response_format"] == {"type": "json_object",
                                                            "schema": schema}
    client(scripted_llm, structured="openai").chat(HELLO, json_schema=schema)
    assert scripted_llm.requests[-1]["response_format"]["type"] == "json_schema"


def test_a_server_without_constrained_decoding(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"status": 400, "body": {"error": {"message": "unknown field"}}},
                         '{"a": 1}'])
    llm = client(scripted_llm, structured="openai")
    assert llm.chat(HELLO, json_schema={"type": "object"}).text == '{"a": 1}'
    assert "response_format" not in scripted_llm.requests[-1] and llm.structured == "none"


def test_other_refusals_say_what_to_check(scripted_llm: ScriptedOpenAI) -> None:
    scripted_llm.script([{"status": 401}])
    with pytest.raises(LLMError, match="rejected the API key"):
        client(scripted_llm).chat(HELLO)
    scripted_llm.script([{"status": 404}])
    with pytest.raises(LLMError, match="no model 'scripted'"):
        client(scripted_llm).chat(HELLO)
