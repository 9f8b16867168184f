"""Publication tables against independent computations."""

from __future__ import annotations

import statistics
from collections import Counter

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from peerstudy.cleaning.clean import clean_export
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import apply_coding_sheets
from peerstudy.report.tables import (
    assign_bands,
    category_table,
    characteristics_table,
    crosstab_codes,
    hierarchy_table,
    quote_table,
    saturation_table,
    stand_in_notes,
)

RAW = "data/raw/supporter-survey"


@pytest.fixture(scope="module")
def survey():
    return clean_export(
        f"{RAW}/questionnaire-export.csv",
        "studies/supporter-survey/fields.yaml",
        text_fields=["motivation", "fulfilment", "issues"],
        analyse_text_if="experienced",
    )


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
        "schizophrenia",
        "autism spectrum disorder",
        "mood disorder",
    ]


def test_unpublished_rows_are_marked(survey):
    table = characteristics_table(survey.participants, ["sex", "diagnosis"], unpublished=["sex"])
    marked = table[table["note"] != ""]["characteristic"].unique().tolist()
    assert marked == ["sex, n (%)"]
    assert "not published figures" in stand_in_notes(["sex"])[0]


@pytest.mark.parametrize("dtype", ["str", "object"])
def test_characteristics_are_of_those_who_answered(dtype):
    # four invented people; by hand: sex 2 of 3 answers female (66.7%), 1 male (33.3%);
    # age of 30, 50, 40: mean 40.0, sample SD sqrt((100 + 100 + 0) / 2) = 10.0; nobody
    # answered "gender" (an optional question left blank)
    people = pd.DataFrame(
        {
            "sex": pd.Series(["female", "female", None, "male"], dtype=dtype),
            "age": [30, None, 50, 40],
            "gender": pd.Series([None] * 4, dtype=dtype),
        }
    )
    table = characteristics_table(people, ["sex", "gender", "age"], continuous=["age"])
    rows = table[["characteristic", "level", "value", "note"]].values.tolist()
    assert rows == [
        ["n", "", "4", ""],
        ["sex, n (%)", "female", "2 (66.7)", "of the 3 with a value"],
        ["sex, n (%)", "male", "1 (33.3)", "of the 3 with a value"],
        ["gender, n (%)", "", "", "no one has a value"],
        ["age, mean (SD)", "", "40.0 (10.0)", "of the 3 with a value"],
        ["age range, mean [min,max]", "", "40.0 [30.0,50.0]", "of the 3 with a value"],
    ]


def test_characteristics_do_not_modify_the_callers_data(survey):
    p = survey.participants.copy(deep=True)
    characteristics_table(survey.participants, ["age", "sex", "experienced"], continuous=["age"])
    pd.testing.assert_frame_equal(p, survey.participants)


def test_category_table_counts_match_the_sheet(survey):
    book = read_codebook(f"{RAW}/codebook.yaml")
    coded = apply_coding_sheets(
        [f"{RAW}/coding-sheet.csv"],
        survey.documents,
        book,
        document_key=["questionnaire", "question"],
        root_code_from="question",
    )
    table = category_table(coded.codings, coded.segments, book)
    sheet = pd.read_csv(f"{RAW}/coding-sheet.csv")
    labels = book["label"]
    expected = sheet["code"].map(labels).value_counts()
    assert table.set_index("category")["n"].to_dict() == {k: int(expected.get(k, 0)) for k in table["category"]}
    first = table[table["n"] > 0].iloc[0]
    assert first["excerpts"].count("(Respondent ") == first["n"]


# ----------------------------------------------------------------------------- interview views

BOOK = pd.DataFrame(
    {
        "label": ["Theme", "Cat 1", "Cat 2", "Sub a", "Sub b", "Sub c"],
        "parent": [None, "T", "T", "C1", "C1", "C2"],
        "depth": [0, 1, 1, 2, 2, 2],
        "order": range(6),
    },
    index=pd.Index(["T", "C1", "C2", "Sa", "Sb", "Sc"], name="code"),
)
SEGS = pd.DataFrame(
    {
        "segment": ["s1", "s2", "s3", "s4"],
        "document": ["I1", "I1", "I2", "I2"],
        "participant": ["P1", "P1", "P2", "P1"],
        "text": ["short", "a much longer statement", "medium one", "tiny"],
        "start": [0, 10, 0, 20],
    }
)
CONS = pd.DataFrame({"segment": ["s1", "s2", "s3", "s4"], "code": ["Sa", "Sb", "Sa", "Sc"]})
DOCS = pd.DataFrame({"document": ["I1", "I2"], "order": [1, 2], "kind": ["individual interview"] * 2})


