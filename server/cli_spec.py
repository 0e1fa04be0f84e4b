"""`text2ml spec FILE[:LINE]`: what text2ml understands of a task, without writing modules."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_spec_command(subparsers: argparse._SubParsersAction) -> None:
    spec = subparsers.add_parser("spec", help="show how a TASK block is understood: data, "
                                              "target, problem, metric, and why")
    spec.add_argument("target", help="FILE or FILE:LINE of the task block")
    spec.add_argument("--base-url", help="OpenAI-compatible endpoint (default: embedded model)")
    spec.add_argument("--model", help="model name at that endpoint")
    spec.add_argument("--json", action="store_true", help="one JSON object on stdout")
    spec.set_defaults(func=cmd_spec)


def cmd_spec(args: argparse.Namespace) -> int:
    from text2ml.server.cli import parse_target
    from text2ml.synthesis.errors import UserError
    from text2ml.synthesis.generate import pick_block
    from text2ml.synthesis.llm.backend import LazyLLM
    from text2ml.synthesis.llm.settings import resolve_llm_settings
    from text2ml.synthesis.spec_report import read_task, spec_json, spec_lines

    task_file, line = parse_target(args.target)
    if not task_file.is_file():
        raise UserError(f"{task_file} does not exist.", hint="Give the task file's path.")
    block = pick_block(task_file.resolve(), line)
    llm = LazyLLM(resolve_llm_settings({"base_url": args.base_url, "model": args.model}))
    spec = read_task(block, Path(task_file).resolve(), llm)
    if args.json:
        print(json.dumps(spec_json(spec)))
    else:
        print("\n".join(spec_lines(spec)))
    return 0
