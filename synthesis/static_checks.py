"""Checks that need no execution: run before a candidate ever reaches the sandbox.

The messages are written for the LLM's repair prompt as much as for the user: they name the
line, the name and what to do.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass

from pyflakes.api import check as pyflakes_check
from pyflakes.messages import UndefinedName
from pyflakes.reporter import Reporter

from text2ml.synthesis.contracts import Contract
from text2ml.synthesis.llm.replies import PARSE_ERRORS, parse_problem

CHECKED_PACKAGES = ("sklearn",)  # cheap to import here and their signatures are exact


@dataclass
class Problem:
    check: str
    message: str
    line: int | None = None


class _Collector(Reporter):
    def __init__(self) -> None:
        self.messages: list = []

    def flake(self, message) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(message)

    def unexpectedError(self, filename, msg) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(msg)

    def syntaxError(self, filename, msg, lineno, offset, text) -> None:  # type: ignore[no-untyped-def]
        self.messages.append(msg)


def check_module(code: str, contract: Contract) -> list[Problem]:
    try:
        tree = ast.parse(code)
    except PARSE_ERRORS as exc:
        return [Problem("syntax", f"syntax error: {parse_problem(exc)}",
                        getattr(exc, "lineno", None))]
    problems = undefined_names(code)
    space, problem = read_space(tree)
    if problem:
        problems.append(problem)
    if not any(isinstance(n, ast.FunctionDef) and n.name == contract.function for n in tree.body):
        problems.append(Problem("signature", f"the module must define `{contract.signature}` "
                                "at the top level"))
    if space is not None:
        problems += undeclared_params(tree, space)
    problems += rejected_keywords(tree)
    return problems


def undefined_names(code: str) -> list[Problem]:
    collector = _Collector()
    pyflakes_check(code, "candidate.py", collector)
    return [Problem("undefined-name",
                    f"`{m.message_args[0]}` is used but never defined or imported; add the "
                    "import", m.lineno)
            for m in collector.messages if isinstance(m, UndefinedName)]


def read_space(tree: ast.Module) -> tuple[dict | None, Problem | None]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "SEARCH_SPACE" for t in node.targets):
            try:
                space = ast.literal_eval(node.value)
            except PARSE_ERRORS:
                return None, Problem("search-space", "SEARCH_SPACE must be a plain dict literal "
                                     "(numbers, strings, lists, dicts; no calls)", node.lineno)
            if not isinstance(space, dict):
                return None, Problem("search-space", "SEARCH_SPACE must be a dict", node.lineno)
            return space, None
    return None, Problem("search-space", "the module must define SEARCH_SPACE = {...} (use {} "
                         "when nothing is tuned)")


def _param_key(node: ast.AST) -> tuple[str, int] | None:
    """`params["k"]` or `params.get("k")` → ("k", line)."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == "params" and isinstance(node.slice, ast.Constant)):
        return str(node.slice.value), node.lineno
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "params" and node.args
            and isinstance(node.args[0], ast.Constant) and len(node.args) == 1):
        return str(node.args[0].value), node.lineno
    return None


def undeclared_params(tree: ast.Module, space: dict) -> list[Problem]:
    problems = []
    for node in ast.walk(tree):
        found = _param_key(node)
        if found and found[0] not in space:
            problems.append(Problem(
                "undeclared-param",
                f"params[{found[0]!r}] is read but SEARCH_SPACE has no key {found[0]!r}; add it "
                "to SEARCH_SPACE (a range, a list of choices or a constant) or stop reading it",
                found[1]))
    return problems


def _imported_classes(tree: ast.Module) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] in CHECKED_PACKAGES:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def rejected_keywords(tree: ast.Module) -> list[Problem]:
    """Keywords an imported scikit-learn class does not accept (a frequent small-model slip)."""
    return [Problem("bad-keyword", f"{name} does not accept the keyword `{keyword.arg}`; it "
                    f"accepts: {', '.join(accepted)}", call.lineno)
            for call, keyword, name, accepted in rejected_keyword_nodes(tree)]


def rejected_keyword_nodes(tree: ast.Module
                           ) -> Iterator[tuple[ast.Call, ast.keyword, str, list[str]]]:
    """Each (call, keyword, class name, accepted keywords) the class's signature rejects."""
    imported = _imported_classes(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in imported):
            continue
        module, name = imported[node.func.id]
        try:
            target = getattr(importlib.import_module(module), name)
            accepted = inspect.signature(target).parameters
        except (ImportError, AttributeError, TypeError, ValueError):
            continue
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
            continue
        known = [k for k in accepted if k != "self"]
        for keyword in node.keywords:
            if keyword.arg and keyword.arg not in accepted:
                yield node, keyword, name, known
