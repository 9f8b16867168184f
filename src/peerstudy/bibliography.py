"""Read bibliographic database exports into one table of records.

A literature search ends in exports, one per database, each in the format the database
writes: MEDLINE/PubMed (``.nbib``/``.txt``), RIS (EBSCO, Scopus, ...), Web of Science
plain text (``.ciw``/``.txt``) and CSV. :func:`read_exports` reads them all into one
table with the same columns (:data:`RECORD_COLUMNS`), one row per record as exported:
duplicates across databases are kept here and found later
(:func:`peerstudy.review.find_duplicate_pairs`).

Each record gets a stable id ``<database>:<n>`` (the database's name in lower case,
``n`` its position among that database's records, in the order the exports are given)
and keeps the file and line it came from. DOIs are normalised (lower case, no
``https://doi.org/`` or ``doi:``), languages are written as English names (``eng`` →
``English``), and non-ASCII text is kept as it is. A record that breaks its format
stops the import with an :class:`~peerstudy.errors.InputError` naming the file and the
line; all such problems in a file are reported together.

Examples
--------
>>> text = '''PMID- 99000001
... TI  - Peer support in a
...       community team.
... FAU - Ødegård, Åse
... DP  - 2008 Mar
... LID - 10.5555/PEER.2008.1 [doi]
... LA  - eng
... '''
>>> record = parse_medline(text)[0]
>>> record["line"], record["tags"]["TI"], record["tags"]["FAU"]
(1, ['Peer support in a community team.'], ['Ødegård, Åse'])
>>> normalise_doi("https://doi.org/10.5555/PEER.2008.1")
'10.5555/peer.2008.1'
>>> parse_date("2008 Mar-Apr")
(2008, 3)
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import rispy
from rispy.config import LIST_TYPE_TAGS, WOK_LIST_TYPE_TAGS

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.readers import read_csv_table, read_text, read_yaml

__all__ = [
    "RECORD_COLUMNS",
    "FORMATS",
    "CSV_FIELDS",
    "normalise_doi",
    "normalise_language",
    "parse_date",
    "slugify_database",
    "parse_medline",
    "parse_ris",
    "parse_wos",
    "read_medline",
    "read_ris",
    "read_wos",
    "read_csv_export",
    "read_export",
    "read_exports",
    "read_search_log",
    "check_search_log",
]

#: Columns of the records table, in order.
RECORD_COLUMNS = [
    "record", "database", "source_file", "line", "type", "authors", "first_author", "year", "month",
    "title", "journal", "volume", "issue", "pages", "doi", "pmid", "abstract", "keywords", "affiliations",
    "language", "publication_type",
]

#: Export formats :func:`read_export` understands.
FORMATS = ("medline", "ris", "wos", "csv")

#: Fields a CSV export may map to its own column names (``title`` and ``year`` are required).
CSV_FIELDS = ("title", "authors", "year", "month", "journal", "volume", "issue", "pages", "doi", "pmid",
              "abstract", "keywords", "language", "type")

_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

_LANGUAGES = {
    "eng": "English", "en": "English", "ger": "German", "deu": "German", "de": "German", "fre": "French",
    "fra": "French", "fr": "French", "spa": "Spanish", "es": "Spanish", "ita": "Italian", "it": "Italian",
    "por": "Portuguese", "pt": "Portuguese", "dut": "Dutch", "nld": "Dutch", "nl": "Dutch",
    "jpn": "Japanese", "ja": "Japanese", "chi": "Chinese", "zho": "Chinese", "zh": "Chinese",
    "kor": "Korean", "ko": "Korean", "swe": "Swedish", "sv": "Swedish", "nor": "Norwegian",
    "dan": "Danish", "fin": "Finnish", "pol": "Polish", "rus": "Russian", "heb": "Hebrew",
    "tur": "Turkish", "gre": "Greek", "ell": "Greek", "hun": "Hungarian", "cze": "Czech", "ces": "Czech",
}

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


# ------------------------------------------------------------------------ normalisers
def normalise_doi(value: Any) -> str | None:
    """A DOI in lower case without a resolver prefix, or ``None`` if there is none.

    Examples
    --------
    >>> normalise_doi("DOI: 10.1037/A0012345.")
    '10.1037/a0012345'
    >>> normalise_doi("http://dx.doi.org/10.32604/ijmhp.2024.048803 [doi]")
    '10.32604/ijmhp.2024.048803'
    >>> normalise_doi("n/a") is None
    True
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = _DOI.search(text)
    if not match:
        return None
    doi = match.group(0).rstrip(".,;)]")
    return doi.lower()


