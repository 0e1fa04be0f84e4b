"""Contextual generation: slot by slot, candidates written by the LLM, tested, repaired."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.autofix import autofix
from text2ml.synthesis.contracts import CONTRACTS
from text2ml.synthesis.files import write_atomic
from text2ml.synthesis.layout import GENERATED_SLOTS, candidate_path
from text2ml.synthesis.llm.replies import extract_code, syntax_error
from text2ml.synthesis.prompts import generation_messages, recipe_for, repair_messages
from text2ml.synthesis.recipes import recipes_for, similarity
from text2ml.synthesis.records import Cancelled, Failure, ProgressEvent
from text2ml.synthesis.sandbox.limits import Limits
from text2ml.synthesis.spec import TaskSpec
from text2ml.synthesis.testing import DEFAULT_LIMITS, Verdict, test_candidate

DEFAULT_CANDIDATES = {"features": 2, "model": 3, "training": 1, "postprocess": 1}
# The last features candidate of a program is asked for what no recipe knows: this task.
TASK_FEATURES = ("On top of the recipe's preprocessing, add the features that the task text "
                 "and the column names suggest (ratios or differences the task names, parts of "
                 "dates, lengths and word counts of text), computed inside the transformer.")
Events = Callable[[ProgressEvent], None]
# Told of each candidate of the LLM phase once it has its verdict (from a pool thread when
# candidates are written in parallel): the caller publishes the ones that passed at once.
Finished = Callable[[str, "CandidateRecord"], None]


def recipe_name(index: int) -> str:
    """Recipe candidates are r1, r2…, the LLM's c1, c2…: both may sit in one slot."""
    return f"r{index + 1}"


def candidate_order(name: str) -> tuple[str, int]:
    """c1 < c2 < … < r1 < r2: the LLM's candidates first, so a tie goes to the adapted one."""
    return name[:1], int(name[1:]) if name[1:].isdigit() else 0


@dataclass
class CandidateRecord:
    name: str
    status: str = "failed"  # "passed" or "failed"
    origin: str = "llm"  # "llm"; "reference": a recipe stood in; "recipe": recipes-only mode
    attempts: int = 0
    prompt_hash: str = ""
    score: float | None = None
    failures: list[Failure] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    fixes: list[str] = field(default_factory=list)  # slips repaired without the LLM
    recipe: str = ""  # the recipe the candidate was shown as its example
    recipe_similarity: float | None = None  # 1.0: the recipe verbatim (difflib ratio)
    upstream: dict[str, str] = field(default_factory=dict)  # the choice it was tested on


@dataclass
class SlotOutcome:
    slot: str
    candidates: dict[str, CandidateRecord] = field(default_factory=dict)
    accepted: str | None = None


