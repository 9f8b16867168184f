"""The study's .qdpx: every coder's codings, the consensus and the stability re-coding as
REFI-QDA users, and the analytic memos as notes, valid against the REFI-QDA schema and
read back by the project's own reader (fixture: tests/fixtures/qda-study/, invented)."""

from __future__ import annotations

import csv
import zipfile
from collections import Counter

import pandas as pd
import pytest
import xmlschema

from helpers import FIXTURES, TESTS, qda_study_documents
from peerstudy.errors import InputError
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import apply_coding_sheets
from peerstudy.qualitative.memos import read_memos
from peerstudy.qualitative.qdaproject import qda_codings
from peerstudy.qualitative.reconciliation import reconcile
from peerstudy.qualitative.refi import read_refi, write_qdpx
from peerstudy.qualitative.units import read_unit_sheets

STUDY = FIXTURES / "qda-study"
BOOK = FIXTURES / "mini-interviews" / "codebook.yaml"
SCHEMA = TESTS / "schemas" / "Project.xsd"
DOCUMENTS = qda_study_documents()


def sheet_rows(name: str) -> list[dict]:
    with open(STUDY / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    book = read_codebook(BOOK)
    coded = apply_coding_sheets(
        [STUDY / "coder-ko.csv", STUDY / "coder-lu.csv"], DOCUMENTS, book, document_key=["document"], unit_column="unit"
    )
    consensus = reconcile(coded, STUDY / "reconciliation.csv").consensus
    recoded = read_unit_sheets([STUDY / "coder-mi.csv"], coded, book)
    memos = read_memos(STUDY / "memos.csv", book)
    path = tmp_path_factory.mktemp("qda") / "project.qdpx"
    table = qda_codings(coded.codings, consensus, recoded)
    write_qdpx(path, book, DOCUMENTS, coded.segments, table, memos=memos)
    return path, book


def test_the_project_validates_against_the_schema(written):
    path, _ = written
    xml = zipfile.ZipFile(path).read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(str(SCHEMA)).validate(xml)  # raises on any violation


def test_each_coder_reads_back_with_the_codings_of_their_sheet(written):
    path, book = written
    project = read_refi(path, codebook=book)
    # counted independently from the sheets: one coding per row, by the coder column
    expected = Counter(
        r["coder"] for name in ("coder-ko.csv", "coder-lu.csv", "coder-mi.csv") for r in sheet_rows(name)
    )
    # the consensus by hand: agreed U1 S2 and U2 S1, kept U3 S3 and U4 S4 (reconciliation.csv)
    expected["consensus"] = 4
    assert Counter(project.codings["coder"]) == expected == Counter(KO=4, LU=5, MI=2, consensus=4)
    assert sorted(project.users["name"]) == ["KO", "LU", "MI", "consensus"]  # one user each, by their label
    # what each coder coded: (excerpt, code) as in their sheet; the re-coder's units via the sheets' excerpts
    texts = project.segments.set_index("segment")["text"]
    back = {c: sorted(zip(texts[g["segment"]], g["code"], strict=True)) for c, g in project.codings.groupby("coder")}
    for name, coder in (("coder-ko.csv", "KO"), ("coder-lu.csv", "LU")):
        assert back[coder] == sorted((r["excerpt"], r["code"]) for r in sheet_rows(name))
    excerpt_of = {r["unit"]: r["excerpt"] for r in sheet_rows("coder-lu.csv")}
    assert back["MI"] == sorted((excerpt_of[r["unit"]], r["code"]) for r in sheet_rows("coder-mi.csv"))


def test_coders_share_the_selection_of_a_span_and_keep_their_own_where_spans_differ(written):
    path, book = written
    project = read_refi(path, codebook=book)
    units = project.codings.groupby("unit")["coder"].agg(lambda s: sorted(set(s)))
    assert units["U1"] == ["KO", "LU", "MI", "consensus"]
    # U4 (LU's whole sentence, kept) and U5 (KO's part of it) are two selections
    assert units["U4"] == ["LU", "consensus"] and units["U5"] == ["KO"]
    cod = project.codings
    assert cod.loc[(cod["unit"] == "U2") & (cod["coder"] == "KO"), "note"].tolist() == ["slow & steady"]


def test_memos_round_trip_as_notes_on_their_codes(written):
    path, book = written
    memos = read_refi(path, codebook=book).memos.set_index("memo")
    rows = sheet_rows("memos.csv")
    assert memos.index.tolist() == [r["memo"] for r in rows]
    for r in rows:
        assert memos.at[r["memo"], "title"] == r["title"]
        assert memos.at[r["memo"], "date"] == pd.Timestamp(r["date"])
        assert sorted(memos.at[r["memo"], "codes"]) == sorted(c.strip() for c in r["codes"].split(";"))
        assert r["text"] not in set(memos["text"])  # memo texts stay with the raw data


def test_a_unit_naming_two_spans_gets_a_selection_per_span():
    codings = pd.DataFrame(
        {"segment": ["d@0-4", "d@0-9"], "unit": ["U1", "U1"], "code": ["a", "a"], "coder": ["A", "B"]}
    )
    consensus = pd.DataFrame({"segment": ["d@0-9"], "unit": ["U1"], "code": ["a"]})
    table = qda_codings(codings, consensus)
    assert table["unit"].tolist() == ["U1 d@0-4", "U1 d@0-9", "U1 d@0-9"]


def test_a_coder_called_consensus_is_refused():
    codings = pd.DataFrame({"segment": ["d@0-4"], "code": ["a"], "coder": ["consensus"]})
    with pytest.raises(InputError, match="coder labels other than 'consensus'"):
        qda_codings(codings, codings[["segment", "code"]])


def test_memos_on_unknown_codes_are_refused_together(tmp_path):
    book = read_codebook(BOOK)
    project = read_refi(FIXTURES / "qdpx" / "two_coders.qdpx", codebook=book)
    memos = pd.DataFrame({"memo": ["M1", "M1"], "codes": [["S9"], ["S1"]], "documents": [["I09"], []]})
    with pytest.raises(InputError) as info:
        write_qdpx(tmp_path / "p.qdpx", book, project.documents, project.segments, project.codings, memos=memos)
    assert [p.field for p in info.value.problems] == ["memos.codes", "memos.documents", "memos.memo"]
    assert not (tmp_path / "p.qdpx").exists()


def test_existing_inputs_read_as_before_with_their_memos_listed():
    nvivo = read_refi(FIXTURES / "qdpx" / "nvivo_crlf_emoji.qdpx")
    # the NVivo fixture has one project memo, attached to nothing: still skipped, now also in memos
    assert nvivo.skipped["name"].tolist() == ["project memo"]
    assert nvivo.memos[["memo", "text", "codes", "documents"]].values.tolist() == [
        ["project memo", "A memo about the project, not a coding.", [], []]
    ]
    assert read_refi(FIXTURES / "qdpx" / "two_coders.qdpx").memos.empty
