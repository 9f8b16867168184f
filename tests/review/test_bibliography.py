"""Readers of bibliographic exports: MEDLINE/PubMed, RIS (PubMed, Ovid, EBSCO, Scopus, Lens,
Zotero, ...), Web of Science (plain text and tab-delimited), BibTeX, EndNote XML and CSV.

Hand-made fixtures in tests/fixtures/bib/ (invented records; every expected value below
is read off the fixture by hand), the real exports in ../shared/samples/bib/ (record,
DOI, abstract and author counts made in the test from the raw text with simple regular
expressions, and checked against the counts published in shared/samples/README.md), and
the project's own raw exports of the literature review.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers import FIXTURES, samples_dir
from peerstudy.config import PROJECT_ROOT
from peerstudy.errors import ConfigError, InputError
from peerstudy.review.bib_formats import detect_format
from peerstudy.review.bib_ids import is_missing, normalise_pmid
from peerstudy.review.bib_rows import map_ris
from peerstudy.review.bibliography import (
    RECORD_COLUMNS,
    check_search_log,
    list_record_problems,
    normalise_doi,
    normalise_language,
    parse_date,
    parse_medline,
    parse_ris,
    parse_wos,
    read_csv_export,
    read_export,
    read_exports,
    read_medline,
    read_ris,
    read_search_log,
    read_wos,
)

BIB = FIXTURES / "bib"
RAW = PROJECT_ROOT / "data/raw/literature-review"
CSV_COLUMNS = {
    "title": "Title",
    "authors": "Author(s)",
    "journal": "Source Title",
    "year": "Publication Year",
    "month": "Month",
    "doi": "DOI",
    "abstract": "Abstract",
    "language": "Language",
}


# ----------------------------------------------------------------------------- normalisers
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("10.5555/ABC.1", "10.5555/abc.1"),
        ("https://doi.org/10.5555/ABC.1", "10.5555/abc.1"),
        ("http://dx.doi.org/10.5555/abc.1.", "10.5555/abc.1"),
        ("doi: 10.5555/abc.1", "10.5555/abc.1"),
        ("10.5555/abc.1 [doi]", "10.5555/abc.1"),
        ("S0883-5403(19)30006-3 [pii]", None),
        ("", None),
        (None, None),
        ("NA", None),
        ("N/A", None),
        ("NULL", None),
        ("None", None),
        # Scopus links carry the DOI URL-encoded in a doi= parameter
        (
            "https://www.scopus.com/inward/record.uri?eid=2-s2.0-1&doi=10.1097%2fICB.0000000000000530&partnerID=40",
            "10.1097/icb.0000000000000530",
        ),
        ("https://doi.org/10.1000%2FABC", "10.1000/abc"),
        ("DOI 10.5555/X(2001)1", "10.5555/x(2001)1"),
    ],
)
def test_normalise_doi(raw, expected):
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("30689646", "30689646"),
        ("PMID: 30689646", "30689646"),
        ("30689646 [pmid]", "30689646"),
        ("https://pubmed.ncbi.nlm.nih.gov/30689646/", "30689646"),
        ("http://www.ncbi.nlm.nih.gov/pubmed/30689646", "30689646"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/?term=30689646", "30689646"),
        ("NA", None),
        ("N/A", None),
        ("NULL", None),
        ("None", None),
        ("", None),
        (None, None),
        ("10.5555/abc", None),
        ("PMC6349321", None),
    ],
)
def test_normalise_pmid(raw, expected):
    assert normalise_pmid(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("NA", True),
        ("N/A", True),
        ("NULL", True),
        ("None", True),
        ("", True),
        ("  ", True),
        (None, True),
        (float("nan"), True),
        (pd.NA, True),
        ("#N/A", True),
        ("Na", False),
        ("Na, K.", False),
        ("0", False),
        ("Nature", False),
        (0, False),
    ],
)
def test_missing_values(raw, expected):
    assert is_missing(raw) is expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2008 Mar", (2008, 3)),
        ("2008 Mar-Apr", (2008, 3)),
        ("2010 Sep 15", (2010, 9)),
        ("2004 Spring", (2004, 3)),
        ("2008///", (2008, None)),
        ("2008/03//", (2008, 3)),
        ("1999/11/02/", (1999, 11)),
        ("2024", (2024, None)),
        ("MAR 15", (None, 3)),
        ("", (None, None)),
        ("20251210", (2025, 12)),
        ("2025-12-10", (2025, 12)),
        ("2019/01/28 06:00", (2019, 1)),
        ("DEC 2025", (2025, 12)),
        ("5/4/2018", (2018, 5)),
        ("NA", (None, None)),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_normalise_language():
    assert normalise_language(["eng"]) == "English"
    assert normalise_language(["eng", "fre"]) == "English; French"
    assert normalise_language("jpn") == "Japanese"
    assert normalise_language("English") == "English"
    assert normalise_language([]) is None


# ----------------------------------------------------------------------------- MEDLINE
def test_medline_fields_survive_with_non_ascii_names():
    records = read_medline(BIB / "mini.nbib", database="PubMed")
    assert list(records.columns) == RECORD_COLUMNS
    assert records["record"].tolist() == ["pubmed:1", "pubmed:2", "pubmed:3"]
    first = records.iloc[0]
    assert first["authors"] == "Ødegård, Åse; Nakamura, Hiroshi"
    assert first["first_author"] == "Ødegård, Åse"
    assert (first["year"], first["month"]) == (2008, 3)
    # continuation lines joined with one space; trailing spaces dropped
    assert first["title"] == "Peer specialists on an acute psychiatric ward: a qualitative study of their first year."
    assert first["abstract"] == (
        "Peer specialists joined the staff of an acute ward. We interviewed them twice. "
        "Their roles changed over the year."
    )
    assert first["journal"] == "Journal of Peer Support Research"
    assert first["doi"] == "10.5555/fixture.2008.001"
    assert first["pmid"] == "99000001"
    assert first["pages"] == "112-119"
    assert first["language"] == "English"
    assert first["line"] == 2  # the file starts with a blank line
    assert first["source_file"] == "tests/fixtures/bib/mini.nbib"


def test_medline_non_english_record_and_erratum():
    records = read_medline(BIB / "mini.nbib").set_index("record")
    assert records.at["pubmed:2", "language"] == "Japanese"
    assert records.at["pubmed:2", "title"] == "[Peer support activities of people with mental disorders]."
    assert records.at["pubmed:2", "authors"] == "Müller, Jürgen"
    assert pd.isna(records.at["pubmed:2", "month"])
    assert records.at["pubmed:3", "publication_type"] == "Published Erratum"


def test_medline_broken_line_is_named_by_line():
    text = "PMID- 1\nTI  - A title\nthis line lost its indent\nFAU - Smith, A\n\nPMID- 2\nFAU - Jones, B\n"
    with pytest.raises(InputError) as info:
        parse_medline(text, file="x.nbib")
    assert [(p.row, p.field) for p in info.value.problems] == [(3, None)]  # the record without a title is kept
    assert str(info.value.problems[0]) == (
        "x.nbib, row 3: expected a MEDLINE tag line ('TAG - value') or a continuation line indented by 6 spaces, "
        "found 'this line lost its indent'. Fix: re-export the records in MEDLINE/PubMed format, or repair that line."
    )


# ----------------------------------------------------------------------------- RIS
def test_ris_fields_survive_crlf_and_ebsco_tags():
    records = read_ris(BIB / "mini.ris", database="PsycINFO")
    assert records["record"].tolist() == ["psycinfo:1", "psycinfo:2"]
    first = records.iloc[0]
    assert first["title"] == "Peer Specialists on an Acute Psychiatric Ward - a Qualitative Study of Their First Year"
    assert first["authors"] == "Ødegård, Å.; Nakamura, H."
    assert (first["year"], first["month"]) == (2008, 3)
    assert first["journal"] == "Journal of Peer Support Research"
    assert first["doi"] == "10.5555/fixture.2008.001"  # from https://doi.org/..., lower case
    assert first["pmid"] == "99000001"  # from N1 "PMID: ..."
    assert first["abstract"].startswith("Peer specialists joined the staff")
    assert first["pages"] == "112-119"
    assert first["keywords"] == "peer support; inpatient care"
    assert first["affiliations"] == "Fictional University Hospital, Oslo, Norway; Fictional Institute, Kyoto, Japan"
    second = records.iloc[1]
    assert second["first_author"] == "Núñez, María"
    assert (second["year"], second["type"], second["line"]) == (1999, "THES", 25)
    assert pd.isna(second["month"]) and pd.isna(second["doi"])


def test_malformed_ris_record_is_named_by_file_and_line():
    with pytest.raises(InputError) as info:
        read_ris(BIB / "malformed.ris", database="CINAHL")
    assert str(info.value) == (
        "tests/fixtures/bib/malformed.ris, row 7, field 'ER': expected 'ER  - ' closing the record that starts at "
        "line 7, found a new record at line 12. Fix: add the missing 'ER  - ' line, or re-export the file."
    )


@pytest.mark.parametrize(
    "text, row, expected",
    [
        ("stray text\nTY  - JOUR\nTI  - A\nER  - \n", 1, "expected 'TY  - ' starting a record, found 'stray text'"),
        ("TY  - JOUR\nAU - Smith, A.\nTI  - A\nER  - \n", 2, "expected a RIS tag line 'XX  - value'"),
        ("TY  - JOUR\nTI  - A\n", 1, "found the end of the file"),
    ],
)
def test_ris_structure_problems(text, row, expected):
    with pytest.raises(InputError) as info:
        parse_ris(text, file="x.ris")
    assert len(info.value.problems) == 1
    assert info.value.problems[0].row == row
    assert expected in str(info.value)


# ----------------------------------------------------------------------------- Web of Science
def test_wos_fields_survive():
    records = read_wos(BIB / "mini-wos.txt")
    assert records["record"].tolist() == ["web-of-science:1", "web-of-science:2"]
    first = records.iloc[0]
    assert first["authors"] == "Lee, Sunhee; Kim, Jiwon; Park, Hyunwoo"
    assert (
        first["title"] == "Working with peer supporters: a fictional record for the tests of the Web of Science reader"
    )
    assert first["journal"] == "INTERNATIONAL JOURNAL OF FICTIONAL MENTAL HEALTH"
    assert (first["year"], first["month"], first["volume"], first["issue"]) == (2024, 4, "26", "4")
    assert first["pages"] == "251-260"
    assert first["doi"] == "10.5555/fixture.2024.002"
    assert first["pmid"] == "99000004"
    assert first["keywords"] == "peer supporter; collaboration; community mental health"
    assert first["affiliations"] == (
        "[Lee, Sunhee; Kim, Jiwon] Fictional Univ, Dept Social Welf, Seoul, South Korea.; "
        "[Park, Hyunwoo] Fictional Ctr Mental Hlth, Busan, South Korea."
    )
    assert first["language"] == "English"
    assert records.iloc[1]["first_author"] == "Çelik, Ayşe"


def test_wos_record_without_er_is_named():
    text = "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A\nPY 2001\nPT J\nTI B\nER\nEF"
    with pytest.raises(InputError) as info:
        parse_wos(text, file="x.txt")
    assert str(info.value) == (
        "x.txt, row 3, field 'ER': expected 'ER' closing the record that starts at line 3, "
        "found 'PT' at line 6. Fix: add the missing 'ER' line, or re-export the file."
    )


# ----------------------------------------------------------------------------- CSV
def test_csv_export_with_declared_columns():
    records = read_csv_export(BIB / "mini.csv", database="PsycARTICLES", columns=CSV_COLUMNS)
    assert records["record"].tolist() == ["psycarticles:1", "psycarticles:2"]
    first = records.iloc[0]
    assert first["title"] == "Peer support in psychiatry: what, why, how"
    assert first["authors"] == "Østergaard, L.; Brown, K."
    assert (first["year"], first["month"]) == (2006, 9)
    assert first["doi"] == "10.5555/fixture.2006.003"
    assert first["abstract"] == "An overview, with examples."
    assert first["line"] == 2


def test_csv_export_missing_column_and_bad_mapping():
    with pytest.raises(InputError, match=r"mini\.csv, row 1, field 'Keywords': expected column\(s\) 'Keywords'"):
        read_csv_export(BIB / "mini.csv", database="X", columns={**CSV_COLUMNS, "keywords": "Keywords"})
    with pytest.raises(ConfigError, match=r"field 'columns'"):
        read_csv_export(BIB / "mini.csv", database="X", columns={"headline": "Title", "year": "Publication Year"})
    with pytest.raises(
        ConfigError,
        match=r"field 'exports.format': expected one of medline, ris, wos, wos-tab, bibtex, "
        r"endnote-xml, csv \(or no format\), found 'pdf'",
    ):
        read_export({"file": str(BIB / "mini.csv"), "database": "X", "format": "pdf"})


# ----------------------------------------------------------------------------- several exports
def test_read_exports_numbers_per_database_and_keeps_sources():
    records = read_exports(
        [
            {"file": str(BIB / "mini.ris"), "database": "PsycINFO", "format": "ris"},
            {"file": str(BIB / "mini.ris"), "database": "PsycINFO", "format": "ris"},
            {"file": str(BIB / "mini-wos.txt"), "database": "Web of Science", "format": "wos", "source": "other"},
        ]
    )
    assert records["record"].tolist() == [
        "psycinfo:1",
        "psycinfo:2",
        "psycinfo:3",
        "psycinfo:4",
        "web-of-science:1",
        "web-of-science:2",
    ]
    assert records["source"].tolist() == ["search"] * 4 + ["other"] * 2


def test_read_exports_reports_problems_of_every_file_together():
    with pytest.raises(InputError) as info:
        read_exports(
            [
                {"file": str(BIB / "malformed.ris"), "database": "A", "format": "ris"},
                {"file": str(BIB / "no-such.nbib"), "database": "B", "format": "medline"},
            ]
        )
    assert [p.file for p in info.value.problems] == [
        "tests/fixtures/bib/malformed.ris",
        "tests/fixtures/bib/no-such.nbib",
    ]


def test_search_log_counts_must_match_the_exports(tmp_path):
    records = read_exports([{"file": str(BIB / "mini.nbib"), "database": "PubMed", "format": "medline"}])
    log = pd.DataFrame({"database": ["PubMed"], "searched": ["2010-09-06"], "results": [3]})
    assert check_search_log(records, log)["records"].tolist() == [3]
    with pytest.raises(InputError) as info:
        check_search_log(records, log.assign(results=[4]), file="search-log.yaml")
    assert str(info.value) == (
        "search-log.yaml, field 'PubMed.results': expected 4 records (as logged), found 3 records "
        "in the export. Fix: re-export all the search's records, or correct the log."
    )


def test_every_logged_search_is_reported_and_one_with_results_needs_its_export():
    # PRISMA-S reports every database searched, those that found nothing too; a search logged
    # with records but given no export was left out of the searches table without a word
    records = read_exports([{"file": str(BIB / "mini.nbib"), "database": "PubMed", "format": "medline"}])
    log = pd.DataFrame({"database": ["PubMed", "CINAHL"], "searched": ["2010-09-06", "2010-09-07"], "results": [3, 0]})
    table = check_search_log(records, log)
    assert table[["database", "results", "records"]].values.tolist() == [["PubMed", 3, 3], ["CINAHL", 0, 0]]
    with pytest.raises(InputError) as info:
        check_search_log(records, log.assign(results=[3, 120]), file="search-log.yaml")
    assert str(info.value) == (
        "search-log.yaml, field 'CINAHL.results': expected an export of the 120 records the search returned "
        "(as logged), found no records of CINAHL in the exports. Fix: add the search's export to 'exports' "
        "(database: CINAHL), or correct the log."
    )


# ----------------------------------------------------------------------------- the study's raw exports
def test_raw_exports_of_the_review_are_read_and_match_the_search_log():
    exports = [
        {"file": "data/raw/literature-review/pubmed-2010-09-06.nbib", "database": "PubMed", "format": "medline"},
        {"file": "data/raw/literature-review/medline-ovid-2010-09-07.txt", "database": "MEDLINE", "format": "medline"},
        {"file": "data/raw/literature-review/cinahl-ebsco-2010-09-08.ris", "database": "CINAHL", "format": "ris"},
        {"file": "data/raw/literature-review/psycinfo-ebsco-2010-09-08.ris", "database": "PsycINFO", "format": "ris"},
        {
            "file": "data/raw/literature-review/psycarticles-2010-09-09.csv",
            "database": "PsycARTICLES",
            "format": "csv",
            "columns": {**CSV_COLUMNS, "keywords": "Keywords"},
        },
        {
            "file": "data/raw/literature-review/wos-study-b-record.txt",
            "database": "Web of Science",
            "format": "wos",
            "source": "other",
        },
    ]
    records = read_exports(exports)
    table = check_search_log(records, read_search_log(RAW / "search-log.yaml"))
    assert dict(zip(table["database"], table["records"], strict=False)) == {
        "PubMed": 182,
        "MEDLINE": 143,
        "CINAHL": 125,
        "PsycINFO": 203,
        "PsycARTICLES": 42,
        "Web of Science": 11,
    }
    study_b = records.set_index("record").loc["web-of-science:1"]
    assert study_b["title"] == (
        "Experience of mental health professionals collaborating with peer supporters in a "
        "community mental health service team"
    )
    assert study_b["authors"] == "Lee; Kim; Park"
    assert study_b["journal"] == "INTERNATIONAL JOURNAL OF MENTAL HEALTH PROMOTION"
    assert (study_b["year"], study_b["volume"], study_b["issue"], study_b["pages"]) == (2024, "26", "4", "251-260")
    assert study_b["doi"] == "10.32604/ijmhp.2024.048803"
    assert study_b["keywords"].startswith("peer supporter; mental health professional")
    assert study_b["affiliations"].startswith("[Lee; Kim; Park]")
    assert study_b["abstract"].startswith("Community mental health services increasingly employ peer supporters")
    # non-ASCII kept exactly, in every format
    assert "Ibáñez Ruiz" in " ".join(records["authors"].dropna())
    assert records["title"].str.contains("精神障害者", regex=False).sum() == 0  # original titles are not the title
    assert (records["language"] == "Japanese").sum() == 2


# ----------------------------------------------------------------------------- real exports
def test_real_exports_are_read_completely():
    bib = samples_dir("bib")
    wos = read_wos(bib / "revtools_restoration_WoS.ciw")
    pubmed = read_medline(bib / "revtools_restoration_pubmed.nbib")
    scopus = read_ris(bib / "revtools_restoration_scopus.ris", database="Scopus")
    assert (len(wos), len(pubmed), len(scopus)) == (247, 104, 286)
    assert (wos["doi"].notna().sum(), pubmed["doi"].notna().sum(), scopus["doi"].notna().sum()) == (176, 104, 282)
    assert pd.concat([wos, pubmed, scopus])["doi"].nunique() == 416
    assert wos["title"].notna().all() and pubmed["title"].notna().all() and scopus["title"].notna().all()
    first = pubmed.iloc[0]
    assert first["pmid"] == "30689646"
    assert first["doi"] == "10.1371/journal.pone.0209483"
    assert first["title"] == (
        "Ecosystem services changes between 2000 and 2015 in the Loess Plateau, China: A response "
        "to ecological restoration."
    )
    assert first["authors"].split("; ")[:2] == ["Wu, Dan", "Zou, Changxin"]
    w = wos.iloc[0]
    assert (w["first_author"], w["year"], w["month"], w["pages"]) == ("Alvarez-Manzaneda, I.", 2019, 3, "598-607")
    assert w["doi"] == "10.1016/j.scitotenv.2018.11.375" and w["pmid"] == "30529964"
    s = scopus.iloc[0]
    assert (s["journal"], s["doi"], s["year"]) == (
        "Retinal cases & brief reports",
        "10.1097/icb.0000000000000530",
        2019,
    )
    # repeated N1 tags do not break the record; UTF-8 non-ASCII is kept
    assert scopus["authors"].str.contains(r"[^\x00-\x7f]", regex=True).any()


def test_raw_exports_of_the_review_read_the_same_without_declared_formats():
    """The study declares each export's format; recognising it from the content gives the same table."""
    declared = [
        {"file": "data/raw/literature-review/pubmed-2010-09-06.nbib", "database": "PubMed", "format": "medline"},
        {"file": "data/raw/literature-review/cinahl-ebsco-2010-09-08.ris", "database": "CINAHL", "format": "ris"},
        {"file": "data/raw/literature-review/wos-study-b-record.txt", "database": "Web of Science", "format": "wos"},
    ]
    recognised = [{k: v for k, v in e.items() if k != "format"} for e in declared]
    pd.testing.assert_frame_equal(read_exports(declared), read_exports(recognised))