@dataclass
class Generator:
    spec: TaskSpec
    program_dir: Path
    llm: Any
    candidates: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CANDIDATES))
    repairs: int = 3
    parallel: int = 1
    events: Events | None = None
    cancel: threading.Event | None = None
    written: list[str] = field(default_factory=list)
    limits: Limits = field(default_factory=lambda: DEFAULT_LIMITS)
    recipes_only: bool = False  # no LLM: every recipe of the slot stands in as a candidate
    finished: Finished | None = None
    # the part of the job's progress this generator's own 0..1 fills (the recipe program
    # first, then the LLM's candidates): a client's percentage only grows
    span: tuple[float, float] = (0.0, 1.0)

    def emit(self, message: str, fraction: float, **details: Any) -> None:
        if self.events:
            low, high = self.span
            self.events(ProgressEvent("generate", message, low + fraction * (high - low),
                                      details))

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("generation was cancelled")

    def run(self, outcomes: dict[str, SlotOutcome]) -> dict[str, SlotOutcome]:
        """Generate every slot not already in `outcomes`, in order, upstream first."""
        for index, slot in enumerate(GENERATED_SLOTS):
            if slot in outcomes and outcomes[slot].accepted:
                continue
            self.check_cancel()
            outcomes[slot] = self.generate_slot(slot, outcomes, index)
        return outcomes

    def recipe_program(self) -> dict[str, SlotOutcome]:
        """The first recipe of every slot, tested in order: a whole program before any LLM
        call. Stops at the first slot whose recipe fails: what follows cannot be tested."""
        outcomes: dict[str, SlotOutcome] = {}
        for index, slot in enumerate(GENERATED_SLOTS):
            self.check_cancel()
            _, choice, _ = self.upstream(slot, outcomes)
            record = self.recipe_candidate(slot, recipe_name(0), 0, 1, index, choice)
            passed = record.status == "passed"
            outcomes[slot] = SlotOutcome(slot, {record.name: record},
                                         record.name if passed else None)
            if not passed:
                break
        return outcomes

    def extend(self, outcomes: dict[str, SlotOutcome]) -> dict[str, SlotOutcome]:
        """Every slot again, in order, beside what `outcomes` holds (the recipe program):
        the LLM's candidates (or the other recipes) join; a slot's accepted candidate is the
        best that passed."""
        for index, slot in enumerate(GENERATED_SLOTS):
            self.check_cancel()
            outcomes[slot] = self.generate_slot(slot, outcomes, index)
        return outcomes

    def upstream(self, slot: str, outcomes: dict[str, SlotOutcome]) -> tuple[dict[str, str],
                                                                               dict[str, str],
                                                                               str]:
        code: dict[str, str] = {}
        choice: dict[str, str] = {}
        profile = ""
        for earlier in GENERATED_SLOTS[: GENERATED_SLOTS.index(slot)]:
            accepted = outcomes[earlier].accepted
            if accepted:
                choice[earlier] = accepted
                code[earlier] = candidate_path(self.program_dir, earlier, accepted).read_text()
                record = outcomes[earlier].candidates[accepted]
                if record.profile:
                    profile = _profile_text(record.profile)
        if slot in ("training", "postprocess"):
            code.pop("features", None)  # keep prompts short: the model code is what matters
        return code, choice, profile

    def generate_slot(self, slot: str, outcomes: dict[str, SlotOutcome],
                      index: int) -> SlotOutcome:
        seeded = outcomes.get(slot)
        kept = self.retest_seeded(slot, seeded, outcomes) if seeded else {}
        outcome = SlotOutcome(slot)
        n = self.candidates.get(slot, 1)
        if self.recipes_only:
            n = len(recipes_for(slot, self.spec.modality, self.spec.problem_type))
            names = [recipe_name(i) for i in range(n)]
        else:
            names = [f"c{i + 1}" for i in range(n)]
        work = [(slot, name, i, n, index, outcomes) for i, name in enumerate(names)
                if name not in kept]
        if self.parallel > 1:
            with ThreadPoolExecutor(max_workers=self.parallel) as pool:
                records = list(pool.map(lambda w: self.verdict_of(*w), work))
        else:
            records = [self.verdict_of(*w) for w in work]
        everyone = {**kept, **{r.name: r for r in records}}
        outcome.candidates = {name: everyone[name] for name in sorted(everyone,
                                                                      key=candidate_order)}
        passed = [r for r in outcome.candidates.values() if r.status == "passed"]
        if not passed and seeded is None:
            record = self.reference_candidate(slot, outcomes, f"c{n + 1}")
            outcome.candidates[record.name] = record
            passed = [record] if record.status == "passed" else []
        if passed:
            outcome.accepted = self.best(passed).name
        return outcome

    def retest_seeded(self, slot: str, seeded: SlotOutcome, outcomes: dict[str, SlotOutcome]
                      ) -> dict[str, CandidateRecord]:
        """The slot's recipe candidates, tested again where the modules upstream of them
        changed since (an LLM candidate accepted above): every candidate of a slot is judged
        on the same upstream."""
        _, choice, _ = self.upstream(slot, outcomes)
        for record in seeded.candidates.values():
            if record.upstream == choice:
                continue
            self.check_cancel()
            self.emit(f"{slot}: testing {record.name} on the new upstream modules", 0.0,
                      slot=slot, candidate=record.name)
            verdict = test_candidate(self.program_dir, slot, record.name, choice,
                                     limits=self.limits, cancel=self.cancel)
            record.status = "passed" if verdict.passed else "failed"
            record.failures, record.profile, record.score = (verdict.failures, verdict.profile,
                                                             verdict.score)
            record.upstream = dict(choice)
            self.tell(slot, record)
        return dict(seeded.candidates)

    def verdict_of(self, slot: str, name: str, i: int, n: int, index: int,
                   outcomes: dict[str, SlotOutcome]) -> CandidateRecord:
        record = self.candidate(slot, name, i, n, index, outcomes)
        self.tell(slot, record)
        return record

    def tell(self, slot: str, record: CandidateRecord) -> None:
        if self.finished is not None:
            self.finished(slot, record)

    def best(self, passed: list[CandidateRecord]) -> CandidateRecord:
        scored = [r for r in passed if r.score is not None]
        if not scored:
            return passed[0]
        sign = 1 if self.spec.direction == "maximize" else -1
        return max(scored, key=lambda r: sign * r.score)  # type: ignore[operator]

    def candidate(self, slot: str, name: str, i: int, n: int, index: int,
                  outcomes: dict[str, SlotOutcome]) -> CandidateRecord:
        contract = CONTRACTS[slot]
        code_up, choice, profile = self.upstream(slot, outcomes)
        recipe, example = recipe_for(self.spec, slot, i)
        if self.recipes_only:
            return self.recipe_candidate(slot, name, i, n, index, choice)
        hint = TASK_FEATURES if slot == "features" and n > 1 and i == n - 1 else ""
        messages = generation_messages(self.spec, contract, code_up, profile, hint, index=i)
        record = CandidateRecord(name, prompt_hash=_hash(messages), recipe=recipe.name)
        base = (index + i / n) / len(GENERATED_SLOTS)
        for attempt in range(self.repairs + 1):
            self.check_cancel()
            step = "writing" if attempt == 0 else f"repairing ({attempt}/{self.repairs})"
            self.emit(f"{slot}: candidate {i + 1}/{n}, {step}", base, slot=slot, candidate=name)
            reply = self.llm.chat(messages, temperature=0.2 if attempt == 0 else 0.8,
                                  seed=1000 * attempt + i, max_tokens=reply_tokens(example),
                                  purpose=f"{slot}/{name}/{attempt}")
            code, fixes = autofix(extract_code(reply.text), contract)
            record.fixes += fixes
            record.attempts = attempt + 1
            record.recipe_similarity = similarity(code, example)
            verdict = self.test(slot, name, code, choice)
            record.failures, record.profile, record.score = (verdict.failures, verdict.profile,
                                                             verdict.score)
            record.upstream = dict(choice)
            if verdict.passed:
                record.status = "passed"
                return record
            messages = repair_messages(self.spec, contract, code_up, profile, code,
                                       verdict.failures, index=i)
        return record

    def recipe_candidate(self, slot: str, name: str, i: int, n: int, index: int,
                         choice: dict[str, str]) -> CandidateRecord:
        """The slot's i-th recipe as it is, tested like any candidate (no LLM)."""
        recipe, example = recipe_for(self.spec, slot, i)
        self.check_cancel()
        self.emit(f"{slot}: recipe {i + 1}/{n} ({recipe.name})",
                  (index + i / n) / len(GENERATED_SLOTS), slot=slot, candidate=name)
        verdict = self.test(slot, name, example, choice)
        return CandidateRecord(name, "passed" if verdict.passed else "failed", "recipe", 1, "",
                               verdict.score, verdict.failures, verdict.profile,
                               recipe=recipe.name, recipe_similarity=1.0,
                               upstream=dict(choice))

    def repair_existing(self, slot: str, name: str, code: str,
                        outcomes: dict[str, SlotOutcome]) -> CandidateRecord:
        """Test the module as it is on disk; while it fails, ask for a fix with the failure."""
        contract = CONTRACTS[slot]
        code_up, choice, profile = self.upstream(slot, outcomes)
        known = outcomes[slot].candidates.get(name) if slot in outcomes else None
        index = recipe_index(self.spec, slot, known.recipe if known else "")
        record = CandidateRecord(name, recipe=known.recipe if known else "")
        for attempt in range(self.repairs + 1):
            self.check_cancel()
            verdict = self.test(slot, name, code, choice)
            record.failures, record.profile, record.score = (verdict.failures, verdict.profile,
                                                             verdict.score)
            record.attempts = attempt
            if verdict.passed:
                record.status = "passed"
                return record
            if attempt == self.repairs:
                break
            self.emit(f"{slot}/{name}: repairing ({attempt + 1}/{self.repairs})",
                      attempt / self.repairs, slot=slot, candidate=name)
            messages = repair_messages(self.spec, contract, code_up, profile, code,
                                       verdict.failures, index=index)
            reply = self.llm.chat(messages, temperature=0.8, seed=7000 + attempt,
                                  max_tokens=900, purpose=f"{slot}/{name}/repair{attempt}")
            code, fixes = autofix(extract_code(reply.text), contract)
            record.fixes += fixes
        return record

    def test(self, slot: str, name: str, code: str, choice: dict[str, str]) -> Verdict:
        path = candidate_path(self.program_dir, slot, name)
        problem = syntax_error(code) if code.strip() else "the reply held no Python code"
        write_atomic(path, code if code.endswith("\n") else code + "\n")
        self.written.append(str(path.relative_to(self.program_dir)))
        if problem:
            return Verdict(slot, name, [Failure(slot, name, "syntax", problem, str(path))])
        return test_candidate(self.program_dir, slot, name, choice, limits=self.limits,
                              cancel=self.cancel)

    def reference_candidate(self, slot: str, outcomes: dict[str, SlotOutcome],
                            name: str) -> CandidateRecord:
        """No LLM candidate passed: the slot's first recipe stands in, tested like any."""
        self.emit(f"{slot}: no candidate passed; testing the recipe", 0.0)
        _, choice, _ = self.upstream(slot, outcomes)
        recipe, example = recipe_for(self.spec, slot, 0)
        verdict = self.test(slot, name, example, choice)
        return CandidateRecord(name, "passed" if verdict.passed else "failed", "reference", 1,
                               "", verdict.score, verdict.failures, verdict.profile,
                               recipe=recipe.name, recipe_similarity=1.0,
                               upstream=dict(choice))


def reply_tokens(example: str) -> int:
    """Room for an adapted copy of the recipe (about 3 characters a token, plus changes), so
    a long recipe (the CNN) is not cut off mid-module."""
    return max(900, len(example) // 3 + 300)


def recipe_index(spec: TaskSpec, slot: str, name: str) -> int:
    """Where a recorded recipe sits in the slot's list (0 when unknown or gone)."""
    names = [r.name for r in recipes_for(slot, spec.modality, spec.problem_type)]
    return names.index(name) if name in names else 0


def _hash(messages: list[dict[str, str]]) -> str:
    return hashlib.sha256(repr(messages).encode()).hexdigest()[:16]


def _profile_text(profile: dict[str, Any]) -> str:
    from text2ml.synthesis.profiles import describe

    return "; ".join(f"{key}: {describe(value)}" for key, value in profile.items())
