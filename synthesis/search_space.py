"""Reading a candidate module's SEARCH_SPACE without running the module."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from text2ml.synthesis.errors import UserError
from text2ml.synthesis.llm.replies import PARSE_ERRORS, parse_problem

Kind = Literal["int", "float", "categorical", "constant"]


class SearchSpaceError(UserError, ValueError):
    """A SEARCH_SPACE entry that cannot be searched; names the file and the key."""

    default_hint = ("Fix SEARCH_SPACE in that module (the forms it takes are in "
                    "docs/program-layout.md), then run the command again.")

    def __init__(self, file: Path | str, key: str | None, reason: str, *,
                 hint: str = "") -> None:
        self.file, self.key, self.reason = str(file), key, reason
        where = f"{self.file}: SEARCH_SPACE" + (f"[{key!r}]" if key is not None else "")
        super().__init__(f"{where}: {reason}", hint=hint)
        self.args = (self.file, key, reason)  # so it pickles and re-creates itself


@dataclass
class Param:
    name: str
    kind: Kind
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: list[Any] | None = None
    value: Any = None  # constants, and an explicit "default" of a searched entry

    @property
    def searched(self) -> bool:
        return self.kind != "constant"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _range(file: Path | str, name: str, kind: str, low: Any, high: Any, log: bool,
           default: Any = None) -> Param:
    if not (_number(low) and _number(high)):
        raise SearchSpaceError(file, name, f"low and high must be numbers, got {low!r}, {high!r}")
    if low > high:
        raise SearchSpaceError(file, name, f"low {low!r} is above high {high!r}")
    if log and low <= 0:
        raise SearchSpaceError(file, name, f"a log range needs low > 0, got {low!r}")
    if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise SearchSpaceError(file, name,
                               f"an int range needs whole bounds, got {low!r}..{high!r}")
    cast = int if kind == "int" else float
    return Param(name, kind, cast(low), cast(high), bool(log),  # type: ignore[arg-type]
                 value=default)


def parse_entry(file: Path | str, name: str, spec: Any) -> Param:
    """One entry, read leniently as docs/program-layout.md says."""
    if isinstance(spec, dict) and "type" in spec:
        kind = spec["type"]
        if kind == "categorical":
            choices = spec.get("choices")
            if not isinstance(choices, list | tuple) or not choices:
                raise SearchSpaceError(file, name, "a categorical entry needs a non-empty "
                                       "'choices' list")
            # pipeline.py starts a categorical at its first choice, whatever "default" says
            return Param(name, "categorical", choices=list(choices))
        if kind in ("int", "float"):
            if "low" not in spec or "high" not in spec:
                raise SearchSpaceError(file, name, f"an {kind} entry needs 'low' and 'high'")
            return _range(file, name, kind, spec["low"], spec["high"], bool(spec.get("log")),
                          spec.get("default"))
        raise SearchSpaceError(file, name, f"unknown type {kind!r}; use int, float or categorical")
    if isinstance(spec, list):
        if not spec:
            raise SearchSpaceError(file, name, "an empty list has nothing to choose from")
        return Param(name, "categorical", choices=list(spec))
    if isinstance(spec, tuple) and len(spec) == 2 and all(_number(v) for v in spec):
        kind = "int" if all(isinstance(v, int) for v in spec) else "float"
        return _range(file, name, kind, spec[0], spec[1], False)
    return Param(name, "constant", value=spec)


def _space_node(tree: ast.Module) -> ast.expr | None:
    for node in tree.body:
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == "SEARCH_SPACE" for t in node.targets):
                return node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == "SEARCH_SPACE" and node.value is not None:
            return node.value
    return None


def parse_search_space(source: str, file: Path | str = "<module>") -> dict[str, Param]:
    try:
        tree = ast.parse(source, filename=str(file))
    except PARSE_ERRORS as exc:
        raise SearchSpaceError(file, None, "the module does not parse: "
                               f"{parse_problem(exc)}") from exc
    node = _space_node(tree)
    if node is None:
        return {}
    try:
        space = ast.literal_eval(node)
    except PARSE_ERRORS as exc:
        raise SearchSpaceError(file, None, "must be a plain literal (numbers, strings, lists, "
                               f"dicts) so it can be read without running code: {exc}") from exc
    if not isinstance(space, dict):
        raise SearchSpaceError(file, None, f"must be a dict, got {type(space).__name__}")
    params = {}
    for name, spec in space.items():
        if not isinstance(name, str):
            raise SearchSpaceError(file, repr(name), "parameter names must be strings")
        params[name] = parse_entry(file, name, spec)
    return params


def read_search_space(path: Path) -> dict[str, Param]:
    """The module's SEARCH_SPACE, read with ast (no code runs); {} when it declares none."""
    return parse_search_space(Path(path).read_text(encoding="utf-8"), path)


def default_value(param: Param) -> Any:
    """The untuned value, as pipeline.py's default_value computes it."""
    if param.kind == "constant":
        return param.value
    if param.value is not None:
        return param.value
    if param.kind == "categorical":
        return param.choices[0]  # type: ignore[index]
    low, high = param.low, param.high
    if param.log and low > 0:  # type: ignore[operator]
        mid = math.sqrt(low * high)  # type: ignore[operator]
    else:
        mid = (low + high) / 2  # type: ignore[operator]
    return int(round(mid)) if param.kind == "int" else float(mid)
