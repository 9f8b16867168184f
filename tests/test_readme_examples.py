"""The README's minimal parameter files ("Adding a study") are valid, so the README cannot
drift from what the notebooks read: each YAML block headed ``# studies/<name>.yaml`` is
loaded (with the pre-run check of peerstudy.pipeline.studycheck) against small data of its shape,
the fixture studies under tests/fixtures/, copied to a temporary project layout; and,
in the slow suite, run end to end through the pipeline."""

from __future__ import annotations

import pytest
import yaml

from helpers import README_EXAMPLE_DATA as DATA
from helpers import check_example_reports, example_study, readme_examples
from peerstudy import pipeline
from peerstudy.errors import ConfigError, StageFailed


def test_the_readme_shows_one_example_of_each_kind():
    examples = readme_examples()
    assert sorted(examples) == sorted(DATA)
    kinds = {yaml.safe_load(text)["notebooks"][-1] for text in examples.values()}
    assert kinds == {"results-survey", "results-interviews", "results-dyads", "results-review"}


@pytest.mark.parametrize("name", sorted(DATA))
def test_a_readme_example_passes_the_pre_run_check(tmp_path, name):
    path, params = example_study(tmp_path, name)
    study = pipeline.load_study(path)
    assert study.name == name and params["study"] == name
    assert set(study.parameters) == set(params) - {"notebooks"}


@pytest.mark.parametrize("name", sorted(DATA))
def test_a_readme_example_is_refused_while_its_data_are_missing(tmp_path, name):
    path, params = example_study(tmp_path, name)
    codebook = params.get("codebook") or params["extraction_sheet"]
    (tmp_path / codebook).unlink()
    with pytest.raises(ConfigError, match=r"found no such file"):
        pipeline.load_study(path)


# my-survey runs end to end in tests/pipeline/test_stagecache.py, whose coder-sheet test
# starts from a run of it (and checks its outputs as here)
@pytest.mark.slow  # runs whole studies through the pipeline
@pytest.mark.parametrize("name", ["my-interviews", "my-dyads", "my-review"])
def test_a_readme_example_runs_end_to_end(tmp_path, name):
    path, _ = example_study(tmp_path, name)
    pipeline.run_study(path, output_root=tmp_path / "out", log=lambda line: None)
    check_example_reports(tmp_path / "out/reports" / name)


@pytest.mark.slow  # runs a study through the pipeline up to its results notebook
def test_a_message_of_a_study_given_by_its_path_names_that_file(tmp_path):
    # the codebook of the my-dyads example (tests/fixtures/own-dyads) is two levels deep, so
    # category_depth 5 is refused by the results notebook, naming the parameter file run
    path, _ = example_study(tmp_path, "my-dyads")
    path.write_text(path.read_text(encoding="utf-8").replace("category_depth: 0", "category_depth: 5"))
    with pytest.raises(StageFailed) as info:
        pipeline.run_study(path, output_root=tmp_path / "out", log=lambda line: None)
    assert f"{path.as_posix()}, field 'category_depth'" in str(info.value)
    assert "studies/my-dyads.yaml" not in str(info.value)
