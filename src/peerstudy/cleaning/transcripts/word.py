"""Word documents (``.docx``) to text, one line per paragraph, losing nothing silently.

Read in document order: body paragraphs; tables (a row becomes one line, its cells
separated by a tab, so a row ``time | speaker | text`` reads as a turn; a first row of
column names such as ``Time | Speaker | Text`` is layout and left out); tracked
insertions and moves (their new place); text boxes (their paragraphs follow the
paragraph that anchors them; Word's fallback copy is not read twice); content
controls, fields, hyperlinks and equations; footnotes and endnotes, put in the text
where they are referenced as ``[footnote: …]``. Tracked deletions (and text moved
away) are left out, as Word shows the document with its changes accepted; so are
comments (a reviewer's notes, not the transcript), page headers and footers, and
pictures. A document whose text cannot be read (an embedded object, an imported
``altChunk`` part) is refused, naming what was found.

Examples
--------
>>> import docx, io, tempfile, pathlib
>>> d = docx.Document()
>>> _ = d.add_paragraph("Interviewer: Hello.")
>>> row = d.add_table(rows=1, cols=2).rows[0]
>>> row.cells[0].text, row.cells[1].text = "Ann", "Hi."
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.docx"
>>> d.save(path)
>>> docx_text(path, "t.docx").splitlines()
['Interviewer: Hello.', 'Ann\\tHi.']
"""

from __future__ import annotations

from pathlib import Path

from peerstudy.cleaning.transcripts.model import is_header_row
from peerstudy.errors import InputError, Problem

__all__ = ["docx_text"]

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_NOTES = {"footnotes": "footnote", "endnotes": "endnote"}
#: Containers deeper than this (tables in tables in text boxes ...) are refused.
MAX_DEPTH = 40
_SKIPPED = {f"{_W}del", f"{_W}moveFrom"}
_WRAPPERS = {f"{_W}{t}" for t in ("ins", "moveTo", "hyperlink", "smartTag", "customXml", "fldSimple", "bdo", "dir")}


class _Reader:
    def __init__(self, shown: str, notes: dict[tuple[str, str], str]):
        self.shown = shown
        self.notes = notes
        self.lines: list[str] = []

    def refuse(self, what: str, fix: str) -> None:
        raise InputError(
            Problem(file=self.shown, expected="a Word document whose text can be read", found=what, fix=fix)
        )

    def deeper(self, depth: int) -> int:
        if depth >= MAX_DEPTH:
            self.refuse(
                f"content nested more than {MAX_DEPTH} levels deep (tables or text boxes inside each other)",
                "save the transcript as .txt, or simplify its layout",
            )
        return depth + 1

    def block(self, element, depth: int) -> list[str]:
        """Lines of block-level content (body, cell, text box, note)."""
        depth = self.deeper(depth)
        out: list[str] = []
        for child in element:
            tag = child.tag
            if tag == f"{_W}p":
                out += self.paragraph(child, depth)
            elif tag == f"{_W}tbl":
                out += self.table(child, depth)
            elif tag == f"{_W}sdt":
                out += self.block(_content(child), depth)
            elif tag in _WRAPPERS:
                out += self.block(child, depth)
            elif tag == f"{_W}altChunk":
                self.refuse(
                    "text kept in an imported part (altChunk: HTML or RTF pasted into the document)",
                    "open the document in Word and save it again as .docx, or save it as .txt",
                )
        return out

    def paragraph(self, p, depth: int) -> list[str]:
        pieces: list[str] = []
        boxes: list[str] = []
        self.inline(p, pieces, boxes, depth)
        return ["".join(pieces), *boxes]

    def inline(self, element, pieces: list[str], boxes: list[str], depth: int) -> None:
        depth = self.deeper(depth)
        for child in element:
            tag = child.tag
            if tag == f"{_W}r":
                self.run(child, pieces, boxes, depth)
            elif tag in _WRAPPERS:
                self.inline(child, pieces, boxes, depth)
            elif tag == f"{_W}sdt":
                self.inline(_content(child), pieces, boxes, depth)
            elif tag in (f"{_M}oMath", f"{_M}oMathPara"):
                pieces.append("".join(t.text or "" for t in child.iter(f"{_M}t")))
            elif tag == f"{_MC}AlternateContent":
                self.inline(_branch(child), pieces, boxes, depth)

    def run(self, r, pieces: list[str], boxes: list[str], depth: int) -> None:
        for child in r:
            tag = child.tag
            if tag in (f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}noBreakHyphen", f"{_W}ptab"):
                pieces.append(str(child))  # python-docx's text of the element (w:br is "\n", w:tab "\t")
            elif tag in (f"{_W}footnoteReference", f"{_W}endnoteReference"):
                kind = "footnote" if tag == f"{_W}footnoteReference" else "endnote"
                pieces.append(f"[{kind}: {self.notes.get((kind, child.get(f'{_W}id')), '')}]")
            elif tag in (f"{_W}drawing", f"{_W}pict", f"{_MC}AlternateContent"):
                for box in _text_boxes(_branch(child) if tag == f"{_MC}AlternateContent" else child):
                    boxes += self.block(box, depth)
            elif tag in (f"{_W}object", f"{_W}control", f"{_W}embedObject"):
                self.refuse(
                    "an embedded object (a spreadsheet, equation or other file inside the document)",
                    "copy the object's text into the document, or save the transcript as .txt",
                )

    def table(self, tbl, depth: int) -> list[str]:
        depth = self.deeper(depth)
        rows = []
        for tr in _children(tbl, f"{_W}tr"):
            if tr.find(f"{_W}trPr/{_W}del") is not None:
                continue  # a row deleted with tracked changes
            cells = ["\n".join(self.block(tc, depth)) for tc in _children(tr, f"{_W}tc")]
            rows.append(cells)
        if rows and is_header_row(rows[0]):
            rows = rows[1:]
        return [line for cells in rows for line in "\t".join(cells).split("\n")]


