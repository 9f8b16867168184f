"""Read bibliographic database exports into one table of records.

A literature search ends in exports, one per database, each in the format the database
or reference manager writes. :func:`read_export` recognises the format from the content
(``{"file": path, "database": name}`` is enough) and reads:

- MEDLINE/PubMed (``.nbib``, ``.txt``);
- RIS as PubMed, Ovid, EBSCO, Scopus, Web of Science, Lens, Dimensions, Zotero, EndNote
  and Mendeley write it (Ovid's ``1.`` and link lines between records are skipped);
- Web of Science plain text (every era, any tag) and tab-delimited;
- BibTeX; EndNote XML (from EndNote, Zotero, Mendeley);
- CSV from Scopus, Lens, OpenAlex, Dimensions and Zotero by their known columns, and
  any CSV by a declared mapping (``columns``).

:func:`read_exports` reads them all into one table with the same columns
(:data:`RECORD_COLUMNS`), one row per record as exported: duplicates across databases
are kept here and found later. Each record gets a stable id ``<database>:<n>`` and keeps
the file and line (or CSV row) it came from. Identifiers are normalised
(:mod:`peerstudy.review.bib_ids`): DOIs lower case without resolver prefix, from whichever tag
holds them; PMIDs from PubMed links; ``NA``, ``N/A``, ``NULL``, ``None`` and empty
texts are missing. Print and e-publication dates are kept apart (``year``/``month`` and
``epub_year``/``epub_month``).

A record without a title or year is kept; :func:`list_record_problems` lists them
(file, line, field, what is missing) for the caller to show. A file is refused when it
is not the format declared for it (the message names both), when its structure is
broken (naming the line), or when it is no known format at all.

Examples
--------
>>> records = read_export({"file": "tests/fixtures/bib/mini.nbib", "database": "PubMed"})
>>> records.loc[0, ["record", "format", "first_author", "doi"]].tolist(), int(records.loc[0, "year"])
(['pubmed:1', 'medline', 'Ødegård, Åse', '10.5555/fixture.2008.001'], 2008)
>>> detect_format("TY  - JOUR\\nTI  - A\\nER  - \\n"), detect_format("PT\\tAU\\tTI\\tSO\\nJ\\tX\\tY\\tZ\\n")
('ris', 'wos-tab')
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.readers import read_text
from peerstudy.review.bib_ids import (
    MISSING_TEXTS,
    is_missing,
    normalise_doi,
    normalise_language,
    normalise_pmid,
    parse_date,
    slugify_database,
)
from peerstudy.review.bib_markup import map_bibtex, map_endnote, parse_bibtex, parse_endnote_xml
from peerstudy.review.bib_searchlog import check_search_log, read_search_log
from peerstudy.review.bib_tables import (
    CSV_FIELDS,
    CSV_FLAVOURS,
    WOS_TAB_COLUMNS,
    check_mapping,
    detect_csv_flavour,
    map_csv_row,
    parse_wos_tab,
    split_csv,
)
from peerstudy.review.bib_tagged import map_medline, map_ris, map_wos, parse_medline, parse_ris, parse_wos, split_lines

__all__ = [
    "CSV_FIELDS",
    "CSV_FLAVOURS",
    "FORMATS",
    "FORMAT_NAMES",
    "RECORD_COLUMNS",
    "check_search_log",
    "detect_format",
    "is_missing",
    "list_record_problems",
    "normalise_doi",
    "normalise_language",
    "normalise_pmid",
    "parse_date",
    "parse_medline",
    "parse_ris",
    "parse_wos",
    "read_csv_export",
    "read_export",
    "read_exports",
    "read_medline",
    "read_ris",
    "read_search_log",
    "read_wos",
    "slugify_database",
]

#: Columns of the records table, in order. ``year``/``month`` are the publication date
#: (the print date where the format tells them apart), ``epub_year``/``epub_month`` the
#: e-publication date where the format gives one; ``format`` is the format read.
RECORD_COLUMNS = [
    "record",
    "database",
    "source_file",
    "line",
    "type",
    "authors",
    "first_author",
    "year",
    "month",
    "title",
    "journal",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "abstract",
    "keywords",
    "affiliations",
    "language",
    "publication_type",
    "epub_year",
    "epub_month",
    "format",
]

#: Export formats :func:`read_export` reads (``format`` may be left out: it is recognised).
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

_INT_COLUMNS = ("line", "year", "month", "epub_year", "epub_month")
_BIBTEX_START = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)
_OVID_NUMBER = re.compile(r"^(?:\d+\.|<\d+>)$")


# ------------------------------------------------------------------------ recognising formats
def _first_lines(text: str, n: int = 5) -> list[str]:
    lines = []
    for line in split_lines(text[:20000]):
        stripped = line.strip().lstrip("\ufeff")
        if stripped and not _OVID_NUMBER.match(stripped):
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


def _read_export_text(path: str | os.PathLike[str], *, what: str) -> str:
    """The text of an export; UTF-16 with a byte order mark (older Web of Science
    tab-delimited exports) is read too, any other encoding than UTF-8 is refused."""
    p = resolve_input(path)
    if p.is_file():
        with open(p, "rb") as handle:
            head = handle.read(2)
        if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return read_text(p, encoding="utf-16", what=what)
    return read_text(p, what=what)


# ------------------------------------------------------------------------ reading
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


def _map_all(records: list[Any], mapper: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the records table, each parsed record dropped as soon as it is mapped (memory)."""
    records.reverse()
    rows = []
    while records:
        rows.append(mapper(records.pop()))
    return rows


