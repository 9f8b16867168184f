"""Column-wise cleaning: find each declared field's column(s) in an export, and read every cell.

Cleaning goes column by column, reading each distinct cell once (survey answers repeat a
lot): plainly written numbers and dates all at once (:mod:`peerstudy.cleaning.plaincells`),
the others one by one (:mod:`peerstudy.cleaning.cells`). The changes are then logged and
the problems listed by arrays, in the order of a row-by-row reading (row, then field).
Free text is de-identified before it is read, so the cleaning log never holds an identifier.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from peerstudy.cleaning.cells import UNTICKED, parse_cell, parse_fix, parse_option_columns
from peerstudy.cleaning.cleaninglog import CleaningLog, show_value
from peerstudy.cleaning.deid import DeidKey, deidentify_column
from peerstudy.cleaning.plaincells import PlainCells, read_plain
from peerstudy.cleaning.surveyexports import SurveyExport
from peerstudy.cleaning.surveyfields import Fields, FieldSpec
from peerstudy.cleaning.values import normalise_label
from peerstudy.errors import Problem

__all__ = ["parse_rows", "resolve_columns"]

_NUMBER_RULE = "number: spaces, unit or full-width digits removed"
#: A changed cell as the log shows it (after, rule, None, before), or a cell that cannot be
#: read as a problem states it (None, None, expected, found).
_Note = tuple[str | None, str | None, str | None, str]


@dataclass
class _Column:
    """One column read: the code of each row's cell, each distinct cell's clean value (typed
    as pandas types the column), and for each distinct cell that was changed or cannot be
    read (by its code), its :data:`_Note`."""

    codes: np.ndarray
    values: pd.Series
    notes: dict[int, _Note]


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
    repeated = []
    for s in spec.specs:
        if s.column in export.repeated:
            repeated.append(_repeated_header(export, s.column))
            continue
        column = export.find_column(s.column)
        options = export.option_columns(s.column) if column is None and s.type == "multi" else []
        if column is not None:
            where[s.name] = column
        elif options:
            where[s.name] = options
        else:
            missing.append(s.column)
    if not missing:
        return where, repeated
    return where, repeated + [
        Problem(
            file=export.file,
            row=1,
            field=", ".join(missing),
            expected=f"column(s) {', '.join(map(repr, missing))}",
            found=f"columns {', '.join(map(repr, export.columns))}",
            fix="restore the column in the export, or correct the column name declared for it",
        )
    ]


def _repeated_header(export: SurveyExport, header: str) -> Problem:
    """The problem of a declared header that heads several columns (two questions of one
    title): which name each column has, to declare the one meant."""
    numbers = export.repeated[header]
    names = "; ".join(f"'{header} ({k})' for column {n}" for k, n in enumerate(numbers, 1))
    return Problem(
        file=export.file,
        row=1,
        field=header,
        expected="unique column names",
        found=f"{header!r} in columns {' and '.join(map(str, numbers))}",
        fix=f"declare the one meant by its numbered name ({names})",
    )


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
    >>> typed["age"].tolist()[:1], log.to_frame()["rule"][0], problems
    ([30.0], 'number: spaces, unit or full-width digits removed', [])
    """
    redacted: Counter = Counter()
    columns: dict[str, Any] = {}
    read: list[_Column] = []
    for s in spec.specs:
        column = where[s.name]
        if isinstance(column, list):
            done = _read_option_columns(s, body, column, missing, table.tool.startswith("SurveyMonkey"))
        else:
            done = _read_column(s, body[column], missing, key, redacted)
        columns[s.name] = done.values.array.take(done.codes)
        read.append(done)
    problems = _log_changes(read, body.index.to_numpy(dtype=np.int64), spec, table.file, log)
    return pd.DataFrame(columns, index=body.index), redacted, problems


