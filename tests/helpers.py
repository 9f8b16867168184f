"""Small helpers shared by the tests (imported, not fixtures)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: tests/, whatever folder a test module sits in (tests mirror the packages of src/peerstudy).
TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
MINI = FIXTURES / "mini-survey"
#: Set by ``make test-fast``: the developer's quick lane (``make test``, which CI runs, leaves it unset).
FAST_LANE = os.environ.get("PEERSTUDY_FAST_LANE") == "1"


def examples(n: int) -> int:
    """The number of examples a property test draws: ``n``, or a fifth of it (at least 10)
    in the fast lane, where the loop should take a minute; the whole suite draws them all
    (tests without a number of their own: the profile ``conftest.py`` loads there)."""
    return max(10, n // 5) if FAST_LANE else n


#: Which fixture holds data of each README example's shape ("Adding a study"; file names as the examples name them).
README_EXAMPLE_DATA = {
    "my-survey": "mini-survey",
    "my-interviews": "own-interviews",
    "my-dyads": "own-dyads",
    "my-review": "mini-review",
}


def readme_examples() -> dict[str, str]:
    """The README's example parameter files ("Adding a study"), by study name (from their first line)."""
    import re

    from peerstudy import config

    section = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split("## Adding a study", 1)[1]
    section = section.split("\n## ", 1)[0]
    found = {}
    for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S):
        head = re.match(r"# studies/([a-z0-9-]+)\.yaml", block)
        if head:
            found[head.group(1)] = block
    return found


def example_study(tmp_path: Path, name: str) -> tuple[Path, dict]:
    """The README example ``name`` as a parameter file beside a copy of its data (in
    ``tmp_path/data/raw/<name>``, accepted, and its fields file); returns the file's path
    and the example's parameters."""
    import shutil

    import yaml

    from peerstudy.io.rawdata import accept_raw

    text = readme_examples()[name]
    raw = tmp_path / "data/raw" / name
    shutil.copytree(FIXTURES / README_EXAMPLE_DATA[name], raw)
    fields = tmp_path / "studies" / name / "fields.yaml"
    if (raw / "fields.yaml").is_file():
        fields.parent.mkdir(parents=True)
        shutil.move(raw / "fields.yaml", fields)
    accept_raw(raw)
    text = text.replace(f"data/raw/{name}", str(raw)).replace(f"studies/{name}/", f"{fields.parent}/")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text + f"raw: {raw}\n", encoding="utf-8")
    return path, yaml.safe_load(text)


def check_example_reports(reports: Path) -> None:
    """What the run of a README example must leave in ``reports``: its key figures, and no
    comparison with published figures (the examples name none; results-review writes the
    table empty, the other notebooks not at all)."""
    assert (reports / "key-figures.json").is_file()
    comparison = reports / "tables/published-comparison.csv"
    assert not comparison.exists() or comparison.read_text(encoding="utf-8-sig").count("\n") == 1


