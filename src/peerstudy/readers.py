"""Read input files at the project's boundary, with clear errors and row numbers kept.

Every reader returns plain pandas objects and raises :class:`~peerstudy.errors.InputError`
naming the file (and row and field where it can) when the file is missing, unreadable,
empty, or lacks what the caller declared as required. Raw files are opened read-only and
never written.

Rows are numbered as a spreadsheet program shows them: 1-based, header rows counted, one
row per record even when a quoted cell spans several lines.

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

import codecs
import csv
import io
import os
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import yaml

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem

__all__ = ["MAX_INPUT_BYTES", "check_size", "read_text", "read_csv_table", "read_yaml"]

#: Inputs larger than this are refused with a clear message rather than read.
MAX_INPUT_BYTES = 200 * 1024 * 1024

# Byte patterns that show a file is not text, and what to call it in a message.
_BINARY_MAGIC = {
    b"PK\x03\x04": "a zip archive, e.g. a .docx, .xlsx or .qdpx file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Office document (.doc, .xls)",
    b"\x1f\x8b": "a gzip archive",
}
_UTF8 = ("utf-8", "utf-8-sig", "utf8")


def _size(n: int) -> str:
    """A file size for messages: exact bytes below 1 MiB, else MiB.

    Examples
    --------
    >>> _size(2000), _size(200 * 2**20), _size(int(250.25 * 2**20))
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
    >>> from peerstudy import readers
    >>> saved, readers.MAX_INPUT_BYTES = readers.MAX_INPUT_BYTES, 1000
    >>> try:
    ...     check_size(big, what="a CSV file")
    ... finally:
    ...     readers.MAX_INPUT_BYTES = saved
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: .../big.csv: expected a CSV file of at most 1,000 bytes (peerstudy.readers.MAX_INPUT_BYTES), found 3,000 bytes. Fix: split the file into smaller ones; or, if it really is this large, raise peerstudy.readers.MAX_INPUT_BYTES before running the stage.
    """
    p = resolve_input(path)
    size = p.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(Problem(file=relative_to_root(p),
                                 expected=f"{what} of at most {_size(MAX_INPUT_BYTES)} (peerstudy.readers.MAX_INPUT_BYTES)",
                                 found=_size(size),
                                 fix="split the file into smaller ones; or, if it really is this large, "
                                     "raise peerstudy.readers.MAX_INPUT_BYTES before running the stage"))


def _utf16_without_bom(data: bytes) -> str | None:
    """``"UTF-16-LE"``/``"UTF-16-BE"`` if ``data`` reads as UTF-16 text without a byte
    order mark (mostly ASCII, so every other byte is zero), else None."""
    whole = data[: len(data) - len(data) % 2]
    sample = whole[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) == 0:
            try:
                whole.decode(name)
            except UnicodeDecodeError:
                return None
            return name.upper()
    return None


def _line_of(prefix: str) -> int:
    return prefix.count("\n") + 1


def _csv_row_of(prefix: str) -> int:
    """Spreadsheet row of the CSV record in which ``prefix`` ends (a quoted cell may
    span several lines)."""
    try:
        return sum(1 for _ in csv.reader(io.StringIO(prefix + "x", newline="")))
    except csv.Error:
        return _line_of(prefix)


def read_text(path: str | os.PathLike[str], *, encoding: str = "utf-8-sig",
              what: str = "a text file", parameter: str | None = None) -> str:
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


def _read_text(path: str | os.PathLike[str], *, encoding: str, what: str, parameter: str | None,
               row_of: Callable[[str], int]) -> str:
    p = resolve_input(path)
    shown = relative_to_root(p)
    where = f"the parameter {parameter!r} in the study's YAML file" if parameter else "the path"
    if not p.is_file():
        raise InputError(Problem(file=shown, expected=what, found="no such file",
                                 fix=f"check {where}, or add the file"))
    check_size(p, what=what)
    data = p.read_bytes()
    name = _encoding_name(encoding)
    resave = f"re-save the file as {name}" + (" (Excel: Save As 'CSV UTF-8'; a text editor: encoding UTF-8)"
                                             if name == "UTF-8" else "")
    kind = next((k for magic, k in _BINARY_MAGIC.items() if data.startswith(magic)), None)
    if kind:
        raise InputError(Problem(file=shown, expected=what, found=f"binary content ({kind}), not text",
                                 fix="export the file as text (CSV/TXT/YAML) rather than renaming it"))
    if name == "UTF-8":
        utf16 = ("UTF-16 (it starts with a UTF-16 byte order mark)"
                 if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None)
        if utf16 is None and b"\x00" in data[:4096]:
            found = _utf16_without_bom(data)
            if found is None:
                raise InputError(Problem(file=shown, expected=what, found="binary content (zero bytes), not text",
                                         fix="export the file as text (CSV/TXT/YAML) rather than renaming it"))
            utf16 = f"{found} (without a byte order mark)"
        if utf16:
            raise InputError(Problem(file=shown, expected=f"text encoded as {name}", found=f"text encoded as {utf16}",
                                     fix=resave))
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        row = row_of(data[: exc.start].decode(encoding))
        raise InputError(Problem(file=shown, row=row, expected=f"text encoded as {name}",
                                 found=f"byte {data[exc.start:exc.start + 1]!r}, which is not valid {name}",
                                 fix=f"{resave}; it is probably in an older encoding such as Windows-1252 or Latin-1"
                                 if name == "UTF-8" else resave)) from None
    if not text.strip():
        raise InputError(Problem(file=shown, expected=what, found="an empty file",
                                 fix="re-export the file; it holds no data"))
    return text


def read_csv_table(path: str | os.PathLike[str], *, header_rows: int = 1,
                   required: Iterable[str] = (), encoding: str = "utf-8-sig",
                   parameter: str | None = None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        One row per record, index = spreadsheet row number, all cells ``str``.
    """
    path = resolve_input(path)
    shown = relative_to_root(path)
    text = _read_text(path, encoding=encoding, what="a CSV file", parameter=parameter, row_of=_csv_row_of)
    records = list(csv.reader(io.StringIO(text, newline="")))
    if len(records) <= header_rows - 1 or not records:
        raise InputError(Problem(file=shown, expected=f"{header_rows} header row(s) and data",
                                 found=f"{len(records)} row(s)", fix="re-export the file"))
    header = [h.strip() for h in records[0]]
    problems = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        if name in seen:
            problems.append(Problem(file=shown, row=1, field=name, expected="unique column names",
                                    found=f"{name!r} in columns {seen[name]} and {i}",
                                    fix="rename or remove one of the two columns"))
        seen.setdefault(name, i)
    missing = [c for c in required if c not in seen]
    if missing:
        problems.append(Problem(file=shown, row=1, field=", ".join(missing),
                                expected=f"column(s) {', '.join(map(repr, missing))}",
                                found=f"columns {', '.join(map(repr, header))}",
                                fix="restore the column in the export, or correct the column name declared for it"))
    body = records[header_rows:]
    if not body:
        problems.append(Problem(file=shown, expected="at least one data row",
                                found="only the header", fix="re-export the file with its data"))
    for offset, rec in enumerate(body):
        if len(rec) > len(header):
            problems.append(Problem(file=shown, row=header_rows + offset + 1, field=None,
                                    expected=f"at most {len(header)} cells",
                                    found=f"{len(rec)} cells", fix="quote the cell that contains a comma, or remove the extra cells"))
    if problems:
        raise InputError(problems)
    rows = [(rec + [""] * len(header))[: len(header)] for rec in body]
    index = pd.RangeIndex(header_rows + 1, header_rows + 1 + len(rows), name="row")
    return pd.DataFrame(rows, columns=header, index=index, dtype=str)


def read_yaml(path: str | os.PathLike[str], *, what: str = "a YAML file",
              parameter: str | None = None) -> Any:
    """Parse a YAML file safely (no arbitrary objects), naming the line of a syntax error."""
    path = resolve_input(path)
    shown = relative_to_root(path)
    text = read_text(path, what=what, parameter=parameter)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Problem(file=shown, row=mark.line + 1 if mark else None,
                                 expected="valid YAML", found=str(getattr(exc, "problem", exc)).removeprefix("found "),
                                 fix="correct the YAML syntax at that line")) from None