def _finish(rows: list[dict[str, Any]], *, database: str, source_file: str, fmt: str) -> pd.DataFrame:
    slug = slugify_database(database)
    out = []
    for n, row in enumerate(rows, 1):
        authors = [a for a in row.pop("authors") if a]
        out.append(
            {
                "record": f"{slug}:{n}",
                "database": database,
                "source_file": source_file,
                **row,
                "authors": "; ".join(authors) or None,
                "first_author": authors[0] if authors else None,
                "pmid": normalise_pmid(row.get("pmid")),
                "keywords": "; ".join(row["keywords"]) or None,
                "affiliations": "; ".join(row["affiliations"]) or None,
                "format": fmt,
            }
        )
    frame = pd.DataFrame(out, columns=RECORD_COLUMNS)
    for col in _INT_COLUMNS:
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    text_cols = [c for c in RECORD_COLUMNS if c not in _INT_COLUMNS]
    frame[text_cols] = frame[text_cols].astype("string")
    for col in text_cols:
        stripped = frame[col].str.strip()
        frame[col] = stripped.mask(stripped.isin(MISSING_TEXTS))
    return frame


def _check_export(export: Mapping[str, Any]) -> None:
    problems = []
    for key in ("file", "database"):
        if not isinstance(export.get(key), str) or not export.get(key):
            problems.append(
                Problem(
                    field=f"exports.{key}",
                    expected="a non-empty string",
                    found=repr(export.get(key)),
                    fix="declare file and database for every export",
                )
            )
    fmt = export.get("format")
    if fmt is not None and fmt not in FORMATS:
        problems.append(
            Problem(
                field="exports.format",
                expected=f"one of {', '.join(FORMATS)} (or no format)",
                found=repr(fmt),
                fix="correct the export's format, or leave it out to have it recognised",
            )
        )
    if export.get("columns") is not None and fmt not in (None, "csv"):
        problems.append(
            Problem(
                field="exports.columns",
                expected="columns only for a CSV export",
                found=f"columns declared for format {fmt!r}",
                fix="remove the columns, or the format",
            )
        )
    if problems:
        raise ConfigError(problems)


