"""User-supplied strings in rendered files are literals (issue 15, item 11): a column or
file name can neither break data.py nor inject code into it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from text2ml.synthesis.grounding import DataSource, render_data_module

NASTY = ['back\\slash', 'ends with a quote"', 'a"""\nimport os; os.system("echo owned")\n"""',
         "tab\there", "\\N{BULLET} \\x00 \\u1234"]


@pytest.mark.parametrize("name", NASTY, ids=["backslash", "quote", "injection", "tab",
                                             "escapes"])
def test_a_nasty_column_name_is_rendered_as_a_literal(tmp_path: Path, name: str) -> None:
    (tmp_path / "data.csv").write_text("x\n1\n")
    description = f"data.csv (target `{name}`)"
    source = DataSource("file", "data.csv", description)
    code = render_data_module(source, tmp_path / "program", tmp_path, target=name,
                              problem_type="classification")
    tree = ast.parse(code)  # a backslash or quotes no longer break the file
    assert ast.get_docstring(tree, clean=False).startswith(f"Data slot of the program: "
                                                           f"{description}.")
    targets = [n.value.value for n in tree.body if isinstance(n, ast.Assign)
               and getattr(n.targets[0], "id", "") == "TARGET"]
    assert targets == [name]
    assert not any(isinstance(n, ast.Import) and n.names[0].name == "os" for n in tree.body)