def normalise_language(value: Any) -> str | None:
    """Language names in English, ``"; "``-joined (``eng`` → ``English``).

    Examples
    --------
    >>> normalise_language(["eng", "fre"])
    'English; French'
    >>> normalise_language("english")
    'English'
    """
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else re.split(r"[;,]", str(value))
    names = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        name = _LANGUAGES.get(item.lower(), item[:1].upper() + item[1:].lower())
        if name not in names:
            names.append(name)
    return "; ".join(names) or None


def parse_date(value: Any) -> tuple[int | None, int | None]:
    """Year and month of a publication date as databases write it.

    Seasons count from their first month (Spring 3, Summer 6, Fall/Autumn 9, Winter 12).

    Examples
    --------
    >>> parse_date("2010 Sep 15"), parse_date("2008///"), parse_date("1999/11/02/")
    ((2010, 9), (2008, None), (1999, 11))
    >>> parse_date("2004 Winter"), parse_date("MAR 15"), parse_date("")
    ((2004, 12), (None, 3), (None, None))
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None, None
    text = str(value).strip()
    year_match = _YEAR.search(text)
    year = int(year_match.group(1)) if year_match else None
    rest = text[year_match.end():] if year_match else text
    numeric = re.match(r"\s*[/-](\d{1,2})(?:[/-]|$)", rest)
    if numeric and 1 <= int(numeric.group(1)) <= 12:
        return year, int(numeric.group(1))
    for word in re.findall(r"[A-Za-z]+", rest):
        key = word.lower()
        if key[:3] in _MONTHS and (len(key) == 3 or key.startswith(tuple(
                ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                 "october", "november", "december"]))):
            return year, _MONTHS[key[:3]]
        if key in _SEASONS:
            return year, _SEASONS[key]
    return year, None


def slugify_database(name: str) -> str:
    """The database part of a record id: lower case, non-alphanumerics as ``-``.

    Examples
    --------
    >>> slugify_database("PsycINFO"), slugify_database("Web of Science")
    ('psycinfo', 'web-of-science')
    """
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _shown(line: str) -> str:
    line = line.rstrip()
    return repr(line if len(line) <= 60 else line[:57] + "...")


# ------------------------------------------------------------------------ MEDLINE
_MEDLINE_TAG = re.compile(r"[A-Z][A-Z0-9]{1,3} *")


def parse_medline(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Records of a MEDLINE/PubMed export (``.nbib``, ``.txt``).

    A record is a block of lines separated from the next by a blank line. Each line is a
    tag of up to four characters padded to four, ``- ``, and a value; a value goes on in
    lines indented by six spaces. Trailing spaces and a leading blank line are accepted.

    Returns
    -------
    list of dict
        Per record: ``line`` (where it starts) and ``tags`` (tag → list of values, each
        continuation joined with one space).

    Raises
    ------
    InputError
        For every line that is neither a tag line nor a continuation line, and every
        record without a title (``TI`` or ``BTI``), naming file and line.

    Examples
    --------
    >>> parse_medline("PMID- 1\\nTI  - A.\\nbroken line\\n", file="x.nbib")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: x.nbib, row 3: expected a MEDLINE tag line ('TAG - value') or a continuation line indented by 6 spaces, found 'broken line'. Fix: re-export the records in MEDLINE/PubMed format, or repair that line.
    """
    records: list[dict[str, Any]] = []
    problems: list[Problem] = []
    current: dict[str, Any] | None = None
    last_tag: str | None = None

    def close() -> None:
        if current is not None:
            if not (current["tags"].get("TI") or current["tags"].get("BTI")):
                problems.append(Problem(file=file, row=current["line"], field="TI",
                                        expected="a title (TI) in every record", found="a record without one",
                                        fix="re-export the record, or remove it from the export"))
            records.append(current)

    for number, raw in enumerate(_lines(text), 1):
        line = raw.rstrip()
        if not line.strip():
            close()
            current, last_tag = None, None
            continue
        if len(line) >= 5 and line[4] == "-" and _MEDLINE_TAG.fullmatch(line[:4]):
            tag, value = line[:4].strip(), line[5:].strip()
            if current is None:
                current = {"line": number, "tags": {}}
            current["tags"].setdefault(tag, []).append(value)
            last_tag = tag
        elif raw.startswith("      ") and current is not None and last_tag is not None:
            values = current["tags"][last_tag]
            values[-1] = f"{values[-1]} {line.strip()}".strip()
        else:
            problems.append(Problem(file=file, row=number,
                                    expected="a MEDLINE tag line ('TAG - value') or a continuation line indented by 6 spaces",
                                    found=_shown(line),
                                    fix="re-export the records in MEDLINE/PubMed format, or repair that line"))
    close()
    if problems:
        raise InputError(problems)
    return records


