"""Deduplication (peerstudy.review.dedup): precision first, every merge and near miss listed with
its evidence. Expected values come from hand-made records whose answer is known by
construction (every person, journal and DOI below is invented), from the labels of real
labelled sets (shared/samples/dedup/, skipped where absent) and from counts of DOIs made
here from the real exports (shared/samples/bib/)."""

from __future__ import annotations

import csv
import itertools
import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import FIXTURES, examples, samples_dir
from peerstudy.errors import ConfigError
from peerstudy.review.bibliography import read_exports, read_medline, read_ris, read_wos
from peerstudy.review.dedup import find_duplicates, select_pairs_to_check, summarise_pairs
from peerstudy.review.dedup_blocking import _candidate_pairs
from peerstudy.review.dedup_evidence import _prepare
from peerstudy.review.dedup_keys import (
    is_correction,
    is_generic_title,
    normalise_pages,
    normalise_pmid,
    normalise_title,
)

BIB = FIXTURES / "bib"


def frame(rows: list[tuple]) -> pd.DataFrame:
    cols = ["record", "database", "title", "first_author", "year", "doi", "pmid", "publication_type"]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------- duplicates
HAND_MADE = frame(
    [
        ("pubmed:1", "PubMed", "Peer support in psychiatry.", "Smith, Ann", 2004, "10.5555/x.1", "99000001", None),
        ("cinahl:1", "CINAHL", "PEER SUPPORT IN PSYCHIATRY", "Smith A", 2004, None, None, None),  # title rule
        (
            "psycinfo:1",
            "PsycINFO",
            "Peer support in psychiatry",
            "Smith, A.",
            2005,
            "10.5555/X.1",
            None,
            None,
        ),  # DOI, year differs
        (
            "psycinfo:2",
            "PsycINFO",
            "Peer support in psychiatry",
            "Smith, A.",
            2007,
            None,
            None,
            None,
        ),  # same title, other year
        ("cinahl:2", "CINAHL", "Erratum: Peer support in psychiatry", "Smith A", 2004, None, None, None),  # erratum
        (
            "pubmed:2",
            "PubMed",
            "Peer workers on acute wards: a qualitative study",
            "Østergaard, Lene",
            2006,
            None,
            "99000002",
            None,
        ),
        (
            "cinahl:3",
            "CINAHL",
            "Peer workers on acute wards - a qualitative stud",
            "Ostergaard L",
            2006,
            None,
            None,
            None,
        ),  # fuzzy
        (
            "cinahl:4",
            "CINAHL",
            "Peer workers on acute wards: a qualitative study",
            "Brown K",
            2006,
            None,
            None,
            None,
        ),  # other author
        ("pubmed:3", "PubMed", "Consumer-run drop-in centres", "Lee, K", 2001, "10.5555/y.1", None, None),
        (
            "psycinfo:3",
            "PsycINFO",
            "Consumer-run drop-in centres",
            "Lee, K.",
            2001,
            "10.5555/y.2",
            None,
            None,
        ),  # other DOI
        ("psycinfo:4", "PsycINFO", "Mutual help groups and recovery", "Núñez, M.", 1999, None, None, "Dissertation"),
    ]
)


def test_deduplication_of_a_hand_made_set():
    marked, pairs = find_duplicates(HAND_MADE, priority=["PubMed", "PsycINFO", "CINAHL"])
    assert marked.set_index("record")["duplicate_of"].fillna("-").to_dict() == {
        "pubmed:1": "-",
        "cinahl:1": "pubmed:1",
        "psycinfo:1": "pubmed:1",
        "psycinfo:2": "-",
        "cinahl:2": "-",
        "pubmed:2": "-",
        "cinahl:3": "pubmed:2",
        "cinahl:4": "-",
        "pubmed:3": "-",
        "psycinfo:3": "-",
        "psycinfo:4": "-",
    }
    listed = {(r.record_a, r.record_b): (r.rule, r.decision, r.reason) for r in pairs.itertuples()}
    assert listed[("pubmed:1", "psycinfo:1")] == ("same DOI", "merged", "years differ (online and print dates?): check")
    assert listed[("pubmed:1", "cinahl:1")] == ("same title, year and first author", "merged", "")
    assert listed[("pubmed:1", "psycinfo:2")][1:] == ("kept apart", "different year")
    assert listed[("pubmed:1", "cinahl:2")][1:] == ("kept apart", "erratum, correction or reply")
    assert listed[("pubmed:2", "cinahl:3")][:2] == ("similar title, same year and first author", "merged")
    assert listed[("pubmed:2", "cinahl:4")][1:] == ("kept apart", "different first author")
    assert listed[("pubmed:3", "psycinfo:3")][1:] == ("kept apart", "different DOIs")
    score = pairs.set_index(["record_a", "record_b"]).at[("pubmed:2", "cinahl:3"), "score"]
    assert 95 <= score < 100
    # every merge is a row of the pairs table: nothing merged silently
    assert (pairs["decision"] == "merged").sum() == marked["duplicate_of"].notna().sum() == 3


