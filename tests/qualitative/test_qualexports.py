"""Qualitative exports against hand counts on a small hand-made coded set.

The set (tests/fixtures/qual-exports/, invented): codebook tree
    T Theme ─ C1 Category 1 ─ c1a, c1b
            └ C2 Category 2 ─ c2a
    U Other theme
participants p1 (f, A), p2 (m, A), p3 (f, B); documents d1 (p1), d2 (p2), d3 (p3);
segments s1, s2 in d1; s3 in d2; s4, s5 in d3; consensus codings:
    s1: c1a, c1b    s2: c1a    s3: c2a, U    s4: c1b    s5: c2a
"""

from __future__ import annotations

import pandas as pd
import pytest

from peerstudy.config import PROJECT_ROOT
from peerstudy.qualitative.qualexports import (
    code_attribute_matrix,
    code_case_matrix,
    code_cooccurrence,
    code_frequencies,
    code_paths,
    coded_segments,
    participant_attributes,
    write_attribute_matrices,
)
from peerstudy.report.outputs import StudyOutputs

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "qual-exports"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURE / f"{name}.csv", dtype=str, keep_default_na=False).replace({"": None})


@pytest.fixture
def data():
    book = _read("codebook").set_index("code")
    segments = _read("segments").astype({"start": int, "end": int})
    return {
        "book": book,
        "segments": segments,
        "consensus": _read("consensus"),
        "codings": _read("codings"),
        "documents": _read("documents"),
        "participants": _read("participants"),
    }


def test_code_paths_follow_the_tree(data):
    paths = code_paths(data["book"])
    assert paths["c1b"] == "Theme > Category 1 > Code 1b"
    assert paths["U"] == "Other theme"


def test_frequencies_count_children_segments_in_parents(data):
    freq = code_frequencies(data["consensus"], data["segments"], data["book"])
    # hand count, segments coded with the code or a code below it:
    #   c1a {s1,s2}=2  c1b {s1,s4}=2  C1 {s1,s2,s4}=3 (s1 once, though coded c1a and c1b)
    #   c2a {s3,s5}=2  C2 {s3,s5}=2  T {s1..s5}=5  U {s3}=1
    assert freq["segments"].to_dict() == {"T": 5, "C1": 3, "c1a": 2, "c1b": 2, "C2": 2, "c2a": 2, "U": 1}
    # coded directly: parents 0, as QDA programs count them without aggregation
    assert freq["coded directly"].to_dict() == {"T": 0, "C1": 0, "c1a": 2, "c1b": 2, "C2": 0, "c2a": 2, "U": 1}
    # documents: T {d1,d2,d3}=3  C1 {d1,d3}=2  c1a {d1}=1  c1b {d1,d3}=2  C2 {d2,d3}=2  c2a 2  U {d2}=1
    assert freq["documents"].to_dict() == {"T": 3, "C1": 2, "c1a": 1, "c1b": 2, "C2": 2, "c2a": 2, "U": 1}
    assert freq["participants"].to_dict() == freq["documents"].to_dict()  # one document per participant here
    assert freq["depth"].to_dict() == {"T": 0, "C1": 1, "c1a": 2, "c1b": 2, "C2": 1, "c2a": 2, "U": 0}


def test_code_by_case_matrix_against_hand_counts(data):
    matrix = code_case_matrix(data["consensus"], data["segments"], data["book"])
    # hand count per participant (p1: s1 s2; p2: s3; p3: s4 s5):
    expected = {
        "T": [2, 1, 2],
        "C1": [2, 0, 1],
        "c1a": [2, 0, 0],
        "c1b": [1, 0, 1],
        "C2": [0, 1, 1],
        "c2a": [0, 1, 1],
        "U": [0, 1, 0],
    }
    assert list(matrix.columns) == ["path", "p1", "p2", "p3"]
    assert {c: matrix.loc[c, ["p1", "p2", "p3"]].tolist() for c in matrix.index} == expected
    presence = code_case_matrix(data["consensus"], data["segments"], data["book"], presence=True)
    assert {c: presence.loc[c, ["p1", "p2", "p3"]].tolist() for c in presence.index} == {
        c: [int(v > 0) for v in row] for c, row in expected.items()
    }


