"""Lenient reading: repair the slips a small model makes when its intent is plain.

Measured with the embedded 0.5B model, most failing modules were right but for a missing
import (`MinMaxScaler`) or one from the wrong module (`OneHotEncoder` from sklearn.pipeline),
a dropped parameter of the contract's signature (`report=None`),
a keyword the estimator does not take, or a tuned keyword whose key SEARCH_SPACE never
declares. Each is fixed here without an LLM call; what was fixed is recorded. Anything less
plain is left to the tests and a repair prompt.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache

from text2ml.synthesis.contracts import Contract
from text2ml.synthesis.llm.replies import PARSE_ERRORS
from text2ml.synthesis.static_checks import read_space, rejected_keyword_nodes, undefined_names

# Where a name the model used but did not import most likely comes from.
SKLEARN_MODULES = (
    "preprocessing", "impute", "pipeline", "compose", "decomposition", "feature_selection",
    "ensemble", "linear_model", "svm", "neighbors", "tree", "naive_bayes", "neural_network",
    "discriminant_analysis", "kernel_approximation", "model_selection", "metrics",
    "feature_extraction.text", "random_projection", "cluster", "calibration", "dummy",
)
ALIASES = {"np": "import numpy as np", "pd": "import pandas as pd", "math": "import math",
           "numpy": "import numpy", "pandas": "import pandas"}


@cache
def known_imports() -> dict[str, str]:
    """Public scikit-learn name → its import line (the first module listing it wins)."""
    lines: dict[str, str] = {}
    for module in SKLEARN_MODULES:
        try:
            public = getattr(importlib.import_module(f"sklearn.{module}"), "__all__", [])
        except ImportError:
            continue
        for name in public:
            lines.setdefault(name, f"from sklearn.{module} import {name}")
    return {**lines, **ALIASES}


def autofix(code: str, contract: Contract) -> tuple[str, list[str]]:
    """The code with plain slips fixed, and one note per fix (the model's layout is kept)."""
    try:
        tree = ast.parse(code)
    except PARSE_ERRORS:
        return code, []
    edits: list[Edit] = []
    notes = (_fix_signature(code, tree, contract, edits) + _drop_bad_keywords(code, tree, edits)
             + _fix_import_sources(code, tree, edits))
    code = _apply(code, edits)
    code, added = _add_imports(code)
    return code, notes + added


Edit = tuple[int, int, str]  # replace source[start:end] with the text


def _offset(code: str, line: int, col: int) -> int:
    """ast's (1-based line, UTF-8 byte column) → offset into the str."""
    starts = [0]
    for text in code.splitlines(keepends=True):
        starts.append(starts[-1] + len(text))
    text = code.splitlines(keepends=True)[line - 1] if line <= len(starts) - 1 else ""
    return starts[line - 1] + len(text.encode()[:col].decode(errors="ignore"))


def _apply(code: str, edits: list[Edit]) -> str:
    for start, end, text in sorted(edits, reverse=True):
        code = code[:start] + text + code[end:]
    return code


def _fix_signature(code: str, tree: ast.Module, contract: Contract, edits: list[Edit]
                   ) -> list[str]:
    """Give the contract's function its full parameter list when the model dropped some."""
    wanted = contract.signature[contract.signature.index("(") + 1:contract.signature.rindex(")")]
    names = [a.strip().split(":")[0].split("=")[0].strip() for a in wanted.split(",")]
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name == contract.function):
            continue
        have = [a.arg for a in node.args.args]
        if have == names or not set(have) <= set(names) or node.args.vararg \
                or node.args.kwarg or node.args.kwonlyargs:
            return []
        start = code.index("(", _offset(code, node.lineno, node.col_offset))
        end = _closing(code, start)
        if end < 0:
            return []
        edits.append((start + 1, end, wanted))
        missing = [n for n in names if n not in have]
        return [f"added the missing parameter(s) {', '.join(missing)} to {contract.function}"]
    return []


