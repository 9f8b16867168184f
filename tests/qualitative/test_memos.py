"""Memo sheets: checked against the codebook, laid out as a timeline."""

from __future__ import annotations

import pandas as pd
import pytest

from peerstudy.errors import InputError
from peerstudy.qualitative.memos import memo_timeline, read_memos

BOOK = pd.DataFrame(
    {
        "label": ["Core", "Trust", "Early trust", "Empathy"],
        "parent": [None, "core", "trust", "core"],
        "depth": [0, 1, 2, 1],
    },
    index=pd.Index(["core", "trust", "early", "empathy"], name="code"),
)


def test_memos_read_and_timeline(tmp_path):
    (tmp_path / "m.csv").write_text(
        "memo,date,codes,title,text\nM2,2023-04-01,early; empathy,Second,t\nM1,2023-03-01,trust,First,t\n"
    )
    memos = read_memos(tmp_path / "m.csv", BOOK)
    assert memos["memo"].tolist() == ["M1", "M2"]
    assert "text" not in memos
    timeline = memo_timeline(memos, BOOK, depth=1)
    assert timeline[["memo", "date", "code"]].values.tolist() == [
        ["M1", "2023-03-01", "trust"],
        ["M2", "2023-04-01", "trust"],
        ["M2", "2023-04-01", "empathy"],
    ]


def test_bad_memos_are_reported_together(tmp_path):
    (tmp_path / "m.csv").write_text(
        "memo,date,codes,title,text\nM1,01/03/2023,trust,a,t\nM2,2023-03-02,trsut,b,t\nM3,2023-03-03,,c,t\n"
    )
    with pytest.raises(InputError) as info:
        read_memos(tmp_path / "m.csv", BOOK)
    text = str(info.value)
    assert "m.csv, row 2, field 'date': expected a date as YYYY-MM-DD, found '01/03/2023'" in text
    assert (
        "m.csv, row 3, field 'codes': expected codes defined in the codebook, found 'trsut'. Fix: did you mean 'trust'"
        in text
    )
    assert "m.csv, row 4, field 'codes': expected at least one code the memo develops" in text
