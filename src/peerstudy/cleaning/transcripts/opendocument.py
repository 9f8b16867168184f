"""OpenDocument text (``.odt``, LibreOffice, Google Docs downloads) to text, one line per paragraph.

Read with odfpy, in document order: paragraphs and headings, lists, sections, tables
(a row becomes one line, its cells separated by a tab; a first row of column names is
layout and left out, as for ``.docx``), text boxes (after the paragraph that anchors
them), footnotes and endnotes (where they are referenced, as ``[footnote: …]``), and
tracked insertions (which ODF keeps in the text). Tracked deletions, which ODF keeps
apart in ``text:tracked-changes``, are left out; so are comments, pictures, page headers
and footers. An embedded object (a spreadsheet, a chart) is refused. Spaces follow the
ODF rules: a run of white space is one space, ``text:s`` adds spaces.

Examples
--------
>>> import tempfile, pathlib
>>> from odf.opendocument import OpenDocumentText
>>> from odf.text import P
>>> doc = OpenDocumentText()
>>> doc.text.addElement(P(text="Interviewer:   Hello."))
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.odt"
>>> doc.save(str(path))
>>> odt_text(path, "t.odt")
'Interviewer: Hello.'
"""

from __future__ import annotations

import re
from pathlib import Path

from peerstudy.cleaning.transcripts.model import is_header_row
from peerstudy.errors import InputError, Problem

__all__ = ["odt_text"]

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
MAX_DEPTH = 40
_BLOCK_WRAPPERS = {
    (_TEXT, "section"),
    (_TEXT, "list"),
    (_TEXT, "list-item"),
    (_TEXT, "list-header"),
    (_TEXT, "index-body"),
    (_TEXT, "note-body"),
    (_DRAW, "text-box"),
}
_INLINE_WRAPPERS = {
    (_TEXT, "span"),
    (_TEXT, "a"),
    (_TEXT, "meta"),
    (_TEXT, "ruby"),
    (_TEXT, "ruby-base"),
    (_TEXT, "hidden-text"),
    (_TEXT, "meta-field"),
    (_OFFICE, "text"),
}
_SPACE = re.compile(r"[ \t\r\n]+")


class _Reader:
    def __init__(self, shown: str):
        self.shown = shown

    def refuse(self, what: str, fix: str) -> None:
        raise InputError(
            Problem(file=self.shown, expected="an OpenDocument text whose text can be read", found=what, fix=fix)
        )

    def deeper(self, depth: int) -> int:
        if depth >= MAX_DEPTH:
            self.refuse(f"content nested more than {MAX_DEPTH} levels deep", "save the transcript as .txt")
        return depth + 1

    def block(self, element, depth: int) -> list[str]:
        depth = self.deeper(depth)
        out: list[str] = []
        for child in element.childNodes:
            if child.nodeType != 1:
                continue
            name = child.qname
            if name in ((_TEXT, "p"), (_TEXT, "h")):
                out += self.paragraph(child, depth)
            elif name == (_TABLE, "table"):
                out += self.table(child, depth)
            elif name in _BLOCK_WRAPPERS:
                out += self.block(child, depth)
        return out

    def paragraph(self, p, depth: int) -> list[str]:
        pieces: list[str] = []
        boxes: list[str] = []
        self.inline(p, pieces, boxes, depth)
        return ["".join(pieces).lstrip(" "), *boxes]

    def inline(self, element, pieces: list[str], boxes: list[str], depth: int) -> None:
        depth = self.deeper(depth)
        for child in element.childNodes:
            if child.nodeType == 3:
                text = _SPACE.sub(" ", child.data)
                if text.startswith(" ") and pieces and pieces[-1].endswith(" "):
                    text = text[1:]
                pieces.append(text)
                continue
            if child.nodeType != 1:
                continue
            name = child.qname
            if name == (_TEXT, "s"):
                pieces.append(" " * int(child.getAttrNS(_TEXT, "c") or 1))
            elif name == (_TEXT, "tab"):
                pieces.append("\t")
            elif name == (_TEXT, "line-break"):
                pieces.append("\n")
            elif name in _INLINE_WRAPPERS:
                self.inline(child, pieces, boxes, depth)
            elif name == (_TEXT, "note"):
                kind = child.getAttrNS(_TEXT, "note-class") or "footnote"
                body = next((c for c in child.childNodes if getattr(c, "qname", None) == (_TEXT, "note-body")), None)
                text = " ".join(line.strip() for line in self.block(body, depth) if line.strip()) if body else ""
                pieces.append(f"[{kind}: {text}]")
            elif name == (_DRAW, "frame"):
                self.frame(child, boxes, depth)
            elif name == (_DRAW, "object"):
                self.embedded()

    def frame(self, frame, boxes: list[str], depth: int) -> None:
        for child in frame.childNodes:
            if getattr(child, "qname", None) == (_DRAW, "text-box"):
                boxes += self.block(child, depth)
            elif getattr(child, "qname", None) in ((_DRAW, "object"), (_DRAW, "object-ole")):
                self.embedded()

    def embedded(self) -> None:
        self.refuse(
            "an embedded object (a spreadsheet, chart or other file inside the document)",
            "copy the object's text into the document, or save the transcript as .txt",
        )

    def table(self, tbl, depth: int) -> list[str]:
        depth = self.deeper(depth)
        rows = []
        for row in _rows(tbl):
            cells = [
                "\n".join(self.block(cell, depth))
                for cell in row.childNodes
                if getattr(cell, "qname", None) == (_TABLE, "table-cell")
            ]
            rows.append(cells)
        if rows and is_header_row(rows[0]):
            rows = rows[1:]
        return [line for cells in rows for line in "\t".join(cells).split("\n")]


def _rows(element):
    for child in element.childNodes:
        name = getattr(child, "qname", None)
        if name == (_TABLE, "table-row"):
            yield child
        elif name in ((_TABLE, "table-header-rows"), (_TABLE, "table-rows"), (_TABLE, "table-row-group")):
            yield from _rows(child)


def odt_text(path: Path, shown: str) -> str:
    """The text of an ``.odt`` file: one line per paragraph (see the module's notes)."""
    import zipfile
    from xml.sax import SAXException

    from odf.opendocument import load

    try:
        document = load(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, SAXException, OSError, AttributeError) as exc:
        raise InputError(
            Problem(
                file=shown,
                expected="an OpenDocument text (.odt)",
                found=f"a file that cannot be opened as one ({exc.__class__.__name__}: {exc})",
                fix="re-save the transcript from the word processor as .odt",
            )
        ) from None
    if document.mimetype != "application/vnd.oasis.opendocument.text":
        raise InputError(
            Problem(
                file=shown,
                expected="an OpenDocument text (.odt)",
                found=f"an OpenDocument file of another kind ({document.mimetype})",
                fix="save the transcript as a text document (.odt), not a spreadsheet or drawing",
            )
        )
    return "\n".join(_Reader(shown).block(document.text, 0))
