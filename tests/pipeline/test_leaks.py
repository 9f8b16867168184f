"""No identifier from the raw data (names, places, phones, e-mails listed in a study's
de-identification key or found by pattern in its raw texts) appears in any file of the
study under data/processed/ or reports/, or in the files there that all studies share: the
committed reports, and a fresh regeneration."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from leaks import find_leaks
from peerstudy import pipeline
from peerstudy.cleaning.deid import identifiers
from peerstudy.cleaning.deidkey import read_key
from peerstudy.cleaning.transcripts import read_transcripts
from peerstudy.config import PROJECT_ROOT
from peerstudy.io.readers import read_text
from peerstudy.pipeline import run as pipeline_run
from peerstudy.pipeline.leakcheck import LeakFound, check_outputs, raw_identifiers, scan_outputs

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
    assert find_leaks(PROJECT_ROOT, study_identifiers(study), study) == []


@pytest.mark.parametrize("study", DEID_STUDIES)
def test_regenerated_outputs_hold_no_identifier(study, regenerated):
    assert find_leaks(regenerated, study_identifiers(study), study) == []


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
    assert found == [
        ("data/processed/s/x.parquet", "010-1234-5678"),
        ("data/processed/s/x.parquet", "Ryu"),
        ("reports/s/n.ipynb", "Seo"),
        ("reports/s/p.qdpx", "Lim So-hee"),
        ("reports/s/t.md", "Han Ji-woo"),
    ]


def test_the_scan_ignores_image_pixels_and_longer_words(tmp_path):
    (tmp_path / "reports/s").mkdir(parents=True)
    (tmp_path / "reports/s/r.html").write_text('<img src="data:image/png;base64,AAARyu+Seo/zz=="> Seoul, Ryuk')
    assert find_leaks(tmp_path, {"Seo", "Ryu"}) == []


# ----------------------------------------------------------------------------- the pipeline's leak check
# peerstudy.pipeline.leakcheck is what run_study calls before putting a study's outputs in place.

PLANTED = {
    "Han Ji-woo": "participant",
    "Ryu": "name",
    "Solbat": "place",
    "010-1234-5678": "phone",
    "a.kim@example.org": "email",
}


def _staged(tmp_path):
    """An empty staging folder laid out as run_study leaves it."""
    for top in ("data/processed/s", "reports/s/tables", "reports/s/qda"):
        (tmp_path / top).mkdir(parents=True)
    return tmp_path


def _plant_csv(root):
    (root / "reports/s/tables/quotes.csv").write_text("code,quote\nC1,as HAN JI-WOO said\n", encoding="utf-8")
    return "reports/s/tables/quotes.csv", "participant"


def _plant_parquet(root):
    import pandas as pd

    pd.DataFrame({"text": ["met Ryu"], "n": [1]}).to_parquet(root / "data/processed/s/turns.parquet")
    return "data/processed/s/turns.parquet", "name"


def _plant_html(root):
    (root / "reports/s/results.html").write_text("<td>Sol<b></b>bat</td>", encoding="utf-8")  # split by a tag
    return "reports/s/results.html", "place"


def _plant_ipynb(root):
    nb = {
        "cells": [
            {"cell_type": "code", "source": "", "outputs": [{"output_type": "stream", "text": ["call 01012345678"]}]}
        ]
    }
    (root / "reports/s/code.ipynb").write_text(json.dumps(nb), encoding="utf-8")  # the phone written without hyphens
    return "reports/s/code.ipynb", "phone"


def _plant_qdpx(root):
    with zipfile.ZipFile(root / "reports/s/qda/project.qdpx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", "<Project/>")
        archive.writestr("sources/a.txt", "mail a.kim@example.org")
    return "reports/s/qda/project.qdpx [sources/a.txt]", "email"


@pytest.mark.parametrize(
    "plant",
    [_plant_csv, _plant_parquet, _plant_html, _plant_ipynb, _plant_qdpx],
    ids=["csv", "parquet", "html", "ipynb", "qdpx member"],
)
def test_a_planted_identifier_is_found_in_every_kind_of_output(tmp_path, plant):
    root = _staged(tmp_path)
    (root / "reports/s/tables/clean.csv").write_text("code,quote\nC1,as P3 said in [PLACE]\n", encoding="utf-8")
    where, kind = plant(root)
    assert scan_outputs(root, PLANTED) == [(where, kind)]


def test_images_and_longer_words_are_not_hits(tmp_path):
    root = _staged(tmp_path)
    nb = {"cells": [{"outputs": [{"data": {"image/png": "AAARyu+Solbat/zz==", "text/plain": "Ryuk in Solbatville"}}]}]}
    (root / "reports/s/r.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (root / "reports/s/r.html").write_text('<img src="data:image/png;base64,AAA+Ryu/Z=">', encoding="utf-8")
    (root / "reports/s/figure.png").write_bytes(b"\x89PNG Ryu Solbat")
    assert scan_outputs(root, PLANTED) == []


def _study_raw(tmp_path):
    raw = tmp_path / "raw"
    (raw / "transcripts").mkdir(parents=True)
    (raw / "deid-key.yaml").write_text(
        "participants: {Han Ji-woo: P1}\nnames: [Ryu]\nplaces: [Solbat]\n", encoding="utf-8"
    )
    (raw / "transcripts/I01.txt").write_text("Ryu said: ring 010-1234-5678 or a.kim@example.org", encoding="utf-8")
    (raw / "README.md").write_text("Numbers look like 010-0000-0000.", encoding="utf-8")  # documentation, not data
    return raw


def test_raw_identifiers_are_the_key_and_what_the_finders_find(tmp_path):
    raw = _study_raw(tmp_path)
    found = raw_identifiers({"deid_key": str(raw / "deid-key.yaml"), "phone_regions": ["KR"]}, raw)
    assert found == PLANTED


def test_raw_files_named_as_archives_that_are_none_are_searched_as_text(tmp_path):
    # Word's lock file beside an open document (~$I01.docx: a few bytes and the name of who
    # opened it) and a damaged workbook stopped the check with zipfile.BadZipFile
    raw = _study_raw(tmp_path)
    (raw / "transcripts/~$I01.docx").write_bytes(b"\x05Tess Wren" + b"\x00" * 40)
    (raw / "broken.xlsx").write_bytes(b"PK\x03\x04 cut short; call 010-9876-5432")
    found = raw_identifiers({"deid_key": str(raw / "deid-key.yaml"), "phone_regions": ["KR"]}, raw)
    assert found == {**PLANTED, "010-9876-5432": "phone"}


def test_a_leak_stops_the_run_naming_file_and_kind_but_not_the_identifier(tmp_path):
    raw = _study_raw(tmp_path)
    root = _staged(tmp_path / "run")
    _plant_csv(root)
    _plant_qdpx(root)
    with pytest.raises(LeakFound) as info:
        check_outputs("s", {"deid_key": str(raw / "deid-key.yaml")}, raw, root)
    message = str(info.value)
    assert (
        "reports/s/tables/quotes.csv, field 'participant': expected no identifier of the raw data in the outputs, "
        "found a participant's name listed in the key of the raw data (not shown here)" in message
    )
    assert "reports/s/qda/project.qdpx [sources/a.txt], field 'email'" in message
    assert "nothing was written for s" in message
    for value in ("Han", "Ji-woo", "a.kim", "example.org"):
        assert value.lower() not in message.lower()


def test_clean_outputs_and_studies_without_a_key_parameter_pass(tmp_path):
    raw = _study_raw(tmp_path)
    root = _staged(tmp_path / "run")
    (root / "reports/s/tables/quotes.csv").write_text("code,quote\nC1,as P1 said in [PLACE]\n", encoding="utf-8")
    check_outputs("s", {"deid_key": str(raw / "deid-key.yaml")}, raw, root)
    _plant_csv(root)
    check_outputs("s", {"title": "a literature review"}, raw, root)  # no deid_key: not a study of people


@pytest.mark.parametrize("study", DEID_STUDIES)
def test_the_committed_reports_pass_the_leak_check(study):
    from peerstudy.config import PROJECT_ROOT

    loaded = pipeline.load_study(study)
    check_outputs(study, loaded.parameters, loaded.raw, PROJECT_ROOT)


def test_run_study_puts_nothing_in_place_when_an_output_leaks(tmp_path, monkeypatch):
    """The one call in run_study: notebooks that (here, by a stand-in for papermill)
    write a keyed name and a raw phone number into a table stop the run; the previous
    outputs stay, and the message names the files and kinds, not the values."""
    import nbformat

    from helpers import copy_study, tree_digest
    from peerstudy import config

    def leaky_execute(source, target, parameters, kernel):
        nbformat.write(nbformat.v4.new_notebook(), str(target))
        tables = Path(os.environ[config.OUTPUT_ROOT_ENV]) / "reports/leaky/tables"
        tables.mkdir(parents=True, exist_ok=True)
        (tables / "quotes.csv").write_text("quote\nas kang tae-hoon said\n", encoding="utf-8")
        processed = Path(os.environ[config.OUTPUT_ROOT_ENV]) / "data/processed/leaky"
        processed.mkdir(parents=True, exist_ok=True)
        (processed / "notes.csv").write_text("note\nring 01004812297\n", encoding="utf-8")

    monkeypatch.setattr(pipeline_run, "_execute", leaky_execute)
    out = tmp_path / "out"
    (out / "reports/leaky").mkdir(parents=True)
    (out / "reports/leaky/keep.txt").write_text("previous report")
    study = copy_study(tmp_path, "professional-interviews", lambda raw: None, name="leaky")
    with pytest.raises(LeakFound) as info:
        pipeline.run_study(study, output_root=out)
    message = str(info.value)
    assert "reports/leaky/tables/quotes.csv, field 'participant'" in message
    assert "data/processed/leaky/notes.csv, field 'phone'" in message  # 010-0481-2297 in a raw transcript
    assert "kang" not in message.lower() and "2297" not in message
    assert tree_digest(out / "reports/leaky") == tree_digest_of("keep.txt", "previous report")
    assert not (out / "data/processed/leaky").exists()


def tree_digest_of(name, text):
    import hashlib

    return {name: hashlib.sha256(text.encode()).hexdigest()}


def test_a_failed_run_names_no_keyed_person_in_its_message_or_kept_notebook(tmp_path, monkeypatch):
    """A stage that fails with an error quoting a keyed name (here, a stand-in for
    papermill raising what a notebook's KeyError would give) and whose executed
    notebook holds that name: the message and the notebook kept under
    ``.staging/<study>/failed/`` show the pseudonym instead (issue 13)."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from helpers import copy_study

    def failing_execute(source, target, parameters, kernel):
        notebook = nbformat.v4.new_notebook()
        notebook.cells.append(nbformat.v4.new_markdown_cell("Kang Tae-hoon said it first."))
        nbformat.write(notebook, str(target))
        raise PapermillExecutionError(0, 1, "KeyError: 'Kang Tae-hoon'", "KeyError", "'Kang Tae-hoon'", [])

    monkeypatch.setattr(pipeline_run, "_execute", failing_execute)
    out = tmp_path / "out"
    study = copy_study(tmp_path, "professional-interviews", lambda raw: None, name="failing")
    with pytest.raises(pipeline.StageFailed) as info:
        pipeline.run_study(study, output_root=out)
    kept = next((out / ".staging/failing/failed").glob("*.ipynb")).read_text(encoding="utf-8")
    # the stand-in key (data/raw/professional-interviews/deid-key.yaml) maps Kang Tae-hoon to a pseudonym
    for shown in (str(info.value), kept):
        assert "kang" not in shown.lower() and "tae-hoon" not in shown.lower()
    assert "said it first" in kept and "KeyError" in str(info.value)
