"""LLM settings: command-line flags, then TEXT2ML_* variables, then config.toml, then defaults.

With no base URL and no API key anywhere, text2ml uses the embedded local model.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from text2ml.synthesis.errors import UserError
from text2ml.synthesis.llm.model_files import DEFAULT_MODEL

ENV_PREFIX = "TEXT2ML_"
# setting → environment variable (after the prefix)
ENV_NAMES = {"base_url": "BASE_URL", "api_key": "API_KEY", "model": "MODEL",
             "timeout": "TIMEOUT", "max_retries": "MAX_RETRIES", "max_calls": "MAX_CALLS",
             "max_total_tokens": "MAX_TOKENS", "embedded_model": "EMBEDDED_MODEL"}


class SettingsError(UserError, ValueError):
    """A setting has a value text2ml cannot use."""


ENDPOINT_TIMEOUT, EMBEDDED_TIMEOUT = 180.0, 900.0


@dataclass(frozen=True)
class LLMSettings:
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    # Seconds per request (None: 180 for an endpoint; 900 for the embedded model, whose one
    # request at a time can take minutes on a loaded 2-core machine and is retried once).
    timeout: float | None = None
    max_retries: int | None = None  # the openai client's own retries (timeouts, 429, 5xx)
    max_calls: int | None = 200  # hard budget per run
    max_total_tokens: int | None = 2_000_000
    embedded_model: str = DEFAULT_MODEL  # a known model name or a .gguf path

    @property
    def uses_embedded(self) -> bool:
        return not self.base_url and not self.api_key

    @property
    def request_timeout(self) -> float:
        if self.timeout is not None:
            return self.timeout
        return EMBEDDED_TIMEOUT if self.uses_embedded else ENDPOINT_TIMEOUT

    @property
    def request_retries(self) -> int:
        """Retrying a local server that timed out only queues the same work behind itself."""
        if self.max_retries is not None:
            return self.max_retries
        return 1 if self.uses_embedded else 3

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                          if f.name != "api_key")
        key = "set" if self.api_key else "unset"
        return f"LLMSettings({shown}, api_key=<{key}>)"


def config_path() -> Path:
    from platformdirs import user_config_dir

    override = os.environ.get(ENV_PREFIX + "CONFIG")
    return Path(override) if override else Path(user_config_dir("text2ml")) / "config.toml"


def resolve_llm_settings(flags: Mapping[str, Any] | None = None,
                         env: Mapping[str, str] | None = None,
                         config: Path | None = None) -> LLMSettings:
    env = os.environ if env is None else env
    layers = [_from_config(config or config_path()), _from_env(env),
              {k: v for k, v in (flags or {}).items() if v is not None}]
    merged: dict[str, Any] = {}
    for layer in layers:  # later layers win
        merged.update(layer)
    unknown = set(merged) - {f.name for f in fields(LLMSettings)}
    if unknown:
        known = ", ".join(f.name for f in fields(LLMSettings))
        raise SettingsError(f"unknown LLM setting(s): {', '.join(sorted(unknown))}",
                            hint=f"Use only {known} in the [llm] table of "
                                 f"{config or config_path()}.")
    return LLMSettings(**{name: _convert(name, value) for name, value in merged.items()})


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {name: env[ENV_PREFIX + var] for name, var in ENV_NAMES.items()
            if env.get(ENV_PREFIX + var)}


def _from_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})",
                            hint="Fix the file, or point TEXT2ML_CONFIG at another one.") from exc
    section = data.get("llm", {})
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: [llm] must be a table",
                            hint="Write the settings under an [llm] header.")
    return dict(section)


def _convert(name: str, value: Any) -> Any:
    kinds = {"timeout": float, "max_retries": int, "max_calls": int, "max_total_tokens": int}
    if name not in kinds or value is None:
        return value
    try:
        number = kinds[name](value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"LLM setting {name} must be a number, got {value!r}",
                            hint=_where_set(name)) from exc
    if number < 0:
        raise SettingsError(f"LLM setting {name} must not be negative, got {value!r}",
                            hint=_where_set(name))
    return number or None if name in ("max_calls", "max_total_tokens") else number


def _where_set(name: str) -> str:
    return (f"Fix {ENV_PREFIX}{ENV_NAMES[name]} or `{name}` in the [llm] table of "
            f"{config_path()}.")
