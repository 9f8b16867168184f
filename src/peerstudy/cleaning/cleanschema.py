"""The declared fields as a pandera schema, checked on the typed table; the cleaned tables' dtypes.

Examples
--------
>>> id_dtype(pd.Series([3, 1])), id_dtype(pd.Series(["P1", "P2"]))
('int64', 'string')
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from peerstudy.cleaning.surveyfields import Fields
from peerstudy.errors import Problem

__all__ = ["id_dtype", "typed_columns", "validate_typed"]


def _schema(spec: Fields) -> pa.DataFrameSchema:
    columns = {}
    for s in spec.specs:
        checks = []
        if s.type in ("id", "integer", "number"):
            if s.min is not None:
                checks.append(pa.Check.ge(s.min))
            if s.max is not None:
                checks.append(pa.Check.le(s.max))
        if s.type == "category":
            checks.append(pa.Check.isin(list(s.categories)))
        # the id's uniqueness is checked by clean_export row by row (naming the earlier
        # row, and dropping identical double entries), so it is not repeated here
        columns[s.name] = pa.Column(checks=checks, nullable=not s.required, coerce=False)
    return pa.DataFrameSchema(columns, strict=False)


_CHECK_WORDS = {"not_nullable": "an answer (the field is required)"}


def validate_typed(typed: pd.DataFrame, spec: Fields, shown: str) -> list[Problem]:
    """Check the typed table (index: spreadsheet rows) against the declared schema: limits,
    categories and required answers; one Problem per failure, none if it passes.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import Fields, FieldSpec
    >>> specs = (FieldSpec(name="id", column="ID", type="id", required=True),
    ...          FieldSpec(name="age", column="Age", type="integer", min=18, max=99))
    >>> spec = Fields(file="fields.yaml", id="id", header_rows=1, missing=(), specs=specs)
    >>> typed = pd.DataFrame({"id": [1, 2], "age": [30, 140]}, index=[2, 3])
    >>> [(p.row, p.expected) for p in validate_typed(typed, spec, "export.csv")]
    [(3, 'a number from 18 to 99')]
    """
    if _passes(typed, spec):
        return []
    try:
        _schema(spec).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for case in exc.failure_cases.itertuples():
            s = spec[case.column]
            check = str(case.check)
            expected = _CHECK_WORDS.get(check)
            fix = "correct the value in a corrected copy of the export"
            if check == "not_nullable":
                fix = f"fill in the answer in a corrected copy of the export, or declare the field not required in {spec.file}"
            elif s.type in ("id", "integer", "number"):
                expected = (
                    f"a number from {s.min} to {s.max}"
                    if s.min is not None and s.max is not None
                    else f"a number of at least {s.min}"
                    if s.min is not None
                    else f"a number of at most {s.max}"
                )
                fix += f", or the declared limits in {spec.file}"
            value = case.failure_case
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a column with missing answers holds whole numbers as floats
            problems.append(
                Problem(
                    file=shown,
                    row=None if pd.isna(case.index) else int(case.index),
                    field=s.column,
                    expected=expected or check,
                    found="no answer" if pd.isna(value) else repr(value),
                    fix=fix,
                )
            )
        return problems
    return []


#: The dtype of each field type's column in the cleaned tables (the identifier's: :func:`id_dtype`).
_DTYPES = {
    "integer": "Int64",
    "likert": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "label": "string",
    "datetime": "datetime64[us]",
}


def _passes(typed: pd.DataFrame, spec: Fields) -> bool:
    """Whether the typed table certainly passes the schema of :func:`_schema` (its checks made
    on whole columns, missing values ignored as pandera ignores them); False where in doubt
    (a column of mixed values with limits), and pandera then checks and words the failures."""
    for s in spec.specs:
        limits = s.type in ("id", "integer", "number") and (s.min is not None or s.max is not None)
        if not (s.required or limits or s.type == "category"):
            continue
        column = typed[s.name]
        missing = column.isna().to_numpy(dtype=bool)
        if s.required and missing.any():
            return False
        if limits:
            if not is_numeric_dtype(column) or is_bool_dtype(column):
                return False
            values = column.to_numpy()[~missing]
            if (s.min is not None and not (values >= s.min).all()) or (
                s.max is not None and not (values <= s.max).all()
            ):
                return False
        if s.type == "category" and not column[~missing].isin(list(s.categories)).all():
            return False
    return True


def typed_columns(frame: pd.DataFrame, spec: Fields) -> pd.DataFrame:
    """The participants table with each declared field's dtype (and ``participant`` as text).

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import Fields, FieldSpec
    >>> spec = Fields(file="f.yaml", id="id", header_rows=1, missing=(), specs=(FieldSpec(name="id", column="ID", type="id"),))
    >>> typed_columns(pd.DataFrame({"id": [1, 2], "participant": ["1", "2"]}), spec).dtypes.astype(str).tolist()
    ['int64', 'string']
    """
    dtypes = {}
    for s in spec.specs:
        if s.name in frame:
            dtypes[s.name] = id_dtype(frame[s.name]) if s.type == "id" else _DTYPES.get(s.type, "string")
    return frame.astype(dtypes | {"participant": "string"})  # an identifier named participant: text too


def id_dtype(values: pd.Series) -> str:
    """The dtype of identifiers: whole numbers if every one is, else text.

    Examples
    --------
    >>> id_dtype(pd.Series([1, 2])), id_dtype(pd.Series([1, "P2"], dtype=object))
    ('int64', 'string')
    """
    return "int64" if all(isinstance(v, int) for v in values) else "string"
