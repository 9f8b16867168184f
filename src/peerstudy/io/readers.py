"""Read text and CSV files at the project's boundary, with clear errors and row numbers kept.

Every reader returns plain pandas objects and raises :class:`~peerstudy.errors.InputError`
naming the file (and row and field where it can) when the file is missing, unreadable,
empty, or lacks what the caller declared as required. Raw files are opened read-only and
never written.

Rows are numbered as a spreadsheet program shows them: 1-based, header rows counted, one
row per record even when a quoted cell spans several lines. YAML files are read by
:mod:`peerstudy.io.yamlfiles` (through :func:`read_text`); bytes that are not text are
recognised by :mod:`peerstudy.io.textcheck`.

Examples
--------
>>> import tempfile, pathlib
>>> tmp = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
>>> _ = tmp.write_bytes('\\ufeffid,answer\\r\\n1,"two\\r\\nlines"\\r\\n2,plain\\r\\n'.encode("utf-8"))
>>> table = read_csv_table(tmp, required=["id", "answer"])
>>> table.loc[3, "answer"]
'plain'
>>> list(table.index)
[2, 3]
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.textcheck import refuse_binary, refuse_nul

if TYPE_CHECKING:  # pandas is imported by read_csv_table alone: reading YAML or text must not load it
    import pandas as pd

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_TABLE_CELLS",
    "check_size",
    "format_size",
    "read_text",
    "read_csv_table",
]

#: Inputs larger than this are refused with a clear message rather than read.
MAX_INPUT_BYTES = 200 * 1024 * 1024

_UTF8 = ("utf-8", "utf-8-sig", "utf8")


def format_size(n: int) -> str:
    """A file size for messages: exact bytes below 1 MiB, else MiB.

    Examples
    --------
    >>> format_size(2000), format_size(200 * 2**20), format_size(int(250.25 * 2**20))
    ('2,000 bytes', '200 MiB', '250.2 MiB')
    """
    if n < 2**20:
        return f"{n:,} bytes"
    return f"{n / 2**20:,.1f}".removesuffix(".0") + " MiB"


def _encoding_name(encoding: str) -> str:
    return "UTF-8" if encoding.lower().replace("_", "-") in _UTF8 else encoding.upper()


def check_size(path: str | os.PathLike[str], *, what: str = "a file") -> None:
    """Refuse a file larger than :data:`MAX_INPUT_BYTES` (read at call time, so a
    caller or a test may change the limit), saying the limit and how to proceed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> big = pathlib.Path(tempfile.mkdtemp()) / "big.csv"
    >>> _ = big.write_bytes(b"x" * 3000)
    >>> from peerstudy.io import readers
    >>> saved, readers.MAX_INPUT_BYTES = readers.MAX_INPUT_BYTES, 1000
    >>> try:
    ...     check_size(big, what="a CSV file")
    ... finally:
    ...     readers.MAX_INPUT_BYTES = saved
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: .../big.csv: expected a CSV file of at most 1,000 bytes (peerstudy.io.readers.MAX_INPUT_BYTES), found 3,000 bytes. Fix: split the file into smaller ones; or, if it really is this large, raise peerstudy.io.readers.MAX_INPUT_BYTES before running the stage.
    """
    p = resolve_input(path)
    size = p.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(
            Problem(
                file=relative_to_root(p),
                expected=f"{what} of at most {format_size(MAX_INPUT_BYTES)} (peerstudy.io.readers.MAX_INPUT_BYTES)",
                found=format_size(size),
                fix="split the file into smaller ones; or, if it really is this large, "
                "raise peerstudy.io.readers.MAX_INPUT_BYTES before running the stage",
            )
        )


def _line_of(prefix: str) -> int:
    return prefix.count("\n") + 1


def _csv_row_of(prefix: str) -> int:
    """Spreadsheet row of the CSV record in which ``prefix`` ends (a quoted cell may
    span several lines)."""
    try:
        return sum(1 for _ in csv.reader(io.StringIO(prefix + "x", newline="")))
    except csv.Error:
        return _line_of(prefix)


def read_text(
    path: str | os.PathLike[str],
    *,
    encoding: str = "utf-8-sig",
    what: str = "a text file",
    parameter: str | None = None,
) -> str:
    """The whole text of a file, decoded strictly.

    Parameters
    ----------
    path
        File to read: absolute, or relative to the project root (never to the
        working directory).
    encoding
        Expected encoding. ``utf-8-sig`` accepts UTF-8 with or without a BOM.
    what
        How the file is described in error messages.
    parameter
        Name of the study parameter that points at the file, used in the fix hint.

    Raises
    ------
    InputError
        The file is missing, larger than :data:`MAX_INPUT_BYTES`, binary (a zip,
        PDF, image, ... renamed), in another encoding (UTF-16 with or without a byte
        order mark, Latin-1: the row of the first bad byte is named), or empty.
    """
    return _read_text(path, encoding=encoding, what=what, parameter=parameter, row_of=_line_of)


def _read_text(
    path: str | os.PathLike[str], *, encoding: str, what: str, parameter: str | None, row_of: Callable[[str], int]
) -> str:
    p = resolve_input(path)
    shown = relative_to_root(p)
    where = f"the parameter {parameter!r} in the study's YAML file" if parameter else "the path"
    if not p.is_file():
        raise InputError(
            Problem(file=shown, expected=what, found="no such file", fix=f"check {where}, or add the file")
        )
    check_size(p, what=what)
    data = p.read_bytes()
    name = _encoding_name(encoding)
    resave = f"re-save the file as {name}" + (
        " (Excel: Save As 'CSV UTF-8'; a text editor: encoding UTF-8)" if name == "UTF-8" else ""
    )
    refuse_binary(data, shown, what)
    if name == "UTF-8":
        refuse_nul(data, shown, what, name, resave, row_of)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        row = row_of(data[: exc.start].decode(encoding))
        raise InputError(
            Problem(
                file=shown,
                row=row,
                expected=f"text encoded as {name}",
                found=f"byte {data[exc.start : exc.start + 1]!r}, which is not valid {name}",
                fix=f"{resave}; it is probably in an older encoding such as Windows-1252 or Latin-1"
                if name == "UTF-8"
                else resave,
            )
        ) from None
    if not text.strip():
        raise InputError(
            Problem(file=shown, expected=what, found="an empty file", fix="re-export the file; it holds no data")
        )
    return text


#: Tables (CSV exports, coder sheets) with more cells than this are refused as they are read.
#: Cleaning works by columns (each distinct answer read once), so the bound is memory: the
#: records read before the refusal are held as Python lists of strings (measured by
#: benchmarks/bench_cleaning.py --limit). At the limit reading
#: peaks at about 1.4 GiB (20,000,000 cells: 2.6 GiB); 100,000 people x 100 columns fit.
MAX_TABLE_CELLS = 10_000_000


# Lines as a file opened with newline="" gives them (ends kept: CR LF, CR or LF), found
# lazily: io.StringIO would first copy the whole text at four bytes a character.
_LINE_END = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def _csv_records(text: str, shown: str) -> list[list[str]]:
    """The records of a CSV text, refused as soon as they hold more than :data:`MAX_TABLE_CELLS`
    cells (a big export is stopped early, not read whole into memory)."""
    records: list[list[str]] = []
    cells = 0
    reader = csv.reader(m.group() for m in _LINE_END.finditer(text))
    try:
        for record in reader:
            cells += max(len(record), 1)
            if cells > MAX_TABLE_CELLS:
                raise InputError(
                    Problem(
                        file=shown,
                        row=len(records) + 1,
                        expected=f"a table of at most {MAX_TABLE_CELLS:,} cells (peerstudy.io.readers.MAX_TABLE_CELLS)",
                        found=f"more by this row ({len(text):,} characters in all)",
                        fix="split the export into smaller files (by wave or site), or drop columns "
                        "the study does not use; or, if it really is this large, raise "
                        "peerstudy.io.readers.MAX_TABLE_CELLS before running the stage",
                    )
                )
            records.append(record)
    except csv.Error as exc:
        raise InputError(
            Problem(
                file=shown,
                row=len(records) + 1,
                expected="a CSV record",
                found=f"a record the CSV reader cannot read ({exc})",
                fix="re-export the file; a cell longer than "
                f"{csv.field_size_limit():,} characters is not a survey answer",
            )
        ) from None
    return records


def _refuse_doubled_line_ends(text: str, shown: str) -> None:
    """Refuse lines that end in CR CR LF (a CRLF file converted to CRLF once more): read
    as they are, every record would be followed by an empty one."""
    end = text.find("\n")
    if end >= 2 and text[end - 2 : end] == "\r\r":
        raise InputError(
            Problem(
                file=shown,
                row=1,
                expected="lines that end in CR LF or LF",
                found="lines that end in CR CR LF (a Windows file whose line ends were converted twice)",
                fix="undo the second conversion (e.g. run `dos2unix` once on a copy), or "
                "re-export the file from the program that made it",
            )
        )


def _refuse_other_delimiters(text: str, header: list[str], shown: str) -> None:
    """Refuse a file whose header splits into more columns at semicolons or tabs than at
    commas: an export with another separator, whose columns would all seem missing."""
    line = text.split("\n", 1)[0].rstrip("\r")
    for sep, name, why in (
        (";", "semicolons (';')", "semicolons are what Excel writes where the decimal mark is a comma"),
        ("\t", "tabs", "this is a tab-separated export (.tsv, or Excel 'Unicode Text')"),
    ):
        columns = len(next(csv.reader([line], delimiter=sep), []))
        if columns > len(header):
            raise InputError(
                Problem(
                    file=shown,
                    row=1,
                    expected="values separated by commas (CSV)",
                    found=f"values separated by {name}: {columns} columns split there, {len(header)} split at commas",
                    fix=f"re-export the file as comma-separated CSV (Excel: Save As 'CSV UTF-8 "
                    f"(Comma delimited)'); {why}",
                )
            )


def _header_problems(header: list[str], required: Iterable[str], shown: str) -> list[Problem]:
    """Column names given twice, and required columns missing, in a CSV header."""
    problems = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        if name in seen:
            problems.append(
                Problem(
                    file=shown,
                    row=1,
                    field=name,
                    expected="unique column names",
                    found=f"{name!r} in columns {seen[name]} and {i}",
                    fix="rename or remove one of the two columns",
                )
            )
        seen.setdefault(name, i)
    missing = [c for c in required if c not in seen]
    if missing:
        problems.append(
            Problem(
                file=shown,
                row=1,
                field=", ".join(missing),
                expected=f"column(s) {', '.join(map(repr, missing))}",
                found=f"columns {', '.join(map(repr, header))}",
                fix="restore the column in the export, or correct the column name declared for it",
            )
        )
    return problems


def _body_problems(
    body: list[list[str]], width: int, header_rows: int, shown: str, *, allow_empty: bool = False
) -> list[Problem]:
    """No data rows (unless ``allow_empty``), or rows with more cells than the header has
    columns (``width``)."""
    problems = []
    if not body and not allow_empty:
        problems.append(
            Problem(
                file=shown,
                expected="at least one data row",
                found="only the header",
                fix="re-export the file with its data",
            )
        )
    for offset, rec in enumerate(body):
        if len(rec) > width:
            problems.append(
                Problem(
                    file=shown,
                    row=header_rows + offset + 1,
                    field=None,
                    expected=f"at most {width} cells",
                    found=f"{len(rec)} cells",
                    fix="quote the cell that contains a comma, or remove the extra cells",
                )
            )
    return problems


def read_csv_table(
    path: str | os.PathLike[str],
    *,
    header_rows: int = 1,
    required: Iterable[str] = (),
    encoding: str = "utf-8-sig",
    parameter: str | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """A CSV export as a table of strings indexed by spreadsheet row number.

    The first header row names the columns; further header rows (survey tools write a
    sub-header) are skipped. Cells are kept exactly as written (no stripping, no type
    guessing: cleaning decides); an empty cell is ``""``.

    Parameters
    ----------
    path
        The CSV file.
    header_rows
        How many rows at the top are headers.
    required
        Columns that must be present; all missing ones are reported together.
    encoding
        Expected encoding (default: UTF-8 with or without BOM).
    parameter
        Name of the study parameter that points at the file, for the fix hint.
    allow_empty
        Accept the header alone (a sheet that can rightly have no rows, such as the
        extraction sheet of a review that included no study); refused by default, where
        it is an export that lost its data.

    Returns
    -------
    pandas.DataFrame
        One row per record, index = spreadsheet row number, all cells ``str``.
    """
    path = resolve_input(path)
    shown = relative_to_root(path)
    text = _read_text(path, encoding=encoding, what="a CSV file", parameter=parameter, row_of=_csv_row_of)
    _refuse_doubled_line_ends(text, shown)
    records = _csv_records(text, shown)
    if len(records) <= header_rows - 1 or not records:
        raise InputError(
            Problem(
                file=shown,
                expected=f"{header_rows} header row(s) and data",
                found=f"{len(records)} row(s)",
                fix="re-export the file",
            )
        )
    _refuse_other_delimiters(text, records[0], shown)
    header = [h.strip() for h in records[0]]
    body = records[header_rows:]
    problems = _header_problems(header, required, shown)
    problems += _body_problems(body, len(header), header_rows, shown, allow_empty=allow_empty)
    if problems:
        raise InputError(problems)
    import pandas as pd

    rows = [(rec + [""] * len(header))[: len(header)] for rec in body]
    index = pd.RangeIndex(header_rows + 1, header_rows + 1 + len(rows), name="row")
    return pd.DataFrame(rows, columns=header, index=index, dtype=str)
