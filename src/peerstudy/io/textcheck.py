"""Recognise bytes that are not the text a reader expects: binary files renamed, UTF-16
(with or without a byte order mark), and NUL bytes in otherwise good text.

Used by :mod:`peerstudy.io.readers` before a file is decoded, so that such a file is
refused with a message naming what it really is rather than a decoding error.

Examples
--------
>>> refuse_binary(b"%PDF-1.7 ...", "paper.csv", "a CSV file")
Traceback (most recent call last):
...
peerstudy.errors.InputError: paper.csv: expected a CSV file, found binary content (a PDF document), not text. Fix: export the file as text (CSV/TXT/YAML) rather than renaming it.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

from peerstudy.errors import InputError, Problem

__all__ = ["refuse_binary", "refuse_nul"]

# Byte patterns that show a file is not text, and what to call it in a message.
_BINARY_MAGIC = {
    b"PK\x03\x04": "a zip archive, e.g. a .docx, .xlsx or .qdpx file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Office document (.doc, .xls)",
    b"\x1f\x8b": "a gzip archive",
    b"$FL2": "an SPSS data file (.sav)",
    b"$FL3": "an SPSS data file (.zsav)",
    b"<stata_dta>": "a Stata data file (.dta)",
}
#: Files of a statistics program: the export a survey tool also writes as CSV.
_STATISTICS = (b"$FL2", b"$FL3", b"<stata_dta>")


# Files of a program, recognised by their suffix (and a zip or old Office signature): what
# they are, and how to save them as text.
_EXCEL = ("an Excel workbook", "Excel as 'CSV UTF-8 (Comma delimited) (*.csv)'")
_WORD = ("a Word document", "Word as 'Plain Text (*.txt)', encoding Unicode (UTF-8)")
_SAVED_AS = {
    **dict.fromkeys(("xlsx", "xlsm", "xls"), _EXCEL),
    "ods": ("a LibreOffice spreadsheet", "LibreOffice Calc as 'Text CSV (.csv)', character set UTF-8"),
    **dict.fromkeys(("docx", "doc"), _WORD),
}


def refuse_binary(data: bytes, shown: str, what: str) -> None:
    """Refuse ``data`` that starts like a binary file (a zip, PDF, image, old Office
    document, gzip archive): a file renamed rather than exported as text.

    Parameters
    ----------
    data
        The file's bytes (only the first few are looked at).
    shown
        The file as named in the message.
    what
        What the file should be, as named in the message.

    Raises
    ------
    InputError
        The bytes start with the signature of a binary format, which the message names.

    Examples
    --------
    >>> refuse_binary(b"id,answer\\n", "export.csv", "a CSV file")
    >>> refuse_binary(b"PK\\x03\\x04...", "export.csv", "a CSV file")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: export.csv: expected a CSV file, found binary content (a zip archive, e.g. a .docx, .xlsx or .qdpx file), not text. Fix: export the file as text (CSV/TXT/YAML) rather than renaming it.
    >>> refuse_binary(b"$FL2@(#) IBM SPSS STATISTICS", "export.sav", "a CSV file")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: export.sav: expected a CSV file, found an SPSS data file (.sav), not text. Fix: export the data as CSV from the survey tool (or from the statistics program), and name that file.
    >>> refuse_binary(b"PK\\x03\\x04...", "coder-a.xlsx", "a CSV file")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: coder-a.xlsx: expected a CSV file, found an Excel workbook, not text. Fix: save it from Excel as 'CSV UTF-8 (Comma delimited) (*.csv)', and name that file.
    """
    kind = next((k for magic, k in _BINARY_MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        return
    suffix = shown.rsplit(".", 1)[-1].lower() if "." in shown.rsplit("/", 1)[-1] else ""
    saved_as = _SAVED_AS.get(suffix) if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) else None
    if saved_as:  # the program's own file, named as such: say how to save it as text
        found, fix = f"{saved_as[0]}, not text", f"save it from {saved_as[1]}, and name that file"
    elif data.startswith(_STATISTICS):  # SPSS or Stata data: the tool that made it also writes CSV
        found = f"{kind}, not text"
        fix = "export the data as CSV from the survey tool (or from the statistics program), and name that file"
    else:
        found, fix = (
            f"binary content ({kind}), not text",
            "export the file as text (CSV/TXT/YAML) rather than renaming it",
        )
    raise InputError(Problem(file=shown, expected=what, found=found, fix=fix))


def _utf16_without_bom(data: bytes) -> str | None:
    """``"UTF-16-LE"``/``"UTF-16-BE"`` if ``data`` reads as UTF-16 text without a byte
    order mark, else None: it decodes strictly, holds no NUL character once decoded, is
    printable, and has spaces or line breaks (read in the wrong byte order, ``" "`` and
    ``"\\n"`` become U+2000 and U+0A00, so the wrong order never passes).

    Examples
    --------
    >>> _utf16_without_bom("名前: 山田\\n".encode("utf-16-le")), _utf16_without_bom("a b\\n".encode("utf-16-be"))
    ('UTF-16-LE', 'UTF-16-BE')
    >>> _utf16_without_bom(b"a\\x00b\\x00\\x00\\x00\\x00")
    """
    if len(data) < 4 or len(data) % 2:
        return None
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if "\x00" in text or not (" " in text or "\n" in text):
            continue
        sample = text[:20000]
        if sum(c.isprintable() or c in "\r\n\t" for c in sample) >= 0.95 * len(sample):
            return name.upper()
    return None


def refuse_nul(data: bytes, shown: str, what: str, name: str, resave: str, row_of: Callable[[str], int]) -> None:
    """Refuse text with NUL bytes anywhere: UTF-16 (with or without a byte order mark),
    binary content, or a damaged file (a NUL deep inside otherwise good text).

    Parameters
    ----------
    data
        The file's bytes.
    shown
        The file as named in the message.
    what
        What the file should be, as named in the message.
    name
        The encoding expected (``"UTF-8"``), as named in the message.
    resave
        The fix offered for text in another encoding.
    row_of
        The row (line, or CSV record) in which a text prefix ends, for a NUL deep in the file.

    Examples
    --------
    >>> refuse_nul("a b\\n".encode("utf-16"), "notes.txt", "a text file", "UTF-8", "re-save it", len)
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: notes.txt: expected text encoded as UTF-8, found text encoded as UTF-16 (it starts with a UTF-16 byte order mark). Fix: re-save it.
    """
    utf16 = (
        "UTF-16 (it starts with a UTF-16 byte order mark)"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        else None
    )
    at = data.find(b"\x00")
    if utf16 is None and at >= 0:
        found = _utf16_without_bom(data)
        if found:
            utf16 = f"{found} (without a byte order mark)"
        elif at < 4096:
            raise InputError(
                Problem(
                    file=shown,
                    expected=what,
                    found="binary content (zero bytes), not text",
                    fix="export the file as text (CSV/TXT/YAML) rather than renaming it",
                )
            )
        else:
            row = row_of(data[:at].decode("utf-8", errors="replace"))
            raise InputError(
                Problem(
                    file=shown,
                    row=row,
                    expected=f"{what} without NUL (zero) bytes",
                    found=f"a NUL byte at byte {at:,}",
                    fix="the file is damaged or not entirely text: re-export it from the program "
                    "that made it (and check that line in the original)",
                )
            )
    if utf16:
        raise InputError(
            Problem(file=shown, expected=f"text encoded as {name}", found=f"text encoded as {utf16}", fix=resave)
        )
