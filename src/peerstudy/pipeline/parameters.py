"""The parameters a notebook declares, its defaults, and what a study that omits one gets.

A notebook's ``parameters`` cell defaults to the values of one shipped study, its
*default study* (the default of ``study``), so that a notebook opened in JupyterLab shows
that study as the pipeline runs it (a test keeps the defaults equal to the study file).
Those defaults must not leak into another study that omits a parameter: a study that
gives no ``published`` file must not be compared with the default study's paper, nor
show its notes or title.

One declaration says what omitting each parameter means (:data:`OMISSION`, asked through
:func:`omission`), and both the pipeline (:func:`fill_omitted`, what it passes) and the
pre-run check (:mod:`peerstudy.pipeline.studycheck`, what it refuses) ask it:

- ``"empty"``: none (no published source, no notes, no key); the pipeline passes the
  parameter's empty value (``""``, ``[]`` or ``{}``) where the default study sets it;
- ``"default"``: the notebook's default, a convention every study shares or a setting
  (a number, a flag, or a parameter the default study does not set) rather than a study's data;
- ``"required"``: the study must say its own (the title, or a default naming a file of
  the default study); left out only where its alternative is given, when it is passed empty.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from peerstudy import config
from peerstudy.io.yamlfiles import read_yaml

__all__ = [
    "EMPTY_VALUES",
    "OMISSION",
    "ALTERNATIVES",
    "omission",
    "read_defaults",
    "default_study",
    "default_study_keys",
    "fill_omitted",
]

#: The empty value of each parameter type that has one (papermill's inferred type names).
EMPTY_VALUES: dict[str, Any] = {"str": "", "list": [], "dict": {}}
#: What omitting a parameter means, where the general rule (see :func:`omission`) does not
#: decide it: ``"empty"`` (none), ``"default"`` (the notebook's default is a convention every
#: study shares, not the default study's own value: "Interviewer" labels the research
#: team's turns) or ``"required"``.
OMISSION: dict[str, str] = {
    "title": "required",
    "interviewer_labels": "default",
    **dict.fromkeys(("published", "notes", "unpublished", "memos", "deid_key", "qdpx", "reconciliation"), "empty"),
}
#: A parameter needed only when its alternative is not given: needed -> alternative.
ALTERNATIVES: dict[str, str] = {"coding_sheets": "qdpx", "screening_sheet": "screening_exports"}


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


def omission(key: str, default: Any) -> str:
    """What omitting parameter ``key`` (whose notebook default is ``default``) means:
    ``"empty"``, ``"default"`` or ``"required"`` (see the module's docstring).

    :data:`OMISSION` decides where it names the parameter; otherwise a default that names
    a path (a file of the default study) makes it required, and any other default
    stands for none (an empty value where its type has one, else the default).

    Examples
    --------
    >>> omission("codebook", "data/raw/supporter-survey/codebook.yaml"), omission("memos", "studies/x/memos.csv")
    ('required', 'empty')
    >>> omission("interviewer_labels", ["Interviewer"]), omission("title", ""), omission("text_fields", ["why"])
    ('default', 'required', 'empty')
    """
    if key in OMISSION:
        return OMISSION[key]
    return "required" if any("/" in text for text in _texts(default)) else "empty"


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)


def _literal(source: Any) -> Any:
    try:
        return ast.literal_eval(str(source))
    except (ValueError, SyntaxError):
        return None


@functools.lru_cache(maxsize=32)
def _keys_of(path: Path, digest: str) -> frozenset[str]:
    """The keys a study parameter file sets; cached by path and content (``digest``)."""
    doc = read_yaml(path, what="a study parameter file (YAML)")
    return frozenset(doc) if isinstance(doc, dict) else frozenset()


def default_study_keys(name: str) -> frozenset[str]:
    """The parameters the default study ``name`` sets (all :func:`fill_omitted` reads of
    its file), read once per content of ``studies/<name>.yaml``; empty when there is none.

    Examples
    --------
    >>> "published" in default_study_keys("supporter-survey"), default_study_keys("")
    (True, frozenset())
    """
    file = config.STUDIES_DIR / f"{name}.yaml"
    if not name or not file.is_file():
        return frozenset()
    return _keys_of(file, hashlib.sha256(file.read_bytes()).hexdigest())


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
    set_there = default_study_keys(default_study(declared))
    filled = {}
    for key, spec in declared.items():
        kind = str(spec.get("inferred_type_name", "")).split("[")[0]
        if key in given or kind not in EMPTY_VALUES:
            continue
        default = _literal(spec.get("default"))
        meaning = omission(key, default)
        if meaning == "default":
            continue
        # where the default study sets it, the default is that study's value; a parameter
        # declared to mean "none" when omitted is emptied whatever study its default is from
        if key in set_there or (key in OMISSION and meaning == "empty" and default != EMPTY_VALUES[kind]):
            filled[key] = copy.deepcopy(EMPTY_VALUES[kind])
    return filled
