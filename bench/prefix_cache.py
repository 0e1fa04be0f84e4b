"""Prompt-prefix benchmark for the embedded model: does putting the shared part first pay?

Run by hand on an otherwise idle machine:  python bench/prefix_cache.py [--prompts N]
Starts a private embedded server (its own state folder, the user's joined model file), sends
N prompts that share a ~1,500-token prefix in three orders, and writes
bench/results/prefix_cache.md (and .json), once with the server's RAM prompt cache and once
without it:
  - prefix first: shared text, then the variable part (what text2ml's prompts do);
  - variable first: the same words with the variable part first, so nothing is reusable;
  - two prefixes interleaved: prefix first, alternating between two shared prefixes (two
    slots written in turn), which only the server's RAM prompt cache can reuse.
Per request the server's own llama.cpp counters give prompt tokens evaluated, prompt time
and generation speed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import openai

from text2ml.synthesis.llm.embedded import (
    PROMPT_CACHE_BYTES,
    EmbeddedServer,
    ensure_server,
    stop_server,
)
from text2ml.synthesis.llm.model_files import DEFAULT_MODEL, ensure_model_file

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PREFIX_TOKENS = 1500
MAX_TOKENS = 48
SLOTS = ["data", "features", "model", "training", "postprocess", "data"]


def http_json(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)


def count_tokens(server: EmbeddedServer, text: str) -> int:
    root = server.base_url.removesuffix("/v1")
    return int(http_json(root + "/extras/tokenize/count", {"input": text})["count"])


def shared_prefix(server: EmbeddedServer, variant: str) -> str:
    """~PREFIX_TOKENS tokens of real project text, like a slot prompt's spec and contracts."""
    source = (ROOT / "docs" / "program-layout.md").read_text()
    design = ROOT.parent / "shared" / "DESIGN.md"
    if design.exists():
        source += "\n\n" + design.read_text()
    header = f"You write the `{variant}` module of an ML program. Project rules follow.\n\n"
    text = header + source
    while count_tokens(server, text) > PREFIX_TOKENS:
        text = text[: int(len(text) * 0.95)]
    return text


def variable_part(index: int) -> str:
    slot = SLOTS[index % len(SLOTS)]
    return (f"Candidate {index + 1}: write the `{slot}` slot function in at most ten lines, "
            f"variant number {index * 7 + 3}, and name it {slot}_candidate_{index + 1}. "
            "Answer with code only.")


def stats(server: EmbeddedServer) -> dict[str, float]:
    return http_json(server.base_url.removesuffix("/v1") + "/text2ml/stats")


def timed_request(client: openai.OpenAI, server: EmbeddedServer, prompt: str) -> dict[str, Any]:
    before = stats(server)
    started = time.perf_counter()
    reply = client.chat.completions.create(
        model=server.model_alias, max_tokens=MAX_TOKENS, temperature=0,
        messages=[{"role": "user", "content": prompt}])
    wall = time.perf_counter() - started
    after = stats(server)
    delta = {key: after[key] - before[key] for key in
             ("prompt_tokens", "prompt_ms", "generated_tokens", "generation_ms")}
    return {"wall_s": wall, "prompt_tokens": reply.usage.prompt_tokens,
            "evaluated": int(delta["prompt_tokens"]), "prompt_ms": delta["prompt_ms"],
            "generated": int(delta["generated_tokens"]), "generation_ms": delta["generation_ms"]}


def run_order(client: openai.OpenAI, server: EmbeddedServer, prompts: list[str]) -> list[dict]:
    return [timed_request(client, server, prompt) for prompt in prompts]


def summarize(name: str, rows: list[dict]) -> dict[str, Any]:
    warm = rows[1:]  # the first request of every order fills the cache; reported apart
    evaluated = sum(r["evaluated"] for r in warm)
    prompt_s = sum(r["prompt_ms"] for r in warm) / 1e3
    generated = sum(r["generated"] for r in rows)
    return {"order": name, "requests": len(rows),
            "first_wall_s": round(rows[0]["wall_s"], 2),
            "warm_median_wall_s": round(statistics.median(r["wall_s"] for r in warm), 2),
            "prompt_tokens_per_request": round(statistics.mean(r["prompt_tokens"] for r in rows)),
            "evaluated_per_warm_request": round(evaluated / len(warm)),
            "warm_prompt_s_per_request": round(prompt_s / len(warm), 2),
            "effective_prompt_tok_s": round(sum(r["prompt_tokens"] for r in warm)
                                            / max(sum(r["wall_s"] for r in warm), 1e-9), 1),
            "prompt_eval_tok_s": round(evaluated / max(prompt_s, 1e-9), 1),
            "generation_tok_s": round(generated / max(sum(r["generation_ms"] for r in rows)
                                                      / 1e3, 1e-9), 1)}


