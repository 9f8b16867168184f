"""Coding units: the ids coder sheets give their excerpts, and sheets that code units.

A study whose coders all code the same candidate units names each unit in a column of
the coder sheets (``unit_column``); a unit id must then mean the same segment in every
sheet (:func:`check_units`). A later sheet can code the agreed units by id instead of
copying excerpts again (:func:`read_unit_sheets`), e.g. a third coder re-coding them to
measure the stability of the codebook.

Examples
--------
>>> codings = pd.DataFrame({"segment": ["d@0-3", "d@4-7"], "unit": ["u1", "u1"], "sheet": ["a.csv", "b.csv"],
...                         "row": [2, 2]})
>>> [p.found for p in check_units(codings)]
['a different excerpt than a.csv row 2']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import pandas as pd

from peerstudy.cleaning.deid import DeidKey, deidentify_frame, redacted_errors
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.qualitative.codebook import suggest_code
from peerstudy.qualitative.refi.project import CODING_COLUMNS
from peerstudy.qualitative.segments import Coded
from peerstudy.qualitative.sheetrows import row_number

__all__ = ["check_units", "read_unit_sheets"]


def check_units(codings: pd.DataFrame) -> list[Problem]:
    """A unit id must mean the same segment in every sheet: a problem for each unit
    that does not (located at the first row giving it another segment)."""
    problems = []
    for unit, group in codings.groupby("unit", sort=False):
        if group["segment"].nunique() > 1:
            first, other = group.iloc[0], group[group["segment"] != group["segment"].iloc[0]].iloc[0]
            problems.append(
                Problem(
                    file=other["sheet"],
                    row=int(other["row"]),
                    field="unit",
                    expected=f"the same excerpt for unit {unit!r} in every sheet",
                    found=f"a different excerpt than {first['sheet']} row {first['row']}",
                    fix="copy the unit's excerpt exactly, or give the unit another id",
                )
            )
    return problems


def read_unit_sheets(
    sheets: Sequence[str | Path], coded: Coded, codebook: pd.DataFrame, *, round: int = 2, key: DeidKey | None = None
) -> pd.DataFrame:
    """Codings from sheets that name units instead of excerpts (``unit``, ``code``,
    ``coder``), e.g. a third coder re-coding the agreed units; returned as codings of
    the segments those units are in :func:`peerstudy.qualitative.coding.apply_coding_sheets`'
    result. With the study's de-identification ``key``, notes and file names are
    de-identified.

    Raises
    ------
    InputError
        Every unknown unit, unknown code and missing coder of every sheet at once.
    """
    if key is not None:  # researcher-written text (issue 13)
        with redacted_errors(key):
            recoded = read_unit_sheets(sheets, coded, codebook, round=round)
            # deidentify_frame passes None through; a frame in gives a frame out
            return cast(pd.DataFrame, deidentify_frame(recoded, key, columns=["note", "sheet"]))
    units = coded.codings.drop_duplicates("unit").set_index("unit")["segment"]
    # without a unit column (unit_column), a unit is its segment: there are no ids to name
    named = not coded.codings["unit"].equals(coded.codings["segment"])
    rows, problems = [], []
    for sheet in sheets:
        path = resolve_input(sheet)
        shown = relative_to_root(path)
        table = read_csv_table(path, required=["unit", "code", "coder"], parameter="stability_sheets")
        for row, cells in table.iterrows():
            found = _unit_row_problems(cells, units, codebook, file=shown, row=row_number(row), named=named)
            problems += found
            if not found:
                rows.append(
                    {
                        "segment": units[cells["unit"].strip()],
                        "unit": cells["unit"].strip(),
                        "code": cells["code"].strip(),
                        "coder": cells["coder"].strip(),
                        "round": round,
                        "note": cells.get("note", "").strip(),
                        "sheet": shown,
                        "row": row_number(row),
                    }
                )
    if problems:
        raise InputError(problems)
    return pd.DataFrame(rows, columns=CODING_COLUMNS).astype({"round": "int64", "row": "int64"})


def _unit_row_problems(
    cells: pd.Series, units: pd.Series, codebook: pd.DataFrame, *, file: str, row: int, named: bool = True
) -> list[Problem]:
    """The problems of one row of a unit sheet: an unknown unit or code, no coder
    (``named``: the coder sheets give their units ids, through the study's unit_column)."""
    unit, code, coder = cells["unit"].strip(), cells["code"].strip(), cells["coder"].strip()
    problems = []
    if unit not in units.index:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="unit",
                expected="a unit of the coder sheets",
                found=repr(unit),
                fix="use the unit ids of the coder sheets' unit column"
                if named
                else "name the coder sheets' column of unit ids in the study's unit_column "
                "(it names none, so the units have no ids to refer to)",
            )
        )
    if code not in codebook.index:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="code",
                expected="a code defined in the codebook",
                found=repr(code),
                fix=suggest_code(code, codebook),
            )
        )
    if not coder:
        problems.append(
            Problem(
                file=file,
                row=row,
                field="coder",
                expected="the coder's initials",
                found="nothing",
                fix="fill in who made this coding",
            )
        )
    return problems
