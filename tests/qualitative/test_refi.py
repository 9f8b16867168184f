"""REFI-QDA: real exports and hand-made projects read into the project's tables; unsafe
files refused; what the writer writes is schema-valid and reads back exactly; agreement
from a .qdpx equals agreement from the same codings given as coder sheets."""

from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from helpers import FIXTURES, TESTS, examples, qda_study_documents, samples_dir
from peerstudy.errors import ConfigError, InputError
from peerstudy.qualitative import refi
from peerstudy.qualitative.codebook import read_codebook
from peerstudy.qualitative.coding import Coded, apply_coding_sheets
from peerstudy.qualitative.refi import coded_from_refi, read_refi, refi_guid, write_qdc, write_qdpx
from peerstudy.qualitative.reliability import reliability_summary
from peerstudy.stats.codetable import agreement_table

QDPX = FIXTURES / "qdpx"
SCHEMAS = TESTS / "schemas"
MINI_BOOK = FIXTURES / "mini-interviews" / "codebook.yaml"


def sample(name: str) -> Path:
    path = samples_dir("qdpx") / name
    if not path.is_file():
        pytest.skip(f"real sample {name} not in shared/samples/qdpx/")
    return path


@pytest.fixture(scope="module")
def project_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "Project.xsd"))


@pytest.fixture(scope="module")
def codebook_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMAS / "Codebook.xsd"))


@pytest.fixture(scope="module")
def mini_book() -> pd.DataFrame:
    return read_codebook(MINI_BOOK)


def spans_are_exact(project: refi.RefiProject) -> bool:
    texts = project.documents.set_index("document")["text"]
    return all(texts[s.document][s.start : s.end] == s.text for s in project.segments.itertuples())


