"""No identifier from the raw data (names, places, phones, e-mails listed in a study's
de-identification key or found by pattern in its raw texts) appears in any file under
data/processed/ or reports/: the committed reports, and a fresh regeneration."""

from __future__ import annotations

import pytest

from leaks import find_leaks
from peerstudy import pipeline
from peerstudy.config import PROJECT_ROOT
from peerstudy.deid import identifiers, read_key
from peerstudy.readers import read_text
from peerstudy.transcripts import read_transcripts

DEID_STUDIES = [s for s in pipeline.list_studies() if pipeline.load_study(s).parameters.get("deid_key")]


def study_identifiers(study: str) -> set[str]:
    params = pipeline.load_study(study).parameters
    key = read_key(params["deid_key"])
    texts = [" ".join(turn[2] for turn in t.turns) for t in read_transcripts(params["transcripts"])]
    texts.append(read_text(PROJECT_ROOT / params["participants_sheet"]))
    return identifiers(key, *texts)


@pytest.mark.parametrize("study", DEID_STUDIES)
def test_key_lists_something(study):
    assert len(study_identifiers(study)) >= 10


@pytest.mark.parametrize("study", DEID_STUDIES)
def test_committed_reports_hold_no_identifier(study):
    assert find_leaks(PROJECT_ROOT, study_identifiers(study)) == []


@pytest.mark.parametrize("study", DEID_STUDIES)
def test_regenerated_outputs_hold_no_identifier(study, regenerated):
    assert find_leaks(regenerated, study_identifiers(study)) == []


def test_the_scan_finds_planted_identifiers(tmp_path):
    import pandas as pd

    (tmp_path / "reports/s").mkdir(parents=True)
    (tmp_path / "data/processed/s").mkdir(parents=True)
    (tmp_path / "reports/s/t.md").write_text("quote by Han Ji-woo")
    (tmp_path / "reports/s/n.ipynb").write_text('{"cells": [{"outputs": [{"data": {"text/plain": "Seo said"}}]}]}')
    pd.DataFrame({"text": ["met Ryu, 010-1234-5678"]}).to_parquet(tmp_path / "data/processed/s/x.parquet")
    import zipfile

    with zipfile.ZipFile(tmp_path / "reports/s/p.qdpx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sources/a.txt", "Lim So-hee said so")
    found = find_leaks(tmp_path, {"Han Ji-woo", "Seo", "Ryu", "010-1234-5678", "Seoul", "Lim So-hee"})
    assert found == [("data/processed/s/x.parquet", "010-1234-5678"), ("data/processed/s/x.parquet", "Ryu"),
                     ("reports/s/n.ipynb", "Seo"), ("reports/s/p.qdpx", "Lim So-hee"), ("reports/s/t.md", "Han Ji-woo")]


def test_the_scan_ignores_image_pixels_and_longer_words(tmp_path):
    (tmp_path / "reports/s").mkdir(parents=True)
    (tmp_path / "reports/s/r.html").write_text('<img src="data:image/png;base64,AAARyu+Seo/zz=="> Seoul, Ryuk')
    assert find_leaks(tmp_path, {"Seo", "Ryu"}) == []
