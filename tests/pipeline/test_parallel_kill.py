"""A study killed during a parallel run (issue 14) leaves the other studies' outputs whole.

Two copies of the survey study, ``alpha`` and ``beta``, run by the command line
(``python -m peerstudy report --study alpha --study beta --jobs 2``) in a copy of the
project, with papermill replaced by a quick stand-in (as in ``test_stagecache.py``) that
writes one file per stage holding ``STANDIN_VERSION``; with ``STANDIN_HANG=beta`` it hangs
in beta's second stage, and the whole process group is killed there. (That studies run in
parallel give the same bytes as one by one is ``test_stagecache.py``.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import tree_digest
from peerstudy import config
from peerstudy.io.rawdata import accept_raw

pytestmark = pytest.mark.slow  # runs the command line four times

DRIVER = """
import os, sys, time
from pathlib import Path
import nbformat
from peerstudy import config
from peerstudy.pipeline import run as pipeline_run

root = Path(sys.argv[1])
for name, value in (("PROJECT_ROOT", root), ("RAW_DIR", root / "data" / "raw"),
                    ("STUDIES_DIR", root / "studies"), ("NOTEBOOKS_DIR", root / "notebooks")):
    setattr(config, name, value)

def execute(source, target, parameters, kernel):
    stage, study = Path(source).stem, parameters["study"]
    if study == os.environ.get("STANDIN_HANG") and stage == "code":
        time.sleep(600)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(stage)]), target)
    out = Path(os.environ["PEERSTUDY_OUTPUT_ROOT"])
    for rel in (f"data/processed/{study}", f"reports/{study}"):
        (out / rel).mkdir(parents=True, exist_ok=True)
        (out / rel / f"{stage}.txt").write_text(f"{stage} {os.environ['STANDIN_VERSION']}")

pipeline_run._execute = execute
from peerstudy.__main__ import main
sys.exit(main(sys.argv[2:]))
"""
STUDIES = ("alpha", "beta")


@pytest.fixture()
def project(tmp_path):
    """A copy of the project holding the studies alpha and beta (copies of the survey)."""
    real, root = config.PROJECT_ROOT, tmp_path / "project"
    shutil.copytree(
        real / "src" / "peerstudy", root / "src" / "peerstudy", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(real / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(real / "studies" / "supporter-survey", root / "studies" / "supporter-survey")
    shutil.copy(real / "requirements.lock", root)
    text = (real / "studies" / "supporter-survey.yaml").read_text(encoding="utf-8")
    for name in STUDIES:
        shutil.copytree(real / "data" / "raw" / "supporter-survey", root / "data" / "raw" / name)
        accept_raw(root / "data" / "raw" / name)
        params = text.replace("data/raw/supporter-survey", f"data/raw/{name}")
        params = params.replace("\nstudy: supporter-survey\n", f"\nstudy: {name}\n")
        assert f"\nstudy: {name}\n" in params
        (root / "studies" / f"{name}.yaml").write_text(params, encoding="utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    return root


def start(project: Path, out: Path, studies, version: str, hang: str = "", jobs: int = 2) -> subprocess.Popen:
    env = {**os.environ, "STANDIN_VERSION": version, "STANDIN_HANG": hang}
    env["PYTHONPATH"] = str(config.PROJECT_ROOT / "src")
    args = [sys.executable, str(project.parent / "driver.py"), str(project), "report", "--output-root", str(out)]
    args += [a for s in studies for a in ("--study", s)] + ["--jobs", str(jobs)]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def finish(proc: subprocess.Popen) -> None:
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output.decode()


def outputs(out: Path, study: str) -> dict:
    return {top: tree_digest(out / top / study) for top in ("reports", "data/processed")}


def change_code(project: Path) -> None:
    """A change of the code every stage runs (so every stage of both studies is stale)."""
    with open(project / "src/peerstudy/report/tables.py", "a", encoding="utf-8") as fh:
        fh.write("\n# a change\n")


def test_a_study_killed_during_a_parallel_run_leaves_the_others_whole(project, tmp_path):
    out = tmp_path / "out"
    finish(start(project, out, STUDIES, "v1"))
    beta_before = outputs(out, "beta")
    assert (out / "reports/beta/clean-survey.txt").read_text() == "clean-survey v1"  # the stand-in ran
    change_code(project)  # both stale now, every stage: the next run runs both whole
    proc = start(project, out, STUDIES, "v2", hang="beta")
    try:
        deadline = time.monotonic() + 90
        # killed while beta's second stage runs (its first is staged), once alpha has committed
        while not (
            list((out / ".staging/beta").glob("run-*/reports/beta/clean-survey.txt"))
            and (out / "reports/alpha/results-survey.txt").is_file()
            and (out / "reports/alpha/results-survey.txt").read_text() == "results-survey v2"
            and not list((out / ".staging/alpha").glob("run-*"))
        ):
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    alone = tmp_path / "alone"  # each study run alone, one after the other
    finish(start(project, alone, STUDIES, "v2", jobs=1))
    assert outputs(out, "alpha") == outputs(alone, "alpha"), "alpha's outputs are not those of a run of alpha alone"
    assert outputs(out, "beta") == beta_before, "beta's previous outputs were touched"
    assert list((out / ".staging/beta").glob("run-*")), "the killed run left beta's staging folder"
    finish(start(project, out, STUDIES, "v2"))  # the next run completes beta
    assert outputs(out, "beta") == outputs(alone, "beta")
    assert (out / "reports/beta/code.txt").read_text() == "code v2"
    assert not list((out / ".staging/beta").glob("run-*")), "the killed run's staging folder is cleared"
