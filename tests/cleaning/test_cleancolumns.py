"""The export read column by column (issue 14: by arrays, not cell by cell): the cleaning log
and the typed values stay those of a row-by-row reading."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import MINI, examples
from peerstudy.cleaning.clean import clean_export
from peerstudy.cleaning.cleaninglog import LOG_COLUMNS, CleaningLog

NUMBER = "number: spaces, unit or full-width digits removed"
CATEGORY = "spelling variant → canonical label"
YES_NO = "yes/no spelling → true/false"
TEXT = "text: Unicode NFC, line endings, outer spaces"
MISSING = "missing marker → no answer"


@pytest.fixture
def mini(tmp_path):
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    return folder


def test_the_whole_log_of_the_mini_survey_is_the_hand_made_one(mini):
    # Written by hand from tests/fixtures/mini-survey (export.csv, CRLF line ends, one line
    # break inside the first answer; fields.yaml) and the rules of peerstudy.cleaning.clean:
    # a category is unchanged only as its canonical label, a yes/no only as its first
    # spelling ("yes", "no"); row 4 is blank, row 6 repeats row 5 (time not compared).
    # Order: the sub-header, then row by row and field by field, then the dropped rows.
    expected = [
        (2, "(whole row)", "sub-header row", "(dropped)", "extra header row dropped"),
        (3, "Age", " 30 years", "30", NUMBER),
        (3, "Gender", "Female", "female", CATEGORY),
        (3, "Peer support before?", "Yes", "True", YES_NO),
        (
            3,
            "Why did you start?",
            'I wanted to "give back", really.\r\nAnd to grow.',
            'I wanted to "give back", really.\nAnd to grow.',
            TEXT,
        ),
        (5, "Age", "４５", "45", NUMBER),
        (5, "Gender", "m", "male", CATEGORY),
        (5, "Why did you start?", "N/A", "(missing)", MISSING),
        (6, "Age", "４５", "45", NUMBER),
        (6, "Gender", "m", "male", CATEGORY),
        (6, "Why did you start?", "N/A", "(missing)", MISSING),
        (7, "Gender", "F", "female", CATEGORY),
        (7, "Peer support before?", "y", "True", YES_NO),
        (4, "(whole row)", "No. 2, no answers", "(dropped)", "blank (unreturned) questionnaire dropped"),
        (6, "(whole row)", "No. 3, same answers as row 5", "(dropped)", "duplicate submission dropped"),
    ]
    log = clean_export(mini / "export.csv", mini / "fields.yaml", text_fields=["why"]).log
    assert list(log.columns) == LOG_COLUMNS
    assert [tuple(r) for r in log[LOG_COLUMNS[1:]].itertuples(index=False)] == expected
    assert log["file"].str.endswith("mini/export.csv").all()
    assert str(log["row"].dtype) == "Int64" and all(str(log[c].dtype) == "str" for c in LOG_COLUMNS if c != "row")


def test_answers_set_aside_are_logged_after_the_drops_row_by_row(mini):
    # Row 7 answered "y" (analysed) in the fixture; as "n" its answer is set aside, and so is
    # nothing of row 5, whose answer is missing. Written by hand from the fixture.
    export = mini / "export.csv"
    export.write_text(export.read_text(encoding="utf-8-sig").replace(",F,y,", ",F,n,"), encoding="utf-8")
    result = clean_export(export, mini / "fields.yaml", text_fields=["why"], analyse_text_if="experienced")
    assert result.documents["document"].tolist() == ["1/why"]
    last = result.log.iloc[-1]
    assert (last["row"], last["field"], last["before"], last["after"], last["rule"]) == (
        7,
        "Why did you start?",
        "Café talk with peers — it helped me.",
        "(not analysed)",
        "free text set aside: experienced is false",
    )
    assert result.log.iloc[-2]["rule"] == "duplicate submission dropped"


def test_ids_and_dates_of_every_spelling_read_as_one_by_one(tmp_path):
    # Plain cells (read a column at once) and the others (read one by one) side by side; the
    # expected values are the standard library's: int() of the NFKC digits, datetime.strptime.
    from datetime import datetime

    (tmp_path / "fields.yaml").write_text(
        "header_rows: 1\nmissing: ['', 'n/a']\nfields:\n"
        "  n: {column: N, type: id}\n"
        "  when: {column: When, type: datetime, format: ['%Y-%m-%d %H:%M', '%d.%m.%Y']}\n"
        "  age: {column: Age, type: integer, units: [years]}\n",
        encoding="utf-8",
    )
    rows = [
        ("1", "2024-03-01 09:05", "31"),
        ("007", "2024-3-1 9:05", "31 years"),
        ("３", " 2024-03-01 09:05", "０31"),
        ("4", "01.03.2024", "40"),
        ("5", "2024-02-29 23:59", "031"),
    ]
    (tmp_path / "export.csv").write_text("N,When,Age\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    result = clean_export(tmp_path / "export.csv", tmp_path / "fields.yaml")
    people = result.participants
    assert people["n"].tolist() == [1, 7, 3, 4, 5]
    assert people["age"].tolist() == [31, 31, 31, 40, 31]
    stamps = [datetime(2024, 3, 1, 9, 5)] * 3 + [datetime(2024, 3, 1), datetime(2024, 2, 29, 23, 59)]
    assert people["when"].tolist() == [pd.Timestamp(s) for s in stamps]
    changed = result.log[result.log["rule"] == NUMBER][["row", "field", "before", "after"]]
    # rows 3 (007), 4 (full-width 3, '31 years' and '０31'), 6 ('031'); header is row 1
    assert [tuple(r) for r in changed.itertuples(index=False)] == [
        (3, "N", "007", "7"),
        (3, "Age", "31 years", "31"),
        (4, "N", "３", "3"),
        (4, "Age", "０31", "31"),
        (6, "Age", "031", "31"),
    ]


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("one"), st.integers(min_value=0, max_value=10**6), st.text(max_size=8)),
            st.tuples(st.just("many"), st.integers(min_value=0, max_value=4), st.text(max_size=8)),
        ),
        max_size=8,
    )
)
def test_the_log_keeps_the_order_changes_were_added_in(steps):
    # The reference is the log as one table of the changes' dicts, in the order they were
    # made (how the log was built before issue 14); changes added as arrays must land in
    # the same places, with the same dtypes.
    log, made = CleaningLog(file="export.csv"), []
    for kind, row, text in steps:
        rows = [row] if kind == "one" else list(range(row))
        made += [
            {"file": "export.csv", "row": r, "field": "F", "before": text, "after": text + "!", "rule": "rule"}
            for r in rows
        ]
        if kind == "one":
            log.record(row, "F", text, text + "!", "rule")
        elif rows:
            n = len(rows)
            log.add_changes(np.array(rows), ["F"] * n, [text] * n, [text + "!"] * n, ["rule"] * n)
    reference = pd.DataFrame(made, columns=LOG_COLUMNS).astype({"row": "Int64"})
    assert len(log) == len(made)
    pd.testing.assert_frame_equal(log.to_frame(), reference, check_exact=True)
