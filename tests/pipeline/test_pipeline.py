"""The pipeline end to end: backtest against the committed reports, provenance,
all-or-nothing runs, clear errors on bad input, and the command line."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import copy_study, replace_in, tree_digest
from peerstudy import pipeline
from peerstudy.config import PROJECT_ROOT
from peerstudy.errors import ConfigError
from peerstudy.pipeline import commit

STUDY = "supporter-survey"
COMMITTED = PROJECT_ROOT / "reports"


# ----------------------------------------------------------------------------- backtest
def test_backtest_regenerated_reports_equal_the_committed_ones(regenerated):
    """Every file under reports/<study>/ (tables, key figures, figures, notebooks, HTML)
    regenerated from the raw data is byte-identical to the committed one."""
    for study in pipeline.list_studies():
        new, old = tree_digest(regenerated / "reports" / study), tree_digest(COMMITTED / study)
        assert new.keys() == old.keys(), f"{study}: files differ: {sorted(new.keys() ^ old.keys())}"
        changed = sorted(k for k in new if new[k] != old[k])
        assert not changed, f"{study}: regenerated files differ from the committed ones: {changed}; run `make report`"


def test_backtest_manifest_and_index(regenerated):
    new = json.loads((regenerated / "reports/manifest.json").read_text())
    old = json.loads((COMMITTED / "manifest.json").read_text())
    assert new == old
    assert (regenerated / "reports/index.html").read_bytes() == (COMMITTED / "index.html").read_bytes()


def test_manifest_is_fresh_for_the_current_code_and_raw_data():
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    for study in pipeline.list_studies():
        entry = manifest["studies"][study]
        assert entry["code_sha256"] == pipeline.code_digest(), (
            "code changed since the reports were made: run `make report`"
        )
        assert entry["raw_inputs"] == pipeline.raw_inputs(pipeline.load_study(study)), (
            "raw data changed since the reports were made"
        )
        assert entry["parameters"] == pipeline.load_study(study).parameters


def test_processed_tables_are_written(regenerated):
    names = sorted(p.name for p in (regenerated / "data/processed" / STUDY).iterdir())
    assert names == [
        "cleaning_log.parquet",
        "codebook.parquet",
        "codings.parquet",
        "consensus.parquet",
        "documents.parquet",
        "flow.parquet",
        "participants.parquet",
        "questionnaires.parquet",
        "recodings.parquet",
        "segments.parquet",
    ]
    names = sorted(p.name for p in (regenerated / "data/processed/professional-interviews").iterdir())
    assert names == [
        "cleaning_log.parquet",
        "codebook.parquet",
        "codings.parquet",
        "consensus.parquet",
        "documents.parquet",
        "participants.parquet",
        "recodings.parquet",
        "segments.parquet",
        "turns.parquet",
    ]


def test_executed_notebooks_hold_no_run_specific_facts():
    for path in (COMMITTED / STUDY).glob("*.ipynb"):
        text = path.read_text()
        for needle in ("start_time", "end_time", '"duration"', str(PROJECT_ROOT), "/tmp/"):
            assert needle not in text, f"{path.name} contains {needle!r}"


def test_html_hides_code_and_parameters():
    html = (COMMITTED / STUDY / "results-survey.html").read_text()
    assert "characteristics_table(" not in html
    body = html.split("</header>", 1)[-1]  # the page header lists the parameters on purpose (peerstudy.report.pages)
    assert "survey_export" not in body and "injected-parameters" not in html
    assert "42.1 (14.1)" in html


# ----------------------------------------------------------------------------- parameter files
def test_unknown_parameter_and_wrong_type_are_errors(tmp_path):
    text = (PROJECT_ROOT / "studies" / f"{STUDY}.yaml").read_text()
    path = tmp_path / f"{STUDY}.yaml"
    path.write_text(text.replace("codebook:", "codebok:").replace("text_fields: [", "text_fields: motivation #["))
    with pytest.raises(ConfigError) as info:
        pipeline.load_study(path)
    text = str(info.value)
    assert "field 'codebok': expected a parameter declared by one of its notebooks" in text
    assert "field 'text_fields': expected a value of type list" in text


# ----------------------------------------------------------------------------- bad input
@pytest.mark.slow  # a study run through the pipeline (papermill), to the failing stage
@pytest.mark.parametrize(
    "change, message",
    [
        (
            # (a missing export is refused before anything runs: peerstudy.pipeline.studycheck, tests/pipeline/test_studycheck.py)
            lambda raw: (raw / "questionnaire-export.csv").write_bytes(b""),
            r"questionnaire-export\.csv: expected .*found an empty file",
        ),
        (
            replace_in("questionnaire-export.csv", "Q2. Sex", "Q2. Gender"),
            r"questionnaire-export\.csv, row 1, field 'Q2\. Sex': expected column\(s\) 'Q2\. Sex'",
        ),
        (
            replace_in("coding-sheet.csv", "self-growth", "self-grwoth"),
            r"coding-sheet\.csv, row 2, field 'code': expected a code defined in the codebook, found 'self-grwoth'",
        ),
    ],
)
def test_bad_input_stops_with_one_message_and_writes_nothing(tmp_path, change, message):
    out = tmp_path / "out"
    # outputs of an earlier good run must survive the failed one untouched
    (out / "reports/bad-survey").mkdir(parents=True)
    (out / "reports/bad-survey/keep.txt").write_text("previous report")
    with pytest.raises(pipeline.StageFailed, match=message) as info:
        pipeline.run_study(copy_study(tmp_path, STUDY, change, name="bad-survey"), output_root=out)
    assert "Nothing was written for bad-survey" in str(info.value)
    assert "Traceback" not in str(info.value)
    # the failed notebook, kept for inspection, shows the error as one readable message
    failed = next((out / ".staging/bad-survey/failed").glob("*.ipynb"))
    errors = [
        o for c in json.loads(failed.read_text())["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"
    ]
    assert len(errors) == 1 and len(errors[0]["traceback"]) == 1
    assert errors[0]["traceback"][0].startswith("InputError: ")
    assert not (out / "data/processed/bad-survey").exists()
    assert tree_digest(out / "reports/bad-survey") == tree_digest_of_text("keep.txt", "previous report")


def tree_digest_of_text(name, text):
    import hashlib

    return {name: hashlib.sha256(text.encode()).hexdigest()}


# ----------------------------------------------------------------------------- all or nothing
FOLDERS = ("data/processed/s", "reports/s")


def _outputs(root, text):
    for rel in FOLDERS:
        (root / rel).mkdir(parents=True)
        (root / rel / "table.csv").write_text(text)
        (root / rel / "figure.svg").write_text(text)


def _state(root):
    """What each output folder holds: 'old', 'new', None (absent); a folder holding a
    mixture of old and new files fails here."""
    state = {}
    for rel in FOLDERS:
        folder = root / rel
        if not folder.exists():
            state[rel] = None
            continue
        texts = {p.read_text() for p in folder.iterdir()}
        assert {p.name for p in folder.iterdir()} == {"table.csv", "figure.svg"} and len(texts) == 1, (
            f"{rel} is not whole: {texts}"
        )
        state[rel] = texts.pop()
    return state


def _exchange_works(tmp_path):
    a, b = tmp_path / "probe-a", tmp_path / "probe-b"
    a.mkdir(), b.mkdir()
    (a / "x").touch()
    try:
        return commit.exchange_paths(a, b) and (b / "x").exists()
    finally:
        shutil.rmtree(a), shutil.rmtree(b)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("kill_at", range(1, 8))
def test_a_run_killed_at_any_step_of_putting_outputs_in_place_is_completed_by_the_next(tmp_path, kill_at, exchange):
    """SIGKILL before each file system step of the commit (recording it, moving each
    folder, removing the record): the previous outputs are never damaged, and the next
    run's recovery leaves either all old (commit not begun) or all new outputs."""
    if exchange and not _exchange_works(tmp_path):
        pytest.skip("this file system cannot exchange two folders atomically")
    root = tmp_path / "root"
    _outputs(root, "old")
    run = root / ".staging/s/run-test"
    _outputs(run, "new")
    pid = os.fork()
    if pid == 0:  # the child commits, and is killed at step kill_at
        status = 1
        try:
            steps = 0

            def step(fn):
                def wrapped(*args, **kwargs):
                    nonlocal steps
                    steps += 1
                    if steps == kill_at:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return fn(*args, **kwargs)

                return wrapped

            os.replace = step(os.replace)
            commit.exchange_paths = step(commit.exchange_paths if exchange else (lambda a, b: False))
            Path.unlink = step(Path.unlink)
            commit.commit_run(run, root, "s")
            status = 0
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert killed or os.WEXITSTATUS(status) == 0, "the commit failed without being killed"
    state = _state(root)
    if exchange:
        assert None not in state.values(), "with an exchange, each output folder exists at every moment"
    else:  # a folder may be missing between two renames; its old copy is kept in the run folder
        for rel, held in state.items():
            assert held is not None or (run / "previous" / rel / "table.csv").read_text() == "old"
    begun = (root / ".staging/s/commit.json").is_file()
    commit.recover_run(root, "s", log=lambda line: None)
    final = _state(root)
    if killed and not begun and state == dict.fromkeys(FOLDERS, "old"):
        assert final == dict.fromkeys(FOLDERS, "old"), "a commit not begun leaves the previous outputs"
    else:
        assert final == dict.fromkeys(FOLDERS, "new"), "a commit begun is completed"
    assert sorted(p.name for p in (root / ".staging/s").iterdir()) == [], "nothing of the killed run is left"
    if not killed:
        assert kill_at > 4 if exchange else kill_at > 6, "every step was reached"


