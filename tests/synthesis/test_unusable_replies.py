"""LLM output that cannot be used: never cached, never a traceback (issue 15, items 5, 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from text2ml.synthesis.contracts import CONTRACTS
from text2ml.synthesis.llm.client import LLMClient
from text2ml.synthesis.llm.replies import extract_json, syntax_error
from text2ml.synthesis.search_space import SearchSpaceError, parse_search_space
from text2ml.synthesis.static_checks import check_module

from scripted_openai import ScriptedOpenAI

HELLO = [{"role": "user", "content": "say hello"}]
SCHEMA = {"type": "object", "properties": {"target": {"type": "string"}}}


def client(server: ScriptedOpenAI, cache: Path) -> LLMClient:
    return LLMClient(server.base_url, None, "scripted", timeout=10.0, max_retries=0,
                     cache_dir=cache)


@pytest.mark.parametrize("step, schema", [
    ({"text": "def build_model(params):\n    return Logis", "finish_reason": "length"}, None),
    ({"text": "   "}, None),
    ({"text": "I would pick the target column."}, SCHEMA),
    ({"text": "[" * 50_000}, SCHEMA),
], ids=["truncated", "empty", "not-json", "nested-too-deep"])
def test_an_unusable_reply_is_asked_again_on_the_next_run(
        scripted_llm: ScriptedOpenAI, tmp_path: Path, step: dict, schema: dict | None) -> None:
    scripted_llm.script([step, '{"target": "price"}'])
    first = client(scripted_llm, tmp_path).chat(HELLO, json_schema=schema)
    assert first.text == step["text"]
    second = client(scripted_llm, tmp_path).chat(HELLO, json_schema=schema)
    assert not second.cached and second.text == '{"target": "price"}'
    third = client(scripted_llm, tmp_path).chat(HELLO, json_schema=schema)
    assert third.cached and len(scripted_llm.requests) == 2  # the good one is kept


def test_a_used_reply_is_cached(scripted_llm: ScriptedOpenAI, tmp_path: Path) -> None:
    scripted_llm.script(['{"target": "price"}'])
    client(scripted_llm, tmp_path).chat(HELLO, json_schema=SCHEMA)
    assert client(scripted_llm, tmp_path).chat(HELLO, json_schema=SCHEMA).cached


@pytest.mark.parametrize("reply", ["[" * 100_000, "{" * 100_000, '{"a":' * 100_000],
                         ids=["lists", "braces", "objects"])
def test_deeply_nested_json_is_a_plain_parse_failure(reply: str) -> None:
    with pytest.raises(ValueError):
        extract_json(reply)


@pytest.mark.parametrize("code", ["x = (" * 500 + "1" + ")" * 500, "SEARCH_SPACE = {}\0",
                                  "SEARCH_SPACE = " + "[" * 300 + "]" * 300],
                         ids=["parentheses", "nul-byte", "nested-literal"])
def test_code_that_cannot_be_parsed_is_a_check_failure(code: str) -> None:
    assert syntax_error(code)
    [problem] = [p for p in check_module(code, CONTRACTS["model"]) if p.check == "syntax"]
    assert problem.message.startswith("syntax error")
    with pytest.raises(SearchSpaceError):
        parse_search_space(code)
