"""Coder sheets to segments and codings; unknown codes and excerpts are clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import MINI
from peerstudy.cleaning.clean import clean_export
from peerstudy.errors import InputError
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import Coded, apply_coding_sheets, count_codes
from peerstudy.qualitative.reconciliation import reconcile


@pytest.fixture(scope="module")
def documents():
    return clean_export(
        MINI / "export.csv", MINI / "fields.yaml", text_fields=["why"], analyse_text_if="experienced"
    ).documents.assign(question="why")


@pytest.fixture(scope="module")
def book():
    return read_codebook(MINI / "codebook.yaml")


def apply(sheet, documents, book):
    return apply_coding_sheets([sheet], documents, book, document_key=["number", "question"], root_code_from="question")


def test_segments_carry_offsets_into_their_document(documents, book):
    coded = apply(MINI / "coding-sheet.csv", documents, book)
    texts = documents.set_index("document")["text"]
    for seg in coded.segments.itertuples():
        assert texts[seg.document][seg.start : seg.end] == seg.text
    assert coded.codings["code"].tolist() == ["giving-back", "growth", "company"]
    assert coded.codings["row"].tolist() == [2, 3, 4]


def test_code_frequencies_match_an_independent_count(documents, book):
    coded = apply(MINI / "coding-sheet.csv", documents, book)
    counts = count_codes(coded.codings, coded.segments, book)
    sheet = pd.read_csv(MINI / "coding-sheet.csv")
    assert (
        counts["codings"].drop("why").to_dict()
        == sheet["code"].value_counts().reindex(counts.index.drop("why")).to_dict()
    )
    assert counts.loc["giving-back", "participants"] == 1


def test_unknown_code_names_file_row_field_and_suggests(tmp_path, documents, book):
    sheet = tmp_path / "s.csv"
    sheet.write_text("number,question,code,excerpt,coder\n1,why,growht,And to grow.,AB\n")
    with pytest.raises(
        InputError,
        match=r"s\.csv, row 2, field 'code': expected a code defined in the codebook, "
        r"found 'growht'\. Fix: did you mean 'growth'",
    ):
        apply(sheet, documents, book)


def test_excerpt_not_in_document_and_unknown_document_reported_together(tmp_path, documents, book):
    sheet = tmp_path / "s.csv"
    sheet.write_text(
        "number,question,code,excerpt,coder\n1,why,growth,And to shrink.,AB\n9,why,growth,,AB\n3,why,growth,,AB\n"
    )
    with pytest.raises(InputError) as info:
        apply(sheet, documents, book)
    text = str(info.value)
    assert "3 problems found" in text
    assert "row 2, field 'excerpt': expected text that occurs in document '1/why'" in text
    assert "row 3, field 'number, question': expected a document of the cleaned data" in text
    # respondent 3 has no peer support experience: the answer is not analysed, so not codable
    assert "row 4, field 'number, question'" in text


def test_a_question_named_by_its_text_is_told_how_the_documents_name_it(tmp_path, documents, book):
    # the mini survey's question "Why did you start?" is the field why
    # (tests/fixtures/mini-survey/fields.yaml); respondent 3 is not analysed (no experience)
    sheet = tmp_path / "s.csv"
    sheet.write_text("number,question,code,excerpt,coder\n1,Why did you start?,growth,,AB\n3,why,growth,,AB\n")
    with pytest.raises(InputError) as info:
        apply(sheet, documents, book)
    text = str(info.value)
    assert "no analysed document has question 'Why did you start?' (they have why): correct it" in text
    assert "no analysed document has number '3'" in text


def test_code_under_the_wrong_question_and_repeated_coding(tmp_path, documents, book):
    docs = documents.assign(question=["why", "other"])
    sheet = tmp_path / "s.csv"
    sheet.write_text(
        "number,question,code,excerpt,coder\n4,other,company,,AB\n1,why,growth,And to grow.,AB\n"
        "1,why,growth,And to grow.,AB\n"
    )
    with pytest.raises(InputError) as info:
        apply(sheet, docs, book)
    text = str(info.value)
    assert "row 2, field 'code': expected a code under 'other'" in text
    assert "row 4, field 'code': expected each coding once per coder" in text


def test_offsets_locate_a_segment_and_must_match_the_excerpt(tmp_path, documents, book):
    text = documents.set_index("document").loc["1/why", "text"]
    start = text.index("And to grow.")
    sheet = tmp_path / "s.csv"
    sheet.write_text(
        f"number,question,code,excerpt,coder,start,end\n1,why,growth,,AB,{start},{start + 12}\n"
        f"1,why,growth,And to shrink.,CD,{start},{start + 12}\n1,why,growth,,EF,9,3\n"
    )
    with pytest.raises(InputError) as info:
        apply(sheet, documents, book)
    text_ = str(info.value)
    assert "2 problems" in text_
    assert "row 3, field 'excerpt': expected the text at [" in text_
    assert "row 4, field 'start, end': expected 0 <= start < end <=" in text_
    sheet.write_text(f"number,question,code,excerpt,coder,start,end\n1,why,growth,,AB,{start},{start + 12}\n")
    assert apply(sheet, documents, book).segments["text"].tolist() == ["And to grow."]


def test_documents_only_one_coder_coded_enter_the_consensus_as_coded():
    # d1 coded by X and Y (agreeing), d2 by X alone: its coding is kept as "single coder",
    # and needs no reconciliation row.
    segs = pd.DataFrame({"segment": ["a", "b"], "document": ["d1", "d2"], "text": ["x", "y"]})
    cods = pd.DataFrame(
        {"segment": ["a", "a", "b"], "unit": ["a", "a", "b"], "code": ["k", "k", "m"], "coder": ["X", "Y", "X"]}
    )
    consensus = reconcile(Coded(segments=segs, codings=cods)).consensus
    assert consensus[["segment", "code", "source"]].values.tolist() == [
        ["a", "k", "agreed"],
        ["b", "m", "single coder"],
    ]
