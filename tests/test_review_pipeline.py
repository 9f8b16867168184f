"""A review study of one's own, made here (tests/fixtures/mini-review/: PubMed, RIS and Scopus
exports, two reviewers screening in Rayyan with conflicts, a full-text sheet, a resolution
sheet, an extraction sheet with its own columns), runs end to end through the same three
notebooks as literature-review with only its parameter file."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml

from helpers import FIXTURES
from peerstudy import pipeline
from peerstudy.io.rawdata import accept_raw

pytestmark = pytest.mark.slow  # runs a whole study through the pipeline

MINI = FIXTURES / "mini-review"


def write_study(tmp_path, data):
    accept_raw(data)
    params = {
        "notebooks": ["import-records", "screen-records", "results-review"],
        "raw": str(data),
        "study": "mini-review",
        "title": "A tiny review of one's own",
        "exports": [
            {"file": str(data / "pubmed.nbib"), "database": "PubMed", "format": "medline"},
            {"file": str(data / "embase.ris"), "database": "Embase", "format": "ris"},
            {
                "file": str(data / "scopus.csv"),
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
        ],
        "search_log": str(data / "search-log.yaml"),
        "priority": ["PubMed", "Embase", "Scopus"],
        "match_threshold": 95.0,
        "date_from": "2015-01",
        "date_to": "2025-12",
        "languages": ["English"],
        "screening_exports": [
            {"file": str(data / "rayyan-title-abstract.csv"), "format": "rayyan", "stage": "title-abstract"},
            {"file": str(data / "full-text.csv"), "format": "sheet", "stage": "full-text"},
        ],
        "resolutions": str(data / "resolutions.csv"),
        "extraction_sheet": str(data / "extraction.csv"),
        "extraction_columns": {
            "study_type": ["trial", "qualitative", "review"],
            "setting": "text",
            "participants": "integer",
            "fidelity_reported": "flag",
        },
        "category_column": "study_type",
        "design_column": "setting",
        "exclusion_reasons": [
            "not peer support",
            "population not mental health",
            "no outcome data",
            "full text not retrieved",
        ],
        "not_retrieved_reason": "full text not retrieved",
        "included_columns": ["setting", "participants"],
        "subgroup_tables": [
            {
                "name": "fidelity",
                "title": "Studies reporting fidelity",
                "where": {"fidelity_reported": "yes"},
                "columns": ["study_type", "journal"],
            }
        ],
        "category_counts": {"included_trials": "trial"},
        "flag_counts": {"studies_reporting_fidelity": "fidelity_reported"},
        "notes": ["A fixture: every record and decision is invented."],
    }
    path = tmp_path / "mini-review.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mini-review")
    data = tmp / "data"
    shutil.copytree(MINI, data)
    out = tmp / "out"
    pipeline.run_study(write_study(tmp, data), output_root=out, log=lambda line: None)
    return out / "reports" / "mini-review"


def test_prisma_counts_of_the_mini_review_match_a_hand_count(run):
    key = json.loads((run / "key-figures.json").read_text())
    # Hand count from the fixture files:
    # identified: PubMed 6 + Embase 5 + Scopus 4 = 15.
    # duplicates 4: embase:1 and scopus:1 share pubmed:1's DOI; scopus:2 pubmed:2's DOI; embase:2 has no DOI but
    #   pubmed:3's title, year (2021) and first author (Vasquez-Lind).
    # removed before screening 2: pubmed:4 (2014-11, before 2015-01), pubmed:6 (Japanese).
    # screened 15 - 4 - 2 = 9. Title/abstract (Rayyan + resolutions): include pubmed:1, pubmed:2, pubmed:3
    #   (resolved), pubmed:5, embase:5 (resolved), scopus:3 = 6; exclude embase:3, embase:4 (resolved), scopus:4 = 3.
    # Full text (sheet + resolutions): include pubmed:1, pubmed:2, pubmed:3 (resolved) = 3; pubmed:5 not retrieved;
    #   excluded embase:5 (not peer support, resolved) and scopus:3 (no outcome data) = 2; assessed 6 - 1 = 5.
    assert key["databases"] == {"PubMed": 6, "Embase": 5, "Scopus": 4}
    assert (key["identified"], key["duplicates_removed"], key["screened"]) == (15, 4, 9)
    assert key["removed_before_screening"] == {"language not English": 1, "outside the date range": 1}
    assert (key["excluded_title_abstract"], key["selected_on_abstract"], key["not_retrieved"]) == (3, 6, 1)
    assert (key["full_text_assessed"], key["excluded_full_text"], key["included"]) == (5, 2, 3)
    assert key["exclusion_reasons"] == {"not peer support": 1, "population not mental health": 0, "no outcome data": 1}
    assert key["included_by_category"] == {"trial": 1, "qualitative": 1, "review": 1}
    assert (key["included_trials"], key["studies_reporting_fidelity"]) == (1, 2)
    assert pd.read_csv(run / "tables/flow-check.csv")["ok"].all()
    # every record has a title and a year (counted in the files: 6 TI and 6 DP lines in pubmed.nbib, 5 TI and 5 PY
    # in embase.ris, 4 rows with Title and Year in scopus.csv): no record is listed with a problem
    assert pd.read_csv(run / "tables/record-problems.csv").empty


def test_agreement_conflicts_and_own_columns_are_reported(run):
    agreement = pd.read_csv(run / "tables/screening-agreement.csv").set_index("stage")
    # by hand (see tests/review/test_review.py): 6 of 9 (kappa 15/42), 5 of 6 (kappa 2/3)
    assert agreement.loc["title-abstract", ["agreements", "records", "percent", "kappa"]].tolist() == [
        6,
        9,
        66.7,
        0.357,
    ]
    assert agreement.loc["full-text", ["agreements", "records", "percent", "kappa"]].tolist() == [5, 6, 83.3, 0.667]
    assert len(pd.read_csv(run / "tables/screening-conflicts.csv")) == 5
    # two reviewers (Ana and Ben) screened each stage: Fleiss' kappa, for three or more, has no row
    assert pd.read_csv(run / "tables/screening-agreement-fleiss.csv").empty
    included = pd.read_csv(run / "tables/included-studies.csv")
    assert included.columns.tolist() == ["study_type", "study", "record", "journal", "setting", "participants"]
    assert included["study"].tolist() == ["Halvorsen & Quispe 2020", "Okonkwo 2019", "Vasquez-Lind & Tanaka 2021"]
    fidelity = pd.read_csv(run / "tables/fidelity.csv")
    assert fidelity["record"].tolist() == ["pubmed:1", "pubmed:3"]


def test_no_published_figures_means_no_comparison(run):
    # the study declares no `published`: nothing is compared with the 2012 paper of literature-review
    assert pd.read_csv(run / "tables/published-comparison.csv").empty
    assert "included_reviews" not in json.loads((run / "key-figures.json").read_text())
