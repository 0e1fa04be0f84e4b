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
# What a target is usually called, as people say it and as columns are named. Words of one
# line stand for one concept.
CONCEPTS = [
    "price prices priced cost costs costly value valued worth expensive cheap fee fare "
    "charge charges",
    "sell sells sold sale sales selling",
    "churn churned churning leave leaves leaving left quit quits cancel cancels cancelled "
    "canceled attrition stay stays retained retention unsubscribe exited exit",
    "fail fails failed failure failures break breaks broken breakdown fault faulty "
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
    "unemployment unemployed jobless",
    "transmission gearbox manual automatic",
    "mileage mpg fuel economy consumption gallon",
    "win wins won winner lose lost loser",
    "buy buys bought purchase purchased purchases order ordered subscribe subscribed convert "
    "converted conversion",
    "delay delayed late lateness",
]
_CONCEPT_OF = {STEMMER.stemWord(w): f"~{i}" for i, line in enumerate(CONCEPTS)
               for w in line.split()}


def terms(text: str) -> list[str]:
    """Stems of the content words, each followed by its concept when it has one."""
    out: list[str] = []
    for word in raw_words(text.replace("_", " ")):
        if word in ENGLISH_STOP_WORDS and word not in {"many", "amount"} or len(word) < 2:
            continue
        stem = STEMMER.stemWord(word)
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
    query = [t for t in terms(clause) if t not in naming]
    columns = [c for c in columns if not IDENTIFIER.search(c)]
    if not query or len(columns) < 2:
        return None
    documents = [column_document(c, note_for(c, notes), levels.get(c, [])) or ["-"]
                 for c in columns]
    model = bm25s.BM25()
    model.index(documents, show_progress=False)
    scores = np.asarray(model.get_scores(query), dtype=float)
    order = np.argsort(-scores)
    best, second = scores[order[0]], scores[order[1]]
    if best <= 0 or best < CLEAR_MARGIN * second:
        return None
    shared = sorted({t for t in query if t in documents[order[0]] and not t.startswith("~")})
    return DescribedMatch(columns[int(order[0])], shared or ["(same concept)"])


def related_by_meaning(column: str, clause: str, notes: dict[str, str],
                       levels: dict[str, list[str]]) -> bool:
    """Whether a column's name, documented meaning or values share a word or concept with
    the clause: the check an LLM's pick must pass."""
    document = set(column_document(column, note_for(column, notes), levels.get(column, [])))
    return bool(document & set(terms(clause)))