def test_input_records_are_not_modified():
    before = HAND_MADE.copy(deep=True)
    find_duplicates(HAND_MADE)
    pd.testing.assert_frame_equal(HAND_MADE, before)


def test_the_record_kept_comes_from_the_preferred_database():
    marked, _ = find_duplicates(HAND_MADE, priority=["CINAHL", "PubMed"])
    kept = marked.set_index("record")["duplicate_of"]
    assert kept["pubmed:1"] == "cinahl:1" and kept["psycinfo:1"] == "cinahl:1"
    assert kept["pubmed:2"] == "cinahl:3"


def test_a_kept_record_takes_missing_identifiers_from_its_duplicates():
    marked, _ = find_duplicates(HAND_MADE, priority=["CINAHL", "PubMed"])
    row = marked.set_index("record").loc["cinahl:1"]
    assert (row["doi"], row["pmid"], row["completed_from"]) == (
        "10.5555/x.1",
        "99000001",
        "doi from pubmed:1; pmid from pubmed:1",
    )


def test_pairs_to_check_are_the_kept_apart_the_fuzzy_and_the_flagged():
    _, pairs = find_duplicates(HAND_MADE)
    check = select_pairs_to_check(pairs)
    assert len(check) == 7  # 5 kept apart, 1 merge on a similar title, 1 merge with differing years
    assert set(check["decision"]) == {"merged", "kept apart"}


@pytest.mark.parametrize(
    "title, ptype, expected",
    [
        ("Erratum: A study", None, True),
        ("Correction to: A study", None, True),
        ('Corrigendum to "A study"', None, True),
        ("Reply to Smith: peer work", None, True),
        ("Re: Peer workers", None, True),
        ("A study", "Published Erratum", True),
        ("A study (vol 12, pg 4, 2001)", None, True),
        ("Responses of peer workers", None, False),
        ("Correctional peer support", None, False),
        ("Peer mentoring in psychosis - Reply", None, True),
        ("Peer mentoring in psychosis: authors' reply.", None, True),
        ("Peer support and the immune response", None, False),
        ("Peer support", "Journal Article", False),
    ],
)
def test_is_correction(title, ptype, expected):
    assert is_correction(title, ptype) is expected


def test_normalise_title_ignores_case_punctuation_trailing_period_and_accents():
    assert normalise_title("Peer-support: a café study.") == normalise_title("PEER SUPPORT – A CAFE STUDY")
    assert normalise_title("Ødegård & Łukasik") == "odegard and lukasik"


@settings(max_examples=examples(60), deadline=None)
@given(
    title=st.text(alphabet="abcdefghij ,.:-", min_size=5, max_size=40),
    years=st.tuples(st.integers(1980, 2010), st.integers(1980, 2010)).filter(lambda y: y[0] != y[1]),
)
def test_records_that_differ_in_year_are_never_merged_on_their_title(title, years):
    recs = frame(
        [
            ("a:1", "A", title, "Smith, A", years[0], None, None, None),
            ("b:1", "B", title.upper() + ".", "Smith A", years[1], None, None, None),
        ]
    )
    marked, _ = find_duplicates(recs)
    assert marked["duplicate_of"].isna().all()


def test_duplicates_across_the_hand_made_export_files():
    records = read_exports(
        [
            {"file": str(BIB / "mini.nbib"), "database": "PubMed", "format": "medline"},
            {"file": str(BIB / "mini.ris"), "database": "PsycINFO", "format": "ris"},
            {"file": str(BIB / "mini-wos.txt"), "database": "Web of Science", "format": "wos"},
            {
                "file": str(BIB / "mini.csv"),
                "database": "PsycARTICLES",
                "format": "csv",
                "columns": {"title": "Title", "authors": "Author(s)", "year": "Publication Year", "doi": "DOI"},
            },
        ]
    )
    marked, pairs = find_duplicates(records)
    assert marked.set_index("record")["duplicate_of"].dropna().to_dict() == {
        "psycinfo:1": "pubmed:1",
        "web-of-science:2": "pubmed:1",
    }
    kept_apart = pairs[pairs["decision"] == "kept apart"]
    assert sorted(zip(kept_apart["record_a"], kept_apart["record_b"], kept_apart["reason"], strict=False)) == [
        ("psycarticles:1", "psycarticles:2", "different year"),  # same title, 2006 and 2009
        ("pubmed:1", "pubmed:3", "erratum, correction or reply"),
    ]  # the erratum


