"""The extraction sheet: one row per study included at full text, with the columns a
study declares (``text``, ``integer``, ``flag`` or a list of categories), none required
by name; each study named by DOI, PMID or title (matched as screening rows are) or by
the project's record id.

May import: :mod:`peerstudy.review.screen_match`, :mod:`peerstudy.io.readers`, :mod:`peerstudy.config`,
:mod:`peerstudy.errors`.

Examples
--------
>>> COLUMN_TYPES
('text', 'integer', 'flag')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.review.screen_match import match_records, select_identifiers

__all__ = ["COLUMN_TYPES", "read_extraction"]

#: Types an extraction column may be declared with (or a list of its categories).
COLUMN_TYPES = ("text", "integer", "flag")
_FLAGS = {"yes": "yes", "y": "yes", "no": "", "n": "", "": ""}


def _column_problems(columns: Mapping[str, Any]) -> list[Problem]:
    if not isinstance(columns, Mapping):
        return [
            Problem(
                field="extraction_columns",
                expected="the extraction sheet's columns, each with its type "
                f"({', '.join(COLUMN_TYPES)} or a list of categories)",
                found=repr(columns),
                fix="e.g. extraction_columns: {design: text, sample_size: integer}",
            )
        ]
    problems = []
    for name, kind in columns.items():
        ok = kind in COLUMN_TYPES or (isinstance(kind, list) and kind and all(isinstance(c, str) for c in kind))
        if not ok:
            problems.append(
                Problem(
                    field=f"extraction_columns.{name}",
                    expected=f"one of {', '.join(COLUMN_TYPES)}, or a list of categories",
                    found=repr(kind),
                    fix="correct the column's type",
                )
            )
    return problems


def _cell_problem(value: str, kind: Any, name: str, file: str, row: int) -> Problem | None:
    if isinstance(kind, list) and value not in kind:
        expected = f"one of {', '.join(kind)}"
        fix = "correct the category, or add it to the column's categories in extraction_columns"
    elif kind == "integer" and value.replace(",", "") and not value.replace(",", "").isdigit():
        expected, fix = "a whole number or an empty cell", "write the number only"
    elif kind == "flag" and value.casefold() not in _FLAGS:
        expected, fix = "yes, no or an empty cell", "write yes or leave the cell empty"
    else:
        return None
    return Problem(file=file, row=row, field=name, expected=expected, found=repr(value), fix=fix)


def _typed(table: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    out = table.copy()
    for name, kind in columns.items():
        if kind == "integer":
            out[name] = pd.array(
                [int(v.replace(",", "")) if v.replace(",", "").isdigit() else None for v in out[name]], dtype="Int64"
            )
        elif kind == "flag":
            out[name] = [_FLAGS.get(v.casefold(), v) for v in out[name]]
    return out


def _name_studies(table: pd.DataFrame, records: pd.DataFrame | None, shown: str) -> list[Problem]:
    """Add the ``record`` column to a sheet that names studies by DOI, PMID or title."""
    if "record" in table:
        return []
    if records is None or not {"doi", "pmid", "title"} & set(table.columns):
        raise InputError(
            Problem(
                file=shown,
                row=1,
                field="doi, pmid, title",
                expected="a column that names each study: doi, pmid or title",
                found=f"columns {', '.join(map(repr, table.columns))}",
                fix="add the studies' doi, pmid or title",
            )
        )
    matched, _, problems = match_records(select_identifiers(table, "sheet"), records, file=shown)
    table.insert(0, "record", pd.Series([m or "" for m in matched], index=table.index, dtype=str))  # text if empty
    return problems


def _sheet_row_problems(
    table: pd.DataFrame, columns: Mapping[str, Any], included: set, decided: set, shown: str
) -> tuple[list[Problem], dict[str, int]]:
    """Rows for a study not included at full text, second rows of a study, bad cells;
    and the first row of each study."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for row, rec in table.iterrows():
        rid, row = rec["record"], int(cast(int, row))  # pandas' stubs type an index label as Hashable
        if rid and rid not in included:
            which = "was not included at full text" if rid in decided else "has no screening decision"
            problems.append(
                Problem(
                    file=shown,
                    row=row,
                    field="record",
                    expected="the id of a study included at full text",
                    found=f"{rid!r}, which {which}",
                    fix="correct the id, or the screening decision",
                )
            )
        if rid and rid in seen:
            problems.append(
                Problem(
                    file=shown,
                    row=row,
                    field="record",
                    expected="one extraction row per study",
                    found=f"a second row for {rid!r} (first in row {seen[rid]})",
                    fix="merge the two rows",
                )
            )
        seen.setdefault(rid, row)
        problems += [p for name, kind in columns.items() if (p := _cell_problem(rec[name], kind, name, shown, row))]
    return problems, seen


def _included_rows(decisions: pd.DataFrame) -> dict[str, tuple[int, str | None]]:
    """Each study included at full text: the row (and file) of the decision that includes it."""
    full = decisions[decisions["stage"] == "full-text"]
    included = full.loc[full["decision"] == "include"]
    files = included["file"] if "file" in included else [None] * len(included)
    return {rid: (row, where) for rid, row, where in zip(included["record"], included["row"], files, strict=False)}


def read_extraction(
    path: str | os.PathLike[str],
    decisions: pd.DataFrame,
    *,
    columns: Mapping[str, Any],
    records: pd.DataFrame | None = None,
    decisions_file: str | None = None,
) -> pd.DataFrame:
    """Read and check the extraction sheet: one row per study included at full text,
    with the columns the study declares.

    The sheet names each study by DOI, PMID or title (matched as screening decisions
    are), or by the project's ``record`` id. ``columns`` maps each declared column to its
    type: ``text``, ``integer`` (a whole number or empty), ``flag`` (yes, no or empty;
    read as ``yes`` or empty) or a list of categories. Every declared column must be
    present; no column is required by name. Every included study has exactly one row (a
    missing one is reported at the row of the decision that includes it).

    Returns
    -------
    pandas.DataFrame
        ``record``, the sheet's columns (integers as nullable integers, flags as ``yes``
        or empty), ``row`` the spreadsheet row.

    Examples
    --------
    >>> read_extraction("x.csv", pd.DataFrame(), columns={"design": "free"})
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'extraction_columns.design': expected one of text, integer, flag, or a list of categories, found 'free'. Fix: correct the column's type.
    """
    problems = _column_problems(columns)
    if problems:
        raise ConfigError(problems)
    shown = relative_to_root(resolve_input(path))
    # no rows: a review that included no study (an "empty review") has nothing to extract
    table = read_csv_table(path, required=list(columns), parameter="extraction_sheet", allow_empty=True)
    table = table.apply(lambda c: c.str.strip())
    problems = _name_studies(table, records, shown)
    included = _included_rows(decisions)
    row_problems, seen = _sheet_row_problems(table, columns, set(included), set(decisions["record"]), shown)
    problems += row_problems
    decisions_shown = decisions_file or decisions.attrs.get("file", "the screening decisions")
    problems += [
        Problem(
            file=where or decisions_shown,
            row=int(row),
            field="record",
            expected=f"an extraction row in {shown} for every included study",
            found=f"none for {rid!r}",
            fix=f"add a row for {rid!r} to the extraction sheet",
        )
        for rid, (row, where) in included.items()
        if rid not in seen
    ]
    if problems:
        raise InputError(problems)
    out = _typed(table, columns)
    out["row"] = out.index.astype("int64")
    return out.reset_index(drop=True)
