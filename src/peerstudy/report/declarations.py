"""What a study declares about its results, read without pandas (the pre-run check of
:mod:`peerstudy.pipeline.studycheck` and ``accept-raw`` use it): the participant fields to
describe and how, the caveat under values the source paper does not report, and the kinds
of source a dyad study may name. :mod:`peerstudy.report.tables` and
:mod:`peerstudy.report.comparisons`, which notebooks import them from, use them.

Examples
--------
>>> stand_in_notes([])
[]
>>> sorted(SOURCE_KINDS)
['interview', 'observation notes', 'recorded session']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, Problem
from peerstudy.io.yamlfiles import read_yaml

__all__ = ["SUMMARY_BY_TYPE", "SOURCE_KINDS", "declared_characteristics", "declared_titles", "stand_in_notes"]

#: The kinds of source a dyad study may declare (``source_kinds``), with the key figure
#: that counts their documents.
SOURCE_KINDS = {
    "observation notes": "n_observations",
    "recorded session": "n_recorded_sessions",
    "interview": "n_interviews",
}

#: How each declared field type is summarised: counts and % per level, or mean/SD/range.
SUMMARY_BY_TYPE = {
    "category": "counts",
    "boolean": "counts",
    "likert": "counts",
    "label": "counts",
    "multi": "counts",
    "integer": "continuous",
    "number": "continuous",
    "decimal": "continuous",
}


def declared_characteristics(
    fields_file: str | Path,
    characteristics: Sequence[str] = (),
    *,
    derived: Sequence[str] = (),
    parameter: str = "characteristics",
) -> tuple[list[str], list[str]]:
    """The participant fields to describe and which of them are continuous, from the
    study's fields file (each field's declared ``type`` decides: category, boolean,
    Likert: n (%); integer, number: mean (SD) and range).

    Parameters
    ----------
    fields_file
        The study's fields file (parameter ``participants_fields``).
    characteristics
        Fields to describe, in order; empty: every declared field that can be summarised.
    derived
        Columns the notebook adds (e.g. bands of a number), described as categories.
    parameter
        The notebook parameter that names the fields (named in the messages).

    Returns
    -------
    tuple
        ``(columns, continuous)``.

    Raises
    ------
    ConfigError
        Every field named in ``characteristics`` that is not declared, or whose type has
        no summary (an id, free text), in one message naming the parameter.

    Examples
    --------
    >>> declared_characteristics("studies/professional-interviews/fields.yaml", ["sex", "age"])
    (['sex', 'age'], ['age'])
    """
    path = resolve_input(fields_file) if str(fields_file) else None
    doc = read_yaml(path, what="a fields file (YAML)", parameter="participants_fields") if path else {}
    fields = doc.get("fields") if isinstance(doc, dict) else None
    types = {str(k): str((v or {}).get("type", "")) for k, v in fields.items()} if isinstance(fields, dict) else {}
    types |= {d: "category" for d in derived}
    wanted = list(characteristics) or [f for f, t in types.items() if t in SUMMARY_BY_TYPE and t != "label"]
    shown = relative_to_root(path) if path else "(no participants_fields)"
    problems = [
        Problem(
            file=shown,
            field=parameter,
            expected="fields declared in the study's fields file",
            found=repr(f),
            fix=f"declare {f!r} under 'fields:' in {shown}, or remove it from {parameter}",
        )
        for f in wanted
        if f not in types
    ]
    problems += [
        Problem(
            file=shown,
            field=parameter,
            expected="fields with a summary (category, boolean, likert, integer, number)",
            found=f"{f!r} of type {types[f]!r}",
            fix=f"remove {f!r} from {parameter}",
        )
        for f in wanted
        if f in types and types[f] not in SUMMARY_BY_TYPE
    ]
    if problems:
        raise ConfigError(problems)
    return wanted, [f for f in wanted if SUMMARY_BY_TYPE[types[f]] == "continuous"]


def declared_titles(fields_file: str | Path) -> dict[str, str]:
    """How tables name each field of the study's fields file that declares a ``label``
    (:func:`peerstudy.report.tables.characteristics_table`'s ``titles``).

    Examples
    --------
    >>> declared_titles("studies/supporter-survey/fields.yaml")["experienced"]
    'Previous peer support experience'
    """
    path = resolve_input(fields_file) if str(fields_file) else None
    doc = read_yaml(path, what="a fields file (YAML)", parameter="participants_fields") if path else {}
    fields = doc.get("fields") if isinstance(doc, dict) else None
    if not isinstance(fields, dict):
        return {}
    return {
        str(name): decl["label"]
        for name, decl in fields.items()
        if isinstance(decl, dict) and isinstance(decl.get("label"), str) and decl["label"].strip()
    }


def stand_in_notes(unpublished: Sequence[str]) -> list[str]:
    """Caveats printed under a table with values the source paper does not report."""
    if not unpublished:
        return []
    return [
        f"{', '.join(unpublished)}: not reported in the source paper; the values shown come from "
        "the project's stand-in data and are not published figures."
    ]