def _children(element, tag: str):
    """Children with ``tag``, looking through content controls and custom XML wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}customXml"):
            yield from _children(_content(child) if child.tag == f"{_W}sdt" else child, tag)


def _content(sdt):
    found = sdt.find(f"{_W}sdtContent")
    return found if found is not None else []


def _branch(alternate):
    """The branch of an ``mc:AlternateContent`` to read: the first choice, else the fallback."""
    for branch in alternate:
        if len(branch):
            return branch
    return []


def _text_boxes(element):
    """Outermost ``w:txbxContent`` elements under ``element`` (nested ones are read
    with the box that holds them)."""
    stack = list(element)
    while stack:
        node = stack.pop(0)
        if node.tag == f"{_W}txbxContent":
            yield node
        elif node.tag == f"{_MC}AlternateContent":
            stack[:0] = list(_branch(node))
        else:
            stack[:0] = list(node)


def _read_notes(document, reader: _Reader) -> None:
    from docx.oxml import parse_xml

    for rel in document.part.rels.values():
        kind = rel.reltype.rsplit("/", 1)[-1]
        if rel.is_external or kind not in _NOTES:
            continue
        root = parse_xml(rel.target_part.blob)
        for note in root:
            if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            text = " ".join(line.strip() for line in reader.block(note, 0) if line.strip())
            reader.notes[_NOTES[kind], note.get(f"{_W}id")] = text


def docx_text(path: Path, shown: str) -> str:
    """The text of a ``.docx`` file: one line per paragraph (see the module's notes)."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import XMLSyntaxError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as exc:
        raise InputError(
            Problem(
                file=shown,
                expected="a Word document (.docx)",
                found=f"a file Word cannot open ({exc})",
                fix="re-save the transcript from the word processor as .docx",
            )
        ) from None
    reader = _Reader(shown, {})
    try:
        _read_notes(document, reader)
    except (KeyError, ValueError, XMLSyntaxError) as exc:
        raise InputError(
            Problem(
                file=shown,
                expected="a Word document (.docx)",
                found=f"footnotes Word cannot open ({exc})",
                fix="re-save the transcript from the word processor as .docx",
            )
        ) from None
    return "\n".join(reader.block(document.element.body, 0))
