"""The parameters a notebook declares, its defaults, and what a study that omits one gets.

A notebook's ``parameters`` cell defaults to the values of one shipped study, its
*default study* (the default of ``study``), so that a notebook opened in JupyterLab shows
that study as the pipeline runs it (a test keeps the defaults equal to the study file).
Those defaults must not leak into another study that omits a parameter: a study that
gives no ``published`` file must not be compared with the default study's paper, nor
show its notes or title. So for every parameter the default study's file sets and a study
omits, the pipeline passes the parameter's empty value (``""``, ``[]`` or ``{}``, which
the notebooks read as "none"; see :func:`fill_omitted`). A number or a flag has no empty
value: it keeps the notebook's default, a setting rather than a study's data. A parameter
the default study does not set keeps the notebook's default too: that default is no
study's value, the default study runs with it as well.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from peerstudy import config
from peerstudy.io.yamlfiles import read_yaml

__all__ = ["EMPTY_VALUES", "read_defaults", "default_study", "fill_omitted"]

#: The empty value of each parameter type that has one (papermill's inferred type names).
EMPTY_VALUES: dict[str, Any] = {"str": "", "list": [], "dict": {}}
#: Parameters whose notebook default is a convention every study shares, not the default
#: study's own value ("Interviewer" labels the research team's turns): an omitted one keeps it.
CONVENTIONS = ("interviewer_labels",)


def read_defaults(notebook: str | Path) -> dict[str, Any]:
    """The default values of a notebook's ``parameters`` cell (as papermill reads them).

    Examples
    --------
    >>> read_defaults(config.NOTEBOOKS_DIR / "code.ipynb")["study"]
    'supporter-survey'
    """
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    return {name: ast.literal_eval(spec["default"]) for name, spec in declared.items()}


def default_study(declared: Mapping[str, Mapping[str, Any]]) -> str:
    """The study a notebook defaults to, from what papermill's ``inspect_notebook`` gives.

    Examples
    --------
    >>> default_study({"study": {"default": '"supporter-survey"', "inferred_type_name": "str"}})
    'supporter-survey'
    >>> default_study({})
    ''
    """
    spec = declared.get("study")
    if not spec:
        return ""
    value = ast.literal_eval(str(spec.get("default", '""')))
    return value if isinstance(value, str) else ""


def fill_omitted(declared: Mapping[str, Mapping[str, Any]], given: Mapping[str, Any]) -> dict[str, Any]:
    """The empty values to pass for the parameters a study omits (``given`` holds the
    ones it sets) whose notebook default is its default study's value.

    Parameters
    ----------
    declared
        The notebook's parameters, as papermill's ``inspect_notebook`` gives them.
    given
        The parameters the study's file sets for this notebook.

    Returns
    -------
    dict
        Parameter name to empty value, in the notebook's order; empty when the study is
        the default study itself, or when the default study has no parameter file.

    Examples
    --------
    >>> import papermill
    >>> declared = papermill.inspect_notebook(str(config.NOTEBOOKS_DIR / "results-survey.ipynb"))
    >>> fill_omitted(declared, {"study": "another-survey", "title": "Another"})["published"]
    ''
    """
    name = default_study(declared)
    file = config.STUDIES_DIR / f"{name}.yaml"
    if not name or not file.is_file():
        return {}
    doc = read_yaml(file, what="a study parameter file (YAML)")
    set_there = set(doc) if isinstance(doc, dict) else set()
    filled = {}
    for key, spec in declared.items():
        kind = str(spec.get("inferred_type_name", "")).split("[")[0]
        if key not in given and key in set_there and kind in EMPTY_VALUES and key not in CONVENTIONS:
            filled[key] = copy.deepcopy(EMPTY_VALUES[kind])
    return filled
