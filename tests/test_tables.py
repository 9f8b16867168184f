"""Publication tables against independent computations."""

from __future__ import annotations

import statistics
from collections import Counter

import pandas as pd
import pytest

from peerstudy.clean import clean_survey
from peerstudy.codebook import read_codebook
from peerstudy.coding import apply_coding_sheets
from peerstudy.tables import category_table, characteristics_table, stand_in_notes

RAW = "data/raw/supporter-survey"


@pytest.fixture(scope="module")
def survey():
    return clean_survey(f"{RAW}/questionnaire-export.csv", "studies/supporter-survey/fields.yaml",
                        text_fields=["motivation", "fulfilment", "issues"], analyse_text_if="experienced")


def test_characteristics_equal_an_independent_computation(survey):
    p = survey.participants
    table = characteristics_table(p, ["age", "sex", "diagnosis", "experienced"], continuous=["age"])
    cells = {(r.characteristic, r.level): r.value for r in table.itertuples()}
    ages = [int(a) for a in p["age"]]
    # Independent: the statistics module and collections.Counter, formatted by hand.
    assert cells[("n", "")] == str(len(ages))
    assert cells[("age, mean (SD)", "")] == f"{statistics.mean(ages):.1f} ({statistics.stdev(ages):.1f})"
    assert cells[("age range, mean [min,max]", "")] == f"{statistics.mean(ages):.1f} [{min(ages):.1f},{max(ages):.1f}]"
    for field in ("sex", "diagnosis"):
        for level, n in Counter(p[field]).items():
            assert cells[(f"{field}, n (%)", level)] == f"{n} ({100 * n / len(ages):.1f})"
    n_yes = sum(bool(x) for x in p["experienced"])
    assert cells[("experienced, n (%)", "yes")] == f"{n_yes} ({100 * n_yes / len(ages):.1f})"


def test_characteristics_match_the_published_figures(survey):
    # Yamashita et al. (2017), Results: age 42.1 ± 14.1 (29-61); schizophrenia 11 (55.0%),
    # autism spectrum disorder 4 (20.0%), mood disorder 3 (15.0%), steroid psychosis 1 (5.0%),
    # unknown 1 (5.0%); previous peer support experience 14 (70.0%).
    table = characteristics_table(survey.participants, ["age", "diagnosis", "experienced"], continuous=["age"])
    values = table.set_index(["characteristic", "level"])["value"]
    assert values[("age, mean (SD)", "")] == "42.1 (14.1)"
    assert values[("age range, mean [min,max]", "")].endswith("[29.0,61.0]")
    assert values[("diagnosis, n (%)", "schizophrenia")] == "11 (55.0)"
    assert values[("diagnosis, n (%)", "autism spectrum disorder")] == "4 (20.0)"
    assert values[("experienced, n (%)", "yes")] == "14 (70.0)"
    # levels in descending frequency
    assert table[table["characteristic"] == "diagnosis, n (%)"]["level"].tolist()[:3] == [
        "schizophrenia", "autism spectrum disorder", "mood disorder"]


def test_unpublished_rows_are_marked(survey):
    table = characteristics_table(survey.participants, ["sex", "diagnosis"], unpublished=["sex"])
    marked = table[table["note"] != ""]["characteristic"].unique().tolist()
    assert marked == ["sex, n (%)"]
    assert "not published figures" in stand_in_notes(["sex"])[0]


def test_characteristics_do_not_modify_the_callers_data(survey):
    p = survey.participants.copy(deep=True)
    characteristics_table(survey.participants, ["age", "sex", "experienced"], continuous=["age"])
    pd.testing.assert_frame_equal(p, survey.participants)


def test_category_table_counts_match_the_sheet(survey):
    book = read_codebook(f"{RAW}/codebook.yaml")
    coded = apply_coding_sheets([f"{RAW}/coding-sheet.csv"], survey.documents, book,
                                document_key=["questionnaire", "question"], root_code_from="question")
    table = category_table(coded.codings, coded.segments, book)
    sheet = pd.read_csv(f"{RAW}/coding-sheet.csv")
    labels = book["label"]
    expected = sheet["code"].map(labels).value_counts()
    assert table.set_index("category")["n"].to_dict() == {k: int(expected.get(k, 0)) for k in table["category"]}
    first = table[table["n"] > 0].iloc[0]
    assert first["excerpts"].count("(Respondent ") == first["n"]
