"""Tabular exports: CSV from Scopus, Lens, OpenAlex, Dimensions and Zotero (recognised by
their columns), any CSV by a declared mapping, and Web of Science tab-delimited files.

A mapping says, per field of the records table, which column holds it; a field may take
a list of columns (Scopus' ``Page start`` and ``Page end`` become ``pages``; several
keyword columns are joined). Cells that read ``NA``, ``N/A``, ``NULL``, ``None`` or are
empty are missing (:data:`peerstudy.review.bib_ids.MISSING_TEXTS`), as R and Excel write them.

Examples
--------
>>> text = 'Title,Year,Page start,Page end,DOI,PubMed ID\\nPeer work,2001,5,9,NA,NA\\n'
>>> header, rows = split_csv(text, file="x.csv")
>>> mapping = {"title": "Title", "year": "Year", "pages": ["Page start", "Page end"], "doi": "DOI",
...            "pmid": "PubMed ID"}
>>> row = map_csv_row(rows[0][1], header, mapping, line=rows[0][0])
>>> row["pages"], row["doi"], row["pmid"], row["line"]
('5-9', None, None, 2)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.review.bib_ids import (
    as_list,
    clean_text,
    join_pages,
    new_row,
    normalise_doi,
    normalise_language,
    normalise_pmid,
    parse_date,
)
from peerstudy.review.bib_tagged import split_lines

__all__ = [
    "CSV_FIELDS",
    "CSV_FLAVOURS",
    "WOS_TAB_COLUMNS",
    "check_mapping",
    "detect_csv_flavour",
    "map_csv_row",
    "parse_wos_tab",
    "split_csv",
]

#: Fields a CSV mapping may name (``title`` and ``year`` are required in a declared mapping).
CSV_FIELDS = (
    "title",
    "authors",
    "year",
    "month",
    "date",
    "epub_date",
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
    "type",
)

#: Known CSV exports: the columns that identify each (all must be present), its mapping
#: and what separates its authors (``auto``: ``;`` if present, else ``,``).
CSV_FLAVOURS: dict[str, dict[str, Any]] = {
    "scopus": {
        "signature": ("Authors", "Title", "Year", "Source title"),
        "authors_sep": "auto",
        "columns": {
            "title": "Title",
            "authors": "Authors",
            "year": "Year",
            "journal": "Source title",
            "volume": "Volume",
            "issue": "Issue",
            "pages": ["Page start", "Page end"],
            "doi": "DOI",
            "pmid": "PubMed ID",
            "abstract": "Abstract",
            "keywords": ["Author Keywords", "Index Keywords"],
            "affiliations": "Affiliations",
            "language": "Language of Original Document",
            "type": "Document Type",
        },
    },
    "lens": {
        "signature": ("Lens ID", "Title"),
        "authors_sep": ";",
        "columns": {
            "title": "Title",
            "authors": "Author/s",
            "year": "Publication Year",
            "date": "Date Published",
            "journal": "Source Title",
            "volume": "Volume",
            "issue": "Issue Number",
            "pages": ["Start Page", "End Page"],
            "doi": "DOI",
            "pmid": "PMID",
            "abstract": "Abstract",
            "keywords": "Keywords",
            "type": "Publication Type",
        },
    },
    "openalex": {
        "signature": ("id", "publication_year"),
        "authors_sep": "|",
        "columns": {
            "title": ["title", "display_name"],
            "authors": "authorships.author.display_name",
            "year": "publication_year",
            "date": "publication_date",
            "journal": ["primary_location.source.display_name", "host_venue.display_name"],
            "volume": "biblio.volume",
            "issue": "biblio.issue",
            "pages": ["biblio.first_page", "biblio.last_page"],
            "doi": "doi",
            "pmid": "ids.pmid",
            "language": "language",
            "type": "type",
        },
    },
    "dimensions": {
        "signature": ("Publication ID", "PubYear", "Title"),
        "authors_sep": ";",
        "columns": {
            "title": "Title",
            "authors": "Authors",
            "year": "PubYear",
            "date": "Publication Date (print)",
            "epub_date": "Publication Date (online)",
            "journal": "Source title",
            "volume": "Volume",
            "issue": "Issue",
            "pages": "Pagination",
            "doi": "DOI",
            "pmid": "PMID",
            "abstract": "Abstract",
            "keywords": "MeSH terms",
            "type": "Publication Type",
        },
    },
    # PubMed's "Save" as CSV: the citation (volume, issue, pages) is one text, not mapped
    "pubmed": {
        "signature": ("PMID", "Title", "Authors", "Citation", "Journal/Book"),
        "authors_sep": ",",
        "columns": {
            "title": "Title",
            "authors": "Authors",
            "year": "Publication Year",
            "journal": "Journal/Book",
            "doi": "DOI",
            "pmid": "PMID",
        },
    },
    "zotero": {
        "signature": ("Key", "Item Type", "Publication Year", "Title"),
        "authors_sep": ";",
        "columns": {
            "title": "Title",
            "authors": "Author",
            "year": "Publication Year",
            "date": "Date",
            "journal": "Publication Title",
            "volume": "Volume",
            "issue": "Issue",
            "pages": "Pages",
            "doi": "DOI",
            "pmid": ["Extra", "Url"],
            "abstract": "Abstract Note",
            "keywords": ["Manual Tags", "Automatic Tags"],
            "language": "Language",
            "type": "Item Type",
        },
    },
}

#: Columns that mark a Web of Science tab-delimited export (its header holds the tags).
WOS_TAB_COLUMNS = ("PT", "AU", "TI", "SO")
_WOS_TAB_SPLIT = {
    "AU": r";\s*",
    "AF": r";\s*",
    "BA": r";\s*",
    "BF": r";\s*",
    "BE": r";\s*",
    "CA": r";\s*",
    "GP": r";\s*",
    "C1": r";\s*(?=\[)",
    "C3": r";\s*",
    "CR": r";\s*",
}


def split_csv(text: str, *, file: str, delimiter: str = ",") -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows (with their spreadsheet row numbers) of a CSV text.

    A preamble line such as Dimensions writes (``About the data: ...``) before the header
    is skipped. Cells beyond the header that are empty are dropped.

    Raises
    ------
    InputError
        The text is not readable as CSV (e.g. an unclosed quote), naming the row.

    Examples
    --------
    >>> split_csv('"About the data: exported"\\nTitle,Year\\nA,2001\\n', file="x.csv")
    (['Title', 'Year'], [(3, ['A', '2001'])])
    """
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(
            Problem(
                file=file,
                expected="a CSV file",
                found=f"text that is not valid CSV ({exc})",
                fix="re-export the file as CSV",
            )
        ) from None
    start = 1 if rows and rows[0] and rows[0][0].startswith("About the data") else 0
    if len(rows) <= start:
        raise InputError(
            Problem(file=file, expected="a CSV header and data", found="no rows", fix="re-export the file")
        )
    header = [h.strip().lstrip("\ufeff") for h in rows[start]]
    body = [(start + 2 + i, r) for i, r in enumerate(rows[start + 1 :]) if any(c.strip() for c in r)]
    return header, body