def _read_column(s: FieldSpec, cells: pd.Series, missing: tuple[str, ...], key: DeidKey, redacted: Counter) -> _Column:
    """One column, each distinct cell read (and, for free text, de-identified) once: the
    plainly written ones together, the others one by one."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    plain = read_plain(s, uniques, missing)
    rest = np.flatnonzero(~plain.plain)
    raws = uniques.take(rest).tolist()
    if s.type == "text":
        raws = _deidentify_cells(raws, np.bincount(codes, minlength=len(uniques))[rest], key, redacted)
    values: list[Any] = []
    notes: dict[int, _Note] = {}
    for j, raw in zip(rest.tolist(), raws, strict=True):
        value, rule, expected = parse_cell(s, raw, missing)
        values.append(value)
        if rule or expected:
            notes[j] = _note(value, rule, expected, raw)
    for j in np.flatnonzero(plain.changed).tolist():
        notes[j] = _note(int(plain.values[j]), _NUMBER_RULE, None, uniques[j])
    return _Column(codes, _typed(s.type, rest, values, plain), notes)


def _typed(kind: str, rest: np.ndarray, values: list[Any], plain: PlainCells) -> pd.Series:
    """The distinct cells' values (plain ones from ``plain``, the others ``values``, in the
    order of ``rest``) typed as pandas types a column holding them."""
    if len(rest) == len(plain.plain):
        return pd.Series(values, dtype=None if values else object)
    if kind == "datetime":  # dates (Timestamps) or None: datetime64[us]
        stamps = plain.values.copy()
        for j, value in zip(rest.tolist(), values, strict=True):
            if value is not None:
                stamps[j] = value.to_datetime64()
        return pd.Series(stamps)
    if not len(rest):  # whole numbers, as pandas infers them from Python ints
        return pd.Series(plain.values)
    merged = np.empty(len(plain.plain), dtype=object)
    merged[plain.plain] = plain.values[plain.plain]  # as Python ints
    merged[rest] = pd.Series(values, dtype=object).to_numpy()
    return pd.Series(merged.tolist())


def _deidentify_cells(texts: list[str], cells: np.ndarray, key: DeidKey, redacted: Counter) -> list[str]:
    """Each distinct text de-identified, the identifiers replaced counted once per cell
    (``cells``: how many cells hold each text)."""
    out, found = deidentify_column(texts, key)
    for j, replaced in enumerate(found):
        for kind, n in replaced.items():
            redacted[kind] += n * int(cells[j])
    return out


def _read_option_columns(
    s: FieldSpec, body: pd.DataFrame, column: list[tuple[str, str]], missing: tuple[str, ...], any_mark: bool
) -> _Column:
    """A multi field written one column per option, each distinct combination of marks read once."""
    names = "; ".join(c for _, c in column)
    seen: dict[tuple[str, ...], int] = {}
    codes: list[int] = []
    values: list[Any] = []
    notes: dict[int, _Note] = {}
    for marks in zip(*(body[c].tolist() for _, c in column), strict=True):
        code = seen.get(marks)
        if code is None:
            cells = [(o, c, m) for (o, c), m in zip(column, marks, strict=True)]
            value, rule, expected = parse_option_columns(s, cells, missing, any_mark=any_mark)
            before = ", ".join(f"{c}={m}" for _, c, m in cells if normalise_label(m) not in UNTICKED)
            code = seen[marks] = len(values)
            values.append(value)
            if rule or expected:
                notes[code] = _note(value, rule, expected, (names, before))
        codes.append(code)
    return _Column(np.array(codes, dtype=np.intp), pd.Series(values, dtype=None if values else object), notes)


def _note(value: Any, rule: str | None, expected: str | None, cell: str | tuple[str, str]) -> _Note:
    """What the log shows of a changed cell, or what a problem says of a cell that cannot be read."""
    if expected:
        return None, None, expected, f"columns {cell[0]}" if isinstance(cell, tuple) else repr(cell)
    return show_value(value), rule, None, show_value(cell[1] if isinstance(cell, tuple) else cell)


def _log_changes(read: list[_Column], rows: np.ndarray, spec: Fields, shown: str, log: CleaningLog) -> list[Problem]:
    """Log every change of the columns ``read`` (``rows``: the export's row of each position),
    row by row and, within a row, field by field; a Problem for each cell that cannot be read."""
    notes: list[_Note] = []
    positions, fields, which = [], [], []
    for i, column in enumerate(read):
        flagged = np.array(sorted(column.notes), dtype=np.intp)
        local = np.full(len(column.values), -1, dtype=np.intp)
        local[flagged] = np.arange(len(notes), len(notes) + len(flagged))
        notes += [column.notes[j] for j in flagged.tolist()]
        note = local[column.codes]
        pos = np.flatnonzero(note >= 0)
        positions.append(pos)
        fields.append(np.full(len(pos), i, dtype=np.intp))
        which.append(note[pos])
    if not notes:
        return []
    pos, field, note = (np.concatenate(parts) for parts in (positions, fields, which))
    order = np.lexsort((field, pos))
    pos, field, note = pos[order], field[order], note[order]
    problem = np.array([n[2] is not None for n in notes], dtype=bool)[note]
    problems = [
        Problem(
            file=shown,
            row=int(rows[p]),
            field=spec.specs[f].column,
            expected=notes[n][2],
            found=notes[n][3],
            fix=parse_fix(spec.specs[f], spec.file),
        )
        for p, f, n in zip(pos[problem].tolist(), field[problem].tolist(), note[problem].tolist(), strict=True)
    ]
    change, names = note[~problem], [s.column for s in spec.specs]
    log.add_changes(
        rows[pos[~problem]],
        _texts(names, field[~problem]),
        _texts([n[3] for n in notes], change),
        _texts([n[0] for n in notes], change),
        _texts([n[1] for n in notes], change),
    )
    return problems


def _texts(texts: list[Any], take: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``texts`` at the positions ``take``, as pandas' text array."""
    return pd.array(texts, dtype="str").take(take)
