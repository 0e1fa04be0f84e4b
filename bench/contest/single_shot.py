"""Contenders 3 and 4: the same LLM asked for the whole program at once, then shown the error
and asked again, as people use a chat model for this. Grounded (4) also gets text2ml's
working data module and data profile, which separates what grounding adds from what the
modular method adds."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from text2ml.synthesis.layout import DATA
from text2ml.synthesis.llm.client import LLMClient, LLMError
from text2ml.synthesis.llm.replies import extract_code
from text2ml.synthesis.sandbox.limits import Limits, run_python

from contest.suite import BenchTask, Reference

FIT_CALL = re.compile(r"\.fit\(|\.backward\(")  # a script that trains nothing has no score
RUN_LIMITS = Limits(wall_seconds=300, memory_mb=6144, threads=2)
SYSTEM = "You are an expert machine-learning engineer. You write complete, working Python."
SPLIT_RULE = {
    "classification": "`train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)`",
    "regression": "`train_test_split(X, y, test_size=0.2, random_state=42)`",
    "forecasting": "the last 20% of the time steps (in time order) are the test split",
}
OUTPUT_RULE = ("At the end, save the test split's true values and your predictions with "
               "`pd.DataFrame({'y_true': list(y_test), 'y_pred': list(y_pred)})"
               ".to_csv('predictions.csv', index=False)`.")


def first_prompt(task: BenchTask, ref: Reference | None) -> str:
    lines = [f"Write one Python script that solves this task:\n\n{task.text}\n"]
    if ref is None:
        lines += ["Use only installed packages (scikit-learn, pandas, numpy, torch and the "
                  "package that holds the data); nothing can be downloaded.",
                  f"Hold out the test split exactly like this: {SPLIT_RULE[task.problem_type]}."]
    else:
        lines += ["data.py, a local module in the script's folder (not part of any package), "
                  "loads the data and splits it; use it:",
                  "```python\nfrom data import load_data, split\nX, y = load_data()\n"
                  "parts = split(X, y)  # {'train': (X, y), 'valid': (X, y), 'test': (X, y)}\n"
                  "```",
                  "Train on train (+ valid if you like) and predict parts['test'].",
                  f"The data as loaded (target column `{task.target}`):\n{ref.profile}"]
    lines += [f"The metric is {task.metric}.", OUTPUT_RULE,
              "Reply with the whole script in one ```python block."]
    return "\n".join(lines)


def attempt(code: str, folder: Path, ref: Reference, grounded: bool) -> tuple[Any, str]:
    """Run one script; (score, "") or (None, what went wrong)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if grounded:
        shutil.copy(ref.folder / DATA, folder / DATA)
    (folder / "solution.py").write_text(code)
    if not FIT_CALL.search(code):
        return None, "The script trains no model: call fit on the training split."
    result = run_python(["solution.py"], cwd=folder, limits=RUN_LIMITS)
    if not result.ok:
        return None, f"The script {result.reason}.\n{result.stderr[-1500:]}"
    predictions = folder / "predictions.csv"
    if not predictions.exists():
        return None, "The script finished but did not write predictions.csv."
    frame = pd.read_csv(predictions)
    if not {"y_true", "y_pred"} <= set(frame.columns):
        return None, "predictions.csv must have the columns y_true and y_pred."
    if abs(len(frame) - ref.test_rows) > max(2, 0.02 * ref.test_rows):
        return None, (f"predictions.csv has {len(frame)} rows, but the test split has "
                      f"{ref.test_rows}: hold out the test split exactly as asked.")
    try:
        return ref.score(frame["y_true"], frame["y_pred"]), ""
    except (ValueError, TypeError) as exc:
        return None, f"The predictions cannot be scored: {exc}"


def run_single_shot(task: BenchTask, ref: Reference, llm: LLMClient, work: Path, *,
                    grounded: bool, attempts: int, budget: float) -> dict[str, Any]:
    started = time.monotonic()
    messages = [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": first_prompt(task, ref if grounded else None)}]
    row: dict[str, Any] = {"runnable": False, "score": None, "attempts": 0}
    problem = "no attempt made"
    for number in range(1, attempts + 1):
        if number > 1 and time.monotonic() - started > budget:
            problem += f" (stopped: the {budget:.0f} s budget is spent)"
            break
        row["attempts"] = number
        try:
            # the temperatures text2ml uses: low for the first try, higher for repairs
            reply = llm.chat(messages, temperature=0.2 if number == 1 else 0.8, seed=number,
                             max_tokens=1500,
                             purpose="single_shot")
        except LLMError as exc:
            problem = f"LLM: {exc}"
            break
        code = extract_code(reply.text)
        score, problem = attempt(code, work / f"attempt{number}", ref, grounded)
        if score is not None:
            row.update(runnable=True, score=score)
            problem = ""
            break
        # Only the latest try goes back, as a person would paste it; the context stays small.
        messages = messages[:2] + [{"role": "assistant", "content": f"```python\n{code}\n```"},
                                   {"role": "user", "content": f"{problem}\nFix it and reply "
                                    "with the whole corrected script."}]
    usage = llm.usage
    row.update(seconds=round(time.monotonic() - started, 1), llm_calls=usage.calls,
               prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
               note=problem.splitlines()[0][:200] if problem else "")
    return row
