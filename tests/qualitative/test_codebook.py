"""The codebook tree: reading, and every problem reported with its line."""

from __future__ import annotations

import pytest

from helpers import MINI
from peerstudy.errors import InputError
from peerstudy.qualitative.codebook import children, read_codebook


def test_tree_depths_and_roots():
    book = read_codebook(MINI / "codebook.yaml")
    assert book.index.tolist() == ["why", "giving-back", "growth", "company"]
    assert book["depth"].tolist() == [0, 1, 1, 1]
    assert set(book["root"]) == {"why"}
    assert children(book, "why") == ["giving-back", "growth", "company"]


def test_survey_codebook_has_the_published_structure():
    # Yamashita et al. (2017), Tables 1-3: 6 motivation, 6 fulfilment, 5 issues categories.
    book = read_codebook("data/raw/supporter-survey/codebook.yaml")
    assert [len(children(book, q)) for q in ("motivation", "fulfilment", "issues")] == [6, 6, 5]


def test_numbered_codes_are_taken_as_written(tmp_path):
    # codebooks number their codes; YAML reads 1.10 as the number 1.1 and 2.0 as 2.0, so the
    # tenth sub-code of 1 clashed with the first; the ids are what the file (and a coder
    # sheet) says
    (tmp_path / "n.yaml").write_text(
        "codes:\n"
        "  - {code: 1, label: Motives, definition: d}\n"
        "  - {code: 1.1, label: First, definition: d, parent: 1}\n"
        "  - {code: 1.10, label: Tenth, definition: d, parent: 1}\n"
        "  - {code: 2.0, label: Two, definition: d}\n"
        "  - {code: '2.1', label: Quoted, definition: d, parent: 2.0}\n"
    )
    book = read_codebook(tmp_path / "n.yaml")
    assert book.index.tolist() == ["1", "1.1", "1.10", "2.0", "2.1"]
    assert book["parent"].tolist()[1:3] == ["1", "1"] and book.loc["2.1", "parent"] == "2.0"
    assert children(book, "1") == ["1.1", "1.10"]


def test_problems_name_file_line_and_field(tmp_path):
    (tmp_path / "b.yaml").write_text(
        "codes:\n"
        "  - {code: a, label: A, definition: d, parent: null}\n"
        "  - {code: a, label: A2, definition: d, parent: null}\n"
        "  - {code: b, label: B, definition: '', parent: a}\n"
        "  - {code: c, label: C, definition: d, parent: zz}\n"
    )
    with pytest.raises(InputError) as info:
        read_codebook(tmp_path / "b.yaml")
    text = str(info.value)
    assert "b.yaml, row 3, field 'code': expected a code id used once, found 'a', already defined at line 2" in text
    assert "b.yaml, row 4, field 'definition': expected a non-empty value" in text
    assert "b.yaml, row 5, field 'parent': expected the code of another entry, or null, found 'zz'" in text


def test_cycle_is_refused(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "codes:\n  - {code: a, label: A, definition: d, parent: b}\n  - {code: b, label: B, definition: d, parent: a}\n"
    )
    with pytest.raises(InputError, match="expected a tree"):
        read_codebook(tmp_path / "c.yaml")
