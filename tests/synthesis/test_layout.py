"""The program layout module: paths, the manifest's read/write, and the child protocol's reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from text2ml.optimization.program_info import load_program
from text2ml.synthesis import layout
from text2ml.synthesis.children.protocol import last_json_line
from text2ml.synthesis.program_state import load_state


def test_a_missing_manifest_is_empty_and_a_written_one_reads_back(tmp_path: Path) -> None:
    assert layout.read_manifest(tmp_path) == {}
    layout.write_manifest(tmp_path, {"task_hash": "abc", "slots": {}})
    assert layout.read_manifest(tmp_path) == {"task_hash": "abc", "slots": {}}
    assert (tmp_path / ".text2ml" / "manifest.json").is_file()


def test_a_corrupt_manifest_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / layout.MANIFEST).parent.mkdir(parents=True)
    (tmp_path / layout.MANIFEST).write_text("{not json")
    with pytest.raises(layout.ProgramError, match="regenerate the program") as caught:
        layout.read_manifest(tmp_path)
    assert "manifest.json" in caught.value.message
    (tmp_path / layout.PROGRAM_JSON).write_text('{"metric": "accuracy"}')
    with pytest.raises(layout.ProgramError):  # the optimizer refuses it, plainly
        load_program(tmp_path)
    assert load_state(tmp_path) is None  # the editor offers to generate it again


def test_candidate_paths_round_trip(tmp_path: Path) -> None:
    path = layout.candidate_path(tmp_path, "model", "c2")
    path.parent.mkdir(parents=True)
    path.write_text("")
    (path.parent / "__init__.py").write_text("")
    assert layout.candidate_of(path) is None  # not a program yet
    (tmp_path / layout.PROGRAM_JSON).write_text("{}")
    assert layout.candidate_of(path) == (tmp_path, "model", "c2")
    assert layout.candidate_files(tmp_path) == [path]
    # one of its own per generate, out of the user's folder (the system's temporary one)
    staging = layout.staging_dir(tmp_path)
    assert staging.name.startswith(f"text2ml-{tmp_path.name}-staging-") and staging.is_dir()
    assert tmp_path.parent not in staging.parents and staging != layout.staging_dir(tmp_path)
    # a new program is assembled in a hidden sibling (one filesystem: the rename is atomic)
    assembled = layout.publishing_dir(tmp_path / "new")
    assert assembled.parent == tmp_path and assembled.name.startswith(".new.publishing-")
    (assembled / layout.PIPELINE).write_text("")
    layout.appear_whole(assembled, tmp_path / "new")
    assert (tmp_path / "new" / layout.PIPELINE).exists() and not assembled.exists()


def test_a_childs_result_is_its_last_json_line() -> None:
    output = 'noise\n{"partial": \n{"ok": true}\n{broken\n'
    assert last_json_line(output) == {"ok": True}
    assert last_json_line("no result\n") is None
