"""Rows of the records table from the records of tagged and marked-up exports.

The parsers (:mod:`peerstudy.review.bib_tagged` for MEDLINE/PubMed, RIS and Web of
Science plain text; :mod:`peerstudy.review.bib_markup` for BibTeX and EndNote XML) check
a file's structure and return its records as written; the ``map_*`` functions here turn
one such record into a row of the records table (:func:`peerstudy.review.bib_ids.new_row`),
each field normalised with the helpers of :mod:`peerstudy.review.bib_ids`.

Dates: the print (or only) publication date goes to ``year``/``month``; an
e-publication date, where the format gives one, to ``epub_year``/``epub_month``
(MEDLINE ``DEP``, ``PHST ... [epublish]``/``[aheadofprint]`` or ``Epub`` in ``SO``;
Web of Science ``EA``/``EY``; RIS ``DA``, ``Y2`` or ``ET`` when earlier than ``PY``;
EndNote XML an ``edition`` that is a date earlier than the year).

Examples
--------
>>> from peerstudy.review.bib_tagged import parse_medline
>>> text = '''PMID- 99000001
... TI  - Peer support in a
...       community team.
... DP  - 2008 Mar
... DEP - 20080112
... LID - 10.5555/PEER.2008.1 [doi]
... '''
>>> row = map_medline(parse_medline(text)[0])
>>> row["title"], row["doi"], (row["year"], row["month"]), (row["epub_year"], row["epub_month"])
('Peer support in a community team.', '10.5555/peer.2008.1', (2008, 3), (2008, 1))
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from peerstudy.review.bib_ids import (
    as_list,
    clean_text,
    is_earlier,
    join_pages,
    new_row,
    normalise_doi,
    normalise_language,
    normalise_pmid,
    parse_date,
)

__all__ = ["map_bibtex", "map_endnote", "map_medline", "map_ris", "map_wos"]


def _first(tags: Mapping[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in tags.get(name, []):
            text = clean_text(value)
            if text is not None:
                return text
    return None


# ------------------------------------------------------------------------ MEDLINE
def _medline_epub(tags: Mapping[str, list[str]]) -> tuple[int | None, int | None]:
    if _first(tags, "DEP"):
        return parse_date(_first(tags, "DEP"))
    for value in tags.get("PHST", []):
        if value.endswith(("[epublish]", "[aheadofprint]")):
            return parse_date(value.split("[")[0])
    match = re.search(r"\bEpub (\d{4}(?: [A-Za-z]{3})?)", " ".join(tags.get("SO", [])))
    return parse_date(match.group(1)) if match else (None, None)


def map_medline(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the records table from a MEDLINE record (:func:`parse_medline`).

    The DOI comes from ``LID``/``AID ... [doi]`` (else ``doi:`` in ``SO``); the
    e-publication date from ``DEP``, ``PHST ... [epublish]`` or ``Epub`` in ``SO``.

    Examples
    --------
    >>> from peerstudy.review.bib_tagged import parse_medline
    >>> rec = parse_medline("PMID- 7\\nTI  - T.\\nDP  - 2026 Feb\\nSO  - J. 2026 Feb;1:1. Epub 2025 Dec 10.\\n")[0]
    >>> row = map_medline(rec)
    >>> row["pmid"], row["year"], row["epub_year"], row["epub_month"]
    ('7', 2026, 2025, 12)
    """
    tags = record["tags"]
    row = new_row(record["line"])
    for value in [*tags.get("LID", []), *tags.get("AID", [])]:
        if value.endswith("[doi]"):
            row["doi"] = normalise_doi(value)
            break
    source = re.search(r"\bdoi: (10\.\S+?)\.?(?:\s|$)", " ".join(tags.get("SO", [])))
    if row["doi"] is None and source:
        row["doi"] = normalise_doi(source.group(1))
    row["year"], row["month"] = parse_date(_first(tags, "DP", "DEP"))
    row["epub_year"], row["epub_month"] = _medline_epub(tags)
    ptype = "; ".join(as_list(tags.get("PT", []))) or None
    row.update(
        {
            "type": ptype,
            "publication_type": ptype,
            "authors": as_list(tags.get("FAU") or tags.get("AU") or []),
            "title": _first(tags, "TI", "BTI"),
            "journal": _first(tags, "JT", "TA"),
            "volume": _first(tags, "VI"),
            "issue": _first(tags, "IP"),
            "pages": _first(tags, "PG"),
            "pmid": normalise_pmid(_first(tags, "PMID")),
            "abstract": _first(tags, "AB"),
            "keywords": as_list(tags.get("OT", []) + tags.get("MH", [])),
            "affiliations": as_list(tags.get("AD", [])),
            "language": normalise_language(tags.get("LA", [])),
        }
    )
    return row


