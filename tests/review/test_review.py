"""The literature review: limits, screening, PRISMA flow, tables, figures, and
the study end to end (with bad input stopping the run and writing nothing)."""

from __future__ import annotations

import hashlib
import io
import json

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from helpers import FIXTURES, copy_study, tree_digest
from peerstudy import pipeline
from peerstudy.errors import InputError
from peerstudy.report.outputs import FIGURE_RC
from peerstudy.report.review_figures import plot_prisma_flow, plot_studies_by_year
from peerstudy.review.bibliography import read_exports
from peerstudy.review.dedup import find_duplicates
from peerstudy.review.eligibility import (
    apply_eligibility,
    format_citation,
    tabulate_by_year,
    tabulate_included,
    tabulate_subgroup,
)
from peerstudy.review.prisma import (
    PrismaCounts,
    check_prisma_flow,
    count_prisma_flow,
    tabulate_exclusion_reasons,
)
from peerstudy.review.screening import read_decisions, read_extraction

BIB = FIXTURES / "bib"
STUDY = "literature-review"
REASONS = ["not peer support", "commentary or editorial", "full text not retrieved"]
NOT_RETRIEVED = "full text not retrieved"


# ----------------------------------------------------------------------------- limits of the search
def boundary_records() -> pd.DataFrame:
    """Ten records at the limits of a 1980-01 to 2010-08 search in English (the last a duplicate)."""
    return pd.DataFrame(
        {
            "record": list("abcdefghij"),
            "year": [1979, 1980, 2010, 2010, 2010, 2011, 2005, 2005, 2005, 2005],
            "month": [12, 1, 8, None, 9, None, 5, 5, 5, 5],
            "language": ["English"] * 6 + ["German", "English; French", None, "English"],
            "duplicate_of": [None] * 9 + ["a"],
        }
    )


def test_eligibility_at_the_boundaries():
    recs = boundary_records()
    out = apply_eligibility(recs, date_from="1980-01", date_to="2010-08")
    assert out["status"].tolist() == [
        "ineligible",
        "screened",
        "screened",
        "screened",
        "ineligible",
        "ineligible",
        "ineligible",
        "screened",
        "screened",
        "duplicate",
    ]
    assert out["ineligible_detail"].fillna("").tolist()[:7] == [
        "published 1979-12, before 1980-01",
        "",
        "",
        "",
        "published 2010-09, after 2010-08",
        "published 2011, after 2010-08",
        "in German",
    ]


def test_a_search_without_limits_removes_nothing_for_them():
    # the same records as above; a search with no language limit (languages left out, which
    # a study's file passes as []) and open date ranges: by hand, only the duplicate is not
    # screened, and one open side still applies the other
    recs = boundary_records()
    open_search = apply_eligibility(recs, date_from="", date_to="", languages=[])
    assert open_search["status"].tolist() == ["screened"] * 9 + ["duplicate"]
    until = apply_eligibility(recs, date_from="", date_to="2010-08", languages=[])
    assert until["ineligible"].fillna("").tolist() == [""] * 4 + ["outside the date range"] * 2 + [""] * 4


# ----------------------------------------------------------------------------- screening
def screened_records() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record": ["pubmed:1", "pubmed:2", "pubmed:3", "cinahl:1", "cinahl:2"],
            "database": ["PubMed", "PubMed", "PubMed", "CINAHL", "CINAHL"],
            "source": ["search"] * 5,
            "status": ["screened", "screened", "screened", "duplicate", "ineligible"],
            "duplicate_of": [None, None, None, "pubmed:1", None],
            "ineligible": [None, None, None, None, "outside the date range"],
            "ineligible_detail": [None, None, None, None, "published 1979, before 1980-01"],
            "authors": ["Solomon, P; Draine, J", "Felton, CJ; Stastny, P; Shern, DL", "Lee, K", "x", "y"],
            "year": [1994, 1995, 2001, 1994, 1979],
            "title": ["t1", "t2", "t3", "t1", "t5"],
            "journal": ["J1", "J2", "J3", "J1", "J5"],
        }
    )