def _medline_record(tags: Mapping[str, list[str]]) -> dict[str, Any]:
    def first(*names: str) -> str | None:
        for name in names:
            if tags.get(name):
                return tags[name][0]
        return None

    doi = None
    for value in [*tags.get("LID", []), *tags.get("AID", [])]:
        if value.endswith("[doi]"):
            doi = normalise_doi(value)
            break
    authors = tags.get("FAU") or tags.get("AU") or []
    year, month = parse_date(first("DP", "DEP"))
    return {
        "type": "; ".join(tags.get("PT", [])) or None,
        "authors": authors, "year": year, "month": month,
        "title": first("TI", "BTI"), "journal": first("JT", "TA"),
        "volume": first("VI"), "issue": first("IP"), "pages": first("PG"),
        "doi": doi, "pmid": first("PMID"), "abstract": first("AB"),
        "keywords": tags.get("OT", []) + tags.get("MH", []),
        "affiliations": tags.get("AD", []),
        "language": normalise_language(tags.get("LA", [])),
        "publication_type": "; ".join(tags.get("PT", [])) or None,
    }


# ------------------------------------------------------------------------ RIS
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_RIS_LOOKS_LIKE_TAG = re.compile(r"^[A-Z][A-Z0-9] {0,3}-")


def parse_ris(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Records of a RIS export, as :mod:`rispy` maps their tags, with the line each starts at.

    The file is first checked line by line (so a problem can be named by its line):
    every record starts with ``TY  - `` and ends with ``ER  - ``; a tag is two
    characters, two spaces, a hyphen and a space. Lines that are not tags continue the
    value above (some exporters wrap abstracts). Each record is then read by
    :func:`rispy.loads` (``AD`` repeated is kept as a list).

    Raises
    ------
    InputError
        Text outside a record, a record not closed by ``ER`` before the next ``TY`` or
        the end of the file, a malformed tag line, or a record without a title
        (``TI``/``T1``/``CT``/``BT``); each naming file and line.

    Examples
    --------
    >>> ris = "TY  - JOUR\\nAU  - Núñez, M.\\nTI  - Peer workers\\nPY  - 2001\\nER  - \\n"
    >>> rec = parse_ris(ris)[0]
    >>> rec["line"], rec["fields"]["authors"], rec["fields"]["year"]
    (1, ['Núñez, M.'], '2001')
    >>> parse_ris("TY  - JOUR\\nTI  - Unclosed\\n", file="x.ris")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: x.ris, row 1, field 'ER': expected 'ER  - ' closing the record that starts at line 1, found the end of the file. Fix: re-export the file; it was cut off or edited by hand.
    """
    problems: list[Problem] = []
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    for number, raw in enumerate(_lines(text), 1):
        line = raw.rstrip()
        match = _RIS_TAG.match(line)
        if match is None and _RIS_LOOKS_LIKE_TAG.match(line):
            problems.append(Problem(file=file, row=number, expected="a RIS tag line 'XX  - value' (two spaces, hyphen, space)",
                                    found=_shown(line), fix="repair the spacing of the tag, or re-export the file"))
            continue
        tag = match.group(1) if match else None
        if current is None:
            if not line.strip():
                continue
            if tag != "TY":
                problems.append(Problem(file=file, row=number, field="TY",
                                        expected="'TY  - ' starting a record", found=_shown(line),
                                        fix="re-export the file, or remove the stray text"))
                continue
            current, start = [line], number
            continue
        if tag == "TY":
            problems.append(Problem(file=file, row=start, field="ER",
                                    expected=f"'ER  - ' closing the record that starts at line {start}",
                                    found=f"a new record at line {number}",
                                    fix="add the missing 'ER  - ' line, or re-export the file"))
            current, start = [line], number
            continue
        if not line.strip():
            continue
        current.append(line)
        if tag == "ER":
            chunks.append((start, current))
            current = None
    if current is not None:
        problems.append(Problem(file=file, row=start, field="ER",
                                expected=f"'ER  - ' closing the record that starts at line {start}",
                                found="the end of the file", fix="re-export the file; it was cut off or edited by hand"))
    records = []
    for start, chunk in chunks:
        fields = rispy.loads("\n".join(chunk), list_tags=[*LIST_TYPE_TAGS, "AD"])
        fields = fields[0] if fields else {}
        if not (fields.get("title") or fields.get("primary_title")):
            problems.append(Problem(file=file, row=start, field="TI", expected="a title (TI or T1) in every record",
                                    found="a record without one", fix="re-export the record, or remove it from the export"))
        records.append({"line": start, "fields": fields})
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.row or 0))
    return records


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value).strip()] if str(value).strip() else []


def _pages(start: Any, end: Any) -> str | None:
    start, end = (str(start).strip() if start else ""), (str(end).strip() if end else "")
    if start and end and start != end:
        return f"{start}-{end}"
    return start or end or None


def _ris_record(fields: Mapping[str, Any]) -> dict[str, Any]:
    year, month = parse_date(fields.get("year") or fields.get("publication_year"))
    if year is None or month is None:
        y2, m2 = parse_date(fields.get("date"))
        year, month = year or y2, month or m2
    notes = " ".join(_as_list(fields.get("notes")))
    pmid_match = re.search(r"PMID:?\s*(\d+)", notes)
    doi = normalise_doi(fields.get("doi"))
    if doi is None:
        for url in _as_list(fields.get("urls")):
            if "doi.org/" in url:
                doi = normalise_doi(url)
                break
    kind = fields.get("type_of_work")
    return {
        "type": fields.get("type_of_reference"),
        "authors": _as_list(fields.get("authors")) or _as_list(fields.get("first_authors")),
        "year": year, "month": month,
        "title": fields.get("title") or fields.get("primary_title"),
        "journal": (fields.get("secondary_title") or fields.get("journal_name") or fields.get("alternate_title3")
                    or fields.get("alternate_title1") or fields.get("alternate_title2")),
        "volume": fields.get("volume"), "issue": fields.get("number"),
        "pages": _pages(fields.get("start_page"), fields.get("end_page")),
        "doi": doi, "pmid": pmid_match.group(1) if pmid_match else None,
        "abstract": fields.get("abstract") or fields.get("notes_abstract"),
        "keywords": _as_list(fields.get("keywords")),
        "affiliations": _as_list(fields.get("author_address")),
        "language": normalise_language(fields.get("language")),
        "publication_type": "; ".join(_as_list(kind)) or None,
    }


# ------------------------------------------------------------------------ Web of Science
_WOS_TAG = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")


def parse_wos(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Records of a Web of Science plain-text export, as :class:`rispy.WokParser` maps
    their tags, with the line each starts at.

    The file may begin with ``FN``/``VR`` and end with ``EF``; a record starts with
    ``PT`` and ends with ``ER``; values go on in lines indented by three spaces (for
    ``AU``, ``AF``, ``C1`` and other list tags each such line is one item).

    Raises
    ------
    InputError
        Lines that are neither tags nor continuations, a record not closed by ``ER``,
        text outside a record, or a record without a title (``TI``); each naming file
        and line.

    Examples
    --------
    >>> wos = "FN Clarivate Analytics Web of Science\\nVR 1.0\\nPT J\\nAU Lee, S\\n   Kim, J\\nTI A title\\n   on two lines\\nPY 2024\\nER\\n\\nEF"
    >>> rec = parse_wos(wos)[0]
    >>> rec["line"], rec["fields"]["authors"], rec["fields"]["document_title"]
    (3, ['Lee, S', 'Kim, J'], 'A title on two lines')
    """
    problems: list[Problem] = []
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    for number, raw in enumerate(_lines(text), 1):
        line = raw.rstrip()
        if not line.strip():
            continue
        match = _WOS_TAG.match(line)
        tag = match.group(1) if match else None
        if current is None:
            if tag in ("FN", "VR", "EF"):
                continue
            if tag != "PT":
                problems.append(Problem(file=file, row=number, field="PT", expected="'PT' starting a record",
                                        found=_shown(line), fix="re-export the file, or remove the stray text"))
                continue
            current, start = [line], number
            continue
        if tag == "PT" or tag == "EF":
            problems.append(Problem(file=file, row=start, field="ER",
                                    expected=f"'ER' closing the record that starts at line {start}",
                                    found=f"{tag!r} at line {number}", fix="add the missing 'ER' line, or re-export the file"))
            current, start = ([line], number) if tag == "PT" else (None, 0)
            continue
        if tag is None and not raw.startswith("   "):
            problems.append(Problem(file=file, row=number,
                                    expected="a Web of Science tag line ('XX value') or a continuation line indented by 3 spaces",
                                    found=_shown(line), fix="re-export the file in Web of Science plain-text format"))
            continue
        current.append(line if tag else "   " + line.strip())
        if tag == "ER":
            chunks.append((start, current))
            current = None
    if current is not None:
        problems.append(Problem(file=file, row=start, field="ER",
                                expected=f"'ER' closing the record that starts at line {start}",
                                found="the end of the file", fix="re-export the file; it was cut off"))
    records = []
    for start, chunk in chunks:
        fields = rispy.loads("\n".join(chunk), implementation=rispy.WokParser,
                             list_tags=[*WOK_LIST_TYPE_TAGS, "C1"])
        fields = fields[0] if fields else {}
        if not fields.get("document_title"):
            problems.append(Problem(file=file, row=start, field="TI", expected="a title (TI) in every record",
                                    found="a record without one", fix="re-export the record, or remove it from the export"))
        records.append({"line": start, "fields": fields})
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.row or 0))
    return records


