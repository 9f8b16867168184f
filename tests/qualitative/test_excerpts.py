"""Locating coders' excerpts: exact, tolerant (listed for checking), ambiguous (an error
unless the sheet says which), and the turn that holds a span.

Expected offsets are counted by hand from the strings written in each test.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import MINI
from peerstudy.errors import InputError
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import apply_coding_sheets
from peerstudy.qualitative.excerpts import TurnIndex, find_excerpt, fold_text

TEXT = "I said \u201cyes\u201d. Later I said yes again \u2013 twice."


def test_exact_occurrences_are_all_found():
    # "yes" stands at 8 (inside the curly quotes) and at 27 ("Later I said " ends at 27; counted by hand)
    assert find_excerpt(TEXT, "yes").spans == [(8, 11), (27, 30)]
    assert find_excerpt(TEXT, "yes").exact


def test_straight_quotes_dashes_spaces_and_case_match_tolerantly():
    match = find_excerpt(TEXT, 'i said "YES".')
    assert not match.exact
    assert match.spans == [(0, 13)]  # 'I said “yes”.' is 13 characters
    assert TEXT[slice(*match.spans[0])] == "I said \u201cyes\u201d."
    dash = find_excerpt(TEXT, "again  - twice")
    assert TEXT[slice(*dash.spans[0])] == "again \u2013 twice"


def test_words_that_differ_are_not_matched():
    assert find_excerpt(TEXT, "I said no").spans == []


def test_folding_maps_every_character_back():
    folded, origin = fold_text("A\u00a0\u00a0\u201cB\u201d")
    assert folded == 'a "b"'
    assert origin == [0, 1, 3, 4, 5, 6]


TURNS = pd.DataFrame(
    {"document": ["d"] * 3 + ["e"], "speaker": ["I", "P1", "I", "P2"], "start": [0, 10, 30, 0], "end": [10, 30, 40, 5]}
)


def _naive_speaker(turns: pd.DataFrame, document: str, start: int, end: int) -> str | None:
    """The definition, as a scan of every turn (the independent computation)."""
    hit = turns[(turns["document"] == document) & (turns["start"] <= start) & (turns["end"] >= end)]
    return None if hit.empty else str(hit["speaker"].iloc[0])


@given(st.sampled_from(["d", "e", "x"]), st.integers(0, 45), st.integers(0, 45))
def test_turn_index_agrees_with_a_scan_of_all_turns(document, a, b):
    start, end = min(a, b), max(a, b)
    assert TurnIndex(TURNS).speaker_at(document, start, end) == _naive_speaker(TURNS, document, start, end)


def test_overlapping_turns_give_the_earliest_holder():
    overlapping = pd.DataFrame({"document": ["d", "d"], "speaker": ["A", "B"], "start": [0, 5], "end": [50, 20]})
    assert TurnIndex(overlapping).speaker_at("d", 6, 10) == "A"


# ---------------------------------------------------------------------------- in coder sheets


@pytest.fixture(scope="module")
def book():
    return read_codebook(MINI / "codebook.yaml")


DOCS = pd.DataFrame(
    {
        "document": ["1/why"],
        "participant": ["1"],
        "number": ["1"],
        "question": ["why"],
        "text": ["To grow. I wanted to grow \u2014 and to \u201cgive back\u201d."],
    }
)


def _apply(tmp_path, rows: str, book):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(rows)
    return apply_coding_sheets([sheet], DOCS, book, document_key=["number", "question"], root_code_from="question")


def test_an_excerpt_found_twice_is_an_error_naming_both_places(tmp_path, book):
    with pytest.raises(InputError) as info:
        _apply(tmp_path, "number,question,code,excerpt,coder\n1,why,growth,grow,AB\n", book)
    # "grow" stands at 3 ("To grow.") and at 21 ("wanted to grow"), counted by hand
    assert "sheet.csv, row 2, field 'excerpt'" in str(info.value)
    assert "occurs 2 times (at [3, 7), [21, 25))" in str(info.value)
    assert "occurrence" in str(info.value)


def test_the_occurrence_column_picks_one(tmp_path, book):
    coded = _apply(tmp_path, "number,question,code,excerpt,coder,occurrence\n1,why,growth,grow,AB,2\n", book)
    assert coded.segments[["start", "end"]].values.tolist() == [[21, 25]]


def test_an_occurrence_out_of_range_is_an_error(tmp_path, book):
    with pytest.raises(InputError, match="field 'occurrence': expected a whole number from 1 to 2, found '3'"):
        _apply(tmp_path, "number,question,code,excerpt,coder,occurrence\n1,why,growth,grow,AB,3\n", book)


def test_a_tolerant_match_is_coded_and_listed_for_checking(tmp_path, book):
    coded = _apply(tmp_path, 'number,question,code,excerpt,coder\n1,why,giving-back,"to ""Give Back""",AB\n', book)
    assert coded.segments["text"].tolist() == ["to \u201cgive back\u201d"]
    assert coded.tolerant[["row", "excerpt", "matched text"]].values.tolist() == [
        [2, 'to "Give Back"', "to \u201cgive back\u201d"]
    ]


def test_exact_excerpts_are_not_listed_as_tolerant(tmp_path, book):
    coded = _apply(tmp_path, "number,question,code,excerpt,coder\n1,why,growth,To grow.,AB\n", book)
    assert coded.tolerant.empty