def read_export(export: Mapping[str, Any]) -> pd.DataFrame:
    """One export declared as ``{file, database[, format, columns, author_separator]}``.

    Parameters
    ----------
    export
        ``file`` (from the project root) and ``database`` (its name, for the record ids).
        ``format`` (one of :data:`FORMATS`) may be left out: it is recognised from the
        content; when given, a file of another format is refused. ``columns`` maps
        fields (:data:`CSV_FIELDS`) to a CSV's column or list of columns; without it, a
        CSV must be one of the known exports (:data:`CSV_FLAVOURS`). Other keys (such as
        ``source``) are kept for the caller and ignored here.

    Returns
    -------
    pandas.DataFrame
        The records (:data:`RECORD_COLUMNS`), ids numbered from 1 in this file.

    Raises
    ------
    ConfigError
        A declaration missing its file or database, or an unknown format.
    InputError
        A file that cannot be read, that is not the declared format (naming the format
        found), that is no known format, or whose structure is broken (naming the line).

    Examples
    --------
    >>> read_export({"file": "tests/fixtures/bib/mini-wos.txt", "database": "Web of Science",
    ...              "format": "ris"})
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: tests/fixtures/bib/mini-wos.txt, field 'format': expected a RIS export (the format declared), found a Web of Science plain-text export. Fix: declare format: wos for this export (or leave the format out to have it recognised), or check that this is the file meant.
    """
    _check_export(export)
    declared = export.get("format")
    if export.get("columns") is not None:
        declared = "csv"
    shown = relative_to_root(resolve_input(export["file"]))
    what = f"a {FORMAT_NAMES[declared]}" if declared else "a bibliographic export"
    text = _read_export_text(export["file"], what=what)
    found = detect_format(text)
    if declared and found and found != declared:
        raise InputError(
            Problem(
                file=shown,
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
                file=shown,
                expected=f"a bibliographic export ({', '.join(FORMAT_NAMES.values())})",
                found="text in none of these formats, starting " + repr(first[0][:60] if first else ""),
                fix="export the records again in one of these formats, or declare a CSV's columns",
            )
        )
    records, mapper = _PARSERS[fmt](text, shown, export)
    del text
    return _finish(_map_all(records, mapper), database=export["database"], source_file=shown, fmt=fmt)


def read_medline(path: str | os.PathLike[str], *, database: str = "PubMed") -> pd.DataFrame:
    """A MEDLINE/PubMed export as a records table (see :data:`RECORD_COLUMNS`).

    Examples
    --------
    >>> records = read_medline("tests/fixtures/bib/mini.nbib")
    >>> records.loc[0, ["record", "first_author", "doi"]].tolist(), int(records.loc[0, "year"])
    (['pubmed:1', 'Ødegård, Åse', '10.5555/fixture.2008.001'], 2008)
    """
    return read_export({"file": str(path), "database": database, "format": "medline"})


def read_ris(path: str | os.PathLike[str], *, database: str) -> pd.DataFrame:
    """A RIS export as a records table (see :data:`RECORD_COLUMNS`).

    Examples
    --------
    >>> read_ris("tests/fixtures/bib/mini.ris", database="PsycINFO")["first_author"].tolist()
    ['Ødegård, Å.', 'Núñez, María']
    """
    return read_export({"file": str(path), "database": database, "format": "ris"})


def read_wos(path: str | os.PathLike[str], *, database: str = "Web of Science") -> pd.DataFrame:
    """A Web of Science plain-text export as a records table (see :data:`RECORD_COLUMNS`).

    Examples
    --------
    >>> read_wos("tests/fixtures/bib/mini-wos.txt").loc[0, ["record", "pages", "pmid"]].tolist()
    ['web-of-science:1', '251-260', '99000004']
    """
    return read_export({"file": str(path), "database": database, "format": "wos"})