def rezip(src: Path, dest: Path, change=None, add: dict[str, bytes] | None = None) -> Path:
    """Copy a .qdpx, optionally changing project.qde (a function of its text) and adding members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "project.qde" and change:
                data = change(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dest


def qdpx_from(tmp_path: Path, project_xml: str, members: dict[str, bytes] | None = None, name="p.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", project_xml.encode("utf-8"))
        for k, v in (members or {}).items():
            zf.writestr(k, v)
    return path


# ---------------------------------------------------------------------------
# Real exports (counts as stated in ../shared/samples/README.md)
# ---------------------------------------------------------------------------


def test_qualitative_coding_demo_counts():
    p = read_refi(sample("cproctor_demo.qdpx"))
    assert len(p.codebook) == 262
    assert p.codebook["depth"].max() + 1 == 7  # seven levels
    assert len(p.users) == 1 and p.users["coder"].tolist() == ["cp"]
    assert len(p.documents) == 2
    assert len(p.selections) == 158
    assert len(p.codings) == 205
    assert int((p.codings.groupby("unit").size() >= 2).sum()) == 37
    assert p.skipped.empty and p.offsets == "codepoints"
    assert spans_are_exact(p)
    # bare plainTextPath (no internal://) resolved; names repeat, so ids are guids
    assert p.documents["document"].tolist() == ["board_2017", "admin-1"]
    assert (p.codebook["label"] == "citizenship").sum() == 3
    assert p.codebook.index.is_unique
    assert p.codings["coder"].eq("cp").all() and p.codings["row"].eq(1).all()  # one-line XML
    counts = p.summary().set_index("item")["count"]
    assert counts[["text sources", "codes", "users", "selections", "codings", "skipped"]].tolist() == [
        2,
        262,
        1,
        158,
        205,
        0,
    ]


def test_nvivo_sample_with_one_byte_texts():
    path = sample("cproctor_nvivo_project.qdpx")
    with zipfile.ZipFile(path) as zf:
        assert "sources/.root" in zf.namelist()
    p = read_refi(path)
    assert len(p.codebook) == 262 and len(p.users) == 2 and len(p.documents) == 2
    assert p.users["coder"].tolist() == ["chrisp", "cp"]
    assert p.documents["text"].tolist() == ["\n", "\n"]
    assert p.selections.empty and p.codings.empty
    empty = p.skipped[p.skipped["kind"] == "text"]
    assert len(empty) == 2 and empty["reason"].str.contains("blank").all()


def test_the_two_cproctor_exports_hold_the_same_code_tree():
    a, b = read_refi(sample("cproctor_demo.qdpx")), read_refi(sample("cproctor_nvivo_project.qdpx"))

    def tree(book):
        return [
            (r.label, None if pd.isna(r.parent) else book.at[r.parent, "label"], r.depth) for r in book.itertuples()
        ]

    assert tree(a.codebook) == tree(b.codebook)


def test_taguette_codebook(codebook_schema):
    path = sample("taguette_tests_expected_codebook.qdc")
    p = read_refi(path)
    assert p.codebook["label"].tolist() == ["interesting", "people", "interesting\\places"]
    assert p.codebook["depth"].eq(0).all() and p.codebook["parent"].isna().all()
    assert p.sets.empty
    assert not codebook_schema.is_valid(str(path))  # <Sets/> breaks the schema; the reader copes


def test_truncated_atlas_codebook_is_refused_with_file_and_line():
    path = sample("requal_atlasti23_codebook_truncated.qdc")
    with pytest.raises(InputError) as err:
        read_refi(path)
    message = str(err.value)
    assert len(err.value.problems) == 1
    assert "requal_atlasti23_codebook_truncated.qdc" in message
    assert err.value.problems[0].row == 17 and "row 17" in message
    assert "well-formed XML" in message and "truncated" in message


# ---------------------------------------------------------------------------
# Hand-made fixtures
# ---------------------------------------------------------------------------

NVIVO_SPANS = [
    "At first I had doubts 🤔 about a peer colleague.",
    "about a peer colleague.\r\nAnn: Over the months",
    "Over the months we built trust, 𠀋 step by step.",
    "We wrote down the tasks 📝 so everyone knew them.",
    "nobody knew 🤷🏽\u200d♀️ who should call.",
]


@pytest.fixture(scope="module")
def nvivo() -> refi.RefiProject:
    return read_refi(QDPX / "nvivo_crlf_emoji.qdpx")


def test_utf16_offsets_bom_and_crlf(nvivo):
    assert nvivo.offsets == "utf16" and "origin" in nvivo.offsets_reason
    assert nvivo.segments["text"].tolist() == NVIVO_SPANS
    assert spans_are_exact(nvivo)
    i01 = nvivo.documents.set_index("document").at["I01", "text"]
    assert i01.startswith("Interview I01\r\n")  # BOM removed, CRLF kept
    assert i01.count("\r\n") == 5 and "\ufeff" not in i01
    # the CRLF is two code points in the document, as NVivo counts it
    seg = nvivo.segments.iloc[1]
    assert seg.end - seg.start == len("about a peer colleague.\r\nAnn: Over the months") == 45


def test_declaring_the_wrong_reading_moves_the_spans(nvivo):
    wrong = read_refi(QDPX / "nvivo_crlf_emoji.qdpx", offsets="codepoints")
    assert wrong.offsets_reason == "declared by the caller"
    assert wrong.segments["text"].tolist() != NVIVO_SPANS
    assert wrong.segments["text"].iloc[0] == "t first I had doubts 🤔 about a peer colleague.\r\n"


@pytest.mark.parametrize("origin", ['origin="OtherQDA 1"', ""])
def test_without_nvivo_as_origin_the_data_decide_utf16(tmp_path, origin):
    """The issue: with the origin gone, NVivo's offsets were read as code points and cut
    words. The spans expected are the literal strings of NVIVO_SPANS (the fixture's
    README: offsets computed in UTF-16 units from these texts)."""
    path = rezip(
        QDPX / "nvivo_crlf_emoji.qdpx",
        tmp_path / "other.qdpx",
        change=lambda x: x.replace('origin="NVivo 14.23.0 (Windows)"', origin),
    )
    p = read_refi(path)
    assert p.origin == ("OtherQDA 1" if origin else "")
    assert p.offsets == "utf16" and p.offsets_reading == "UTF-16 units, CRLF as two, BOM not counted"
    assert "decided from the data" in p.offsets_reason and "0 of 5 selections cut" in p.offsets_reason
    assert p.segments["text"].tolist() == NVIVO_SPANS
    summary = p.summary().set_index("item").at["selections", "detail"]
    assert summary.startswith("offsets read as UTF-16 units, CRLF as two, BOM not counted: decided from the data")


def test_utf16_detected_when_code_points_would_end_beyond_the_text():
    p = read_refi(QDPX / "utf16_detected.qdpx")
    assert p.offsets == "utf16" and "beyond" in p.offsets_reason
    assert p.segments["text"].tolist() == ["Emoji first", "the end of the text"]
    assert p.codings["coder"].eq("unknown").all()  # no creatingUser anywhere


def test_code_points_detected_when_utf16_would_split_a_surrogate_pair():
    p = read_refi(QDPX / "qualcoder_codepoints.qdpx")
    assert p.offsets == "codepoints" and "surrogate" in p.offsets_reason
    assert p.segments["text"].tolist() == [
        "😀 then",
        "the coded part 🎉 here.",
        "And a second line.",
        "Plain ASCII text about tasks.\n",
        "the 🐍 group",
    ]
    assert spans_are_exact(p)


def test_declared_utf16_on_code_point_offsets_names_the_selection():
    with pytest.raises(InputError) as err:
        read_refi(QDPX / "qualcoder_codepoints.qdpx", offsets="utf16")
    rows = [p.row for p in err.value.problems]
    assert 21 in rows and all(
        p.field.startswith("startPosition, endPosition of <PlainTextSelection guid=") for p in err.value.problems
    )
    assert "character boundaries" in str(err.value)


def test_paths_inline_text_and_what_is_skipped():
    p = read_refi(QDPX / "qualcoder_codepoints.qdpx")
    assert p.documents["document"].tolist() == ["Session A", "Session B", "Field note"]
    assert p.documents.set_index("document").at["Field note", "text"].endswith("Second line 𝔘𝔫𝔦.")
    skipped = p.skipped.set_index("name")
    assert "PDFSource with 1 selections and 1 codings" in skipped.at["Scan", "reason"]
    assert "outside the archive" in skipped.at["External", "reason"]
    whole = p.segments.set_index("document").loc["Session B"]
    assert (whole.start, whole.end) == (0, len("Plain ASCII text about tasks.\n"))
    coders = p.codings.set_index("segment")["coder"]
    assert coders["Session A@10-16"] == "Cleo"  # no creatingUser on the coding: the selection's
    assert re.fullmatch(r"[0-9a-f-]{36}", coders["Session A@40-58"])  # a user not in <Users>: its guid
    assert p.sets.empty  # <Sets/>


def test_codes_cases_variables_notes_and_sets(nvivo):
    book = nvivo.codebook
    labels = book["label"].tolist()
    assert labels == [
        "Working together",
        "Trust",
        "Earning trust",
        "Doubts",
        "Roles",
        "Clear tasks",
        "Blurred roles",
        "Emotion",
    ]
    by_label = book.reset_index().set_index("label")
    assert not by_label.at["Working together", "codable"]
    assert by_label.at["Doubts", "depth"] == 2
    assert book.at[by_label.at["Doubts", "parent"], "label"] == "Trust"
    assert by_label.at["Doubts", "definition"] == "Early doubts 🤔 about a peer colleague."
    assert by_label.at["Earning trust", "definition"] == ""
    assert list(book.columns) == ["label", "definition", "parent", "depth", "root", "order", "codable"]

    people = nvivo.participants.set_index("participant")
    assert list(people.columns) == ["role", "peer", "age", "years", "joined", "interviewed"]
    assert people.at["P2", "role"] == "nurse — ward 3"
    assert people["peer"].tolist() == [True, False, False]  # "true", "false", "0"
    assert str(people["age"].dtype) == "Int64" and people.at["P1", "age"] == 34 and pd.isna(people.at["P3", "age"])
    assert str(people["years"].dtype) == "Float64" and people.at["P2", "years"] == 12.75
    assert str(people.at["P1", "joined"]) == "2019-04-01"
    assert people.at["P2", "interviewed"] == pd.Timestamp("2021-01-26T14:05:30Z")

    docs = nvivo.documents.set_index("document")
    assert docs.at["I02", "participant"] == "P2; P3" and docs.at["I01", "kind"] == "individual interview"
    assert nvivo.segments.set_index("document").loc["I02", "participant"].eq("P2; P3").all()

    cod = nvivo.codings
    assert len(cod) == 8 and int((cod.groupby("unit").size() >= 2).sum()) == 2
    multi = cod[cod["segment"] == nvivo.segments.iloc[4]["segment"]]
    assert sorted(multi["coder"]) == ["Ann Coder", "Ben Coder", "Ben Coder"]
    assert cod["note"].tolist().count("First doubts 😟 noted") == 1
    assert cod["sheet"].eq("tests/fixtures/qdpx/nvivo_crlf_emoji.qdpx").all()
    assert cod["row"].min() > 100  # XML lines of the Coding elements
    assert nvivo.skipped["name"].tolist() == ["project memo"]
    assert nvivo.sets["member"].tolist()[-1] == "I01"
    assert [book.at[c, "label"] for c in nvivo.sets["member"][:2]] == ["Earning trust", "Doubts"]


def test_atlas_23_codebook_namespace_and_membercode_guid():
    p = read_refi(QDPX / "atlas23_codebook.qdc")
    assert p.origin == "ATLAS.ti Win 23.4.0"
    assert p.codebook["label"].tolist() == ["code1", "subcode 1.1", "subcode 1.1.1", "interesting\\places"]
    assert p.codebook["depth"].tolist() == [0, 1, 2, 0] and p.codebook["codable"].tolist() == [True, True, False, True]
    members = [p.codebook.at[m, "label"] for m in p.sets["member"]]
    assert members == ["subcode 1.1", "interesting\\places"]


def test_codebook_parameter_maps_guids_back_to_code_ids(mini_book):
    p = read_refi(QDPX / "two_coders.qdpx", codebook=mini_book)
    assert p.codebook.index.tolist() == ["T", "C1", "S1", "S2", "C2", "S3", "S4"]
    assert set(p.codings["code"]) == {"S1", "S2", "S3", "S4"}
    plain = read_refi(QDPX / "two_coders.qdpx")
    assert plain.codebook.index[0] == refi_guid("code", "T")


def test_summary_and_coded(mini_book):
    p = read_refi(QDPX / "two_coders.qdpx", codebook=mini_book)
    s = p.summary().set_index("item")
    assert s.loc["selections", "count"] == 8 and s.loc["segments", "count"] == 4
    coded = coded_from_refi(p)
    assert isinstance(coded, Coded) and coded.codings.equals(p.codings)
    assert coded_from_refi(p, coders=["Ann"]).codings["coder"].unique().tolist() == ["Ann"]
    with pytest.raises(ConfigError, match="Zed"):
        coded_from_refi(p, coders=["Zed"])


# ---------------------------------------------------------------------------
# Malformed and malicious files
# ---------------------------------------------------------------------------


def test_external_entity_is_refused():
    with pytest.raises(InputError) as err:
        read_refi(QDPX / "xxe.qdpx")
    message = str(err.value)
    assert "xxe.qdpx [project.qde], row 3" in message
    assert "external entity 'xxe'" in message and "XXE" in message
    assert "root:" not in message


def test_billion_laughs_is_refused_without_expanding():
    error, peak = _measured(lambda: read_refi(QDPX / "billion_laughs.qdc"))
    assert "entity declaration 'lol'" in str(error) and peak < 16 * 2**20
    err = type("Raised", (), {"value": error})
    assert err.value.problems[0].row == 3 and "billion_laughs.qdc" in str(err.value)


def test_zip_slip_member_is_refused():
    with pytest.raises(InputError, match="zip slip") as err:
        read_refi(QDPX / "zip_slip.qdpx")
    assert "'../../evil.sh'" in str(err.value)


def test_zip_bomb_is_refused_without_inflating(monkeypatch):
    path = QDPX / "zip_bomb.qdpx"
    assert path.stat().st_size < 2048
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("sources/bomb.txt").file_size == 300 * 2**20
    with pytest.raises(InputError, match="zip bomb") as err:
        read_refi(path)
    assert "314572800 bytes" in str(err.value)
    # even if the ratio check is relaxed, the member is larger than anything read
    monkeypatch.setattr(refi.archive, "MAX_COMPRESSION_RATIO", 10**9)
    with pytest.raises(InputError, match="at most 256 MiB") as err:
        read_refi(path)
    assert "zip_bomb.qdpx [sources/bomb.txt]" in str(err.value)


def test_archive_limits_are_enforced(monkeypatch):
    monkeypatch.setattr(refi.archive, "MAX_ARCHIVE_MEMBERS", 3)
    with pytest.raises(InputError, match="at most 3 members"):
        read_refi(QDPX / "nvivo_crlf_emoji.qdpx")
    monkeypatch.setattr(refi.archive, "MAX_ARCHIVE_MEMBERS", 10_000)
    monkeypatch.setattr(refi.archive, "MAX_ARCHIVE_BYTES", 1000)
    with pytest.raises(InputError, match="uncompressed"):
        read_refi(QDPX / "nvivo_crlf_emoji.qdpx")


def test_a_path_out_of_the_archive_is_refused(tmp_path):
    xml = (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n<Sources>\n'
        '<TextSource guid="3f2b5a8e-0000-4000-8000-000000000001" plainTextPath="internal://../../etc/passwd"/>\n'
        "</Sources>\n</Project>"
    )
    with pytest.raises(InputError, match="leaves the archive") as err:
        read_refi(qdpx_from(tmp_path, xml))
    assert err.value.problems[0].row == 3


def test_malformed_xml_names_the_member_and_line(tmp_path):
    xml = (
        '<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n  <Users>\n'
        '    <User guid="3f2b5a8e-0000-4000-8000-000000000001" name="a">\n  </Users>\n</Project>\n'
    )
    with pytest.raises(InputError) as err:
        read_refi(qdpx_from(tmp_path, xml))
    assert len(err.value.problems) == 1
    assert err.value.problems[0].file.endswith("p.qdpx [project.qde]") and err.value.problems[0].row == 5
    assert "mismatched tag" in str(err.value)


def test_truncated_and_non_zip_archives_are_refused(tmp_path):
    broken = tmp_path / "cut.qdpx"
    broken.write_bytes((QDPX / "nvivo_crlf_emoji.qdpx").read_bytes()[:1500])
    with pytest.raises(InputError, match="not a readable zip archive"):
        read_refi(broken)
    with pytest.raises(InputError, match="holding project.qde"):
        read_refi(_zip_without_project(tmp_path))
    with pytest.raises(InputError, match="no such file"):
        read_refi(tmp_path / "missing.qdpx")
    with pytest.raises(InputError, match=r"\.qdpx, \.qdc or \.qde"):
        read_refi(tmp_path / "project.zip")
    with pytest.raises(ConfigError, match="offsets"):
        read_refi(QDPX / "two_coders.qdpx", offsets="bytes")


def _zip_without_project(tmp_path: Path) -> Path:
    path = tmp_path / "noproject.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("sources/a.txt", b"text")
    return path


def test_every_reference_problem_is_reported_at_once(tmp_path):
    g = "3f2b5a8e-0000-4000-8000-0000000000{:02d}".format
    xml = "\n".join(
        [
            '<Project xmlns="urn:QDA-XML:project:1.0" name="x">',
            f'<CodeBook><Codes><Code guid="{g(1)}" name="A" isCodable="true"/></Codes></CodeBook>',
            f'<Variables><Variable guid="{g(2)}" name="age" typeOfVariable="Integer"/></Variables>',
            f'<Cases><Case guid="{g(3)}" name="P1"><VariableValue><VariableRef targetGUID="{g(2)}"/>',
            "<IntegerValue>forty</IntegerValue></VariableValue></Case></Cases>",
            f'<Sources><TextSource guid="{g(4)}" name="D"><PlainTextContent>Some text here.</PlainTextContent>',
            f'<PlainTextSelection guid="{g(5)}" startPosition="0" endPosition="4">',
            f'<Coding guid="{g(6)}"><CodeRef targetGUID="{g(9)}"/></Coding></PlainTextSelection>',
            f'<PlainTextSelection guid="{g(7)}" startPosition="5" endPosition="99">',
            f'<Coding guid="{g(8)}"><CodeRef targetGUID="{g(1)}"/></Coding></PlainTextSelection>',
            "</TextSource></Sources></Project>",
        ]
    )
    with pytest.raises(InputError) as err:
        read_refi(qdpx_from(tmp_path, xml))
    found = {(p.row, p.field) for p in err.value.problems}
    # each names the element with its guid (or its owner's) and the column, counted in the XML above
    assert (5, f'age of <IntegerValue> in <Case guid="{g(3)}"> (column 1)') in found
    column = xml.splitlines()[7].index("<CodeRef") + 1
    assert (8, f'targetGUID of <CodeRef targetGUID="{g(9)}"> in <Coding guid="{g(6)}"> (column {column})') in found
    # the out-of-range selection is reported once the references are sound
    fixed = xml.replace("forty", "40").replace(f'targetGUID="{g(9)}"', f'targetGUID="{g(1)}"')
    with pytest.raises(InputError) as err:
        read_refi(qdpx_from(tmp_path, fixed, name="q.qdpx"))
    assert [(p.row, p.field) for p in err.value.problems] == [
        (9, f'startPosition, endPosition of <PlainTextSelection guid="{g(7)}"> (column 1)')
    ]
    assert "0 <= start <= end <= 15" in str(err.value)


# ---------------------------------------------------------------------------
# Writer: schema-valid, deterministic, exact round trip
# ---------------------------------------------------------------------------

ROUND_TRIP = ["nvivo_crlf_emoji.qdpx", "qualcoder_codepoints.qdpx", "two_coders.qdpx", "utf16_detected.qdpx"]
TABLES = ["codebook", "participants", "documents", "segments", "selections", "users", "sets"]


def write_project(path: Path, p: refi.RefiProject) -> Path:
    return write_qdpx(path, p.codebook, p.documents, p.segments, p.codings, p.participants)


def project_qde(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("project.qde").decode("utf-8")


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip_is_exact_and_valid(name, tmp_path, project_schema, codebook_schema):
    first = read_refi(QDPX / name)
    again = read_refi(write_project(tmp_path / "a.qdpx", first))
    project_schema.validate(project_qde(tmp_path / "a.qdpx"))
    for table in ("codebook", "participants", "documents", "segments"):
        assert_frame_equal(getattr(again, table), getattr(first, table))
    assert_frame_equal(again.codings.drop(columns=["sheet", "row"]), first.codings.drop(columns=["sheet", "row"]))
    assert set(again.users["coder"]) == set(first.codings["coder"])  # users are the coders
    # a second round trip is byte-identical and reads back identical tables, rows included
    third = read_refi(write_project(tmp_path / "b.qdpx", again))
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    for table in TABLES:
        assert_frame_equal(getattr(third, table), getattr(again, table))
    assert_frame_equal(third.codings.drop(columns="sheet"), again.codings.drop(columns="sheet"))
    # and the codebook alone
    qdc = write_qdc(tmp_path / "book.qdc", first.codebook)
    codebook_schema.validate(str(qdc))
    assert_frame_equal(read_refi(qdc).codebook, first.codebook)


def test_written_archive_is_deterministic(tmp_path):
    p = read_refi(QDPX / "nvivo_crlf_emoji.qdpx")
    write_project(tmp_path / "x.qdpx", p)
    with zipfile.ZipFile(tmp_path / "x.qdpx") as zf:
        infos = zf.infolist()
    assert infos[0].filename == "project.qde"
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert all(i.filename.startswith("sources/") for i in infos[1:])
    xml = project_qde(tmp_path / "x.qdpx")
    assert f'guid="{refi_guid("user", "Ann Coder")}"' in xml and 'origin="peerstudy"' in xml
    assert xml.count("<PlainTextSelection") == 5 and "&#13;" not in xml  # CRLF text lives in the source files


def test_written_text_keeps_crlf_and_a_leading_bom_character(tmp_path, mini_book):
    text = "\ufeffStarts with a BOM character.\r\nThen 😀 a second line.\r\n"
    docs = pd.DataFrame({"document": ["D"], "participant": ["P1"], "kind": ["note"], "text": [text]})
    segs = pd.DataFrame({"segment": ["D@31-52"], "document": ["D"], "start": [31], "end": [52]})
    cods = pd.DataFrame({"segment": ["D@31-52"], "code": ["S1"], "coder": ["Zoë"], "note": ["line 1\r\nline 2"]})
    back = read_refi(write_qdpx(tmp_path / "d.qdpx", mini_book, docs, segs, cods), codebook=mini_book)
    assert back.documents.at[0, "text"] == text
    assert back.segments.at[0, "text"] == text[31:52] == "Then 😀 a second line."
    assert back.codings.at[0, "note"] == "line 1\r\nline 2" and back.codings.at[0, "coder"] == "Zoë"


def test_coder_sheets_to_qdpx_and_back(tmp_path, mini_book, project_schema):
    coded, documents = coded_from_sheets(tmp_path)
    path = write_qdpx(tmp_path / "s.qdpx", mini_book, documents, coded.segments, coded.codings)
    project_schema.validate(project_qde(path))
    back = read_refi(path, codebook=mini_book)
    assert_frame_equal(back.segments, coded.segments)
    key = ["segment", "code", "coder"]
    assert sorted(map(tuple, back.codings[key].values)) == sorted(map(tuple, coded.codings[key].values))
    # the unit ids of the sheets travel as selection names, so reconciliation sheets still apply
    key = ["segment", "unit", "code", "coder"]
    assert sorted(map(tuple, back.codings[key].values)) == sorted(map(tuple, coded.codings[key].values))


def test_writer_reports_every_problem_and_leaves_the_old_file(tmp_path, mini_book):
    p = read_refi(QDPX / "two_coders.qdpx", codebook=mini_book)
    target = write_project(tmp_path / "keep.qdpx", p)
    before = target.read_bytes()
    segs = p.segments.copy()
    segs.loc[0, "end"] = 10_000
    segs.loc[1, "text"] = "not the text"
    cods = p.codings.copy()
    cods.loc[0, "code"] = "S9"
    book = p.codebook.copy()
    book.loc["S1", "label"] = "bad \x01 label"
    with pytest.raises(InputError) as err:
        write_qdpx(target, book, p.documents, segs, cods, p.participants)
    fields = {pr.field for pr in err.value.problems}
    assert {"segments.start, end", "segments.text", "codebook.label"} <= fields
    assert target.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["keep.qdpx"]


def test_a_failure_while_writing_leaves_no_partial_file(tmp_path, monkeypatch, mini_book):
    p = read_refi(QDPX / "two_coders.qdpx", codebook=mini_book)
    target = write_project(tmp_path / "keep.qdpx", p)
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(OSError, match="disk full"):
        write_project(target, p)
    assert target.read_bytes() == before and [f.name for f in tmp_path.iterdir()] == ["keep.qdpx"]


def test_writer_does_not_modify_its_inputs(tmp_path, nvivo):
    tables = [nvivo.codebook, nvivo.documents, nvivo.segments, nvivo.codings, nvivo.participants]
    copies = [copy.deepcopy(t) for t in tables]
    write_qdpx(tmp_path / "n.qdpx", *tables)
    for t, c in zip(tables, copies, strict=False):
        assert_frame_equal(t, c)


def test_write_qdc_from_a_yaml_codebook(tmp_path, mini_book, codebook_schema):
    path = write_qdc(tmp_path / "mini.qdc", mini_book)
    codebook_schema.validate(str(path))
    back = read_refi(path, codebook=mini_book).codebook
    expected = mini_book.loc[["T", "C1", "S1", "S2", "C2", "S3", "S4"]].assign(order=range(7), codable=True)
    assert_frame_equal(back, expected)
    with pytest.raises(ConfigError, match=r"\.qdc"):
        write_qdc(tmp_path / "mini.xml", mini_book)


# property: any text (emoji, CRLF, control characters), any spans, notes and names in
# any characters XML can hold, survive writing and reading exactly

XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30).filter(
    lambda s: not refi._NOT_XML.search(s)
)
DOC_TEXT = st.text(
    st.sampled_from(list("ab \r\n\t\x00éß€😀𠀋🇰🇷\u200d♀\ufeff")) | st.characters(blacklist_categories=("Cs",)),
    min_size=1,
    max_size=60,
)


@st.composite
def tables(draw):
    n_docs = draw(st.integers(1, 3))
    texts = [draw(DOC_TEXT) for _ in range(n_docs)]
    docs = pd.DataFrame(
        {
            "document": [f"D{i}" for i in range(n_docs)],
            "participant": [f"P{i % 2}" for i in range(n_docs)],
            "kind": [draw(XML_TEXT) for _ in range(n_docs)],
            "text": texts,
        }
    )
    segs, cods = [], []
    for d, text in zip(docs["document"], texts, strict=False):
        spans = draw(
            st.sets(
                st.tuples(st.integers(0, len(text)), st.integers(0, len(text))).filter(lambda t: t[0] < t[1]),
                max_size=3,
            )
        )
        for s, e in sorted(spans):
            sid = f"{d}@{s}-{e}"
            segs.append({"segment": sid, "document": d, "start": s, "end": e, "text": text[s:e]})
            for coder in draw(st.sets(st.sampled_from(["Ann", "Bé 😀", " spaced "]), min_size=1)):
                for code in draw(st.sets(st.sampled_from(["S1", "S2", "S3", "C1"]), min_size=1)):
                    cods.append({"segment": sid, "code": code, "coder": coder, "note": draw(XML_TEXT)})
    return (
        docs,
        pd.DataFrame(segs, columns=["segment", "document", "start", "end", "text"]),
        pd.DataFrame(cods, columns=["segment", "code", "coder", "note"]),
    )


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=tables(), label=XML_TEXT)
def test_round_trip_property(tmp_path, mini_book, data, label):
    docs, segs, cods = data
    book = mini_book.copy()
    book.loc["S1", "label"] = label
    book.loc["S2", "definition"] = label
    back = read_refi(write_qdpx(tmp_path / "h.qdpx", book, docs, segs, cods), codebook=mini_book)
    assert back.documents["text"].tolist() == docs["text"].tolist()
    assert back.documents["kind"].tolist() == docs["kind"].tolist()
    assert back.codebook.at["S1", "label"] == label and back.codebook.at["S2", "definition"] == label
    assert back.offsets == "codepoints"
    got = back.segments[["segment", "document", "start", "end", "text"]]
    assert_frame_equal(
        got.reset_index(drop=True),
        segs.sort_values(["document", "start", "end"]).reset_index(drop=True),
        check_dtype=False,
    )
    key = ["segment", "code", "coder", "note"]
    assert sorted(map(tuple, back.codings[key].values)) == sorted(map(tuple, cods[key].values))
    again = read_refi(
        write_qdpx(tmp_path / "h2.qdpx", back.codebook, back.documents, back.segments, back.codings, back.participants),
        codebook=mini_book,
    )
    for table in ("codebook", "documents", "segments", "participants"):
        assert_frame_equal(getattr(again, table), getattr(back, table))
    assert_frame_equal(again.codings.drop(columns="sheet"), back.codings.drop(columns="sheet"))


# ---------------------------------------------------------------------------
# Agreement: a two-user .qdpx and the same codings as coder sheets agree exactly
# ---------------------------------------------------------------------------

SHEET_ROWS = {
    "Ann": [
        ("I01", "At first I had doubts about a peer colleague.", "S2"),
        ("I01", "Over the months we built trust step by step.", "S1"),
        ("I02", "We wrote down the tasks so everyone knew them.", "S3"),
        ("I02", "Sometimes the role was blurred and nobody knew who should call.", "S4"),
    ],
    "Ben": [
        ("I01", "At first I had doubts about a peer colleague.", "S2"),
        ("I01", "Over the months we built trust step by step.", "S1"),
        ("I02", "We wrote down the tasks so everyone knew them.", "S4"),
        ("I02", "Sometimes the role was blurred and nobody knew who should call.", "S4"),
    ],
}


def coded_from_sheets(tmp_path: Path) -> tuple[Coded, pd.DataFrame]:
    documents = qda_study_documents()
    sheets = []
    for coder, rows in SHEET_ROWS.items():
        sheet = tmp_path / f"coder-{coder}.csv"
        pd.DataFrame([{"document": d, "excerpt": e, "code": c, "coder": coder} for d, e, c in rows]).to_csv(
            sheet, index=False
        )
        sheets.append(sheet)
    return apply_coding_sheets(sheets, documents, read_codebook(MINI_BOOK), document_key=["document"]), documents


def test_agreement_from_qdpx_equals_agreement_from_coder_sheets(tmp_path, mini_book):
    project = read_refi(QDPX / "two_coders.qdpx", codebook=mini_book)
    from_refi = coded_from_refi(project)
    from_sheets, documents = coded_from_sheets(tmp_path)
    assert project.documents["text"].tolist() == documents["text"].tolist()
    assert_frame_equal(from_refi.segments, from_sheets.segments)
    codes = [c for c in mini_book.index if mini_book.at[c, "depth"] == 2]
    segments = from_refi.segments["segment"].tolist()
    a = agreement_table(from_refi.codings, segments=segments, codes=codes)
    b = agreement_table(from_sheets.codings, segments=segments, codes=codes)
    assert_frame_equal(a, b)
    r_refi = reliability_summary(from_refi.codings, ["Ann", "Ben"])
    r_sheets = reliability_summary(from_sheets.codings, ["Ann", "Ben"])
    assert_frame_equal(r_refi, r_sheets)
    values = r_refi.set_index("statistic")["value"]
    assert values["agreements"] == 3 and values["disagreements"] == 1
    assert values["percent agreement (Miles & Huberman)"] == 75.0


def test_selections_of_a_blank_export_are_skipped_not_refused(tmp_path):
    g = "3f2b5a8e-0000-4000-8000-0000000000{:02d}".format
    xml = "\n".join(
        [
            '<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="NVivo for Mac 15.0.0">',
            f'<CodeBook><Codes><Code guid="{g(1)}" name="A" isCodable="true"/></Codes></CodeBook>',
            f'<Sources><TextSource guid="{g(2)}" name="Blank" plainTextPath="internal://{g(2)}.txt">',
            f'<PlainTextSelection guid="{g(3)}" startPosition="10" endPosition="20">',
            f'<Coding guid="{g(4)}"><CodeRef targetGUID="{g(1)}"/></Coding></PlainTextSelection></TextSource>',
            f'<TextSource guid="{g(5)}" name="Full" plainTextPath="internal://{g(5)}.txt">',
            f'<PlainTextSelection guid="{g(6)}" startPosition="0" endPosition="4">',
            f'<Coding guid="{g(7)}"><CodeRef targetGUID="{g(1)}"/></Coding></PlainTextSelection></TextSource>',
            "</Sources></Project>",
        ]
    )
    p = read_refi(qdpx_from(tmp_path, xml, {f"sources/{g(2)}.txt": b"\n", f"sources/{g(5)}.txt": b"Full text"}))
    assert p.documents["text"].tolist() == ["\n", "Full text"]
    assert p.segments["text"].tolist() == ["Full"]
    skipped = p.skipped.set_index("kind")
    assert skipped.at["selection", "line"] == 4 and "cannot be located" in skipped.at["selection", "reason"]
    assert "blank (1 character(s))" in skipped.at["text", "reason"]


# ---------------------------------------------------------------------------
# The reading of offsets decided from the data (issue 15), on real selections
# ---------------------------------------------------------------------------


def _demo_variant(tmp_path: Path, name: str, *, shift_by_newlines: bool, bom: bool = False) -> tuple[Path, list[str]]:
    """The qualitative-coding demo (real texts, 158 real selections) turned into what a
    Windows program writes: CRLF line ends (and a BOM), no origin. Offsets are kept (so
    they count a CRLF as one, as a program reading with universal newlines does) or
    moved by the number of line ends before them (CRLF as two). Returns the file and the
    expected segment texts: the original spans, with LF written as CRLF."""
    source = sample("cproctor_demo.qdpx")
    original = read_refi(source)
    expected = [t.replace("\n", "\r\n") for t in original.segments["text"]]
    texts = {}
    with zipfile.ZipFile(source) as zf:
        qde = zf.read("project.qde").decode("utf-8")
        for member in zf.namelist():
            if member.startswith("sources/"):
                texts[member] = zf.read(member).decode("utf-8")
    by_file = {member.removeprefix("sources/"): text for member, text in texts.items()}

    def shift(source: re.Match) -> str:
        text = by_file[source.group(1)]
        return re.sub(
            r'(startPosition|endPosition)="(\d+)"',
            lambda m: f'{m.group(1)}="{int(m.group(2)) + text[: int(m.group(2))].count(chr(10))}"',
            source.group(0),
        )

    if shift_by_newlines:
        qde = re.sub(r'<TextSource [^>]*plainTextPath="([^"]+)"[^>]*[^/]>.*?</TextSource>', shift, qde, flags=re.DOTALL)
    qde = qde.replace(' origin="qc 1.3.2"', "")
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", qde)
        for member, text in texts.items():
            zf.writestr(member, (b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", "\r\n").encode("utf-8"))
    return path, expected


def test_real_selections_crlf_counted_as_two_are_recognised(tmp_path):
    path, expected = _demo_variant(tmp_path, "two.qdpx", shift_by_newlines=True, bom=True)
    p = read_refi(path)
    assert p.origin == "" and p.offsets_reading == "code points, CRLF as two, BOM not counted"
    assert "decided from the data, no origin named" in p.offsets_reason
    assert "0 of 158 selections cut a word or line" in p.offsets_reason  # README: 158 selections
    assert p.segments["text"].tolist() == expected and len(p.codings) == 205  # README: 205 codings
    assert spans_are_exact(p)


def test_real_selections_crlf_counted_as_one_are_recognised(tmp_path):
    path, expected = _demo_variant(tmp_path, "one.qdpx", shift_by_newlines=False)
    p = read_refi(path)
    assert p.offsets_reading == "code points, CRLF as one, BOM not counted"
    assert p.segments["text"].tolist() == expected
    # the CRLF-as-two reading of the same offsets would cut most selections: the reason says how many
    as_two = re.search(r"as code points, CRLF as two, BOM not counted: (\d+) of 158", p.offsets_reason)
    assert as_two and int(as_two.group(1)) > 79


def test_the_bom_counted_as_a_position_is_recognised(tmp_path):
    text = "Interview notes.\nWe met twice; the first talk was short.\nThe second went well."
    spans = ["We met twice", "the first talk was short.", "The second went well."]
    g = "3f2b5a8e-0000-4000-8000-0000000000{:02d}".format
    sels = "".join(
        f'<PlainTextSelection guid="{g(10 + i)}" startPosition="{text.index(s) + 1}" '
        f'endPosition="{text.index(s) + len(s) + 1}"/>'
        for i, s in enumerate(spans)
    )
    xml = (
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources><TextSource guid="{g(1)}" name="N" '
        f'plainTextPath="internal://n.txt">{sels}</TextSource></Sources></Project>'
    )
    p = read_refi(qdpx_from(tmp_path, xml, {"sources/n.txt": b"\xef\xbb\xbf" + text.encode()}))
    assert p.offsets_reading == "code points, CRLF as two, BOM counted"
    assert p.segments["text"].tolist() == spans


def test_offsets_that_fit_no_reading_are_refused(tmp_path):
    text = "Trust 😀 grew slowly between the peer worker and the nurses on the ward."
    g = "3f2b5a8e-0000-4000-8000-0000000000{:02d}".format
    # every span starts and ends inside a word, whichever way it is counted
    sels = "".join(
        f'<PlainTextSelection guid="{g(10 + i)}" startPosition="{s}" endPosition="{e}"/>'
        for i, (s, e) in enumerate([(2, 12), (15, 21), (33, 42), (50, 56)])
    )
    xml = (
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources><TextSource guid="{g(1)}" name="N">'
        f"<PlainTextContent>{text}</PlainTextContent>{sels}</TextSource></Sources></Project>"
    )
    with pytest.raises(InputError) as err:
        read_refi(qdpx_from(tmp_path, xml))
    message = str(err.value)
    assert "expected a reading of the offsets under which at most 20% of the selections cut a word" in message
    assert "as UTF-16 units, CRLF as two, BOM not counted: 4 of 4" in message and "no origin" in message
    assert "offsets='utf16'" in message
    column = xml.index(f'<PlainTextSelection guid="{g(10)}"') + 1  # one-line XML: the first selection's column
    assert (
        f'the first selection cut as code points, CRLF as two, BOM not counted: <PlainTextSelection guid="{g(10)}"> '
        f"at line 1, column {column}" in message
    )
    assert read_refi(qdpx_from(tmp_path, xml, name="q.qdpx"), offsets="codepoints").segments.shape[0] == 4


def test_nvivo_for_mac_without_its_origin(tmp_path):
    """The real NVivo for Mac export has no selections (README: one-byte texts), so no
    reading needs deciding: without its origin it reads to the same tables."""
    source = sample("cproctor_nvivo_project.qdpx")
    path = rezip(source, tmp_path / "no-origin.qdpx", change=lambda x: x.replace(' origin="NVivo for Mac 15.0.0"', ""))
    with zipfile.ZipFile(path) as zf:
        assert b"origin=" not in zf.read("project.qde")
    bare, full = read_refi(path), read_refi(source)
    assert bare.origin == "" and full.origin == "NVivo for Mac 15.0.0"
    assert "every reading gives the same spans" in bare.offsets_reason
    for table in ("codebook", "documents", "users", "selections", "skipped"):
        assert_frame_equal(getattr(bare, table), getattr(full, table))
    assert len(bare.codebook) == 262 and len(bare.users) == 2  # README: 262 codes, 2 users


# ---------------------------------------------------------------------------
# Messages name the element, its guid and the column (NVivo for Mac: one line)
# ---------------------------------------------------------------------------


def test_a_problem_in_one_line_xml_names_the_element_guid_and_column(tmp_path):
    source = sample("cproctor_demo.qdpx")
    with zipfile.ZipFile(source) as zf:
        qde = zf.read("project.qde").decode("utf-8")
    assert "\n" not in qde.strip()  # one line, as NVivo for Mac writes
    first = re.search(r'<PlainTextSelection [^>]*guid="([^"]+)"[^>]*>', qde)
    guid, tag = first.group(1), first.group(0)
    bad = re.sub(r'endPosition="\d+"', 'endPosition="10x"', tag)
    path = rezip(source, tmp_path / "bad.qdpx", change=lambda x: x.replace(tag, bad, 1))
    with pytest.raises(InputError) as err:
        read_refi(path)
    message = str(err.value)
    column = qde.index(tag) + 1  # counted in the raw XML: 1-based
    assert (
        f"row 1, field 'startPosition, endPosition of <PlainTextSelection guid=\"{guid}\"> (column {column})'"
        in message
    )
    assert "'10x'" in message


def test_truncated_atlas_codebook_names_the_column():
    with pytest.raises(InputError) as err:
        read_refi(sample("requal_atlasti23_codebook_truncated.qdc"))
    raw = sample("requal_atlasti23_codebook_truncated.qdc").read_text(encoding="utf-8")
    line17 = raw.splitlines()[16]
    assert line17.strip() == "<Code"  # the file is cut inside this tag
    assert f"'unclosed token' at column {line17.index('<Code') + 1}" in str(err.value)  # where the tag begins


# ---------------------------------------------------------------------------
# Unzipped exports: project.qde beside its sources folder
# ---------------------------------------------------------------------------


def _unzip(path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    return folder


@pytest.mark.parametrize("name", ["nvivo_crlf_emoji.qdpx", "qualcoder_codepoints.qdpx"])
def test_an_unzipped_export_reads_like_the_qdpx(tmp_path, name):
    folder = _unzip(QDPX / name, tmp_path / "export")
    zipped = read_refi(QDPX / name)
    for target in (folder / "project.qde", folder):
        p = read_refi(target)
        for table in ("codebook", "participants", "documents", "segments", "users", "sets"):
            assert_frame_equal(getattr(p, table), getattr(zipped, table))
        assert_frame_equal(p.codings.drop(columns="sheet"), zipped.codings.drop(columns="sheet"))
        assert p.offsets_reading == zipped.offsets_reading
        assert p.skipped["kind"].tolist() == zipped.skipped["kind"].tolist()


def test_an_unzipped_export_without_its_sources_folder_is_refused_once(tmp_path):
    folder = _unzip(QDPX / "nvivo_crlf_emoji.qdpx", tmp_path / "export")
    for sub in folder.iterdir():
        if sub.is_dir():
            for f in sub.iterdir():
                f.unlink()
            sub.rmdir()
    with pytest.raises(InputError) as err:
        read_refi(folder / "project.qde")
    assert len(err.value.problems) == 1
    assert "the sources folder beside project.qde" in str(err.value) and "unzip the whole .qdpx" in str(err.value)


def test_a_source_linked_out_of_an_unzipped_export_is_refused(tmp_path):
    folder = _unzip(QDPX / "two_coders.qdpx", tmp_path / "export")
    secret = tmp_path / "secret.txt"
    secret.write_text("not part of the export")
    victim = next((folder / "sources").iterdir())
    victim.unlink()
    victim.symlink_to(secret)
    with pytest.raises(InputError, match="a link to a place outside the folder"):
        read_refi(folder)


# ---------------------------------------------------------------------------
# Bombs (issue 13): each refused early, within seconds and modest memory
# ---------------------------------------------------------------------------


def raw_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip written byte by byte from members already deflated: (name, deflated data,
    uncompressed size, crc32). Lets a test build 2.5 GiB of members in milliseconds."""
    import struct

    body, central = bytearray(), bytearray()
    for name, data, size, crc in members:
        n = name.encode()
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(n), 0) + n + data
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(n),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + n
        )
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), len(data), zlib.crc32(data)


