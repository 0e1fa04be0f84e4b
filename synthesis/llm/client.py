"""The LLM client: the `openai` package over HTTP to any OpenAI-compatible server.

Retries with backoff on timeouts, 429 and 5xx are the openai client's own (`max_retries`).
On top of it: a response cache (a re-run with the same inputs makes no call), token
accounting, a hard budget, errors that say what to do, and cancel: with a `cancel` event,
a request in flight is abandoned the moment it is set (its connection closed), instead of
waiting out the server, the timeout and the retries.

Requests run on the async client, on an event loop thread of the client's own. The reason is
cancel: the server stops generating only when it sees the connection close, and a socket that
another thread is blocked reading is not closed by the kernel until that read returns (closing
the sync client from the cancelling thread sent nothing, and a 0.5B server went on for ~2000
tokens: issue 17). Cancelling the request's task closes its socket from the loop that reads it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import openai

from text2ml.synthesis.errors import UserError
from text2ml.synthesis.files import write_atomic
from text2ml.synthesis.records import Cancelled

NO_KEY = "not-needed"  # local servers ignore the key, but the client insists on one
CANCEL_POLL_SECONDS = 0.05


CHECK_ENDPOINT = ("Check the LLM endpoint settings (text2ml.llm.baseUrl and text2ml.llm.model "
                  "in the editor, TEXT2ML_BASE_URL and TEXT2ML_MODEL on the command line), "
                  "or run `text2ml llm status`.")


class LLMError(UserError, RuntimeError):
    """The LLM could not give an answer; the message says why and what to do."""

    default_hint = CHECK_ENDPOINT


class LLMUnavailable(LLMError):
    pass


class LLMRateLimited(LLMError):
    pass


class LLMServerError(LLMError):
    pass


class LLMBadReply(LLMError):
    pass


class BudgetExceeded(LLMError):
    """The run's LLM budget is spent; the message names the setting to raise."""

    default_hint = ""


@dataclass
class Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    finish_reason: str | None
    seconds: float


@dataclass
class Budget:
    max_calls: int | None = None
    max_total_tokens: int | None = None


@dataclass
class Usage:
    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    per_purpose: dict[str, int] = field(default_factory=dict)
    # where the tokens go: per kind of call (a slot, "spec"…) its calls, prompt and
    # completion tokens and seconds (answered calls only; the cache costs nothing)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(self, kind: str, reply: Reply) -> None:
        tally = self.by_kind.setdefault(kind, {"calls": 0, "prompt_tokens": 0,
                                               "completion_tokens": 0, "seconds": 0.0})
        tally["calls"] += 1
        tally["prompt_tokens"] += reply.prompt_tokens
        tally["completion_tokens"] += reply.completion_tokens
        tally["seconds"] = round(tally["seconds"] + reply.seconds, 2)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def summary(self) -> str:
        return (f"{self.calls} LLM call(s), {self.cached_calls} from cache, "
                f"{self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens")


