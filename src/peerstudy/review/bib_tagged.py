"""Tagged exports: MEDLINE/PubMed, RIS and Web of Science plain text.

Each format is a list of records, each a list of tagged lines. The ``parse_*``
functions check the structure line by line (so a problem is named by its line) and
return, per record, the line it starts at and its tags (tag → list of values, in the
file's order; unknown tags are kept there and do no harm). The ``map_*`` functions turn
a record's tags into a row of the records table (:func:`peerstudy.review.bib_ids.new_row`).

Dates: the print (or only) publication date goes to ``year``/``month``; an
e-publication date, where the format gives one, to ``epub_year``/``epub_month``
(MEDLINE ``DEP``, ``PHST ... [epublish]``/``[aheadofprint]`` or ``Epub`` in ``SO``;
Web of Science ``EA``/``EY``; RIS ``DA``, ``Y2`` or ``ET`` when earlier than ``PY``).

Examples
--------
>>> text = '''PMID- 99000001
... TI  - Peer support in a
...       community team.
... FAU - Ødegård, Åse
... DP  - 2008 Mar
... DEP - 20080112
... LID - 10.5555/PEER.2008.1 [doi]
... '''
>>> record = parse_medline(text)[0]
>>> record["line"], record["tags"]["TI"], record["tags"]["FAU"]
(1, ['Peer support in a community team.'], ['Ødegård, Åse'])
>>> row = map_medline(record)
>>> row["doi"], (row["year"], row["month"]), (row["epub_year"], row["epub_month"])
('10.5555/peer.2008.1', (2008, 3), (2008, 1))
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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

__all__ = ["map_medline", "map_ris", "map_wos", "parse_medline", "parse_ris", "parse_wos", "split_lines"]

Tags = dict[str, list[str]]


def split_lines(text: str) -> list[str]:
    """Lines of a text whatever its line endings (CRLF, CR, LF).

    Examples
    --------
    >>> split_lines("a\\r\\nb\\rc")
    ['a', 'b', 'c']
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _shown(line: str) -> str:
    line = line.rstrip()
    return repr(line if len(line) <= 60 else line[:57] + "...")


