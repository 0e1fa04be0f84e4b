"""Prompt text for module generation and repair.

The parts every call shares (task, data profile, accepted upstream code) come first and the
part that varies (slot contract, hint, failing code) last, so a local model's prompt cache
reuses the prefix across candidates and slots.
"""

from __future__ import annotations

from text2ml.synthesis.contracts import Contract
from text2ml.synthesis.profiles import describe
from text2ml.synthesis.recipes import Recipe, recipes_for
from text2ml.synthesis.records import Failure
from text2ml.synthesis.spec import TaskSpec

SYSTEM = ("You write one Python module of a machine-learning program at a time. Answer with the "
          "complete module in a single ```python block and nothing else.")

RULES = """Rules:
- Every setting you tune goes in SEARCH_SPACE and is read as params["name"]; every key you read
  from params must be a key of SEARCH_SPACE (a range, a list of choices, or a constant).
- Range format: {{"type": "int", "low": 1, "high": 10}} or {{"type": "float", "low": 0.001,
  "high": 1.0, "log": true}}; choices: {{"type": "categorical", "choices": ["a", "b"]}}.
- Import everything you use. Only scikit-learn, numpy and pandas (and torch where the
  finished module below uses it).
- Only pass keyword arguments that the class really accepts.
- Define only the imports, SEARCH_SPACE and {function}; no data loading, no printing."""


def context_block(spec: TaskSpec, upstream: dict[str, str], upstream_profile: str) -> str:
    # Column by column only for the features slot; later slots see the features' output.
    columns = 0 if upstream else 16
    parts = [
        f"# Task\n{spec.task}\n",
        f"Problem: {spec.problem_type} ({spec.modality}); predict `{spec.target}`; metric "
        f"{spec.metric} ({spec.direction}).\n",
        f"# Data as loaded (X is every column except `{spec.target}`)\n"
        + describe(spec.data.profile, columns),
    ]
    for slot, code in upstream.items():
        parts.append(f"\n# Accepted {slot} module (already written and tested)\n"
                     f"```python\n{code.strip()}\n```")
    if upstream_profile:
        parts.append(f"\nWhat the accepted modules output on the training rows: "
                     f"{upstream_profile}")
    return "\n".join(parts)


def slot_block(contract: Contract, example: str, recipe: Recipe | None = None) -> str:
    named = f"\nRecipe `{recipe.name}`: {recipe.summary}" if recipe else ""
    return (f"\n# Write the {contract.slot} module\n"
            f"It must define `{contract.signature}`: {contract.duty}\n"
            f"{RULES.format(function=contract.function)}\n{named}\n"
            f"A finished {contract.slot} module in the exact shape:\n"
            f"```python\n{example.strip()}\n```")


# Metrics that count every class alike: an unweighted model neglects a rare class for them.
CLASS_WEIGHTED_METRICS = {"balanced_accuracy", "f1", "f1_macro", "recall", "mcc"}


def metric_advice(spec: TaskSpec, contract: Contract) -> str:
    if (contract.slot != "model" or spec.problem_type != "classification"
            or spec.metric not in CLASS_WEIGHTED_METRICS):
        return ""
    return (f" The metric, {spec.metric}, counts every class alike: if the estimator accepts "
            'class_weight, declare "class_weight": {"type": "categorical", "choices": '
            '["balanced", None]} in SEARCH_SPACE and pass it.')


def recipe_for(spec: TaskSpec, slot: str, index: int) -> tuple[Recipe, str]:
    """The recipe candidate `index` of a slot starts from, and its code for this task: each
    candidate a different one, so the candidates span model families even when the LLM
    copies."""
    recipes = recipes_for(slot, spec.modality, spec.problem_type)
    recipe = recipes[index % len(recipes)]
    return recipe, recipe.source(balanced=spec.metric in CLASS_WEIGHTED_METRICS)


def adapt_request(contract: Contract, recipe: Recipe | None) -> str:
    if recipe is None:
        return f"Now write a different {contract.slot} module for this task."
    return (f"Now write the {contract.slot} module for this task, starting from the recipe "
            "above: keep its approach, adapt it to this task's columns, size and metric, and "
            "keep every setting worth tuning in SEARCH_SPACE.")


def generation_messages(spec: TaskSpec, contract: Contract, upstream: dict[str, str],
                        upstream_profile: str, hint: str = "", *, index: int = 0
                        ) -> list[dict[str, str]]:
    recipe, example = recipe_for(spec, contract.slot, index)
    user = (context_block(spec, upstream, upstream_profile) + slot_block(contract, example,
            recipe) + f"\n\n{adapt_request(contract, recipe)} {hint}".rstrip()
            + metric_advice(spec, contract))
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def repair_messages(spec: TaskSpec, contract: Contract, upstream: dict[str, str],
                    upstream_profile: str, code: str,
                    failures: list[Failure], *, index: int = 0) -> list[dict[str, str]]:
    problems = "\n".join(
        f"- line {f.line}: {f.message}" if f.line else f"- {f.message}" for f in failures)
    trace = next((f.traceback for f in failures if f.traceback), "")
    trace_tail = "\n".join(trace.strip().splitlines()[-6:])
    recipe, example = recipe_for(spec, contract.slot, index)
    user = (context_block(spec, upstream, upstream_profile) + slot_block(contract, example,
            recipe) + f"\n\nThis {contract.slot} module failed its test:\n"
            f"```python\n{code.strip()}\n```\nProblems:\n{problems}\n"
            + (f"Traceback (last lines):\n{trace_tail}\n" if trace_tail else "")
            + "Write the corrected module.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
