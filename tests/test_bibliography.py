"""Readers of bibliographic exports: MEDLINE/PubMed, RIS, Web of Science, CSV.

Hand-made fixtures in tests/fixtures/bib/ (every field known), the real exports in
../shared/samples/bib/ (revtools examples: counts from shared/samples/README.md), and
the project's own raw exports of the literature review.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers import FIXTURES, samples_dir
from peerstudy.bibliography import (RECORD_COLUMNS, check_search_log, normalise_doi, normalise_language, parse_date,
                                    parse_medline, parse_ris, parse_wos, read_csv_export, read_export, read_exports,
                                    read_medline, read_ris, read_search_log, read_wos)
from peerstudy.config import PROJECT_ROOT
from peerstudy.errors import ConfigError, InputError

BIB = FIXTURES / "bib"
RAW = PROJECT_ROOT / "data/raw/literature-review"
CSV_COLUMNS = {"title": "Title", "authors": "Author(s)", "journal": "Source Title", "year": "Publication Year",
               "month": "Month", "doi": "DOI", "abstract": "Abstract", "language": "Language"}


# ----------------------------------------------------------------------------- normalisers
@pytest.mark.parametrize("raw, expected", [
    ("10.5555/ABC.1", "10.5555/abc.1"),
    ("https://doi.org/10.5555/ABC.1", "10.5555/abc.1"),
    ("http://dx.doi.org/10.5555/abc.1.", "10.5555/abc.1"),
    ("doi: 10.5555/abc.1", "10.5555/abc.1"),
    ("10.5555/abc.1 [doi]", "10.5555/abc.1"),
    ("S0883-5403(19)30006-3 [pii]", None),
    ("", None),
    (None, None),
])
def test_normalise_doi(raw, expected):
    assert normalise_doi(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("2008 Mar", (2008, 3)), ("2008 Mar-Apr", (2008, 3)), ("2010 Sep 15", (2010, 9)), ("2004 Spring", (2004, 3)),
    ("2008///", (2008, None)), ("2008/03//", (2008, 3)), ("1999/11/02/", (1999, 11)), ("2024", (2024, None)),
    ("MAR 15", (None, 3)), ("", (None, None)),
])
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
    assert first["abstract"] == ("Peer specialists joined the staff of an acute ward. We interviewed them twice. "
                                 "Their roles changed over the year.")
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
    assert [(p.row, p.field) for p in info.value.problems] == [(3, None), (6, "TI")]
    assert str(info.value.problems[0]) == (
        "x.nbib, row 3: expected a MEDLINE tag line ('TAG - value') or a continuation line indented by 6 spaces, "
        "found 'this line lost its indent'. Fix: re-export the records in MEDLINE/PubMed format, or repair that line.")


# ----------------------------------------------------------------------------- RIS
def test_ris_fields_survive_crlf_and_ebsco_tags():
    records = read_ris(BIB / "mini.ris", database="PsycINFO")
    assert records["record"].tolist() == ["psycinfo:1", "psycinfo:2"]
    first = records.iloc[0]
    assert first["title"] == "Peer Specialists on an Acute Psychiatric Ward - a Qualitative Study of Their First Year"
    assert first["authors"] == "Ødegård, Å.; Nakamura, H."
    assert (first["year"], first["month"]) == (2008, 3)
    assert first["journal"] == "Journal of Peer Support Research"
    assert first["doi"] == "10.5555/fixture.2008.001"          # from https://doi.org/..., lower case
    assert first["pmid"] == "99000001"                          # from N1 "PMID: ..."
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
        "line 7, found a new record at line 12. Fix: add the missing 'ER  - ' line, or re-export the file.")


@pytest.mark.parametrize("text, row, expected", [
    ("stray text\nTY  - JOUR\nTI  - A\nER  - \n", 1, "expected 'TY  - ' starting a record, found 'stray text'"),
    ("TY  - JOUR\nAU - Smith, A.\nTI  - A\nER  - \n", 2, "expected a RIS tag line 'XX  - value'"),
    ("TY  - JOUR\nAU  - Smith, A.\nER  - \n", 1, "expected a title (TI or T1) in every record"),
    ("TY  - JOUR\nTI  - A\n", 1, "found the end of the file"),
])
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
    assert first["title"] == "Working with peer supporters: a fictional record for the tests of the Web of Science reader"
    assert first["journal"] == "INTERNATIONAL JOURNAL OF FICTIONAL MENTAL HEALTH"
    assert (first["year"], first["month"], first["volume"], first["issue"]) == (2024, 4, "26", "4")
    assert first["pages"] == "251-260"
    assert first["doi"] == "10.5555/fixture.2024.002"
    assert first["pmid"] == "99000004"
    assert first["keywords"] == "peer supporter; collaboration; community mental health"
    assert first["affiliations"] == ("[Lee, Sunhee; Kim, Jiwon] Fictional Univ, Dept Social Welf, Seoul, South Korea.; "
                                     "[Park, Hyunwoo] Fictional Ctr Mental Hlth, Busan, South Korea.")
    assert first["language"] == "English"
    assert records.iloc[1]["first_author"] == "Çelik, Ayşe"


def test_wos_record_without_er_is_named():
    text = "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A\nPY 2001\nPT J\nTI B\nER\nEF"
    with pytest.raises(InputError) as info:
        parse_wos(text, file="x.txt")
    assert str(info.value) == ("x.txt, row 3, field 'ER': expected 'ER' closing the record that starts at line 3, "
                               "found 'PT' at line 6. Fix: add the missing 'ER' line, or re-export the file.")


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
    with pytest.raises(ConfigError, match=r"field 'exports.format': expected one of medline, ris, wos, csv, found 'bibtex'"):
        read_export({"file": str(BIB / "mini.csv"), "database": "X", "format": "bibtex"})


# ----------------------------------------------------------------------------- several exports
def test_read_exports_numbers_per_database_and_keeps_sources():
    records = read_exports([
        {"file": str(BIB / "mini.ris"), "database": "PsycINFO", "format": "ris"},
        {"file": str(BIB / "mini.ris"), "database": "PsycINFO", "format": "ris"},
        {"file": str(BIB / "mini-wos.txt"), "database": "Web of Science", "format": "wos", "source": "other"},
    ])
    assert records["record"].tolist() == ["psycinfo:1", "psycinfo:2", "psycinfo:3", "psycinfo:4",
                                          "web-of-science:1", "web-of-science:2"]
    assert records["source"].tolist() == ["search"] * 4 + ["other"] * 2


def test_read_exports_reports_problems_of_every_file_together():
    with pytest.raises(InputError) as info:
        read_exports([{"file": str(BIB / "malformed.ris"), "database": "A", "format": "ris"},
                      {"file": str(BIB / "no-such.nbib"), "database": "B", "format": "medline"}])
    assert [p.file for p in info.value.problems] == ["tests/fixtures/bib/malformed.ris", "tests/fixtures/bib/no-such.nbib"]


def test_search_log_counts_must_match_the_exports(tmp_path):
    records = read_exports([{"file": str(BIB / "mini.nbib"), "database": "PubMed", "format": "medline"}])
    log = pd.DataFrame({"database": ["PubMed"], "searched": ["2010-09-06"], "results": [3]})
    assert check_search_log(records, log)["records"].tolist() == [3]
    with pytest.raises(InputError) as info:
        check_search_log(records, log.assign(results=[4]), file="search-log.yaml")
    assert str(info.value) == ("search-log.yaml, field 'PubMed.results': expected 4 records (as logged), found 3 records "
                               "in the export. Fix: re-export all the search's records, or correct the log.")


# ----------------------------------------------------------------------------- the study's raw exports
def test_raw_exports_of_the_review_are_read_and_match_the_search_log():
    exports = [
        {"file": "data/raw/literature-review/pubmed-2010-09-06.nbib", "database": "PubMed", "format": "medline"},
        {"file": "data/raw/literature-review/medline-ovid-2010-09-07.txt", "database": "MEDLINE", "format": "medline"},
        {"file": "data/raw/literature-review/cinahl-ebsco-2010-09-08.ris", "database": "CINAHL", "format": "ris"},
        {"file": "data/raw/literature-review/psycinfo-ebsco-2010-09-08.ris", "database": "PsycINFO", "format": "ris"},
        {"file": "data/raw/literature-review/psycarticles-2010-09-09.csv", "database": "PsycARTICLES", "format": "csv",
         "columns": {**CSV_COLUMNS, "keywords": "Keywords"}},
        {"file": "data/raw/literature-review/wos-study-b-record.txt", "database": "Web of Science", "format": "wos",
         "source": "other"},
    ]
    records = read_exports(exports)
    table = check_search_log(records, read_search_log(RAW / "search-log.yaml"))
    assert dict(zip(table["database"], table["records"])) == {
        "PubMed": 182, "MEDLINE": 143, "CINAHL": 125, "PsycINFO": 203, "PsycARTICLES": 42, "Web of Science": 11}
    study_b = records.set_index("record").loc["web-of-science:1"]
    assert study_b["title"] == ("Experience of mental health professionals collaborating with peer supporters in a "
                                "community mental health service team")
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
    assert first["title"] == ("Ecosystem services changes between 2000 and 2015 in the Loess Plateau, China: A response "
                              "to ecological restoration.")
    assert first["authors"].split("; ")[:2] == ["Wu, Dan", "Zou, Changxin"]
    w = wos.iloc[0]
    assert (w["first_author"], w["year"], w["month"], w["pages"]) == ("Alvarez-Manzaneda, I.", 2019, 3, "598-607")
    assert w["doi"] == "10.1016/j.scitotenv.2018.11.375" and w["pmid"] == "30529964"
    s = scopus.iloc[0]
    assert (s["journal"], s["doi"], s["year"]) == ("Retinal cases & brief reports", "10.1097/icb.0000000000000530", 2019)
    # repeated N1 tags do not break the record; UTF-8 non-ASCII is kept
    assert scopus["authors"].str.contains(r"[^\x00-\x7f]", regex=True).any()