def detect_csv_flavour(header: Sequence[str]) -> str | None:
    """The known export whose identifying columns are all in ``header``, or ``None``.

    Examples
    --------
    >>> detect_csv_flavour(["Lens ID", "Title", "Publication Year"]), detect_csv_flavour(["a", "b"])
    ('lens', None)
    """
    present = set(header)
    for name, flavour in CSV_FLAVOURS.items():
        if all(col in present for col in flavour["signature"]):
            return name
    return None


def check_mapping(columns: Any, header: Sequence[str], *, file: str) -> dict[str, list[str]]:
    """A declared mapping (field → column or list of columns) checked against ``header``.

    Raises
    ------
    ConfigError
        A field not in :data:`CSV_FIELDS`, ``title`` or ``year`` not mapped, or a column
        name that is not text.
    InputError
        Mapped columns missing from the file (all named together).

    Examples
    --------
    >>> check_mapping({"title": "T", "year": "Y", "pages": ["P1", "P2"]}, ["T", "Y", "P1", "P2"], file="x.csv")
    {'title': ['T'], 'year': ['Y'], 'pages': ['P1', 'P2']}
    """
    if not isinstance(columns, Mapping):
        raise ConfigError(
            Problem(
                field="exports.columns",
                expected="a mapping of fields to CSV column headers",
                found=repr(columns),
                fix="declare the columns of the CSV export",
            )
        )
    unknown = [f for f in columns if f not in CSV_FIELDS]
    missing = [f for f in ("title", "year") if f not in columns]
    mapping: dict[str, list[str] | None] = {
        f: ([c] if isinstance(c, str) else list(c) if isinstance(c, (list, tuple)) else None)
        for f, c in columns.items()
    }
    bad = [f for f, cols in mapping.items() if not cols or not all(isinstance(c, str) and c for c in cols)]
    if unknown or missing or bad:
        raise ConfigError(
            Problem(
                field="columns",
                expected=f"fields among {', '.join(CSV_FIELDS)}, including title and year, each "
                "mapped to a column name or a list of column names",
                found=f"unknown {unknown}, missing {missing}" + (f", not column names {bad}" if bad else ""),
                fix="correct the column mapping of this export in the study's YAML file",
            )
        )
    checked = {f: cols for f, cols in mapping.items() if cols}  # all of them: an empty one was refused above
    absent = [c for cols in checked.values() for c in cols if c not in header]
    if absent:
        raise InputError(
            Problem(
                file=file,
                row=1,
                field=", ".join(dict.fromkeys(absent)),
                expected=f"column(s) {', '.join(map(repr, dict.fromkeys(absent)))}",
                found=f"columns {', '.join(map(repr, header))}",
                fix="restore the column in the export, or correct the column name declared for it",
            )
        )
    return checked


def _cells(cells: Sequence[str], index: Mapping[str, int], cols: Sequence[str]) -> list[str]:
    out = []
    for col in cols:
        i = index.get(col)
        value = clean_text(cells[i]) if i is not None and i < len(cells) else None
        if value is not None:
            out.append(value)
    return out