def _measured(call):
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(InputError) as err:
            call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return err.value, peak


def test_many_small_highly_compressed_members_are_a_bomb(tmp_path):
    """Issue 13: 2,500 members of 1 MiB (2.5 GiB, under the 4 GiB limit, each exactly at
    the per-member ratio threshold) ended in ArrowMemoryError at 4.4 GB."""
    zeros = _deflated(bytes(2**20))
    g = "3f2b5a8e-0000-4000-8000-{:012d}".format
    sources = "".join(
        f'<TextSource guid="{g(i)}" name="T{i}" plainTextPath="internal://t{i}.txt"/>' for i in range(2500)
    )
    xml = _deflated(
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>{sources}</Sources></Project>'.encode()
    )
    path = raw_zip(
        tmp_path / "many.qdpx", [("project.qde", *xml)] + [(f"sources/t{i}.txt", *zeros) for i in range(2500)]
    )
    assert path.stat().st_size < 5 * 2**20
    error, peak = _measured(lambda: read_refi(path))
    message = str(error)
    assert "field 'all members'" in message and "inflates at most 100 times" in message and "zip bomb" in message
    assert f"{2500 * 2**20 + xml[1]} bytes" in message  # the declared total, computed here
    assert peak < 64 * 2**20


def test_too_many_members_are_refused_with_the_limit(tmp_path):
    empty = _deflated(b"")
    path = raw_zip(tmp_path / "count.qdpx", [(f"m{i}", *empty) for i in range(10_001)])
    error, peak = _measured(lambda: read_refi(path))
    assert "expected an archive of at most 10000 members" in str(error) and "10001 members" in str(error)
    assert "MAX_ARCHIVE_MEMBERS" in str(error)
    assert peak < 64 * 2**20