def test_real_exports_deduplicate_to_the_distinct_dois_plus_title_matches():
    """637 records with 416 distinct DOIs (shared/samples/README.md). Every record with a DOI
    is merged with the others of its DOI; the 75 records without a DOI stay distinct. One of
    them (WoS, Surgery 165(2), BP 491 EP 492, one author) has the title of a PubMed record
    with a DOI (PG 486-496): different first pages keep them apart, listed for a person to
    check (read in the raw files). Corrections stay apart from what they correct."""
    bib = samples_dir("bib")
    records = pd.concat(
        [
            read_wos(bib / "revtools_restoration_WoS.ciw"),
            read_medline(bib / "revtools_restoration_pubmed.nbib"),
            read_ris(bib / "revtools_restoration_scopus.ris", database="Scopus"),
        ],
        ignore_index=True,
    )
    marked, pairs = find_duplicates(records)
    kept = marked[marked["duplicate_of"].isna()]
    assert len(records) == 637
    assert kept["doi"].nunique() == kept["doi"].notna().sum() == 416
    assert kept["doi"].isna().sum() == records["doi"].isna().sum() == 75
    assert len(kept) == 416 + 75
    title_pairs = pairs[~pairs["rule"].isin(["same DOI", "same PMID"])]
    assert list(
        zip(
            title_pairs["record_a"],
            title_pairs["record_b"],
            title_pairs["decision"],
            title_pairs["reason"],
            strict=False,
        )
    ) == [
        ("web-of-science:6", "pubmed:94", "kept apart", "different pages"),
        ("pubmed:81", "pubmed:85", "kept apart", "erratum, correction or reply"),
    ]
    assert "first page (491 / 486)" in title_pairs["differed"].iloc[0]
    # the WoS correction ("... (vol 104, pg 150, 2017)") and the Scopus "Corrigendum to ..." share a DOI: merged
    assert marked.set_index("record").at["scopus:71", "duplicate_of"] == "web-of-science:15"
    assert (pairs["decision"] == "merged").sum() == len(records) - len(kept)


# ----------------------------------------------------------------------------- new rules, hand-made sets
COLUMNS = ["record", "database", "title", "first_author", "year", "journal", "volume", "issue", "pages", "doi", "pmid"]


def table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def kept_of(marked: pd.DataFrame) -> dict[str, str]:
    return marked.set_index("record")["duplicate_of"].fillna("-").to_dict()


