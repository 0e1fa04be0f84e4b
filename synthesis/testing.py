"""Contextual modular testing: each candidate meets its contract on real upstream output."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.children.protocol import last_json_line
from text2ml.synthesis.contracts import CONTRACTS
from text2ml.synthesis.layout import candidate_path
from text2ml.synthesis.records import Failure
from text2ml.synthesis.sandbox.limits import Limits
from text2ml.synthesis.sandbox.warm import run_module
from text2ml.synthesis.static_checks import check_module

DEFAULT_LIMITS = Limits(wall_seconds=120, memory_mb=4096)


@dataclass
class Verdict:
    """The outcome of testing one candidate."""

    slot: str
    candidate: str
    failures: list[Failure] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    score: float | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def static_failures(program_dir: Path, slot: str, candidate: str, code: str) -> list[Failure]:
    path = candidate_path(program_dir, slot, candidate)
    return [Failure(slot, candidate, p.check, p.message, str(path), p.line)
            for p in check_module(code, CONTRACTS[slot])]


def test_candidate(program_dir: Path, slot: str, candidate: str, choice: dict[str, str], *,
                   limits: Limits = DEFAULT_LIMITS, sample: int = 2000,
                   cancel: threading.Event | None = None) -> Verdict:
    """Static checks, then the contract run in a sandboxed child on the real data."""
    path = candidate_path(program_dir, slot, candidate)
    verdict = Verdict(slot, candidate)
    verdict.failures = static_failures(program_dir, slot, candidate, path.read_text())
    if verdict.failures:
        return verdict
    request = {"slot": slot, "candidate": candidate, "choice": choice, "sample": sample}
    result = run_module("text2ml.synthesis.children.harness", [], cwd=program_dir, limits=limits,
                        stdin=json.dumps(request), cancel=cancel)
    reply = last_json_line(result.stdout)
    if result.killed or reply is None or "ok" not in reply:
        check = result.killed or "crash"
        verdict.failures = [Failure(slot, candidate, check, f"the test run {result.reason}",
                                    str(path), None, result.stderr[-3000:])]
        return verdict
    verdict.failures = [Failure(slot, candidate, f["check"], f["message"], str(path), f["line"],
                                f["traceback"]) for f in reply["failures"]]
    verdict.profile, verdict.score = reply["profile"], reply["score"]
    return verdict
