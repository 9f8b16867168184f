"""Issue 16: a notebook opened in JupyterLab takes its parameters from its study's file.

Every notebook's ``parameters`` cell defaults to the values of its default study (the
default of ``study``), checked here against the study file read with PyYAML, and the
cell read with papermill's own parser (``inspect_notebook``): both independent of
:mod:`peerstudy.pipeline.parameters`. A study that omits a parameter whose default is the default
study's value gets the parameter's empty value from the pipeline, never that value.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import papermill
import pytest
import yaml

from peerstudy import config, pipeline
from peerstudy.pipeline.parameters import fill_omitted

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"), key=lambda p: p.name)
PIPELINE_KEYS = ("notebooks", "raw")


def _study_file(name: str) -> dict:
    return yaml.safe_load((config.STUDIES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_defaults_equal_the_default_study_file(notebook: Path) -> None:
    declared = papermill.inspect_notebook(str(notebook))
    defaults = {name: ast.literal_eval(spec["default"]) for name, spec in declared.items()}
    study = defaults["study"]
    doc = _study_file(study)
    assert notebook.stem in doc["notebooks"], f"{study} does not run {notebook.stem}"
    shared = [key for key in doc if key not in PIPELINE_KEYS and key in defaults]
    assert "study" in shared and len(shared) > 1
    for key in shared:
        assert defaults[key] == doc[key], f"{notebook.name}: default of {key!r} differs from studies/{study}.yaml"
        assert type(defaults[key]) is type(doc[key]), key


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_line_of_the_parameters_cell_is_a_parameter_papermill_reads(notebook: Path) -> None:
    # A line papermill cannot parse (a second "=" in a value) would silently drop a
    # parameter: the study's value would then be refused as undeclared.
    import nbformat

    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    assigned = [m.group(1) for m in re.finditer(r"^(\w+)\s*:[^=]*=", cell.source, flags=re.M)]
    assert list(papermill.inspect_notebook(str(notebook))) == assigned


def test_a_study_omitting_parameters_gets_their_empty_values() -> None:
    declared = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / "results-review.ipynb"))
    filled = fill_omitted(declared, {"study": "another-review", "exclusion_reasons": ["off topic"]})
    # By hand: the keys studies/literature-review.yaml sets that results-review declares,
    # less the two given, each with the empty value of its declared type.
    assert filled == {
        "title": "",
        "not_retrieved_reason": "",
        "extraction_columns": {},
        "category_column": "",
        "included_columns": [],
        "subgroup_tables": [],
        "category_counts": {},
        "flag_counts": {},
        "published": "",
        "notes": [],
    }


def test_a_default_its_study_does_not_set_is_kept() -> None:
    # role_field and category_depth are not in studies/dyad-sessions.yaml: the notebook's
    # default is no study's value, so another study keeps it; an int has no empty value.
    declared = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / "results-dyads.ipynb"))
    filled = fill_omitted(declared, {"study": "other-dyads"})
    assert "role_field" not in filled and "category_depth" not in filled and "phone_regions" not in filled
    assert filled["published"] == "" and filled["notes"] == [] and filled["dimensions_of"] == []


@pytest.mark.parametrize("study", pipeline.list_studies())
def test_shipped_studies_receive_exactly_their_file(study: str) -> None:
    # Every shipped study sets whatever its notebooks' default studies set: the pipeline
    # passes them nothing more, so their runs (and reports) are as before.
    loaded = pipeline.load_study(study)
    doc = _study_file(study)
    for nb in loaded.notebooks:
        declared = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / f"{nb}.ipynb"))
        assert loaded.parameters_for(nb) == {k: v for k, v in doc.items() if k in declared}


def test_a_study_without_published_is_not_compared_with_the_default_studys_paper(tmp_path: Path) -> None:
    # the shipped review's file without its published figures and notes, as another review writes it
    other = yaml.safe_load((config.STUDIES_DIR / "literature-review.yaml").read_text(encoding="utf-8"))
    for key in ("published", "notes"):
        other.pop(key)
    other.update(study="other-review", title="Another review")
    file = tmp_path / "other-review.yaml"
    file.write_text(yaml.safe_dump(other, allow_unicode=True), encoding="utf-8")
    params = pipeline.load_study(file).parameters_for("results-review")
    assert params["published"] == "" and params["notes"] == [] and params["title"] == "Another review"


def test_the_default_studys_file_is_read_once_per_content(tmp_path: Path, monkeypatch) -> None:
    """fill_omitted asks the default study's keys once per notebook: the file is parsed once
    while its content stays the same, and again when it changes."""
    from peerstudy.pipeline import parameters

    studies = tmp_path / "studies"
    studies.mkdir()
    (studies / "mine.yaml").write_text("study: mine\ntext_fields: [a]\n", encoding="utf-8")
    monkeypatch.setattr(config, "STUDIES_DIR", studies)
    reads: list[Path] = []
    real = parameters.read_yaml
    monkeypatch.setattr(parameters, "read_yaml", lambda path, **kw: reads.append(path) or real(path, **kw))
    declared = {
        "study": {"default": '"mine"', "inferred_type_name": "str"},
        "text_fields": {"default": "['a']", "inferred_type_name": "list"},
    }
    for _ in range(3):
        assert fill_omitted(declared, {"study": "other"}) == {"text_fields": []}
    assert len(reads) == 1
    (studies / "mine.yaml").write_text(
        "study: mine\n", encoding="utf-8"
    )  # text_fields no longer set: the default is kept
    assert fill_omitted(declared, {"study": "other"}) == {}
    assert len(reads) == 2


@pytest.mark.parametrize(
    "key, meaning",
    [("published", "empty"), ("interviewer_labels", "default"), ("title", "required"), ("codebook", "required")],
)
def test_fill_omitted_and_the_study_check_follow_one_omission_policy(key: str, meaning: str) -> None:
    """What omitting a parameter means decides both what the pipeline passes and what
    the check refuses: empty (passed empty, not refused), the notebook's default (nothing
    passed, not refused), required (refused)."""
    from peerstudy.errors import ConfigError
    from peerstudy.pipeline.studycheck import check_study

    nb = {"published": "results-survey", "title": "results-survey", "codebook": "code"}.get(key, "clean-transcripts")
    declared = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / f"{nb}.ipynb"))
    study = _study_file(ast.literal_eval(declared["study"]["default"]))
    given = {k: v for k, v in study.items() if k in declared and k not in (key, "study")} | {"study": "other"}
    filled = fill_omitted(declared, given)
    try:
        check_study(given, {nb: declared}, file="studies/other.yaml", raw=config.RAW_DIR / study["study"])
        refused = []
    except ConfigError as exc:
        refused = [p.field for p in exc.problems]
    assert (key in refused) == (meaning == "required"), refused
    if meaning == "empty":
        assert filled[key] in ("", [], {})
    if meaning == "default":
        assert key not in filled
