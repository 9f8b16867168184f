"""Declared exclusion rules, one by one, and the participant flow of a Qualtrics-format export.

Expected values are counted by hand from the small tables written in each test and from
tests/fixtures/surveys/qualtrics_flow.csv (the count is also written in its fields file).
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import FIXTURES
from peerstudy.cleaning.clean import clean_export
from peerstudy.cleaning.exclusions import apply_exclusions
from peerstudy.cleaning.surveyfields import ExclusionRule, read_fields
from peerstudy.errors import ConfigError, InputError

SURVEYS = FIXTURES / "surveys"


def table(**columns) -> pd.DataFrame:
    """Answers as an export holds them (text), rows numbered from 2 like a spreadsheet."""
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=range(2, 2 + n))


def test_equals_matches_spellings_like_categories():
    t = table(Status=["IP Address", "Survey Preview", "survey preview ", "Spam"])
    result = apply_exclusions(t, (ExclusionRule("preview", "Status", "equals", ("survey preview",)),), file="x.csv")
    assert list(result.kept) == [2, 5]  # rows 3 and 4: "Survey Preview" in two spellings
    assert result.counts == [("preview", 2)]


def test_not_equals_excludes_everything_else_including_no_answer():
    t = table(Consent=["I agree", "I do not agree", "", "I AGREE"])
    result = apply_exclusions(t, (ExclusionRule("no consent", "Consent", "not_equals", ("i agree",)),), file="x.csv")
    assert list(result.kept) == [2, 5]
    assert result.excluded["value"].tolist() == ["I do not agree", ""]


@pytest.mark.parametrize("test, kept", [("below", [3, 4, 5]), ("above", [2, 3, 4])])
def test_below_and_above_compare_numbers(test, kept):
    t = table(Progress=["12", "80", "80.0", "100%"])
    result = apply_exclusions(t, (ExclusionRule("p", "Progress", test, threshold=80.0),), file="x.csv")
    assert list(result.kept) == kept  # 80 is neither below nor above 80
    assert not result.problems


def test_a_cell_that_is_not_a_number_is_a_problem_for_below():
    t = table(Progress=["100", "most"])
    result = apply_exclusions(t, (ExclusionRule("p", "Progress", "below", threshold=80.0),), file="x.csv")
    (problem,) = result.problems
    assert (problem.row, problem.field, problem.found) == (3, "Progress", "'most'")


def test_duplicate_keeps_the_first_and_never_matches_empty_cells():
    t = table(Email=["a@example.org", "", "b@example.org", "A@example.org", "", "b@example.org"])
    result = apply_exclusions(t, (ExclusionRule("dup", "Email", "duplicate"),), file="x.csv")
    assert list(result.kept) == [2, 3, 4, 6]  # rows 5 and 7 repeat rows 2 and 4
    # the log shows which row it repeats, never the address itself
    assert result.excluded["value"].tolist() == ["same value as row 2", "same value as row 4"]


def test_rules_apply_in_order_and_count_each_row_once():
    t = table(Status=["0", "1", "1", "0", "0"], Finished=["1", "0", "1", "0", "1"])
    rules = (
        ExclusionRule("preview", "Status", "equals", ("1",)),
        ExclusionRule("unfinished", "Finished", "equals", ("0",)),
    )
    result = apply_exclusions(t, rules, file="x.csv")
    # rows 3 and 4 are previews (row 3 is also unfinished, counted under preview only); row 5 unfinished
    assert result.counts == [("preview", 2), ("unfinished", 1)]
    assert list(result.kept) == [2, 6]


def test_qualtrics_export_flow_table():
    result = clean_export(SURVEYS / "qualtrics_flow.csv", SURVEYS / "qualtrics_flow.yaml", text_fields=["better"])
    flow = result.flow
    # by hand from the fixture (see the comment in qualtrics_flow.yaml)
    assert flow["n"].tolist() == [9, 2, 1, 1, 1, 1, 0, 0, 3]
    assert flow["reason"].tolist()[1:6] == [
        "survey preview",
        "did not finish",
        "consent not given",
        "duplicate respondent",
        "progress below 80%",
    ]
    assert flow["n"].iloc[0] - flow.loc[flow["step"] == "excluded", "n"].sum() == flow["n"].iloc[-1]
    assert result.participants["response"].tolist() == ["R_a01", "R_a06", "R_a07"]
    # excluded rows are not cleaned (the preview's "Maybe" is no Likert level) and never become documents
    assert result.documents["participant"].tolist() == ["R_a01", "R_a06"]
    excluded = result.log[result.log["rule"].str.startswith("excluded: ")]
    assert excluded["row"].tolist() == [5, 6, 7, 8, 11, 12]
    assert "ada.quill@example.org" not in result.log.to_string()


def test_an_exclusion_rule_naming_an_unknown_column(tmp_path):
    text = (SURVEYS / "qualtrics_flow.yaml").read_text(encoding="utf-8").replace("column: Progress", "column: Progres")
    (tmp_path / "fields.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"fields\.yaml, field 'exclusions\[5\]\.column': expected a column of .*"
        r"found 'Progres'",
    ):
        clean_export(SURVEYS / "qualtrics_flow.csv", tmp_path / "fields.yaml")


def test_badly_written_rules_are_reported_together(tmp_path):
    (tmp_path / "fields.yaml").write_text(
        "exclusions:\n  - {reason: a, column: X}\n  - {reason: b, column: Y, below: eighty}\n"
        "  - {reason: c, column: Z, equals: [yes]}\nfields:\n  n: {column: N, type: id}\n"
    )
    with pytest.raises(ConfigError) as info:
        read_fields(tmp_path / "fields.yaml")
    assert [p.field for p in info.value.problems] == ["exclusions[1]", "exclusions[2].below", "exclusions[3].equals"]


def test_a_likert_answer_outside_its_levels_is_reported(tmp_path):
    text = (
        (SURVEYS / "qualtrics_flow.csv")
        .read_text(encoding="utf-8")
        .replace("Neither agree nor disagree,Agree", "Somewhat,Agree", 1)
    )
    folder = tmp_path
    (folder / "export.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        clean_export(folder / "export.csv", SURVEYS / "qualtrics_flow.yaml")
    (problem,) = info.value.problems
    assert (problem.row, problem.field, problem.found) == (9, "Q1_1", "'Somewhat'")
    assert "one of the levels (1 = Strongly disagree, 2 = Disagree" in problem.expected