def _wos_record(fields: Mapping[str, Any]) -> dict[str, Any]:
    year, _ = parse_date(fields.get("publication_year"))
    year2, month = parse_date(fields.get("publication_date"))
    keywords = [k.strip() for k in re.split(r";", fields.get("author_keywords") or "") if k.strip()]
    return {
        "type": fields.get("publication_type"),
        "authors": _as_list(fields.get("author_full_name")) or _as_list(fields.get("authors")),
        "year": year or year2, "month": month,
        "title": fields.get("document_title"), "journal": fields.get("publication_name"),
        "volume": fields.get("volume"), "issue": fields.get("issue"),
        "pages": _pages(fields.get("beginning_page"), fields.get("ending_page")) or fields.get("article_number"),
        "doi": normalise_doi(fields.get("doi")), "pmid": fields.get("pubmed_id"),
        "abstract": fields.get("abstract"), "keywords": keywords,
        "affiliations": _as_list(fields.get("author_address")),
        "language": normalise_language(fields.get("language")),
        "publication_type": fields.get("document_type"),
    }


# ------------------------------------------------------------------------ files
def _finish(rows: list[dict[str, Any]], *, database: str, source_file: str) -> pd.DataFrame:
    slug = slugify_database(database)
    out = []
    for n, row in enumerate(rows, 1):
        authors = [a for a in row.pop("authors") if a]
        pmid = row.get("pmid")
        out.append({
            "record": f"{slug}:{n}", "database": database, "source_file": source_file,
            **row,
            "authors": "; ".join(authors) or None,
            "first_author": authors[0] if authors else None,
            "pmid": str(pmid).strip() if pmid not in (None, "") else None,
            "keywords": "; ".join(row["keywords"]) or None,
            "affiliations": "; ".join(row["affiliations"]) or None,
        })
    frame = pd.DataFrame(out, columns=RECORD_COLUMNS)
    for col in ("year", "month", "line"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    text_cols = [c for c in RECORD_COLUMNS if c not in ("year", "month", "line")]
    frame[text_cols] = frame[text_cols].astype("string")
    for col in text_cols:
        frame[col] = frame[col].str.strip().replace("", pd.NA)
    return frame


def read_medline(path: str | os.PathLike[str], *, database: str = "PubMed") -> pd.DataFrame:
    """A MEDLINE/PubMed export as a records table (see :data:`RECORD_COLUMNS`).

    Examples
    --------
    >>> records = read_medline("tests/fixtures/bib/mini.nbib")
    >>> records.loc[0, ["record", "first_author", "doi"]].tolist(), int(records.loc[0, "year"])
    (['pubmed:1', 'Ødegård, Åse', '10.5555/fixture.2008.001'], 2008)
    """
    shown = relative_to_root(resolve_input(path))
    text = read_text(path, what="a MEDLINE/PubMed export")
    rows = []
    for rec in parse_medline(text, file=shown):
        rows.append({"line": rec["line"], **_medline_record(rec["tags"])})
    return _finish(rows, database=database, source_file=shown)


def read_ris(path: str | os.PathLike[str], *, database: str) -> pd.DataFrame:
    """A RIS export as a records table (see :data:`RECORD_COLUMNS`).

    Examples
    --------
    >>> read_ris("tests/fixtures/bib/mini.ris", database="PsycINFO")["first_author"].tolist()
    ['Ødegård, Å.', 'Núñez, María']
    """
    shown = relative_to_root(resolve_input(path))
    text = read_text(path, what="a RIS export")
    rows = [{"line": rec["line"], **_ris_record(rec["fields"])} for rec in parse_ris(text, file=shown)]
    return _finish(rows, database=database, source_file=shown)


def read_wos(path: str | os.PathLike[str], *, database: str = "Web of Science") -> pd.DataFrame:
    """A Web of Science plain-text export as a records table (see :data:`RECORD_COLUMNS`).

    Examples
    --------
    >>> read_wos("tests/fixtures/bib/mini-wos.txt").loc[0, ["record", "pages", "pmid"]].tolist()
    ['web-of-science:1', '251-260', '99000004']
    """
    shown = relative_to_root(resolve_input(path))
    text = read_text(path, what="a Web of Science plain-text export")
    rows = [{"line": rec["line"], **_wos_record(rec["fields"])} for rec in parse_wos(text, file=shown)]
    return _finish(rows, database=database, source_file=shown)


def read_csv_export(path: str | os.PathLike[str], *, database: str, columns: Mapping[str, str],
                    author_separator: str = ";") -> pd.DataFrame:
    """A CSV export as a records table, its columns mapped to fields by ``columns``.

    Parameters
    ----------
    path
        The CSV file (UTF-8, with or without BOM).
    database
        Name of the database that exported it.
    columns
        Field (one of :data:`CSV_FIELDS`) → column header in the file; ``title`` and
        ``year`` are required.
    author_separator
        What separates authors in the authors column.

    Raises
    ------
    ConfigError
        A field that is not one of :data:`CSV_FIELDS`, or ``title``/``year`` not mapped.
    InputError
        A mapped column missing from the file; a row without a title or a year.
    """
    unknown = [f for f in columns if f not in CSV_FIELDS]
    missing = [f for f in ("title", "year") if f not in columns]
    if unknown or missing:
        raise ConfigError(Problem(field="columns", expected=f"fields among {', '.join(CSV_FIELDS)}, including title and year",
                                  found=f"unknown {unknown}, missing {missing}",
                                  fix="correct the column mapping of this export in the study's YAML file"))
    shown = relative_to_root(resolve_input(path))
    table = read_csv_table(path, required=list(columns.values()), parameter="exports")
    problems, rows = [], []
    for row_number, row in table.iterrows():
        cell = {f: (row[c].strip() if row[c] is not None else "") for f, c in columns.items()}
        year, month = parse_date(cell.get("year"))
        if cell.get("month"):
            month = parse_date(f"{year or 2000} {cell['month']}")[1] or (int(cell["month"]) if cell["month"].isdigit() else None)
        if not cell["title"]:
            problems.append(Problem(file=shown, row=int(row_number), field=columns["title"], expected="a title",
                                    found="an empty cell", fix="re-export the record, or remove the row"))
        if year is None:
            problems.append(Problem(file=shown, row=int(row_number), field=columns["year"], expected="a publication year",
                                    found=repr(cell["year"]), fix="re-export the record with its year"))
        rows.append({
            "line": int(row_number), "type": cell.get("type") or None,
            "authors": [a.strip() for a in cell.get("authors", "").split(author_separator) if a.strip()],
            "year": year, "month": month, "title": cell["title"], "journal": cell.get("journal") or None,
            "volume": cell.get("volume") or None, "issue": cell.get("issue") or None, "pages": cell.get("pages") or None,
            "doi": normalise_doi(cell.get("doi")), "pmid": cell.get("pmid") or None,
            "abstract": cell.get("abstract") or None,
            "keywords": [k.strip() for k in cell.get("keywords", "").split(";") if k.strip()],
            "affiliations": [], "language": normalise_language(cell.get("language")),
            "publication_type": cell.get("type") or None,
        })
    if problems:
        raise InputError(problems)
    return _finish(rows, database=database, source_file=shown)


def read_export(export: Mapping[str, Any]) -> pd.DataFrame:
    """One export declared as ``{file, database, format[, columns, author_separator]}``.

    ``format`` is one of :data:`FORMATS`; ``columns`` (CSV only) maps fields to headers.
    Any other keys (such as ``source``) are kept for the caller and ignored here.
    """
    problems = []
    for key in ("file", "database", "format"):
        if not isinstance(export.get(key), str) or not export.get(key):
            problems.append(Problem(field=f"exports.{key}", expected="a non-empty string",
                                    found=repr(export.get(key)), fix="declare file, database and format for every export"))
    if not problems and export["format"] not in FORMATS:
        problems.append(Problem(field="exports.format", expected=f"one of {', '.join(FORMATS)}",
                                found=repr(export["format"]), fix="correct the export's format in the study's YAML file"))
    if not problems and export["format"] == "csv" and not isinstance(export.get("columns"), Mapping):
        problems.append(Problem(field="exports.columns", expected="a mapping of fields to CSV column headers",
                                found=repr(export.get("columns")), fix="declare the columns of the CSV export"))
    if problems:
        raise ConfigError(problems)
    fmt, path, database = export["format"], export["file"], export["database"]
    if fmt == "medline":
        return read_medline(path, database=database)
    if fmt == "ris":
        return read_ris(path, database=database)
    if fmt == "wos":
        return read_wos(path, database=database)
    return read_csv_export(path, database=database, columns=export["columns"],
                           author_separator=export.get("author_separator", ";"))


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
    ...     {"file": "tests/fixtures/bib/mini.nbib", "database": "PubMed", "format": "medline"},
    ...     {"file": "tests/fixtures/bib/mini-wos.txt", "database": "Web of Science", "format": "wos",
    ...      "source": "other"}])
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
        raise ConfigError(Problem(field="exports", expected="at least one export", found="none",
                                  fix="list the search exports in the study's YAML file"))
    records = pd.concat(frames, ignore_index=True)
    counter: dict[str, int] = {}
    ids = []
    for database in records["database"]:
        counter[database] = counter.get(database, 0) + 1
        ids.append(f"{slugify_database(database)}:{counter[database]}")
    records["record"] = pd.array(ids, dtype="string")
    return records


