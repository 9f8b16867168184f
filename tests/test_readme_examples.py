"""The README's minimal parameter files ("Adding a study") are valid, so the README cannot
drift from what the notebooks read: each YAML block headed ``# studies/<name>.yaml`` is
loaded (with the pre-run check of peerstudy.pipeline.studycheck) against small data of its shape,
the fixture studies under tests/fixtures/, copied to a temporary project layout; and,
in the slow suite, run end to end through the pipeline."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from helpers import FIXTURES
from peerstudy import config, pipeline
from peerstudy.errors import ConfigError
from peerstudy.io.rawdata import accept_raw

# Which fixture holds data of each example's shape (file names as the examples name them).
DATA = {
    "my-survey": "mini-survey",
    "my-interviews": "own-interviews",
    "my-dyads": "own-dyads",
    "my-review": "mini-review",
}


def readme_examples() -> dict[str, str]:
    """The README's example parameter files, by study name (from their first line)."""
    section = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split("## Adding a study", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    found = {}
    for block in blocks:
        head = re.match(r"# studies/([a-z0-9-]+)\.yaml", block)
        if head:
            found[head.group(1)] = block
    return found


def example_study(tmp_path, name: str) -> tuple:
    """The example's parameter file beside a copy of its data (raw folder and fields file)."""
    text = readme_examples()[name]
    raw = tmp_path / "data/raw" / name
    shutil.copytree(FIXTURES / DATA[name], raw)
    fields = tmp_path / "studies" / name / "fields.yaml"
    if (raw / "fields.yaml").is_file():
        fields.parent.mkdir(parents=True)
        shutil.move(raw / "fields.yaml", fields)
    accept_raw(raw)
    text = text.replace(f"data/raw/{name}", str(raw)).replace(f"studies/{name}/", f"{fields.parent}/")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text + f"raw: {raw}\n", encoding="utf-8")
    return path, yaml.safe_load(text)


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


@pytest.mark.slow  # runs whole studies through the pipeline
@pytest.mark.parametrize(
    "name",
    [
        "my-survey",
        "my-interviews",
        "my-dyads",
        "my-review",
    ],
)
def test_a_readme_example_runs_end_to_end(tmp_path, name):
    path, _ = example_study(tmp_path, name)
    pipeline.run_study(path, output_root=tmp_path / "out", log=lambda line: None)
    reports = tmp_path / "out/reports" / name
    assert (reports / "key-figures.json").is_file()
    # no `published` in the examples: no comparison (results-review writes the table empty, the others not at all)
    comparison = reports / "tables/published-comparison.csv"
    assert not comparison.exists() or comparison.read_text(encoding="utf-8-sig").count("\n") == 1
