"""A warm worker process: loads the program's data once, imports candidates once, runs trials.

    python -m text2ml.optimization.worker <program_dir>

Speaks JSON lines (`text2ml.synthesis.children.protocol`) on the original stdout (the
candidates' own prints go to stderr so they cannot corrupt the protocol): `{"type": "ready",
"rows"}` first, then one reply per request on stdin, `{"type": "result" | "pruned" |
"error", ...}`. A trial request may get `{"type": "report", "step", "value"}` lines before
its reply, each answered with `{"prune": bool}` before it goes on.

A `batch` request carries several trials (`{"op": "batch", "trials": [{"id", "choice",
"params"}, ...], "folds", "proxy_floor"}`): they run one after the other with one reply
each, tagged with the trial's `id` (so are their reports), and no request in between. The
parent may send the next batch while this one runs, so stdin is read by a thread that
keeps requests and prune answers apart.

After a study, the ensemble ops: `{"op": "predict", "choice", "params", "folds", "out"}`
saves one program's validation (out-of-fold, with folds) soft predictions to the .npy file
`out` and replies with its score; `{"op": "select", "predictions": [paths], "folds",
"rounds"}` runs greedy selection on them with the program's metric; `{"op": "final",
"members": [{"choice", "params", "weight"}]}` refits that ensemble and scores test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import sys
import threading
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import numpy as np

from text2ml.optimization.ensemble_selection import greedy_selection
from text2ml.optimization.proxies import find_network, naswot_score
from text2ml.synthesis.children.protocol import read_message, say, take_stdout
from text2ml.synthesis.layout import PIPELINE

FEATURE_CACHE = 16  # fitted feature matrices kept, keyed by (candidate, params, fold)


class Pruned(Exception):
    pass


class Inbox:
    """Stdin, read by a thread: requests in one queue, prune answers in another. A batch sent
    ahead of time must not be taken for the answer to a report of the batch running now."""

    def __init__(self, stream: TextIO) -> None:
        self.requests: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.answers: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: TextIO) -> None:
        for text in stream:
            if not text.strip():
                continue
            message = read_message(text)
            (self.answers if "prune" in message else self.requests).put(message)
        self.requests.put(None)
        self.answers.put({"prune": False})  # stdin closed mid-trial: finish it unpruned

    def answer(self) -> dict[str, Any]:
        return self.answers.get()


class Worker:
    def __init__(self, program_dir: Path, channel: TextIO, inbox: Inbox | None = None) -> None:
        self.channel, self.inbox = channel, inbox
        self.trial_id: int | None = None  # the batch trial running now, named in its reports
        self.pipeline = _import_pipeline(program_dir)
        data_module = self.pipeline.load_data_module()
        self.data = data_module.split(*data_module.load_data())
        self.modules: dict[tuple[str, str], ModuleType] = {}
        self.features: OrderedDict[str, tuple[Any, Any]] = OrderedDict()
        self.folds: dict[int, list[tuple[Any, Any, Any, Any]]] = {}

    def send(self, message: dict[str, Any]) -> None:
        say(message, self.channel)

    def module(self, slot: str, name: str) -> ModuleType:
        if (slot, name) not in self.modules:
            self.modules[slot, name] = self.pipeline.load_slot(slot, name)
        return self.modules[slot, name]

    def slot_params(self, slot: str, choice: dict[str, str], params: dict[str, Any]) -> dict:
        merged = self.pipeline.default_params(self.module(slot, choice[slot]))
        merged.update(params.get(slot, {}))
        return merged

    def splits(self, folds: int) -> list[tuple[Any, Any, Any, Any]]:
        if not folds:
            (X_tr, y_tr), (X_va, y_va) = self.data["train"], self.data["valid"]
            return [(X_tr, y_tr, X_va, y_va)]
        if folds not in self.folds:
            self.folds[folds] = _cv_splits(self.data, folds,
                                           self.pipeline.PROGRAM.get("problem_type"))
        return self.folds[folds]

    def fitted_features(self, choice: dict, params: dict, fold: int, split: tuple) -> tuple:
        """Features do not depend on model or training params: fit once per (choice, params)."""
        features_params = self.slot_params("features", choice, params)
        key = json.dumps([choice["features"], features_params, fold], sort_keys=True, default=str)
        if key in self.features:
            self.features.move_to_end(key)
            return self.features[key]
        X_fit, y_fit, X_eval, _ = split
        transformer = self.module("features", choice["features"]).build_features(features_params)
        F_fit = transformer.fit_transform(X_fit, y_fit) if hasattr(transformer, "fit_transform") \
            else transformer.fit(X_fit, y_fit).transform(X_fit)
        self.features[key] = (F_fit, transformer.transform(X_eval))
        if len(self.features) > FEATURE_CACHE:
            self.features.popitem(last=False)
        return self.features[key]

    def report(self, step: int, value: float) -> None:
        message = {"type": "report", "step": int(step), "value": float(value)}
        if self.trial_id is not None:
            message["id"] = self.trial_id
        self.send(message)
        answer = self.inbox.answer() if self.inbox is not None \
            else read_message(sys.stdin.readline() or '{"prune": false}')
        if answer.get("prune"):
            raise Pruned(f"pruned at step {step} (intermediate value {value:.4g})")

    def fit_score(self, choice: dict, params: dict, fold: int, split: tuple,
                  report: Any, proxy_floor: float | None) -> tuple[float, float | None]:
        F_fit, F_eval = self.fitted_features(choice, params, fold, split)
        _, y_fit, _, y_eval = split
        model = self.module("model", choice["model"]).build_model(
            self.slot_params("model", choice, params))
        proxy = None
        network = find_network(model) if fold == 0 else None
        if network is not None:
            proxy = self.proxy = naswot_score(network, np.asarray(F_fit))
            if proxy is not None and proxy_floor is not None and proxy < proxy_floor:
                raise Pruned(f"skipped by the zero-cost proxy: NASWOT {proxy:.3g} is in the "
                             f"lowest quarter of the networks seen (< {proxy_floor:.3g})")
        if choice.get("training"):
            train = self.module("training", choice["training"]).train
            model = train(model, F_fit, y_fit, F_eval, y_eval,
                          self.slot_params("training", choice, params), report)
        else:
            model.fit(F_fit, y_fit)
        y_pred = model.predict(F_eval)
        if choice.get("postprocess"):
            y_pred = self.module("postprocess", choice["postprocess"]).postprocess(
                y_pred, y_fit, self.slot_params("postprocess", choice, params))
        return self.pipeline.score(y_eval, y_pred), proxy

    def trial(self, request: dict[str, Any]) -> dict[str, Any]:
        choice, params, folds = request["choice"], request["params"], request.get("folds", 0)
        scores: list[float] = []
        proxy = None
        started = time.perf_counter()
        for fold, split in enumerate(self.splits(folds)):
            # with CV, folds are the pruning steps; otherwise the training slot reports
            report = None if folds else self.report
            value, fold_proxy = self.fit_score(choice, params, fold, split, report,
                                               request.get("proxy_floor"))
            proxy = fold_proxy if fold == 0 else proxy
            if not np.isfinite(value):
                raise ValueError(f"the metric came out as {value} (non-finite predictions?)")
            scores.append(value)
            if folds and fold < folds - 1:
                self.report(fold, float(np.mean(scores)))
        return {"type": "result", "value": float(np.mean(scores)), "fold_scores": scores,
                "proxy": proxy, "seconds": time.perf_counter() - started}

    def final(self, request: dict[str, Any]) -> dict[str, Any]:
        if "members" in request:
            result = self.pipeline.run(final=True, data=self.data, members=request["members"])
        else:
            # given a choice, run() never loads best_params.json's ensemble
            result = self.pipeline.run(request["choice"], request["params"], final=True,
                                       data=self.data)
        return {"type": "result", "value": float(result["score"]), "split": result["split"],
                "baseline": result.get("baseline"), "beats_baseline": result.get("beats_baseline")}

    def validation_target(self, folds: int) -> np.ndarray:
        """The labels the validation predictions are scored against, in their order."""
        return np.concatenate([np.asarray(split[3]) for split in self.splits(folds)])

    def predict(self, request: dict[str, Any]) -> dict[str, Any]:
        """One program's soft validation predictions, saved for `select`: out-of-fold over
        train+valid with folds (each row predicted by the fit that did not see it)."""
        if not hasattr(self.pipeline, "fit_predict_soft"):
            return {"type": "error", "unsupported": True, "reason": "pipeline.py predates "
                    "ensembles; regenerate the program to get them"}
        classes = self.pipeline.class_list(self.data)
        parts = [self.pipeline.fit_predict_soft(request["choice"], request["params"], X_fit,
                                                y_fit, X_eval, y_eval, classes)
                 for X_fit, y_fit, X_eval, y_eval in self.splits(request.get("folds", 0))]
        soft = np.concatenate(parts)
        if not np.all(np.isfinite(soft)):
            raise ValueError("the predictions are not all finite")
        np.save(request["out"], soft)
        y_true = self.validation_target(request.get("folds", 0))
        return {"type": "result",
                "value": self.pipeline.score(y_true, self.pipeline.decode(soft, classes))}

    def select(self, request: dict[str, Any]) -> dict[str, Any]:
        classes = self.pipeline.class_list(self.data)
        y_true = self.validation_target(request.get("folds", 0))
        predictions = [np.load(path) for path in request["predictions"]]

        def metric(average: np.ndarray) -> float:
            return self.pipeline.score(y_true, self.pipeline.decode(average, classes))

        chosen = greedy_selection(predictions, metric,
                                  self.pipeline.PROGRAM["direction"] == "maximize",
                                  request["rounds"])
        return {"type": "result", **chosen.__dict__}

    def batch(self, request: dict[str, Any]) -> None:
        """Each trial of the batch in turn, its reply sent as soon as it ends: the parent
        records it and runs the deadline of the next one from there."""
        shared = {k: v for k, v in request.items() if k not in ("op", "trials")}
        for item in request["trials"]:
            self.trial_id = item["id"]
            try:
                reply = self.handle({**shared, "choice": item["choice"],
                                     "params": item["params"]})
            finally:
                self.trial_id = None
            self.send({**reply, "id": item["id"]})
            if reply.get("fatal"):  # the parent kills us and sends the rest to a new worker
                return

    def serve(self, request: dict[str, Any]) -> None:
        if request.get("op") == "batch":
            self.batch(request)
        else:
            self.send(self.handle(request))

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        self.proxy: float | None = None
        try:
            op = {"final": self.final, "predict": self.predict, "select": self.select}
            return op.get(request.get("op", ""), self.trial)(request)
        except Pruned as exc:
            return {"type": "pruned", "reason": str(exc), "proxy": self.proxy}
        except MemoryError as exc:  # the heap may be left fragmented: the parent replaces us
            return {"type": "error", "fatal": True, "reason": _reason(exc) + " (out of memory "
                    "under the worker's memory limit)", "traceback": traceback.format_exc(-6)}
        except Exception as exc:
            return {"type": "error", "reason": _reason(exc),
                    "traceback": traceback.format_exc(limit=-6)}


def _reason(exc: BaseException) -> str:
    """The exception and the deepest candidate line it came from."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "candidates" in f.filename]
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = f": {exc}" if str(exc) else ""
    return f"{type(exc).__name__}{message}{where}"