def test_hierarchy_counts_statements_and_participants_at_each_level():
    table = hierarchy_table(CONS, SEGS, BOOK).set_index("code")
    assert table["statements"].to_dict() == {"T": 4, "C1": 3, "Sa": 2, "Sb": 1, "C2": 1, "Sc": 1}
    assert table["participants"].to_dict() == {"T": 2, "C1": 2, "Sa": 2, "Sb": 1, "C2": 1, "Sc": 1}
    assert table.index.tolist() == ["T", "C1", "Sa", "Sb", "C2", "Sc"]  # depth first


def test_quotes_follow_the_rule_longest_then_another_participant():
    quotes = quote_table(CONS, SEGS, BOOK, depth=1, per_code=2)
    c1 = quotes[quotes["code"] == "C1"]
    # longest under C1 is s2 (P1); the next must be by another participant: s3 (P2), not s1 (P1)
    assert c1["segment"].tolist() == ["s2", "s3"]
    assert c1["attribution"].tolist() == ["Participant 1", "Participant 2"]


def test_saturation_counts_new_codes_per_document():
    table = saturation_table(CONS, SEGS, DOCS, BOOK, depth=2)
    assert table[["new", "cumulative"]].values.tolist() == [[2, 2], [1, 3]]


def test_crosstab_by_participant_and_by_attribute():
    by_p = crosstab_codes(CONS, SEGS, BOOK, depth=1, by="participant")
    assert by_p.to_dict() == {"P1": {"C1 Cat 1": 2, "C2 Cat 2": 1}, "P2": {"C1 Cat 1": 1, "C2 Cat 2": 0}}
    people = pd.DataFrame({"participant": ["P1", "P2"], "band": ["young", "old"]})
    by_band = crosstab_codes(CONS, SEGS, BOOK, depth=1, by="band", attributes=people)
    assert by_band.loc["C1 Cat 1"].to_dict() == {"old": 1, "young": 2}


def test_bands_cover_every_value():
    from peerstudy.errors import ConfigError

    with pytest.raises(ConfigError, match="expected bands that cover every value, found 2"):
        assign_bands(pd.Series([2]), {"3-5": [3, 5]})


def test_a_flat_codebook_gives_one_group_of_categories_and_its_figure():
    # three top-level codes and nothing under them; by hand: two excerpts coded "give", none "grow"
    from peerstudy.report.figures import plot_category_counts

    book = pd.DataFrame(
        {"label": ["Giving back", "Growth"], "parent": [None, None], "order": [0, 1]},
        index=pd.Index(["give", "grow"], name="code"),
    )
    segs = pd.DataFrame({"segment": ["s1", "s2"], "participant": ["4", "7"], "text": ["It helped.", "Me too."],
                         "start": [0, 0]})  # fmt: skip
    cods = pd.DataFrame({"segment": ["s1", "s2"], "code": ["give", "give"]})
    table = category_table(cods, segs, book)
    assert table[["question", "category", "n"]].values.tolist() == [["", "Giving back", 2], ["", "Growth", 0]]
    fig = plot_category_counts(table)
    assert [ax.get_title() for ax in fig.axes] == ["Codes (2 excerpts)"]
    plt.close(fig)


def test_a_category_depth_the_codebook_does_not_have_is_named():
    # a flat codebook has the top level (0) only; depth 1 gave empty tables and then a
    # heatmap of nothing stopped the results stage
    from peerstudy.errors import ConfigError

    book = pd.DataFrame({"label": ["A", "B"], "parent": [None, None], "depth": [0, 0], "order": [0, 1]},
                        index=pd.Index(["a", "b"], name="code"))  # fmt: skip
    segs = pd.DataFrame({"segment": ["s1"], "participant": ["P1"], "text": ["x"], "start": [0]})
    cons = pd.DataFrame({"segment": ["s1"], "code": ["a"]})
    assert crosstab_codes(cons, segs, book, depth=0, by="participant").values.tolist() == [[1], [0]]
    with pytest.raises(ConfigError) as info:
        crosstab_codes(cons, segs, book, depth=1, by="participant")
    (problem,) = info.value.problems
    assert (problem.field, problem.expected, problem.found) == (
        "category_depth",
        "a level of the codebook, 0 to 0",
        "1",
    )