def test_code_by_attribute_matrix_against_hand_counts(data):
    assert participant_attributes(data["participants"]) == ["sex", "group", "site"]  # id and age: one per person
    by_sex = code_attribute_matrix(data["consensus"], data["segments"], data["book"], data["participants"], "sex")
    # f = p1, p3 (s1 s2 s4 s5); m = p2 (s3)
    assert {c: by_sex.loc[c, ["f", "m"]].tolist() for c in by_sex.index} == {
        "T": [4, 1],
        "C1": [3, 0],
        "c1a": [2, 0],
        "c1b": [2, 0],
        "C2": [1, 1],
        "c2a": [1, 1],
        "U": [0, 1],
    }
    by_group = code_attribute_matrix(
        data["consensus"], data["segments"], data["book"], data["participants"], "group", presence=True
    )
    # A = p1, p2 (s1 s2 s3); B = p3 (s4 s5)
    assert {c: by_group.loc[c, ["A", "B"]].tolist() for c in by_group.index} == {
        "T": [1, 1],
        "C1": [1, 1],
        "c1a": [1, 0],
        "c1b": [1, 1],
        "C2": [1, 1],
        "c2a": [1, 1],
        "U": [1, 0],
    }


def test_cooccurrence_by_segment_and_document(data):
    co = code_cooccurrence(data["consensus"], data["segments"], data["book"])
    pairs = {
        (a, b): (s, d) for a, b, s, d in co[["code", "with code", "segments", "documents"]].itertuples(index=False)
    }
    # segments: s1 {c1a, c1b}, s3 {c2a, U}; documents: d1 {c1a, c1b}, d2 {c2a, U}, d3 {c1b, c2a}
    assert pairs == {("c1a", "c1b"): (1, 1), ("c2a", "U"): (1, 1), ("c1b", "c2a"): (0, 1)}


def test_coded_segments_carry_coder_path_and_attributes(data):
    rows = coded_segments(
        data["codings"], data["consensus"], data["segments"], data["documents"], data["book"], data["participants"]
    )
    # 13 coder rows (7 by A, 6 by B) + 7 consensus rows
    assert len(rows) == 20
    assert rows["coder"].value_counts().to_dict() == {"A": 7, "consensus": 7, "B": 6}
    row = rows[(rows["coder"] == "B") & (rows["segment"] == "s4") & (rows["code"] == "c1a")].iloc[0]
    assert row["path"] == "Theme > Category 1 > Code 1a"
    assert (row["participant"], row["sex"], row["group"], row["kind"]) == ("p3", "f", "B", "interview")
    assert (row["site"], row["participant_site"]) == ("clinic", "north")  # document's and participant's
    assert row["text"] == "We met weekly."


def test_single_coder_has_no_separate_consensus_rows(data):
    one = data["codings"][data["codings"]["coder"] == "A"]
    rows = coded_segments(one, data["consensus"], data["segments"], data["documents"], data["book"])
    assert rows["coder"].unique().tolist() == ["A"] and len(rows) == 7


def test_attribute_matrices_are_written_as_tables(data, tmp_path):
    out = StudyOutputs("qual", root=tmp_path)
    written = write_attribute_matrices(out, data["consensus"], data["segments"], data["book"], data["participants"])
    assert written["table"].tolist() == [
        f"tables/code-by-{a}{s}.csv" for a in ("sex", "group", "site") for s in ("", "-presence")
    ]
    table = pd.read_csv(tmp_path / "reports/qual/tables/code-by-sex.csv", index_col="code")
    assert table.loc["C1", "f"] == 3 and table.loc["U", "m"] == 1
    assert (tmp_path / "reports/qual/tables/code-by-sex.tex").is_file()
    assert write_attribute_matrices(out, data["consensus"], data["segments"], data["book"], None).empty


def test_attributes_skip_lists_and_dates_and_keep_numbers():
    people = pd.DataFrame(
        {
            "participant": ["1", "2", "3"],
            "years": [1, 1, 2],
            "reasons": [["a"], ["b"], ["a", "b"]],
            "entered": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-02-01"]),
        }
    )
    # years: 2 values for 3 people (kept); reasons: several answers per person; entered: a date
    assert participant_attributes(people) == ["years"]


@pytest.mark.parametrize("dtype", ["str", "string", "object", "category", "Int64"])
def test_an_attribute_nobody_answered_is_not_tabulated(dtype):
    # a question left blank by everyone (an optional "Gender" in a small survey): nothing to
    # tabulate, whatever dtype cleaning gave the empty column (pandas 3 reads text as "str")
    people = pd.DataFrame({"participant": ["1", "2", "3"], "sex": ["f", "m", "f"]})
    people["gender"] = pd.Series([None, None, None], dtype=dtype)
    assert participant_attributes(people) == ["sex"]
