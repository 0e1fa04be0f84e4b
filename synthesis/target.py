"""Which column the task wants predicted, among the real columns of its data.

Rules first: a quoted or backticked column, "column X" / "target X", the column named in
the clause after "predict/classify/forecast …" and before "from/using …", a column the text
names alone, the data set's own response (scikit-learn's `target`). Then, if an LLM is at
hand, a choice constrained to the real column names. A name the task gives explicitly as
the target but that is not a column is an error naming it.
"""

from __future__ import annotations

import re
from typing import Any

from text2ml.synthesis.catalog.column_notes import note_for
from text2ml.synthesis.catalog.words import (
    ENGLISH_STOP_WORDS,
    naming_words,
    same_word,
    squash,
    words,
)
from text2ml.synthesis.described_target import described_column, related_by_meaning, terms
from text2ml.synthesis.records import TaskError

QUOTED = re.compile(r"[`'\"“‘]([^`'\"”’\n]{1,60})[`'\"”’]")
# a word followed by "'s" owns the target ("target: the district's average score")
_NAME = r"\s*(?:the\s+)?[`'\"]?([A-Za-z_][\w.]*)(?![\w.]|['’]s\b)"
# "target column: churn", "label = y", "predict the column price": a name given as the target
STRONG = re.compile(r"\b(?:target|label|response|outcome)(?:\s+(?:column|variable)\s*(?:is|=|:)?|"
                    r"\s*(?:=|:)|\s+is)" + _NAME + r"|\bpredict(?:ing)?\s+(?:the\s+)?(?:column|"
                    r"variable)" + _NAME, re.IGNORECASE)
# "(column sportiness)", "the column named grade": a column name, whatever its spelling
NAMED_COLUMN = re.compile(r"\(\s*(?:target\s+)?column\s*:?\s+[`'\"]?([A-Za-z_][\w.]*)|"
                          r"\bcolumn\s+(?:named|called)\s+[`'\"]?([A-Za-z_][\w.]*)",
                          re.IGNORECASE)
WEAK = re.compile(r"\b(?:target|label)\s+[`'\"]?([A-Za-z_][\w.]*)", re.IGNORECASE)
GENERIC = re.compile(r"\bcolumn\s+[`'\"]?([A-Za-z_][\w.]*)|([A-Za-z_][\w.]*)[`'\"]?\s+column\b",
                     re.IGNORECASE)
CUE = re.compile(r"\b(predict\w*|forecast\w*|classify\w*|estimat\w*|guess\w*|tell\w*|regress\w*|"
                 r"determin\w*|detect\w*|model\w*|explain\w*|target\w*|label\w*|whether|which|how\s+many|"
                 r"how\s+much|who|(?:figure|work|find)\s+out|identif\w*|flag\w*|spot|"
                 r"anticipat\w*|foresee\w*|how\s+(?:far|long|big|tall|fast|old|heavy|large|high|"
                 r"deep|wide|strong|hot|cold|expensive|likely)|extrapolat\w*|"
                 # "project total payrolls forward one year"; not "my class project"
                 r"project(?:s|ed|ing)?(?=\s[^.;\n]{0,60}\b(?:forward|ahead|into\s+the\s+future)"
                 r"\b))\b", re.IGNORECASE)
CLAUSE_END = re.compile(r"\b(from|using|based\s+on|given|with|out\s+of|by\s+means|on\s+the|"
                        r"as\s+a\s+function\s+of|in\s+terms\s+of|depending\s+on|against|"
                        r"versus|vs)\b|\.(?=\s|$|[\"')\]])|[;,:(?!]|\n\s*\n|\s-{1,2}\s",
                        re.IGNORECASE)
