"""Column-wise cleaning: find each declared field's column(s) in an export, and read every cell.

Cleaning goes column by column, reading each distinct cell once (survey answers repeat a
lot) with :mod:`peerstudy.cleaning.cells`; the log and the problems keep the order of a
row-by-row reading. Free text is de-identified before it is read, so the cleaning log
never holds an identifier.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from peerstudy.cleaning.cells import UNTICKED, parse_cell, parse_fix, parse_option_columns, parse_plain
from peerstudy.cleaning.cleaninglog import CleaningLog, show_value
from peerstudy.cleaning.deid import DeidKey, deidentify
from peerstudy.cleaning.surveyexports import SurveyExport
from peerstudy.cleaning.surveyfields import Fields, FieldSpec
from peerstudy.cleaning.values import normalise_label
from peerstudy.errors import Problem

__all__ = ["parse_rows", "resolve_columns"]

#: A distinct cell read: (value, rule, expected, the cell as shown); for a field written one
#: column per option, the cell as shown is (its columns, its ticked cells).
Parsed = tuple[Any, str | None, str | None, str | tuple[str, str]]


def resolve_columns(export: SurveyExport, spec: Fields) -> tuple[dict[str, Any], list[Problem]]:
    """For each field, its column, or (option, column) pairs for a multi field written one
    column per option; a Problem listing every declared column that is absent.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyexports import read_export
    >>> from peerstudy.cleaning.surveyfields import read_fields
    >>> spec = read_fields("tests/fixtures/mini-survey/fields.yaml")
    >>> where, problems = resolve_columns(read_export("tests/fixtures/mini-survey/export.csv", header_rows=2), spec)
    >>> where["age"], problems
    ('Age', [])
    """
    where: dict[str, Any] = {}
    missing = []
    for s in spec.specs:
        column = export.find_column(s.column)
        options = export.option_columns(s.column) if column is None and s.type == "multi" else []
        if column is not None:
            where[s.name] = column
        elif options:
            where[s.name] = options
        else:
            missing.append(s.column)
    if not missing:
        return where, []
    return where, [
        Problem(
            file=export.file,
            row=1,
            field=", ".join(missing),
            expected=f"column(s) {', '.join(map(repr, missing))}",
            found=f"columns {', '.join(map(repr, export.columns))}",
            fix="restore the column in the export, or correct the column name declared for it",
        )
    ]


def parse_rows(
    table: SurveyExport,
    body: pd.DataFrame,
    spec: Fields,
    where: dict[str, Any],
    missing: tuple[str, ...],
    key: DeidKey,
    log: CleaningLog,
) -> tuple[pd.DataFrame, Counter, list[Problem]]:
    """Every declared field of every row of ``body`` (the export's rows left in), typed,
    with the identifiers replaced in free text by kind; problems for cells that cannot be
    read. ``where`` is what :func:`resolve_columns` found; each change is added to ``log``.

    Cleaning goes column by column, reading each distinct cell (survey answers repeat a
    lot) once; the log and the problems keep the order of a row-by-row reading.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyexports import read_export
    >>> from peerstudy.cleaning.surveyfields import read_fields
    >>> spec = read_fields("tests/fixtures/mini-survey/fields.yaml")
    >>> export = read_export("tests/fixtures/mini-survey/export.csv", header_rows=2)
    >>> where, _ = resolve_columns(export, spec)
    >>> log = CleaningLog(file=export.file)
    >>> typed, _, problems = parse_rows(export, export.table, spec, where, spec.missing, DeidKey(), log)
    >>> typed["age"].tolist()[:1], log.entries[0]["rule"], problems
    ([30.0], 'number: spaces, unit or full-width digits removed', [])
    """
    redacted: Counter = Counter()
    rows = [int(row) for row in body.index]
    width = len(spec.specs)
    values: dict[str, list[Any]] = {}
    found: dict[int, Parsed] = {}
    for i, s in enumerate(spec.specs):
        column = where[s.name]
        codes: np.ndarray
        parsed: list[Parsed]
        if isinstance(column, list):
            codes, parsed = _parse_option_column_cells(s, body, column, missing, table.tool.startswith("SurveyMonkey"))
        else:
            codes, parsed = _parse_column_cells(s, body[column], missing, key, redacted)
        column_values = [value for value, _, _, _ in parsed]
        values[s.name] = [column_values[c] for c in codes.tolist()]
        flagged = np.array([bool(rule or expected) for _, rule, expected, _ in parsed] + [False], dtype=bool)
        shown: dict[int, Parsed] = {}
        for pos in flagged[codes].nonzero()[0].tolist():
            code = int(codes[pos])
            if code not in shown:  # the log's text of a change, made once per distinct cell
                value, rule, expected, cell = parsed[code]
                before = cell[1] if isinstance(cell, tuple) else cell
                shown[code] = (
                    (value, rule, expected, cell) if expected else (show_value(value), rule, None, show_value(before))
                )
            found[pos * width + i] = shown[code]
    problems = []
    for place in sorted(found):
        pos, i = divmod(place, width)
        value, rule, expected, cell = found[place]
        s = spec.specs[i]
        if expected:
            problems.append(
                Problem(
                    file=table.file,
                    row=rows[pos],
                    field=s.column,
                    expected=expected,
                    found=f"columns {cell[0]}" if isinstance(cell, tuple) else repr(cell),
                    fix=parse_fix(s, spec.file),
                )
            )
        else:
            log.entries.append(
                {"file": log.file, "row": rows[pos], "field": s.column, "before": cell, "after": value, "rule": rule}
            )
    return pd.DataFrame(values, index=body.index), redacted, problems


def _parse_column_cells(
    s: FieldSpec, cells: pd.Series, missing: tuple[str, ...], key: DeidKey, redacted: Counter
) -> tuple[np.ndarray, list[Parsed]]:
    """For one column, the code of each cell and (value, rule, problem, cell as shown)
    for each distinct cell, read (and, for free text, de-identified) once."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    # how often each distinct text occurs (redactions are counted per cell)
    counts = np.bincount(codes, minlength=len(uniques)) if s.type == "text" else np.zeros(0, dtype=np.intp)
    parsed: list[Parsed] = []
    for j, raw in enumerate(uniques.tolist()):
        cell = raw
        if s.type == "text":
            cell, found = deidentify(raw, key)
            for kind, n in found.items():
                redacted[kind] += n * int(counts[j])
        quick = None if s.type == "text" else parse_plain(s, raw, missing)
        value, rule, expected = quick or parse_cell(s, cell, missing)
        parsed.append((value, rule, expected, cell))
    return codes, parsed


def _parse_option_column_cells(
    s: FieldSpec, body: pd.DataFrame, column: list[tuple[str, str]], missing: tuple[str, ...], any_mark: bool
) -> tuple[np.ndarray, list[Parsed]]:
    """The code of each row and (value, rule, problem, (columns, cells as shown)) for each
    distinct combination of marks of a multi field written one column per option."""
    names = "; ".join(c for _, c in column)
    seen: dict[tuple[str, ...], int] = {}
    codes: list[int] = []
    parsed: list[Parsed] = []
    for marks in zip(*(body[c].tolist() for _, c in column), strict=True):
        code = seen.get(marks)
        if code is None:
            cells = [(o, c, m) for (o, c), m in zip(column, marks, strict=True)]
            value, rule, expected = parse_option_columns(s, cells, missing, any_mark=any_mark)
            before = ", ".join(f"{c}={m}" for _, c, m in cells if normalise_label(m) not in UNTICKED)
            code = seen[marks] = len(parsed)
            parsed.append((value, rule, expected, (names, before)))
        codes.append(code)
    return np.array(codes, dtype=np.intp), parsed
