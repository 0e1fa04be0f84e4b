"""Which column a target described in words names: "the median value of owner-occupied
homes" → `medv`, "whether the customer will leave" → `churned`, "rain or shine" → `weather`.

Each column is a small document: its name, what the package's documentation says it means,
and its values when it has few. The words of the target clause are ranked against those
documents with BM25 (bm25s, Snowball stems); common words of the ML vocabulary are mapped
to one concept each, so "how much it sells for" meets `sale_price`. A column is taken only
when it clearly wins: a description that fits two columns alike settles nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from text2ml.synthesis.catalog.column_notes import note_for
from text2ml.synthesis.catalog.words import ENGLISH_STOP_WORDS, STEMMER, raw_words

# `customer_id`, `OrderID`: who a row is about, never what is predicted about them
IDENTIFIER = re.compile(r"(^|[_ ])(id|ID|Id)$|[a-z](ID|Id)$|^(id|ID)[_ ]")
CLEAR_MARGIN = 1.5  # the winner scores at least this many times the runner-up
NAME_FIELD_WEIGHT = 1.0  # the name field's score is added on top of the whole document's
# What a target is usually called, as people say it and as columns are named. Words of one
# line stand for one concept.
CONCEPTS = [
    "price prices priced cost costs costly value valued worth expensive cheap fee fare "
    "charge charges",
    "sell sells sold sale sales selling",
    "churn churned churning leave leaves leaving left quit quits cancel cancels cancelled "
    "canceled attrition stay stays retained retention unsubscribe exited exit",
    "fail fails failed failure failures break breaks broke broken breakdown fault faulty "
    "malfunction defect defective",
    "survive survives survived survival die died dies death dead alive",
    "default defaulted defaults repay repaid delinquent",
    "income salary salaries wage wages earn earns earning earnings pay",
    "sex gender male female man woman men women",
    "kind type sort category categories variety breed species class",
    "quality grade rating rated ratings stars score",
    "sentiment positive negative opinion tone polarity",
    "spam junk ham",
    "fraud fraudulent scam",
    "diagnosis diagnosed disease sick ill illness malignant benign tumour tumor cancer",
    "temperature temp hot cold warm heat",
    "rain rainy raining rainfall precipitation wet",
    "weather sun sunny shine drizzle fog foggy snow snowy cloudy overcast storm",
    "weight weigh weighs heavy mass",
    "height tall",
    "age old older young",
    "count counts number many quantity units volume amount",
    "speed fast slow velocity",
    "distance distances far farther further",
    "origin origins continent country countries nationality come comes came",
    "unemployment unemployed jobless",
    "transmission gearbox manual automatic",
    "mileage mpg fuel economy consumption gallon",
    "win wins won winner lose lost loser",
    "buy buys bought purchase purchased purchases order ordered subscribe subscribed convert "
    "converted conversion",
    "delay delayed late lateness",
    "participate participates participated participation participating part",
    "efficiency efficient economical",
]
# Words of scikit-learn's stop list that name things a column can hold ("interest rate",
# "the bill", "take part")
CONTENT_STOP_WORDS = frozenset("many amount bill bottom empty fire front full interest part "
                               "side system thick thin top back serious".split())
_CONCEPT_OF = {STEMMER.stemWord(w): f"~{i}" for i, line in enumerate(CONCEPTS)
               for w in line.split()}


def american(word: str) -> str:
    """labour → labor, centre → center: the documentation of most packages spells the
    American way."""
    if len(word) >= 6 and word.endswith("our"):
        return word[:-3] + "or"
    if len(word) >= 5 and word.endswith("tre"):
        return word[:-3] + "ter"
    return word


def terms(text: str) -> list[str]:
    """Stems of the content words, each followed by its concept when it has one."""
    out: list[str] = []
    for word in raw_words(text.replace("_", " ")):
        if word in ENGLISH_STOP_WORDS and word not in CONTENT_STOP_WORDS or len(word) < 2:
            continue
        stem = STEMMER.stemWord(american(word))
        out.append(stem)
        if stem in _CONCEPT_OF:
            out.append(_CONCEPT_OF[stem])
    return out


def column_document(name: str, note: str, levels: Sequence[str]) -> list[str]:
    return terms(name) * 2 + terms(note) + terms(" ".join(levels))


@dataclass
class DescribedMatch:
    column: str
    words: list[str]  # the clause's words that the column's document shares


def described_column(clause: str, columns: Sequence[str], notes: dict[str, str],
                     levels: dict[str, list[str]], data_name: str = "") -> DescribedMatch | None:
    """The one column the described target clearly names, or None. The words of the data
    set's own name ("the wine data") describe the data, not its target."""
    naming = {t for t in terms(data_name) if not t.startswith("~")}
    columns = [c for c in columns if not IDENTIFIER.search(c)]
    documents = [column_document(c, note_for(c, notes), levels.get(c, [])) or ["-"]
                 for c in columns]
    vocabulary = {t for d in documents for t in d}
    query = [derived(t, vocabulary) for t in terms(clause) if t not in naming]
    if not query or len(columns) < 2:
        return None
    # fielded: a word of the column's own name counts more than one of its documentation,
    # each field with its own word rarity (childHeight over childNum for "how tall the child")
    names = [terms(c) or ["-"] for c in columns]
    scores = NAME_FIELD_WEIGHT * _bm25(names, query) + _bm25(documents, query)
    order = np.argsort(-scores)
    best, second = scores[order[0]], scores[order[1]]
    if best <= 0:
        return None
    if best < CLEAR_MARGIN * second and not _covers_the_rest(documents, query, int(order[0]),
                                                             scores):
        return _the_yes_no_one(clause, columns, levels, scores, documents, query)
    shared = sorted({t for t in query if t in documents[order[0]] and not t.startswith("~")})
    return DescribedMatch(columns[int(order[0])], shared or ["(same concept)"])


