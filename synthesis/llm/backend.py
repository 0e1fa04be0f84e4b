"""Which LLM to talk to: an explicit endpoint when configured, else the embedded model."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from text2ml.synthesis.llm.client import Budget, LLMClient
from text2ml.synthesis.llm.settings import LLMSettings


@dataclass
class Endpoint:
    base_url: str
    model: str
    structured: str  # how to ask for schema-constrained JSON: "openai" or "llama"
    # Candidates of a slot in flight at once. One for the local server: it answers one
    # request at a time, and two in flight (one written while the other is tested) made
    # the generation benchmark no faster.
    parallel: int
    embedded: bool


def resolve_endpoint(settings: LLMSettings, say: Callable[[str], None] | None = None) -> Endpoint:
    if not settings.uses_embedded:
        return Endpoint(settings.base_url or "https://api.openai.com/v1",
                        settings.model or "gpt-4o-mini", "openai", 3, False)
    from text2ml.synthesis.llm.embedded import ensure_server

    if say:
        say(f"starting the embedded model {settings.embedded_model}")
    server = ensure_server(settings.embedded_model)
    return Endpoint(server.base_url, server.model_alias, "llama", 1, True)


def open_llm(settings: LLMSettings, cache_dir: Path | None,
             say: Callable[[str], None] | None = None,
             cancel: threading.Event | None = None) -> tuple[LLMClient, Endpoint]:
    """The client for the configured endpoint; with `cancel`, setting it stops any request
    in flight at once."""
    endpoint = resolve_endpoint(settings, say)
    budget = Budget(settings.max_calls, settings.max_total_tokens)
    client = LLMClient(endpoint.base_url, settings.api_key, endpoint.model,
                       timeout=settings.request_timeout,
                       max_retries=settings.request_retries,
                       cache_dir=cache_dir, budget=budget, structured=endpoint.structured,
                       cancel=cancel)
    return client, endpoint


class LazyLLM:
    """An LLM client opened on its first call: the spec step often settles everything by
    rules, and then no embedded server is started at all."""

    def __init__(self, settings: LLMSettings, cache_dir: Path | None = None,
                 say: Callable[[str], None] | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.settings, self.cache_dir, self.say, self.cancel = settings, cache_dir, say, cancel
        self.client: LLMClient | None = None
        self.calls = 0

    def chat(self, *args: object, **kwargs: object) -> object:
        from text2ml.synthesis.llm.client import LLMUnavailable

        if self.client is None:
            self.client, _ = open_llm(self.settings, self.cache_dir, self.say, self.cancel)
        self.calls += 1
        try:
            return self.client.chat(*args, **kwargs)  # type: ignore[arg-type]
        except LLMUnavailable:
            if not self.settings.uses_embedded:
                raise
            # the embedded server stopped (idle, or by `text2ml llm stop`): start it again
            self.client, _ = open_llm(self.settings, self.cache_dir, self.say, self.cancel)
            return self.client.chat(*args, **kwargs)  # type: ignore[arg-type]
