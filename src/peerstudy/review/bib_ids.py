"""Normalisers shared by the readers of bibliographic exports.

Identifiers are normalised wherever an export writes them: a DOI is found in a bare
value, a ``doi:`` prefix, a resolver link (``https://doi.org/``, ``dx.doi.org``), a
URL-encoded ``doi=`` query parameter, and is lower-cased; a PMID is found as digits,
as ``PMID: 123`` or in a PubMed link. The texts ``NA``, ``N/A``, ``NULL``, ``None``,
``NaN``, ``#N/A`` and empty strings (as R, Excel and databases write them) are missing
values everywhere.

Each reader builds, per record, a plain dict (:func:`new_row`) with the fields of the
records table; :func:`peerstudy.review.bibliography.read_export` turns those rows into it.

Examples
--------
>>> normalise_doi("https://doi.org/10.5555/PEER.2008.1")
'10.5555/peer.2008.1'
>>> normalise_pmid("https://pubmed.ncbi.nlm.nih.gov/30689646/")
'30689646'
>>> is_missing("NA"), is_missing(" "), is_missing("Na, K.")
(True, True, False)
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import unquote

from peerstudy.io.missing import is_na

__all__ = [
    "MISSING_TEXTS",
    "as_list",
    "clean_text",
    "is_earlier",
    "is_missing",
    "join_pages",
    "new_row",
    "normalise_doi",
    "normalise_language",
    "normalise_pmid",
    "parse_date",
    "slugify_database",
]

#: Texts that mean "no value" in exports (R writes ``NA``, Excel ``#N/A``, databases ``NULL``).
MISSING_TEXTS = frozenset(
    {
        "",
        "NA",
        "N/A",
        "n/a",
        "N/a",
        "NULL",
        "null",
        "Null",
        "None",
        "none",
        "NaN",
        "nan",
        "#N/A",
        "<NA>",
        "[No author name available]",
        "[No title available]",
        "[No abstract available]",
    }
)

_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

_LANGUAGES = {
    "eng": "English",
    "en": "English",
    "ger": "German",
    "deu": "German",
    "de": "German",
    "fre": "French",
    "fra": "French",
    "fr": "French",
    "spa": "Spanish",
    "es": "Spanish",
    "ita": "Italian",
    "it": "Italian",
    "por": "Portuguese",
    "pt": "Portuguese",
    "dut": "Dutch",
    "nld": "Dutch",
    "nl": "Dutch",
    "jpn": "Japanese",
    "ja": "Japanese",
    "chi": "Chinese",
    "zho": "Chinese",
    "zh": "Chinese",
    "kor": "Korean",
    "ko": "Korean",
    "swe": "Swedish",
    "sv": "Swedish",
    "nor": "Norwegian",
    "dan": "Danish",
    "fin": "Finnish",
    "pol": "Polish",
    "rus": "Russian",
    "heb": "Hebrew",
    "tur": "Turkish",
    "gre": "Greek",
    "ell": "Greek",
    "hun": "Hungarian",
    "cze": "Czech",
    "ces": "Czech",
}

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_QUERY = re.compile(r"[?&]doi=([^&#\s]+)", re.IGNORECASE)
_PUBMED_URL = re.compile(
    r"(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed|europepmc\.org/abstract/med)"
    r"/(?:\?term=)?(\d{1,9})\b",
    re.IGNORECASE,
)
# "123.0": a PMID column written as floats (pandas, when a cell of the column is empty)
_PMID_TEXT = re.compile(r"^(?:PMID|pmid|PubMed ID|MEDLINE)?[:\s]*(\d{1,9})(?:\.0)?(?:\s*\[[a-z]+\])?\.?$")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")


def is_missing(value: Any) -> bool:
    """Whether ``value`` is no value: ``None``, NaN/NA, or a text of :data:`MISSING_TEXTS`.

    Examples
    --------
    >>> [is_missing(v) for v in (None, float("nan"), "NULL", "N/A", "", "0", "Na")]
    [True, True, True, True, True, False, False]
    """
    if isinstance(value, str):
        return value.strip() in MISSING_TEXTS
    return is_na(value)


def clean_text(value: Any) -> str | None:
    """``value`` as stripped text, or ``None`` when it is missing (:func:`is_missing`).

    Examples
    --------
    >>> clean_text("  Peer support "), clean_text("NA")
    ('Peer support', None)
    """
    if is_missing(value):
        return None
    return str(value).strip()


def as_list(value: Any, sep: str | None = None) -> list[str]:
    """Non-missing items of a value or list of values, each split on ``sep`` if given.

    Examples
    --------
    >>> as_list(["a; b", "NA", " c "], sep=";")
    ['a', 'b', 'c']
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        for part in str(item).split(sep) if sep and not is_missing(item) else [item]:
            text = clean_text(part)
            if text is not None:
                out.append(text)
    return out