def _first(tags: Mapping[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in tags.get(name, []):
            text = clean_text(value)
            if text is not None:
                return text
    return None


# ------------------------------------------------------------------------ MEDLINE
_MEDLINE_TAG = re.compile(r"[A-Z][A-Z0-9]{1,3} *")
#: The record number Ovid writes before each record of a MEDLINE-format export (``<1>``).
_OVID_RECORD_NUMBER = re.compile(r"^<\d+>$")


def parse_medline(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Records of a MEDLINE/PubMed export (``.nbib``, ``.txt``).

    A record is a block of lines separated from the next by a blank line. Each line is a
    tag of up to four characters padded to four, ``- ``, and a value; a value goes on in
    lines indented by six spaces. Trailing spaces, a leading blank line and the record
    numbers Ovid writes before each record (``<1>``) are accepted.
    A record without a title is kept (the records table lists it among the problems).

    Returns
    -------
    list of dict
        Per record: ``line`` (where it starts) and ``tags`` (tag → list of values, each
        continuation joined with one space).

    Raises
    ------
    InputError
        For every line that is neither a tag line nor a continuation line, naming file
        and line.

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
    for number, raw in enumerate(split_lines(text), 1):
        line = raw.rstrip()
        if not line.strip() or (current is None and _OVID_RECORD_NUMBER.match(line)):
            current, last_tag = None, None
            continue
        if len(line) >= 5 and line[4] == "-" and _MEDLINE_TAG.fullmatch(line[:4]):
            tag, value = line[:4].strip(), line[5:].strip()
            if current is None:
                current = {"line": number, "tags": {}}
                records.append(current)
            current["tags"].setdefault(tag, []).append(value)
            last_tag = tag
        elif raw.startswith("      ") and current is not None and last_tag is not None:
            values = current["tags"][last_tag]
            values[-1] = f"{values[-1]} {line.strip()}".strip()
        else:
            problems.append(
                Problem(
                    file=file,
                    row=number,
                    expected="a MEDLINE tag line ('TAG - value') or a continuation line indented by 6 spaces",
                    found=_shown(line),
                    fix="re-export the records in MEDLINE/PubMed format, or repair that line",
                )
            )
    if problems:
        raise InputError(problems)
    return records


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
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_RIS_LOOKS_LIKE_TAG = re.compile(r"^[A-Z][A-Z0-9] {0,3}-")
#: Lines Ovid writes between records: the record's number, and links to full text or resolvers.
_OVID_BETWEEN = re.compile(r"^(?:\d+\.|Link to (?:the )?[^:]{1,60}:.*)$")


class _Collector:
    """Records of a tagged export as they are read line by line, and the problems found."""

    def __init__(self, file: str, end: str):
        self.file, self.end = file, end
        self.records: list[dict[str, Any]] = []
        self.problems: list[Problem] = []
        self.current: dict[str, Any] | None = None
        self.last: str | None = None

    def problem(self, row: int, field: str | None, expected: str, found: str, fix: str) -> None:
        self.problems.append(Problem(file=self.file, row=row, field=field, expected=expected, found=found, fix=fix))

    def start(self, number: int, found_instead: str, fix: str) -> None:
        if self.current is not None:
            self.unclosed(found_instead, fix)
        self.current = {"line": number, "tags": {}}
        self.records.append(self.current)
        self.last = None

    def unclosed(self, found: str, fix: str) -> None:
        start = self.current["line"]
        self.problem(start, "ER", f"{self.end} closing the record that starts at line {start}", found, fix)
        self.current, self.last = None, None

    def add(self, tag: str, value: str | None) -> None:
        if tag == "ER":
            self.current, self.last = None, None
            return
        self.current["tags"].setdefault(tag, []).append((value or "").strip())
        self.last = tag

    def extend(self, text: str, *, as_item: bool = False) -> None:
        values = self.current["tags"][self.last]
        if as_item:
            values.append(text)
        else:
            values[-1] = f"{values[-1]} {text}".strip()

    def result(self) -> list[dict[str, Any]]:
        if self.problems:
            raise InputError(sorted(self.problems, key=lambda p: p.row or 0))
        return self.records


def parse_ris(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Records of a RIS export, with their tags and the line each starts at.

    Every record starts with ``TY  - `` and ends with ``ER  - ``; a tag is two
    characters, two spaces, a hyphen and a space. Lines that are not tags continue the
    value above (some exporters wrap abstracts). Between records, blank lines and the
    lines Ovid writes there (``1.``, ``Link to the Ovid Full Text or citation: ...``)
    are skipped. A record without a title is kept.

    Raises
    ------
    InputError
        Other text outside a record, a record not closed by ``ER`` before the next
        ``TY`` or the end of the file, or a malformed tag line; each naming file and line.

    Examples
    --------
    >>> ris = "1.\\nTY  - JOUR\\nAU  - Núñez, M.\\nTI  - Peer workers\\nPY  - 2001\\nER  -\\n\\nLink to the Ovid Full Text or citation: http://x\\n"
    >>> rec = parse_ris(ris)[0]
    >>> rec["line"], rec["tags"]["AU"], rec["tags"]["PY"]
    (2, ['Núñez, M.'], ['2001'])
    >>> parse_ris("TY  - JOUR\\nTI  - Unclosed\\n", file="x.ris")
    Traceback (most recent call last):
    ...
    peerstudy.errors.InputError: x.ris, row 1, field 'ER': expected 'ER  - ' closing the record that starts at line 1, found the end of the file. Fix: re-export the file; it was cut off or edited by hand.
    """
    found = _Collector(file, "'ER  - '")
    for number, raw in enumerate(split_lines(text), 1):
        line = raw.rstrip()
        match = _RIS_TAG.match(line)
        tag = match.group(1) if match else None
        if match is None and _RIS_LOOKS_LIKE_TAG.match(line):
            found.problem(
                number,
                None,
                "a RIS tag line 'XX  - value' (two spaces, hyphen, space)",
                _shown(line),
                "repair the spacing of the tag, or re-export the file",
            )
        elif found.current is None and tag != "TY":
            if line.strip() and not _OVID_BETWEEN.match(line.strip()):
                found.problem(
                    number,
                    "TY",
                    "'TY  - ' starting a record",
                    _shown(line),
                    "re-export the file, or remove the stray text",
                )
        elif tag == "TY":
            found.start(
                number, f"a new record at line {number}", "add the missing 'ER  - ' line, or re-export the file"
            )
            found.add(tag, match.group(2))
        elif tag is not None:
            found.add(tag, match.group(2))
        elif line.strip() and found.last is not None:
            found.extend(line.strip())
    if found.current is not None:
        found.unclosed("the end of the file", "re-export the file; it was cut off or edited by hand")
    return found.result()


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
_WOS_TAG = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
#: Tags whose continuation lines are separate items (one author, address or reference each).
_WOS_ITEM_TAGS = frozenset({"AU", "AF", "BA", "BF", "CA", "GP", "BE", "C1", "C3", "CR", "RI", "OI"})


def parse_wos(text: str, *, file: str = "<text>") -> list[dict[str, Any]]:
    """Records of a Web of Science plain-text export (any era), with the line each starts at.

    The file may begin with ``FN``/``VR`` and end with ``EF``; a record starts with
    ``PT`` and ends with ``ER``; values go on in lines indented by three spaces (for
    ``AU``, ``AF``, ``C1`` and other list tags each such line is one item, for the rest
    they are joined with a space). Any two-character tag is accepted, including those of
    current exports (``WE``, ``C3``, ...). A record without a title is kept.

    Raises
    ------
    InputError
        Lines that are neither tags nor continuations, a record not closed by ``ER``,
        or text outside a record; each naming file and line.

    Examples
    --------
    >>> wos = "FN Clarivate Analytics Web of Science\\nVR 1.0\\nPT J\\nAU Lee, S\\n   Kim, J\\nTI A title\\n   on two lines\\nWE Science Citation Index Expanded (SCI-EXPANDED)\\nPY 2024\\nER\\n\\nEF"
    >>> rec = parse_wos(wos)[0]
    >>> rec["line"], rec["tags"]["AU"], rec["tags"]["TI"]
    (3, ['Lee, S', 'Kim, J'], ['A title on two lines'])
    """
    found = _Collector(file, "'ER'")
    for number, raw in enumerate(split_lines(text), 1):
        line = raw.rstrip()
        match = _WOS_TAG.match(line)
        tag = match.group(1) if match else None
        if not line.strip() or (found.current is None and tag in ("FN", "VR", "EF")):
            continue
        if found.current is None and tag != "PT":
            found.problem(
                number, "PT", "'PT' starting a record", _shown(line), "re-export the file, or remove the stray text"
            )
        elif tag == "EF":
            found.unclosed(f"'EF' at line {number}", "add the missing 'ER' line, or re-export the file")
        elif tag == "PT":
            found.start(number, f"'PT' at line {number}", "add the missing 'ER' line, or re-export the file")
            found.add(tag, match.group(2))
        elif tag is not None:
            found.add(tag, match.group(2))
        elif not raw.startswith("   "):
            found.problem(
                number,
                None,
                "a Web of Science tag line ('XX value') or a continuation line indented by 3 spaces",
                _shown(line),
                "re-export the file in Web of Science plain-text format",
            )
        elif found.last is not None:
            found.extend(line.strip(), as_item=found.last in _WOS_ITEM_TAGS)
    if found.current is not None:
        found.unclosed("the end of the file", "re-export the file; it was cut off")
    return found.result()


def map_wos(record: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the records table from a Web of Science record (plain text or tab-delimited).

    The print date from ``PY``/``PD``, the early-access (e-publication) date from
    ``EA`` (and ``EY`` where ``EA`` has no year).

    Examples
    --------
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
