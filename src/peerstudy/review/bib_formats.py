"""Recognise the format of a bibliographic export and parse it with the right parser.

The formats :func:`peerstudy.review.bibliography.read_export` reads are listed in
:data:`FORMAT_NAMES`. :func:`detect_format` recognises one from the first lines of the
text; :func:`choose_format` weighs that against the format declared for the file;
:func:`parse_export` hands the text to the format's parser (:mod:`peerstudy.review.bib_tagged`,
:mod:`peerstudy.review.bib_markup`, :mod:`peerstudy.review.bib_tables`) and returns its
records with the function that maps one to a row (:mod:`peerstudy.review.bib_rows`).

Examples
--------
>>> detect_format("TY  - JOUR\\nTI  - A\\nER  - \\n"), detect_format("PT\\tAU\\tTI\\tSO\\nJ\\tX\\tY\\tZ\\n")
('ris', 'wos-tab')
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from peerstudy.config import resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.readers import read_text
from peerstudy.review.bib_markup import parse_bibtex, parse_endnote_xml
from peerstudy.review.bib_rows import map_bibtex, map_endnote, map_medline, map_ris, map_wos
from peerstudy.review.bib_tables import (
    CSV_FLAVOURS,
    WOS_TAB_COLUMNS,
    check_mapping,
    detect_csv_flavour,
    map_csv_row,
    parse_wos_tab,
    split_csv,
)
from peerstudy.review.bib_tagged import BETWEEN_RECORDS, parse_medline, parse_ris, parse_wos, split_lines

__all__ = ["FORMATS", "FORMAT_NAMES", "Parsed", "choose_format", "detect_format", "parse_export", "read_export_text"]

#: Export formats :func:`peerstudy.review.bibliography.read_export` reads (``format`` may be left out:
#: it is recognised).
FORMAT_NAMES = {
    "medline": "MEDLINE/PubMed export",
    "ris": "RIS export",
    "wos": "Web of Science plain-text export",
    "wos-tab": "Web of Science tab-delimited export",
    "bibtex": "BibTeX file",
    "endnote-xml": "EndNote XML export",
    "csv": "CSV export",
}
FORMATS = tuple(FORMAT_NAMES)

_BIBTEX_START = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)
_OVID_NUMBER = re.compile(r"^(?:\d+\.|<\d+>)$")


# ------------------------------------------------------------------------ recognising formats
def _first_lines(text: str, n: int = 5) -> list[str]:
    lines = []
    for line in split_lines(text[:20000]):
        stripped = line.strip().lstrip("\ufeff")
        if stripped and not (_OVID_NUMBER.match(stripped) or BETWEEN_RECORDS.match(stripped)):
            lines.append(line.lstrip("\ufeff").rstrip())
        if len(lines) >= n:
            break
    return lines


def detect_format(text: str) -> str | None:
    """The export format of ``text`` (one of :data:`FORMATS`), or ``None`` if unknown.

    Examples
    --------
    >>> detect_format("PMID- 1\\nTI  - A\\n"), detect_format("FN Clarivate Analytics Web of Science\\nVR 1.0\\n")
    ('medline', 'wos')
    >>> detect_format("@article{a, title={A}}"), detect_format("Title,Year\\nA,2001\\n"), detect_format("hello")
    ('bibtex', 'csv', None)
    """
    lines = _first_lines(text)
    if not lines:
        return None
    first = lines[0]
    if first.lstrip().startswith("<"):
        return "endnote-xml" if re.search(r"<records?[\s>]", text[:20000]) else None
    if first.startswith("TY  -"):
        return "ris"
    if re.match(r"^(FN|VR) ", first) or re.match(r"^PT [A-Z]\s*$", first):
        return "wos"
    if re.match(r"^[A-Z][A-Z0-9]{1,3} *- ", first[:6]) and len(first) > 4 and first[4] == "-":
        return "medline"
    if _BIBTEX_START.search(text[:20000]):  # after any preamble (JabRef's "% Encoding", Mendeley's notice)
        return "bibtex"
    cells = [c.strip().strip('"') for c in first.split("\t")]
    if len(cells) > 3 and all(tag in cells for tag in WOS_TAB_COLUMNS):
        return "wos-tab"
    if "," in first or (first.startswith("About the data") and len(lines) > 1 and "," in lines[1]):
        return "csv"
    return None


def choose_format(text: str, declared: str | None, *, file: str) -> str:
    """The format to read ``text`` as: the one declared, or else the one recognised.

    Parameters
    ----------
    text
        The export's text.
    declared
        The format declared for the file (one of :data:`FORMATS`), or None.
    file
        The file as named in messages.

    Raises
    ------
    InputError
        The text is recognised as another format than the one declared (the message
        names both), or no format is declared and none is recognised.

    Examples
    --------
    >>> choose_format("TY  - JOUR\\nER  - \\n", None, file="x.ris")
    'ris'
    >>> choose_format("TY  - JOUR\\nER  - \\n", "medline", file="x.ris")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: x.ris, field 'format': expected a MEDLINE/PubMed export (the format declared), found a RIS export. Fix: declare format: ris for this export (or leave the format out to have it recognised), or check that this is the file meant.
    """
    found = detect_format(text)
    if declared and found and found != declared:
        raise InputError(
            Problem(
                file=file,
                field="format",
                expected=f"a {FORMAT_NAMES[declared]} (the format declared)",
                found=f"a {FORMAT_NAMES[found]}",
                fix=f"declare format: {found} for this export (or leave the format out to have it "
                "recognised), or check that this is the file meant",
            )
        )
    fmt = declared or found
    if fmt is None:
        first = _first_lines(text, 1)
        raise InputError(
            Problem(
                file=file,
                expected=f"a bibliographic export ({', '.join(FORMAT_NAMES.values())})",
                found="text in none of these formats, starting " + repr(first[0][:60] if first else ""),
                fix="export the records again in one of these formats, or declare a CSV's columns",
            )
        )
    return fmt


def read_export_text(path: str | os.PathLike[str], *, what: str) -> str:
    """The text of an export; UTF-16 with a byte order mark (older Web of Science
    tab-delimited exports) is read too, any other encoding than UTF-8 is refused.

    Parameters
    ----------
    path
        The export (absolute, or relative to the project root).
    what
        How the file is described in error messages.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tab = pathlib.Path(tempfile.mkdtemp()) / "savedrecs.txt"
    >>> _ = tab.write_bytes("PT\\tAU\\tTI\\nJ\\tØdegård, Å\\tPeer work\\n".encode("utf-16"))
    >>> read_export_text(tab, what="a bibliographic export").splitlines()[1]
    'J\\tØdegård, Å\\tPeer work'
    """
    p = resolve_input(path)
    if p.is_file():
        with open(p, "rb") as handle:
            head = handle.read(2)
        if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return read_text(p, encoding="utf-16", what=what)
    return read_text(p, what=what)


# ------------------------------------------------------------------------ parsing
Parsed = tuple[list[Any], Callable[[Any], dict[str, Any]]]


def _parse_medline(text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    return parse_medline(text, file=file), map_medline


def _parse_ris(text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    return parse_ris(text, file=file), map_ris


def _parse_wos(text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    return parse_wos(text, file=file), map_wos


def _parse_wos_tab(text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    return parse_wos_tab(text, file=file), map_wos


def _parse_bibtex(text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    return parse_bibtex(text, file=file), map_bibtex


def _parse_endnote(text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    return parse_endnote_xml(text, file=file), map_endnote


def _parse_csv(text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    header, body = split_csv(text, file=file)
    if export.get("columns") is not None:
        mapping: Mapping[str, Any] = check_mapping(export["columns"], header, file=file)
        separator = str(export.get("author_separator", ";"))
    else:
        flavour = detect_csv_flavour(header)
        if flavour is None:
            raise InputError(
                Problem(
                    file=file,
                    row=1,
                    field="columns",
                    expected=f"the columns of a known CSV export ({', '.join(CSV_FLAVOURS)}) or a declared mapping",
                    found=f"columns {', '.join(map(repr, header[:10]))}" + (" ..." if len(header) > 10 else ""),
                    fix="declare the export's columns (columns: {title: ..., year: ..., ...}) in the study's YAML file",
                )
            )
        mapping = {
            f: [c for c in ([cols] if isinstance(cols, str) else cols) if c in header]
            for f, cols in CSV_FLAVOURS[flavour]["columns"].items()
        }
        mapping = {f: cols for f, cols in mapping.items() if cols}
        if "pages" in mapping and len(mapping["pages"]) == 1:
            mapping["pages"] = mapping["pages"][0]
        for field in ("title", "journal"):  # alternatives, not parts: the first column present
            if isinstance(mapping.get(field), list):
                mapping[field] = mapping[field][0]
        separator = CSV_FLAVOURS[flavour]["authors_sep"]
    return body, lambda row: map_csv_row(row[1], header, mapping, line=row[0], authors_sep=separator)


_PARSERS: dict[str, Callable[[str, str, Mapping[str, Any]], Parsed]] = {
    "medline": _parse_medline,
    "ris": _parse_ris,
    "wos": _parse_wos,
    "wos-tab": _parse_wos_tab,
    "bibtex": _parse_bibtex,
    "endnote-xml": _parse_endnote,
    "csv": _parse_csv,
}


def parse_export(fmt: str, text: str, file: str, export: Mapping[str, Any]) -> Parsed:
    """The records of ``text`` read as format ``fmt``, and the function that maps one to a row.

    Parameters
    ----------
    fmt
        One of :data:`FORMATS`.
    text
        The export's text.
    file
        The file as named in messages.
    export
        The export's declaration (a CSV's ``columns`` and ``author_separator``).

    Examples
    --------
    >>> records, mapper = parse_export("ris", "TY  - JOUR\\nTI  - Peer work\\nER  - \\n", "x.ris", {})
    >>> len(records), mapper(records[0])["title"]
    (1, 'Peer work')
    """
    return _PARSERS[fmt](text, file, export)
