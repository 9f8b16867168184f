"""Where things are: every path the project uses comes from here.

Paths are anchored on the project root (the folder holding ``pyproject.toml``), never on
the current working directory, so notebooks, the command line and the tests agree
wherever they are started from.

Outputs (``data/processed/`` and ``reports/``) are written under the *output root*,
which is the project root unless the environment variable ``PEERSTUDY_OUTPUT_ROOT``
names another folder. The pipeline uses that to stage a whole study's outputs in a
temporary folder and move them into place only when every stage succeeded; the tests
use it to regenerate reports without touching the committed ones.

A notebook run outside the pipeline (opened in JupyterLab, or run by hand), where
``PEERSTUDY_OUTPUT_ROOT`` is not set, writes under the *scratch root* instead,
``<project>/.scratch/`` (or the folder ``PEERSTUDY_SCRATCH_ROOT`` names), never into
``reports/`` or ``data/processed/``; see :func:`peerstudy.report.notebook.start`.

Examples
--------
>>> (PROJECT_ROOT / "pyproject.toml").is_file()
True
>>> resolve_input("studies/supporter-survey.yaml") == PROJECT_ROOT / "studies" / "supporter-survey.yaml"
True
>>> relative_to_root(PROJECT_ROOT / "data" / "raw")
'data/raw'
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "RAW_DIR",
    "STUDIES_DIR",
    "NOTEBOOKS_DIR",
    "OUTPUT_ROOT_ENV",
    "SCRATCH_ROOT_ENV",
    "STUDY_FILE_ENV",
    "output_root",
    "study_file",
    "scratch_root",
    "resolve_input",
    "relative_to_root",
]

PROJECT_ROOT: Path = Path(__file__).resolve().parents[2]
RAW_DIR: Path = PROJECT_ROOT / "data" / "raw"
STUDIES_DIR: Path = PROJECT_ROOT / "studies"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
OUTPUT_ROOT_ENV = "PEERSTUDY_OUTPUT_ROOT"
SCRATCH_ROOT_ENV = "PEERSTUDY_SCRATCH_ROOT"
STUDY_FILE_ENV = "PEERSTUDY_STUDY_FILE"


def output_root() -> Path:
    """Folder under which ``data/processed/`` and ``reports/`` are written."""
    override = os.environ.get(OUTPUT_ROOT_ENV)
    return Path(override).resolve() if override else PROJECT_ROOT


def study_file(study: str) -> str:
    """The parameter file of ``study`` as messages name it: the file the pipeline runs
    (``PEERSTUDY_STUDY_FILE``, set for its kernels; a study may be given by its path),
    else ``studies/<study>.yaml``.

    Examples
    --------
    >>> import os
    >>> study_file("supporter-survey") == os.environ.get(STUDY_FILE_ENV, "studies/supporter-survey.yaml")
    True
    """
    return os.environ.get(STUDY_FILE_ENV) or f"studies/{study}.yaml"


def scratch_root() -> Path:
    """Folder under which a notebook run outside the pipeline writes its outputs:
    ``PEERSTUDY_SCRATCH_ROOT`` when set, else ``.scratch/`` in the project root.

    Examples
    --------
    >>> scratch_root().is_absolute()
    True
    """
    override = os.environ.get(SCRATCH_ROOT_ENV)
    return Path(override).resolve() if override else PROJECT_ROOT / ".scratch"


def resolve_input(path: str | os.PathLike[str]) -> Path:
    """An input path from a parameter: absolute as given, else relative to the project root."""
    p = Path(path)
    return p if p.is_absolute() else PROJECT_ROOT / p


def relative_to_root(path: str | os.PathLike[str]) -> str:
    """How a path is shown in messages and reports: relative to the project root when
    it lies under it (or under the output root), else as given, always with ``/``."""
    p = Path(path)
    for base in (PROJECT_ROOT, output_root()):
        try:
            return p.resolve().relative_to(base).as_posix()
        except ValueError:
            continue
    return p.as_posix()
