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
>>> entry = parse_bibtex(bib, file="x.bib")[0]
>>> entry["line"], entry["type"], entry["fields"]["author"], entry["fields"]["title"]
(1, 'article', 'Müller, J. and Lee, K.', 'Peer support: 50% less')

The ``map_*`` functions of :mod:`peerstudy.review.bib_rows` turn these records into rows
of the records table.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from typing import Any

import bibtexparser
import defusedxml
import defusedxml.ElementTree as DET
from bibtexparser.model import DuplicateFieldKeyBlock, Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text

from peerstudy.errors import InputError, Problem

__all__ = ["parse_bibtex", "parse_endnote_xml"]

_LATEX = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


def _delatex(value: str) -> str:
    """Plain text of a BibTeX value: accents decoded, protecting braces removed."""
    if "\\" not in value and "{" not in value and "~" not in value:
        return value
    escaped = re.sub(r"(?<!\\)%", r"\\%", value)
    try:
        return _LATEX.latex_to_text(escaped)
    except Exception:  # pylatexenc raises many kinds on odd input; keep the text as written
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
            kept = block.ignore_error_block  # the entry with the repeated field merged (typed as any block)
            if isinstance(kept, Entry):
                entries.append(kept)
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
    >>> record = parse_endnote_xml(xml)[0]
    >>> record["line"], "".join(record["element"].find("titles/title").itertext())
    (1, 'Peer work')
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
