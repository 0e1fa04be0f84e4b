"""One warm worker's stream of trials: asked in batches with Optuna's ask-and-tell, the next
batch sent while the current one runs, each trial told as soon as its reply arrives.

Why batches: a trial of a small model takes milliseconds, as long as the sampler's `ask` and
a message round trip. Sending one batch of several trials costs one message; sending the
next batch before the current one ends lets the parent's sampler work on one core while
the worker fits on another, instead of each waiting for the other.

Slow trials (over half of BATCH_SECONDS) go one per batch, the next asked only when the
last one is told, so the sampler sees every result as it would in `study.optimize`.

What stays per trial: the deadline (a trial starts when the one before it replied, and the
worker is killed when it overruns), the memory limit (the worker's), the reports that feed
the pruner (each answered before the trial goes on), the heartbeat on shared storages.
When the worker dies or is killed, the trial it ran fails with the reason and the trials
queued behind it go to a fresh worker.
"""

from __future__ import annotations

from collections import deque
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

from text2ml.optimization.heartbeat import beating
from text2ml.optimization.program_info import ProgramInfo
from text2ml.optimization.proxies import skip_floor
from text2ml.optimization.space import suggest_config
from text2ml.optimization.worker_process import WorkerLost, WorkerProcess
from text2ml.synthesis.sandbox.deadline import Deadline

if TYPE_CHECKING:  # the budget lives in study.py, which imports this module
    from text2ml.optimization.study import _Budget

GIVE_UP_AFTER = 2  # failures of a candidate that never completed before its trials are skipped
BATCH_SECONDS = 0.1  # a batch holds about this much work: fast fits share a message
MAX_BATCH = 16  # the sampler sees a batch's results only after it is asked: keep it short
AHEAD = 2  # batches in flight: the one running, and the next one queued in the worker
SMOOTHING = 0.3  # weight of the latest trial in the running mean of a trial's seconds

Failing = dict[tuple[str, str], tuple[int, str]]  # (slot, candidate) -> (failures, last reason)


@dataclass
class Pending:
    """A trial sent to the worker, waiting for or in its run."""

    trial: optuna.Trial
    spec: dict[str, Any]  # what the worker is sent: id, choice, params
    batch: int = 0
    beat: ExitStack = field(default_factory=ExitStack)

    @property
    def label(self) -> str:
        return "/".join(self.spec["choice"].values())


def failing_candidates(study: optuna.Study) -> Failing:
    """Candidates that failed GIVE_UP_AFTER times and never completed. TPE learns nothing
    from failed trials, so it would otherwise keep sampling them. One scan per batch."""
    seen: dict[tuple[str, str], list[Any]] = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)):
        for slot, name in (t.user_attrs.get("choice") or {}).items():
            seen.setdefault((slot, name), []).append(t)
    failing: Failing = {}
    for key, trials in seen.items():
        failed = [t for t in trials if t.state == TrialState.FAIL
                  and not t.user_attrs.get("skipped")]
        if len(failed) >= GIVE_UP_AFTER and all(t.state == TrialState.FAIL for t in trials):
            failing[key] = (len(failed), failed[-1].user_attrs.get("reason", "?"))
    return failing


def hopeless(choice: dict[str, str], failing: Failing) -> str | None:
    """Why to skip a trial of this choice, if one of its candidates is failing."""
    for slot, name in choice.items():
        if (slot, name) in failing:
            count, last = failing[slot, name]
            return (f"skipped: {slot} candidate {name} failed {count} times and never "
                    f"completed (last: {last})")
    return None