def _split_authors(value: str | None, sep: str) -> list[str]:
    if value is None:
        return []
    if sep == "auto":
        sep = ";" if ";" in value else ","
    return as_list(value, sep=sep)


def map_csv_row(
    cells: Sequence[str], header: Sequence[str], mapping: Mapping[str, Any], *, line: int, authors_sep: str = ";"
) -> dict[str, Any]:
    """A row of the records table from one CSV row under ``mapping`` (field → column(s)).

    A field mapped to several columns takes the first non-empty one, except ``pages``
    (start and end joined) and ``keywords``/``affiliations`` (all joined). ``date``
    gives the month when ``year`` has none; ``epub_date`` is the e-publication date.

    Examples
    --------
    >>> row = map_csv_row(["A", "2026", "2025-12-03", "Lee K|Kim J"], ["T", "Y", "Online", "Au"],
    ...                   {"title": "T", "year": "Y", "epub_date": "Online", "authors": "Au"}, line=2, authors_sep="|")
    >>> row["authors"], row["year"], (row["epub_year"], row["epub_month"])
    (['Lee K', 'Kim J'], 2026, (2025, 12))
    """
    index = {h: i for i, h in reversed(list(enumerate(header)))}
    lists = {f: ([c] if isinstance(c, str) else list(c)) for f, c in mapping.items()}
    got = {f: _cells(cells, index, cols) for f, cols in lists.items()}

    def one(field: str) -> str | None:
        return got.get(field, [None])[0] if got.get(field) else None

    row = new_row(line)
    year, month = parse_date(one("year"))
    date_year, date_month = parse_date(one("date"))
    month_text = one("month")
    if month_text:
        month = parse_date(f"{year or 2000} {month_text}")[1] or (int(month_text) if month_text.isdigit() else None)
    elif month is None and date_year in (None, year):
        month = date_month
    row["epub_year"], row["epub_month"] = parse_date(one("epub_date"))
    pages = [next(iter(_cells(cells, index, [c])), None) for c in lists.get("pages", [])][:2]
    row.update(
        {
            "type": one("type"),
            "publication_type": one("type"),
            "authors": _split_authors(one("authors"), authors_sep),
            "year": year or date_year,
            "month": month,
            "title": one("title"),
            "journal": one("journal"),
            "volume": one("volume"),
            "issue": one("issue"),
            "pages": join_pages(*pages) if len(pages) > 1 else one("pages"),
            "doi": next((d for d in map(normalise_doi, got.get("doi", [])) if d), None),
            "pmid": next((p for p in map(_pmid_in, got.get("pmid", [])) if p), None),
            "abstract": one("abstract"),
            "keywords": [k for v in got.get("keywords", []) for k in as_list(v, sep=";")],
            "affiliations": [a for v in got.get("affiliations", []) for a in as_list(v, sep=";")],
            "language": normalise_language(one("language")),
        }
    )
    return row


def _pmid_in(value: str) -> str | None:
    """A PMID in a cell: the whole cell, a PubMed link, or a ``PMID: 123`` line (Zotero's Extra)."""
    pmid = normalise_pmid(value)
    if pmid is None:
        match = re.search(r"(?:^|\n)\s*PMID:\s*(\d{1,9})\b", value)
        pmid = match.group(1) if match else None
    return pmid


def parse_wos_tab(text: str, *, file: str) -> list[dict[str, Any]]:
    """Records of a Web of Science tab-delimited export (its header row holds the tags).

    Authors, addresses and references, which the plain-text format puts one per line,
    are split at their ``;`` separators (addresses only before a ``[``).

    Raises
    ------
    InputError
        The header lacks ``PT``, ``AU``, ``TI`` or ``SO``.

    Examples
    --------
    >>> recs = parse_wos_tab("PT\\tAU\\tTI\\tSO\\tPY\\t\\nJ\\tLee, S; Kim, J\\tA title\\tJ X\\t2024\\t\\n", file="x.txt")
    >>> recs[0]["line"], recs[0]["tags"]["AU"], recs[0]["tags"]["PY"]
    (2, ['Lee, S', 'Kim, J'], ['2024'])
    """
    lines = split_lines(text)
    header = [h.strip().lstrip("\ufeff") for h in lines[0].split("\t")]
    missing = [t for t in WOS_TAB_COLUMNS if t not in header]
    if missing:
        raise InputError(
            Problem(
                file=file,
                row=1,
                field=", ".join(missing),
                expected="a Web of Science tab-delimited header (PT, AU, TI, SO, ...)",
                found=f"columns {', '.join(map(repr, header[:12]))}",
                fix="re-export the records from Web of Science as tab-delimited",
            )
        )
    records = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        tags: dict[str, list[str]] = {}
        for tag, value in zip(header, line.split("\t"), strict=False):
            if not tag or clean_text(value) is None:
                continue
            pattern = _WOS_TAB_SPLIT.get(tag)
            tags[tag] = [v.strip() for v in re.split(pattern, value) if v.strip()] if pattern else [value.strip()]
        records.append({"line": number, "tags": tags})
    return records
