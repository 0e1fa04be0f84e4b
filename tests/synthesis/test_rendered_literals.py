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


def test_a_file_above_the_task_folder_is_the_file_loaded(tmp_path: Path) -> None:
    """`../data/x.csv` once became `data/x.csv`: another file, loaded without a word."""
    from text2ml.synthesis.catalog.resolve import resolve_data
    from text2ml.synthesis.catalog.store import Catalog, file_entry

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a,b\n1,2\n")
    tasks = tmp_path / "tasks"
    (tasks / "data").mkdir(parents=True)
    (tasks / "data" / "x.csv").write_text("decoy,b\n3,4\n")
    catalog = Catalog([file_entry("data/x.csv")], [])  # the decoy is in the workspace
    choice = resolve_data("Data: ../data/x.csv, predict b", catalog, tasks)
    source = DataSource.from_entry(choice.entry)
    program = tasks / "program"
    code = render_data_module(source, program, tasks, target="b",
                              problem_type="regression")
    [line] = [ln for ln in code.splitlines() if "read_csv" in ln]
    relative = line.split("HERE / ")[1].split("'")[1]
    assert (program / relative).resolve() == (tmp_path / "data" / "x.csv").resolve()
