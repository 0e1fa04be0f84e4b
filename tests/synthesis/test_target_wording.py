"""How people word the target: units, spans and owners around it, a yes/no question, a
backticked name, the words after a clause's first end, words of the same family."""

from __future__ import annotations

from pathlib import Path

import pytest

from text2ml.synthesis.described_target import american, described_column
from text2ml.synthesis.llm.client import LLMClient
from text2ml.synthesis.target import (
    TargetError,
    head_of,
    negated_columns,
    settle_target,
    target_clauses,
    without_asides,
)

from scripted_openai import ScriptedOpenAI


def test_units_spans_and_owners_are_not_what_is_asked() -> None:
    assert without_asides("each tree's height in metres") == "each height"
    assert without_asides("the parcels delivered per week for the next 6 weeks") == \
        "the parcels delivered"
    assert without_asides("rainfall 3 days ahead") == "rainfall"
    columns = ["species", "year", "height"]
    assert settle_target("Estimate every tree's height in metres from species", columns,
                         data_name="forest")[0] == "height"
    # the unit is no column either: "age in years" asks for an age this data lacks
    with pytest.raises(TargetError):
        settle_target("predict each tree's age in years from its girth", ["girth", "year"],
                      data_name="orchard")


def test_a_target_line_owned_by_a_column_is_about_the_owned_thing() -> None:
    columns = ["store", "region", "weekly_revenue"]
    assert settle_target("Target: the store's weekly revenue. Inputs: region.", columns,
                         data_name="shops")[0] == "weekly_revenue"


def test_a_backticked_name_where_the_target_is_asked_must_be_a_column() -> None:
    with pytest.raises(TargetError, match="`colour`"):
        settle_target("irises from vega: classify the `colour` of each flower",
                      ["sepalLength", "petalWidth", "species"], data_name="iris")
    # a backticked metric is not a column name
    assert settle_target("predict whether it rains, scored by `balanced_accuracy`",
                         ["rain", "wind"], data_name="weather")[0] == "rain"


def test_a_yes_no_question_asks_for_its_answer() -> None:
    text = "Will a member take part in the labour action? Data from the union survey."
    assert target_clauses(text)[-1] == "whether a member take part in the labour action"
    notes = {"joined": "Did the member participate in labor action?",
             "wage": "Hourly wage in dollars.", "tenure": "Years in the union."}
    assert settle_target(text, list(notes), notes=notes, data_name="UnionVotes")[0] == "joined"
    assert american("labour") == "labor" and american("centre") == "center"
    assert american("four") == "four"


def test_a_clause_that_describes_nothing_runs_on_past_its_first_end() -> None:
    notes = {"cured": "whether the infection cleared up with the antibiotic",
             "dose": "daily dose in mg", "age": "age of the patient"}
    text = "predict if a patient gets better with the new antibiotic given dose and age"
    assert settle_target(text, list(notes), notes=notes, data_name="trial")[0] == "cured"
    # run on, a clause only describes: the inputs it names are not taken for the target
    with pytest.raises(TargetError):
        settle_target("predict how it goes from dose and age", list(notes), notes=notes,
                      data_name="trial")


def test_words_of_one_family_and_the_column_name_field() -> None:
    notes = {"religion": "religion attendance score", "income": "household income",
             "region": "region of residence"}
    found = described_column("how religious a respondent is", list(notes), notes, {})
    assert found is not None and found.column == "religion"
    notes = {"plantHeight": "height of the plant", "plantNum": "number of the plant in its "
             "row; rows are listed from the tallest plant to the shortest", "row": "row id"}
    found = described_column("how tall the plant grows", list(notes), notes, {})
    assert found is not None and found.column == "plantHeight"


def test_a_column_sharing_every_word_the_others_share_and_more_wins() -> None:
    notes = {"finalgrade": "average final exam grade (oral+written)/2",
             "oralgrade": "average oral grade", "writtengrade": "average written grade",
             "school": "school code"}
    found = described_column("the mean final exam grade", list(notes), notes, {})
    assert found is not None and found.column == "finalgrade"
    # two columns sharing a word each, neither the other's: nothing is settled
    notes = {"oralgrade": "oral grade", "writtengrade": "written grade", "exam": "exam id"}
    assert described_column("the oral or written part", list(notes), notes, {}) is None