# ------------------------------------------------------------------------ RIS
def _ris_doi(tags: Mapping[str, list[str]]) -> str | None:
    for tag in ("DO", "DI", "L3", "M3", "UR", "L2", "N1"):
        for value in tags.get(tag, []):
            if tag in ("UR", "L2", "N1") and not re.search(r"doi\.org/|[?&]doi=|\bdoi:", value, re.IGNORECASE):
                continue
            doi = normalise_doi(value)
            if doi:
                return doi
    return None


def _ris_pmid(tags: Mapping[str, list[str]]) -> str | None:
    notes = " ".join(tags.get("N1", []))
    match = re.search(r"PMID:?\s*(\d+)", notes)
    if match:
        return match.group(1)
    for value in [*tags.get("UR", []), *tags.get("L2", [])]:
        if "pubmed" in value.lower() or "europepmc" in value.lower():
            pmid = normalise_pmid(value)
            if pmid:
                return pmid
    source = " ".join(tags.get("DB", []) + tags.get("DP", []))
    if re.search(r"pubmed|medline|\bnlm\b", source, re.IGNORECASE):  # there the accession number is the PMID
        return normalise_pmid(_first(tags, "AN"))
    return None


def _ris_dates(tags: Mapping[str, list[str]]) -> tuple[tuple[int | None, int | None], tuple[int | None, int | None]]:
    year, month = parse_date(_first(tags, "PY", "Y1"))
    full = parse_date(_first(tags, "DA"))
    if year is None or (month is None and full[0] == year):
        year, month = year or full[0], month or full[1]
    epub: tuple[int | None, int | None] = (None, None)
    for tag in ("DA", "Y2", "ET"):
        candidate = parse_date(_first(tags, tag))
        if is_earlier(candidate, (year, month)) and (epub[0] is None or is_earlier(candidate, epub)):
            epub = candidate
    return (year, month), epub