def qda_study_documents():
    """The two documents the ``qda-study`` fixture's coder sheets code (a DataFrame of
    document, participant, kind, text; invented interviews)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "document": ["I01", "I02"],
            "participant": ["P1", "P2"],
            "kind": ["", ""],
            "text": [
                "At first I had doubts about a peer colleague. Over the months we built trust step by step.",
                "We wrote down the tasks so everyone knew them. Sometimes the role was blurred and nobody knew who "
                "should call.",
            ],
        }
    )


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def copy_study(tmp_path: Path, study: str, change, name: str = "bad-study") -> Path:
    """A parameter file for a copy of ``study`` named ``name`` whose raw files live in
    ``tmp_path/raw`` (``change(raw_folder)`` edits them first, and the change is accepted
    in the copy's SHA256SUMS); returns its path."""
    import shutil

    from peerstudy.config import PROJECT_ROOT
    from peerstudy.io.rawdata import accept_raw

    raw = tmp_path / "raw"
    shutil.copytree(PROJECT_ROOT / "data/raw" / study, raw)
    change(raw)
    accept_raw(raw)
    text = (PROJECT_ROOT / "studies" / f"{study}.yaml").read_text().replace(f"data/raw/{study}", str(raw))
    text = text.replace(f"study: {study}", f"study: {name}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def replace_in(file: str, old: str, new: str):
    """A change for :func:`copy_study`: replace the first ``old`` by ``new`` in ``file``."""

    def change(raw: Path) -> None:
        p = raw / file
        data = p.read_bytes()
        if old.encode() not in data:
            raise ValueError(f"{old!r} not in {file}")
        p.write_bytes(data.replace(old.encode(), new.encode(), 1))

    return change


def samples_dir(kind: str) -> Path:
    """``shared/samples/<kind>/`` beside the project (as CI lays it out), or skip.

    The real exports in ``shared/samples/`` are not the project's and are not copied
    into it; a test that reads them is skipped, with the reason, where they are absent.
    """
    import pytest

    from peerstudy.config import PROJECT_ROOT

    folder = PROJECT_ROOT.parent / "shared" / "samples" / kind
    if not folder.is_dir():
        pytest.skip(f"the real sample files (shared/samples/{kind}/) are not beside the project")
    return folder


def notebook_parameters(nb) -> list[str]:
    """The names the ``parameters`` cell of the notebook ``nb`` (an nbformat node) assigns."""
    import ast

    cell = next((c for c in nb.cells if "parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        raise ValueError("the notebook has no cell tagged 'parameters' (papermill would inject at the top)")
    names = []
    for node in ast.parse(cell.source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def run_stage(notebook: str | Path, parameters: dict, output_root: Path) -> dict:
    """Run the code cells of a notebook stage in this process, as papermill would run them.

    ``notebook`` is a name in ``notebooks/`` (``"code"``) or the path of an ``.ipynb``. The
    notebook is read as it is on disk; ``parameters`` are injected with papermill's own
    :func:`papermill.parameterize.parameterize_notebook` (a cell after the ``parameters``
    cell, so the notebook's defaults run first and the given values override them; values
    are translated to Python source as papermill translates them). A parameter the
    ``parameters`` cell does not assign is refused (papermill would only warn). The cells
    run in order in one namespace, from ``notebooks/`` and with ``PEERSTUDY_OUTPUT_ROOT``
    set to ``output_root`` (as the pipeline runs them, see
    :func:`peerstudy.report.notebook.choose_output_root`); both are restored afterwards, as
    are the pandas display options :func:`peerstudy.report.notebook.start` sets. An
    exception a cell raises (the project's ``InputError``, ``ConfigError``, ...) propagates
    unchanged; a cell using IPython-only syntax (a magic, a shell escape) is refused before
    any cell runs, since only a kernel can run it. Returns the namespace after the last cell.
    """
    import contextlib
    import os

    import pandas as pd
    from IPython.core.inputtransformer2 import TransformerManager
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from peerstudy import config

    path = Path(notebook) if str(notebook).endswith(".ipynb") else config.NOTEBOOKS_DIR / f"{notebook}.ipynb"
    nb = load_notebook_node(str(path))  # as papermill loads it (tags and papermill metadata on every cell)
    unknown = sorted(set(parameters) - set(notebook_parameters(nb)))
    if unknown:
        raise ValueError(f"{path.name} declares no parameter {', '.join(map(repr, unknown))} (see its parameters cell)")
    nb = parameterize_notebook(nb, dict(parameters))
    # each code cell, named by its place in the notebook on disk (the injected one by its tag)
    on_disk = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    place = {id(c): f"cell {k}" for k, c in enumerate(on_disk)}
    cells = [(place.get(id(c), "injected parameters"), c.source) for c in nb.cells if c.cell_type == "code"]
    transform = TransformerManager().transform_cell
    for i, source in cells:
        if "get_ipython()" in transform(source) and "get_ipython()" not in source:
            raise ValueError(f"{path.name}, {i}: IPython-only syntax (a magic or shell escape)")
    namespace: dict = {"__name__": "__main__"}
    old_root = os.environ.get(config.OUTPUT_ROOT_ENV)
    display = ["display.max_rows", "display.max_columns", "display.max_colwidth", "display.width"]
    os.environ[config.OUTPUT_ROOT_ENV] = str(output_root)
    try:
        with (
            contextlib.chdir(config.NOTEBOOKS_DIR),
            pd.option_context(*(x for o in display for x in (o, pd.get_option(o)))),
        ):
            for i, source in cells:
                exec(compile(source, f"<{path.name} {i}>", "exec"), namespace)  # the notebook's own code
    finally:
        if old_root is None:
            os.environ.pop(config.OUTPUT_ROOT_ENV, None)
        else:
            os.environ[config.OUTPUT_ROOT_ENV] = old_root
    return namespace


def fixture_study_writers() -> dict:
    """The fixture studies of tests/fixtures/ that the end-to-end tests write a parameter
    file for, by fixture name: ``writer(work, data) -> path of the study's YAML``."""
    import test_interview_pipeline
    import test_own_studies
    import test_review_pipeline

    return {
        "own-interviews": test_own_studies.interview_study,
        "own-dyads": test_own_studies.dyad_study,
        "mini-interviews": test_interview_pipeline.write_study,
        "mini-review": test_review_pipeline.write_study,
    }


#: Libraries a light command must not load (each costs a large part of a second or more).
HEAVY_MODULES = ("jupyter_client", "matplotlib", "nbclient", "nbconvert", "nbformat", "numpy", "pandas", "papermill")


def heavy_modules_after(code: str, result: str) -> str:
    """What a fresh interpreter prints after running ``code``: its own output, then the
    value of the expression ``result`` and the sorted list of :data:`HEAVY_MODULES` that
    were loaded, on one line (``"0 []"`` when none)."""
    import subprocess
    import sys

    program = (
        f"import sys\n{code}\n"
        f"print({result}, sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY_MODULES!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"the interpreter failed: {done.stderr}")
    return done.stdout
