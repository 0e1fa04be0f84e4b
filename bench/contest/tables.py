"""The results table: every contender on every task, the winner, and text2ml's record."""

from __future__ import annotations

from typing import Any

from contest.suite import BenchTask

CONTENDERS = ("text2ml", "text2ml_opt", "recipes_only", "single_shot", "single_shot_grounded",
              "flaml")
TITLES = {"text2ml": "text2ml", "text2ml_opt": "text2ml + optimization",
          "recipes_only": "recipes only + optimization",
          "single_shot": "single shot", "single_shot_grounded": "single shot, grounded",
          "flaml": "FLAML"}


def winner(task: BenchTask, rows: dict[str, dict[str, Any]]) -> list[str]:
    scored = {name: row["score"] for name, row in rows.items()
              if row.get("runnable") and row.get("score") is not None}
    if not scored:
        return []
    best = max(scored.values()) if task.direction == "maximize" else min(scored.values())
    return [name for name, value in scored.items() if abs(value - best) < 1e-9]


def versus(task: BenchTask, ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> str:
    """'win', 'tie', 'loss' for `ours` against `theirs`, or '' when either did not run."""
    if ours is None or theirs is None:
        return ""
    a = ours["score"] if ours.get("runnable") else None
    b = theirs["score"] if theirs.get("runnable") else None
    if a is None and b is None:
        return "tie"
    if b is None or (a is not None and task.better(a, b)):
        return "win"
    if a is None or task.better(b, a):
        return "loss"
    return "tie"


def cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "—"
    if not row.get("runnable"):
        return f"✗ ({row.get('seconds', 0):.0f} s)"
    return f"{row['score']:.3f} ({row.get('seconds', 0):.0f} s)"


def markdown(tasks: list[BenchTask], results: dict[str, Any]) -> str:
    head = ["task", "metric", *(TITLES[c] for c in CONTENDERS), "winner"]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    record = {c: {"win": 0, "tie": 0, "loss": 0} for c in CONTENDERS if c != "text2ml_opt"}
    for task in tasks:
        rows = results.get(task.name, {})
        best = winner(task, rows)
        lines.append(f"| {task.name} | {task.metric} | "
                     + " | ".join(cell(rows.get(c)) for c in CONTENDERS) + " | "
                     + (", ".join(TITLES[b] for b in best) or "none") + " |")
        for other in record:
            outcome = versus(task, rows.get("text2ml_opt"), rows.get(other))
            if outcome:
                record[other][outcome] += 1
    lines += ["", "Scores are on the locked test split (✗: no runnable program within the "
              "budget); seconds are wall time.", "",
              "| text2ml + optimization against | wins | ties | losses |",
              "|---|---|---|---|"]
    lines += [f"| {TITLES[c]} | {r['win']} | {r['tie']} | {r['loss']} |"
              for c, r in record.items()]
    return "\n".join(lines) + "\n"


def usage_table(tasks: list[BenchTask], results: dict[str, Any]) -> str:
    lines = ["| task | contender | runnable | LLM calls | prompt tok | completion tok | "
             "seconds | note |", "|---" * 8 + "|"]
    for task in tasks:
        for name in CONTENDERS:
            row = results.get(task.name, {}).get(name)
            if row is None:
                continue
            note = str(row.get("note") or "").replace("|", "/").replace("\n", " ")[:120]
            lines.append(f"| {task.name} | {TITLES[name]} | {row.get('runnable')} | "
                         f"{row.get('llm_calls', '')} | {row.get('prompt_tokens', '')} | "
                         f"{row.get('completion_tokens', '')} | {row.get('seconds', '')} | "
                         f"{note} |")
    return "\n".join(lines) + "\n"