_YES_NO_START = re.compile(r"\s*(?:whether|if)\b", re.IGNORECASE)
_INPUTS = re.compile(r"\b(?:from|using|given|based\s+on)\b", re.IGNORECASE)
_REGRESSED_ON = re.compile(r"\s(?:on|by)\s")
ARROW = re.compile(r"(?:->|→|=>)")  # "data/reviews.csv -> sentiment": what comes after is asked
# "Will a Swiss woman take part in the labour market?": a yes/no question asks for its answer
QUESTION = re.compile(r"(?:^|(?<=[.!?:\n]))\s*(?:will|would|does|did|do|is|are|was|were|can|"
                      r"could|has|have)\s+((?:[^?.\n]|\n(?!\s*\n)){3,160})\?", re.IGNORECASE)
_LEAD = re.compile(r"\s*(?:[:=]|is\b|are\b)\s*")  # "Target: the …" starts after the colon
_UNIT = (r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|dollars?|euros?|pounds?|"
         r"cents?|percent|percentage|%|grams?|g|kg|kilograms?|mm|cm|metres?|meters?|km|miles?|"
         r"inch|inches|feet|ft|lbs?|ounces?|litres?|liters?|quarters?|periods?|steps?)")
# How a quantity is measured or over what span it is asked, never what it is: "age in
# years", "in thousands of dollars", "per day", "for the next 4 quarters", "12 months ahead".
# And whose it is: "each penguin's age" is about penguins, asks for their age.
ASIDES = re.compile(
    r"\b(?:in|per|a)\s+(?:(?:the\s+)?(?:tens\s+of\s+)?(?:thousands?|millions?|billions?|"
    rf"hundreds?)\s+of\s+)?{_UNIT}\b"
    rf"|\b(?:(?:for|over|in|during|on)\s+(?:each\s+of\s+)?)?the\s+(?:next|coming|following)\s+"
    rf"(?:[\w-]+\s+)?{_UNIT}\b"
    rf"|\b[\w-]+\s+{_UNIT}\s+ahead\b"
    rf"|\b(?:forward|ahead)\s+(?:by\s+)?(?:[\w-]+\s+)?{_UNIT}\b"
    # where or over what rows it is asked: "the rainfall at each site"
    r"|\b(?:at|for|per|in|across|of)\s+(?:each|every|any\s+given|a\s+given)\s+"
    r"[\w-]+(?:\s+(?!(?:and|or|but|that|which|who|where|when|is|are|was|were|from|using|"
    r"with|given|by|on|in|at|to|of|for|as)\b)[\w-]+)?"
    r"|\b[A-Za-z]+['’]s\b", re.IGNORECASE)
NOT_NAMES = {"the", "a", "an", "of", "to", "is", "that", "this", "it", "in", "named", "called"}
NEVER_TARGETS = {"rownames", "index", "unnamed0"}
TIME_COLUMNS = re.compile(r"^(year|years|date|datetime|time|timestamp|month|quarter|period|ds|"
                          r"day|week|obs|t)$", re.IGNORECASE)  # the clock of a series, not it


class TargetError(TaskError):
    """The target cannot be settled; `columns` are the real ones to choose from."""

    def __init__(self, message: str, *, hint: str = "", columns: list[str] | None = None
                 ) -> None:
        super().__init__(message, hint=hint)
        self.columns = columns or []


def find_column(name: str, columns: list[str]) -> str | None:
    """Exact, then case-insensitive, then ignoring spaces and punctuation."""
    if name in columns:
        return name
    for how in (str.lower, squash):
        found = [c for c in columns if how(c) == how(name)]
        if len(found) == 1:
            return found[0]
    return None


def mentioned(text: str, columns: list[str]) -> list[str]:
    """Columns whose words appear in the text, in order of first mention."""
    text_words = words(text)
    joined = " " + " ".join(text_words) + " "
    squashed = {"".join(text_words[i:i + n]) for n in (1, 2, 3)
                for i in range(len(text_words))} | initials(text_words)
    hits = []
    for column in columns:
        column_words = words(column)
        if not column_words or squash(column) in NEVER_TARGETS or len(squash(column)) < 2:
            continue
        phrase = " " + " ".join(column_words) + " "
        if phrase in joined or squash(column) in squashed:
            position = joined.find(phrase) if phrase in joined else _squashed_at(
                text_words, squash(column))
            hits.append((position, column))
        elif (at := _abbreviated_at(text_words, column_words)) is not None:
            hits.append((len(" ".join(text_words[:at])) + 1, column))
    return [c for _, c in sorted(hits)]