# ----------------------------------------------------------------------------- recognising the format
@pytest.mark.parametrize(
    "file, expected",
    [
        ("mini.nbib", "medline"),
        ("epub.nbib", "medline"),
        ("mini.ris", "ris"),
        ("ovid.ris", "ris"),
        ("ebsco.ris", "ris"),
        ("cochrane.ris", "ris"),
        ("lens.ris", "ris"),
        ("zotero.ris", "ris"),
        ("mini-wos.txt", "wos"),
        ("wos-2020s.txt", "wos"),
        ("wos-tab.txt", "wos-tab"),
        ("mini.bib", "bibtex"),
        ("endnote.xml", "endnote-xml"),
        ("mini.csv", "csv"),
        ("scopus.csv", "csv"),
        ("lens.csv", "csv"),
        ("openalex.csv", "csv"),
        ("dimensions.csv", "csv"),
        ("zotero.csv", "csv"),
        ("pubmed.csv", "csv"),
        ("r-written.csv", "csv"),
    ],
)
def test_format_is_recognised_from_the_content(file, expected):
    assert detect_format((BIB / file).read_text(encoding="utf-8-sig")) == expected
    if file not in ("r-written.csv", "mini.csv"):  # a CSV of unknown columns needs its mapping declared
        assert read_export({"file": str(BIB / file), "database": "X"})["format"].unique().tolist() == [expected]


