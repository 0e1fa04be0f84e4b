"""Server settings: `initializationOptions`, then `workspace/configuration` section `text2ml`.

Keys (nested objects or dotted names): llm.baseUrl, llm.model, candidates.<slot>, repairs,
optimize.trials, optimize.timeout, optimize.jobs, optimize.storage. The API key is never a
setting: it comes only from the server process's TEXT2ML_API_KEY environment variable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from text2ml.synthesis.layout import GENERATED_SLOTS

SECTION = "text2ml"


@dataclass(frozen=True)
class Settings:
    llm_base_url: str | None = None  # None: the embedded local model
    llm_model: str | None = None
    candidates: dict[str, int] = field(default_factory=dict)  # slot → count; unset: library's
    repairs: int = 3  # the CLI's default
    optimize_trials: int = 40
    optimize_timeout: float | None = None
    optimize_jobs: int = 1
    optimize_storage: str | None = None  # None: SQLite in the program's .text2ml/

    def public(self) -> dict[str, Any]:
        """What may be logged: every field (none of them is a secret)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def flatten(raw: Any, prefix: str = "") -> dict[str, Any]:
    """{"llm": {"baseUrl": u}} and {"llm.baseUrl": u} both → {"llm.baseUrl": u}."""
    if not isinstance(raw, dict):
        return {}
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif value is not None:
            flat[name] = value
    return flat


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value.strip() or None


def _count(low: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"expected a whole number ≥ {low}")
        return value
    return check


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError("expected a number of seconds ≥ 0 (0: no limit)")
    return float(value) or None


FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "llm.baseUrl": ("llm_base_url", _text),
    "llm.model": ("llm_model", _text),
    "repairs": ("repairs", _count(0)),
    "optimize.trials": ("optimize_trials", _count(1)),
    "optimize.timeout": ("optimize_timeout", _seconds),
    "optimize.jobs": ("optimize_jobs", _count(1)),
    "optimize.storage": ("optimize_storage", _text),
}


def parse_settings(raw: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Settings from flattened keys, and one warning per value that was ignored."""
    flat = {k.removeprefix(f"{SECTION}."): v for k, v in raw.items()}
    values: dict[str, Any] = {}
    candidates: dict[str, int] = {}
    warnings: list[str] = []
    for key, value in flat.items():
        try:
            if key in FIELDS:
                name, check = FIELDS[key]
                values[name] = check(value)
            elif key.startswith("candidates."):
                slot = key.removeprefix("candidates.")
                if slot not in GENERATED_SLOTS:
                    raise ValueError(f"expected one of {', '.join(GENERATED_SLOTS)}")
                candidates[slot] = _count(1)(value)
            else:
                warnings.append(f"text2ml: unknown setting {SECTION}.{key} ignored.")
        except ValueError as exc:
            warnings.append(f"text2ml: setting {SECTION}.{key} = {value!r} ignored: {exc}.")
    return replace(Settings(), candidates=candidates, **values), warnings


TRUST_KEY = "trusted"


def initialization_settings(options: Any) -> dict[str, Any]:
    """initializationOptions may hold the settings directly or under a "text2ml" key."""
    if isinstance(options, dict) and isinstance(options.get(SECTION), dict):
        options = options[SECTION]
    return without_trust(flatten(options))


def without_trust(flat: dict[str, Any]) -> dict[str, Any]:
    """Trust is not a setting: drop it wherever settings come from."""
    return {k: v for k, v in flat.items() if k.removeprefix(f"{SECTION}.") != TRUST_KEY}


def initial_trust(options: Any) -> bool:
    """Untrusted only when the client says so ({"text2ml": {"trusted": false}})."""
    if isinstance(options, dict) and isinstance(options.get(SECTION), dict):
        options = options[SECTION]
    return not (isinstance(options, dict) and options.get(TRUST_KEY) is False)
