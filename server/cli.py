"""The `text2ml` command line: generate, test, optimize, serve, llm."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from text2ml.synthesis.baseline import baseline_line, baseline_warning
from text2ml.synthesis.errors import UserError, run_cli
from text2ml.synthesis.records import Cancelled, ProgressEvent


def parse_target(value: str) -> tuple[Path, int | None]:
    """FILE or FILE:LINE (1-based, as editors show it) → (path, 0-based line or None)."""
    path, _, line = value.rpartition(":")
    if path and line.isdigit():
        return Path(path), int(line) - 1
    return Path(value), None


def parse_candidates(value: str | None) -> dict[str, int]:
    from text2ml.synthesis.slot_loop import DEFAULT_CANDIDATES

    counts = dict(DEFAULT_CANDIDATES)
    for item in filter(None, (value or "").split(",")):
        slot, _, n = item.partition("=")
        if slot not in counts or not n.isdigit() or int(n) < 1:
            raise UserError(f"--candidates: expected slot=N with slot in {sorted(counts)}, "
                            f"got {item!r}", hint="For example: --candidates model=3,features=2")
        counts[slot] = int(n)
    return counts


def cmd_generate(args: argparse.Namespace) -> int:
    from text2ml.synthesis.generate import GenerateOptions, generate_program
    from text2ml.synthesis.llm.settings import resolve_llm_settings

    task_file, line = parse_target(args.target)
    if not task_file.exists():
        return fail(args, f"{task_file} does not exist.")
    settings = resolve_llm_settings({"base_url": args.base_url, "model": args.model})
    options = GenerateOptions(parse_candidates(args.candidates), args.repairs, settings,
                              Path(args.out) if args.out else None,
                              recipes_only=args.recipes_only)
    cancel = cancel_on_ctrl_c()
    try:
        result = generate_program(task_file, line, options, events=printer(args), cancel=cancel)
    except Cancelled:
        return fail(args, "cancelled; the program folder holds the best whole program so far "
                    "(the previous one, if the cancel came before the first was published).")
    report_generation(args, result)
    return 0 if result.ok else 1


def report_generation(args: argparse.Namespace, result: Any) -> None:
    if args.json:
        print(json.dumps({"ok": result.ok, "program_dir": str(result.program_dir),
                          "score": result.score, "seconds": round(result.seconds, 1),
                          "stats": result.stats, "backups": result.backups,
                          "failures": [f.as_dict() for f in result.failures]}))
        return
    for backup in result.backups:
        print(f"kept your edited file as {backup}")
    status = "tested program written" if result.ok else "program INCOMPLETE"
    print(f"{status}: {result.program_dir}")
    if result.score and "score" in result.score:
        print(f"validation {result.score['metric']}: {result.score['score']:.4f}"
              + (f"; {baseline_line(result.score)}" if baseline_line(result.score) else ""))
        if baseline_warning(result.score):
            print(f"WARNING: {baseline_warning(result.score)}")
    elif result.score:
        print(f"pipeline.py failed: {result.score.get('error')}")
    stats = result.stats
    print(f"slots passed by an LLM candidate: {stats['slots_with_llm_pass']}/{stats['slots']}; "
          f"candidates passed {stats['passed']}/{stats['candidates']}; "
          f"repairs {stats['repairs']}")
    print(f"LLM: {result.usage}; {result.seconds:.1f} s")
    if not result.ok:
        for failure in result.failures[-5:]:
            print(f"{failure.location()}: [{failure.check}] {failure.message}")


def cmd_test(args: argparse.Namespace) -> int:
    from text2ml.synthesis.generate import test_program

    report = test_program(Path(args.program), slots=args.slot or None, score=True)
    if args.json:
        print(json.dumps({"passed": report.passed, "total": report.total,
                          "failures": [f.as_dict() for f in report.failures],
                          "score": report.score, "unsaved": report.unsaved}))
    else:
        for failure in report.failures:
            print(f"{failure.location()}: [{failure.check}] {failure.message}")
        print(f"{report.passed}/{report.total} candidates passed their contract tests")
        if report.score and "score" in report.score:
            print(f"validation {report.score['metric']}: {report.score['score']:.4f}"
                  + (f"; {baseline_line(report.score)}" if baseline_line(report.score) else ""))
        if baseline_warning(report.score):
            print(f"WARNING: {baseline_warning(report.score)}")
    if report.unsaved:  # shown after the results, which are not lost with it
        print(f"text2ml: the results were not recorded in the manifest: {report.unsaved}",
              file=sys.stderr)
        return 2
    return 0 if not report.failures else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from text2ml.server.app import serve

    serve(args.tcp)
    return 0


def cancel_on_ctrl_c() -> threading.Event:
    """Ctrl-C sets the job's cancel event instead of raising KeyboardInterrupt in whichever
    frame the main thread waits: the LLM request in flight and the sandboxed runs stop at
    once, and no thread pool is left to drain. A second Ctrl-C exits on the spot."""
    cancel = threading.Event()

    def stop(_signum: int, _frame: Any) -> None:
        if cancel.is_set():
            os._exit(130)
        print("\nstopping (Ctrl-C again to quit at once)", file=sys.stderr, flush=True)
        cancel.set()

    signal.signal(signal.SIGINT, stop)
    return cancel


def printer(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    shown = [0.0]  # a later stage may report a smaller fraction: the percentage only grows

    def show(event: ProgressEvent) -> None:
        shown[0] = max(shown[0], min(event.fraction, 1.0))
        if not args.json:
            print(f"[{shown[0] * 100:3.0f}%] {event.message}", file=sys.stderr, flush=True)

    return show


def fail(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": message}))
    else:
        print(f"text2ml: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="text2ml", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate a tested ML program from a TASK block")
    gen.add_argument("target", help="FILE or FILE:LINE of the task block")
    gen.add_argument("--out", help="program folder (default: next to the task file)")
    gen.add_argument("--candidates", help="per slot, e.g. model=3,features=2")
    gen.add_argument("--repairs", type=int, default=3, help="repairs per candidate (default 3)")
    gen.add_argument("--recipes-only", action="store_true",
                     help="no LLM writes modules: the recipe library's modules are the candidates")
    gen.add_argument("--base-url", help="OpenAI-compatible endpoint (default: embedded model)")
    gen.add_argument("--model", help="model name at that endpoint")
    gen.add_argument("--json", action="store_true", help="one JSON object on stdout")
    gen.set_defaults(func=cmd_generate)
    test = sub.add_parser("test", help="re-run the contract tests of a program")
    test.add_argument("program", help="the program folder")
    test.add_argument("--slot", action="append", help="only this slot (repeatable)")
    test.add_argument("--json", action="store_true")
    test.set_defaults(func=cmd_test)
    serve = sub.add_parser("serve", help="run the language server on stdio")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead (debugging)")
    serve.set_defaults(func=cmd_serve)
    add_optional_commands(sub)
    return parser


def add_optional_commands(sub: argparse._SubParsersAction) -> None:
    from text2ml.optimization.cli import add_optimize_commands
    from text2ml.server.cli_llm import add_llm_commands
    from text2ml.server.cli_spec import add_spec_command

    add_spec_command(sub)
    add_llm_commands(sub)
    add_optimize_commands(sub)


# The commands that run generated code or the task's data loaders in the sandbox.
BOXED_COMMANDS = ("generate", "test", "optimize", "worker", "spec")


def main(argv: list[str] | None = None) -> int:
    """Every UserError (TaskError, SettingsError, ProgramError, ...) is printed as plain words
    and exits 2; anything else is a bug: one line saying so, the traceback, exit 1."""
    args = build_parser().parse_args(argv)
    if args.command in BOXED_COMMANDS:
        warn_about_the_box()
    return run_cli(args.func, args)


def warn_about_the_box() -> None:
    """Loudly, on stderr (stdout may carry --json): the sandbox layers this machine lacks."""
    from text2ml.synthesis.sandbox.box import missing_layers

    for warning in missing_layers():
        print(f"text2ml: WARNING: {warning}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