def test_reading_stops_at_the_read_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(refi.archive, "MAX_READ_BYTES", 2000)
    g = "3f2b5a8e-0000-4000-8000-{:012d}".format
    sources = "".join(f'<TextSource guid="{g(i)}" name="T{i}" plainTextPath="internal://t{i}.txt"/>' for i in range(4))
    xml = f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>{sources}</Sources></Project>'
    path = qdpx_from(tmp_path, xml, {f"sources/t{i}.txt": b"x" * 600 for i in range(4)})
    with pytest.raises(InputError, match="MAX_READ_BYTES") as err:
        read_refi(path)
    assert "[sources/t" in str(err.value)


def _deep_codebook(depth: int) -> bytes:
    g = "3f2b5a8e-0000-4000-8000-{:012d}".format
    opening = "".join(f'<Code guid="{g(i)}" name="c{i}" isCodable="true">' for i in range(depth))
    return f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{opening}{"</Code>" * depth}</Codes></CodeBook>'.encode()


def test_a_deep_codebook_is_refused_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.qdc"
    path.write_bytes(_deep_codebook(100_000))
    error, peak = _measured(lambda: read_refi(path))
    message = str(error)
    assert "expected elements nested at most 200 deep" in message and "<CodeBook> <Codes> <Code> <Code>" in message
    assert "field '<Code> (column " in message and "row 1" in message
    assert peak < 64 * 2**20


