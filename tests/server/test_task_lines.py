"""The `Data:` / `Target:` line a task quick fix puts into a task block."""

from __future__ import annotations

import pytest

from text2ml.server.task_lines import (
    apply_text_edit,
    likely_targets,
    line_argument,
    task_choices,
    task_line_edit,
)
from text2ml.synthesis.catalog.entries import CatalogEntry
from text2ml.synthesis.catalog.resolve import DataError
from text2ml.synthesis.target import TargetError
from text2ml.synthesis.task import find_task_blocks


def inserted(source: str, line: str = "Data: data/sales.csv") -> str:
    (block,) = find_task_blocks(source)
    return apply_text_edit(source, task_line_edit(source, block, line))


def test_comment_block_gets_a_comment_line_after_its_last_line() -> None:
    source = "import x\n\n# TASK: make it good\n# and fast\n\nprint(1)\n"
    assert inserted(source) == ("import x\n\n# TASK: make it good\n# and fast\n"
                                "# Data: data/sales.csv\n\nprint(1)\n")


def test_indented_comment_block_keeps_its_indentation() -> None:
    source = "def f():\n    # TASK: make it good\n    return 1"
    assert inserted(source) == ("def f():\n    # TASK: make it good\n"
                                "    # Data: data/sales.csv\n    return 1")


def test_comment_block_at_the_end_of_a_file_without_newline() -> None:
    assert inserted("# TASK: make it good") == "# TASK: make it good\n# Data: data/sales.csv"


def test_docstring_block_gets_a_line_before_its_closing_quotes() -> None:
    source = 'def f():\n    """TASK: make it good\n    from my data.\n    """\n    return 1\n'
    assert inserted(source) == ('def f():\n    """TASK: make it good\n    from my data.\n'
                                '    Data: data/sales.csv\n    """\n    return 1\n')


def test_docstring_closed_on_its_text_line() -> None:
    source = '"""TASK: make it good\nfrom my data."""\n'
    assert inserted(source) == '"""TASK: make it good\nfrom my data.\nData: data/sales.csv\n"""\n'


def test_one_line_docstring() -> None:
    source = '    r"""TASK: make it good"""\n'
    assert inserted(source) == ('    r"""TASK: make it good\n    Data: data/sales.csv\n'
                                '    """\n')


def test_an_existing_data_line_is_replaced() -> None:
    source = "# TASK: make it good\n#   data: old.csv  \n# more words\nx = 1\n"
    assert inserted(source) == ("# TASK: make it good\n#   Data: data/sales.csv\n"
                                "# more words\nx = 1\n")
    source = '"""TASK: make it good\n    Data: old.csv\n"""\n'
    assert inserted(source) == '"""TASK: make it good\n    Data: data/sales.csv\n"""\n'
    source = '"""TASK: make it good\nData: old.csv"""\n'
    assert inserted(source) == '"""TASK: make it good\nData: data/sales.csv"""\n'


def test_a_target_line_does_not_replace_the_data_line() -> None:
    source = "# TASK: make it good\n# Data: data/sales.csv\n"
    assert inserted(source, "Target: `units`") == ("# TASK: make it good\n"
                                                   "# Data: data/sales.csv\n"
                                                   "# Target: `units`\n")
    (block,) = find_task_blocks(inserted(source, "Target: `units`"))
    assert "Target: `units`" in block.text


def test_the_inserted_lines_settle_data_and_target() -> None:
    from text2ml.synthesis.catalog.resolve import DATA_LINE
    from text2ml.synthesis.target import settle_target

    (block,) = find_task_blocks(inserted(inserted("# TASK: make it good\n"),
                                         "Target: `units`"))
    assert DATA_LINE.search(block.text).group(1) == "data/sales.csv"
    assert settle_target(block.text, ["date", "units", "store"])[0] == "units"


def test_line_argument_is_checked() -> None:
    assert line_argument(" Data: x.csv ") == "Data: x.csv"
    for bad in ("", "x.csv", "Data: a\nimport os", 3):
        with pytest.raises(Exception, match="expected a line"):
            line_argument(bad)


def test_choices_of_a_data_error_and_a_target_error(tmp_path) -> None:
    entry = CatalogEntry(kind="file", reference="data/sales.csv", package="workspace",
                         name="sales", rows=4, columns=["date", "units"])
    (choice,) = task_choices(DataError("no data", choices=[entry]), tmp_path)
    assert choice == {"title": "Use `data/sales.csv` (4 rows: date, units)",
                      "line": "Data: data/sales.csv", "data_line": "data/sales.csv"}
    choices = task_choices(TargetError("which?", columns=["rownames", "date", "a", "b", "c",
                                                          "d"]), tmp_path)
    assert [c["title"] for c in choices] == ["Predict `d`", "Predict `c`", "Predict `b`"]
    assert choices[0]["line"] == "Target: `d`"
    assert likely_targets(["year"]) == ["year"]