YES_NO = re.compile(r"\b(whether|if)\b|\bor\s+not\b|\byes\s*(/|or)\s*no\b", re.IGNORECASE)


def _the_yes_no_one(clause: str, columns: Sequence[str], levels: dict[str, list[str]],
                    scores: np.ndarray, documents: list[list[str]], query: list[str]
                    ) -> DescribedMatch | None:
    """"if the woman has diabetes or not" fits `ped` (diabetes pedigree) and `type` (yes/no,
    diabetic) alike; a yes/no question is answered by the one two-valued column of those."""
    if not YES_NO.search(clause):
        return None
    fitting = [i for i in np.flatnonzero(scores > 0) if len(levels.get(columns[i], [])) == 2]
    if len(fitting) != 1:
        return None
    shared = sorted({t for t in query if t in documents[fitting[0]] and not t.startswith("~")})
    return DescribedMatch(columns[int(fitting[0])], [*shared, "(a yes/no column)"])


def _covers_the_rest(documents: list[list[str]], query: list[str], best: int,
                     scores: np.ndarray) -> bool:
    """The winner shares every word that any other column shares with the clause, and more
    ("average test score": testscr over readscr's "average … score"): a clear win however
    close the scores."""
    def shared(i: int) -> set[str]:
        return set(query) & set(documents[i])

    mine = shared(best)
    return all(shared(i) < mine for i in np.flatnonzero(scores > 0) if i != best)


def _bm25(documents: list[list[str]], query: list[str]) -> np.ndarray:
    model = bm25s.BM25()
    model.index(documents, show_progress=False)
    return np.asarray(model.get_scores(query), dtype=float)


def derived(term: str, vocabulary: set[str]) -> str:
    """The documents' form of a word of the same family: prestigious ~ prestige,
    employees ~ employment (stems of six letters or more, one starting the other)."""
    if term in vocabulary or len(term) < 6 or term.startswith("~"):
        return term
    family = [v for v in vocabulary if len(v) >= 6 and (v.startswith(term) or
                                                        term.startswith(v))]
    return min(family, key=len) if family else term


def related_by_meaning(column: str, clause: str, notes: dict[str, str],
                       levels: dict[str, list[str]]) -> bool:
    """Whether a column's name, documented meaning or values share a word or concept with
    the clause: the check an LLM's pick must pass."""
    document = set(column_document(column, note_for(column, notes), levels.get(column, [])))
    return bool(document & {derived(t, document) for t in terms(clause)})