class TrialFeed:
    """Keeps one worker fed with trials until the budget has no more to give."""

    def __init__(self, info: ProgramInfo, budget: _Budget, worker: WorkerProcess,
                 folds: int) -> None:
        self.info, self.budget, self.worker, self.folds = info, budget, worker, folds
        self.pending: deque[Pending] = deque()  # sent, in the order the worker runs them
        self.batches = 0
        self.started = 0.0  # when the first pending trial started running
        self.limit = budget.options.trial_timeout  # its limit, fixed when it started
        self.seconds: float | None = None  # running mean of a trial's wall-clock seconds
        self.round_trips = 0  # batch messages sent: trials per round trip, for tests

    def run(self) -> None:
        exhausted = False
        try:
            while True:
                if not exhausted and self._room_ahead():
                    exhausted = not self._send_batch()
                elif self.pending:
                    self._next_event()
                else:
                    return
        finally:  # an error mid-batch: no trial of ours stays RUNNING
            while self.pending:
                with suppress(Exception):  # the error that got us here is the one to raise
                    self._tell(self.pending.popleft(), TrialState.FAIL, None,
                               "stopped before it ran")

    # -- sending ---------------------------------------------------------------------------

    def _room_ahead(self) -> bool:
        """Whether to ask the next batch now: always when the worker is idle; while it runs
        a batch, only when trials are fast (a batch holds several: then asking costs as much
        as fitting; with slow trials the sampler had better see every result first) and the
        budget has time for the queued trials too."""
        in_flight = len({item.batch for item in self.pending})
        if in_flight == 0:
            return True
        if in_flight >= AHEAD or self._batch_size() < 2:
            return False
        assert self.seconds is not None  # a batch size above 1 was measured
        remaining = self.budget.remaining()
        return remaining is None or remaining > 2 * self.seconds * (len(self.pending) + 1)

    def _batch_size(self) -> int:
        """About BATCH_SECONDS of work: one trial when trials are slow (nothing to gain,
        and the sampler then sees every result but the one running)."""
        if self.seconds is None:
            return 1
        return max(1, min(MAX_BATCH, int(BATCH_SECONDS / max(self.seconds, 1e-6))))

    def _send_batch(self) -> bool:
        """Ask a batch and send it; False when the budget gives no more trials."""
        failing = failing_candidates(self.budget.study)
        batch: list[Pending] = []
        asked = 0
        for _ in range(self._batch_size()):
            trial = self.budget.claim()
            if trial is None:
                break
            asked += 1
            item = self._prepare(trial, failing)
            if item is not None:
                batch.append(item)
        if batch:
            self._send(batch)
        return asked > 0

    def _prepare(self, trial: optuna.Trial, failing: Failing) -> Pending | None:
        """Sample the trial's program; a hopeless one is failed at once (None)."""
        choice, params = suggest_config(trial, self.info)
        trial.set_user_attr("choice", choice)
        item = Pending(trial, {"id": trial.number, "choice": choice, "params": params})
        skip = hopeless(choice, failing)
        if skip:
            trial.set_user_attr("skipped", True)
            self._tell(item, TrialState.FAIL, None, skip)
            return None
        item.beat.enter_context(beating(self.budget.study, trial,
                                        self.budget.options.heartbeat))
        return item

    def _send(self, items: list[Pending]) -> None:
        options = self.budget.options
        request = {"op": "batch", "trials": [item.spec for item in items], "folds": self.folds,
                   "proxy_floor": skip_floor(self.budget.proxies) if options.proxies else None}
        idle = not self.pending
        self.batches += 1
        for item in items:
            item.batch = self.batches
        self.pending.extend(items)
        try:
            sent = self.worker.send(request)
        except WorkerLost as exc:  # a fresh worker would not start: these trials cannot run
            for item in items:
                self.pending.remove(item)
                self._tell(item, TrialState.FAIL, None, str(exc))
            return
        self.round_trips += 1
        if idle:
            self._start_head(sent)

    def _start_head(self, when: float) -> None:
        """The first pending trial runs from `when`, under the per-trial limit (cut to the
        time left, plus a second's grace)."""
        self.started = when
        remaining = self.budget.remaining()
        self.limit = self.budget.options.trial_timeout if remaining is None \
            else min(self.budget.options.trial_timeout, remaining + 1.0)

    # -- receiving -------------------------------------------------------------------------

    def _next_event(self) -> None:
        head = self.pending[0]
        deadline = Deadline(self.limit, self.budget.cancel, self.started)
        try:
            arrived, reply = self.worker.receive(deadline,
                                                 f"{self.limit:g}s (the per-trial limit)")
        except WorkerLost as exc:
            self._lost(str(exc))
            return
        if reply.get("type") == "report":
            self._answer(head, reply)
            return
        self.pending.popleft()
        self._observe(arrived - self.started)
        self._start_head(arrived)  # the next trial of the batch started as this one ended
        if reply.get("fatal"):  # out of memory: the heap may be left fragmented
            self.worker.kill()
            self._resend()
        self._record(head, reply)

    def _answer(self, head: Pending, reply: dict[str, Any]) -> None:
        """A report from inside the running trial: feed the pruner, say whether to stop."""
        try:
            head.trial.report(reply["value"], reply["step"])
            prune = head.trial.should_prune()
        except UpdateFinishedTrialError as exc:
            # another process failed it (its heartbeat came too late): drop it, start afresh
            self.pending.popleft()
            head.beat.close()
            self.worker.kill()
            self.budget.progress(f"trial {head.trial.number} dropped: {exc}")
            self._resend()
            return
        self.worker.send({"prune": bool(prune)})

    def _lost(self, reason: str) -> None:
        """The worker died or was killed: the running trial fails with the reason; on a
        cancel every queued trial fails too, otherwise they go to a fresh worker."""
        self._tell(self.pending.popleft(), TrialState.FAIL, None, reason)
        if self.budget.cancel.is_set():
            while self.pending:
                self._tell(self.pending.popleft(), TrialState.FAIL, None, "cancelled")
            return
        self._resend()

    def _resend(self) -> None:
        """The queued trials, lost with the worker, as one batch to a fresh worker."""
        if not self.pending:
            return
        items = list(self.pending)
        self.pending.clear()
        self._send(items)

    def _observe(self, seconds: float) -> None:
        self.seconds = seconds if self.seconds is None \
            else (1 - SMOOTHING) * self.seconds + SMOOTHING * seconds

    def _record(self, item: Pending, reply: dict[str, Any]) -> None:
        if reply.get("proxy") is not None:
            item.trial.set_user_attr("proxy", reply["proxy"])
            self.budget.proxies.append(reply["proxy"])
        if reply["type"] == "result":
            # the worker's own time for it: the report's and the overhead bench's fit time
            item.trial.set_user_attr("seconds", reply.get("seconds"))
            self._tell(item, TrialState.COMPLETE, reply["value"], None)
            return
        state = TrialState.PRUNED if reply["type"] == "pruned" else TrialState.FAIL
        self._tell(item, state, None, reply["reason"])

    def _tell(self, item: Pending, state: TrialState, value: float | None,
              reason: str | None) -> None:
        trial = item.trial
        try:
            if reason is not None:
                trial.set_user_attr("reason", reason)
            self.budget.tell(trial, value, state=None if value is not None else state)
        except UpdateFinishedTrialError:  # another process failed it meanwhile: keep theirs
            pass
        finally:
            item.beat.close()
        label = f"trial {trial.number} ({item.label})"
        self.budget.progress(f"{label}: {value:.4g}" if value is not None
                             else f"{label} {state.name}: {reason}")
