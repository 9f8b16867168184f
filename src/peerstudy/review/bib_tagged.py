"""Tagged exports: MEDLINE/PubMed, RIS and Web of Science plain text.

Each format is a list of records, each a list of tagged lines. The ``parse_*``
functions check the structure line by line (so a problem is named by its line) and
return, per record, the line it starts at and its tags (tag → list of values, in the
file's order; unknown tags are kept there and do no harm). The ``map_*`` functions of
:mod:`peerstudy.review.bib_rows` turn a record's tags into a row of the records table.

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
"""

from __future__ import annotations

import re
from typing import Any

from peerstudy.errors import InputError, Problem

__all__ = ["BETWEEN_RECORDS", "parse_medline", "parse_ris", "parse_wos", "split_lines"]


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


# ------------------------------------------------------------------------ RIS
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_RIS_LOOKS_LIKE_TAG = re.compile(r"^[A-Z][A-Z0-9] {0,3}-")
#: Lines written between records: Ovid's record number and links to full text or
#: resolvers; the Cochrane Library's (Wiley's) "Record #1 of 20", "Provider: ..." and
#: "Content: text/plain; ..." above each record.
BETWEEN_RECORDS = re.compile(
    r"^(?:\d+\.|Link to (?:the )?[^:]{1,60}:.*|Record #\d+ of \d+|Provider:.*|Content: ?text/plain.*)$"
)


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

    def open_record(self) -> dict[str, Any]:
        """The record being read; the parsers call this only inside one (a broken promise is a bug)."""
        if self.current is None:
            raise RuntimeError("no record is open")
        return self.current

    def unclosed(self, found: str, fix: str) -> None:
        start = self.open_record()["line"]
        self.problem(start, "ER", f"{self.end} closing the record that starts at line {start}", found, fix)
        self.current, self.last = None, None

    def add(self, tag: str, value: str | None) -> None:
        if tag == "ER":
            self.current, self.last = None, None
            return
        self.open_record()["tags"].setdefault(tag, []).append((value or "").strip())
        self.last = tag

    def extend(self, text: str, *, as_item: bool = False) -> None:
        values = self.open_record()["tags"][self.last]
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
    lines Ovid writes there (``1.``, ``Link to the Ovid Full Text or citation: ...``) or
    the Cochrane Library (``Record #1 of 20``, ``Provider: ...``, ``Content: ...``) are
    skipped. A record without a title is kept.

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
        tag, value = (match.group(1), match.group(2)) if match else (None, None)
        if match is None and _RIS_LOOKS_LIKE_TAG.match(line):
            found.problem(
                number,
                None,
                "a RIS tag line 'XX  - value' (two spaces, hyphen, space)",
                _shown(line),
                "repair the spacing of the tag, or re-export the file",
            )
        elif found.current is None and tag != "TY":
            if line.strip() and not BETWEEN_RECORDS.match(line.strip()):
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
            found.add(tag, value)
        elif tag is not None:
            found.add(tag, value)
        elif line.strip() and found.last is not None:
            found.extend(line.strip())
    if found.current is not None:
        found.unclosed("the end of the file", "re-export the file; it was cut off or edited by hand")
    return found.result()


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
        tag, value = (match.group(1), match.group(2)) if match else (None, None)
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
            found.add(tag, value)
        elif tag is not None:
            found.add(tag, value)
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
