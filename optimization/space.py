"""The conditional Optuna space: a choice per slot, then only the chosen candidate's params."""

from __future__ import annotations

from typing import Any

import optuna

from text2ml.optimization.program_info import ProgramInfo
from text2ml.synthesis.search_space import Param, default_value

Config = tuple[dict[str, str], dict[str, dict[str, Any]]]  # (choice per slot, params per slot)


def choice_key(slot: str) -> str:
    return f"choice/{slot}"


def param_key(slot: str, candidate: str, name: str) -> str:
    return f"{slot}/{candidate}/{name}"


def _suggest(trial: optuna.Trial, key: str, param: Param) -> Any:
    if param.kind == "int":
        return trial.suggest_int(key, int(param.low), int(param.high), log=param.log)
    if param.kind == "float":
        return trial.suggest_float(key, float(param.low), float(param.high), log=param.log)
    return trial.suggest_categorical(key, param.choices)


def suggest_config(trial: optuna.Trial, info: ProgramInfo) -> Config:
    """Sample one program: slots with one candidate are fixed, constants are never sampled."""
    choice: dict[str, str] = {}
    params: dict[str, dict[str, Any]] = {}
    for slot, candidates in info.candidates.items():
        names = list(candidates)
        chosen = trial.suggest_categorical(choice_key(slot), names) if len(names) > 1 else names[0]
        choice[slot] = chosen
        params[slot] = {name: _suggest(trial, param_key(slot, chosen, name), p)
                        for name, p in candidates[chosen].items() if p.searched}
    return choice, params


def default_choice(info: ProgramInfo) -> dict[str, str]:
    """program.json's choice where it names a passing candidate, else the first passing one."""
    return {slot: info.default_choice[slot] if info.default_choice.get(slot) in names
            else next(iter(names)) for slot, names in info.candidates.items()}


def default_trial_params(info: ProgramInfo) -> dict[str, Any]:
    """The untuned program as Optuna params, enqueued first so the study starts from it."""
    flat: dict[str, Any] = {}
    for slot, chosen in default_choice(info).items():
        if len(info.candidates[slot]) > 1:
            flat[choice_key(slot)] = chosen
        for name, param in info.candidates[slot][chosen].items():
            if param.searched:
                flat[param_key(slot, chosen, name)] = _clip(param, default_value(param))
    return flat


def _clip(param: Param, value: Any) -> Any:
    if param.kind in ("int", "float") and param.low is not None and param.high is not None:
        return min(max(value, param.low), param.high)
    return value


def config_from_params(flat: dict[str, Any], info: ProgramInfo) -> Config:
    """Turn a finished trial's flat params back into (choice, params) for pipeline.run."""
    choice: dict[str, str] = {}
    params: dict[str, dict[str, Any]] = {}
    for slot, candidates in info.candidates.items():
        chosen = flat.get(choice_key(slot), next(iter(candidates)))
        choice[slot] = chosen
        prefix = f"{slot}/{chosen}/"
        params[slot] = {k[len(prefix):]: v for k, v in flat.items() if k.startswith(prefix)}
    return choice, params