def _abbreviated_at(text_words: list[str], column_words: list[str]) -> int | None:
    """`pres.abs` ← "presence/absence", `max_temp` ← "maximum temperature": two words or
    more, each the start (three letters or more) of the next word of the text."""
    n = len(column_words)
    if n < 2 or any(len(w) < 3 or not w.isalpha() for w in column_words):
        return None
    for i in range(len(text_words) - n + 1):
        if all(text_words[i + k].startswith(w) for k, w in enumerate(column_words)):
            return i
    return None


def _squashed_at(text_words: list[str], target: str) -> int:
    for i in range(len(text_words)):
        for n in (1, 2, 3):
            if "".join(text_words[i:i + n]) == target:
                return len(" ".join(text_words[:i])) + 1
    return 10**9


def initials(phrase_words: list[str]) -> set[str]:
    """"miles per gallon" → mpg: abbreviations of three words or more, as column names go."""
    return {"".join(w[0] for w in phrase_words[i:j]) for i in range(len(phrase_words))
            for j in range(i + 3, min(i + 5, len(phrase_words)) + 1)}


def related(column: str, clause: str) -> bool:
    """Whether a column the LLM picked has anything to do with what the task asks for: a
    shared word (or first five letters), the column's letters in the words, or their
    initials. A clause with no content words leaves the choice to the LLM."""
    content = naming_words(clause)
    if not content:
        return True
    column_words = words(column)
    return any(same_word(c, w) for c in column_words for w in content) or \
        squash(column) in "".join(content) or squash(column) in initials(content)


def target_clauses(text: str, extended: bool = False) -> list[str]:
    """What follows each cue verb (or an arrow) up to "from/using/…", and each yes/no
    question, in order: where the target is named. Every cue counts, as the first may be a
    noun ("a model on the HMDA data … predict whether it got denied"). `extended` runs a
    clause on past a first end word ("whether a possum comes | from Victoria"), for when the
    short clause names nothing."""
    found: list[tuple[int, str]] = []
    for cue in [*CUE.finditer(text), *ARROW.finditer(text)]:
        # "whether" and "spot" stay: what follows is a subject, then what is asked about it
        word = cue.group(0).lower()
        subject_first = word in ("whether", "which")
        keep = subject_first or _PICKED_OUT.match(text, cue.start())
        start = cue.start() if keep else cue.end()
        start = _LEAD.match(text, start).end() if _LEAD.match(text, start) else start
        rest = text[start:]
        end = CLAUSE_END.search(rest)
        yes_no = subject_first or _YES_NO_START.match(rest)
        if extended and end is not None and end.group(1) and yes_no:
            end = CLAUSE_END.search(rest, end.end())  # "whether it comes | from Victoria"
        elif word.startswith(("regress", "explain")) and (on := _REGRESSED_ON.search(
                rest, 0, end.start() if end else len(rest))):
            end = on  # "regress the score on beauty", "explain salary by sales"
        found.append((cue.start(), " ".join((rest[: end.start()] if end else rest).split())))
    for contrast in _CONTRAST.finditer(text):  # "not the list price: the price it sold for"
        found.append((contrast.start(1), " ".join(contrast.group(1).split())))
    for question in QUESTION.finditer(text):
        if CUE.search(question.group(1)):  # "can we tell spam from …?" asks what its verb asks
            continue
        found.append((question.start(1), "whether " + " ".join(question.group(1).split())))
    return [clause for _, clause in sorted(found) if clause]


