"""Incremental runs (issue 14): each stage of a study is skipped while nothing it depends on
changed, and rerun when any one of its inputs changes (a raw file it reads, one of its
parameters, the code, an upstream stage's output), or with ``force``; parallel studies
give the same bytes as serial ones.

The skip tests run in a copy of the project (code, notebooks, studies, the survey's raw
data) with papermill replaced by a quick stand-in that records which stages it ran, so
each takes seconds; which stages ran is read from that record, not from the pipeline's
own log. Like a notebook, the stand-in's outputs depend on what it reads: its
parameters, the files they name, the notebook and the earlier stages' outputs. Which
stage reads what comes from ``studies/supporter-survey.yaml`` and the notebooks'
parameters cells: ``clean-survey`` reads the export (``survey_export``), ``code`` the
coder sheet (``coding_sheets``), ``results-survey`` alone has ``title``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from helpers import check_example_reports, example_study, heavy_modules_after, tree_digest
from peerstudy import config, pipeline
from peerstudy.io.rawdata import accept_raw
from peerstudy.pipeline import run as pipeline_run
from peerstudy.pipeline import stagecache

STUDY = "supporter-survey"
STAGES = ["clean-survey", "code", "results-survey"]  # studies/supporter-survey.yaml, notebooks:


def _files_named(value) -> list[Path]:
    """The files a parameter value names (the stand-in reads them, as a notebook would)."""
    if isinstance(value, list):
        return [p for item in value for p in _files_named(item)]
    if isinstance(value, str) and value and config.resolve_input(value).is_file():
        return [config.resolve_input(value)]
    return []


def standin(calls: list[str]):
    """A stand-in for papermill: writes one output per stage, the sha256 of what it read."""
    import nbformat

    def execute(source, target, parameters, kernel):
        stage, study = Path(source).stem, parameters["study"]
        calls.append(stage)
        out = Path(os.environ["PEERSTUDY_OUTPUT_ROOT"])
        h = hashlib.sha256(Path(source).read_bytes() + json.dumps(parameters, sort_keys=True).encode())
        for value in parameters.values():
            for path in _files_named(value):
                h.update(path.read_bytes())
        upstream = out / "data" / "processed" / study
        for path in sorted(upstream.glob("*.txt")) if upstream.is_dir() else []:
            h.update(path.read_bytes())
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(h.hexdigest())]), target)
        for rel in (f"data/processed/{study}", f"reports/{study}"):
            (out / rel).mkdir(parents=True, exist_ok=True)
            (out / rel / f"{stage}.txt").write_text(h.hexdigest())

    return execute


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A copy of the project with the survey study; returns (root, output root, calls)."""
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
    monkeypatch.setattr(pipeline_run, "_execute", standin(calls))
    return root, tmp_path / "out", calls


def run(out: Path, calls: list[str], **options) -> tuple[list[str], list[str]]:
    """Run the study; return the stages that ran this time and the progress lines."""
    lines: list[str] = []
    before = len(calls)
    pipeline.run_studies([STUDY], output_root=out, jobs=1, log=lines.append, **options)
    return calls[before:], lines


def test_an_unchanged_study_is_skipped_stage_by_stage_and_force_reruns_it(project):
    root, out, calls = project
    ran, lines = run(out, calls)
    assert ran == STAGES
    assert [line.split(":")[1].strip() for line in lines[:3]] == STAGES, "one line per stage"
    assert all(" ran in " in line and line.endswith(" s") for line in lines[:3]), lines
    first = tree_digest(out / "reports" / STUDY)
    ran, lines = run(out, calls)
    assert ran == [], "an unchanged study ran again"
    assert [line for line in lines if "skipped" in line] == [
        f"{STUDY}: {stage}: skipped (unchanged) in {line.split(' in ')[1]}"
        for stage, line in zip(STAGES, lines[:3], strict=True)
    ]
    assert lines[-1].startswith("done in ") and lines[-1].endswith(
        f"open the reports at {out / 'reports' / 'index.html'}"
    )
    assert (out / "reports" / "index.html").is_file()
    ran, _ = run(out, calls, force=True)
    assert ran == STAGES
    assert tree_digest(out / "reports" / STUDY) == first


def _change_raw(root: Path, name: str) -> None:
    sheet = root / "data/raw" / STUDY / name
    sheet.write_bytes(sheet.read_bytes() + b"\n")
    accept_raw(root / "data/raw" / STUDY)


def _change_title(root: Path) -> None:
    path = root / "studies" / f"{STUDY}.yaml"
    text = path.read_text()
    assert "\ntitle: " in text
    path.write_text(text.replace("\ntitle: ", '\ntitle: "A changed title" # was: ', 1))


