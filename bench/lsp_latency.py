"""Code action and code lens latency of the text2ml server on a 5,000-line file, idle and while
both cores are busy, and the server's resident memory idle and during a job.

    python bench/lsp_latency.py [--program DIR] [--requests 300] [--out FILE.md]

The file holds three TASK blocks; one of them has a program folder (a manifest written by this
script) so the lenses read a program's state. "Busy" means `text2ml.optimize` running trials in
two worker processes (optimize.jobs=2) on `--program`, by default a copy of the wine test
fixture program (no LLM needed).
Each latency is one request → response round trip over stdio, measured in this client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

ROOT = Path(__file__).resolve().parents[1]
LINES = 5000
OPTIMIZE_JOBS = 2  # one trial per core
TASK = ('# TASK: classify wine cultivars from wine.csv; target column "cultivar"; '
        "report accuracy.\n")


def task_file(folder: Path) -> Path:
    """5,000 lines of ordinary Python with three task blocks spread through it."""
    lines: list[str] = []
    for i in range(LINES):
        if i in (10, 2500, 4900):
            lines.append(TASK)
        elif i % 20 == 0:
            lines.append(f"def function_{i}(x: int) -> int:\n")
        else:
            lines.append(f"    x = x + {i}  # a line of ordinary code, {i}\n")
    path = folder / "big_task.py"
    path.write_text("".join(lines))
    return path


def fake_program(task: Path) -> None:
    """A program folder for the first block, so lenses show tests and the best score."""
    from text2ml.synthesis import layout
    from text2ml.synthesis.program_state import program_dir_for
    from text2ml.synthesis.task import find_task_blocks

    block = find_task_blocks(task.read_text())[0]
    folder = program_dir_for(task, block)
    slots = {s: {"accepted": "c1", "candidates": {"c1": {"status": "passed", "origin": "llm"}}}
             for s in layout.GENERATED_SLOTS}
    layout.write_manifest(folder, {"task_hash": "x", "spec": {"metric": "accuracy"},
                                   "slots": slots})
    (folder / layout.BEST_PARAMS).write_text(json.dumps({"best_value": 0.973, "n_trials": 40}))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def timed(n: int, request: Callable[[int], Awaitable[Any]]) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        await request(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> dict[str, float]:
    q = statistics.quantiles(times, n=100)
    return {"p50": round(q[49], 2), "p95": round(q[94], 2), "max": round(max(times), 2),
            "n": len(times)}


class Session:
    def __init__(self, client: LanguageClient, uri: str) -> None:
        self.client, self.uri, self.version = client, uri, 1

    async def code_action(self, i: int) -> Any:
        line = (i * 97) % LINES  # cursor moves through the file, sometimes onto a block
        if i % 3 == 0:
            line = (10, 2500, 4900)[i % 9 // 3]
        where = types.Range(types.Position(line, 0), types.Position(line, 0))
        return await self.client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(self.uri), where,
            types.CodeActionContext(diagnostics=[])))

    async def code_lens(self, i: int) -> Any:
        return await self.client.text_document_code_lens_async(
            types.CodeLensParams(types.TextDocumentIdentifier(self.uri)))

    async def edit_then_lens(self, i: int) -> Any:
        """A keystroke (didChange) then the lens request that follows it: blocks are re-found."""
        self.version += 1
        where = types.Range(types.Position(100, 4), types.Position(100, 4))
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=self.version, uri=self.uri),
            [types.TextDocumentContentChangePartial(where, "y")]))
        return await self.code_lens(i)

    async def comment_then_lens(self, i: int) -> Any:
        """A `#` typed: the lexing cannot be skipped, the blocks are searched afresh."""
        self.version += 1
        where = types.Range(types.Position(100, 4), types.Position(100, 4))
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=self.version, uri=self.uri),
            [types.TextDocumentContentChangePartial(where, "#")]))
        return await self.code_lens(i)

    async def measure(self, n: int) -> dict[str, dict[str, float]]:
        await timed(20, self.code_action)  # warm up
        return {"code action": summary(await timed(n, self.code_action)),
                "code lens": summary(await timed(n, self.code_lens)),
                "code lens after an edit": summary(await timed(n, self.edit_then_lens)),
                "code lens after typing #": summary(await timed(n, self.comment_then_lens))}


async def start(root: Path) -> tuple[LanguageClient, int]:
    client = make_test_lsp_client()  # answers configuration and progress requests like VS Code
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TEXT2ML_TEST_COMMANDS": "1"}
    await client.start_io(sys.executable, "-m", "text2ml.server", env=env)
    options = {"text2ml": {"optimize": {"jobs": OPTIMIZE_JOBS, "trials": 100_000}}}
    await client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=from_fs_path(str(root)),
        initialization_options=options))
    pid = client._server.pid  # type: ignore[union-attr]
    return client, pid


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = task_file(root)
        fake_program(path)
        client, pid = await start(root)
        uri = from_fs_path(str(path))
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, "python", 1, path.read_text())))
        session = Session(client, uri)
        await asyncio.sleep(1.0)
        results: dict[str, Any] = {"idle": await session.measure(args.requests)}
        results["rss idle MB"] = round(rss_mb(pid), 1)
        results["busy"], results["rss during job MB"], results["busy with"] = await busy(
            client, session, pid, root, args)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return results


def fixture_program(root: Path) -> Path:
    """The wine test fixture program (no LLM needed), ready to optimize."""
    program = Path(shutil.copytree(ROOT / "tests" / "fixtures" / "programs" / "wine",
                                   root / "wine_program"))
    shutil.copy(ROOT / "synthesis" / "templates" / "pipeline.py.tmpl", program / "pipeline.py")
    return program


async def busy(client: LanguageClient, session: Session, pid: int, root: Path,
               args: argparse.Namespace) -> tuple[dict[str, Any], float, str]:
    """Measure while `text2ml.optimize` runs trials on both cores."""
    program = Path(args.program).resolve() if args.program else fixture_program(root)
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        "text2ml.optimize", [str(program)]))
    await asyncio.sleep(args.warmup)  # the study and its worker processes start
    try:
        measured = await session.measure(args.requests)
        rss = round(rss_mb(pid), 1)
        trials = last_trial_message(client)
    finally:
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            "text2ml.cancel", [str(program)]))
    return measured, rss, (f"text2ml.optimize of {program.name} with optimize.jobs="
                           f"{OPTIMIZE_JOBS} (progress at the end: {trials})")


def last_trial_message(client: LanguageClient) -> str:
    reports = [v.message for values in client.progress_reports.values() for v in values
               if isinstance(v, types.WorkDoneProgressReport) and v.message]
    return reports[-1] if reports else "no trial reported"


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    rows = ["| condition | request | p50 ms | p95 ms | max ms | n |", "|---|---|---|---|---|---|"]
    for condition in ("idle", "busy"):
        for request, s in results[condition].items():
            rows.append(f"| {condition} | {request} | {s['p50']} | {s['p95']} | {s['max']} | "
                        f"{s['n']} |")
    return "\n".join([
        "# LSP latency (bench/lsp_latency.py)", "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"File: {LINES} lines, 3 TASK blocks, one with a program. Busy: {results['busy with']}.",
        "", *rows, "",
        f"Server resident memory: idle {results['rss idle MB']} MB, during the job "
        f"{results['rss during job MB']} MB.", "",
        "Goal (issue 5): p95 under 20 ms while optimizing; idle memory under 150 MB.", "",
        *([f"Note: {args.note}", ""] if args.note else []),
        "```json", json.dumps(results, indent=2), "```", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--program", help="a generated program to optimize while measuring")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=float, default=8.0,
                        help="seconds between starting the optimization and measuring")
    parser.add_argument("--out", default="bench/results/lsp_latency.md")
    parser.add_argument("--note", default="", help="a remark printed with the results")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    text = markdown(results, args)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
