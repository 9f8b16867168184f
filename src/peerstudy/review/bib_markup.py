"""Marked-up exports: BibTeX (:mod:`bibtexparser`) and EndNote XML (:mod:`defusedxml`).

BibTeX is what Scopus, Zotero, Mendeley and JabRef write; LaTeX accents and protecting
braces are turned into plain text (a bare ``%``, common in abstracts, is kept as text).
A field given twice in one entry (Scopus repeats ``funding_details``) is kept once, its
values joined. An entry the parser cannot read (an unclosed brace swallows the rest of
the file) refuses the file, naming the line.

EndNote XML is what EndNote, Zotero and Mendeley write (``<xml><records><record>``);
text may be wrapped in ``<style>`` elements. A document type declaration or entity is
refused before anything is read (they can read local files or expand without bound).

Examples
--------
>>> bib = '@article{k1, author = {M{\\\\"u}ller, J. and Lee, K.}, title = {{Peer} support: 50% less}, year = 2001}'
>>> row = map_bibtex(parse_bibtex(bib, file="x.bib")[0])
>>> row["authors"], row["title"], row["year"], row["line"]
(['Müller, J.', 'Lee, K.'], 'Peer support: 50% less', 2001, 1)
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import bibtexparser
import defusedxml
import defusedxml.ElementTree as DET
from bibtexparser.model import DuplicateFieldKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text

from peerstudy.errors import InputError, Problem
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

__all__ = ["map_bibtex", "map_endnote", "parse_bibtex", "parse_endnote_xml"]

_LATEX = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


def _delatex(value: str) -> str:
    """Plain text of a BibTeX value: accents decoded, protecting braces removed."""
    if "\\" not in value and "{" not in value and "~" not in value:
        return value
    escaped = re.sub(r"(?<!\\)%", r"\\%", value)
    try:
        return _LATEX.latex_to_text(escaped)
    except Exception:  # noqa: BLE001 - pylatexenc raises many kinds on odd input; keep the text as written
        return value


# ------------------------------------------------------------------------ BibTeX
def parse_bibtex(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Entries of a BibTeX file: per entry ``line``, ``type``, ``key`` and ``fields``
    (lower-case name → plain text; a repeated field's values joined by ``; ``).

    Raises
    ------
    InputError
        An entry the parser could not read (unclosed brace, missing comma, ...), naming
        the line where it starts and the parser's reason; all such entries together.

    Examples
    --------
    >>> parse_bibtex("@article{a,\\n title={Unclosed {brace},\\n year={2001}\\n}\\n", file="x.bib")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: x.bib, row 1: expected a BibTeX entry with balanced braces and quotes, found an entry that cannot be read (Unexpectedly reached end of file.). Fix: close the brace or quote that is left open in this entry (or the one before it), or re-export the file.
    """
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        library = bibtexparser.parse_string(text)
    finally:
        logger.setLevel(level)
    problems: list[Problem] = []
    entries: list[Entry] = list(library.entries)
    for block in library.failed_blocks:
        if isinstance(block, DuplicateFieldKeyBlock):
            entries.append(block.ignore_error_block)
        elif isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", None) or str(block.error).strip() or "a syntax error"
            problems.append(
                Problem(
                    file=file,
                    row=(block.start_line or 0) + 1,
                    expected="a BibTeX entry with balanced braces and quotes",
                    found=f"an entry that cannot be read ({reason})",
                    fix="close the brace or quote that is left open in this entry (or the one before "
                    "it), or re-export the file",
                )
            )
    if problems:
        raise InputError(problems)
    records = []
    for entry in sorted(entries, key=lambda e: e.start_line or 0):
        fields: dict[str, str] = {}
        for field in entry.fields:
            name = re.sub(r"\s+", "_", field.key.strip().lower())
            value = _delatex(str(field.value)).strip()
            fields[name] = f"{fields[name]}; {value}" if name in fields and value else (fields.get(name) or value)
        records.append(
            {"line": (entry.start_line or 0) + 1, "type": entry.entry_type.lower(), "key": entry.key, "fields": fields}
        )
    return records


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
def _xml_root(text: str, file: str) -> ET.Element:
    """The parsed document; entities, external references and DTDs are refused."""
    fix = "do not open this file; export the records again from the reference manager"
    expected = "EndNote XML without a document type declaration (DTD) or entities"
    try:
        root = DET.fromstring(text.encode("utf-8"), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden as exc:
        what = (
            f"an external entity {exc.name!r} (SYSTEM {exc.sysid!r})"
            if exc.sysid
            else f"an entity declaration {exc.name!r}"
        )
        found = f"{what}; entities are refused because they can read local files or expand without bound"
    except defusedxml.ExternalReferenceForbidden as exc:
        found = f"an external reference ({exc.sysid!r}); refused because it can read local or remote files"
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise InputError(
            Problem(
                file=file,
                row=line,
                expected="well-formed EndNote XML",
                found=f"{str(exc).rsplit(': line', 1)[0]!r} at column {column}",
                fix="the file is cut off or damaged: export the records again",
            )
        ) from None
    else:
        doctype = re.search(r"<!DOCTYPE[^>\[]*", text[:5000])  # only the prolog can hold one
        if doctype is None:
            return root
        found = f"a document type declaration {doctype.group(0).strip()!r}; DTDs are refused (they can read files)"
    raise InputError(Problem(file=file, expected=expected, found=found, fix=fix))


def parse_endnote_xml(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Records of an EndNote XML export: per record ``line`` and ``element``.

    Raises
    ------
    InputError
        XML that is not well-formed, or that declares a DTD or entities (refused
        unread), or that holds no ``<record>``.

    Examples
    --------
    >>> xml = '<xml><records><record><titles><title><style>Peer work</style></title></titles></record></records></xml>'
    >>> map_endnote(parse_endnote_xml(xml)[0])["title"]
    'Peer work'
    """
    root = _xml_root(text, file)
    elements = list(root.iter("record"))
    if not elements:
        raise InputError(
            Problem(
                file=file,
                expected="EndNote XML with <record> elements",
                found=f"a <{root.tag}> document without records",
                fix="export the records as EndNote XML",
            )
        )
    starts = [m.start() for m in re.finditer(r"<record[\s>]", text)]
    lines = (
        [text.count("\n", 0, s) + 1 for s in starts]
        if len(starts) == len(elements)
        else list(range(1, len(elements) + 1))
    )
    return [{"line": line, "element": el} for line, el in zip(lines, elements, strict=False)]


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
