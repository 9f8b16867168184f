"""The pre-run check of a study (peerstudy.pipeline.studycheck) and the skeleton of a new study
(peerstudy.pipeline.scaffold, ``python -m peerstudy new-study``).

The check must accept every shipped study and every fixture study as the other tests
declare them, and refuse broken variants with every problem at once, each naming the
parameter. The skeleton of each kind must list every parameter its notebooks declare
(counted here from the notebooks themselves with papermill), be refused while its data
are missing (naming each missing file, listed here by hand from the kind's README.txt),
and load once placeholder files are in place."""

from __future__ import annotations

import shutil

import papermill
import pytest
import yaml

from helpers import FIXTURES, fixture_study_writers, tree_digest
from peerstudy import config, pipeline
from peerstudy.__main__ import main
from peerstudy.errors import ConfigError
from peerstudy.pipeline.scaffold import KINDS, new_study, parameter_file


# ----------------------------------------------------------------------------- accepted as they are
@pytest.mark.parametrize("study", ["supporter-survey", "professional-interviews", "dyad-sessions", "literature-review"])
def test_the_shipped_studies_pass(study):
    assert pipeline.load_study(study).name == study


FIXTURE_STUDIES = fixture_study_writers()


def fixture_study(tmp_path, fixture, **changes):
    """The fixture study's parameter file as its own tests write it, with ``changes``
    (a value None removes the key)."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / fixture, data)
    path = FIXTURE_STUDIES[fixture](tmp_path, data)
    params = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value(data) if callable(value) else value
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.mark.parametrize("fixture", sorted(FIXTURE_STUDIES))
def test_the_fixture_studies_pass(tmp_path, fixture):
    assert pipeline.load_study(fixture_study(tmp_path, fixture)).name == fixture


def refused(path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        pipeline.load_study(path)
    return [str(p) for p in info.value.problems]


# ----------------------------------------------------------------------------- refused, each naming the parameter
def test_a_parameter_left_out_whose_default_is_another_studys(tmp_path):
    problems = refused(fixture_study(tmp_path, "own-interviews", participants_fields=None, title=None))
    assert len(problems) == 2
    assert (
        "field 'participants_fields': expected a value for this study, found none (notebooks/clean-transcripts"
        in (problems[0])
    )
    assert "'studies/professional-interviews/fields.yaml', which belongs to another study" in problems[0]
    assert "field 'title': expected a value for this study" in problems[1]


def test_every_missing_file_is_told_at_once(tmp_path):
    def remove(data):
        (data / "codebook.yaml").unlink()
        (data / "coder-b.csv").unlink()
        (data / "guide.csv").unlink()
        for p in (data / "transcripts").iterdir():
            p.unlink()
        return str(data / "guide.csv")

    problems = refused(fixture_study(tmp_path, "own-interviews", interview_guide=remove))
    # four things removed above: the codebook, the second coder sheet, the guide, every transcript
    assert [p.split("field ")[1].split(":")[0] for p in problems] == [
        "'codebook'",
        "'interview_guide'",
        "'coding_sheets[1]'",
        "'transcripts[0]'",
    ]
    assert "expected the codebook (YAML, or a QDA program's .qdc or .qdpx), found no such file: " in problems[0]
    assert "found an empty folder" in problems[3]


def test_no_coder_sheet_and_no_qdpx(tmp_path):
    (problem,) = refused(fixture_study(tmp_path, "own-dyads", coding_sheets=[]))
    assert "field 'coding_sheets': expected at least one coder sheet (or a REFI-QDA project under qdpx)" in problem


def test_a_notebook_whose_tables_no_earlier_notebook_writes(tmp_path):
    # results-interviews reads the codings that code writes (code.ipynb: report.processed(codebook=...,
    # codings=...)), and code reads the documents clean-transcripts writes
    code_only = ("codebook", "coding_sheets", "document_key", "root_code_from", "unit_column", "reconciliation")
    without_code = dict.fromkeys((*code_only, "stability_sheets", "qdpx"))
    path = fixture_study(
        tmp_path / "a", "own-interviews", notebooks=["clean-transcripts", "results-interviews"], **without_code
    )
    (left_out,) = refused(path)
    assert "field 'notebooks': expected a notebook before results-interviews that writes what it reads" in left_out
    assert "reads codebook, codings, consensus, recodings, segments (processed tables)" in left_out
    assert "Fix: add code before results-interviews in 'notebooks'" in left_out
    path = fixture_study(
        tmp_path / "b", "own-interviews", notebooks=["code", "clean-transcripts", "results-interviews"]
    )
    (swapped,) = refused(path)
    assert "notebooks/code.ipynb reads documents" in swapped
    assert "add clean-survey or clean-transcripts before code" in swapped


def test_fields_the_parameters_name_must_be_declared(tmp_path):
    # own-interviews/fields.yaml declares id, gender, years_in_service, housing (read by hand)
    problems = refused(
        fixture_study(tmp_path, "own-interviews", characteristics=["gender", "diagnosis"], band_field="service_years")
    )
    assert len(problems) == 2
    assert "field 'band_field': expected fields declared in the study's fields file" in problems[0]
    assert "found 'service_years'" in problems[0]
    assert "field 'characteristics'" in problems[1] and "found 'diagnosis'" in problems[1]


def test_dyad_sources_and_role(tmp_path):
    problems = refused(
        fixture_study(
            tmp_path,
            "own-dyads",
            role_field="position",
            source_kinds={"call": "video", "PSW interview": "interview", "PIR interview": "interview"},
            shared_views_from=["PSW interview", "carer interview"],
            document_attributes={"dyad": "text", "session": [1, 2]},
        )
    )
    text = "\n".join(problems)
    assert len(problems) == 4, text
    assert "field 'role_field'" in text and "found 'position'" in text
    assert "field 'source_kinds': expected one of 'observation notes', 'recorded session', 'interview'" in text
    assert "field 'shared_views_from': expected sources declared in source_kinds, found 'carer interview'" in text
    assert "field 'document_attributes': expected a document attribute 'source'" in text


def test_review_columns_and_reasons(tmp_path):
    problems = refused(
        fixture_study(
            tmp_path,
            "mini-review",
            category_column="country",
            flag_counts={"studies_in_clinics": "setting"},
            not_retrieved_reason="no full text",
        )
    )
    assert len(problems) == 3
    assert "field 'category_column': expected a column declared in extraction_columns, found 'country'" in problems[0]
    assert "field 'flag_counts.studies_in_clinics': expected a column declared as flag, found 'setting'" in problems[1]
    assert "field 'not_retrieved_reason': expected one of exclusion_reasons, found 'no full text'" in problems[2]


def test_survey_text_fields_and_kinds(tmp_path):
    text = (config.STUDIES_DIR / "supporter-survey.yaml").read_text()
    text = text.replace("text_fields: [motivation,", "text_fields: [motive,").replace(
        "analyse_text_if: experienced", "analyse_text_if: years"
    )
    text = text.replace(
        "characteristics: [age, sex, diagnosis, experienced]", "characteristics: [age, sex, 3, experienced]"
    )
    path = tmp_path / "supporter-survey.yaml"
    path.write_text(text)
    problems = refused(path)
    joined = "\n".join(problems)
    assert len(problems) == 4, joined
    assert "field 'characteristics[2]': expected a name (text), found 3 (int)" in joined
    assert "field 'text_fields'" in joined and "found 'motive'" in joined
    assert "field 'characteristics'" in joined and "found 3" in joined
    assert "field 'analyse_text_if'" in joined and "found 'years'" in joined


# ----------------------------------------------------------------------------- the skeleton
# The data files each kind's README.txt asks for, as the check names them while missing
# (written out by hand from scaffold's README texts, not taken from the code).
MISSING = {
    "survey": ["survey_export", "codebook", "coding_sheets[0]"],
    "interviews": ["participants_sheet", "deid_key", "codebook", "coding_sheets[0]", "transcripts[0]"],
    "dyads": ["participants_sheet", "deid_key", "codebook", "coding_sheets[0]", "transcripts[0]"],
    "review": [
        "search_log",
        "extraction_sheet",
        "exports[0].file",
        "screening_exports[0].file",
        "screening_exports[1].file",
    ],
}
PLACEHOLDERS = {
    "survey": ["export.csv", "codebook.yaml", "coder-a.csv"],
    "interviews": ["participants.csv", "deid-key.yaml", "codebook.yaml", "coder-a.csv", "transcripts/I01.txt"],
    "dyads": ["participants.csv", "deid-key.yaml", "codebook.yaml", "coder-a.csv", "records/K1-S1.txt"],
    "review": ["pubmed.nbib", "search-log.yaml", "title-abstract.csv", "full-text.csv", "extraction.csv"],
}


def skeleton(tmp_path, kind):
    """A new study of ``kind`` written under ``tmp_path`` as if it were the project root, and
    its parameter file with the paths made absolute (beside it, so that they are allowed)."""
    name = f"my-{kind}"
    written = new_study(name, kind, root=tmp_path)
    text = (tmp_path / "studies" / f"{name}.yaml").read_text()
    text = text.replace(f"data/raw/{name}", str(tmp_path / "data/raw" / name))
    text = text.replace(f"studies/{name}/", f"{tmp_path / 'studies' / name}/")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path, written


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_skeleton_is_refused_until_its_data_are_in_place_then_loads(tmp_path, kind):
    path, written = skeleton(tmp_path, kind)
    assert (tmp_path / f"data/raw/my-{kind}/README.txt").is_file()
    assert (tmp_path / f"data/raw/my-{kind}/data-dictionary.md").is_file()
    assert (tmp_path / f"studies/my-{kind}/fields.yaml").is_file() == (kind != "review")
    with pytest.raises(ConfigError) as info:
        pipeline.load_study(path)
    assert sorted(p.field for p in info.value.problems) == sorted(MISSING[kind])
    assert all(p.expected and "no such file" in p.found or "empty folder" in p.found for p in info.value.problems)
    readme = (tmp_path / f"data/raw/my-{kind}/README.txt").read_text()
    for rel in PLACEHOLDERS[kind]:
        assert rel.split("/")[0] in readme  # the README names every file the check asks for
        target = tmp_path / "data/raw" / f"my-{kind}" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("placeholder\n")
    study = pipeline.load_study(path)
    assert study.notebooks == KINDS[kind]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_parameter_file_lists_every_parameter_of_the_kinds_notebooks(kind):
    text = parameter_file("x-study", kind)
    keys = set(yaml.safe_load(text))
    declared = set()
    for nb in KINDS[kind]:
        declared |= set(papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / f"{nb}.ipynb")))
    assert keys == declared | {"notebooks", "raw"}
    # every parameter has its comment line just above it, saying whether it is required
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#") and not line.startswith(("notebooks:", "raw:")):
            assert lines[i - 1].startswith(("# REQUIRED", "# optional", "# set for this study")), line


def test_an_existing_or_unsafe_name_is_refused_and_nothing_written(tmp_path):
    new_study("taken", "survey", root=tmp_path)
    before = tree_digest(tmp_path)
    for kind in KINDS:
        with pytest.raises(ConfigError, match=r"field 'study': expected a name no study uses yet, found 'taken', "):
            new_study("taken", kind, root=tmp_path)
    (tmp_path / "data/raw/only-raw").mkdir(parents=True)
    with pytest.raises(ConfigError, match="which has data/raw/only-raw already"):
        new_study("only-raw", "review", root=tmp_path)
    for bad in ("..", "My Study", "a/b", ""):
        with pytest.raises(ConfigError, match="expected a study name of lowercase letters"):
            new_study(bad, "survey", root=tmp_path)
    with pytest.raises(ConfigError, match="field '--kind': expected one of survey, interviews, dyads, review"):
        new_study("fine-name", "poll", root=tmp_path)
    assert tree_digest(tmp_path) == before
    assert sorted(p.name for p in (tmp_path / "data/raw").iterdir()) == ["only-raw", "taken"]


def test_the_command_line_refuses_an_unsafe_name_without_traceback(capsys):
    before = sorted(p.name for p in config.STUDIES_DIR.iterdir())
    assert main(["new-study", "../escape", "--kind", "survey"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "'../escape'" in err
    assert sorted(p.name for p in config.STUDIES_DIR.iterdir()) == before


def test_an_unreadable_fields_file_is_told_where_it_is(tmp_path):
    def break_fields(data):
        path = data / "fields.yaml"
        path.write_text(path.read_text() + "\tbad: indent\n")
        return str(path)

    problems = refused(fixture_study(tmp_path, "own-interviews", participants_fields=break_fields))
    # the fields file's YAML error keeps its file and row (not moved to the parameter file)
    assert problems and all(p.startswith(str(tmp_path / "data/fields.yaml") + ", row ") for p in problems), problems


# ----------------------------------------------------------------------------- notebooks read without papermill (issue 14)
@pytest.mark.parametrize("study", ["supporter-survey", "professional-interviews", "dyad-sessions", "literature-review"])
def test_the_parameters_declared_are_those_papermill_infers(study):
    """load_study reads each notebook's parameters cell itself (papermill's import alone
    took over a second); what it reads is what papermill.inspect_notebook infers: the
    same names in the same order, type names and default values."""
    import ast

    loaded = pipeline.load_study(study)
    for nb in loaded.notebooks:
        theirs = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / f"{nb}.ipynb"))
        ours = loaded.declared[nb]
        assert list(ours) == list(theirs), nb
        for name, spec in theirs.items():
            assert ours[name]["inferred_type_name"] == spec["inferred_type_name"], (nb, name)
            assert ast.literal_eval(ours[name]["default"]) == ast.literal_eval(spec["default"]), (nb, name)


def test_a_broken_notebook_is_told_with_the_other_problems(tmp_path, monkeypatch):
    """A notebook that is not JSON, one whose parameters cell is not Python and a name that
    is no notebook: three problems in one message, each naming its notebook, no traceback."""
    from helpers import copy_study

    notebooks = tmp_path / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (notebooks / "clean-survey.ipynb").write_text('{"cells": [', encoding="utf-8")
    code = notebooks / "code.ipynb"
    text = code.read_text(encoding="utf-8")
    assert '"study: str = ' in text
    code.write_text(text.replace('"study: str = ', '"study: str = = ', 1), encoding="utf-8")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)
    path = copy_study(tmp_path, "supporter-survey", lambda raw: None, name="broken-notebooks")
    path.write_text(path.read_text().replace("results-survey]", "results-survey, no-such-notebook]", 1))
    problems = refused(path)
    assert len(problems) == 3, problems
    assert "/notebooks/clean-survey.ipynb: expected a notebook (JSON) whose cell tagged 'parameters'" in problems[0]
    assert "found JSONDecodeError: " in problems[0]
    assert "/notebooks/code.ipynb: expected a notebook (JSON) whose cell tagged 'parameters'" in problems[1]
    assert "found SyntaxError: " in problems[1]
    assert "field 'notebooks': expected names of notebooks in notebooks/, found 'no-such-notebook'" in problems[2]