def _cv_splits(data: dict[str, Any], folds: int, problem_type: str | None) -> list[tuple]:
    import pandas as pd
    from sklearn.model_selection import KFold, StratifiedKFold

    X = pd.concat([data["train"][0], data["valid"][0]]).reset_index(drop=True)
    y = pd.concat([data["train"][1], data["valid"][1]]).reset_index(drop=True)
    stratify = problem_type == "classification" and y.value_counts().min() >= folds
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0) if stratify \
        else KFold(folds, shuffle=True, random_state=0)
    return [(X.iloc[a], y.iloc[a], X.iloc[b], y.iloc[b]) for a, b in splitter.split(X, y)]


def _import_pipeline(program_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("pipeline", program_dir / PIPELINE)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {program_dir / PIPELINE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["pipeline"] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    program_dir = Path(argv[0]).resolve()
    channel = take_stdout()  # candidates that print write to stderr, not into the protocol
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    inbox = Inbox(sys.stdin)
    try:
        worker = Worker(program_dir, channel, inbox)
    except Exception as exc:
        say({"type": "error", "reason": f"loading the data failed: {type(exc).__name__}: {exc}"},
            channel)
        return 1
    worker.send({"type": "ready", "rows": {k: len(v[1]) for k, v in worker.data.items()}})
    while (request := inbox.requests.get()) is not None:
        worker.serve(request)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