def test_a_changed_coder_sheet_reruns_code_and_results_not_cleaning(project):
    """A raw file read by a stage reruns it (and the stages reading its outputs); a raw
    file read only by a later stage (the sheet, by ``code``) does not rerun an earlier one."""
    root, out, calls = project
    run(out, calls)
    cleaned = (out / "data/processed" / STUDY / "clean-survey.txt").read_bytes()
    _change_raw(root, "coding-sheet.csv")
    ran, lines = run(out, calls)
    assert ran == ["code", "results-survey"]
    assert any(line.startswith(f"{STUDY}: clean-survey: skipped (unchanged) in ") for line in lines), lines
    assert (out / "data/processed" / STUDY / "clean-survey.txt").read_bytes() == cleaned, "carried over"
    ran, _ = run(out, calls)
    assert ran == []


def test_a_changed_parameter_reruns_only_the_stage_that_declares_it(project):
    root, out, calls = project
    run(out, calls)
    _change_title(root)  # declared by results-survey only
    ran, _ = run(out, calls)
    assert ran == ["results-survey"]


@pytest.mark.parametrize(
    "where, stale",
    [("src/peerstudy/report/tables.py", STAGES), ("notebooks/code.ipynb", ["code", "results-survey"])],
    ids=["src", "notebook"],
)
def test_changed_code_reruns_the_stages_that_run_it(project, where, stale):
    """A change in src/ reruns every stage; a changed cell of a notebook reruns its stage,
    and the next one, whose upstream output (the executed notebook) changed with it."""
    root, out, calls = project
    run(out, calls)
    if where.endswith(".ipynb"):
        nb = json.loads((root / where).read_text(encoding="utf-8"))
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and c["source"])
        cell["source"] = [*cell["source"], "\n# changed"]
        (root / where).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    else:
        with open(root / where, "a") as fh:
            fh.write("\n")
    ran, _ = run(out, calls)
    assert ran == stale


def test_outputs_stored_in_a_notebook_rerun_nothing(project):
    """Refreshing the outputs stored in notebooks/ changes no stage: a notebook is hashed
    as its cells are written (stagecache.notebook_digest), so the studies run beside the
    refresh."""
    root, out, calls = project
    run(out, calls)
    path = root / "notebooks" / "code.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["a stored output\n"]}]
    cell["execution_count"] = 7
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    ran, _ = run(out, calls)
    assert ran == []


def test_a_changed_upstream_output_reruns_the_stage_that_reads_it(project):
    """The export is read by clean-survey only: code's own inputs are the same, yet it
    reruns, because clean-survey's output (which code reads) changed."""
    root, out, calls = project
    run(out, calls)
    own = stagecache.stage_digests(STUDY)
    _change_raw(root, "questionnaire-export.csv")
    assert stagecache.stage_digests(STUDY)["code"] == own["code"]
    assert stagecache.stage_digests(STUDY)["clean-survey"] != own["clean-survey"]
    ran, _ = run(out, calls)
    assert ran == STAGES


def test_a_stage_whose_outputs_were_removed_or_altered_is_rerun(project):
    root, out, calls = project
    run(out, calls)
    (out / "reports" / STUDY / "code.txt").write_text("altered")
    ran, _ = run(out, calls)
    assert ran == ["code"], "the altered output made code rerun; its new output equals the old, so results is current"
    shutil.rmtree(out / "data" / "processed" / STUDY)
    ran, _ = run(out, calls)
    assert ran == STAGES


def rewriting_standin(calls: list[str]):
    """The stand-in, with results-survey also rewriting a file code wrote (as results-dyads
    rewrites the REFI-QDA project)."""
    plain = standin(calls)

    def execute(source, target, parameters, kernel):
        plain(source, target, parameters, kernel)
        if Path(source).stem == "results-survey":
            shared = Path(os.environ["PEERSTUDY_OUTPUT_ROOT"]) / "data/processed" / STUDY / "code.txt"
            shared.write_text(hashlib.sha256(shared.read_bytes()).hexdigest())

    return execute


def test_a_file_rewritten_by_a_later_stage_is_kept_for_a_run_that_skips_the_earlier(project, monkeypatch):
    """Here results-survey also rewrites a file code wrote (as results-dyads rewrites the
    REFI-QDA project): unchanged, nothing reruns; with a changed title, results-survey
    reruns on code's version of the file, and the outputs equal those of a full run."""
    root, out, calls = project
    monkeypatch.setattr(pipeline_run, "_execute", rewriting_standin(calls))
    run(out, calls)
    ran, _ = run(out, calls)
    assert ran == []
    _change_title(root)
    ran, _ = run(out, calls)
    assert ran == ["results-survey"]
    full = out.parent / "full"
    run(full, calls)
    for top in (f"reports/{STUDY}", f"data/processed/{STUDY}"):
        assert tree_digest(out / top) == tree_digest(full / top), top