def read_csv_export(
    path: str | os.PathLike[str],
    *,
    database: str,
    columns: Mapping[str, Any] | None = None,
    author_separator: str = ";",
) -> pd.DataFrame:
    """A CSV export as a records table, its columns mapped to fields by ``columns``.

    Parameters
    ----------
    path
        The CSV file (UTF-8, with or without BOM).
    database
        Name of the database that exported it.
    columns
        Field (one of :data:`CSV_FIELDS`) → column header, or list of headers (pages
        from start and end columns; several keyword columns); ``title`` and ``year``
        are required. Without it the file must be a known export (:data:`CSV_FLAVOURS`).
    author_separator
        What separates authors in the authors column of a declared mapping.

    Raises
    ------
    ConfigError
        A field that is not one of :data:`CSV_FIELDS`, or ``title``/``year`` not mapped.
    InputError
        A mapped column missing from the file.

    Examples
    --------
    >>> read_csv_export("tests/fixtures/bib/mini.csv", database="PsycARTICLES",
    ...                 columns={"title": "Title", "year": "Publication Year"})["year"].tolist()
    [2006, 2009]
    """
    return read_export(
        {
            "file": str(path),
            "database": database,
            "format": "csv",
            "columns": columns,
            "author_separator": author_separator,
        }
    )


def read_exports(exports: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Every export of a search in one records table, ids numbered per database.

    Exports of the same database are numbered on from one file to the next in the
    order given, so ids stay stable as long as the exports and their order do. All
    problems in all files are reported together. A column ``source`` holds each
    export's ``source`` (``search`` unless declared otherwise, e.g. ``other`` for
    records found outside the database search).

    Examples
    --------
    >>> records = read_exports([
    ...     {"file": "tests/fixtures/bib/mini.nbib", "database": "PubMed"},
    ...     {"file": "tests/fixtures/bib/mini-wos.txt", "database": "Web of Science", "source": "other"}])
    >>> records.groupby("source")["record"].apply(list).to_dict()
    {'other': ['web-of-science:1', 'web-of-science:2'], 'search': ['pubmed:1', 'pubmed:2', 'pubmed:3']}
    """
    frames, problems = [], []
    for export in exports:
        try:
            frame = read_export(export)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        frame["source"] = pd.array([str(export.get("source", "search"))] * len(frame), dtype="string")
        frames.append(frame)
    if problems:
        raise InputError(problems)
    if not frames:
        raise ConfigError(
            Problem(
                field="exports",
                expected="at least one export",
                found="none",
                fix="list the search exports in the study's YAML file",
            )
        )
    records = pd.concat(frames, ignore_index=True)
    counter: dict[str, int] = {}
    ids = []
    for database in records["database"]:
        counter[database] = counter.get(database, 0) + 1
        ids.append(f"{slugify_database(database)}:{counter[database]}")
    records["record"] = pd.array(ids, dtype="string")
    return records


def list_record_problems(records: pd.DataFrame) -> pd.DataFrame:
    """Records kept although they lack a title or a year, for the caller to show.

    A record lacks a year when it has neither a publication nor an e-publication year.

    Returns
    -------
    pandas.DataFrame
        ``file``, ``line`` (line, or CSV row, where the record starts), ``record``,
        ``database``, ``field`` (``title`` or ``year``) and ``problem``.

    Examples
    --------
    >>> recs = pd.DataFrame({"record": ["lens:1", "lens:2"], "database": ["Lens"] * 2, "source_file": ["x.ris"] * 2,
    ...                      "line": [1, 9], "title": [None, "B"], "year": [2020, None], "epub_year": [None, None]})
    >>> list_record_problems(recs)[["line", "field", "problem"]].values.tolist()
    [[1, 'title', 'no title'], [9, 'year', 'no publication year']]
    """
    rows = []
    epub = records["epub_year"] if "epub_year" in records else pd.Series([None] * len(records), index=records.index)
    for (_, rec), epub_year in zip(records.iterrows(), epub, strict=False):
        where = {"file": rec["source_file"], "line": rec["line"], "record": rec["record"], "database": rec["database"]}
        if pd.isna(rec["title"]):
            rows.append({**where, "field": "title", "problem": "no title"})
        if pd.isna(rec["year"]) and pd.isna(epub_year):
            rows.append({**where, "field": "year", "problem": "no publication year"})
    table = pd.DataFrame(rows, columns=["file", "line", "record", "database", "field", "problem"])
    table["line"] = pd.array(table["line"].tolist(), dtype="Int64")
    return table
