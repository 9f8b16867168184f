"""Incremental runs (issue 14): a study is skipped while nothing it depends on changed,
and rerun when any one input changes (a raw file, a parameter, a code file, the
notebook), or with ``force``; parallel studies give the same bytes as serial ones.

The skip tests run in a copy of the project (code, notebooks, studies, the survey's raw
data) with the notebooks replaced by a quick stand-in for papermill that counts its
calls, so each takes seconds; whether a study ran is read from that count, not from the
pipeline's own log.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import tree_digest
from peerstudy import config, pipeline
from peerstudy.io.rawdata import accept_raw
from peerstudy.pipeline import run as pipeline_run
from peerstudy.pipeline import stagecache

STUDY = "supporter-survey"


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A copy of the project with the survey study; returns (root, output root, calls)."""
    import nbformat

    real, root = config.PROJECT_ROOT, tmp_path / "project"
    shutil.copytree(
        real / "src" / "peerstudy", root / "src" / "peerstudy", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(real / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "studies").mkdir()
    shutil.copy(real / "studies" / f"{STUDY}.yaml", root / "studies")
    shutil.copytree(real / "studies" / STUDY, root / "studies" / STUDY)
    shutil.copytree(real / "data" / "raw" / STUDY, root / "data" / "raw" / STUDY)
    shutil.copy(real / "requirements.lock", root)
    for name, value in (
        ("PROJECT_ROOT", root),
        ("RAW_DIR", root / "data" / "raw"),
        ("STUDIES_DIR", root / "studies"),
        ("NOTEBOOKS_DIR", root / "notebooks"),
    ):
        monkeypatch.setattr(config, name, value)
    calls: list[str] = []

    def execute(source, target, parameters, kernel):  # the stand-in: one cell naming the stage
        calls.append(Path(source).stem)
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(Path(source).stem)]), target)
        out = Path(os.environ["PEERSTUDY_OUTPUT_ROOT"])
        for rel in (f"data/processed/{STUDY}", f"reports/{STUDY}"):
            (out / rel).mkdir(parents=True, exist_ok=True)
            (out / rel / "stage.txt").write_text(Path(source).stem)

    monkeypatch.setattr(pipeline_run, "_execute", execute)
    return root, tmp_path / "out", calls


def run(out: Path, **options) -> list[str]:
    lines: list[str] = []
    pipeline.run_studies([STUDY], output_root=out, jobs=1, log=lines.append, **options)
    return lines


STAGES = ["clean-survey", "code", "results-survey"]  # studies/supporter-survey.yaml, notebooks:


def test_an_unchanged_study_is_skipped_and_force_reruns_it(project):
    root, out, calls = project
    run(out)
    assert calls == STAGES
    lines = run(out)
    assert calls == STAGES, "an unchanged study ran again"
    assert any("skipped" in line for line in lines)
    assert any("index.html" in line for line in lines), "the last line says where the reports are"
    run(out, force=True)
    assert calls == STAGES * 2


def _change_raw(root: Path) -> None:
    sheet = root / "data/raw" / STUDY / "coding-sheet.csv"
    sheet.write_bytes(sheet.read_bytes() + b"\n")
    accept_raw(root / "data/raw" / STUDY)


def _change_parameter(root: Path) -> None:
    path = root / "studies" / f"{STUDY}.yaml"
    text = path.read_text()
    assert "\ntitle: " in text
    path.write_text(text.replace("\ntitle: ", '\ntitle: "A changed title" # was: ', 1))


def _change_code(root: Path) -> None:
    with open(root / "src/peerstudy/report/tables.py", "a") as fh:
        fh.write("\n# a change\n")


def _change_notebook(root: Path) -> None:
    path = root / "notebooks" / "code.ipynb"
    path.write_bytes(path.read_bytes().rstrip() + b"\n\n")


@pytest.mark.parametrize(
    "change",
    [_change_raw, _change_parameter, _change_code, _change_notebook],
    ids=["raw-file", "parameter", "code", "notebook"],
)
def test_a_study_reruns_when_any_one_input_changes(project, change):
    root, out, calls = project
    run(out)
    before = stagecache.study_fingerprints(STUDY)
    change(root)
    after = stagecache.study_fingerprints(STUDY)
    run(out)
    assert calls == STAGES * 2, f"{change.__name__}: the study was not rerun"
    if change is _change_notebook:  # the fingerprints of code.ipynb and of the stage after it change, not before
        assert before["clean-survey"] == after["clean-survey"]
        assert before["code"] != after["code"] and before["results-survey"] != after["results-survey"]
    else:
        assert all(before[s] != after[s] for s in STAGES)


def test_a_study_whose_outputs_were_removed_or_altered_is_rerun(project):
    root, out, calls = project
    run(out)
    (out / "reports" / STUDY / "stage.txt").write_text("altered")
    run(out)
    assert calls == STAGES * 2
    shutil.rmtree(out / "data" / "processed" / STUDY)
    run(out)
    assert calls == STAGES * 3


@pytest.mark.slow
def test_studies_run_in_parallel_give_the_same_bytes_as_one_by_one(tmp_path):
    """Two real studies (the survey and the interviews), with papermill: jobs=2 and jobs=1."""
    names = ["supporter-survey", "professional-interviews"]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    pipeline.run_studies(names, output_root=serial, jobs=1, log=lambda line: None)
    pipeline.run_studies(names, output_root=parallel, jobs=2, log=lambda line: None)
    for name in names:
        for top in ("reports", "data/processed"):
            assert tree_digest(parallel / top / name) == tree_digest(serial / top / name), f"{name}: {top} differ"
