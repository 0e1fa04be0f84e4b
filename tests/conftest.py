"""Shared fixtures: the scripted OpenAI-compatible server, isolated caches and settings."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests' own helpers (scripted_openai, lsp_fixtures, paths) and the benchmark harness.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "bench"))

from scripted_openai import ScriptedOpenAI, competent  # noqa: E402


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedOpenAI]:
    """A loopback LLM that answers like a careful model unless a test scripts otherwise."""
    server = ScriptedOpenAI(fallback=competent).start()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def no_user_llm_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
                         ) -> None:
    """Tests never read the developer's own LLM settings or API keys."""
    for name in ("TEXT2ML_BASE_URL", "TEXT2ML_API_KEY", "TEXT2ML_MODEL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEXT2ML_CONFIG", str(tmp_path_factory.mktemp("config") / "config.toml"))
