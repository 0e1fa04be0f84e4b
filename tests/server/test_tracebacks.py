"""A failing module's traceback as related information: the user's frames first, at their own
lines; text2ml's harness frames left out (issue 16, item 4)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from text2ml.server import tracebacks
from text2ml.server.diagnostics import failure_diagnostic
from text2ml.synthesis.records import Failure

HARNESS = Path(tracebacks.text2ml_dirs()[0]) / "children" / "harness.py"


def traceback_of(program: Path) -> str:
    module = program / "candidates" / "model" / "c1.py"
    return (
        "Traceback (most recent call last):\n"
        f'  File "{HARNESS}", line 153, in run_slot\n'
        "    result = function(**arguments)\n"
        f'  File "{module}", line 26, in build_model\n'
        "    raise ValueError('broken on purpose')\n"
        '  File "/usr/lib/python3/dist-packages/sklearn/base.py", line 10, in fit\n'
        "    check(X)\n"
        "ValueError: broken on purpose\n")


def program(tmp_path: Path) -> Path:
    folder = tmp_path / "prog"
    module = folder / "candidates" / "model" / "c1.py"
    module.parent.mkdir(parents=True)
    (folder / "program.json").write_text("{}")
    module.write_text("".join(f"line {n}\n" for n in range(1, 40)))
    return folder


def test_user_frames_first_and_text2ml_frames_dropped(tmp_path: Path) -> None:
    folder = program(tmp_path)
    frames = tracebacks.ordered_frames(traceback_of(folder), folder)
    assert [(f.file.name, f.line) for f in frames] == [("c1.py", 26), ("base.py", 10)]
    assert frames[0].describe() == "in build_model: raise ValueError('broken on purpose')"
    text = tracebacks.without_text2ml_frames(traceback_of(folder))
    assert "harness.py" not in text and "function(**arguments)" not in text
    assert "c1.py" in text and text.endswith("ValueError: broken on purpose")


class Client:
    """Just enough of the server for failure_diagnostic: a client with related information."""

    class workspace:  # noqa: N801 - mirrors the server's attribute
        text_documents: dict[str, object] = {}

    def client_supports(self, feature: str) -> bool:
        return True


def test_the_diagnostic_points_at_the_users_line_first(tmp_path: Path) -> None:
    folder = program(tmp_path)
    module = folder / "candidates" / "model" / "c1.py"
    failure = Failure(slot="model", candidate="c1", check="runtime",
                      message="ValueError: broken on purpose", file=str(module), line=26,
                      traceback=traceback_of(folder))
    diagnostic = failure_diagnostic(Client(), failure, module)  # type: ignore[arg-type]
    first = diagnostic.related_information[0]
    assert first.location.uri.endswith("/candidates/model/c1.py")
    assert first.location.range.start == types.Position(25, 0)
    assert "harness" not in " ".join(r.message for r in diagnostic.related_information)