def test_a_file_of_another_format_than_declared_is_refused_naming_both():
    with pytest.raises(InputError) as info:
        read_export({"file": str(BIB / "wos-tab.txt"), "database": "Web of Science", "format": "ris"})
    assert str(info.value) == (
        "tests/fixtures/bib/wos-tab.txt, field 'format': expected a RIS export (the format declared), found a Web of "
        "Science tab-delimited export. Fix: declare format: wos-tab for this export (or leave the format out to have "
        "it recognised), or check that this is the file meant."
    )


def test_text_in_no_known_format_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("Some notes about the search\nnothing else\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"expected a bibliographic export \(MEDLINE/PubMed export, RIS export, .*"
        r"found text in none of these formats, starting 'Some notes about the search'",
    ):
        read_export({"file": str(tmp_path / "notes.txt"), "database": "X"})


def test_pubmed_csv_is_read_without_a_declared_mapping():
    # PubMed's "Save" as CSV (tests/fixtures/bib/pubmed.csv, fictional records in that shape):
    # PMID, Title, Authors ("Surname I, ..."), Citation, Journal/Book, Publication Year, DOI
    records = read_export({"file": str(BIB / "pubmed.csv"), "database": "PubMed"})
    assert records["pmid"].tolist() == ["39900001", "39900002"]
    assert records["doi"].tolist()[0] == "10.5555/fixture.pubmedcsv.001" and pd.isna(records["doi"].tolist()[1])
    assert records["year"].tolist() == [2021, 2022] and records["journal"].tolist()[1] == "Fict Trials"
    assert records["authors"].tolist()[0].split("; ")[:2] == ["Haraldsen K", "Mbeki T"]


def test_unknown_csv_needs_a_declared_mapping():
    with pytest.raises(
        InputError,
        match=r"r-written\.csv, row 1, field 'columns': expected the columns of a known CSV "
        r"export \(scopus, lens, openalex, dimensions, pubmed, zotero\) or a declared mapping",
    ):
        read_export({"file": str(BIB / "r-written.csv"), "database": "R"})


# ----------------------------------------------------------------------------- RIS as each tool writes it
def test_ovid_ris_with_numbers_and_links_between_records():
    records = read_export({"file": str(BIB / "ovid.ris"), "database": "Embase"})
    assert records["record"].tolist() == ["embase:1", "embase:2"]
    assert records["line"].tolist() == [2, 23]  # the "1." line is not the record
    first = records.iloc[0]
    assert first["authors"] == "Haraldsen, K.; Mbeki, T."  # A1, not AU
    assert first["doi"] == "10.5555/fixture.ovid.001"  # DO as a dx.doi.org link, lower-cased
    assert (first["journal"], first["pages"], first["year"]) == ("Fictional Journal of Community Care", "201-209", 2019)
    assert pd.isna(records.iloc[1]["doi"])  # the resolver link of record 1 is not record 2's


def test_cochrane_library_ris_with_its_lines_above_each_record():
    # The Cochrane Library (CENTRAL) writes "Record #n of N", "Provider: ..." and "Content: ..."
    # above each record (tests/fixtures/bib/cochrane.ris, fictional records in that shape)
    records = read_export({"file": str(BIB / "cochrane.ris"), "database": "CENTRAL"})
    assert records["line"].tolist() == [5, 25]  # each record starts at its TY line
    assert records["doi"].tolist()[0] == "10.5555/fixture.cochrane.001"
    assert pd.isna(records["doi"].tolist()[1])
    assert records["authors"].tolist() == ["Lindqvist, Mara; Okafor, Chidi", "Varga, Ines"]


def test_ebsco_ris_doi_in_l3_and_first_abstract():
    records = read_export({"file": str(BIB / "ebsco.ris"), "database": "CINAHL"})
    assert records["doi"].tolist()[0] == "10.5555/fixture.ebsco.031"
    assert pd.isna(records["doi"].tolist()[1])
    assert (
        records.iloc[0]["abstract"] == "Members of four fictional clubhouses answered a survey. [ABSTRACT FROM AUTHOR]"
    )
    assert pd.isna(records.iloc[0]["pmid"])  # the EBSCO accession number is not a PMID
    assert (records.iloc[1]["year"], records.iloc[1]["month"], records.iloc[1]["pages"]) == (2018, 5, "4")


def test_lens_ris_record_without_title_is_kept_and_listed():
    records = read_export({"file": str(BIB / "lens.ris"), "database": "Lens"})
    assert len(records) == 2
    first, second = records.iloc[0], records.iloc[1]
    assert first["doi"] == "10.5555/fixture.lens.2026.011"  # DOI in M3
    assert pd.isna(first["publication_type"])  # ... which is then not a publication type
    assert first["pmid"] == "99100011"  # from a PubMed link in UR
    assert (first["year"], first["epub_year"], first["epub_month"]) == (2026, 2025, 12)  # DA before PY
    assert pd.isna(second["title"]) and pd.isna(second["doi"])  # DO "NA" is missing
    problems = list_record_problems(records)
    assert problems[["file", "line", "record", "field", "problem"]].values.tolist() == [
        ["tests/fixtures/bib/lens.ris", 17, "lens:2", "title", "no title"]
    ]


def test_zotero_ris_access_date_is_not_an_epub_date():
    record = read_export({"file": str(BIB / "zotero.ris"), "database": "Zotero"}).iloc[0]
    assert (record["year"], record["month"]) == (2021, 6)  # month from DA, same year as PY
    assert pd.isna(record["epub_year"])  # Y2 (accessed 2023) is later than PY
    assert record["doi"] == "10.5555/fixture.zotero.2021"
    assert (record["authors"], record["language"]) == ("Delacroix, Amélie; Nguyen, Van An", "English")


# ----------------------------------------------------------------------------- Web of Science
def test_wos_current_format_with_new_tags_and_early_access():
    records = read_export({"file": str(BIB / "wos-2020s.txt"), "database": "Web of Science"})
    assert records["line"].tolist() == [3, 34]
    first, second = records.iloc[0], records.iloc[1]
    assert first["title"] == (
        "Peer support workers in crisis teams: a fictional record in the current Web of Science format"
    )
    assert (first["year"], first["month"], first["epub_year"], first["epub_month"]) == (2026, 2, 2025, 12)
    assert (first["doi"], first["pmid"], first["pages"]) == ("10.5555/fixture.wos.2026.001", "99100021", "1-12")
    assert first["affiliations"] == (
        "[Moreau, Camille] Fictional Univ, Lyon, France.; [Adeyemi, Olumide] Fictional Hosp, Lagos, Nigeria."
    )
    # an early-access record without a print year: e-published January 2026 (EA JAN, EY 2026)
    assert pd.isna(second["year"]) and (second["epub_year"], second["epub_month"]) == (2026, 1)
    assert list_record_problems(records).empty  # it has a year: its e-publication year


def test_wos_tab_delimited():
    records = read_export({"file": str(BIB / "wos-tab.txt"), "database": "Web of Science"})
    first, second = records.iloc[0], records.iloc[1]
    assert (first["authors"], first["first_author"]) == ("Berg, Kari; Haddad, Rami", "Berg, Kari")
    assert first["affiliations"] == (
        "[Berg, Kari; Haddad, Rami] Fictional Univ, Bergen, Norway; [Haddad, Rami] Fictional Clin, Beirut, Lebanon"
    )
    assert (first["year"], first["month"], first["epub_year"], first["epub_month"]) == (2024, 3, 2023, 11)
    assert (first["doi"], first["pmid"], first["pages"], first["keywords"]) == (
        "10.5555/fixture.tab.045",
        "99100031",
        "45-52",
        "peer work; teams",
    )
    assert (second["pages"], second["language"], second["line"]) == ("e0012", "Portuguese", 3)


def test_wos_tab_delimited_in_utf16_is_read(tmp_path):
    """Older Web of Science tab-delimited exports are UTF-16 with a byte order mark."""
    text = (BIB / "wos-tab.txt").read_text(encoding="utf-8")
    (tmp_path / "savedrecs.txt").write_bytes(text.encode("utf-16"))
    records = read_export({"file": str(tmp_path / "savedrecs.txt"), "database": "Web of Science"})
    assert records["doi"].tolist()[0] == "10.5555/fixture.tab.045"


# ----------------------------------------------------------------------------- MEDLINE dates
def test_medline_epub_dates_from_dep_and_so():
    records = read_export({"file": str(BIB / "epub.nbib"), "database": "PubMed"})
    rows = records[["year", "month", "epub_year", "epub_month"]].astype("object").values.tolist()
    assert rows[0] == [2026, 2, 2025, 12]  # DEP 20251210
    assert rows[1] == [2024, pd.NA, 2023, 11]  # "Epub 2023 Nov 2." in SO
    assert records.iloc[0]["doi"] == "10.5555/fixture.nbib.2026"  # "doi: ..." in SO
    assert list_record_problems(records)[["line", "field"]].values.tolist() == [[18, "title"], [18, "year"]]


# ----------------------------------------------------------------------------- BibTeX and EndNote XML
def test_bibtex_entries():
    records = read_export({"file": str(BIB / "mini.bib"), "database": "Scopus"})
    first, second = records.iloc[0], records.iloc[1]
    assert first["authors"] == "Grüber, Lena; O'Neill, Siobhán; Park, Ji-woo"  # LaTeX accents decoded
    assert first["title"] == "Peer support in ACT teams: a fictional study with 50% uptake"  # braces gone, % kept
    assert (first["year"], first["month"], first["pages"], first["line"]) == (2019, 3, "101-110", 2)
    assert (first["doi"], first["pmid"]) == ("10.5555/fixture.bib.2019", "99100041")
    assert first["keywords"] == "peer support; assertive community treatment"
    assert second["doi"] == "10.5555/fixture.bib.conf.2021"  # from a doi.org url
    assert second["journal"] == "Proceedings of the Fictional Conference on Peer Work"
    assert list_record_problems(records)[["line", "field"]].values.tolist() == [[20, "year"]]


def test_bibtex_unclosed_brace_is_refused_with_its_line(tmp_path):
    (tmp_path / "refs.bib").write_text(
        "@article{a,\n  title = {Fine},\n  year = {2001}\n}\n\n"
        "@article{b,\n  title = {Unclosed {brace},\n  year = {2002}\n}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_export({"file": str(tmp_path / "refs.bib"), "database": "X"})
    assert len(info.value.problems) == 1 and info.value.problems[0].row == 6
    assert "expected a BibTeX entry with balanced braces and quotes, found an entry that cannot be read" in str(
        info.value
    )


def test_endnote_xml_records():
    records = read_export({"file": str(BIB / "endnote.xml"), "database": "EndNote"})
    first, second = records.iloc[0], records.iloc[1]
    assert first["title"] == "Peer mentors for young adults: a fictional pilot"  # text across <style> elements
    assert (first["authors"], first["affiliations"]) == (
        "Kaur, Harpreet; Jönsson, Nils",
        "Fictional University, Malmö, Sweden",
    )
    assert (first["doi"], first["pmid"], first["language"]) == ("10.5555/fixture.enw.2026", "99100051", "English")
    assert (first["year"], first["month"], first["epub_year"], first["epub_month"]) == (2026, 1, 2025, 11)
    assert (first["journal"], first["volume"], first["issue"], first["pages"]) == (
        "Fictional Youth Mental Health",
        "3",
        "4",
        "e120-e128",
    )
    assert (second["pmid"], second["doi"]) == ("99100052", "10.5555/fixture.enw.book.2018")  # from the urls
    assert records["line"].tolist() == [3, 17]


@pytest.mark.parametrize(
    "prolog, found",
    [
        (
            '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
            "an external entity 'xxe' (SYSTEM 'file:///etc/hostname')",
        ),
        ('<!DOCTYPE xml [<!ENTITY a "aaaa">]>', "an entity declaration 'a'"),
        ('<!DOCTYPE xml SYSTEM "http://example.org/endnote.dtd">', "a document type declaration"),
    ],
)
def test_endnote_xml_with_dtd_or_entities_is_refused(tmp_path, prolog, found):
    (tmp_path / "lib.xml").write_text(
        f'<?xml version="1.0"?>\n{prolog}\n<xml><records><record><titles><title>'
        f"A</title></titles></record></records></xml>\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_export({"file": str(tmp_path / "lib.xml"), "database": "X"})
    assert "expected EndNote XML without a document type declaration (DTD) or entities, found " + found in str(
        info.value
    )


# ----------------------------------------------------------------------------- CSV exports
def test_scopus_csv_by_its_columns():
    records = read_export({"file": str(BIB / "scopus.csv"), "database": "Scopus"})
    first, second = records.iloc[0], records.iloc[1]
    assert first["authors"] == "Vasquez M.; Oyelaran F.K."  # older Scopus: authors split at commas
    assert (first["pages"], first["pmid"], first["doi"]) == ("33-41", "99100061", "10.5555/fixture.scopus.2022")
    assert first["keywords"] == "peer respite; crisis; Humans"  # author and index keywords
    assert pd.isna(second["authors"]) and pd.isna(second["abstract"])  # "[No author name available]"
    assert pd.isna(second["pages"])


@pytest.mark.parametrize(
    "file, expected",
    [
        (
            "lens.csv",
            {
                "title": "Fictional peer-run warmlines",
                "authors": "Ibarra Luis; Chen Wei",
                "year": 2020,
                "month": 4,
                "pages": "10-18",
                "doi": "10.5555/fixture.lens.2020",
                "pmid": "99100071",
                "issue": "1",
            },
        ),
        (
            "openalex.csv",
            {
                "title": "Fictional clubhouse employment outcomes",
                "authors": "Mensah Kofi; Rossi Giulia",
                "year": 2017,
                "month": 8,
                "pages": "77-85",
                "doi": "10.5555/fixture.oa.2017",
                "pmid": "99100081",
                "journal": "Fictional Vocational Journal",
                "language": "English",
            },
        ),
        (
            "dimensions.csv",
            {
                "title": "Fictional peer doulas in perinatal mental health",
                "year": 2026,
                "month": 2,
                "epub_year": 2025,
                "epub_month": 12,
                "pages": "1-9",
                "authors": "Abara, Ngozi; Whitfield, Rose",
                "line": 3,
            },
        ),
        (
            "zotero.csv",
            {
                "title": "Fictional peer-supported open dialogue",
                "authors": "Holm, Sigrid; Abdi, Hodan",
                "year": 2015,
                "month": 10,
                "pmid": "99100091",
                "doi": "10.5555/fixture.zot.2015",
                "keywords": "open dialogue; peer support",
                "pages": "12-20",
            },
        ),
    ],
)
def test_known_csv_exports_by_their_columns(file, expected):
    record = read_export({"file": str(BIB / file), "database": "X"}).iloc[0]
    assert {k: record[k] for k in expected} == expected


def test_lens_csv_record_without_title_is_kept():
    records = read_export({"file": str(BIB / "lens.csv"), "database": "Lens"})
    assert list_record_problems(records)[["line", "field"]].values.tolist() == [[3, "title"]]


def test_r_written_csv_with_a_mapping_to_a_list_of_columns():
    columns = {
        "title": "title",
        "year": "year",
        "authors": "authors",
        "doi": "doi",
        "pmid": "pmid",
        "journal": "journal",
        "pages": ["first_page", "last_page"],
    }
    records = read_export({"file": str(BIB / "r-written.csv"), "database": "R", "columns": columns})
    assert records["pages"].tolist()[1] == "5-9"
    assert records["doi"].isna().tolist() == [True, False, True]  # NA and N/A are no DOI
    assert records["pmid"].tolist()[1] == "99100101"  # from a PubMed link
    assert records["pmid"].isna().tolist() == [True, False, True]  # NA and NULL are no PMID
    assert records.iloc[2][["title", "authors", "journal", "year"]].isna().all()  # "NA", "None", NA
    assert list_record_problems(records)[["line", "field"]].values.tolist() == [[4, "title"], [4, "year"]]


def test_mapping_must_name_title_and_year_and_known_fields():
    with pytest.raises(ConfigError, match=r"unknown \['headline'\], missing \['title'\]"):
        read_export(
            {"file": str(BIB / "r-written.csv"), "database": "R", "columns": {"headline": "title", "year": "year"}}
        )
    with pytest.raises(ConfigError, match=r"not column names \['pages'\]"):
        read_export(
            {
                "file": str(BIB / "r-written.csv"),
                "database": "R",
                "columns": {"title": "title", "year": "year", "pages": {"start": "first_page"}},
            }
        )


# ----------------------------------------------------------------------------- every real export, counted from its text
def _ris_counts(text):
    records = re.split(r"^ER  -.*$", text, flags=re.MULTILINE)[:-1]
    return (
        len(records),
        sum(bool(re.search(r"^(DO|L3|DI)  - .*10\.\d{4,}/", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^(AB|N2)  - \S", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^(AU|A1)  - \S", r, re.MULTILINE)) for r in records),
    )


def _medline_counts(text):
    records = re.split(r"^(?=PMID- )", text, flags=re.MULTILINE)[1:]
    return (
        len(records),
        sum(bool(re.search(r"^(LID|AID) - \S+ \[doi\]", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^AB  - \S", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^(FAU|AU) - \S", r, re.MULTILINE)) for r in records),
    )


def _wos_counts(text):
    records = re.split(r"^ER\s*$", text, flags=re.MULTILINE)[:-1]
    return (
        len(records),
        sum(bool(re.search(r"^DI 10\.", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^AB \S", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^(AU|AF) \S", r, re.MULTILINE)) for r in records),
    )


def _endnote_counts(text):
    records = re.findall(r"<record>.*?</record>", text, flags=re.DOTALL)
    return (
        len(records),
        sum(bool(re.search(r"<electronic-resource-num>\s*10\.\d{4,}/", r)) for r in records),
        sum(bool(re.search(r"<abstract>\s*[^<\s]", r)) for r in records),
        sum("<author>" in r for r in records),
    )


def _bibtex_counts(text):
    records = re.split(r"^@\w+\{", text, flags=re.MULTILINE)[1:]
    return (
        len(records),
        sum(bool(re.search(r"^doi=\{10\.", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^abstract=\{\S", r, re.MULTILINE)) for r in records),
        sum(bool(re.search(r"^author=\{\S", r, re.MULTILINE)) for r in records),
    )


#: Per real export: how to count its records from the raw text, and the counts (records,
#: with a DOI) published in shared/samples/README.md.
REAL_EXPORTS = {
    "revtools_restoration_WoS.ciw": (_wos_counts, (247, 176)),
    "revtools_restoration_pubmed.nbib": (_medline_counts, (104, 104)),
    "revtools_restoration_scopus.ris": (_ris_counts, (286, 282)),
    "synthesisr_ovid.ris": (_ris_counts, (4, 3)),
    "synthesisr_ebsco_asp.ris": (_ris_counts, (4, 2)),
    "synthesisr_scopus.bib": (_bibtex_counts, (3, 3)),
    "bibliometrix_wos_2020s.txt": (_wos_counts, (8, 8)),
    "asysd_endnote.xml": (_endnote_counts, (1233, 1064)),
}


def test_every_real_export_is_listed():
    bib = samples_dir("bib")
    assert sorted(p.name for p in bib.iterdir() if p.is_file() and p.name != "README.md") == sorted(REAL_EXPORTS)


@pytest.mark.parametrize("name", sorted(REAL_EXPORTS))
def test_real_export_is_read_completely(name):
    path = samples_dir("bib") / name
    count, published = REAL_EXPORTS[name]
    n, with_doi, with_abstract, with_authors = count(path.read_text(encoding="utf-8-sig"))
    assert (n, with_doi) == published  # the raw counts agree with the README's
    records = read_export({"file": str(path), "database": "X"})
    assert len(records) == n
    assert records["doi"].notna().sum() == with_doi
    assert records["abstract"].notna().sum() == with_abstract
    assert records["authors"].notna().sum() == with_authors
    assert records["title"].notna().all()
    assert records["record"].is_unique


def test_ovid_medline_record_numbers_between_records():
    text = (
        "<1>\nVN  - Ovid Technologies\nTI  - A fictional first title.\nDP  - 2019 Jan\n\n"
        "<2>\nVN  - Ovid Technologies\nTI  - A fictional second title.\nDP  - 2020\n"
    )
    assert detect_format(text) == "medline"
    records = parse_medline(text, file="ovid.txt")
    assert [(r["line"], r["tags"]["TI"]) for r in records] == [
        (2, ["A fictional first title."]),
        (7, ["A fictional second title."]),  # line 6 is "<2>"
    ]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("DB  - PubMed", "99100121"),
        ("DP  - NLM", "99100121"),
        ("DB  - Ovid MEDLINE(R)", "99100121"),
        ("DB  - Embase", None),
        ("DB  - Academic Search Premier", None),
    ],
)
def test_ris_accession_number_is_a_pmid_only_from_pubmed_or_medline(source, expected):
    text = f"TY  - JOUR\nTI  - A fictional record\nAN  - 99100121\n{source}\nER  - \n"
    assert read_ris_text(text)["pmid"] == expected


def read_ris_text(text):
    return map_ris(parse_ris(text)[0])


def test_bibtex_after_a_reference_manager_notice_is_recognised(tmp_path):
    text = (
        "Automatically generated by a fictional reference manager\nAny changes to this file will be lost.\n\n"
        "@article{Okafor2020,\nauthor = {Okafor, Chidi},\ntitle = {{A fictional title}},\nyear = {2020}\n}\n"
    )
    (tmp_path / "library.bib").write_text(text, encoding="utf-8")
    record = read_export({"file": str(tmp_path / "library.bib"), "database": "Mendeley"}).iloc[0]
    assert (record["format"], record["title"], record["year"], record["line"]) == (
        "bibtex",
        "A fictional title",
        2020,
        4,
    )