def test_the_default_study_file_is_part_of_the_fingerprint(project):
    """A study that omits ``characteristics`` gets it empty only while its notebook's
    default study sets it (fill_omitted reads that file), else the notebook's default:
    the default study's file counts."""
    root, _, _ = project
    text = (root / "studies" / f"{STUDY}.yaml").read_text()
    other = text.replace(f"\nstudy: {STUDY}\n", "\nstudy: other-survey\n").replace("\ncharacteristics: ", "\n#x: ")
    (root / "studies" / "other-survey.yaml").write_text(other)
    before = stagecache.stage_digests("other-survey")
    (root / "studies" / f"{STUDY}.yaml").write_text(text.replace("\ncharacteristics: ", "\n#x: "))
    after = stagecache.stage_digests("other-survey")
    assert before["results-survey"] != after["results-survey"]
    assert before["code"] == after["code"], "code declares no characteristics"


@pytest.mark.slow
def test_a_real_study_reruns_only_what_a_changed_coder_sheet_touches(tmp_path, monkeypatch):
    """With papermill: the README's my-survey example (the mini survey), given by path,
    run whole (this is its end-to-end run: tests/test_readme_examples.py runs the others);
    its coder sheet changed, then run again: cleaning skipped, and the outputs
    byte-identical to a full run of the changed study into an empty output root. The
    study is recorded under its file's name. (Pages name the last commit of the code:
    held fixed, as a commit made meanwhile would change them.)"""
    from peerstudy.report import pages

    monkeypatch.setattr(pages, "current_commit", lambda root=None: "0" * 40)
    (study, _), out, fresh = example_study(tmp_path, "my-survey"), tmp_path / "out", tmp_path / "fresh"
    lines: list[str] = []
    pipeline.run_studies([str(study)], output_root=out, jobs=1, log=lines.append)
    check_example_reports(out / "reports/my-survey")
    entry = json.loads((out / "reports/manifest.json").read_text())["studies"]["my-survey"]
    assert entry["parameter_file"] == str(study) and sorted(entry["stages"]) == sorted(STAGES)
    assert 'href="my-survey/' in (out / "reports/index.html").read_text()
    raw = tmp_path / "data/raw/my-survey"
    sheet = raw / "coding-sheet.csv"
    rows = sheet.read_text().splitlines(keepends=True)
    sheet.write_text("".join(rows[:-1]))  # one coding fewer
    accept_raw(raw)
    lines.clear()
    pipeline.run_studies([str(study)], output_root=out, jobs=1, log=lines.append)
    assert [line.split(": ")[2].split(" in ")[0] for line in lines[:3]] == ["skipped (unchanged)", "ran", "ran"]
    pipeline.run_studies([str(study)], output_root=fresh, jobs=1, log=lambda line: None)
    for top in ("reports/my-survey", "data/processed/my-survey"):
        assert tree_digest(out / top) == tree_digest(fresh / top), top


def test_studies_run_in_parallel_give_the_same_bytes_as_one_by_one(tmp_path, regenerated):
    """Two real studies (the survey and the interviews), with papermill, one by one
    (``jobs=1``, in this process's kernel), against the session's regeneration, which ran
    every study at least two at once in job processes (``conftest.regenerate``). That a
    kernel shared by notebooks shows what a kernel of their own would is nbval's check of
    ``notebooks/`` (a fresh kernel each) and tests/pipeline/test_kernels.py's."""
    names = ["supporter-survey", "professional-interviews"]
    serial = tmp_path / "serial"
    pipeline.run_studies(names, output_root=serial, jobs=1, log=lambda line: None)
    for name in names:
        for top in ("reports", "data/processed"):
            assert tree_digest(regenerated / top / name) == tree_digest(serial / top / name), f"{name}: {top} differ"


# ----------------------------------------------------------------------------- a run with nothing to do (issue 14)
def _nothing_to_do(out: Path) -> bool:
    from peerstudy.__main__ import _nothing_to_do, build_parser

    return _nothing_to_do(build_parser().parse_args(["report", "--study", STUDY, "--output-root", str(out)]))


def test_nothing_to_do_until_an_input_parameter_or_the_code_changes(project):
    """The quick answer of ``report`` (one look at every file, stagecache.one_look) is
    "nothing to do" after a run, and not after any change that reruns a stage (the
    module's docstring): a raw file, a parameter, the code, an output."""
    root, out, calls = project
    assert not _nothing_to_do(out), "nothing was run yet"
    run(out, calls)
    assert _nothing_to_do(out)
    for change in (
        lambda: _change_raw(root, "coding-sheet.csv"),
        lambda: _change_title(root),
        lambda: (root / "src/peerstudy/report/tables.py").open("a").write("\n"),
        lambda: (out / "reports" / STUDY / "code.txt").write_text("altered"),
    ):
        change()
        assert not _nothing_to_do(out)
        run(out, calls)
        assert _nothing_to_do(out)