def test_a_study_run_killed_midway_leaves_the_previous_outputs_and_the_next_run_succeeds(tmp_path, regenerated):
    out = tmp_path / "out"
    for rel in (f"data/processed/{STUDY}", f"reports/{STUDY}"):
        shutil.copytree(regenerated / rel, out / rel)
    (out / f"reports/{STUDY}/tables/counts.csv").write_text("an older report\n")
    before = {rel: tree_digest(out / rel) for rel in ("data/processed", "reports")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "peerstudy", "report", "--study", STUDY, "--output-root", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        # killed while its second notebook runs (papermill writes a notebook as it starts):
        # the first one's outputs are staged
        while not list((out / f".staging/{STUDY}").glob(f"run-*/reports/{STUDY}/code.ipynb")):
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert {rel: tree_digest(out / rel) for rel in ("data/processed", "reports")} == before
    assert list((out / f".staging/{STUDY}").glob("run-*")), "the killed run left its staging folder"
    pipeline.run_study(STUDY, output_root=out, log=lambda line: None)
    assert tree_digest(out / f"reports/{STUDY}") == tree_digest(regenerated / f"reports/{STUDY}")
    assert not list((out / f".staging/{STUDY}").glob("run-*"))


def test_a_second_run_of_the_same_study_is_refused_while_one_holds_the_lock(tmp_path):
    out = tmp_path / "out"
    with commit.lock_study(out, STUDY):
        with pytest.raises(
            ConfigError,
            match=r"field 'study': expected no other run of 'supporter-survey' in "
            r"progress, found another run holds the lock\. Fix: wait for the "
            r"other run to finish",
        ):
            pipeline.run_study(STUDY, output_root=out)
    assert not (out / "reports").exists() and not (out / "data").exists()


# ----------------------------------------------------------------------------- command line
def test_command_line_reports_an_unknown_study_without_traceback():
    run = subprocess.run(
        [sys.executable, "-m", "peerstudy", "report", "--study", "no-such-study"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert run.returncode == 2
    assert run.stderr.startswith(
        f"error: field '--study': expected one of {', '.join(pipeline.list_studies())}, "
        "or the path of a parameter file (.yaml), found 'no-such-study'"
    )
    assert "Traceback" not in run.stderr


@pytest.mark.slow  # a notebook in a kernel of its own
def test_papermill_runs_a_notebook_directly_with_the_study_file(tmp_path):
    """`papermill notebooks/X.ipynb out.ipynb -f studies/<study>.yaml` from the project root
    works: the study's first notebook (it reads only raw data), writing under an output
    root of its own."""
    out = tmp_path / "out"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "notebooks/clean-survey.ipynb",
            str(tmp_path / "o.ipynb"),
            "-f",
            f"studies/{STUDY}.yaml",
            "-k",
            pipeline.KERNEL_NAME,
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PEERSTUDY_OUTPUT_ROOT": str(out)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    # the published response (../shared/STUDIES.md): 20 questionnaires returned of 23 handed out
    processed = out / "data/processed" / STUDY
    assert pq.read_metadata(processed / "questionnaires.parquet").num_rows == 23
    assert pq.read_metadata(processed / "participants.parquet").num_rows == 20


# ----------------------------------------------------------------------------- commit faults (issue 13)
@contextlib.contextmanager
def _read_only(folder):
    """``folder`` may not be changed inside the block (chmod; for root, whom permissions do
    not stop, the immutable attribute); skipped where neither works."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("running as root, and this file system cannot make a folder immutable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_commit_into_a_read_only_folder_is_undone(tmp_path, exchange):
    """reports/ may not be changed: data/processed/s was already replaced when moving
    reports/s fails; the commit undoes it, removes its record, and raises."""
    if exchange and not _exchange_works(tmp_path):
        pytest.skip("this file system cannot exchange two folders atomically")
    root = tmp_path / "root"
    _outputs(root, "old")
    run = root / ".staging/s/run-test"
    _outputs(run, "new")
    saved = commit.exchange_paths
    try:
        if not exchange:
            commit.exchange_paths = lambda a, b: False
        with _read_only(root / "reports"), pytest.raises(OSError):
            commit.commit_run(run, root, "s")
    finally:
        commit.exchange_paths = saved
    assert _state(root) == dict.fromkeys(FOLDERS, "old")
    assert _state(run) == dict.fromkeys(FOLDERS, "new"), "the new outputs are back in their run folder"
    assert not (root / ".staging/s/commit.json").exists()


@pytest.mark.parametrize("kill_at", range(1, 8))
def test_a_run_killed_while_a_failed_commit_is_undone_is_finished_by_the_next(tmp_path, kill_at):
    """SIGKILL at each step of a commit into a read-only reports/ folder and of its undoing:
    once the folder is writable again, the next run's recovery leaves all old or all new
    outputs (new exactly when the commit record was left), and nothing of the killed run."""
    root = tmp_path / "root"
    _outputs(root, "old")
    run = root / ".staging/s/run-test"
    _outputs(run, "new")
    with _read_only(root / "reports"):
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                steps = 0

                def step(fn):
                    def wrapped(*args, **kwargs):
                        nonlocal steps
                        steps += 1
                        if steps == kill_at:
                            os.kill(os.getpid(), signal.SIGKILL)
                        return fn(*args, **kwargs)

                    return wrapped

                os.replace = step(os.replace)
                commit.exchange_paths = step(commit.exchange_paths)
                Path.unlink = step(Path.unlink)
                try:
                    commit.commit_run(run, root, "s")
                except OSError:
                    status = 0
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert killed or os.WEXITSTATUS(status) == 0, "the failed commit did not raise"
    begun = (root / ".staging/s/commit.json").is_file()
    commit.recover_run(root, "s", log=lambda line: None)
    assert _state(root) == dict.fromkeys(FOLDERS, "new" if begun else "old")
    assert sorted(p.name for p in (root / ".staging/s").iterdir()) == []


def test_a_commit_record_whose_run_folder_is_gone_is_discarded(tmp_path):
    root = tmp_path / "root"
    _outputs(root, "old")
    (root / ".staging/s").mkdir(parents=True)
    (root / ".staging/s/commit.json").write_text('{"run": "run-gone", "folders": {"reports/s": [1, 2]}}')
    lines = []
    commit.recover_run(root, "s", log=lines.append)
    assert lines == ["s: discarding the record of an earlier replacement of its outputs, whose run folder is gone"]
    assert _state(root) == dict.fromkeys(FOLDERS, "old")
    assert not (root / ".staging/s/commit.json").exists()


# ----------------------------------------------------------------------------- names and input paths (issue 13)
@pytest.mark.parametrize("name", [".", "..", "../literature-review", "/etc/passwd", "Survey", "a b", "-x", "x" * 65])
def test_unsafe_study_names_are_refused(name):
    with pytest.raises(
        ConfigError,
        match=r"field 'study': expected a study name of lowercase letters, digits and "
        r"hyphens",
    ):
        pipeline.load_study(name)


def test_inputs_outside_the_raw_folder_are_checksummed_and_listed(tmp_path):
    """A parameter file kept outside the project may name inputs beside it; those outside
    the raw folder are hashed (compared here with hashlib over the file) and listed with
    the raw inputs, so a change to them is seen like a change to raw data."""
    import hashlib

    from helpers import copy_study

    path = copy_study(tmp_path, STUDY, lambda raw: None, name="extra-survey")
    extra = tmp_path / "elsewhere" / "codebook.yaml"
    extra.parent.mkdir()
    shutil.copy(PROJECT_ROOT / "data/raw" / STUDY / "codebook.yaml", extra)
    text = path.read_text()
    path.write_text(text.replace(f"codebook: {tmp_path / 'raw'}/codebook.yaml", f"codebook: {extra}"))
    study = pipeline.load_study(path)
    assert study.other_inputs == (extra,)
    inputs = pipeline.raw_inputs(study)
    assert inputs[str(extra)] == hashlib.sha256(extra.read_bytes()).hexdigest()
    assert f"{tmp_path}/raw/coding-sheet.csv" in inputs and len(inputs) == 5  # 4 raw files (SHA256SUMS) + 1