def listed(pairs: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {(r["record_a"], r["record_b"]): r for _, r in pairs.iterrows()}


def test_a_supplement_doi_shared_by_different_abstracts_merges_none_of_them():
    # four conference abstracts printed in one supplement under one DOI (different titles and
    # pages), and one of them exported twice: only that pair is the same publication
    doi = "10.5555/suppl.2019.77"
    recs = table(
        [
            (
                "embase:1",
                "Embase",
                "Peer mentors on an early psychosis team",
                "Okafor, T.",
                2019,
                "Early Interv Psychiatry",
                "13",
                "S1",
                "12",
                doi,
                None,
            ),
            (
                "embase:2",
                "Embase",
                "A recovery college run by volunteers",
                "Lindqvist, E.",
                2019,
                "Early Interv Psychiatry",
                "13",
                "S1",
                "13",
                doi,
                None,
            ),
            (
                "embase:3",
                "Embase",
                "Telephone befriending after discharge",
                "Haddad, R.",
                2019,
                "Early Interv Psychiatry",
                "13",
                "S1",
                "14",
                doi,
                None,
            ),
            (
                "embase:4",
                "Embase",
                "Family peer advocates in child services",
                "Moreau, J.",
                2019,
                "Early Interv Psychiatry",
                "13",
                "S1",
                "15",
                doi,
                None,
            ),
            (
                "psycinfo:1",
                "PsycINFO",
                "Peer mentors on an early-psychosis team.",
                "Okafor, Tomi",
                2019,
                "Early Intervention in Psychiatry",
                "13",
                "Suppl 1",
                "12",
                doi,
                None,
            ),
        ]
    )
    marked, pairs = find_duplicates(recs, priority=["Embase"])
    assert kept_of(marked) == {
        "embase:1": "-",
        "embase:2": "-",
        "embase:3": "-",
        "embase:4": "-",
        "psycinfo:1": "embase:1",
    }
    near = pairs[pairs["decision"] == "kept apart"]
    # each different title under the DOI is one near miss, listed for a person to check
    assert sorted(near["record_b"]) == ["embase:2", "embase:3", "embase:4"]
    assert set(near["reason"]) == {"same DOI, titles differ"}
    assert set(select_pairs_to_check(pairs)["record_b"]) >= {"embase:2", "embase:3", "embase:4"}


def test_serial_items_with_a_generic_title_stay_apart_unless_issue_and_pages_agree():
    recs = table(
        [
            (
                "a:1",
                "A",
                "Editor's Comments",
                "Arbuckle, N.",
                2020,
                "Journal of Peer Work",
                "7",
                "1",
                "1-2",
                None,
                None,
            ),
            (
                "a:2",
                "A",
                "Editor's comments.",
                "Arbuckle, N.",
                2020,
                "Journal of Peer Work",
                "7",
                "2",
                "101-102",
                None,
                None,
            ),
            (
                "a:3",
                "A",
                "Editor's Comments",
                "Arbuckle, N.",
                2020,
                "Journal of Peer Work",
                "7",
                None,
                None,
                None,
                None,
            ),
            ("b:1", "B", "EDITOR'S COMMENTS", "Arbuckle N", 2020, "J Peer Work", "7", "1", "1-2", None, None),
        ]
    )
    marked, pairs = find_duplicates(recs)
    # by construction: only a:1 and b:1 are the same item (issue 1, pages 1-2)
    assert kept_of(marked) == {"a:1": "-", "a:2": "-", "a:3": "-", "b:1": "a:1"}
    rows = listed(pairs)
    # a:3 (no issue, no pages) cannot be told apart from a:1 or a:2: near misses for a person
    generic = "generic title (serial item): volume and first page must agree"
    assert rows[("a:1", "a:3")]["reason"] == rows[("a:2", "a:3")]["reason"] == generic
    # items known to differ (other issue and pages) are not even listed
    assert ("a:1", "a:2") not in rows and ("a:2", "b:1") not in rows
    assert is_generic_title("Letters to the Editor") and not is_generic_title("Letters of peer workers")


def test_volumes_of_one_conference_stay_apart():
    recs = table(
        [
            (
                "a:1",
                "A",
                "Proceedings of the Conference on Community Psychiatry, Volume 2",
                "Ito, K.",
                2018,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Proceedings of the Conference on Community Psychiatry, Volume 5",
                "Ito, K.",
                2018,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "a:2",
                "A",
                "Peer work in Bergen",
                "Solberg, A.",
                2018,
                "Nordic Peer Review",
                "12",
                "1",
                "5-9",
                None,
                None,
            ),
            (
                "b:2",
                "B",
                "Peer work in Bergen",
                "Solberg, A.",
                2018,
                "Nordic Peer Review",
                "13",
                "1",
                "5-9",
                None,
                None,
            ),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert set(kept_of(marked).values()) == {"-"}
    rows = listed(pairs)
    # the two volumes' titles are 98% alike, but differ in a number: a near miss, not a merge
    assert rows[("a:1", "b:1")]["decision"] == "kept apart"
    assert rows[("a:1", "b:1")]["title_similarity"] >= 95
    assert rows[("a:2", "b:2")]["reason"] == "different volume"
    assert "volume (12 / 13)" in rows[("a:2", "b:2")]["differed"]


def test_pages_keep_records_apart_and_abbreviated_ranges_agree():
    recs = table(
        [
            (
                "a:1",
                "A",
                "Peer support and loneliness",
                "Kowalski, P.",
                2012,
                "Ment Health Rev",
                "17",
                "3",
                "10-19",
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Peer support and loneliness",
                "Kowalski, P.",
                2012,
                "Ment Health Rev",
                "17",
                "3",
                "20-29",
                None,
                None,
            ),
            (
                "c:1",
                "C",
                "Peer support and loneliness",
                "Kowalski P",
                2012,
                "Mental Health Review",
                "17",
                "3",
                "1297-306",
                None,
                None,
            ),
            (
                "d:1",
                "D",
                "Peer support and loneliness.",
                "Kowalski, Piotr",
                2012,
                "Ment. Health Rev.",
                "17",
                "3",
                "1297-1306",
                None,
                None,
            ),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked) == {"a:1": "-", "b:1": "-", "c:1": "-", "d:1": "c:1"}
    assert listed(pairs)[("a:1", "b:1")]["reason"] == "different pages"
    assert normalise_pages("1297-306") == normalise_pages("1297-1306") == ("1297", "1306")


def test_no_merge_through_a_third_record_that_lacks_the_field():
    # a:1 (volume 5) and c:1 (volume 7) are different; b:1 has no volume and matches both
    recs = table(
        [
            ("a:1", "A", "Peer workers and the law", "Ruiz, M.", 2001, "Law Psychiatry Q", "5", None, None, None, None),
            (
                "b:1",
                "B",
                "Peer workers and the law",
                "Ruiz, M.",
                2001,
                "Law Psychiatry Q",
                None,
                None,
                None,
                None,
                None,
            ),
            ("c:1", "C", "Peer workers and the law", "Ruiz, M.", 2001, "Law Psychiatry Q", "7", None, None, None, None),
        ]
    )
    marked, pairs = find_duplicates(recs)
    roots = {r: (k if k != "-" else r) for r, k in kept_of(marked).items()}
    assert roots["a:1"] != roots["c:1"]
    assert "different volume" in set(pairs["reason"])


def test_year_may_differ_by_one_only_when_journal_and_pages_agree():
    recs = table(
        [
            (
                "a:1",
                "A",
                "Recovery narratives in peer groups",
                "Baptiste, L.",
                2015,
                "Int J Peer Stud",
                "3",
                "4",
                "200-210",
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Recovery narratives in peer groups",
                "Baptiste, L.",
                2016,
                "International Journal of Peer Studies",
                "3",
                "4",
                "200-10",
                None,
                None,
            ),  # online 2015, print 2016: same article
            (
                "c:1",
                "C",
                "Recovery narratives in peer groups",
                "Baptiste, L.",
                2016,
                "Peer Quarterly",
                None,
                None,
                None,
                None,
                None,
            ),  # another journal: not shown to be the same
            (
                "d:1",
                "D",
                "Recovery narratives in peer groups",
                "Baptiste, L.",
                2017,
                "Int J Peer Stud",
                "3",
                "4",
                "200-210",
                None,
                None,
            ),  # two years apart
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked) == {"a:1": "-", "b:1": "a:1", "c:1": "-", "d:1": "-"}
    merged = listed(pairs)[("a:1", "b:1")]
    assert merged["reason"] == "years differ by one; journal and first page agree: check"
    assert "year (2015 / 2016)" in merged["differed"] and "journal" in merged["agreed"]
    assert listed(pairs)[("a:1", "c:1")]["reason"] == "different year"


@pytest.mark.parametrize(
    "marked_title",
    [
        "[Peer support in rural clinics]. [Article in French]",
        "Peer support in rural clinics. [Chinese]",
        "Peer support in rural clinics [Review] [42 refs]",
        "Peer support in rural clinics.[Erratum appears in Rural Ment Health. 2011;4(2):9]",
    ],
)
def test_translated_title_markers_and_notes_are_not_part_of_the_title(marked_title):
    recs = table(
        [
            ("a:1", "A", "Peer support in rural clinics", "Dubois, C.", 2010, None, None, None, None, None, None),
            ("b:1", "B", marked_title, "Dubois C", 2010, None, None, None, None, None, None),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked)["b:1"] == "a:1"
    assert pairs.loc[0, "rule"] == "same title, year and first author"


def test_html_entities_markup_and_punctuation_do_not_separate_titles():
    assert normalise_title("Peer &amp; family support: <i>a</i> trial") == normalise_title(
        "Peer & Family Support - A trial."
    )
    assert normalise_title("Caf&eacute; groups &#8211; a study") == "cafe groups a study"
    recs = table(
        [
            ("a:1", "A", "Peer &amp; family support: a trial", "Mensah, K.", 2009, None, None, None, None, None, None),
            ("b:1", "B", "Peer & family support - a trial.", "Mensah K", 2009, None, None, None, None, None, None),
        ]
    )
    assert kept_of(find_duplicates(recs)[0])["b:1"] == "a:1"


@pytest.mark.parametrize(
    "other_author, merged",
    [
        ("Nováková, Z.", True),
        ("Novakova Z", True),
        ("Zuzana, Nováková", True),
        ("Novakova-Horak, Zuzana", True),
        ("Horvath, Z.", False),
    ],
)
def test_first_authors_compared_after_initials_order_and_diacritics(other_author, merged):
    recs = table(
        [
            (
                "a:1",
                "A",
                "Peer support workers in community teams: a mixed methods study",
                "Novakova, Zuzana",
                2014,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Peer-support workers in community teams: a mixed-methods study",
                other_author,
                2014,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ]
    )
    assert (kept_of(find_duplicates(recs)[0])["b:1"] == "a:1") is merged


def test_titles_that_differ_in_a_word_not_in_spelling_stay_apart():
    recs = table(
        [
            (
                "a:1",
                "A",
                "Open label trial of peer coaching in adult patients with resistant depression",
                "Sponsor Inc",
                2011,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Open label trial of peer coaching in adolescent patients with resistant depression",
                "Sponsor Inc",
                2011,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "c:1",
                "C",
                "Peer workers in a community recreation program: consumer-staff perspectives",
                "Yusuf, A.",
                2003,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "d:1",
                "D",
                "Peer workers in a community recreation programme: consumer staff perspectives",
                "Yusuf A",
                2003,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ]
    )
    marked, _ = find_duplicates(recs)
    assert kept_of(marked) == {"a:1": "-", "b:1": "-", "c:1": "-", "d:1": "c:1"}


def test_a_missing_subtitle_merges_at_the_same_journal_volume_and_pages():
    recs = table(
        [
            (
                "a:1",
                "A",
                "Unilateral neglect after stroke",
                "Chan, D. Y.",
                2013,
                "Top Geriatr Rehabil",
                "29",
                "2",
                "126-134",
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Unilateral neglect after stroke: a comparative study",
                "Chan, Dick Y.",
                2013,
                "Topics in Geriatric Rehabilitation",
                "29",
                "2",
                "126-34",
                None,
                None,
            ),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked)["b:1"] == "a:1"
    assert pairs.loc[0, "rule"] == "similar title, same journal, volume and pages"


def test_every_merge_and_near_miss_lists_its_evidence():
    recs = table(
        [
            (
                "a:1",
                "A",
                "Peer support and loneliness",
                "Kowalski, P.",
                2012,
                "Ment Health Rev",
                "17",
                "3",
                "10-19",
                "10.5555/ml.1",
                None,
            ),
            (
                "b:1",
                "B",
                "Peer support and loneliness.",
                "Kowalski P",
                2012,
                "Ment Health Rev",
                "17",
                "3",
                "10-19",
                "10.5555/ML.1",
                None,
            ),
            (
                "c:1",
                "C",
                "Peer support and loneliness",
                "Kowalski, P.",
                2012,
                "Ment Health Rev",
                "17",
                "3",
                "40-49",
                None,
                None,
            ),
        ]
    )
    _, pairs = find_duplicates(recs)
    assert len(pairs) == 2 and set(pairs["decision"]) == {"merged", "kept apart"}
    merged = pairs[pairs["decision"] == "merged"].iloc[0]
    assert merged["agreed"].split("; ") == [
        "DOI",
        "title (100.0)",
        "year",
        "first author",
        "journal",
        "volume",
        "issue",
        "first page",
    ]
    assert merged["differed"] == ""
    near = pairs[pairs["decision"] == "kept apart"].iloc[0]
    assert near["reason"] == "different pages" and near["differed"] == "first page (10 / 40)"
    assert near["title_similarity"] == 100.0
    assert list(pairs.columns[-3:]) == ["title_similarity", "agreed", "differed"]
    assert summarise_pairs(pairs)["pairs"].sum() == 2


def test_missing_identifiers_written_as_text_are_missing():
    # R writes NA; a PMID 'NA' shared by two different records must not join them
    assert [normalise_pmid(v) for v in ["NA", "N/A", "NULL", "", None]] == [None] * 5
    assert normalise_pmid("https://pubmed.ncbi.nlm.nih.gov/31234567") == "31234567"
    recs = table(
        [
            ("a:1", "A", "Peer support in prisons", "Quinn, F.", 2005, None, None, None, None, "NA", "NA"),
            ("b:1", "B", "Housing first and peer workers", "Adeyemi, B.", 2007, None, None, None, None, "NA", "NA"),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert marked["duplicate_of"].isna().all() and pairs.empty


def test_bad_parameters_give_one_clear_error():
    with pytest.raises(ConfigError, match="match_threshold"):
        find_duplicates(table([]), threshold=120)


def test_blocks_are_bounded_without_authors():
    """3,000 records of one year without authors, journals or pages (one block under the old
    key): the candidate pairs grow with the number of records, not its square."""
    rng = random.Random(7)
    words = [
        "peer",
        "support",
        "recovery",
        "community",
        "mental",
        "health",
        "trial",
        "workers",
        "groups",
        "housing",
        "stigma",
        "employment",
        "youth",
        "carers",
        "crisis",
        "service",
        "outcomes",
        "model",
        "rural",
        "online",
    ]
    titles = [" ".join(rng.choice(words) for _ in range(8)) + f" {i}" for i in range(3000)]
    recs = table([(f"x:{i}", "X", t, None, 2020, None, None, None, None, None, None) for i, t in enumerate(titles)])
    prep = _prepare(recs, ())
    n_pairs = len(_candidate_pairs(prep, 64, 8))
    assert n_pairs <= 3000 * 8 * 4  # at most `window` neighbours per record and key
    assert n_pairs < 3000 * 2999 / 2 / 50  # far below all pairs


# ----------------------------------------------------------------------------- real labelled sets
def _labelled_sets() -> list:
    folder = samples_dir("dedup")
    sets = sorted(p for p in folder.iterdir() if (p / "records_pre_merged.csv").is_file())
    if not sets:
        pytest.skip(f"no labelled set in {folder}")
    return sets


def _read_labelled(folder) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    raw = pd.read_csv(folder / "records_pre_merged.csv", dtype=str, keep_default_na=False)
    authors = raw["author"].str.replace(" and ", "; ", regex=False)

    def col(name: str) -> list:
        return [v or None for v in raw[name]] if name in raw else [None] * len(raw)

    records = pd.DataFrame(
        {
            "record": raw["ID"],
            "database": "",
            "title": col("title"),
            "authors": [a or None for a in authors],
            "first_author": [a.split("; ")[0] or None for a in authors],
            "year": pd.array([int(y) if y.strip().isdigit() else None for y in raw["year"]], dtype="Int64"),
            "journal": col("journal"),
            "volume": col("volume"),
            "issue": col("number"),
            "pages": col("pages"),
            "doi": col("doi"),
            "pmid": None,
            "abstract": col("abstract"),
        }
    )
    truth = set()
    with open(folder / "merged_record_ids.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth |= set(itertools.combinations(sorted(row["merged_ids"].split(";")), 2))
    return records, truth


def test_precision_on_the_real_labelled_sets():
    """Pairwise precision against the labels (pairs within a group of merged_record_ids.csv are
    true duplicates, every other pair is not: shared/samples/README.md)."""
    for folder in _labelled_sets():
        records, truth = _read_labelled(folder)
        marked, pairs = find_duplicates(records)
        root = {
            r: (k if isinstance(k, str) else r) for r, k in zip(marked["record"], marked["duplicate_of"], strict=False)
        }
        groups: dict[str, list[str]] = {}
        for r, k in root.items():
            groups.setdefault(k, []).append(r)
        found = {p for g in groups.values() for p in itertools.combinations(sorted(g), 2)}
        assert found, folder.name
        precision = len(found & truth) / len(found)
        assert precision >= 0.99, (folder.name, precision)
        # every merge is listed: merged rows = records removed
        assert (pairs["decision"] == "merged").sum() == marked["duplicate_of"].notna().sum()


def test_a_letter_and_the_reply_printed_on_its_page_stay_apart():
    # letters pages print a letter and its authors' reply under the letter's title
    recs = table(
        [
            (
                "a:1",
                "A",
                "Peer mentoring in early psychosis",
                "Fontaine, R.",
                2004,
                "Psychiatr Bull",
                "19",
                "8",
                "945-946",
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Peer mentoring in early psychosis - Reply",
                "Fontaine, R.",
                2004,
                "Psychiatr Bull",
                "19",
                "8",
                "945-946",
                None,
                None,
            ),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert marked["duplicate_of"].isna().all()
    assert pairs.loc[0, "reason"] == "erratum, correction or reply"


def test_parts_of_a_series_under_one_doi_stay_apart():
    # a supplement gives one DOI to "part 1" and "part 2" of a workshop report (no pages exported)
    doi = "10.5555/suppl.2021.3"
    recs = table(
        [
            ("a:1", "A", "Peer work workshop report, part 1", "Ekström, B.", 2021, None, None, None, None, doi, None),
            ("a:2", "A", "Peer work workshop report, part 2", "Ekström, B.", 2021, None, None, None, None, doi, None),
            ("b:1", "B", "Peer work workshop report - part 1", "Ekstrom B", 2021, None, None, None, None, doi, None),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked) == {"a:1": "-", "a:2": "-", "b:1": "a:1"}
    assert listed(pairs)[("a:1", "a:2")]["reason"] == "same DOI, titles differ"


@settings(max_examples=examples(40), deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["Peer work in teams", "Peer work in team", "Peer work in teams: a survey"]),
            st.sampled_from(["Kato, H.", "Kato H", None]),
            st.sampled_from([2001, 2002]),
            st.sampled_from([None, "5", "7"]),
            st.sampled_from([None, "1", "2"]),
            st.sampled_from([None, "10-19", "10-9", "30-39", "11-19"]),
            st.sampled_from([None, "10.5555/a.1", "10.5555/a.2"]),
        ),
        min_size=2,
        max_size=12,
    )
)
def test_no_group_of_duplicates_holds_two_different_volumes_issues_pages_or_dois(rows):
    recs = table(
        [
            (f"x:{i}", "X", t, a, y, "Peer Rev", v, iss, pg, doi, None)
            for i, (t, a, y, v, iss, pg, doi) in enumerate(rows)
        ]
    )
    marked, _ = find_duplicates(recs)
    groups = marked.assign(group=marked["duplicate_of"].fillna(marked["record"])).groupby("group")
    for _, g in groups:
        for values in (set(g["volume"].dropna()), set(g["issue"].dropna()), set(g["doi"].dropna())):
            assert len(values) <= 1, g[["record", "volume", "issue", "pages", "doi"]]
        # pages: one first page, except "10-19" with "11-19" (same last page, first page mistyped by one)
        ranges = {p for p in g["pages"].dropna() if p != "10-9"}
        assert len(ranges) <= 1 or ranges == {"10-19", "11-19"}, g[["record", "pages"]]


def test_a_record_without_a_title_joins_one_title_of_its_doi_only():
    # a journal-issue record without a title (as Lens exports) shares the DOI of two different abstracts
    doi = "10.5555/suppl.2022.8"
    recs = table(
        [
            ("lens:1", "Lens", None, None, 2022, None, None, None, None, doi, None),
            ("a:1", "A", "Peer work in Oslo", "Berg, A.", 2022, None, None, None, None, doi, None),
            ("a:2", "A", "Recovery colleges in Kyoto", "Ito, K.", 2022, None, None, None, None, doi, None),
            ("b:1", "B", "Peer work in Oslo.", "Berg A", 2022, None, None, None, None, doi, None),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked) == {"lens:1": "-", "a:1": "lens:1", "a:2": "-", "b:1": "lens:1"}
    assert listed(pairs)[("lens:1", "a:1")]["reason"] == "one record has no title: check"
    assert listed(pairs)[("a:1", "a:2")]["reason"] == "same DOI, titles differ"


# ----------------------------------------------------------------------------- the same publication, formatted differently
# (issue 17, classes of missed pairs found in the labelled haematology set; records invented)
def test_an_erratum_exported_by_two_databases_merges_but_never_with_its_article():
    # Embase titles an erratum "<article's title> (<journal> (<year>) <volume> (<pages>))", Web of
    # Science "<article's title> (vol <volume>, pg <page>, <year>)": both are the one erratum printed
    # in issue 9 on page 990; the article itself (issue 2, pages 101-108) is a different publication
    recs = table(
        [
            (
                "a:1",
                "A",
                "Peer navigators in rural clinics",
                "Ndlovu, T.",
                2011,
                "Psychiatr Serv",
                "62",
                "2",
                "101-108",
                None,
                None,
            ),
            (
                "b:1",
                "B",
                "Peer navigators in rural clinics (Psychiatric Services (2011) 62 (101-108))",
                "Ndlovu, T.",
                2011,
                "Psychiatric Services.",
                "62",
                "9",
                "990-990",
                None,
                None,
            ),
            (
                "c:1",
                "C",
                "Peer Navigators in Rural Clinics (vol 62, pg 101, 2011)",
                "Ndlovu, T.",
                2011,
                "Psychiatric Services",
                "62",
                "9",
                "990",
                None,
                None,
            ),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked) == {"a:1": "-", "b:1": "-", "c:1": "b:1"}
    assert listed(pairs)[("b:1", "c:1")]["decision"] == "merged"
    assert listed(pairs)[("a:1", "b:1")]["reason"] == "erratum, correction or reply"
    assert is_correction("Peer navigators in rural clinics (Psychiatric Services (2011) 62 (101-108))")
    assert not is_correction("Interleukin (IL-2) levels in peer workers (2011 cohort)")


def test_a_first_page_mistyped_by_one_merges_when_the_ranges_share_their_last_page():
    # 2141-2147 and 2142-2147 in one issue share six pages: two different articles cannot, so
    # one first page is mistyped (and one database adds the subtitle "brief communication").
    # A two-page letter 944-945 and a one-page reply on 945 share only their last page: apart.
    title = "Recovery colleges in two port cities"
    letter = "Peer support for carers of older people"
    recs = table(
        [
            ("a:1", "A", title, "Haldane, W. J.", 2010, "Am J Psychiatr Rehabil", "10", "9", "2141-2147", None, None),
            (
                "b:1",
                "B",
                title + ": brief communication",
                "Haldane, W.",
                2010,
                "American Journal of Psychiatric Rehabilitation",
                "10",
                "9",
                "2142-2147",
                None,
                None,
            ),
            ("c:1", "C", title, "Haldane, W. J.", 2010, "Am J Psychiatr Rehabil", "10", "9", "2148-2154", None, None),
            ("d:1", "D", letter, "Okafor, N.", 2004, "Psychiatr Bull", "19", "8", "944-945", None, None),
            ("e:1", "E", letter, "Okafor, N.", 2004, "Psychiatr Bull", "19", "8", "945", None, None),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked) == {"a:1": "-", "b:1": "a:1", "c:1": "-", "d:1": "-", "e:1": "-"}
    rows = listed(pairs)
    assert "first pages differ by one, same last page: check" in rows[("a:1", "b:1")]["reason"]
    assert rows[("a:1", "c:1")]["reason"] == "different pages"
    assert rows[("d:1", "e:1")]["reason"] == "different pages"


def test_fields_shifted_by_one_place_are_read_back():
    # an export without the volume put volume 26 in the issue field and issue 9 in the pages field;
    # the same abstract from another database reads volume 26, issue 9, page 1746. A record whose
    # issue is another volume (27) is not shifted, nor one whose "page" is not the other's issue.
    title = "Peer support after discharge from hospital"
    conf = "Psychiatr Bull. Conference: 44th Annual Meeting"
    recs = table(
        [
            ("a:1", "A", title, "Lindqvist, C.", 2011, conf, "26", "9", "1746-1746", None, None),
            ("b:1", "B", title, "Lindqvist, C.", 2011, conf, None, "26", "9", None, None),
            ("c:1", "C", title, "Lindqvist, C.", 2011, conf, None, "27", "9", None, None),
            ("d:1", "D", title, "Lindqvist, C.", 2011, conf, None, "26", "12", None, None),
        ]
    )
    marked, pairs = find_duplicates(recs)
    assert kept_of(marked) == {"a:1": "-", "b:1": "a:1", "c:1": "-", "d:1": "-"}
    assert "fields shifted" in listed(pairs)[("a:1", "b:1")]["reason"]