def test_one_look_gives_what_separate_looks_give_and_ends_with_its_scope(project):
    """Inside one_look each file is hashed once; the digests are those computed without it
    (each file read anew), and a change made after the look is seen by the next one."""
    root, _, _ = project
    apart = (stagecache.code_digest(), stagecache.stage_digests(STUDY), stagecache.refresh_fingerprint())
    with stagecache.one_look():
        once = (stagecache.code_digest(), stagecache.stage_digests(STUDY), stagecache.refresh_fingerprint())
        assert stagecache.stage_digests(STUDY) == once[1]
    assert once == apart
    _change_raw(root, "coding-sheet.csv")
    with stagecache.one_look():
        assert stagecache.stage_digests(STUDY)["code"] != apart[1]["code"]
        assert stagecache.stage_digests(STUDY)["clean-survey"] == apart[1]["clean-survey"]


def test_a_noop_report_decides_without_the_heavy_libraries(tmp_path):
    """``report`` with nothing to do answers before the pipeline is imported: in a fresh
    interpreter, deciding (the stages of a study recorded as current under an output root)
    loads none of pandas, numpy, matplotlib, papermill, nbconvert, nbformat, nbclient,
    jupyter_client."""
    out, upstream, stages = tmp_path / "out", {}, {}
    for nb, own in stagecache.stage_digests(STUDY).items():
        rel = f"reports/{STUDY}/{nb}.txt"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(nb)
        stages[nb] = {
            "fingerprint": stagecache.stage_fingerprint(own, upstream),
            "outputs": {rel: hashlib.sha256(nb.encode()).hexdigest()},
        }
        upstream.update(stages[nb]["outputs"])
    manifest = {"studies": {STUDY: {"code_sha256": stagecache.code_digest(), "stages": stages}}}
    (out / "reports" / "manifest.json").write_text(json.dumps(manifest))
    code = (
        "from peerstudy.__main__ import _nothing_to_do, build_parser\n"
        f"args = build_parser().parse_args(['report', '--study', {STUDY!r}, '--output-root', {str(out)!r}])"
    )
    said = heavy_modules_after(code, "_nothing_to_do(args)")
    assert said.strip() == "True []", said


def test_a_rewritten_file_is_kept_when_the_stage_that_rewrote_it_is_carried_over(project, monkeypatch):
    """As in a fresh clone, where .staging/ (the kept files) is not committed: code's version
    of a file results-survey rewrites is missing. The study as a whole is current (every
    file is in place as the last stage to write it left it), so nothing runs. Run stage by
    stage (run_study), code reruns, and results-survey, whose inputs are the same, is
    carried over; code's version must then be kept, or code reruns at every run that
    follows (as dyad-sessions' code did, its REFI-QDA project rewritten by results-dyads)."""
    root, out, calls = project
    monkeypatch.setattr(pipeline_run, "_execute", rewriting_standin(calls))
    run(out, calls)
    shutil.rmtree(stagecache.kept_folder(out, STUDY))
    ran, _ = run(out, calls)
    assert ran == [], "a fresh clone of current outputs reran"
    before = len(calls)
    pipeline.run_study(STUDY, output_root=out, log=lambda line: None)
    assert calls[before:] == ["code"], "code's version of code.txt was nowhere; results-survey's inputs are the same"
    _change_title(root)  # results-survey reruns, on code's version of the file
    ran, _ = run(out, calls)
    assert ran == ["results-survey"]


def test_a_study_file_the_project_refuses_is_never_fresh(project):
    """The question "anything to do?" reads a study file with the project's bounded YAML
    reader: an alias bomb (here 10 x 10 x 10 x 10 values, past the 10,000 that
    peerstudy.io.yamlfiles.MAX_YAML_ALIAS_NODES allows) or a key given twice makes the
    study not fresh, so that it runs and its load says what is wrong, rather than the
    question expanding the bomb (a plain yaml.safe_load would)."""
    root, out, calls = project
    run(out, calls)
    path = root / "studies" / f"{STUDY}.yaml"
    text = path.read_text()
    manifest = stagecache.read_manifest(out)
    assert stagecache.fresh_stages(STUDY, out, manifest) is not None
    bomb = "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10 if p else ['x'] * 10)}]\n"
        for p, n in (("", "a"), ("a", "b"), ("b", "c"), ("c", "d"))
    )
    for changed in (text + "x_" + bomb.replace("\n", "\nx_", 3), text + f"study: {STUDY}\n"):
        path.write_text(changed)
        with pytest.raises(ValueError, match="expected (YAML whose aliases|each key once)"):
            stagecache.stage_digests(STUDY)
        assert stagecache.fresh_stages(STUDY, out, manifest) is None
