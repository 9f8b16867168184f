"""Three studies of one's own, newly written under tests/fixtures/, run end to end through
the shipped notebooks with data and a parameter file only (issue 18): an interview study
(four interviews and a focus group, a two-level codebook, two coders of whom one coded
part of the data, two codes on some units, one coding by offsets), a dyad study
(recorded sessions and interviews after some sessions, one coder, a two-level codebook)
and a Qualtrics survey (three header rows, a preview, unfinished and non-consenting
responses, a five-item Likert block, a multi-select whose options contain commas,
decimals, two free-text questions, two coders with two codes on some units, a
reconciliation sheet)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from helpers import FIXTURES
from peerstudy import pipeline
from peerstudy.io.rawdata import accept_raw

pytestmark = pytest.mark.slow  # runs whole studies through the pipeline

INTERVIEWS = FIXTURES / "own-interviews"
DYADS = FIXTURES / "own-dyads"


def interview_study(tmp_path, data, **changes):
    """The parameter file of the interview fixture (raw files in ``data``, accepted)."""
    accept_raw(data)
    params = {
        "notebooks": ["clean-transcripts", "code", "results-interviews"],
        "raw": str(data),
        "study": "own-interviews",
        "title": "Peer support as its users describe it",
        "participants_sheet": str(data / "participants.csv"),
        "participants_fields": str(data / "fields.yaml"),
        # coder AA's U9 is given by offsets into the transcript as written (source offsets)
        "transcripts": [{"folder": str(data / "transcripts"), "source_offsets": True}],
        "deid_key": str(data / "deid-key.yaml"),
        "interviewer_labels": ["Interviewer"],
        "codebook": str(data / "codebook.yaml"),
        "coding_sheets": [str(data / "coder-a.csv"), str(data / "coder-b.csv")],
        "document_key": ["transcript"],
        "root_code_from": "",
        "unit_column": "unit",
        "reconciliation": str(data / "reconciliation.csv"),
        "stability_sheets": [],
        "qdpx": "",
        "characteristics": [],
        "unpublished": [],
        "band_field": "",
        "service_bands": {},
        "level_names": ["theme", "category"],
        "category_depth": 1,
        "interview_guide": str(data / "guide.csv"),
        "quotes_per_category": 1,
        "published": "",
        "notes": [],
    } | {k: v(data) if callable(v) else v for k, v in changes.items()}
    path = tmp_path / "own-interviews.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def dyad_study(tmp_path, data, **changes):
    """The parameter file of the dyad fixture (raw files in ``data``, accepted)."""
    accept_raw(data)
    params = {
        "notebooks": ["clean-transcripts", "code", "results-dyads"],
        "raw": str(data),
        "study": "own-dyads",
        "title": "Peer support on video calls",
        "participants_sheet": str(data / "roster.csv"),
        "participants_fields": str(data / "fields.yaml"),
        "transcripts": [str(data / "records")],
        "deid_key": str(data / "deid-key.yaml"),
        "interviewer_labels": ["Interviewer"],
        "document_attributes": {
            "dyad": "text",
            "session": [1, 2],
            "source": ["call", "PSW interview", "PIR interview"],
        },
        "codebook": str(data / "codebook.yaml"),
        "coding_sheets": [str(data / "coding-sheet.csv")],
        "document_key": ["transcript"],
        "root_code_from": "",
        "unit_column": "",
        "reconciliation": "",
        "stability_sheets": [],
        "qdpx": "",
        "characteristics": ["role", "gender", "age"],
        "unpublished": [],
        "sources": ["call", "PSW interview", "PIR interview"],
        "source_kinds": {"call": "recorded session", "PSW interview": "interview", "PIR interview": "interview"},
        "shared_views_from": ["PSW interview", "PIR interview"],
        "dimensions_of": ["connection"],
        "category_depth": 0,
        "memos": "",
        "published": "",
        "notes": [],
    } | changes
    path = tmp_path / "own-dyads.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def _copy(source, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(source, data)
    return data


@pytest.fixture(scope="module")
def interviews(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("own-interviews")
    out = tmp / "out"
    pipeline.run_study(interview_study(tmp, _copy(INTERVIEWS, tmp)), output_root=out, log=lambda line: None)
    return out / "reports/own-interviews"


@pytest.fixture(scope="module")
def dyads(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("own-dyads")
    out = tmp / "out"
    pipeline.run_study(dyad_study(tmp, _copy(DYADS, tmp)), output_root=out, log=lambda line: None)
    return out / "reports/own-dyads"


def test_interviews_per_code_agreement(interviews):
    table = pd.read_csv(interviews / "tables/agreement-by-category.csv").set_index("code")
    # By hand, over the 8 units both coders coded (I01, I02, FG1; I03 and I04 are AA's alone):
    # listening: AA on U1 U4 U6 U8, BB on U1 U4 U6 -> 7/8 = 87.5%; po .875, pe .5*.375 + .5*.625 = .5,
    #   kappa (.875 - .5)/.5 = .75.   practical (U2, U6 both) and time (U3, U7 both): 100%, kappa 1.
    # stigma: AA on U5 U7, BB on U5 U8 -> 6/8 = 75%; pe = .25*.25 + .75*.75 = .625, kappa .125/.375 = .333.
    # Pooled over the 32 unit x code cells: 29 agree -> 90.6%; AA applied 10 codes, BB 9, so
    #   pe = (10/32)(9/32) + (22/32)(23/32) = 596/1024, kappa = (29/32 - 596/1024) / (428/1024) = 332/428 = .776.
    assert table.loc["listening", ["percent_agreement", "kappa"]].tolist() == [87.5, 0.75]
    assert table.loc["practical", ["percent_agreement", "kappa"]].tolist() == [100.0, 1.0]
    assert table.loc["time", ["percent_agreement", "kappa"]].tolist() == [100.0, 1.0]
    assert table.loc["stigma", ["percent_agreement", "kappa"]].tolist() == [75.0, 0.333]
    assert table.loc["overall", ["percent_agreement", "kappa"]].tolist() == [90.6, 0.776]
    themes = pd.read_csv(interviews / "tables/agreement-by-theme.csv").set_index("code")
    # support: any coder on U1 U2 U4 U6 U8, both on 4 -> 80%; barriers: U3 U5 U7 U8, both on 3 -> 75%
    assert themes.loc[["support", "barriers"], "percent_agreement"].tolist() == [80.0, 75.0]


def test_interviews_summary_consensus_and_characteristics(interviews):
    summary = pd.read_csv(interviews / "tables/agreement.csv").set_index("statistic")["value"]
    assert summary["units"] == 8 and summary["unit × code cells"] == 32 and summary["cells agreed"] == 29
    key = json.loads((interviews / "key-figures.json").read_text())
    # 12 units: 8 reconciled (all kept) + 4 coded by AA alone; fields by their declared types
    assert key["n_statements"] == 12 and key["n_participants"] == 6
    assert (key["n_themes"], key["n_categories"]) == (2, 4)
    assert key["gender"] == {"woman": 3, "man": 3}
    assert key["years_in_service_mean"] == round((2 + 5 + 1 + 7 + 3 + 4) / 6, 1)
    chars = pd.read_csv(interviews / "tables/characteristics.csv")
    assert set(chars["characteristic"].str.split(",").str[0]) >= {"gender", "years_in_service", "housing"}
    quotes = pd.read_csv(interviews / "tables/quotes.csv")
    assert len(quotes) == 4
    assert not (interviews / "tables/published-comparison.csv").exists()
    text = " ".join(p.read_text() for p in interviews.rglob("*.md")) + (interviews / "notes.md").read_text()
    assert "stand-in" not in text and "paper" not in text


def test_dyads_counts_by_session_and_role(dyads):
    top = pd.read_csv(dyads / "tables/counts-by-session-and-role-level-0.csv").set_index("code")
    sub = pd.read_csv(dyads / "tables/counts-by-session-and-role-level-1.csv").set_index("code")
    # Counted by hand from coding-sheet.csv (the count is written out in the fixture README)
    assert top.loc["connection", ["session 1: PIR", "session 1: PSW", "session 2: PIR", "session 2: PSW"]].tolist() == [
        2,
        1,
        2,
        2,
    ]
    assert top.loc["strain", ["session 1: PIR", "session 1: PSW", "session 2: PIR", "session 2: PSW"]].tolist() == [
        1,
        1,
        1,
        1,
    ]
    assert sub.loc["shared-history"].filter(like="session").sum() == 3
    key = json.loads((dyads / "key-figures.json").read_text())
    assert (key["n_dyads"], key["n_recorded_sessions"], key["n_interviews"]) == (2, 4, 2)
    assert "n_observations" not in key and "core_category" not in key
    assert key["connection_dimensions"] == ["shared history", "humour", "hope"]
    dims = pd.read_csv(dyads / "tables/connection-dimensions.csv")
    assert dims["quote"].fillna("").str.len().gt(0).all()
    # shared views only from the interviews after session 2 of dyad K1 (both raised connection)
    shared = pd.read_csv(dyads / "tables/shared-views.csv")
    assert shared[["dyad", "session", "code"]].values.tolist() == [["K1", 2, "connection"]]
    agreement = pd.read_csv(dyads / "tables/agreement.csv")
    assert agreement["detail"].tolist() == ["one coder: inter-coder agreement does not apply"]
    assert not (dyads / "tables/published-comparison.csv").exists()


def test_interviews_with_one_coder_run_and_say_so(tmp_path):
    data = _copy(INTERVIEWS, tmp_path)
    params = interview_study(tmp_path, data, coding_sheets=lambda d: [str(d / "coder-a.csv")], reconciliation="")
    pipeline.run_study(params, output_root=tmp_path / "out", log=lambda line: None)
    reports = tmp_path / "out/reports/own-interviews"
    summary = pd.read_csv(reports / "tables/agreement.csv")
    assert summary["detail"].tolist() == ["one coder: inter-coder agreement does not apply"]
    assert not list((reports / "tables").glob("agreement-by-*"))
    # coder AA marked 12 units (coder-a.csv, U1-U12), all of them the consensus
    assert json.loads((reports / "key-figures.json").read_text())["n_statements"] == 12


def test_no_identifier_reaches_the_outputs(interviews, dyads):
    from leaks import find_leaks

    people = [
        "Mara",
        "Quill",
        "Joel",
        "Brandt",
        "Ines",
        "Farrow",
        "Otto",
        "Lind",
        "Rosa",
        "Vey",
        "Sami",
        "Okoro",
        "Hilde",
        "Tarnwick",
    ]
    assert find_leaks(interviews.parent.parent, people) == []
    assert (
        find_leaks(
            dyads.parent.parent, ["Lena", "Moss", "Ravi", "Patel", "Ada", "Stone", "Nico", "Ferrand", "Elmbridge"]
        )
        == []
    )


# ----------------------------------------------------------------------------- own-survey (issue 18, task "survey")
SURVEY = FIXTURES / "own-survey"


def survey_study(tmp_path, data, **changes):
    """The parameter file of the Qualtrics survey fixture (raw files in ``data``, accepted)."""
    accept_raw(data)
    params = {
        "notebooks": ["clean-survey", "code", "results-survey"],
        "raw": str(data),
        "study": "own-survey",
        "title": "Peer support as its users rate it",
        "survey_export": str(data / "export.csv"),
        "survey_fields": str(data / "fields.yaml"),
        "text_fields": ["helped", "change"],
        "analyse_text_if": "",
        "deid_key": "",
        "codebook": str(data / "codebook.yaml"),
        "coding_sheets": [str(data / "coder-a.csv"), str(data / "coder-b.csv")],
        "document_key": ["response", "question"],
        "root_code_from": "question",
        "unit_column": "unit",
        "reconciliation": str(data / "reconciliation.csv"),
        "stability_sheets": [],
        "qdpx": "",
        "characteristics": ["role", "years", "supports"],
        "unpublished": [],
        "distributed": 15,
        "likert_items": [],
        "likert_scales": {"peer support": ["listened", "understood", "hopeful", "judged", "confident"]},
        "published": "",
        "notes": [],
    } | changes
    path = tmp_path / "own-survey.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("own-survey")
    out = tmp / "out"
    # as a new user runs a study of their own: the command line, with data and a parameter file only
    command = [sys.executable, "-m", "peerstudy", "report", "--study", str(survey_study(tmp, _copy(SURVEY, tmp)))]
    done = subprocess.run([*command, "--output-root", str(out)], capture_output=True, text=True, cwd=tmp)
    assert done.returncode == 0, done.stderr[-3000:]
    return out / "reports/own-survey"


def test_survey_flow_feeds_n_and_the_response_rate(survey):
    flow = pd.read_csv(survey / "tables/participant-flow.csv", keep_default_na=False)
    # By hand from export.csv: 12 responses; R_1aKd02 is a preview, R_1aKd04 (progress 40) and
    # R_1aKd09 (10) did not finish, R_1aKd06 declined consent; 8 analysed
    assert flow[["step", "reason", "n"]].values.tolist() == [
        ["received", "", 12],
        ["excluded", "survey preview", 1],
        ["excluded", "did not finish", 2],
        ["excluded", "consent not given", 1],
        ["excluded", "not returned (no answers)", 0],
        ["excluded", "identical double entry", 0],
        ["analysed", "", 8],
    ]
    key = json.loads((survey / "key-figures.json").read_text())
    # 15 invited (the parameter distributed): 8 / 15 = 53.3%
    assert (key["n_received"], key["n_returned"], key["n_distributed"], key["response_rate_pct"]) == (12, 8, 15, 53.3)
    chars = pd.read_csv(survey / "tables/characteristics.csv")
    assert chars.loc[chars["characteristic"] == "n", "value"].tolist() == ["8"]
    documents = pd.read_parquet(survey.parent.parent / "data/processed/own-survey/documents.parquet")
    # excluded rows never become documents: 7 "helped" and 6 "change" answers of the 8 analysed
    assert not set(documents["participant"]) & {"R_1aKd02", "R_1aKd04", "R_1aKd06", "R_1aKd09"}
    assert len(documents) == 13


def test_survey_likert_summaries(survey):
    items = pd.read_csv(survey / "tables/likert-items.csv").set_index("item")
    # By hand (answers as given; tests/report/test_likert.py writes each count out): n, median, q1, q3, % agree
    assert items.loc["listened", ["n", "median", "q1", "q3", "pct_agree"]].tolist() == [8, 4.0, 3.75, 5.0, 75.0]
    assert items.loc["judged", ["n", "median", "q1", "q3", "pct_agree"]].tolist() == [8, 2.0, 1.0, 2.25, 12.5]
    assert items.loc["confident", ["n", "pct_agree"]].tolist() == [7, 57.1]
    distribution = pd.read_csv(survey / "tables/likert-distribution.csv").set_index("item")
    # judged as given: Strongly disagree 3 (R01 R05 R11), Disagree 3 (R03 R08 R12), Neither 1, Agree 1
    assert distribution.loc["judged", ["Strongly disagree", "Disagree", "Agree"]].tolist() == [
        "3 (37.5)",
        "3 (37.5)",
        "1 (12.5)",
    ]
    scales = pd.read_csv(survey / "tables/likert-scales.csv").set_index("scale")
    # alpha = 935/972 (the hand computation in tests/report/test_likert.py), over 7 complete respondents
    assert scales.loc["peer support", ["n", "cronbach_alpha"]].tolist() == [7, round(935 / 972, 3)]
    assert {p.stem for p in (survey / "figures").glob("*.png")} == {"role", "years", "supports", "likert-items",
                                                                     "categories"}  # fmt: skip


def test_survey_per_code_agreement_and_quotes(survey):
    table = pd.read_csv(survey / "tables/agreement-by-code.csv").set_index("code")
    # By hand over the 14 units both coders coded (coder-a.csv, coder-b.csv):
    # being-heard: AA U1 U5 U6 U7 U8, BB U1 U5 U6 U8 -> 13/14 = 92.9%;
    #   pe = (5·4 + 9·10)/196 = 110/196, kappa = (182 - 110)/(196 - 110) = 72/86 = .837
    # more-time: AA U9 U12, BB U9 U11 U12 U14 -> 12/14 = 85.7%; pe = (2·4 + 12·10)/196, kappa 40/68 = .588
    # overall, 70 unit × code cells, 6 disagree (U3, U7 twice, U11, U14 twice) -> 64/70 = 91.4%;
    #   each coder applied 17 codes: pe = (17² + 53²)/70², kappa = (4480 - 3098)/(4900 - 3098) = .767
    assert table.loc["being-heard", ["percent_agreement", "kappa"]].tolist() == [92.9, 0.837]
    assert table.loc["more-time", ["percent_agreement", "kappa"]].tolist() == [85.7, 0.588]
    assert table.loc["overall", ["percent_agreement", "kappa"]].tolist() == [91.4, 0.767]
    categories = pd.read_csv(survey / "tables/categories.csv").set_index("category")
    # consensus after reconciliation.csv: U7 kept as shared experience only, U11 and U14 as access only
    assert categories["n"].to_dict() == {
        "Being heard": 4,
        "Shared experience": 4,
        "Practical help": 3,
        "More time": 2,
        "Easier access": 4,
    }
    assert (
        "“The group on Thursdays, where nobody judges you.” (Respondent R_1aKd11)"
        in (categories.loc["Shared experience", "excerpts"])
    )
    assert not (survey / "tables/published-comparison.csv").exists()
    text = " ".join(p.read_text() for p in survey.rglob("*.md"))
    assert "stand-in" not in text and "paper" not in text


def test_survey_leaves_no_e_mail_address_in_the_outputs(survey):
    from leaks import find_leaks

    addresses = [
        line.split(",")[8] for line in (SURVEY / "export.csv").read_text(encoding="utf-8-sig").splitlines()[3:]
    ]
    assert find_leaks(survey.parent.parent, [a for a in addresses if "@" in a]) == []