def test_a_codebook_just_under_the_depth_limit_is_read_without_recursion(tmp_path):
    import sys

    path = tmp_path / "deep.qdc"
    path.write_bytes(_deep_codebook(198))  # CodeBook > Codes > 198 Codes = 200 elements deep
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)  # a recursive walk of 198 levels would fail
    try:
        book = read_refi(path).codebook
    finally:
        sys.setrecursionlimit(limit)
    assert len(book) == 198 and book["depth"].max() == 197
    assert book["label"].tolist() == [f"c{i}" for i in range(198)]


def test_the_writer_refuses_a_code_tree_too_deep_to_read_back(tmp_path):
    codes = [f"K{i}" for i in range(400)]
    book = pd.DataFrame(
        {"label": codes, "definition": "", "parent": pd.array([None, *codes[:-1]], dtype="string")},
        index=pd.Index(codes, name="code"),
    )
    with pytest.raises(InputError, match="a code tree at most 197 levels deep"):
        write_qdc(tmp_path / "deep.qdc", book)
    assert not (tmp_path / "deep.qdc").exists()
    written = write_qdc(tmp_path / "ok.qdc", book.iloc[:197])
    assert read_refi(written).codebook["depth"].max() == 196


def test_apply_refi_redacts_the_researcher_written_text_it_carries_on(tmp_path):
    """Issue 13: descriptions in imported selections reached outputs verbatim. The
    redaction here is a stand-in for the study's de-identification; the name is invented."""
    xml = "\n".join(
        [
            '<Project xmlns="urn:QDA-XML:project:1.0" name="x" origin="NVivo 14">',
            '<CodeBook><Codes><Code guid="3f2b5a8e-0000-4000-8000-000000000001" name="A"/></Codes></CodeBook>',
            '<Sources><TextSource guid="3f2b5a8e-0000-4000-8000-000000000002" name="D">',
            "<PlainTextContent>Kim Ha-eun said it helped.</PlainTextContent>",
            '<PlainTextSelection guid="3f2b5a8e-0000-4000-8000-000000000003" name="Kim Ha-eun quote" '
            'startPosition="0" endPosition="26"><Description>Kim Ha-eun, the ward clerk</Description>',
            '<Coding guid="3f2b5a8e-0000-4000-8000-000000000004"><CodeRef '
            'targetGUID="3f2b5a8e-0000-4000-8000-000000000001"/></Coding></PlainTextSelection>',
            "</TextSource></Sources></Project>",
        ]
    )
    qdpx = qdpx_from(tmp_path, xml)
    own = read_refi(qdpx)
    coded = refi.apply_refi(qdpx, own.documents, own.codebook, redact=lambda t: t.replace("Kim Ha-eun", "[NAME]"))
    plain = refi.apply_refi(qdpx, own.documents, own.codebook)
    assert plain.codings.at[0, "note"] == "Kim Ha-eun, the ward clerk"  # carried on without a redaction
    assert coded.codings.at[0, "note"] == "[NAME], the ward clerk"
    assert coded.codings.at[0, "unit"] == "[NAME] quote"
    assert not coded.imported.astype(str).apply(lambda col: col.str.contains("Kim Ha-eun")).any().any()


