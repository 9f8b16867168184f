"""Typed hand-offs (issue 12): each table a stage hands to the next has one schema,
checked where the stage writes it.

The schemas accept what the four shipped studies hand on (read back from a fresh
regeneration: data/processed/ is not committed), and reject hand-made bad tables, each a
good table with one change, the failure expected written out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from peerstudy.errors import ContractError, PeerstudyError
from peerstudy.io.schemas import (
    DUPLICATE_RULES,
    SCREENING_DECISIONS,
    SCREENING_STAGES,
    TABLE_NAMES,
    VOTE_DECISIONS,
    table_schema,
)
from peerstudy.io.tablecheck import check_table
from peerstudy.report.outputs import StudyOutputs

# What each shipped study's stages write, read from the notebooks' `report.processed(...)`
# calls: clean-survey or clean-transcripts, then code; import-records, then screen-records.
CODE = {"codebook", "segments", "codings", "consensus", "recodings"}
WRITTEN = {
    "supporter-survey": {"questionnaires", "participants", "documents", "cleaning_log", "flow"} | CODE,
    "professional-interviews": {"participants", "documents", "turns", "cleaning_log"} | CODE,
    "dyad-sessions": {"participants", "documents", "turns", "cleaning_log"} | CODE,
    "literature-review": {"records", "duplicate_pairs", "searches", "decisions", "votes", "extraction"},
}


# ----------------------------------------------------------------------------- the shipped studies
@pytest.mark.parametrize("study", sorted(WRITTEN))
def test_the_schemas_accept_every_table_a_shipped_study_hands_on(study, regenerated):
    folder = regenerated / "data/processed" / study
    checked = set()
    for path in sorted(folder.glob("*.parquet")):
        if table_schema(path.stem) is not None:
            check_table(path.stem, pd.read_parquet(path), where=f"{study}/{path.name}")  # raises if not
            checked.add(path.stem)
    assert checked == WRITTEN[study]


def test_every_schema_is_met_by_a_shipped_study():
    # the test above then exercises each schema on real tables
    assert set(TABLE_NAMES) == set().union(*WRITTEN.values())


def test_the_fixed_words_are_those_of_the_stages_that_write_them():
    # the schemas live below the review package (io), so they restate its words: kept equal here
    from peerstudy.review.dedup import RULES
    from peerstudy.review.screen_match import DECISIONS, STAGES, VOTES

    assert (SCREENING_STAGES, SCREENING_DECISIONS, VOTE_DECISIONS, DUPLICATE_RULES) == (
        STAGES,
        DECISIONS,
        VOTES,
        RULES,
    )


# ----------------------------------------------------------------------------- hand-made tables
def segments() -> pd.DataFrame:
    """Three segments of two invented documents, as the code stage makes them."""
    return pd.DataFrame(
        {
            "segment": ["d1@0-5", "d1@6-11", "d2@0-4"],
            "document": ["d1", "d1", "d2"],
            "participant": ["P1", "P1", "P2"],
            "start": [0, 6, 0],
            "end": [5, 11, 4],
            "text": ["hello", "world", "okay"],
        }
    ).astype({"segment": "string", "document": "string", "participant": "string", "text": "string"})


def decisions() -> pd.DataFrame:
    """Final screening decisions of two invented records."""
    return pd.DataFrame(
        {
            "record": ["pubmed:1", "pubmed:2", "pubmed:1"],
            "stage": ["title-abstract", "title-abstract", "full-text"],
            "decision": ["include", "exclude", "include"],
            "reason": ["", "", ""],
            "row": [2, 3, 4],
        }
    )


def problems_of(name: str, frame: pd.DataFrame) -> list[tuple[str | None, str, str]]:
    with pytest.raises(ContractError) as info:
        check_table(name, frame)
    assert info.value.table == name
    return [(p.field, p.expected, p.found) for p in info.value.problems]


def test_the_good_tables_pass():
    # the controls of the tests below: each bad table is one of these with one change
    check_table("segments", segments())
    check_table("decisions", decisions())


def test_a_missing_column_is_named():
    problems = problems_of("segments", segments().drop(columns="text"))
    assert problems == [("text", "the column", "none")]


def test_a_duplicate_key_names_the_value_and_both_rows():
    frame = segments()
    frame.loc[2, "segment"] = "d1@0-5"
    assert problems_of("segments", frame) == [
        ("segment", "each value once (a key of the table)", "'d1@0-5' in rows 0, 2")
    ]


def test_a_duplicate_of_a_key_of_two_columns_is_found():
    # one final decision per record and stage: pubmed:1 decided twice on title and abstract
    frame = decisions()
    frame.loc[2, "stage"] = "title-abstract"
    assert problems_of("decisions", frame) == [
        ("record, stage", "each combination once (the key of the table)", "('pubmed:1', 'title-abstract') in rows 0, 2")
    ]


def test_a_column_of_the_wrong_type_is_named_with_its_dtype():
    frame = segments().astype({"start": "float64"})
    assert problems_of("segments", frame) == [("start", "whole numbers (an integer dtype)", "values of dtype float64")]


def test_a_value_of_the_wrong_type_among_text_is_named_with_its_row():
    frame = segments().astype({"participant": object})
    frame.loc[1, "participant"] = 7
    assert problems_of("segments", frame) == [("participant", "text", "7 in row 1")]


def test_a_null_where_none_is_allowed_is_named_with_its_row():
    frame = segments()
    frame.loc[1, "document"] = pd.NA
    assert problems_of("segments", frame) == [("document", "a value in every row", "nothing in row 1")]


def test_a_word_outside_the_fixed_list_is_named():
    frame = decisions()
    frame.loc[1, "decision"] = "maybe"  # a vote, never a final decision
    assert problems_of("decisions", frame) == [("decision", "one of 'include', 'exclude'", "'maybe' in row 1")]


def test_a_segment_ending_before_it_starts_is_found():
    frame = segments()
    frame.loc[0, ["start", "end"]] = [5, 3]
    assert problems_of("segments", frame) == [("start, end", "end at or after start", "(5, 3) in row 0")]


def test_all_failures_are_reported_together():
    frame = segments().drop(columns="text")
    frame.loc[2, "segment"] = "d1@0-5"
    frame.loc[1, "document"] = pd.NA
    fields = [field for field, _, _ in problems_of("segments", frame)]
    assert fields == ["text", "segment", "document"]  # missing columns first, then in the table's order


def test_an_empty_table_as_a_stage_makes_it_passes():
    # no re-coding: the code stage writes the codings' columns and no row (object dtypes)
    empty = pd.DataFrame(columns=["segment", "unit", "code", "coder", "round", "note", "sheet", "row"])
    check_table("recodings", empty.astype({"round": "int64", "row": "int64"}))


def test_columns_of_a_study_s_own_pass_and_the_table_is_not_changed():
    frame = segments().assign(dyad=["D01", "D01", "D02"], session=[1, 1, 3])
    before = frame.copy()
    check_table("segments", frame)
    pd.testing.assert_frame_equal(frame, before)


def test_a_table_without_a_schema_is_not_checked():
    check_table("my-own-table", pd.DataFrame({"anything": [None]}))


def test_a_contract_error_is_not_taken_for_bad_input():
    # bad input is shown as a message alone; a table breaking its schema is a bug of ours
    assert not issubclass(ContractError, PeerstudyError)


# ----------------------------------------------------------------------------- where a stage writes
def test_a_stage_writing_a_table_that_breaks_its_schema_writes_nothing(tmp_path):
    out = StudyOutputs("demo", root=tmp_path)
    bad = decisions().drop(columns="reason")
    with pytest.raises(ContractError) as info:
        out.processed(segments=segments(), decisions=bad)
    assert "data/processed/demo/decisions.parquet, field 'reason': expected the column, found none" in str(info.value)
    assert not out.processed_dir.exists()  # not even the good table written before it


def test_a_stage_writing_good_tables_writes_them_as_they_were(tmp_path):
    out = StudyOutputs("demo", root=tmp_path)
    out.processed(segments=segments())
    pd.testing.assert_frame_equal(out.load("segments"), segments())


def test_a_questionnaire_twice_under_the_study_s_own_identifier_is_found():
    # the identifier is named by the study's fields file: the schema knows it as the first column
    frame = pd.DataFrame({"form": [11, 12, 11], "returned": [True, False, True]})
    assert problems_of("questionnaires", frame) == [
        ("(first column)", "each questionnaire once in the first column (the study's identifier)", "11 in rows 0, 2")
    ]