def _closing(code: str, start: int) -> int:
    depth = 0
    for i in range(start, len(code)):
        depth += {"(": 1, ")": -1}.get(code[i], 0)
        if depth == 0:
            return i
    return -1


def _drop_bad_keywords(code: str, tree: ast.Module, edits: list[Edit]) -> list[str]:
    """Drop keywords a class rejects, and tuned keywords whose key SEARCH_SPACE lacks.

    Only the statements touched are rewritten (from the tree), the rest keeps its layout.
    """
    drops = [(call, keyword, f"dropped `{keyword.arg}=`, which {name} does not accept")
             for call, keyword, name, _ in rejected_keyword_nodes(tree)]
    space, _ = read_space(tree)
    for node in ast.walk(tree):
        for keyword in node.keywords if space is not None and isinstance(node, ast.Call) else []:
            key = _undeclared_key(keyword.value, space)
            if key is not None and all(keyword is not k for _, k, _ in drops):
                drops.append((node, keyword, f"dropped `{keyword.arg}=params[{key!r}]`: "
                                             f"SEARCH_SPACE does not declare {key!r}"))
    parents = {id(child): parent for parent in ast.walk(tree)
               for child in ast.iter_child_nodes(parent)}
    statements: dict[int, ast.stmt] = {}
    for call, keyword, _ in drops:
        call.keywords.remove(keyword)
        node: ast.AST = call
        while not isinstance(node, ast.stmt):
            node = parents[id(node)]
        statements[id(node)] = node
    taken: list[tuple[int, int]] = []
    for stmt in statements.values():
        start = _offset(code, stmt.lineno, stmt.col_offset)
        end = _offset(code, stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
        if any(start < e and s < end for s, e in taken):
            continue  # nested in another rewritten statement: that one carries the change
        taken.append((start, end))
        indent = "\n" + " " * stmt.col_offset
        edits.append((start, end, ast.unparse(stmt).replace("\n", indent)))
    return [note for _, _, note in drops]


def _undeclared_key(value: ast.expr, space: dict) -> str | None:
    if (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name)
            and value.value.id == "params" and isinstance(value.slice, ast.Constant)
            and value.slice.value not in space):
        return str(value.slice.value)
    return None


def _add_imports(code: str) -> tuple[str, list[str]]:
    missing = sorted({p.message.split("`")[1] for p in undefined_names(code)})
    lines = [known_imports()[name] for name in missing if name in known_imports()]
    if not lines:
        return code, []
    tree = ast.parse(code)
    after = 0  # insert below the module docstring and __future__ imports
    for node in tree.body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        after = node.end_lineno or after
    source = code.splitlines(keepends=True)
    fixed = "".join(source[:after] + [line + "\n" for line in lines] + source[after:])
    return fixed, [f"added the missing import: {line}" for line in lines]


def _fix_import_sources(code: str, tree: ast.Module, edits: list[Edit]) -> list[str]:
    """`from sklearn.pipeline import OneHotEncoder` → import it from where it lives."""
    notes: list[str] = []
    for node in tree.body:
        if not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn")
                and node.level == 0):
            continue
        wrong = [a for a in node.names if not _exports(node.module or "", a.name)
                 and a.name in known_imports()]
        if not wrong:
            continue
        kept = [a for a in node.names if a not in wrong]
        lines = [f"from {node.module} import {', '.join(_alias(a) for a in kept)}"] if kept \
            else []
        for alias in wrong:
            right = known_imports()[alias.name].split(" import ")[0]
            lines.append(f"{right} import {_alias(alias)}")
            notes.append(f"imported {alias.name} {right} instead of "
                         f"from {node.module}")
        start = _offset(code, node.lineno, node.col_offset)
        end = _offset(code, node.end_lineno or node.lineno, node.end_col_offset or 0)
        edits.append((start, end, ("\n" + " " * node.col_offset).join(lines)))
    return notes


def _alias(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def _exports(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return True  # not ours to judge: the test run will say what is wrong