def map_ris(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the records table from a RIS record (:func:`parse_ris`).

    Authors from ``AU`` (else ``A1``, as Ovid writes them); the DOI from ``DO``, ``DI``,
    ``L3`` (EBSCO), ``M3``, or a DOI link in ``UR``/``L2``/``N1``; the PMID from
    ``PMID:`` in ``N1``, a PubMed link, or ``AN`` when ``DB``/``DP`` name PubMed,
    MEDLINE or the NLM; the e-publication date from ``DA``, ``Y2``
    or ``ET`` when earlier than ``PY`` (a later ``Y2`` is Zotero's access date).

    Examples
    --------
    >>> from peerstudy.review.bib_tagged import parse_ris
    >>> rec = parse_ris("TY  - JOUR\\nA1  - Lee, K.\\nPY  - 2026\\nDA  - 2025/12/10\\nL3  - 10.5555/X\\nER  - \\n")[0]
    >>> row = map_ris(rec)
    >>> row["authors"], row["doi"], row["year"], (row["epub_year"], row["epub_month"])
    (['Lee, K.'], '10.5555/x', 2026, (2025, 12))
    """
    tags = record["tags"]
    row = new_row(record["line"])
    (row["year"], row["month"]), (row["epub_year"], row["epub_month"]) = _ris_dates(tags)
    row.update(
        {
            "type": _first(tags, "TY"),
            "authors": as_list(tags.get("AU") or tags.get("A1") or []),
            "title": _first(tags, "TI", "T1", "CT", "BT"),
            "journal": _first(tags, "T2", "JO", "JF", "J2", "JA"),
            "volume": _first(tags, "VL"),
            "issue": _first(tags, "IS"),
            "pages": join_pages(_first(tags, "SP"), _first(tags, "EP")),
            "doi": _ris_doi(tags),
            "pmid": _ris_pmid(tags),
            "abstract": _first(tags, "AB", "N2"),
            "keywords": as_list(tags.get("KW", [])),
            "affiliations": as_list(tags.get("AD", [])),
            "language": normalise_language(tags.get("LA", [])),
            "publication_type": "; ".join(v for v in as_list(tags.get("M3", [])) if not normalise_doi(v)) or None,
        }
    )
    return row


# ------------------------------------------------------------------------ Web of Science
def map_wos(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the records table from a Web of Science record (plain text or tab-delimited).

    The print date from ``PY``/``PD``, the early-access (e-publication) date from
    ``EA`` (and ``EY`` where ``EA`` has no year).

    Examples
    --------
    >>> from peerstudy.review.bib_tagged import parse_wos
    >>> rec = parse_wos("PT J\\nAF Lee, Kim\\nTI T\\nPD FEB\\nPY 2026\\nEA DEC 2025\\nDI 10.5555/W\\nER\\n")[0]
    >>> row = map_wos(rec)
    >>> row["authors"], (row["year"], row["month"]), (row["epub_year"], row["epub_month"]), row["doi"]
    (['Lee, Kim'], (2026, 2), (2025, 12), '10.5555/w')
    """
    tags = record["tags"]
    row = new_row(record["line"])
    year, _ = parse_date(_first(tags, "PY"))
    year2, month = parse_date(_first(tags, "PD"))
    row["year"], row["month"] = year or year2, month
    early = _first(tags, "EA")
    if early:
        epub_year, epub_month = parse_date(early)
        row["epub_year"], row["epub_month"] = epub_year or parse_date(_first(tags, "EY"))[0], epub_month
    elif _first(tags, "EY"):
        row["epub_year"] = parse_date(_first(tags, "EY"))[0]
    row.update(
        {
            "type": _first(tags, "PT"),
            "authors": as_list(tags.get("AF") or tags.get("AU") or []),
            "title": _first(tags, "TI"),
            "journal": _first(tags, "SO"),
            "volume": _first(tags, "VL"),
            "issue": _first(tags, "IS"),
            "pages": join_pages(_first(tags, "BP"), _first(tags, "EP")) or _first(tags, "AR"),
            "doi": normalise_doi(_first(tags, "DI")),
            "pmid": normalise_pmid(_first(tags, "PM")),
            "abstract": _first(tags, "AB"),
            "keywords": as_list(tags.get("DE", []), sep=";"),
            "affiliations": as_list(tags.get("C1", [])),
            "language": normalise_language(_first(tags, "LA")),
            "publication_type": _first(tags, "DT"),
        }
    )
    return row


# ------------------------------------------------------------------------ BibTeX
def _bib_pmid(fields: Mapping[str, str]) -> str | None:
    for name in ("pmid", "pubmed_id", "pubmed"):
        if normalise_pmid(fields.get(name)):
            return normalise_pmid(fields.get(name))
    if str(fields.get("eprinttype", "")).lower() == "pubmed":
        return normalise_pmid(fields.get("eprint"))
    for name in ("url", "note", "annote"):
        match = re.search(r"PMID:?\s*(\d{1,9})\b", fields.get(name) or "")
        if match:
            return match.group(1)
        if "pubmed" in (fields.get(name) or "").lower():
            return normalise_pmid(fields.get(name))
    return None


def map_bibtex(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the records table from a BibTeX entry (:func:`parse_bibtex`).

    Examples
    --------
    >>> from peerstudy.review.bib_markup import parse_bibtex
    >>> entry = parse_bibtex("@book{k, title={T}, year={2001}, url={https://doi.org/10.5555/B}, pages={5--9}}")[0]
    >>> row = map_bibtex(entry)
    >>> row["type"], row["doi"], row["pages"]
    ('book', '10.5555/b', '5-9')
    """
    f = record["fields"]
    row = new_row(record["line"])
    year, month = parse_date(f.get("year") or f.get("date"))
    if f.get("month"):
        month = parse_date(f"{year or 2000} {f['month']}")[1] or month
    doi = normalise_doi(f.get("doi"))
    if doi is None and re.search(r"doi\.org/|[?&]doi=", f.get("url") or "", re.IGNORECASE):
        doi = normalise_doi(f.get("url"))
    keywords = f.get("keywords") or f.get("author_keywords") or ""
    row.update(
        {
            "type": record["type"],
            "publication_type": clean_text(f.get("document_type") or f.get("type")),
            "authors": as_list(re.split(r"\s+and\s+", f.get("author", "")) if f.get("author") else []),
            "year": year,
            "month": month,
            "title": clean_text(f.get("title")),
            "journal": clean_text(f.get("journal") or f.get("journaltitle") or f.get("booktitle")),
            "volume": clean_text(f.get("volume")),
            "issue": clean_text(f.get("number") or f.get("issue")),
            "pages": clean_text(re.sub(r"\s*[-\u2013\u2014]+\s*", "-", f.get("pages", "")))
            or clean_text(f.get("art_number")),
            "doi": doi,
            "pmid": _bib_pmid(f),
            "abstract": clean_text(f.get("abstract")),
            "keywords": as_list(keywords, sep=";" if ";" in keywords else ","),
            "affiliations": as_list(f.get("affiliation") or f.get("affiliations") or "", sep=";"),
            "language": normalise_language(f.get("language") or f.get("langid")),
        }
    )
    return row


# ------------------------------------------------------------------------ EndNote XML
def _texts(el: ET.Element, path: str) -> list[str]:
    return as_list(["".join(node.itertext()) for node in el.findall(path)])


def _one(el: ET.Element, *paths: str) -> str | None:
    for path in paths:
        values = _texts(el, path)
        if values:
            return re.sub(r"\s+", " ", values[0])
    return None


def map_endnote(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the records table from an EndNote XML record (:func:`parse_endnote_xml`).

    The DOI from ``electronic-resource-num`` (else a DOI link among the urls); the PMID
    from ``accession-num`` when the remote database is PubMed/NLM, or a PubMed link; an
    ``edition`` that is a date earlier than the year (EndNote's "Epub Date" of a journal
    article) as the e-publication date.

    Examples
    --------
    >>> from peerstudy.review.bib_markup import parse_endnote_xml
    >>> xml = "<xml><records><record><dates><year>2026</year></dates><edition>2025/11/20</edition>" \\
    ...       "<electronic-resource-num>10.5555/E</electronic-resource-num></record></records></xml>"
    >>> row = map_endnote(parse_endnote_xml(xml)[0])
    >>> row["doi"], row["year"], (row["epub_year"], row["epub_month"])
    ('10.5555/e', 2026, (2025, 11))
    """
    el = record["element"]
    row = new_row(record["line"])
    year, month = parse_date(_one(el, "dates/year"))
    date_year, date_month = parse_date(_one(el, "dates/pub-dates/date"))
    row["year"], row["month"] = year or date_year, month or (date_month if date_year in (None, year) else None)
    epub = parse_date(_one(el, "edition"))
    if is_earlier(epub, (row["year"], row["month"])):
        row["epub_year"], row["epub_month"] = epub
    urls = _texts(el, "urls//url")
    doi = normalise_doi(_one(el, "electronic-resource-num"))
    doi = doi or next((normalise_doi(u) for u in urls if re.search(r"doi\.org/|[?&]doi=", u, re.IGNORECASE)), None)
    database = " ".join(_texts(el, "remote-database-provider") + _texts(el, "remote-database-name")).lower()
    pmid = normalise_pmid(_one(el, "accession-num")) if re.search(r"nlm|pubmed|medline", database) else None
    pmid = pmid or next((normalise_pmid(u) for u in urls if "pubmed" in u.lower()), None)
    ref_type = el.find("ref-type")
    row.update(
        {
            "type": ref_type.get("name") if ref_type is not None else None,
            "publication_type": clean_text(_one(el, "work-type"))
            or (ref_type.get("name") if ref_type is not None else None),
            "authors": _texts(el, "contributors/authors/author"),
            "title": _one(el, "titles/title"),
            "journal": _one(el, "titles/secondary-title", "periodical/full-title"),
            "volume": _one(el, "volume"),
            "issue": _one(el, "number", "issue"),
            "pages": join_pages(_one(el, "pages")),
            "doi": doi,
            "pmid": pmid,
            "abstract": _one(el, "abstract"),
            "keywords": _texts(el, "keywords/keyword"),
            "affiliations": _texts(el, "auth-address"),
            "language": normalise_language(_one(el, "language")),
        }
    )
    return row
