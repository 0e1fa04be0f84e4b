"""Targets described in words, matched against the columns' documented meaning and values."""

from __future__ import annotations

from text2ml.synthesis.catalog.column_notes import note_for, rdatasets_notes, statsmodels_notes
from text2ml.synthesis.described_target import described_column
from text2ml.synthesis.target import settle_target

R_HELP = """x| R Documentation
## Housing

### Format

This data frame contains the following columns:

`crim`

<blank>

per capita crime rate by town.

`lstat`

<blank>

lower status of the population (percent).

tax:

<blank>

full-value property-tax rate per $10,000.

`medv`

<blank>

median value of owner-occupied homes in $1000s.

### Source

Somewhere.
""".replace("<blank>", "    ")  # R help pages hold whitespace-only lines

R_TABLE = """### Format

A data frame with 32 observations on 3 variables.

[, 1] |  `mpg` |  Miles/(US) gallon
[, 2] |  `am` |  Transmission (0 = automatic, 1 = manual)
[, 3] |  `wt` |  Weight (1000 lbs)

### Note
"""

SM_NOTE = """::
    Number of Observations - 32

    Variable name definitions::

        Grade - binary variable indicating whether or not a student's grade
                improved.  1 indicates an improvement.
        TUCE  - Test score on economics test
        GPA   - Student's grade point average
"""


def test_r_help_pages_give_each_column_its_meaning() -> None:
    notes = rdatasets_notes(R_HELP)
    assert notes["medv"].startswith("median value of owner-occupied homes")
    assert notes["tax"].startswith("full-value property-tax")
    assert set(notes) == {"crim", "lstat", "tax", "medv"}
    assert rdatasets_notes(R_TABLE)["am"].startswith("Transmission")
    assert rdatasets_notes("no format section here") == {}


def test_statsmodels_notes_keep_continued_lines() -> None:
    notes = statsmodels_notes(SM_NOTE)
    assert "improved" in notes["Grade"] and set(notes) == {"Grade", "TUCE", "GPA"}
    assert note_for("grade", notes) == notes["Grade"]  # loaders rename by case


def test_a_described_target_finds_its_documented_column() -> None:
    notes = rdatasets_notes(R_HELP)
    columns = ["rownames", "crim", "lstat", "tax", "medv"]
    text = "Estimate the median value of owner-occupied homes from the rest of the Boston data"
    assert settle_target(text, columns, notes=notes)[0] == "medv"
    assert settle_target("tell whether the car has a manual gearbox, from its weight",
                         ["mpg", "am", "wt"], notes=rdatasets_notes(R_TABLE))[0] == "am"


def test_values_and_concepts_stand_for_undocumented_columns() -> None:
    columns = ["date", "precipitation", "temp_max", "wind", "weather"]
    levels = {"weather": ["drizzle", "fog", "rain", "snow", "sun"]}
    found = described_column("rain or shine tomorrow", columns, {}, levels)
    assert found is not None and found.column == "weather"
    churn = ["customer_id", "tenure_months", "monthly_fee", "churned"]
    assert settle_target("Predict which customers will leave us next quarter", churn)[0] == \
        "churned"


def test_a_description_that_fits_several_columns_settles_nothing() -> None:
    columns = ["temp_min", "temp_max", "wind"]
    assert described_column("the temperature", columns, {}, {}) is None
    assert described_column("", columns, {}, {}) is None


def test_the_data_sets_own_name_does_not_describe_its_target() -> None:
    columns = ["alcohol", "od280/od315_of_diluted_wines", "target"]
    assert described_column("the wine cultivar", columns, {}, {}, data_name="wine") is None