class LLMClient:
    def __init__(self, base_url: str, api_key: str | None, model: str, *,
                 timeout: float = 180.0, max_retries: int = 3, cache_dir: Path | None = None,
                 budget: Budget | None = None, structured: str = "openai",
                 cancel: threading.Event | None = None) -> None:
        self.base_url, self.model, self.structured = base_url, model, structured
        self.cache_dir, self.cancel = cache_dir, cancel
        self.budget = budget or Budget()
        self.usage = Usage()
        self._lock = threading.Lock()
        self._client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or NO_KEY,
                                          timeout=timeout, max_retries=max_retries)
        self._loop: asyncio.AbstractEventLoop | None = None

    def chat(self, messages: list[dict[str, str]], *, temperature: float = 0.2,
             seed: int | None = None, max_tokens: int = 1024,
             json_schema: dict[str, Any] | None = None, purpose: str = "") -> Reply:
        request = {"model": self.model, "messages": messages, "temperature": temperature,
                   "seed": seed, "max_tokens": max_tokens, "json_schema": json_schema}
        key = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
        cached = self._cached(key)
        if cached is not None:
            with self._lock:
                self.usage.cached_calls += 1
            return cached
        self._check_budget()
        started = time.monotonic()
        completion = self._create_or_cancel(messages, temperature, seed, max_tokens, json_schema)
        reply = self._reply(completion, time.monotonic() - started)
        with self._lock:
            self.usage.calls += 1
            self.usage.prompt_tokens += reply.prompt_tokens
            self.usage.completion_tokens += reply.completion_tokens
            self.usage.seconds += reply.seconds
            kind = purpose.split("/")[0] or "other"
            self.usage.per_purpose[kind] = self.usage.per_purpose.get(kind, 0) + 1
            self.usage.add(kind, reply)
        if _worth_keeping(reply, json_schema):
            self._store(key, reply)
        return reply

    def _check_budget(self) -> None:
        budget, usage = self.budget, self.usage
        if budget.max_calls is not None and usage.calls >= budget.max_calls:
            raise BudgetExceeded(f"the LLM budget is spent: {usage.calls} calls made, the limit "
                                 f"is {budget.max_calls} (raise TEXT2ML_MAX_CALLS)")
        if budget.max_total_tokens is not None and usage.total_tokens >= budget.max_total_tokens:
            raise BudgetExceeded(f"the LLM budget is spent: {usage.total_tokens:,} tokens used, "
                                 f"the limit is {budget.max_total_tokens:,} "
                                 "(raise TEXT2ML_MAX_TOKENS)")

    def _create_or_cancel(self, *request: Any) -> Any:
        """`_create` on the client's loop; the caller stops waiting on cancel, and cancelling
        the task closes the request's connection, so the server stops generating for it."""
        self._raise_if_cancelled()
        call = asyncio.run_coroutine_threadsafe(self._create(*request), self._event_loop())
        try:
            while not concurrent.futures.wait([call], timeout=CANCEL_POLL_SECONDS).done:
                self._raise_if_cancelled()
        except BaseException:  # cancel, or Ctrl-C in the waiting thread: drop the request
            call.cancel()
            raise
        return call.result()

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        """The loop every request of this client runs on (the async client and its connection
        pool belong to one loop), on a daemon thread started by the first request."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, daemon=True,
                                 name="text2ml-llm-loop").start()
            return self._loop

    def _raise_if_cancelled(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("generation was cancelled")

    async def _create(self, messages: list[dict[str, str]], temperature: float,
                      seed: int | None, max_tokens: int,
                      json_schema: dict[str, Any] | None) -> Any:
        extra: dict[str, Any] = {}
        if json_schema is not None and self.structured != "none":
            extra["response_format"] = self._response_format(json_schema)
        if seed is not None:
            extra["seed"] = seed
        try:
            return await self._client.chat.completions.create(
                model=self.model, messages=messages,  # type: ignore[arg-type]
                temperature=temperature, max_tokens=max_tokens, **extra)
        except openai.BadRequestError as exc:
            if "response_format" in extra:
                self.structured = "none"  # this server has no constrained decoding: parse leniently
                return await self._create(messages, temperature, seed, max_tokens, json_schema)
            raise LLMError(f"the LLM at {self.base_url} refused the request: {_detail(exc)}") \
                from exc
        except openai.APIStatusError as exc:
            raise self._status_error(exc) from exc
        except (json.JSONDecodeError, openai.APIResponseValidationError) as exc:
            raise LLMBadReply(f"the LLM at {self.base_url} sent a reply that is not an "
                              "OpenAI chat completion; is the base URL right (it usually ends "
                              "in /v1)?") from exc
        except openai.APITimeoutError as exc:
            raise LLMUnavailable(f"the LLM at {self.base_url} did not answer in time, even after "
                                 "retries; raise TEXT2ML_TIMEOUT or try again") from exc
        except openai.APIConnectionError as exc:
            raise LLMUnavailable(f"cannot reach the LLM at {self.base_url}: is the server "
                                 "running? Check the base URL (TEXT2ML_BASE_URL) or unset it "
                                 "to use the embedded model") from exc

    def _response_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.structured == "llama":  # llama.cpp's server: JSON-schema constrained grammar
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": False}}

    def _status_error(self, exc: openai.APIStatusError) -> LLMError:
        where = f"the LLM at {self.base_url}"
        if exc.status_code == 429:
            return LLMRateLimited(f"{where} kept rate-limiting after retries (429); wait and "
                                  "try again, or lower the candidates per slot")
        if exc.status_code in (401, 403):
            return LLMError(f"{where} rejected the API key ({exc.status_code}); set "
                            "TEXT2ML_API_KEY or the 'Set API key' command")
        if exc.status_code == 404:
            return LLMError(f"{where} has no model {self.model!r} or no chat endpoint (404); "
                            "check TEXT2ML_MODEL and the base URL (it usually ends in /v1)")
        if exc.status_code >= 500:
            return LLMServerError(f"{where} kept failing after retries ({exc.status_code}: "
                                  f"{_detail(exc)})")
        return LLMError(f"{where} answered {exc.status_code}: {_detail(exc)}")

    def _reply(self, completion: Any, seconds: float) -> Reply:
        choices = getattr(completion, "choices", None)
        if not choices:
            raise LLMBadReply(f"the LLM at {self.base_url} sent a reply with no choices")
        choice = choices[0]
        text = (choice.message.content if choice.message else None) or ""
        usage = getattr(completion, "usage", None)
        prompt = getattr(usage, "prompt_tokens", None) or 0
        done = getattr(usage, "completion_tokens", None) or max(1, len(text) // 4)
        return Reply(text, prompt, done, False, choice.finish_reason, seconds)

    def _cache_file(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.json"

    def _cached(self, key: str) -> Reply | None:
        path = self._cache_file(key)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Reply(**{**data, "cached": True})
        except (OSError, ValueError, TypeError):
            return None  # a damaged entry is a miss, and is overwritten after the call

    def _store(self, key: str, reply: Reply) -> None:
        path = self._cache_file(key)
        if path is not None:
            write_atomic(path, json.dumps(asdict(reply)))


def _worth_keeping(reply: Reply, json_schema: dict[str, Any] | None) -> bool:
    """Only replies that can be used are cached: a truncated, empty or (for a JSON request)
    unparsable reply would otherwise be replayed by every re-run, failing the same way."""
    if reply.finish_reason == "length" or not reply.text.strip():
        return False
    if json_schema is None:
        return True
    from text2ml.synthesis.llm.replies import extract_json

    try:
        extract_json(reply.text)
    except ValueError:
        return False
    return True


def _detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("message", error))[:300]
        return str(error)[:300]
    return str(exc.message)[:300]