@settings(max_examples=examples(200), deadline=None)
@given(text=st.text(st.sampled_from(list("ab \r\n😀𠀋.")), max_size=40), bom=st.booleans())
def test_offset_mapping_equals_a_character_by_character_count(text, bom):
    """Every reading's mapping against a naive count: each character's units (two for one
    beyond U+FFFF in UTF-16, none for the CR of a CRLF counted as one), one more for a
    counted BOM; a unit offset maps to the first code-point boundary that reaches it."""
    from peerstudy.qualitative.refi.offsets import Reading, TextOffsets

    m = TextOffsets(text, bom)
    for reading in [Reading(u, c, b) for u in ("codepoints", "utf16") for c in (2, 1) for b in (False, True)]:
        units, naive = 1 if reading.bom and bom else 0, {}
        for i, ch in enumerate(text):
            naive.setdefault(units, i)
            crlf_cr = ch == "\r" and text[i + 1 : i + 2] == "\n"
            units += (
                0 if (reading.crlf == 1 and crlf_cr) else 2 if (reading.unit == "utf16" and ord(ch) > 0xFFFF) else 1
            )
        naive.setdefault(units, len(text))
        naive[0] = 0  # offset 0 is the start of the text, counted BOM or not
        assert m.units(reading) == units
        for pos in range(units + 2):
            assert m.codepoint(pos, reading) == naive.get(pos), (reading, pos)