def table(summaries: list[dict]) -> list[str]:
    columns = list(summaries[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(str(s[c]) for c in columns) + " |" for s in summaries]


def write_report(runs: list[dict[str, Any]], meta: dict[str, Any]) -> Path:
    lines = ["# Prompt prefix ordering and the embedded model's prompt cache", "",
             f"Model {meta['model']} ({meta['model_path']}), llama-cpp-python 0.3.36, "
             f"{meta['cores']} cores, n_ctx {meta['n_ctx']}, temperature 0, max_tokens "
             f"{MAX_TOKENS}, {meta['prompts']} prompts per order, shared prefix "
             f"{meta['prefix_tokens']} tokens. Measured {meta['date']} with "
             "`python bench/prefix_cache.py` on a machine shared with other work.", "",
             "`evaluated` = prompt tokens the model actually computed (the rest came from "
             "the KV cache); `effective_prompt_tok_s` = prompt tokens / wall time of warm "
             "requests; warm = every request but the first of its order.", ""]
    for run in runs:
        summaries = run["orders"]
        first, second = summaries[0], summaries[1]
        speedup = second["warm_median_wall_s"] / max(first["warm_median_wall_s"], 1e-9)
        lines += [f"## RAM prompt cache {run['prompt_cache_bytes'] >> 20} MiB "
                  f"(server start {run['start_s']:.1f} s)", "", *table(summaries), "",
                  f"Prefix first is {speedup:.1f}x faster per warm request than variable "
                  f"first ({first['warm_median_wall_s']} s vs "
                  f"{second['warm_median_wall_s']} s median wall time).", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "prefix_cache.md"
    path.write_text("\n".join(lines))
    (RESULTS / "prefix_cache.json").write_text(json.dumps({"meta": meta, "runs": runs},
                                                          indent=2))
    return path


def run_server(model_path: str, n_ctx: int, prompts: int, cache_bytes: int) -> dict[str, Any]:
    """One private server (own state folder), the three orders, then stopped."""
    state = Path(tempfile.mkdtemp(prefix="text2ml-bench-"))
    started = time.perf_counter()
    server = ensure_server(model_path, n_ctx=n_ctx, cache_dir=state,
                           prompt_cache_bytes=cache_bytes)
    start_s = time.perf_counter() - started
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key="unused", timeout=600)
        prefix_a, prefix_b = shared_prefix(server, "model"), shared_prefix(server, "features")
        parts = [variable_part(i) for i in range(prompts)]
        orders = {
            "prefix first": [f"{prefix_a}\n\n{part}" for part in parts],
            "variable first": [f"{part}\n\n{prefix_a}" for part in parts],
            "two prefixes interleaved": [f"{(prefix_a, prefix_b)[i % 2]}\n\n{part}"
                                         for i, part in enumerate(parts)],
        }
        summaries = [summarize(name, run_order(client, server, texts))
                     for name, texts in orders.items()]
        prefix_tokens = count_tokens(server, prefix_a)
    finally:
        stop_server(cache_dir=state)
    return {"prompt_cache_bytes": cache_bytes, "start_s": start_s,
            "prefix_tokens": prefix_tokens, "orders": summaries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=6)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--n-ctx", type=int, default=8192)
    args = parser.parse_args()
    model_path = str(ensure_model_file(args.model))
    runs = [run_server(model_path, args.n_ctx, args.prompts, cache_bytes)
            for cache_bytes in (PROMPT_CACHE_BYTES, 0)]
    meta = {"model": args.model, "model_path": model_path, "cores": os.cpu_count(),
            "n_ctx": args.n_ctx, "prompts": args.prompts,
            "prefix_tokens": runs[0]["prefix_tokens"],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    print(write_report(runs, meta).read_text())


if __name__ == "__main__":
    main()
