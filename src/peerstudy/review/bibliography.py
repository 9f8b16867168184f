"""Read bibliographic database exports into one table of records.

A literature search ends in exports, one per database, each in the format the database
or reference manager writes. :func:`read_export` recognises the format from the content
(``{"file": path, "database": name}`` is enough) and reads:

- MEDLINE/PubMed (``.nbib``, ``.txt``);
- RIS as PubMed, Ovid, EBSCO, the Cochrane Library, Scopus, Web of Science, Lens,
  Dimensions, Zotero, EndNote and Mendeley write it (Ovid's ``1.`` and link lines, and
  the Cochrane Library's ``Record #1 of N`` lines, between records are skipped);
- Web of Science plain text (every era, any tag) and tab-delimited;
- BibTeX; EndNote XML (from EndNote, Zotero, Mendeley);
- CSV from Scopus, Lens, OpenAlex, Dimensions, PubMed and Zotero by their known columns, and
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
broken (naming the line), or when it is no known format at all. Formats are recognised
and dispatched to their parsers by :mod:`peerstudy.review.bib_formats`; the parsed records
become rows in :mod:`peerstudy.review.bib_rows`.

Examples
--------
>>> records = read_export({"file": "tests/fixtures/bib/mini.nbib", "database": "PubMed"})
>>> records.loc[0, ["record", "format", "first_author", "doi"]].tolist(), int(records.loc[0, "year"])
(['pubmed:1', 'medline', 'Ødegård, Åse', '10.5555/fixture.2008.001'], 2008)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.review.bib_formats import FORMAT_NAMES, FORMATS, choose_format, parse_export, read_export_text
from peerstudy.review.bib_ids import (
    MISSING_TEXTS,
    is_missing,
    normalise_doi,
    normalise_language,
    normalise_pmid,
    parse_date,
    slugify_database,
)
from peerstudy.review.bib_searchlog import check_search_log, read_search_log
from peerstudy.review.bib_tables import CSV_FIELDS, CSV_FLAVOURS
from peerstudy.review.bib_tagged import parse_medline, parse_ris, parse_wos

__all__ = [
    "CSV_FIELDS",
    "CSV_FLAVOURS",
    "RECORD_COLUMNS",
    "check_search_log",
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

_INT_COLUMNS = ("line", "year", "month", "epub_year", "epub_month")


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
        ``format`` (one of :data:`~peerstudy.review.bib_formats.FORMATS`) may be left
        out: it is recognised from the content; when given, a file of another format is
        refused. ``columns`` maps fields (:data:`CSV_FIELDS`) to a CSV's column or list
        of columns; without it, a CSV must be one of the known exports
        (:data:`CSV_FLAVOURS`). Other keys (such as ``source``) are kept for the caller
        and ignored here.

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
    text = read_export_text(export["file"], what=what)
    fmt = choose_format(text, declared, file=shown)
    records, mapper = parse_export(fmt, text, shown, export)
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
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
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