def test_a_yes_no_question_is_answered_by_the_two_valued_column() -> None:
    notes = {"hdscore": "heart disease", "hdnow": "heart disease", "age": "in years"}
    levels = {"hdnow": ["no", "yes"]}
    text = "tell if the patient have heart disease or not, from age"
    assert settle_target(text, list(notes), notes=notes, levels=levels,
                         data_name="clinic")[0] == "hdnow"
    # without the yes/no, the two fit alike and nothing is settled
    assert described_column("have heart disease", list(notes), notes, levels) is None


def test_what_is_said_of_a_subject_column_is_asked() -> None:
    columns = ["pump", "pressure", "broke_down", "hours"]
    notes = {"broke_down": "whether the pump failed within a week"}
    levels = {"broke_down": ["no", "yes"], "pump": ["P1", "P2", "P3"]}
    assert settle_target("a model to warn us if a pump will fail soon, from pressure and hours",
                         columns, notes=notes, levels=levels, data_name="plant")[0] == \
        "broke_down"
    # what is said of the subject names no other column: the subject is asked
    assert settle_target("tell whether the pressure exceeds its limit", columns, notes=notes,
                         levels=levels, data_name="plant")[0] == "pressure"


def test_a_question_mark_ends_a_clause() -> None:
    assert target_clauses("who will cancel? use tenure and calls")[0] == "will cancel"


def test_with_no_verb_what_comes_before_the_inputs_is_asked() -> None:
    columns = ["Diameter", "Height", "Biomass"]
    assert settle_target("orchard survey (R): tree biomass from diameter and height.", columns,
                         data_name="orchard")[0] == "Biomass"


def test_a_yes_no_subject_is_itself_the_answer() -> None:
    levels = {"passed": ["0", "1"], "tutoring": ["0", "1"]}
    notes = {"tutoring": "took part in the new tutoring method"}
    assert settle_target("Did the pupil's exam get passed after the new tutoring method?",
                         ["passed", "tutoring", "hours"], notes=notes, levels=levels,
                         data_name="school")[0] == "passed"


def test_an_llm_pick_must_fit_what_is_asked_not_the_data_name_or_a_unit(
        scripted_llm: ScriptedOpenAI, tmp_path: Path) -> None:
    """A scripted LLM on loopback picks a column for a target the data does not hold."""
    llm = LLMClient(scripted_llm.base_url, None, "scripted", timeout=10.0, max_retries=0,
                    cache_dir=tmp_path)
    notes = {"card": "Was the application for a credit card accepted?",
             "income": "Yearly income in USD.", "year": "Year of the application."}
    scripted_llm.script(['{"target": "card"}', '{"target": "year"}'])
    with pytest.raises(TargetError):
        settle_target("With the CreditCard data, predict each applicant's FICO credit score",
                      list(notes), llm=llm, notes=notes, data_name="CreditCard")
    with pytest.raises(TargetError):
        settle_target("With the CreditCard data, predict each applicant's age in years",
                      list(notes), llm=llm, notes=notes, data_name="CreditCard")
    assert len(scripted_llm.requests) == 2


def test_a_question_may_run_over_a_line_break() -> None:
    text = ('"""TASK: the member survey: has the respondent renewed the\n'
            '    membership? Inputs: tenure, age."""')
    assert target_clauses(text)[-1] == "whether the respondent renewed the membership"


def test_where_or_over_which_rows_it_is_asked_is_no_target() -> None:
    assert without_asides("the snowfall at each station") == "the snowfall"
    assert without_asides("visitors for every museum") == "visitors"
    # the owner of the asked quantity is not a column standing in for it
    with pytest.raises(TargetError, match="snowfall"):
        settle_target("forecast the snowfall at each station", ["station", "month", "depth"],
                      data_name="alpine")


def test_a_column_abbreviating_the_words_of_the_task() -> None:
    columns = ["site", "resp.rate", "dist"]
    assert settle_target("estimate respiration rate from site and distance", columns,
                         data_name="lab")[0] == "resp.rate"
    # words too short to abbreviate are no evidence
    assert settle_target("estimate respiration rate from site", ["re.ra", "site", "y"],
                         natural="y", data_name="lab")[0] != "re.ra"


def test_rows_picked_out_are_the_subject_what_is_said_of_them_is_asked() -> None:
    columns = ["pump", "vibration", "broke_down"]
    levels = {"broke_down": ["no", "yes"]}
    assert settle_target("We want to spot pumps that are likely to break down soon.",
                         columns, levels=levels, data_name="plant")[0] == "broke_down"


