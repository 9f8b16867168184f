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

import csv
import io
import os
from collections.abc import Iterable
from typing import Any

import pandas as pd
import yaml

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem

__all__ = ["MAX_INPUT_BYTES", "read_text", "read_csv_table", "read_yaml"]

#: Inputs larger than this are refused with a clear message rather than read.
MAX_INPUT_BYTES = 200 * 1024 * 1024

# Byte patterns that show a file is not text (zip, PDF, images, OLE documents).
_BINARY_MAGIC = (b"PK\x03\x04", b"%PDF", b"\x89PNG", b"\xd0\xcf\x11\xe0", b"\xff\xd8\xff")


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
    """
    p = resolve_input(path)
    shown = relative_to_root(p)
    where = f"the parameter {parameter!r} in the study's YAML file" if parameter else "the path"
    if not p.is_file():
        raise InputError(Problem(file=shown, expected=what, found="no such file",
                                 fix=f"check {where}, or add the file"))
    size = p.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise InputError(Problem(file=shown, expected=f"{what} of at most {MAX_INPUT_BYTES // 2**20} MiB",
                                 found=f"{size / 2**20:.0f} MiB",
                                 fix="split the file, or raise peerstudy.readers.MAX_INPUT_BYTES deliberately"))
    data = p.read_bytes()
    if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(Problem(file=shown, expected=what, found="binary content (not text)",
                                 fix="export the file as text (CSV/TXT/YAML) rather than renaming it"))
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(Problem(file=shown, row=line, expected=f"text encoded as {encoding}",
                                 found=f"byte {data[exc.start:exc.start + 1]!r} that is not valid {encoding}",
                                 fix=f"re-export or re-save the file as {encoding.replace('-sig', '')}")) from None
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
    text = read_text(path, encoding=encoding, what="a CSV file", parameter=parameter)
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
                                 expected="valid YAML", found=str(getattr(exc, "problem", exc)),
                                 fix="correct the YAML syntax at that line")) from None
