"""A second, tiny interview study, made here, runs through the same notebooks as
professional-interviews with only its own parameter file: the pipeline is not tied to
one study. Bad input in it stops the run with one message and writes nothing."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml

from helpers import FIXTURES
from peerstudy import pipeline
from peerstudy.io.rawdata import accept_raw

pytestmark = pytest.mark.slow  # runs whole studies through the pipeline

MINI = FIXTURES / "mini-interviews"


def write_study(tmp_path, data):
    """A parameter file for the mini study whose raw files are ``data`` (a copy of the
    fixture, whose current content is accepted in its SHA256SUMS)."""
    accept_raw(data)
    params = {
        "notebooks": ["clean-transcripts", "code", "results-interviews"],
        "raw": str(data),
        "study": "mini-interviews",
        "title": "A tiny interview study",
        "participants_sheet": str(data / "participants.csv"),
        "participants_fields": str(data / "fields.yaml"),
        "transcripts": [str(data / "transcripts")],
        "deid_key": str(data / "deid-key.yaml"),
        "interviewer_labels": ["Interviewer"],
        "codebook": str(data / "codebook.yaml"),
        "coding_sheets": [str(data / "coder-a.csv"), str(data / "coder-b.csv")],
        "document_key": ["transcript"],
        "root_code_from": "",
        "unit_column": "unit",
        "reconciliation": str(data / "reconciliation.csv"),
        "stability_sheets": [str(data / "coder-c.csv")],
        "characteristics": ["sex", "age", "service_years", "service_band"],
        "unpublished": [],
        "service_bands": {"0-9": [0, 9], "10+": [10, None]},
        "interview_guide": str(data / "guide.csv"),
        "quotes_per_category": 1,
        "published": "",
        "notes": ["A fixture."],
    }
    path = tmp_path / "mini-interviews.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mini")
    out = tmp / "out"
    pipeline.run_study(write_study(tmp, _copy(tmp)), output_root=out, log=lambda line: None)
    return out


def test_key_figures_of_the_mini_study(run):
    key = json.loads((run / "reports/mini-interviews/key-figures.json").read_text())
    # by hand: 6 units; coders agree on 5 (U5 differs) -> 83.3%; reconciliation keeps U5:S1,
    # so all 6 units are statements; the third coder matches the consensus on 4 of 5 (U3).
    assert key["n_participants"] == 2
    assert key["n_units_coded"] == 6
    assert key["n_statements"] == 6
    assert key["percent_agreement"] == 83.3
    assert key["third_coder_agreement"] == 80.0
    assert (key["n_themes"], key["n_categories"], key["n_subcategories"]) == (1, 2, 4)
    assert key["service_years_groups"] == {"0-9": 1, "10+": 1}


def test_segments_are_attributed_to_their_speaker_and_offsets_hold(run):
    processed = run / "data/processed/mini-interviews"
    segments = pd.read_parquet(processed / "segments.parquet")
    documents = pd.read_parquet(processed / "documents.parquet").set_index("document")["text"]
    for seg in segments.itertuples():
        assert documents[seg.document][seg.start : seg.end] == seg.text
    fg = segments[segments["document"] == "FG1"].set_index("text")["participant"]
    assert fg["Trust came once we shared the tasks."] == "P2"
    assert fg["As P2 said, clear tasks made the difference for us."] == "P1"


def test_reconciliation_decision_is_reported(run):
    table = pd.read_csv(run / "reports/mini-interviews/tables/disagreements.csv")
    assert table[["unit", "code", "decision"]].values.tolist() == [["U5", "S1", "keep"], ["U5", "S3", "drop"]]


def test_no_identifier_reaches_the_outputs(run):
    from leaks import find_leaks

    assert (
        find_leaks(
            run, ["Ana", "Moreno", "Tom", "Baker", "Rita", "Sollis", "Greyford", "010-5555-1234", "tom@example.org"]
        )
        == []
    )


def _copy(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(MINI, data)
    return data


def _edit(path, old, new):
    path.write_text(path.read_text().replace(old, new, 1))


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: _edit(d / "coder-b.csv", "S2,BB", "S9,BB"),
            r"coder-b\.csv, row 2, field 'code': expected a code defined in the codebook, found 'S9'",
        ),
        (
            lambda d: _edit(d / "coder-a.csv", "built trust step by step.", "built trust slowly step by step."),
            r"coder-a\.csv, row 3, field 'excerpt': expected text that occurs in document 'I01'",
        ),
        (
            lambda d: (d / "coder-b.csv").write_text(
                (d / "coder-b.csv")
                .read_text()
                .replace("unit,transcript,excerpt,code,coder,note", "unit,transcript,excerpt,code,coder,note,start,end")
                .replace("U2,I01,Over the months we built trust step by step.,S1,BB,", "U2,I01,,S1,BB,,400,460")
            ),
            r"coder-b\.csv, row 3, field 'start, end': expected 0 <= start < end <= \d+ \(the length of document 'I01'\), "
            r"found start 400, end 460",
        ),
        (
            lambda d: _edit(d / "participants.csv", "P2,Tom Baker,male,45,11\n", ""),
            r"I02\.txt, row 7, field 'speaker': expected a participant of the participants sheet",
        ),
    ],
)
def test_bad_input_one_message_nothing_written(tmp_path, change, message):
    data = _copy(tmp_path)
    change(data)
    out = tmp_path / "out"
    with pytest.raises(pipeline.StageFailed, match=message):
        pipeline.run_study(write_study(tmp_path, data), output_root=out, log=lambda line: None)
    assert not (out / "data/processed/mini-interviews").exists()
    assert not (out / "reports/mini-interviews").exists()