def test_deciding_the_reading_of_a_long_text_costs_little_memory(tmp_path):
    """A 5 MB text with one CRLF: weighing 'CRLF as one' must not build a table per
    character (a 256 MiB text would need gigabytes)."""
    import tracemalloc

    text = "word " * 1_000_000 + "\r\nend of text"
    start = text.index("end of text")
    xml = (
        '<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>'
        '<TextSource guid="3f2b5a8e-0000-4000-8000-000000000001" name="Long" plainTextPath="internal://long.txt">'
        f'<PlainTextSelection guid="3f2b5a8e-0000-4000-8000-000000000002" startPosition="{start}" '
        f'endPosition="{start + 11}"/></TextSource></Sources></Project>'
    )
    path = qdpx_from(tmp_path, xml, {"sources/long.txt": text.encode()})
    tracemalloc.start()
    try:
        p = read_refi(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert p.offsets_reading == "code points, CRLF as two, BOM not counted"
    assert p.selections["segment"].tolist() == [f"Long@{start}-{start + 11}"]
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB"  # measured 237 MiB with a table per character


def test_codes_a_program_made_itself_are_found_by_their_path_of_names():
    """two_coders.qdpx codes with the guids of the mini-interviews codebook. A codebook with
    the same names and tree but other ids (as one typed by hand beside a QDA program) gets
    its ids back by the path of names, whatever the case and spacing of the names."""
    book = read_codebook(FIXTURES / "mini-interviews/codebook.yaml")
    typed = {code: f"typed-{code}" for code in book.index}
    other = book.rename(index=typed)
    other["parent"] = other["parent"].map(typed.get, na_action="ignore")
    other["label"] = other["label"].str.upper().str.replace(" ", "  ")
    by_guid = read_refi(FIXTURES / "qdpx/two_coders.qdpx", codebook=book).codings["code"]
    by_path = read_refi(FIXTURES / "qdpx/two_coders.qdpx", codebook=other).codings["code"]
    assert by_path.tolist() == [typed[code] for code in by_guid]
    # two codes with one path are no match: their codes keep the program's guids
    twice = pd.concat([other, other.loc[["typed-S2"]].rename(index={"typed-S2": "again"})])
    codes = read_refi(FIXTURES / "qdpx/two_coders.qdpx", codebook=twice).codings["code"]
    assert refi_guid("code", "S2") in set(codes) and "typed-S2" not in set(codes)


def test_the_codebook_of_a_real_project_is_its_whole_code_tree():
    """The qualitative-coding demo (../shared/samples/qdpx/README: 262 codes, depth 7, three
    codes called "citizenship" under different parents); depth 7 is seven levels, 0 to 6."""
    path = samples_dir("qdpx") / "cproctor_demo.qdpx"
    book = read_codebook(path)
    assert len(book) == 262 and book.index.is_unique and int(book["depth"].max()) == 6
    assert (book["label"] == "citizenship").sum() == 3
    assert set(book["parent"].dropna()) <= set(book.index) and set(book["root"]) <= set(book.index)
