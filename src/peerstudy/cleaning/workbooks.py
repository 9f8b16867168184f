"""Read one sheet of an Excel workbook (``.xlsx``) as rows of text cells, as a CSV export would hold them.

A file named ``.xlsx`` that is missing, too large, a CSV file in disguise or a zip archive
that is not a workbook is refused with one clear error; numbers are written as typed
(``34``, not ``34.0``) and dates as ISO text.

Examples
--------
>>> cell_text(34.0), cell_text(True), cell_text(dt.date(2024, 3, 1))
('34', 'TRUE', '2024-03-01')
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import check_size

__all__ = ["DATE_FORMATS", "cell_text", "read_workbook"]

#: How :func:`cell_text` writes a cell that holds a date (with a time of day, then without):
#: a survey's datetime field reads them besides its declared formats, which describe the
#: dates as the export shows them (see :func:`peerstudy.cleaning.clean.clean_export`).
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def read_workbook(path: Path, shown: str, sheet: str | None, parameter: str | None) -> list[list[str]]:
    """The cells of one sheet (``sheet``, default the first) as text (numbers as written,
    dates as ISO), trailing empty rows left out; ``shown`` names the file in messages and
    ``parameter`` is the study parameter that points at it.

    Raises
    ------
    InputError
        The file is missing, too large, not a workbook, or the sheet is absent or empty.

    Examples
    --------
    >>> try:
    ...     read_workbook(Path("no-such.xlsx"), "no-such.xlsx", None, None)
    ... except InputError as exc:
    ...     print(exc.problems[0].found)
    no such file
    """
    from openpyxl import load_workbook

    _check_workbook_file(path, shown, parameter)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            Problem(
                file=shown,
                expected="an Excel workbook (.xlsx)",
                found=f"a zip archive that is not a workbook ({type(exc).__name__})",
                fix="save the file again from Excel as 'Excel Workbook (.xlsx)'",
            )
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                Problem(
                    file=shown,
                    field="sheet",
                    expected=f"one of the sheets {book.sheetnames}",
                    found=repr(sheet),
                    fix="correct 'sheet' in the fields file",
                )
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        records = [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    while records and not any(records[-1]):
        records.pop()
    if not records:
        raise InputError(
            Problem(
                file=shown,
                field=ws.title,
                expected="a sheet with a header and answers",
                found="an empty sheet",
                fix="choose the sheet that holds the export",
            )
        )
    return records


def _check_workbook_file(path: Path, shown: str, parameter: str | None) -> None:
    """Refuse a missing or too large workbook, or a file named .xlsx that is not a zip archive."""
    if not path.is_file():
        where = f"the parameter {parameter!r} in the study's YAML file" if parameter else "the path"
        raise InputError(
            Problem(
                file=shown,
                expected="an Excel workbook (.xlsx)",
                found="no such file",
                fix=f"check {where}, or add the file",
            )
        )
    check_size(path, what="an Excel workbook")
    with open(path, "rb") as fh:
        start = fh.read(4096)
    if not start.startswith(b"PK\x03\x04"):
        found = "text (it is a CSV file named .xlsx)" if _looks_like_text(start) else "neither a zip archive nor text"
        raise InputError(
            Problem(
                file=shown,
                expected="an Excel workbook (.xlsx, a zip archive)",
                found=found,
                fix="rename the file to .csv if it is a CSV export, or save it from Excel as 'Excel Workbook (.xlsx)'",
            )
        )


def _looks_like_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold.

    Examples
    --------
    >>> cell_text(34.0), cell_text(0.5), cell_text(None), cell_text(dt.datetime(2024, 3, 1, 9, 5))
    ('34', '0.5', '', '2024-03-01 09:05:00')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime(DATE_FORMATS[0]) if value.time() != dt.time() else value.strftime(DATE_FORMATS[1])
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