def test_documented_response_in_other_words_is_still_what_is_asked() -> None:
    about = "Continuous target variable: mpg. Attributes: cylinders, weight."
    assert settle_target("predict the car's fuel economy", ["x0", "x1", "target"],
                         natural="target", about=about, data_name="cars")[0] == "target"
    with pytest.raises(TargetError):
        settle_target("predict the paint colour", ["x0", "x1", "target"], natural="target",
                      about=about, data_name="cars")


def test_regressed_on_and_explained_by_name_the_inputs_after_the_target() -> None:
    columns = ["rent", "rooms", "floor_area", "district"]
    assert settle_target("regress monthly rent on rooms, floor_area and district", columns,
                         data_name="flats")[0] == "rent"
    assert settle_target("Explain the rent by floor_area and rooms.", columns,
                         data_name="flats")[0] == "rent"


def test_a_quoted_column_among_the_inputs_is_not_the_target() -> None:
    columns = ["clicks", "hour", "device", "bought"]
    levels = {"bought": ["no", "yes"], "device": ["mobile", "desktop"]}
    notes = {"bought": "whether the visit ended in a purchase"}
    text = 'Tell who makes a purchase, from "clicks", "hour" and the device.'
    assert settle_target(text, columns, notes=notes, levels=levels,
                         data_name="shop")[0] == "bought"


def test_a_question_about_what_we_can_do_asks_what_its_verb_asks() -> None:
    text = "Can we predict the tip from the bill and the party size?"
    assert target_clauses(text) == ["the tip"]


def test_a_which_question_runs_on_to_what_is_said() -> None:
    columns = ["ticket", "agent", "escalated", "wait_minutes"]
    levels = {"escalated": ["no", "yes"]}
    assert settle_target("Which tickets end up with the case escalated? Use wait_minutes.",
                         columns, levels=levels, data_name="helpdesk")[0] == "escalated"


def test_a_quantity_the_data_lacks_is_not_found_among_the_inputs() -> None:
    # only a yes/no or which clause runs on past "from": here "from" starts the inputs
    columns = ["family", "father", "mother", "avgParentHeight", "kidHeight", "gender"]
    with pytest.raises(TargetError, match="weight"):
        settle_target("with the family heights table, estimate each kid's adult weight from "
                      "the parents' heights", columns, data_name="heights")


def test_a_formula_names_its_response_first() -> None:
    columns = ["wage", "educ", "exper"]
    assert settle_target("statsmodels-style: wage ~ educ + exper please", columns)[0] == "wage"


def test_a_column_alone_in_parentheses_outside_the_inputs_is_asked() -> None:
    columns = ["site", "n.visits", "occ.flag", "elev"]
    text = "Is the owl there on a given night or not? (occ.flag) From elev and visits."
    assert settle_target(text, columns)[0] == "occ.flag"
    # among the inputs it is only an input
    text = "Guess the visits of a site. Do it using its height (elev) only."
    assert settle_target(text, columns)[0] != "elev"


def test_what_is_negated_is_never_the_target_and_the_contrast_is_asked() -> None:
    columns = ["AskPrice", "FinalPrice", "Rooms"]
    text = "Flats in Lyon. Not the asking price: the final price the flat went for."
    assert settle_target(text, columns)[0] == "FinalPrice"
    assert negated_columns("estimate the rooms, not the asking price", columns) == {"AskPrice"}
    assert negated_columns("whether a tenant will not renew", ["renew", "x"]) == set()


def test_which_x_followed_by_a_new_noun_phrase_asks_for_x() -> None:
    columns = ["breed", "height", "owner"]
    assert settle_target("tell which breed a dog is from its height", columns)[0] == "breed"


def test_a_column_named_only_inside_a_bare_relative_clause_is_not_the_target() -> None:
    columns = ["goals", "club", "league", "coach_goals"]
    text = "predict the number of transfers a league club made in the window"
    with pytest.raises(TargetError):
        settle_target(text, columns)
    assert head_of("the number of transfers a league club made") == "the number of transfers"
    assert head_of("how much a customer spends") is None


def test_rows_of_several_words_are_an_aside() -> None:
    assert without_asides("the sugar content of each menu item") == "the sugar content"
    assert without_asides("the rainfall at each site from x") == "the rainfall from x"