def normalise_doi(value: Any) -> str | None:
    """A DOI in lower case without a resolver prefix, or ``None`` if there is none.

    Reads bare DOIs, ``doi:`` forms, resolver links and links that carry the DOI in a
    URL-encoded ``doi=`` parameter (as Scopus writes them).

    Examples
    --------
    >>> normalise_doi("DOI: 10.1037/A0012345.")
    '10.1037/a0012345'
    >>> normalise_doi("http://dx.doi.org/10.32604/ijmhp.2024.048803 [doi]")
    '10.32604/ijmhp.2024.048803'
    >>> normalise_doi("https://www.scopus.com/record.uri?eid=2&doi=10.1097%2fICB.530&partnerID=40")
    '10.1097/icb.530'
    >>> normalise_doi("n/a") is None
    True
    """
    if is_missing(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    query = _DOI_QUERY.search(text)
    if query and "doi.org/" not in text.lower():
        text = unquote(query.group(1))
    elif "%2f" in text.lower() and "doi.org/" in text.lower():
        text = unquote(text)
    match = _DOI.search(text)
    if not match:
        return None
    return match.group(0).rstrip(".,;)]}").lower()


def normalise_pmid(value: Any) -> str | None:
    """A PubMed id as digits, from digits, ``PMID: 123``, ``123 [pmid]`` or a PubMed link.

    Examples
    --------
    >>> normalise_pmid("PMID: 30689646"), normalise_pmid("http://www.ncbi.nlm.nih.gov/pubmed/123")
    ('30689646', '123')
    >>> normalise_pmid("NA") is None, normalise_pmid("10.1000/x") is None, normalise_pmid("99000002.0")
    (True, True, '99000002')
    """
    if is_missing(value):
        return None
    text = str(value).strip()
    url = _PUBMED_URL.search(text)
    if url:
        return url.group(1)
    match = _PMID_TEXT.match(text)
    return match.group(1) if match else None


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
        item = clean_text(item)
        if item is None:
            continue
        name = _LANGUAGES.get(item.lower(), item[:1].upper() + item[1:].lower())
        if name not in names:
            names.append(name)
    return "; ".join(names) or None


def parse_date(value: Any) -> tuple[int | None, int | None]:
    """Year and month of a publication date as databases write it.

    Seasons count from their first month (Spring 3, Summer 6, Fall/Autumn 9, Winter 12).
    ``YYYYMMDD`` (MEDLINE ``DEP``) and ISO dates are read too.

    Examples
    --------
    >>> parse_date("2010 Sep 15"), parse_date("2008///"), parse_date("1999/11/02/")
    ((2010, 9), (2008, None), (1999, 11))
    >>> parse_date("2004 Winter"), parse_date("MAR 15"), parse_date(""), parse_date("20251210")
    ((2004, 12), (None, 3), (None, None), (2025, 12))
    """
    if is_missing(value):
        return None, None
    text = str(value).strip()
    compact = re.fullmatch(r"((?:19|20)\d\d)(0[1-9]|1[0-2])(\d\d)?", text)
    if compact:
        return int(compact.group(1)), int(compact.group(2))
    year_match = _YEAR.search(text)
    year = int(year_match.group(1)) if year_match else None
    rest = text[year_match.end() :] if year_match else text
    numeric = re.match(r"\s*[/-](\d{1,2})(?:[/-]|\s|T|$)", rest)
    if numeric and 1 <= int(numeric.group(1)) <= 12:
        return year, int(numeric.group(1))
    if year_match:
        before = re.fullmatch(r"\s*(\d{1,2})[/-](?:\d{1,2}[/-])?", text[: year_match.start()])
        if before and 1 <= int(before.group(1)) <= 12:  # 5/4/2018 (EBSCO: month first)
            return year, int(before.group(1))
    for word in re.findall(r"[A-Za-z]+", text):
        key = word.lower()
        if key[:3] in _MONTHS and (len(key) == 3 or key.startswith(_MONTH_NAMES)):
            return year, _MONTHS[key[:3]]
        if key in _SEASONS:
            return year, _SEASONS[key]
    return year, None


def join_pages(start: Any, end: Any = None) -> str | None:
    """Pages as ``start-end`` (one page once), or ``None``.

    Examples
    --------
    >>> join_pages("112", "119"), join_pages("4", "4"), join_pages("NA", None)
    ('112-119', '4', None)
    """
    start, end = clean_text(start) or "", clean_text(end) or ""
    if start and end and start != end:
        return f"{start}-{end}"
    return start or end or None


def slugify_database(name: str) -> str:
    """The database part of a record id: lower case, non-alphanumerics as ``-``.

    Examples
    --------
    >>> slugify_database("PsycINFO"), slugify_database("Web of Science")
    ('psycinfo', 'web-of-science')
    """
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def is_earlier(date: tuple[int | None, int | None], other: tuple[int | None, int | None]) -> bool:
    """Whether the (year, month) ``date`` lies before ``other``; a missing month is unknown,
    a missing year of ``other`` makes any dated ``date`` earlier.

    Examples
    --------
    >>> is_earlier((2025, 12), (2026, 2)), is_earlier((2026, 1), (2026, None)), is_earlier((2025, None), (None, None))
    (True, False, True)
    """
    (year, month), (other_year, other_month) = date, other
    if year is None:
        return False
    if other_year is None or year != other_year:
        return other_year is None or year < other_year
    return month is not None and other_month is not None and month < other_month


def new_row(line: int) -> dict[str, Any]:
    """An empty record as the readers fill it (lists for authors, keywords, affiliations).

    Examples
    --------
    >>> row = new_row(3)
    >>> row["line"], row["authors"], row["doi"]
    (3, [], None)
    """
    return {
        "line": line,
        "type": None,
        "authors": [],
        "year": None,
        "month": None,
        "epub_year": None,
        "epub_month": None,
        "title": None,
        "journal": None,
        "volume": None,
        "issue": None,
        "pages": None,
        "doi": None,
        "pmid": None,
        "abstract": None,
        "keywords": [],
        "affiliations": [],
        "language": None,
        "publication_type": None,
    }
