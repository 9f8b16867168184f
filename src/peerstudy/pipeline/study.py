"""Load and check a study: its parameter file, its name, and the inputs it declares.

May import: :mod:`peerstudy.errors`, :mod:`peerstudy.config`, :mod:`peerstudy.io`, and the light modules of
the pipeline (:mod:`~peerstudy.pipeline.parameters`, :mod:`~peerstudy.pipeline.studycheck`,
:mod:`~peerstudy.pipeline.stagecache`, :mod:`~peerstudy.pipeline.notebookcells`): loading a study (``accept-raw`` does) imports neither papermill nor pandas.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peerstudy import config
from peerstudy.errors import ConfigError, Problem
from peerstudy.io.yamlfiles import read_yaml
from peerstudy.pipeline.notebookcells import declared_parameters
from peerstudy.pipeline.parameters import fill_omitted
from peerstudy.pipeline.studycheck import check_study

# Keys of a study parameter file that are read by the pipeline, not passed to notebooks.
_STUDY_KEYS = ("notebooks", "raw")
_STUDY_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_TYPES: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "list": list,
    "dict": dict,
}


@dataclass(frozen=True)
class Study:
    """A study's parameter file, checked against its notebooks: its name, the file, its
    raw data folder, the notebooks that run and the parameters they receive."""

    name: str
    file: Path
    raw: Path
    notebooks: tuple[str, ...]
    parameters: dict[str, Any]
    declared: dict[str, dict[str, Any]] = field(repr=False)
    #: Inputs named by parameters outside the raw folder and outside ``studies/``: checksummed
    #: and listed with the raw inputs (see :func:`raw_inputs`).
    other_inputs: tuple[Path, ...] = ()

    def parameters_for(self, notebook: str) -> dict[str, Any]:
        """The parameters that ``notebook`` declares, with this study's values, and the empty
        value of each one it omits whose notebook default is another study's value (issue 16,
        see :func:`peerstudy.pipeline.parameters.fill_omitted`)."""
        given = {k: v for k, v in self.parameters.items() if k in self.declared[notebook]}
        return {**given, **fill_omitted(self.declared[notebook], given)}


def list_studies() -> list[str]:
    """Names of the studies with a parameter file in ``studies/``."""
    return sorted(p.stem for p in config.STUDIES_DIR.glob("*.yaml"))


def check_study_name(name: str, *, file: str | None = None) -> None:
    """Refuse a study name that is not a safe slug (it names folders under
    ``data/processed/`` and ``reports/``: ``.``, ``..`` or ``a/b`` would reach other
    studies' outputs).

    Examples
    --------
    >>> check_study_name("supporter-survey")
    >>> check_study_name("..")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'study': expected a study name of lowercase letters, digits and hyphens ...
    """
    if not isinstance(name, str) or not _STUDY_NAME.fullmatch(name):
        raise ConfigError(
            Problem(
                file=file,
                field="study",
                expected="a study name of lowercase letters, digits and hyphens (at most 64, "
                "starting with a letter or digit), as its parameter file is named",
                found=repr(name),
                fix="rename the parameter file to studies/<name>.yaml with such a name "
                "(e.g. studies/my-survey.yaml), and set study: <name> in it",
            )
        )


def load_study(name: str | Path) -> Study:
    """Read ``studies/<name>.yaml`` (or a parameter file given by path) and check it
    against the notebooks it names, and every input path it names (see :func:`check_inputs`).

    Examples
    --------
    >>> study = load_study("supporter-survey")
    >>> study.notebooks, study.raw == config.RAW_DIR / "supporter-survey"
    (('clean-survey', 'code', 'results-survey'), True)
    """
    path, doc = _read_study_file(name)
    name, shown = path.stem, config.relative_to_root(path)
    notebooks, declared = _declared_parameters(doc.get("notebooks"), shown)
    raw = doc.get("raw", f"data/raw/{name}")
    if not isinstance(raw, str) or not raw:
        raise ConfigError(
            Problem(
                file=shown,
                field="raw",
                expected="the folder of the study's raw data",
                found=repr(raw),
                fix=f"e.g. raw: data/raw/{name}",
            )
        )
    params = {k: v for k, v in doc.items() if k not in _STUDY_KEYS}
    problems = _parameter_problems(params, declared, name, shown)
    if problems:
        raise ConfigError(problems)
    raw_folder = config.resolve_input(raw)
    others = check_inputs(path, raw_folder, params)
    check_study(params, declared, file=path, raw=raw_folder)  # what its notebooks need, before anything runs
    return Study(
        name=name,
        file=path,
        raw=raw_folder,
        notebooks=notebooks,
        parameters=params,
        declared=declared,
        other_inputs=others,
    )


def _read_study_file(name: str | Path) -> tuple[Path, dict[str, Any]]:
    """The parameter file of a study given by name or path, and what it holds (a mapping)."""
    by_path = str(name).endswith((".yaml", ".yml"))
    if not by_path:
        check_study_name(str(name))
    path = config.resolve_input(Path(name) if by_path else config.STUDIES_DIR / f"{name}.yaml")
    shown = config.relative_to_root(path)
    check_study_name(path.stem, file=shown)
    if not path.is_file():
        raise ConfigError(
            Problem(
                file=shown,
                expected="a study parameter file",
                found="no such file",
                fix=f"choose one of: {', '.join(list_studies()) or '(none)'}; or add studies/{path.stem}.yaml",
            )
        )
    doc = read_yaml(path, what="a study parameter file (YAML)")
    if not isinstance(doc, dict):
        raise ConfigError(Problem(file=shown, expected="a mapping of parameter names to values", found=repr(doc)))
    return path, doc


def _declared_parameters(notebooks: Any, shown: str) -> tuple[tuple[str, ...], dict[str, dict[str, Any]]]:
    """The notebooks a study names (``notebooks``) and the parameters each declares (read as
    papermill reads them, without importing it: :func:`~peerstudy.pipeline.notebookcells.declared_parameters`)."""
    if not isinstance(notebooks, list) or not notebooks or not all(isinstance(n, str) for n in notebooks):
        raise ConfigError(
            Problem(
                file=shown,
                field="notebooks",
                expected="a list of notebook names from notebooks/",
                found=repr(notebooks),
                fix="e.g. notebooks: [clean-survey, code, results-survey]",
            )
        )
    declared, problems = {}, []
    for nb in notebooks:
        nb_path = config.NOTEBOOKS_DIR / f"{nb}.ipynb"
        if nb_path.is_file():
            try:
                declared[nb] = declared_parameters(nb_path)
            except (OSError, ValueError, SyntaxError) as exc:  # not JSON, or a parameters cell that is not Python
                problems.append(
                    Problem(
                        file=config.relative_to_root(nb_path),
                        expected="a notebook (JSON) whose cell tagged 'parameters' is Python",
                        found=f"{type(exc).__name__}: {exc}",
                        fix="open it in JupyterLab and correct it, or restore it with git",
                    )
                )
            continue
        available = ", ".join(sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb")))
        problems.append(
            Problem(
                file=shown,
                field="notebooks",
                expected="names of notebooks in notebooks/",
                found=repr(nb),
                fix=f"choose from: {available}",
            )
        )
    if problems:
        raise ConfigError(problems)
    return tuple(notebooks), declared


def _parameter_problems(
    params: dict[str, Any], declared: dict[str, dict[str, Any]], name: str, shown: str
) -> list[Problem]:
    """The study's own name, keys no notebook declares, and values of the wrong type."""
    problems = []
    if params.get("study") != name:
        problems.append(
            Problem(
                file=shown,
                field="study",
                expected=f"the file's name, {name!r}",
                found=repr(params.get("study")),
                fix=f"set study: {name}",
            )
        )
    for key, value in params.items():
        owners = [nb for nb, decl in declared.items() if key in decl]
        if not owners:
            problems.append(
                Problem(
                    file=shown,
                    field=key,
                    expected="a parameter declared by one of its notebooks",
                    found="a key no notebook declares",
                    fix="correct the name (see `papermill --help-notebook notebooks/<name>.ipynb`) or remove it",
                )
            )
            continue
        for nb in owners:
            kind = str(declared[nb][key].get("inferred_type_name", ""))
            wanted = _TYPES.get(kind.split("[")[0])
            if wanted and not (isinstance(value, wanted) and not (wanted is not bool and isinstance(value, bool))):
                problems.append(
                    Problem(
                        file=shown,
                        field=key,
                        expected=f"a value of type {kind} (as notebooks/{nb}.ipynb declares)",
                        found=f"{value!r} ({type(value).__name__})",
                        fix="correct the value",
                    )
                )
                break
    return problems


def _strings(value: Any, key: str) -> Iterator[tuple[str, str]]:
    """Every string in a parameter value (lists and mappings walked), with where it is."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{key}[{i}]")
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(item, f"{key}.{k}")


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_inputs(file: Path, raw: Path, parameters: dict[str, Any]) -> tuple[Path, ...]:
    """Check every input path a study's parameters name; return those to checksum apart.

    A parameter value is an input path when it names an existing file or folder
    (absolute, or relative to the project root) and looks like a path (it has a ``/`` or
    a suffix). With symbolic links resolved, each must lie inside the project root (or,
    for a parameter file kept outside the project, beside that file), and so must the
    raw folder. Inputs under the raw folder are covered by its ``SHA256SUMS``, inputs
    under ``studies/`` by the code digest; any other is returned, to be checksummed and
    listed in the manifest with the raw inputs (:func:`raw_inputs`). So every byte a
    study reads is recorded, whichever path names it.

    Raises
    ------
    ConfigError
        Naming each parameter whose path leads outside.

    Examples
    --------
    >>> study = config.STUDIES_DIR / "supporter-survey.yaml"
    >>> check_inputs(study, config.RAW_DIR / "supporter-survey", {"codebook": "data/raw/supporter-survey/codebook.yaml"})
    ()
    >>> check_inputs(study, config.RAW_DIR / "supporter-survey", {"codebook": "/etc/passwd"})
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: studies/supporter-survey.yaml, field 'codebook': expected a path inside the project root (links resolved), found '/etc/passwd', which leads to /etc/passwd. Fix: ...
    """
    file = Path(os.path.realpath(file))
    project = Path(os.path.realpath(config.PROJECT_ROOT))
    bases = [project] if _inside(file, project) else [project, file.parent]
    shown = config.relative_to_root(file)
    allowed = " or ".join(config.relative_to_root(b) if b != project else "the project root" for b in bases)
    problems, others = [], []
    named = [("raw", str(raw))] + [pair for key, value in parameters.items() for pair in _strings(value, key)]
    covered = [Path(os.path.realpath(raw)), Path(os.path.realpath(config.STUDIES_DIR))]
    if any(_inside(Path(os.path.realpath(p)), covered[0]) for p in (config.STUDIES_DIR, config.output_root())):
        problems.append(
            Problem(
                file=shown,
                field="raw",
                expected="a folder holding only the study's raw data",
                found=f"{str(raw)!r}, which holds the project's code or outputs too",
                fix="give the study a raw folder of its own, e.g. raw: data/raw/<study>",
            )
        )
    for where, value in named:
        given = config.resolve_input(value) if value.strip() else None
        if given is None or not ("/" in value or os.sep in value or given.suffix) or not os.path.lexists(given):
            continue
        real = Path(os.path.realpath(given))
        if not any(_inside(real, b) for b in bases):
            problems.append(
                Problem(
                    file=shown,
                    field=where,
                    expected=f"a path inside {allowed} (links resolved)",
                    found=f"{value!r}, which leads to {real}",
                    fix="copy the file into the study's raw folder and record it with `python -m "
                    "peerstudy accept-raw`; then name it there",
                )
            )
        elif where != "raw" and not any(_inside(real, c) for c in covered) and real not in others:
            others.append(real)
    if problems:
        raise ConfigError(problems)
    return tuple(others)


def check_study_names(names: list[str]) -> dict[str, str]:
    """The studies asked for, keyed by study name (a parameter file's name when given by
    its path), each to the name or path given; a name that could reach outside
    ``reports/<study>/`` or names no study is refused before anything else."""
    known = list_studies()
    by_path = {str(n) for n in names if str(n).endswith((".yaml", ".yml")) and Path(n).is_file()}
    for n in names:
        name = Path(n).stem if n in by_path else n
        check_study_name(name, file=n if n in by_path else f"studies/{n}.yaml" if n in known else None)
    unknown = [n for n in names if n not in known and n not in by_path]
    if unknown:
        raise ConfigError(
            Problem(
                field="--study",
                expected=f"one of {', '.join(known)}, or the path of a parameter file (.yaml)",
                found=", ".join(map(repr, unknown)),
                fix="add studies/<name>.yaml or correct the name",
            )
        )
    return {(Path(n).stem if n in by_path else n): n for n in names}
