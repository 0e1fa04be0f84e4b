"""LLM settings precedence, and reading code and JSON out of replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from text2ml.synthesis.llm.replies import extract_code, extract_json, syntax_error
from text2ml.synthesis.llm.settings import SettingsError, resolve_llm_settings


def test_no_endpoint_anywhere_means_the_embedded_model(tmp_path: Path) -> None:
    settings = resolve_llm_settings({}, env={}, config=tmp_path / "none.toml")
    assert settings.uses_embedded and settings.embedded_model


def test_flags_beat_environment_beat_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[llm]\nbase_url = "http://config/v1"\nmodel = "from-config"\n'
                      'timeout = 30\nmax_calls = 7\n')
    env = {"TEXT2ML_BASE_URL": "http://env/v1", "TEXT2ML_API_KEY": "sk-env"}
    settings = resolve_llm_settings({"model": "from-flag", "base_url": None}, env=env,
                                    config=config)
    assert settings.base_url == "http://env/v1" and settings.model == "from-flag"
    assert settings.timeout == 30.0 and settings.max_calls == 7
    assert not settings.uses_embedded
    assert "sk-env" not in repr(settings) and "api_key=<set>" in repr(settings)


def test_bad_settings_are_clear_errors(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[llm\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        resolve_llm_settings({}, env={}, config=config)
    with pytest.raises(SettingsError, match="timeout must be a number"):
        resolve_llm_settings({}, env={"TEXT2ML_TIMEOUT": "soon"}, config=tmp_path / "x")
    config.write_text('[llm]\nbase_ulr = "typo"\n')
    with pytest.raises(SettingsError, match="unknown LLM setting.*base_ulr"):
        resolve_llm_settings({}, env={}, config=config)


@pytest.mark.parametrize("reply, expected", [
    ("```python\nimport numpy as np\nX = 1\n```", "import numpy as np\nX = 1\n"),
    ("Here it is:\n```py\nx = 2\n```\nHope this helps!", "x = 2\n"),
    ("```\nx = 3\n```", "x = 3\n"),
    ("Sure! Below.\nimport os\nx = 4\n", "import os\nx = 4\n"),
    ("```python\ndef f(:\n", "def f(:\n"),  # truncated: kept, so the syntax check can say so
    ("I cannot help with that.", ""),
    ("", ""),
])
def test_extract_code(reply: str, expected: str) -> None:
    assert extract_code(reply) == expected


def test_extract_code_prefers_the_longest_python_fence() -> None:
    reply = "```text\nnot code\n```\n```python\nx = 1\n```\n```python\nimport os\ny = 2\n```"
    assert extract_code(reply) == "import os\ny = 2\n"


def test_syntax_error_names_the_line() -> None:
    assert syntax_error("x = 1\n") is None
    assert syntax_error("x = 1\ndef f(:\n    pass\n").startswith("line 2:")


def test_extract_json() -> None:
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json('Answer:\n```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}
    assert extract_json('The spec is {"problem_type": "regression"} as asked.') == {
        "problem_type": "regression"}
    with pytest.raises(ValueError, match="no JSON"):
        extract_json("no braces here")
    with pytest.raises(ValueError):
        extract_json('{"truncated": ')


def test_the_embedded_model_gets_time_a_loaded_machine_needs(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    embedded = resolve_llm_settings({}, env={}, config=missing)
    assert embedded.uses_embedded
    assert (embedded.request_timeout, embedded.request_retries) == (900.0, 1)
    remote = resolve_llm_settings({"base_url": "http://llm.example/v1"}, env={}, config=missing)
    assert (remote.request_timeout, remote.request_retries) == (180.0, 3)
    chosen = resolve_llm_settings({}, env={"TEXT2ML_TIMEOUT": "30", "TEXT2ML_MAX_RETRIES": "0"},
                                  config=missing)
    assert (chosen.request_timeout, chosen.request_retries) == (30.0, 0)
