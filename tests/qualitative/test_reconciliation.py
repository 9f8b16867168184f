"""Tests of peerstudy.qualitative.reconciliation: the disagreements sheet and the consensus built from
the decisions (``reconcile`` on a study's coder sheets is tested in test_coding.py, test_bad_inputs.py
and test_qdaproject.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from peerstudy.errors import ConfigError, InputError
from peerstudy.qualitative.reconciliation import apply_reconciliation, disagreements
from peerstudy.stats.codetable import agreement_table


def tidy(rows, columns=("segment", "code", "coder")):
    return pd.DataFrame(rows, columns=list(columns))


# Two coders, five segments; s1 carries two codes; Ann applied A to s1 twice
# (counts once); s5 was coded by nobody.
#   A: Ann {s1, s2}, Ben {s1, s2}
#   B: Ann {s1},     Ben {s2}
#   C: Ann {s3},     Ben {s4}
TWO_CODERS = tidy(
    [
        ("s1", "A", "Ann"),
        ("s1", "A", "Ann"),
        ("s1", "B", "Ann"),
        ("s2", "A", "Ann"),
        ("s3", "C", "Ann"),
        ("s1", "A", "Ben"),
        ("s2", "A", "Ben"),
        ("s2", "B", "Ben"),
        ("s4", "C", "Ben"),
    ]
)
ALL_SEGMENTS = ["s1", "s2", "s3", "s4", "s5"]


# ---------------------------------------------------------------------------
# disagreements and apply_reconciliation
# ---------------------------------------------------------------------------

TEXT = {"s1": "I felt heard.", "s2": "We met weekly.", "s3": "It was hard.", "s4": "No comment."}


def test_disagreements_sheet():
    # from TWO_CODERS: B in s1 (Ann), B in s2 (Ben), C in s3 (Ann), C in s4 (Ben)
    sheet = disagreements(TWO_CODERS, text=TEXT)
    assert list(sheet.columns) == ["segment", "code", "applied_by", "not_applied_by", "text", "decision"]
    assert sheet[["segment", "code", "applied_by", "not_applied_by"]].values.tolist() == [
        ["s1", "B", "Ann", "Ben"],
        ["s2", "B", "Ben", "Ann"],
        ["s3", "C", "Ann", "Ben"],
        ["s4", "C", "Ben", "Ann"],
    ]
    assert sheet["text"].tolist() == ["I felt heard.", "We met weekly.", "It was hard.", "No comment."]
    assert sheet["decision"].isna().all()
    # text as a Series or a DataFrame, segments without text -> NaN
    as_frame = pd.DataFrame({"segment": ["s1", "s3"], "text": ["one", "three"]})
    assert disagreements(TWO_CODERS, text=as_frame)["text"].tolist()[::2] == ["one", "three"]
    assert disagreements(TWO_CODERS, text=pd.Series(TEXT))["text"].tolist() == sheet["text"].tolist()
    assert disagreements(TWO_CODERS)["text"].isna().all()


def test_disagreements_three_coders():
    codings = tidy([("s1", "A", "X"), ("s1", "A", "Z"), ("s1", "B", "X"), ("s1", "B", "Y"), ("s1", "B", "Z")])
    sheet = disagreements(codings)
    assert sheet[["segment", "code", "applied_by", "not_applied_by"]].values.tolist() == [["s1", "A", "X; Z", "Y"]]


def test_disagreements_text_validation():
    with pytest.raises(InputError, match="one text per segment"):
        disagreements(TWO_CODERS, text=pd.Series(["a", "b"], index=["s1", "s1"]))
    with pytest.raises(InputError, match="columns \\['segment', 'text'\\]"):
        disagreements(TWO_CODERS, text=pd.DataFrame({"segment": ["s1"], "body": ["x"]}))
    with pytest.raises(ConfigError, match="a mapping, Series or DataFrame"):
        disagreements(TWO_CODERS, text=["x"])


def test_apply_reconciliation_builds_consensus():
    sheet = disagreements(TWO_CODERS, text=TEXT)
    sheet["decision"] = ["keep", "drop", " Keep ", "DROP"]
    consensus = apply_reconciliation(TWO_CODERS, sheet)
    # agreed: A in s1 and s2; kept from the sheet: B in s1, C in s3
    assert consensus.values.tolist() == [
        ["s1", "A", "agreed"],
        ["s1", "B", "reconciled"],
        ["s2", "A", "agreed"],
        ["s3", "C", "reconciled"],
    ]


def test_apply_reconciliation_missing_decision():
    sheet = disagreements(TWO_CODERS).iloc[:3].assign(decision=["keep", "drop", "keep"])
    with pytest.raises(InputError, match="a decision for every disagreement") as err:
        apply_reconciliation(TWO_CODERS, sheet)
    assert "('s4', 'C')" in str(err.value)
    assert err.value.problems[0].field == "decisions"


def test_apply_reconciliation_reports_sheet_rows_and_fields():
    sheet = disagreements(TWO_CODERS).assign(decision=["keep", "drop", "keep", "drop"])
    extra = pd.DataFrame(
        {
            "segment": ["s9", "s1", "s1", "s2", "s1"],
            "code": ["B", "Z", "A", "B", "B"],
            "decision": ["keep", "keep", "drop", None, "maybe"],
        }
    )
    bad = pd.concat([sheet, extra], ignore_index=True)  # data rows 2-5 fine, 6-10 bad
    with pytest.raises(InputError) as err:
        apply_reconciliation(TWO_CODERS, bad)
    found = {(p.row, p.field) for p in err.value.problems}
    assert (6, "segment") in found  # unknown segment s9
    assert (7, "code") in found  # unknown code Z
    assert (8, "code") in found  # A in s1 is agreed: no decision allowed
    assert (9, "decision") in found  # empty decision
    assert (9, "code") in found  # second row for (s2, B)
    assert (10, "decision") in found  # 'maybe' is not in the vocabulary
    message = str(err.value)
    assert "row 6, field 'segment': expected a segment that appears in the codings, found 's9'" in message
    assert "expected one of ['keep', 'drop'], found 'maybe'" in message


def test_apply_reconciliation_validation():
    with pytest.raises(InputError, match="columns \\['segment', 'code', 'decision'\\]"):
        apply_reconciliation(TWO_CODERS, pd.DataFrame({"segment": ["s1"], "code": ["B"]}))
    with pytest.raises(InputError, match="a DataFrame"):
        apply_reconciliation(TWO_CODERS, [("s1", "B", "keep")])


def test_consensus_agreement_with_itself_is_perfect():
    sheet = disagreements(TWO_CODERS).assign(decision=["keep", "drop", "keep", "drop"])
    consensus = apply_reconciliation(TWO_CODERS, sheet)
    both = pd.concat([consensus.assign(coder="c1"), consensus.assign(coder="c2")])
    table = agreement_table(both[["segment", "code", "coder"]], segments=ALL_SEGMENTS)
    assert (table["percent_agreement"] == 1.0).all()
    assert table["n_some"].tolist() == [0, 0, 0, 0]