# ------------------------------------------------------------------------ search log
def read_search_log(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The search log (YAML): per database the interface, date, query, limits and the
    number of records the search returned.

    The file holds ``searches:``, a list of mappings with at least ``database``,
    ``searched`` (date), ``query`` and ``results`` (an integer).
    """
    shown = relative_to_root(resolve_input(path))
    doc = read_yaml(path, what="a search log (YAML)", parameter="search_log")
    searches = doc.get("searches") if isinstance(doc, dict) else None
    if not isinstance(searches, list) or not searches:
        found = ("no key 'searches'" if not isinstance(doc, dict) or "searches" not in doc
                 else f"{type(searches).__name__} {searches!r}"[:80])
        raise InputError(Problem(file=shown, field="searches", expected="a list of searches", found=found,
                                 fix="see data/raw/literature-review/search-log.yaml"))
    problems, rows = [], []
    for i, entry in enumerate(searches, 1):
        if not isinstance(entry, dict):
            problems.append(Problem(file=shown, field=f"searches[{i}]", expected="a mapping", found=repr(entry)))
            continue
        for key in ("database", "searched", "query", "results"):
            if key not in entry:
                problems.append(Problem(file=shown, field=f"searches[{i}].{key}", expected=f"a value for {key!r}",
                                        found="nothing", fix="complete the search log"))
        if "results" in entry and (not isinstance(entry["results"], int) or isinstance(entry["results"], bool)):
            problems.append(Problem(file=shown, field=f"searches[{i}].results", expected="a whole number of records",
                                    found=repr(entry["results"]), fix="write the number of records the search returned"))
        rows.append({k: (", ".join(map(str, v)) if isinstance(v, list) else v) for k, v in entry.items()})
    if problems:
        raise InputError(problems)
    log = pd.DataFrame(rows)
    log["searched"] = log["searched"].astype(str)
    return log


def check_search_log(records: pd.DataFrame, log: pd.DataFrame, *, file: str = "search log") -> pd.DataFrame:
    """Records read per database beside the number the search log says the search returned.

    Returns
    -------
    pandas.DataFrame
        ``database``, the log's ``interface``, ``query`` and ``limits`` where it has
        them, ``searched``, ``results`` (log), ``records`` (read), ``source``.

    Raises
    ------
    InputError
        A database whose records read differ from the log, or that is read but not
        logged (an export is incomplete, or the log is wrong).

    Examples
    --------
    >>> recs = pd.DataFrame({"database": ["PubMed", "PubMed"], "source": ["search", "search"]})
    >>> log = pd.DataFrame({"database": ["PubMed"], "searched": ["2010-09-03"], "results": [2]})
    >>> check_search_log(recs, log)[["database", "results", "records"]].to_dict("records")
    [{'database': 'PubMed', 'results': 2, 'records': 2}]
    """
    read = records.groupby("database", sort=False).size()
    sources = records.groupby("database", sort=False)["source"].first()
    problems, rows = [], []
    logged = log.set_index("database")
    for database, n in read.items():
        if database not in logged.index:
            problems.append(Problem(file=file, field=str(database), expected="an entry in the search log for every database read",
                                    found="none", fix="add the search to the log"))
            continue
        expected = int(logged.at[database, "results"])
        if expected != int(n):
            problems.append(Problem(file=file, field=f"{database}.results",
                                    expected=f"{expected} records (as logged)", found=f"{int(n)} records in the export",
                                    fix="re-export all the search's records, or correct the log"))
        extra = {k: str(logged.at[database, k]) for k in ("interface", "query", "limits") if k in logged.columns}
        rows.append({"database": str(database), **extra, "searched": str(logged.at[database, "searched"]),
                     "results": expected, "records": int(n), "source": str(sources[database])})
    if problems:
        raise InputError(problems)
    columns = ["database", *[k for k in ("interface", "query", "limits") if k in logged.columns],
               "searched", "results", "records", "source"]
    return pd.DataFrame(rows, columns=columns)