GOOD_DECISIONS = """record,stage,decision,reason,reviewer,note
pubmed:1,title-abstract,include,,R1,
pubmed:2,title-abstract,include,,R1,
pubmed:3,title-abstract,exclude,,R2,off topic
pubmed:1,full-text,include,,R1,
pubmed:2,full-text,exclude,full text not retrieved,R1,
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_decisions_are_read(tmp_path):
    decisions = read_decisions(
        write(tmp_path, "s.csv", GOOD_DECISIONS),
        screened_records(),
        reasons=REASONS,
        not_retrieved_reason=NOT_RETRIEVED,
    )
    assert decisions["row"].tolist() == [2, 3, 4, 5, 6]
    assert decisions["reason"].tolist()[-1] == NOT_RETRIEVED


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda t: t + "pubmed:9,title-abstract,exclude,,R1,\n",
            "s.csv, row 7, field 'record': expected the id of a record read from the exports, found 'pubmed:9'. "
            "Fix: use the record ids of the records table (reports/<study>/tables/records.csv), e.g. 'pubmed:12'.",
        ),
        (
            lambda t: t + "cinahl:1,title-abstract,exclude,,R1,\n",
            "s.csv, row 7, field 'record': expected a screened record, found 'cinahl:1', removed as a duplicate of "
            "'pubmed:1'. Fix: record the decision under 'pubmed:1'.",
        ),
        (
            lambda t: t.replace("full text not retrieved", "no time"),
            "s.csv, row 6, field 'reason': expected a full-text exclusion reason from the fixed list (not peer support; "
            "commentary or editorial; full text not retrieved), found 'no time'. Fix: use one of the listed reasons, or add "
            "it to exclusion_reasons.",
        ),
        (
            lambda t: t.replace("pubmed:3,title-abstract,exclude,,R2,off topic\n", ""),
            "s.csv, field 'record': expected a title-abstract decision for every screened record, found none for "
            "'pubmed:3'. Fix: add a row 'pubmed:3,title-abstract,include|exclude,'.",
        ),
        (
            lambda t: t + "pubmed:3,full-text,exclude,not peer support,R1,\n",
            "s.csv, row 7, field 'stage': expected full-text decisions only for records included on title and abstract, "
            "found one for 'pubmed:3', excluded on title and abstract. Fix: correct the title/abstract decision, or remove "
            "this row.",
        ),
        (
            lambda t: t.replace("pubmed:2,full-text,exclude,full text not retrieved,R1,\n", ""),
            "s.csv, row 3, field 'record': expected a full-text decision for every record included on title and abstract, "
            "found none for 'pubmed:2'. Fix: add a full-text row (use the reason 'full text not retrieved' if the report was "
            "not retrieved).",
        ),
    ],
)
def test_bad_decisions_give_one_clear_message(tmp_path, change, message):
    with pytest.raises(InputError) as info:
        read_decisions(
            write(tmp_path, "s.csv", change(GOOD_DECISIONS)),
            screened_records(),
            reasons=REASONS,
            not_retrieved_reason=NOT_RETRIEVED,
        )
    assert len(info.value.problems) == 1
    assert str(info.value).endswith(message)


EXTRACTION_COLUMNS = {
    "category": ["peer employees"],
    "design": "text",
    "sample_size": "integer",
    "informants": "text",
    "principles": "flag",
    "outcomes": "text",
}
GOOD_EXTRACTION = """record,category,design,sample_size,informants,principles,outcomes
pubmed:1,peer employees,randomised controlled trial,94,,,satisfaction
"""


def test_included_study_without_extraction_names_the_decision_row(tmp_path):
    decisions = read_decisions(
        write(tmp_path, "s.csv", GOOD_DECISIONS),
        screened_records(),
        reasons=REASONS,
        not_retrieved_reason=NOT_RETRIEVED,
    )
    extraction = read_extraction(write(tmp_path, "e.csv", GOOD_EXTRACTION), decisions, columns=EXTRACTION_COLUMNS)
    assert extraction["sample_size"].tolist() == [94]
    empty = GOOD_EXTRACTION.replace(
        "pubmed:1,peer employees,randomised controlled trial,94,,,satisfaction\n",
        "pubmed:2,peer employees,interviews,x12,,,\n",
    )
    with pytest.raises(InputError) as info:
        read_extraction(write(tmp_path, "e.csv", empty), decisions, columns=EXTRACTION_COLUMNS)
    assert [(p.row, p.field) for p in info.value.problems] == [(2, "record"), (2, "sample_size"), (5, "record")]
    assert str(info.value.problems[2]).endswith(
        "s.csv, row 5, field 'record': expected an extraction row in "
        + str(tmp_path / "e.csv")
        + " for every included study, found none for 'pubmed:1'. Fix: add a row for 'pubmed:1' to the extraction sheet."
    )


# ----------------------------------------------------------------------------- flow and tables
@pytest.fixture
def small_review(tmp_path):
    records = screened_records()
    decisions = read_decisions(
        write(tmp_path, "s.csv", GOOD_DECISIONS), records, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED
    )
    extraction = read_extraction(write(tmp_path, "e.csv", GOOD_EXTRACTION), decisions, columns=EXTRACTION_COLUMNS)
    return records, decisions, extraction


def test_flow_counts_of_a_small_review(small_review):
    records, decisions, _ = small_review
    counts = count_prisma_flow(records, decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)
    # by hand from screened_records() and GOOD_DECISIONS
    assert counts == PrismaCounts(
        identified={"PubMed": 3, "CINAHL": 2},
        identified_other={},
        identified_total=5,
        duplicates_removed=1,
        ineligible_removed={"outside the date range": 1},
        screened=3,
        excluded_title_abstract=1,
        sought_for_retrieval=2,
        not_retrieved=1,
        assessed=1,
        excluded_full_text={"not peer support": 0, "commentary or editorial": 0},
        included=1,
    )
    assert check_prisma_flow(counts)["ok"].all()


def test_a_database_searched_without_records_is_in_the_flow_with_none(small_review):
    # PRISMA-S item 1 names every database searched; Embase gave 0 records, and a hand
    # search 0 from other sources: both listed with 0, after the databases that gave some
    records, decisions, _ = small_review
    log = pd.DataFrame(
        {"database": ["Embase", "PubMed", "CINAHL", "hand search"], "source": ["search"] * 3 + ["other"]}
    )
    counts = count_prisma_flow(records, decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED, searched=log)
    assert counts.identified == {"PubMed": 3, "CINAHL": 2, "Embase": 0}
    assert counts.identified_other == {"hand search": 0}
    assert check_prisma_flow(counts)["ok"].all()


@pytest.mark.parametrize(
    "box",
    [
        "identified_total",
        "duplicates_removed",
        "screened",
        "excluded_title_abstract",
        "sought_for_retrieval",
        "not_retrieved",
        "assessed",
        "included",
    ],
)
def test_a_box_that_does_not_add_up_fails(small_review, box):
    records, decisions, _ = small_review
    counts = count_prisma_flow(records, decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)
    with pytest.raises(InputError, match="a box of the flow diagram does not add up"):
        check_prisma_flow(counts.replace(**{box: getattr(counts, box) + 1}))


def test_a_box_that_disagrees_with_the_tables_fails(small_review):
    records, decisions, extraction = small_review
    counts = count_prisma_flow(records, decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)
    included = tabulate_included(extraction, records, categories=["peer employees"])
    reasons = tabulate_exclusion_reasons(decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)
    by_year = tabulate_by_year(extraction, records, categories=["peer employees"])
    table = check_prisma_flow(counts, included=included, exclusion_reasons=reasons, by_year=by_year)
    assert len(table) == 9 and table["ok"].all()
    with pytest.raises(InputError) as info:
        check_prisma_flow(counts, included=included.iloc[:0], exclusion_reasons=reasons, by_year=by_year)
    assert str(info.value) == (
        "field 'included': expected 0 (rows of the table of included studies), found 1. Fix: "
        "check the screening decisions: a box of the flow diagram does not add up."
    )
    wrong = reasons.assign(n=[0, 0, 2])
    with pytest.raises(InputError, match=r"field 'not_retrieved': expected 2"):
        check_prisma_flow(counts, exclusion_reasons=wrong)


def test_tables_of_included_studies(small_review):
    records, decisions, extraction = small_review
    included = tabulate_included(extraction, records, categories=["peer employees"])
    assert included.to_dict("records") == [
        {
            "category": "peer employees",
            "study": "Solomon & Draine 1994",
            "record": "pubmed:1",
            "journal": "J1",
            "design": "randomised controlled trial",
            "sample size": 94,
            "outcomes": "satisfaction",
        }
    ]
    assert tabulate_subgroup(extraction, records, where={"category": "qualitative"}, columns=["informants"]).empty
    assert tabulate_exclusion_reasons(decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)["n"].tolist() == [
        0,
        0,
        1,
    ]
    assert format_citation("Felton, CJ; Stastny, P; Shern, DL", 1995) == "Felton et al. 1995"
    assert format_citation("Corrigan PW", 2006) == "Corrigan 2006"


def test_figures_are_deterministic(small_review):
    records, decisions, extraction = small_review
    counts = count_prisma_flow(records, decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)
    by_year = tabulate_by_year(extraction, records, categories=["peer employees"])

    def svg(fig):
        buf = io.BytesIO()
        with matplotlib.rc_context(FIGURE_RC):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue()

    assert svg(plot_prisma_flow(counts)) == svg(plot_prisma_flow(counts))
    assert svg(plot_studies_by_year(by_year)) == svg(plot_studies_by_year(by_year))
    texts = [t.get_text() for t in plot_prisma_flow(counts).axes[0].texts]
    for expected in [
        "Records screened (title and abstract)",
        "(n = 3)",
        "Reports not retrieved",
        "(n = 1)",
        "(full text, n = 1)",
        "   duplicate records (n = 1)",
        "   outside the date range (n = 1)",
    ]:
        assert expected in texts


# ----------------------------------------------------------------------------- the study end to end
@pytest.fixture(scope="module")
def study_run(regenerated):
    """The review's reports as the session's regeneration made them: a whole run through
    papermill (conftest.regenerate), read here, never changed."""
    return regenerated / "reports" / STUDY


@pytest.mark.slow  # the whole review, through papermill
def test_key_figures_of_the_review(study_run):
    key = json.loads((study_run / "key-figures.json").read_text())
    # published (Miyamoto & Sono 2012)
    assert key["selected_on_abstract"] == 138
    assert key["full_text_assessed"] == 105
    assert key["included"] == 51
    assert key["included_reviews"] == 8
    assert key["included_qualitative"] == 19
    assert key["quantitative_by_category"] == {"peer employees": 9, "peer-run": 4, "mutual help": 5}
    assert key["studies_stating_principles"] == 6
    # invented for the stand-in data (see data/raw/literature-review/README.md)
    assert key["databases"] == {"PubMed": 182, "MEDLINE": 143, "CINAHL": 125, "PsycINFO": 203, "PsycARTICLES": 42}
    assert key["other_sources"] == {"Web of Science": 11}
    assert (key["identified"], key["duplicates_removed"], key["screened"]) == (706, 376, 299)
    assert key["removed_before_screening"] == {"language not English": 7, "outside the date range": 24}
    assert (key["excluded_title_abstract"], key["not_retrieved"], key["excluded_full_text"]) == (161, 33, 54)
    assert key["exclusion_reasons"] == {
        "not peer support": 15,
        "population not mental health": 8,
        "programme description without data": 19,
        "commentary or editorial": 9,
        "duplicate publication of an included study": 3,
    }
    assert key["included_by_category"] == {
        "peer employees": 9,
        "peer-run": 4,
        "mutual help": 5,
        "review": 8,
        "qualitative": 19,
        "other": 6,
    }


@pytest.mark.slow  # the whole review, through papermill
def test_published_figures_are_all_reproduced(study_run):
    comparison = pd.read_csv(study_run / "tables/published-comparison.csv")
    assert len(comparison) == 9
    assert comparison["match"].all()


@pytest.mark.slow  # the whole review, through papermill
def test_published_sample_sizes_and_informants(study_run):
    included = pd.read_csv(study_run / "tables/included-studies.csv")
    sizes = dict(zip(included["study"], included["sample size"], strict=False))
    for study, n in {
        "Solomon & Draine 1994": 94,
        "Solomon & Draine 1995": 94,
        "Felton et al. 1995": 104,
        "Rivera et al. 2007": 203,
        "Lawn et al. 2008": 49,
        "Sells et al. 2006": 137,
        "Sells et al. 2008": 137,
        "Griswold et al. 2010": 175,
        "Chinman et al. 2001": 158,
        "Yanos et al. 2001": 60,
        "Corrigan 2006": 1824,
        "Nelson et al. 2007": 102,
        "Galanter 1988": 356,
        "Wilson et al. 1999": 165,
        "Segal & Silverman 2002": 255,
        "Bracke et al. 2008": 628,
        "Castelein et al. 2008": 106,
    }.items():
        assert sizes[study] == n, study
    qualitative = pd.read_csv(study_run / "tables/qualitative-studies.csv", keep_default_na=False)
    informants = dict(zip(qualitative["study"], qualitative["informants"], strict=False))
    assert {
        k: informants[k]
        for k in [
            "Armstrong et al. 1995",
            "Mowbray et al. 1996",
            "Mowbray et al. 1998",
            "Yuen & Fossey 2003",
            "Doherty et al. 2004",
            "Gates & Akabas 2007",
            "Chinman et al. 2008",
            "Moll et al. 2009",
        ]
    } == {
        "Armstrong et al. 1995": "23",
        "Mowbray et al. 1996": "11 (focus groups)",
        "Mowbray et al. 1998": "11",
        "Yuen & Fossey 2003": "3",
        "Doherty et al. 2004": "2 + 10 team members",
        "Gates & Akabas 2007": "93 staff + 15 peers",
        "Chinman et al. 2008": "59 + 34 supervisors",
        "Moll et al. 2009": "6 + 6",
    }
    principles = pd.read_csv(study_run / "tables/principles.csv")
    assert principles["study"].tolist() == [
        "Chinman et al. 2001",
        "Hodges 2007",
        "Adame & Leitner 2008",
        "Castelein et al. 2008",
        "Sells et al. 2008",
        "Lucksted et al. 2009",
    ]


@pytest.mark.slow  # the whole review, through papermill
def test_the_flow_adds_up_and_the_near_duplicates_are_listed(study_run):
    check = pd.read_csv(study_run / "tables/flow-check.csv")
    assert check["ok"].all() and len(check) == 9
    pairs = pd.read_csv(study_run / "tables/duplicate-pairs-to-check.csv", keep_default_na=False)
    kept_apart = pairs[pairs["decision"] == "kept apart"]
    assert sorted(kept_apart["reason"]) == ["different year", "erratum, correction or reply"]
    assert (pairs["rule"] == "similar title, same year and first author").sum() == 3
    removed = pd.read_csv(study_run / "tables/removed-before-screening.csv")
    study_b = removed.set_index("record").loc["web-of-science:1"]
    assert (study_b["reason"], study_b["detail"]) == ("outside the date range", "published 2024, after 2010-08")
    for name in ["prisma-flow.png", "prisma-flow.svg", "studies-by-year.png", "studies-by-year.svg"]:
        assert (study_run / "figures" / name).stat().st_size > 1000


# ----------------------------------------------------------------------------- bad input, end to end
def _drop_line(file, line):
    def change(raw):
        p = raw / file
        data = p.read_bytes()
        assert line.encode() in data
        p.write_bytes(data.replace(line.encode(), b"", 1))

    return change


def _append(file, line):
    def change(raw):
        with open(raw / file, "a", encoding="utf-8") as fh:
            fh.write(line)

    return change


@pytest.mark.slow  # a study run through the pipeline (papermill), to the failing stage
@pytest.mark.parametrize(
    "change, message",
    [
        (
            _drop_line("cinahl-ebsco-2010-09-08.ris", "ER  - \r\n"),
            r"cinahl-ebsco-2010-09-08\.ris, row 1, field 'ER': expected 'ER  - ' closing the record that starts at line 1, "
            r"found a new record at line 27",
        ),
        (
            _append("screening.csv", "pubmed:9999,title-abstract,exclude,,R1,\n"),
            r"screening\.csv, row 439, field 'record': expected the id of a record read from the exports, found 'pubmed:9999'",
        ),
        (
            _drop_line(
                "extraction.csv",
                "pubmed:149,peer employees,randomised controlled trial,94,,,satisfaction with treatment\n",
            ),
            r"screening\.csv, row \d+, field 'record': expected an extraction row in .*extraction\.csv for every included "
            r"study, found none for 'pubmed:149'",
        ),
    ],
)
def test_bad_input_stops_the_review_and_writes_nothing(tmp_path, change, message):
    out = tmp_path / "out"
    (out / "reports/bad-review").mkdir(parents=True)
    (out / "reports/bad-review/keep.txt").write_text("previous report")
    with pytest.raises(pipeline.StageFailed, match=message) as info:
        pipeline.run_study(
            copy_study(tmp_path, STUDY, change, name="bad-review"), output_root=out, log=lambda line: None
        )
    text = str(info.value)
    assert "Nothing was written for bad-review" in text
    assert "Traceback" not in text
    assert text.count("expected") == 1  # one problem, one message
    assert not (out / "data/processed/bad-review").exists()
    assert tree_digest(out / "reports/bad-review") == {"keep.txt": hashlib.sha256(b"previous report").hexdigest()}


# ----------------------------------------------------------------------------- screening by reviewers (issue 17)
MINI = FIXTURES / "mini-review"
MINI_EXPORTS = [
    {"file": str(MINI / "pubmed.nbib"), "database": "PubMed", "format": "medline"},
    {"file": str(MINI / "embase.ris"), "database": "Embase", "format": "ris"},
    {
        "file": str(MINI / "scopus.csv"),
        "database": "Scopus",
        "format": "csv",
        "columns": {
            "title": "Title",
            "authors": "Authors",
            "year": "Year",
            "journal": "Source title",
            "volume": "Volume",
            "issue": "Issue",
            "doi": "DOI",
            "abstract": "Abstract",
            "language": "Language of Original Document",
            "type": "Document Type",
            "pmid": "PubMed ID",
        },
    },
]
MINI_REASONS = ["not peer support", "population not mental health", "no outcome data", "full text not retrieved"]
MINI_COLUMNS = {
    "study_type": ["trial", "qualitative", "review"],
    "setting": "text",
    "participants": "integer",
    "fidelity_reported": "flag",
}


@pytest.fixture(scope="module")
def mini_records():
    records, _ = find_duplicates(read_exports(MINI_EXPORTS), priority=["PubMed", "Embase", "Scopus"])
    return apply_eligibility(records, date_from="2015-01", date_to="2025-12", languages=["English"])


def mini_screening(mini_records, **changes):
    from peerstudy.review.screening import screen_records

    args = {
        "screening_exports": [
            {"file": str(MINI / "rayyan-title-abstract.csv"), "format": "rayyan", "stage": "title-abstract"},
            {"file": str(MINI / "full-text.csv"), "format": "sheet", "stage": "full-text"},
        ],
        "resolutions": str(MINI / "resolutions.csv"),
    }
    return screen_records(
        mini_records, reasons=MINI_REASONS, not_retrieved_reason="full text not retrieved", **{**args, **changes}
    )


def test_rayyan_votes_are_matched_by_doi_pmid_then_title(mini_records):
    from peerstudy.review.screening import read_screening_export

    votes = read_screening_export(
        {"file": str(MINI / "rayyan-title-abstract.csv"), "format": "rayyan", "stage": "title-abstract"}, mini_records
    )
    ana = votes[votes["reviewer"] == "Ana"].set_index("record")
    # by hand from the file: 9 rows, two reviewers each; rows 4-5 carry only a PubMed id (row 5 as a URL),
    # rows 7 and 10 only a title (row 7 in capitals, DOI 'NA'), the others a DOI
    assert len(votes) == 18
    assert ana["matched_by"].to_dict() == {
        "pubmed:1": "DOI",
        "pubmed:2": "DOI",
        "pubmed:3": "PMID",
        "pubmed:5": "PMID",
        "embase:3": "DOI",
        "embase:4": "title",
        "embase:5": "DOI",
        "scopus:3": "DOI",
        "scopus:4": "title",
    }
    ben = votes[votes["reviewer"] == "Ben"].set_index("record")
    assert ben.loc["embase:5", "decision"] == "maybe"
    assert ana.loc["embase:4", ["decision", "reason"]].tolist() == ["exclude", "wrong population"]
    assert ben.loc["embase:4", ["decision", "reason"]].tolist() == ["include", ""]


def test_conflicts_and_their_resolution(mini_records):
    screening = mini_screening(mini_records)
    conflicts = screening.conflicts.set_index(["record", "stage"])
    # by hand: title/abstract C (pubmed:3, include vs exclude), H (embase:4), I (embase:5, include vs maybe);
    # full text C again and I (both exclude, for different reasons)
    assert sorted(conflicts.index) == sorted(
        [
            ("pubmed:3", "title-abstract"),
            ("embase:4", "title-abstract"),
            ("embase:5", "title-abstract"),
            ("pubmed:3", "full-text"),
            ("embase:5", "full-text"),
        ]
    )
    assert conflicts.loc[("embase:5", "full-text"), "votes"] == (
        "Ana: exclude (not peer support); Ben: exclude (population not mental health)"
    )
    assert conflicts.loc[("embase:5", "full-text"), ["decision", "reason"]].tolist() == ["exclude", "not peer support"]
    assert conflicts["resolved_by"].str.startswith("resolution sheet").all()
    final = screening.decisions.set_index(["record", "stage"])["decision"]
    assert final[("pubmed:3", "full-text")] == "include" and final[("embase:4", "title-abstract")] == "exclude"


def test_agreement_per_stage_against_a_hand_computation(mini_records):
    from peerstudy.review.screening import tabulate_agreement

    table = tabulate_agreement(mini_screening(mini_records).votes).set_index("stage")
    # Title/abstract, 9 records. Ana: 6 include, 3 exclude; Ben: 5 include, 3 exclude, 1 maybe; they agree on 6.
    # po = 6/9; pe = (6/9)(5/9) + (3/9)(3/9) + 0 = 39/81; kappa = (54/81 - 39/81) / (1 - 39/81) = 15/42 = 0.357
    # Full text, 6 records. Ana: 3 include, 3 exclude; Ben: 2 include, 4 exclude; they agree on 5 decisions.
    # po = 5/6; pe = (3/6)(2/6) + (3/6)(4/6) = 1/2; kappa = (5/6 - 1/2) / (1/2) = 2/3
    assert table.loc["title-abstract", ["records", "agreements", "percent"]].tolist() == [9, 6, 66.7]
    assert table.loc["title-abstract", "kappa"] == pytest.approx(15 / 42, abs=5e-4)
    assert table.loc["full-text", ["records", "agreements", "percent"]].tolist() == [6, 5, 83.3]
    assert table.loc["full-text", "kappa"] == pytest.approx(2 / 3, abs=5e-4)


def test_fleiss_kappa_of_three_reviewers_against_a_hand_computation():
    from peerstudy.review.screening import tabulate_fleiss_kappa

    decided = {  # record: decisions of Ana, Ben, Cy at title/abstract (I include, E exclude)
        "r1": "III",
        "r2": "IIE",
        "r3": "EEE",
        "r4": "IEE",
        "r5": "III",
    }
    rows = [
        (rid, "title-abstract", who, {"I": "include", "E": "exclude"}[d], False)
        for rid, ds in decided.items()
        for who, d in zip(["Ana", "Ben", "Cy"], ds, strict=False)
    ]
    rows += [
        ("r6", "title-abstract", "Ana", "include", False),
        ("r6", "title-abstract", "Ben", "exclude", False),
        ("r1", "title-abstract", "Covidence (final decision)", "exclude", True),
        ("r1", "full-text", "Ana", "include", False),
        ("r1", "full-text", "Ben", "exclude", False),
    ]
    votes = pd.DataFrame(rows, columns=["record", "stage", "reviewer", "decision", "final"])
    table = tabulate_fleiss_kappa(votes)
    # By hand (Fleiss 1971, eq. for P_i and P_e), n = 3 raters, N = 5 records decided by all three (r6 was decided
    # by two, the Covidence row is a tool's decision, not a reviewer's):
    # P_i = (sum_j n_ij^2 - 3) / 6: r1 1, r2 (4 + 1 - 3)/6 = 1/3, r3 1, r4 1/3, r5 1; mean P = 11/15.
    # p_include = 9/15, p_exclude = 6/15; P_e = 0.36 + 0.16 = 0.52; kappa = (11/15 - 0.52) / 0.48 = 4/9.
    # Full text had two reviewers only: no row (the pairwise table covers it).
    assert table["stage"].tolist() == ["title-abstract"]
    row = table.iloc[0]
    assert (row["reviewers"], row["n_reviewers"], row["records"], row["agreements"]) == ("Ana, Ben, Cy", 3, 5, 3)
    assert row["kappa"] == pytest.approx(4 / 9, abs=5e-4)


def test_fleiss_kappa_is_empty_with_a_note_when_every_decision_is_the_same():
    from peerstudy.review.screening import tabulate_fleiss_kappa

    votes = pd.DataFrame(
        {
            "record": ["a", "b"] * 3,
            "stage": ["full-text"] * 6,
            "final": [False] * 6,
            "reviewer": ["Ana", "Ana", "Ben", "Ben", "Cy", "Cy"],
            "decision": ["exclude"] * 6,
        }
    )
    row = tabulate_fleiss_kappa(votes).iloc[0]
    assert pd.isna(row["kappa"]) and row["note"] == "kappa undefined: every decision in one category"
    assert (row["records"], row["agreements"]) == (2, 2)


def test_covidence_lists_are_final_decisions_and_asreview_labels_votes(mini_records):
    from peerstudy.review.screening import read_screening_exports, resolve_decisions

    screens = FIXTURES / "screening"
    votes = read_screening_exports(
        [
            {
                "file": str(screens / "covidence-included.csv"),
                "format": "covidence",
                "stage": "title-abstract",
                "decision": "include",
            },
            {
                "file": str(screens / "covidence-irrelevant.csv"),
                "format": "covidence",
                "stage": "title-abstract",
                "decision": "exclude",
            },
            {"file": str(screens / "asreview.csv"), "format": "asreview", "stage": "title-abstract", "reviewer": "Cy"},
        ],
        mini_records,
    )
    # by hand: 6 + 3 Covidence rows, 4 labelled ASReview rows (the fifth is not labelled)
    assert (votes["final"].sum(), (~votes["final"]).sum()) == (9, 4)
    decisions, conflicts = resolve_decisions(votes, mini_records)
    final = decisions.set_index("record")["decision"]
    assert sorted(final[final == "include"].index) == [
        "embase:5",
        "pubmed:1",
        "pubmed:2",
        "pubmed:3",
        "pubmed:5",
        "scopus:3",
    ]
    # Cy excluded pubmed:3, which Covidence's consensus includes: a conflict settled by the tool's final decision
    assert conflicts[["record", "resolved_by"]].values.tolist() == [["pubmed:3", "the tool's final decision"]]


def test_identifiers_of_screening_rows_are_normalised_as_the_records_were(tmp_path, mini_records):
    from peerstudy.review.screening import match_records

    # A PMID written as a float ("39000001.0", as pandas writes a column with an empty cell), as a PubMed link,
    # a DOI as a resolver link in capitals, and R's NA: each is read as the records' readers read it.
    rows = pd.DataFrame(
        {
            "doi": ["NA", "", "HTTPS://DOI.ORG/10.5555/MINI.2020.001", "NA"],
            "pmid": ["39000001.0", "https://pubmed.ncbi.nlm.nih.gov/39000001/", "NA", "NA"],
            "title": ["", "", "", "NA"],
        },
        index=[2, 3, 4, 5],
    )
    found, how, problems = match_records(rows, mini_records, file="s.csv")
    # pubmed:1 carries PMID 39000001 and DOI 10.5555/mini.2020.001 (tests/fixtures/mini-review/pubmed.nbib)
    assert found == ["pubmed:1", "pubmed:1", "pubmed:1", None]
    assert how == ["PMID", "PMID", "DOI", ""]
    assert [str(p) for p in problems] == [
        "s.csv, row 5, field 'doi, pmid, title': expected a record read from the exports (matched by DOI, then PMID, "
        "then title), found no identifier (no DOI, PMID or title). Fix: correct the identifier, or add the export "
        "that holds the record."
    ]


def test_rows_matching_no_record_are_listed_together(tmp_path, mini_records):
    sheet = (
        (MINI / "full-text.csv")
        .read_text()
        .replace("10.5555/mini.2020.001", "10.5555/nowhere.1", 1)
        .replace(
            ",,39000005,Peer mentoring on discharge from inpatient care,", ",,39999999,A paper nobody exported,", 1
        )
    )
    path = write(tmp_path, "ft.csv", sheet)
    with pytest.raises(InputError) as info:
        mini_screening(
            mini_records,
            screening_exports=[
                {"file": str(MINI / "rayyan-title-abstract.csv"), "format": "rayyan", "stage": "title-abstract"},
                {"file": str(path), "format": "sheet", "stage": "full-text"},
            ],
        )
    assert [(p.row, p.field) for p in info.value.problems] == [(2, "doi, pmid, title"), (8, "doi, pmid, title")]
    assert "found doi '10.5555/nowhere.1' (no record with DOI '10.5555/nowhere.1')" in str(info.value)
    assert "pmid '39999999', title 'A paper nobody exported'" in str(info.value)


def test_an_unresolved_conflict_is_one_clear_error(tmp_path, mini_records):
    text = (
        (MINI / "resolutions.csv")
        .read_text()
        .replace(
            "10.5555/mini.2023.009,,,full-text,exclude,not peer support,discussed: mutual aid without a peer role\n", ""
        )
    )
    with pytest.raises(InputError) as info:
        mini_screening(mini_records, resolutions=str(write(tmp_path, "r.csv", text)))
    assert len(info.value.problems) == 1
    assert str(info.value).endswith(
        "full-text.csv, row 10, field 'decision': expected reviewers who agree, or a resolution of their conflict, found "
        "'embase:5' (full-text): Ana: exclude (not peer support); Ben: exclude (population not mental health). Fix: add "
        "a row for the record to the resolution sheet (parameter resolutions), with the decision agreed."
    )


def test_extraction_with_its_own_columns(mini_records):
    screening = mini_screening(mini_records)
    extraction = read_extraction(
        MINI / "extraction.csv", screening.decisions, columns=MINI_COLUMNS, records=mini_records
    )
    assert extraction[["record", "study_type", "fidelity_reported"]].values.tolist() == [
        ["pubmed:1", "trial", "yes"],
        ["pubmed:2", "qualitative", ""],
        ["pubmed:3", "review", "yes"],
    ]
    assert extraction["participants"].tolist()[:2] == [120, 12] and extraction["participants"].isna().tolist()[2]


def test_an_extraction_sheet_of_headers_only_is_read_for_an_empty_review(tmp_path, mini_records):
    # a review that included no study ("empty review") has an extraction sheet of headers only;
    # the header alone is no longer refused as an export that lost its data
    screening = mini_screening(mini_records)
    header = (MINI / "extraction.csv").read_text().splitlines()[0] + "\n"
    decided = screening.decisions
    nothing_included = decided[~((decided["stage"] == "full-text") & (decided["decision"] == "include"))]
    empty = read_extraction(
        write(tmp_path, "e.csv", header), nothing_included, columns=MINI_COLUMNS, records=mini_records
    )
    assert empty.empty and pd.api.types.is_string_dtype(empty["record"])
    # with studies included, the same sheet names each study it lacks (the mini review includes three)
    with pytest.raises(InputError) as info:
        read_extraction(write(tmp_path, "e.csv", header), decided, columns=MINI_COLUMNS, records=mini_records)
    assert sorted(p.found for p in info.value.problems) == [
        "none for 'pubmed:1'",
        "none for 'pubmed:2'",
        "none for 'pubmed:3'",
    ]


def test_the_figure_of_an_empty_review_says_no_study_was_included():
    from peerstudy.report.review_figures import plot_studies_by_year

    fig = plot_studies_by_year(pd.DataFrame({"trial": [], "review": []}))
    assert [t.get_text() for t in fig.axes[0].texts] == ["No study included"] and fig.axes[0].get_legend() is None
    plt.close(fig)


def test_extraction_missing_a_declared_column(tmp_path, mini_records):
    screening = mini_screening(mini_records)
    text = (MINI / "extraction.csv").read_text().replace(",participants,", ",n,", 1)
    with pytest.raises(InputError) as info:
        read_extraction(write(tmp_path, "e.csv", text), screening.decisions, columns=MINI_COLUMNS, records=mini_records)
    assert len(info.value.problems) == 1 and info.value.problems[0].field == "participants"


def test_eligibility_uses_the_earliest_of_the_e_publication_and_print_dates():
    recs = pd.DataFrame(
        {
            "record": ["a", "b", "c", "d"],
            # a: e-published Dec 2025, printed Feb 2026 (the case of issue 17); b: printed only; c: e-published
            # Dec 2014, printed Jan 2015; d: e-publication date only
            "year": [2026, 2026, 2015, None],
            "month": [2, 2, 1, None],
            "epub_year": [2025, None, 2014, 2025],
            "epub_month": [12, None, 12, 11],
            "language": ["English"] * 4,
            "duplicate_of": [None] * 4,
        }
    )
    out = apply_eligibility(recs, date_from="2015-01", date_to="2025-12")
    assert out["status"].tolist() == ["screened", "ineligible", "ineligible", "screened"]
    assert out["date_used"].tolist() == [
        "e-published 2025-12",
        "published 2026-02",
        "e-published 2014-12",
        "e-published 2025-11",
    ]
    assert out["ineligible_detail"].tolist()[1:3] == [
        "published 2026-02, after 2025-12",
        "e-published 2014-12, before 2015-01",
    ]


def test_flow_counts_refuse_decisions_that_count_a_record_twice(small_review):
    records, decisions, _ = small_review
    doubled = pd.concat([decisions, decisions.iloc[[0]]], ignore_index=True)
    with pytest.raises(
        InputError,
        match=r"field 'screened': expected one title-abstract decision per record, found "
        r"two or more for 'pubmed:1'",
    ):
        count_prisma_flow(records, doubled, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.replace(identified={**c.identified, "PubMed": c.identified["PubMed"] + 2}),
        lambda c: c.replace(ineligible_removed={"outside the date range": 3}),
        lambda c: c.replace(excluded_full_text={**c.excluded_full_text, "not peer support": 1}),
    ],
)
def test_a_box_of_several_numbers_that_does_not_add_up_fails(small_review, change):
    records, decisions, _ = small_review
    counts = count_prisma_flow(records, decisions, reasons=REASONS, not_retrieved_reason=NOT_RETRIEVED)
    with pytest.raises(InputError, match="a box of the flow diagram does not add up"):
        check_prisma_flow(change(counts))


def test_one_date_given_as_both_print_and_e_publication_is_said_once():
    # a MEDLINE record without DP: the reader takes the year from DEP as well
    recs = pd.DataFrame(
        {
            "record": ["a", "b"],
            "year": [2025, 2025],
            "month": [11, None],
            "epub_year": [2025, 2025],
            "epub_month": [11, 10],
            "language": ["English"] * 2,
            "duplicate_of": [None] * 2,
        }
    )
    out = apply_eligibility(recs, date_from="2015-01", date_to="2025-12")
    assert out["date_used"].tolist() == ["published 2025-11", "e-published 2025-10"]
