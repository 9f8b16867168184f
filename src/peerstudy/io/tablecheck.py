"""The check of a hand-off table against its schema (:mod:`peerstudy.io.schemas`): every
failure together, as one :class:`~peerstudy.errors.ContractError` naming the table, each
column, what was expected and the rows.

Examples
--------
>>> import pandas as pd
>>> check_table("flow", pd.DataFrame({"step": ["received", "analysed"], "reason": ["", ""], "n": [3, 3]}))
>>> check_table("flow", pd.DataFrame({"step": ["received", "lost"], "reason": ["", ""], "n": [3, -1]}))
Traceback (most recent call last):
...
peerstudy.errors.ContractError: table 'flow' breaks its schema (peerstudy.io.schemas), 2 problems found:
  1. flow, field 'step': expected one of 'received', 'excluded', 'analysed', found 'lost' in row 1.
  2. flow, field 'n': expected a number of at least 0, found -1 in row 1.
This is a bug of the stage that made the table, not of the study's data: please report it with this message.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

from peerstudy.errors import ContractError, Problem
from peerstudy.io.missing import is_na
from peerstudy.io.schemas import ROW_CHECK_FIELDS, table_schema

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

__all__ = ["check_table"]


def check_table(name: str, frame: pd.DataFrame, *, where: str | None = None) -> None:
    """Check ``frame`` against the schema of the hand-off table ``name`` (nothing to do
    for a table without one), all failures together.

    Parameters
    ----------
    name
        The table's name (:data:`TABLE_NAMES`).
    frame
        The table as the stage made it; it is not changed.
    where
        The table as messages show it (e.g. its file); default: ``name``.

    Raises
    ------
    ContractError
        Naming every column that breaks the schema, how, and the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> check_table("searches", pd.DataFrame({"database": ["X", "X"], "searched": ["2010-09-06"] * 2,
    ...                                       "results": [2, 2], "records": [2, 2]}), where="searches.parquet")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ContractError: table 'searches' breaks its schema (peerstudy.io.schemas), 2 problems found:
      1. searches.parquet, field 'source': expected the column, found none.
      2. searches.parquet, field 'database': expected each value once (a key of the table), found 'X' in rows 0, 1.
    This is a bug of the stage that made the table, not of the study's data: please report it with this message.
    """
    schema = table_schema(name)
    if schema is None:
        return
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ContractError(name, _problems(exc.failure_cases, frame, schema, where or name)) from None


_CHECK_WORDS = {
    "column_in_dataframe": "the column",
    "not_nullable": "a value in every row",
    "field_uniqueness": "each value once (a key of the table)",
    "multiple_fields_uniqueness": "each combination once (the key of the table)",
}
_SHOWN_ROWS = 5


def _problems(failures: pd.DataFrame, frame: pd.DataFrame, schema: pa.DataFrameSchema, where: str) -> list[Problem]:
    """One Problem per column (or group of columns) and check, naming the rows."""
    cases = failures.assign(field=[_field_of(case, schema) for case in failures.to_dict("records")])
    problems = []
    for (field, check), group in cases.groupby(["field", "check"], sort=False, dropna=False):
        words = _CHECK_WORDS.get(str(check), str(check))
        problems.append(Problem(file=where, field=str(field), expected=words, found=_found(group, frame, field, check)))
    order = {name: i for i, name in enumerate(frame.columns)}
    # missing columns first, then in the table's order
    return sorted(problems, key=lambda p: (p.expected != "the column", order.get(p.field or "", -1)))


def _field_of(case: Mapping[Hashable, Any], schema: pa.DataFrameSchema) -> str:
    """The field a failure is about: the missing column, the key's columns, the fields of
    a check across a row, or the column."""
    check = str(case["check"])
    if check == "column_in_dataframe":
        return str(case["failure_case"])
    if check == "multiple_fields_uniqueness":
        return ", ".join(schema.unique or [])
    return ROW_CHECK_FIELDS.get(check, str(case["column"]))


def _found(group: pd.DataFrame, frame: pd.DataFrame, field: Any, check: Any) -> str:
    """What the rows of one failure hold: the values by row, the column's dtype, or nothing."""
    if check == "column_in_dataframe":
        return "none"
    rows = sorted({int(i) for i in group["index"] if i is not None and i == i})
    if not rows:  # a check of the whole column: its dtype is wrong
        return f"values of dtype {frame[field].dtype}" if field in frame.columns else str(group["failure_case"].iloc[0])
    shown = rows[:_SHOWN_ROWS]
    more = f" ({len(rows)} rows in all)" if len(rows) > _SHOWN_ROWS else ""
    if check in ("field_uniqueness", "multiple_fields_uniqueness") or str(check) in ROW_CHECK_FIELDS:
        # the fields the check reads; a check of the identifier reads the first column
        columns = [c.strip() for c in str(field).split(",") if c.strip() in frame.columns] or list(frame.columns[:1])
        values = {tuple(frame.loc[r, columns]) if len(columns) > 1 else frame.loc[r, columns[0]] for r in shown}
        head = ", ".join(_show(v) for v in sorted(values, key=str))
        return f"{head} in {_rows(shown)}{more}"
    by_value: dict[str, list[int]] = {}
    for value, index in zip(group["failure_case"], group["index"], strict=True):
        if index is not None and int(index) in shown:
            by_value.setdefault(_show(value), []).append(int(index))
    parts = [f"{value} in {_rows(at)}" for value, at in by_value.items()]
    return "; ".join(parts) + more


def _rows(rows: list[int]) -> str:
    return ("rows " if len(rows) > 1 else "row ") + ", ".join(map(str, rows))


def _show(value: Any) -> str:
    if is_na(value):
        return "nothing"
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value.item() if hasattr(value, "item") else value)