# "not the list price and not the asking price: the price it sold for", "not the price,
# the carat": what stands after a negated phrase is asked
_CONTRAST = re.compile(r"\bnot\s+(?:the|a|an|its|their)\b[^.;:]{0,80}?[:,\u2014\u2013]\s*"
                       r"(?:but\s+|rather\s+)?((?:the|its|their|a|an)\s+[^.;:,]{2,80})",
                       re.IGNORECASE)
# what is negated is never the target: "not the list price", "rather than the rank", "don't
# predict the rank"; a negated verb ("will not renew") is left alone
_NEGATED = re.compile(r"(?:\bnot\s+(?=(?:the|a|an|its|their)\b)|\b(?:rather\s+than|instead\s+of)"
                      r"\s+|\b(?:do\s+not|don'?t|dont)\s+(?:predict|forecast|model|use|include|"
                      r"want)\s+)([^.;:,()?!\n]{1,50}?)(?=\s+(?:and|or|but|as)\b|[.;:,()?!\n]|$)",
                      re.IGNORECASE)
# "foodexp ~ income": R's formula names the response first
_FORMULA = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*~\s*[\w.(]")
# "(pres.abs)", "(depvar: gc, gr, …)": a column's name alone in parentheses
_ALONE_IN_PARENTHESES = re.compile(r"\(\s*[`'\"]?([A-Za-z_][\w.]*?)[`'\"]?\s*(?:\)|[:=])")


def negated_columns(text: str, columns: list[str]) -> set[str]:
    return {c for m in _NEGATED.finditer(text) for c in mentioned(m.group(1), columns)}


def _in_formula(text: str, columns: list[str]) -> str | None:
    return next((c for m in _FORMULA.finditer(text) if (c := find_column(m.group(1), columns))),
                None)


def _alone_in_parentheses(text: str, columns: list[str]) -> str | None:
    """The one column named alone in parentheses outside the inputs: "are frogs present at a
    site? (pres.abs)"."""
    found = {c for m in _ALONE_IN_PARENTHESES.finditer(text)
             if (c := find_column(m.group(1), columns)) and not _among_inputs(text, m)}
    return found.pop() if len(found) == 1 else None


def head_of(clause: str) -> str | None:
    """"the count of articles a PhD student published": a noun followed by a new noun phrase
    starts a relative clause; the phrase before it is what is asked. Not for "how much a
    customer spends", where the verb says what."""
    tokens = clause.split()
    if not tokens or tokens[0].lower() == "how":
        return None
    for i in range(1, len(tokens)):
        if tokens[i].lower() not in _DETERMINERS:
            continue
        if tokens[i - 1].lower() not in ENGLISH_STOP_WORDS:
            return " ".join(tokens[:i])
    return None


# "timber volume from girth and height": with no verb, what comes before the inputs is asked
_BEFORE_INPUTS = re.compile(r"(?:^|[.:;()\n!?])\s*([^.:;()\n!?]{2,80}?)\s+(?:from|given|using|"
                            r"based\s+on)\b", re.IGNORECASE)


def _before_inputs(text: str) -> list[str]:
    """The phrases right before "from/given/using …": a last resort, as "the sales data from
    the AER package" has one too."""
    return [" ".join(m.group(1).split()) for m in _BEFORE_INPUTS.finditer(text)]


def without_asides(clause: str) -> str:
    """The clause without its units, spans and owners (see ASIDES)."""
    return " ".join(ASIDES.sub(" ", clause).split())


_DETERMINERS = ("a an the each every this its their his her it they he she we you our "
                "my your").split()
_DETERMINER = rf"(?:{'|'.join(_DETERMINERS)})\b"
# "whether the arrestee was let go": the arrestee is who the row is about; what is asked
# is what happened to them
_SUBJECT = re.compile(r"\b((?:whether|if)\s+)(?:the|a|an|each|every|this|that|our|their|its|"
                      r"his|her|one)\s+[\w-]+|^(which\s+)[\w-]+\b(?!\s+" + _DETERMINER + r")",
                      re.IGNORECASE)
# "flags machines about to fail", "spot customers likely to leave": the rows are the
# subject; what is said of them is asked
_PICKED_OUT = re.compile(r"\b((?:flag|identif|spot|detect|catch|find|pick)\w*\s+(?:out\s+)?)"
                         r"(?:the\s+|which\s+|those\s+)?[\w-]+\s+(?=(?:that|which|who|about\s+to|"
                         r"likely\s+to|going\s+to|set\s+to|expected\s+to|at\s+risk\s+of)\b)",
                         re.IGNORECASE)


def without_subject(clause: str) -> str:
    """"which tickets end up escalated" picks rows out: the tickets are never the answer."""
    return _SUBJECT.sub(lambda m: m.group(1) or m.group(2), clause, count=1)


def _said_of_the_subject(clause: str, named: str, columns: list[str], notes: dict[str, str],
                         levels: dict[str, list[str]], data_name: str
                         ) -> tuple[str, str, int] | None:
    """"if a machine will break down": the column named is only the subject; what is said of
    it (`failed`) is asked. "whether the income exceeds 50K" says nothing another column
    holds, so the subject (`income`) stays."""
    rest = without_subject(clause)
    rest = _PICKED_OUT.sub(r"\1", clause, count=1) if rest == clause else rest
    if rest == clause or mentioned(rest, [named]) or len(levels.get(named, [])) == 2:
        return None  # a yes/no subject ("did the grade improve") is itself the answer
    described = described_column(rest, columns, notes, levels, data_name)
    if described is None or described.column == named or \
            len(levels.get(described.column, [])) != 2:
        return None
    return described.column, f"said of the subject: {', '.join(described.words)} ~ " \
        f"`{described.column}`", 0


def target_clause(text: str) -> str:
    """The first clause that says what is asked (see target_clauses)."""
    clauses = target_clauses(text)
    return clauses[0] if clauses else ""


def settle_target(text: str, columns: list[str], natural: str | None = None,
                  llm: Any = None, forecasting: bool = False,
                  notes: dict[str, str] | None = None,
                  levels: dict[str, list[str]] | None = None,
                  data_name: str = "", about: str | None = None) -> tuple[str, str, int]:
    """(column, why, LLM calls made). `notes` say what columns mean (from the package's
    documentation), `levels` the values of columns that have few."""
    notes, levels = notes or {}, levels or {}
    clauses = target_clauses(text)
    clause = clauses[0] if clauses else ""
    _first_word_after_cue(text, columns)
    negated = negated_columns(text, columns)
    columns = [c for c in columns if c not in negated] or columns
    quotable = columns
    if forecasting:  # a series is predicted from its clock, never the clock itself
        columns = [c for c in columns if not TIME_COLUMNS.match(c)] or columns
    found_quoted = [(c, _among_inputs(text, m)) for m in QUOTED.finditer(text)
                    if (c := find_column(m.group(1).strip(), quotable))]
    quoted = [c for c, _ in found_quoted]  # those among the inputs count only as a last word
    asked = [c for c, among_inputs in found_quoted if not among_inputs]
    if asked:
        in_clause = [c for c in asked if any(c in k or mentioned(k, [c]) for k in clauses)]
        return (in_clause or asked)[0], f"quoted `{(in_clause or asked)[0]}`", 0
    explicit = _explicit(text, columns)
    if explicit is not None:
        return explicit, "named as the column to predict", 0
    formula = _in_formula(text, columns)
    if formula is not None:
        return formula, f"the response of the formula ({formula!r} ~ …)", 0
    named_after = _named_in_parentheses(text, columns)
    if named_after is not None:
        return named_after, f"named in parentheses ({named_after!r})", 0
    alone = _alone_in_parentheses(text, columns)
    if alone is not None:
        return alone, f"named alone in parentheses ({alone!r})", 0
    _backticked_unknown(clauses, quotable, data_name)
    found = _in_clauses(clauses, columns, notes, levels, data_name) or _in_clauses(
        target_clauses(text, extended=True), columns, notes, levels, data_name,
        extended=True)
    if found is not None:
        return found
    if quoted:  # quoted among the inputs ("from the counts of 'money'") only as a last word
        return quoted[0], f"quoted `{quoted[0]}`", 0
    # a column named elsewhere stands in only when no clause asks for something else:
    # "predict each tree's age from its girth" does not ask for the girth
    asking = any(_content(without_asides(c), data_name) for c in clauses)
    found = None if asking else _in_clauses(_before_inputs(text), columns, notes, levels,
                                            data_name)
    if found is not None:
        return found
    hits = [] if asking else mentioned(_without_words(without_asides(text), data_name),
                                       columns)
    if len(hits) == 1:
        return hits[0], f"the one column the task names ({hits[0]!r})", 0
    if natural and natural in columns:
        if not _asks_for_something_else(clauses, about, data_name):
            return natural, f"the data set's own response `{natural}`", 0
        asked = next(c for c in clauses if _content(c, data_name))
        raise TargetError(f"The task asks for “{asked}”, which is none of the data's columns "
                          f"and not what its response `{natural}` is documented as.",
                          hint=f"The data has the columns: {_shown(columns)}. Write e.g. "
                          f"'Target: {natural}'.", columns=columns)
    usable = [c for c in columns if squash(c) not in NEVER_TARGETS]
    if len(usable) == 1:
        return usable[0], "the only column that can be predicted", 0
    if llm is not None:
        picked = choose_column(text, columns, llm, notes, levels)
        # the pick must fit what is asked, not the data's name ("AER's CreditCard"), a unit
        # ("age in years") or whose it is ("each applicant's")
        asked = _without_words(without_asides(clause), data_name)
        if picked is not None and (related(picked, asked) or
                                   related_by_meaning(picked, asked, notes, levels)):
            return picked, "chosen by the LLM among the columns", 1
    asked = " ".join(clause.split())
    raise TargetError("The task does not say which column to predict" + (
        f": “{asked}” is none of the data's columns." if asked else "."),
        hint=f"The data has the columns: {_shown(columns)}. Write e.g. "
        f"'Target: {columns[-1]}'.", columns=columns)


def _in_clauses(clauses: list[str], columns: list[str], notes: dict[str, str],
                levels: dict[str, list[str]], data_name: str, extended: bool = False
                ) -> tuple[str, str, int] | None:
    """The column the first clause that names or describes one is about. A clause run on
    past its end (`extended`) may only describe one: the columns it names are likely the
    inputs ("… from father's and mother's height and gender")."""
    candidates = [c for c in columns if squash(c) not in NEVER_TARGETS]
    heads = {c: h for c in clauses if not extended and (h := head_of(c)) and
             _content(h, data_name)}
    # each clause's head just before the clause itself: the first clause still comes first
    for full in [v for c in clauses for v in ((heads[c], c) if c in heads else (c,))]:
        clause = without_asides(full)
        hits = mentioned(clause, columns)
        if hits and clause.lower().startswith("which ") and \
                not mentioned(without_subject(clause), [hits[0]]):
            clause = without_subject(clause)
            hits = mentioned(clause, columns)
        if full in heads:  # "articles a PhD student published": `phd` is the subject's
            hits = [h for h in hits if mentioned(without_asides(heads[full]), [h])]
        if hits and not extended:
            about = _said_of_the_subject(clause, hits[0], candidates, notes, levels, data_name)
            if about is not None:
                return about
            return hits[0], f"named after the verb ({hits[0]!r})", 0
        if extended:  # the columns named after "from/using" are inputs, not the target
            inputs = _INPUTS.search(clause)
            named = mentioned(clause[inputs.start():], columns) if inputs else []
            clause = _without_words(clause, " ".join(named))
        described = described_column(without_subject(clause), candidates, notes, levels,
                                     data_name)
        if described is not None:
            return described.column, f"described: {', '.join(described.words)} ~ " \
                f"`{described.column}`", 0
    return None


# "forecast daily maximum temperature (temp_max)": the name in parentheses right after what
# is asked
_PARENTHESISED = re.compile(CUE.pattern + r"[^.;:()\n]{0,80}?\(\s*[`'\"]?([A-Za-z_][\w.]*)"
                            r"[`'\"]?\s*\)", re.IGNORECASE)


def _among_inputs(text: str, quote: re.Match[str]) -> bool:
    """A quoted name after "from/using/given" in its own sentence: one of the inputs."""
    sentence = re.split(r"[.;!?]\s|\n\s*\n", text[:quote.start()])[-1]
    return _INPUTS.search(sentence) is not None


def _named_in_parentheses(text: str, columns: list[str]) -> str | None:
    for match in _PARENTHESISED.finditer(text):
        column = find_column(match.group(match.lastindex or 0), columns)
        if column is not None:
            return column
    return None


def _without_words(text: str, data_name: str) -> str:
    """The text without the words of the data set's name: "AER's CreditCard data" names the
    data, not its column `card`."""
    naming = set(words(data_name))
    return " ".join(w for w in re.split(r"\s+", text) if not naming & set(words(w)))


def _backticked_unknown(clauses: list[str], columns: list[str], data_name: str) -> None:
    """"predict the `humidity` column": a backticked name where the target is asked is meant
    as a column; when the data has none of that name, nothing else may stand in for it."""
    from text2ml.synthesis.spec import METRIC_WORDS  # spec settles the target: import late

    metrics = {squash(w) for pair in METRIC_WORDS.items() for w in pair}
    for clause in clauses:
        for name in re.findall(r"`([A-Za-z_]\w*)`", clause):
            if find_column(name, columns) is None and squash(name) not in squash(data_name) \
                    and squash(name) not in metrics:
                raise TargetError(f"The task names `{name}` as the target, but the data has "
                                  "no such column.", hint=f"The data has the columns: "
                                  f"{_shown(columns)}.", columns=columns)


def _content(clause: str, data_name: str) -> list[str]:
    naming = set(words(data_name))
    return [w for w in naming_words(clause) if w not in naming]


def _asks_for_something_else(clauses: list[str], about: str | None, data_name: str) -> bool:
    """Whether every clause that says what to predict speaks of things the data set's own
    documentation never mentions ("the boiling point of each wine"). Without documentation
    (`about` None) nothing can be told."""
    if about is None:
        return False
    documented = set(words(about)) | set(words(data_name)) | CLASS_WORDS
    concepts = {t for t in terms(about) if t.startswith("~")}  # "fuel economy" ~ mpg
    asked = [c for c in clauses if _content(c, data_name)]
    return bool(asked) and not any(
        any(same_word(w, d) or _same_start(w, d) for d in documented)
        for c in asked for w in _content(c, data_name)) and not any(
        concepts & set(terms(c)) for c in asked)


# Words that ask for the class of a row, whatever a data set's documentation calls it
CLASS_WORDS = frozenset("species kind type sort category variety breed group cultivar class "
                        "diagnosis outcome response".split())


def _same_start(a: str, b: str) -> bool:
    """cultivars ~ cultivators: six letters in common at the start."""
    return len(a) >= 6 and len(b) >= 6 and a[:6] == b[:6]


def _first_word_after_cue(text: str, columns: list[str]) -> None:
    """"Predict resale_value for …": an identifier right after the verb is the target; one
    that is not a column is an error naming it."""
    cue = CUE.search(text)
    if cue is None:
        return
    match = re.match(r"\s+(?:the\s+)?[`'\"]?([A-Za-z_]\w*)", text[cue.end():])
    if match and _looks_like_a_column_name(match.group(1)) and \
            find_column(match.group(1), columns) is None and "_" in match.group(1):
        raise TargetError(f"The task names `{match.group(1)}` as the target, but the data has "
                          "no such column.", hint=f"The data has the columns: {_shown(columns)}.",
                          columns=columns)


def _written_as_a_name(text: str, name: str) -> bool:
    """Quoted, backticked or after a colon: the writer meant that exact name."""
    return bool(re.search(rf"[`'\"]{re.escape(name)}[`'\"]|:\s*{re.escape(name)}\b", text))


def _names(pattern: re.Pattern[str], text: str) -> list[str]:
    return [next(g for g in m.groups() if g).rstrip(".") for m in pattern.finditer(text)]


def _explicit(text: str, columns: list[str]) -> str | None:
    """"target: churn", "column Attrition": a real column; a name given as the target that
    is not one is an error naming it."""
    for pattern, strong in ((STRONG, True), (NAMED_COLUMN, True), (WEAK, False)):
        for name in _names(pattern, text):
            if name.lower() in NOT_NAMES or name.lower() in _ORDINARY:
                continue
            column = find_column(name, columns)
            if column is not None:
                return column
            if _looks_like_a_column_name(name) or (strong and _written_as_a_name(text, name)) \
                    or pattern is NAMED_COLUMN:
                raise TargetError(f"The task names `{name}` as the target, but the data has "
                                  "no such column.", hint=f"The data has the columns: "
                                  f"{_shown(columns)}.", columns=columns)
    generic = {c for n in _names(GENERIC, text) if (c := find_column(n, columns))}
    return generic.pop() if len(generic) == 1 else None


_ORDINARY = {"column", "value", "values", "variable", "is", "of", "for", "to", "and", "it",
             "we", "you", "will", "should", "must", "can", "here", "there", "class", "classes"}


def _looks_like_a_column_name(name: str) -> bool:
    """`churn_flag`, `SalePrice`: written as an identifier, not an ordinary word."""
    return "_" in name or bool(re.search(r"[a-z][A-Z]|^[A-Z]", name)) or any(
        ch.isdigit() for ch in name)


def _shown(columns: list[str]) -> str:
    return ", ".join(columns[:25]) + (" …" if len(columns) > 25 else "")


COLUMN_PROMPT = """Which column of the data does this machine-learning task want predicted?
The columns:
{columns}
Answer with JSON {{"target": COLUMN}}, COLUMN one of the names above.
Answer {{"target": "none"}} if the task asks for something that is none of these columns.

Task:
{task}
"""


def column_lines(choices: list[str], notes: dict[str, str],
                 levels: dict[str, list[str]]) -> str:
    """One line per column: its name, then what it means and its values where known."""
    lines = []
    for column in choices:
        about = [note_for(column, notes)] if note_for(column, notes) else []
        if levels.get(column):
            about.append("values: " + ", ".join(levels[column][:6]))
        lines.append(f"- {column}" + (f": {'; '.join(about)}" if about else ""))
    return "\n".join(lines)


def choose_column(text: str, columns: list[str], llm: Any,
                  notes: dict[str, str] | None = None,
                  levels: dict[str, list[str]] | None = None) -> str | None:
    """The LLM picks from an enum of the real columns; never a name of its own."""
    from text2ml.synthesis.llm.replies import extract_json

    choices = [c for c in columns if squash(c) not in NEVER_TARGETS][:200]
    listing = column_lines(choices, notes or {}, levels or {}) if len(choices) <= 60 else \
        ", ".join(choices)
    schema = {"type": "object", "properties": {"target": {"type": "string",
                                                          "enum": [*choices, "none"]}},
              "required": ["target"]}
    reply = llm.chat([{"role": "user", "content": COLUMN_PROMPT.format(
        columns=listing, task=text)}], temperature=0.0, max_tokens=60,
        json_schema=schema, purpose="spec-target")
    try:
        picked = extract_json(reply.text).get("target")
    except (ValueError, AttributeError, RecursionError):
        return None
    return picked if picked in choices else None
