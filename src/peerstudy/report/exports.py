"""Manuscript exports of a study's tables: an Excel workbook and a Word file.

At the end of a study, :func:`write_manuscript_exports` bundles every CSV of
``reports/<study>/tables/`` (read back by :func:`peerstudy.report.tablecatalog.describe_tables`)
into ``tables/<study>.xlsx`` (a first sheet describing each table, then one sheet per
table) and ``tables/<study>.docx`` (the tables short enough for a manuscript, in APA
style: "Table N", an italic title, horizontal rules only, a note under each table). The
LaTeX of each table is written with its CSV (:mod:`peerstudy.report.tabletext`).

Both files are zip archives: members are written in sorted order with a fixed timestamp
(1980-01-01) and the document dates set to the same instant, so that the same tables
give the same bytes.

Every text a CSV can hold goes into both. XML 1.0 cannot hold most control characters
(a vertical tab, which Word writes for a manual line break, a form feed, NUL): the
workbook writes each as ``_xHHHH_``, the escape of ECMA-376 (Part 1, 22.9.2.19,
``ST_Xstring``) that Excel reads back as the character, and escapes an ``_`` that would
start such a sequence as ``_x005F_``; the Word file shows line separators as line breaks
and other control characters as their Unicode control pictures (U+2400 to U+241F). A cell
longer than Excel holds (32,767 characters) is cut in the workbook, with a note at the
cut that names the CSV holding it whole.

Examples
--------
>>> _cell_value("007"), _cell_value("12"), _cell_value("0.5"), _cell_value("")
('007', 12, 0.5, None)
>>> _xstring("a\\x0bb _x0041_"), _word_text("a\\x0bb\\r\\nc\\x00")
('a_x000B_b _x005F_x0041_', 'a\\nb\\nc\\u2400')
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from peerstudy.io.files import write_bytes_atomic
from peerstudy.report.tablecatalog import TableInfo, describe_tables, is_number, numeric_columns

if TYPE_CHECKING:
    from peerstudy.report.outputs import StudyOutputs

__all__ = [
    "MANUSCRIPT_MAX_COLUMNS",
    "MANUSCRIPT_MAX_ROWS",
    "docx_bytes",
    "workbook_bytes",
    "write_manuscript_exports",
]

#: Tables longer or wider than this stay out of the Word file (they are in the workbook).
MANUSCRIPT_MAX_ROWS = 40
MANUSCRIPT_MAX_COLUMNS = 10

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_DATE = datetime(1980, 1, 1)
_INTEGER = re.compile(r"^-?(?:0|[1-9]\d*)$")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# the characters XML 1.0 cannot hold (its Char production); a workbook escapes them, and
# an underscore that would read as the start of an escape
_NOT_XML = r"\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
_XSTRING_ESCAPE = re.compile(f"_(?=x[0-9A-Fa-f]{{4}}_)|[{_NOT_XML}]")
# what Python's str.splitlines() breaks at, CR LF first: one line break in Word
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(f"[{_NOT_XML}]")


#: The most characters (UTF-16 code units) an Excel cell holds ("Excel specifications and
#: limits": 32,767); Excel reports a workbook with a longer cell as damaged.
EXCEL_CELL_LIMIT = 32_767


def _cell_value(text: str, table: str = "") -> int | float | str | None:
    """A CSV cell as the workbook stores it: integers and decimals as numbers (an
    identifier with a leading zero stays text), empty as an empty cell, text as
    :func:`_xstring`, cut to :data:`EXCEL_CELL_LIMIT` (see :func:`_fit_cell`)."""
    if text == "":
        return None
    if _INTEGER.match(text):
        return int(text)
    if is_number(text) and not re.match(r"^-?0\d", text):
        return float(text)
    return _xstring(_fit_cell(text, table))


def _fit_cell(text: str, table: str) -> str:
    """``text`` if an Excel cell holds it, else its beginning and a note that says where
    the whole text is (the table's CSV, which holds every cell whole).

    Examples
    --------
    >>> cut = _fit_cell("x" * 40_000, "categories")
    >>> len(cut.encode("utf-16-le")) // 2 <= EXCEL_CELL_LIMIT, cut[-74:]
    (True, '… [cut at the 32,767 characters of an Excel cell; whole in categories.csv]')
    """
    units = len(text.encode("utf-16-le")) // 2
    if units <= EXCEL_CELL_LIMIT:
        return text
    note = f"… [cut at the 32,767 characters of an Excel cell; whole in {table}.csv]"
    keep = EXCEL_CELL_LIMIT - len(note.encode("utf-16-le")) // 2
    head = text[:keep]
    while len(head.encode("utf-16-le")) // 2 > keep:  # characters outside the BMP count two
        head = head[:-1]
    return head + note


def _xstring(text: str) -> str:
    """Text as a workbook holds it: the characters XML cannot hold, and an underscore that
    would start an escape, written as ``_xHHHH_`` (ECMA-376 ``ST_Xstring``)."""
    return _XSTRING_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _word_text(text: str) -> str:
    """Text as the Word file shows it: one line break (``\\n``) for each line separator, a
    control picture for each other character that XML cannot hold (U+FFFD for U+FFFE and
    U+FFFF, which have none)."""
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROL.sub(lambda m: chr(0x2400 + ord(m.group())) if m.group() < " " else "\ufffd", text)


# ---------------------------------------------------------------------- deterministic zip
def _fix_zip(data: bytes) -> bytes:
    """The same archive with members in sorted order, a fixed timestamp, and the
    document's created/modified dates set to 1980-01-01."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            body = src.read(name)
            if name == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>1980-01-01T00:00:00Z\g<3>",
                    body,
                )
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, body)
    return out.getvalue()


# ------------------------------------------------------------------------------ workbook
def _sheet_names(names: Sequence[str]) -> list[str]:
    """Excel sheet names for tables: forbidden characters replaced, at most 31
    characters, unique regardless of case (a numbered suffix where two would clash).

    Examples
    --------
    >>> _sheet_names(["a" * 40, "a" * 35, "tables"])
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa~2', 'tables (2)']
    """
    used = {"tables"}  # the description sheet
    out = []
    for name in names:
        base = _SHEET_FORBIDDEN.sub("-", name).strip("'")[:31] or "table"
        candidate, k = base, 2
        while candidate.lower() in used:
            suffix = f" ({k})" if len(base) + len(f" ({k})") <= 31 else f"~{k}"
            candidate, k = base[: 31 - len(suffix)] + suffix, k + 1
        used.add(candidate.lower())
        out.append(candidate)
    return out


def workbook_bytes(tables: Sequence[TableInfo]) -> bytes:
    """An Excel workbook: a sheet ``tables`` (sheet, table, title, rows, source
    notebook), then one sheet per table with its header in bold, numbers as numbers.

    Examples
    --------
    >>> from openpyxl import load_workbook
    >>> book = load_workbook(io.BytesIO(workbook_bytes([TableInfo("t", "T", "", [["a"], ["1"]])])))
    >>> book.sheetnames, book["t"]["A2"].value
    (['tables', 't'], 1)
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    index = book.active
    index.title = "tables"
    index.append(["sheet", "table", "title", "rows", "source notebook"])
    sheets = _sheet_names([t.name for t in tables])
    for sheet, table in zip(sheets, tables, strict=False):
        index.append(
            [
                sheet,
                f"{table.name}.csv",
                _xstring(table.title),
                len(table.rows) - 1,
                f"{table.source}.ipynb" if table.source else "",
            ]
        )
        ws = book.create_sheet(sheet)
        for k, row in enumerate(table.rows):
            ws.append(
                [_xstring(_fit_cell(c, table.name)) or None for c in row]
                if k == 0
                else [_cell_value(c, table.name) for c in row]
            )  # headers stay text
        for cell in ws[1] if table.rows else ():
            cell.font = Font(bold=True)
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula
        ws.freeze_panes = "A2"
    for cell in index[1]:
        cell.font = Font(bold=True)
    for row in index.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    book.properties.creator = "peerstudy"
    book.properties.created = book.properties.modified = _FIXED_DATE
    buf = io.BytesIO()
    book.save(buf)
    return _fix_zip(buf.getvalue())


# ---------------------------------------------------------------------------- Word (APA)
def _apa_borders(table) -> None:
    """APA rules on a python-docx table: a line above and below the header and below the
    last row; no vertical rules, no other lines."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        visible = edge in ("top", "bottom")
        el.set(qn("w:val"), "single" if visible else "nil")
        if visible:
            el.set(qn("w:sz"), "8")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    look = tbl_pr.find(qn("w:tblLook"))  # the schema puts tblBorders before tblLook
    if look is not None:
        look.addprevious(borders)
    else:
        tbl_pr.append(borders)
    for cell in table.rows[0].cells:
        tc_borders = OxmlElement("w:tcBorders")
        bottom = OxmlElement("w:bottom")
        for key, value in (("w:val", "single"), ("w:sz", "8"), ("w:space", "0"), ("w:color", "000000")):
            bottom.set(qn(key), value)
        tc_borders.append(bottom)
        cell._tc.get_or_add_tcPr().append(tc_borders)


def _add_apa_table(doc, number: int, table: TableInfo) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc.add_paragraph().add_run(f"Table {number}").bold = True
    doc.add_paragraph().add_run(_word_text(table.title)).italic = True
    numeric = numeric_columns(table.rows[0], table.rows[1:])
    grid = doc.add_table(rows=len(table.rows), cols=len(table.rows[0]))
    # a row's cells at once: `grid.cell(r, c)` re-reads the whole table each time
    for r, (row, cells) in enumerate(zip(table.rows, grid.rows, strict=True)):
        for c, (text, cell) in enumerate(zip(row, cells.cells, strict=True)):
            paragraph = cell.paragraphs[0]
            paragraph.add_run(_word_text(text))
            if numeric[c] and r > 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _apa_borders(grid)
    note = doc.add_paragraph()
    note.add_run("Note.").italic = True
    parts = [f"{i}. {n}" for i, n in enumerate(table.notes, 1)]
    source = f" by {table.source}.ipynb" if table.source else ""
    parts.append(f"Written{source} as tables/{table.name}.csv.")
    note.add_run(_word_text(" " + " ".join(parts)))


def docx_bytes(tables: Sequence[TableInfo], *, title: str) -> bytes:
    """A Word document of the tables, numbered in order, in APA style (see the module).

    Examples
    --------
    >>> import docx
    >>> doc = docx.Document(io.BytesIO(docx_bytes([TableInfo("t", "Counts", "", [["a"], ["1"]])], title="x")))
    >>> [p.text for p in doc.paragraphs][1:3], doc.tables[0].cell(1, 0).text
    (['Table 1', 'Counts'], '1')
    """
    from docx import Document

    doc = Document()
    doc.add_heading(_word_text(title), level=1)
    for number, table in enumerate(tables, 1):
        _add_apa_table(doc, number, table)
    props = doc.core_properties
    props.author = props.last_modified_by = "peerstudy"
    props.title = title
    props.comments = ""
    props.revision = 1
    props.created = props.modified = _FIXED_DATE
    props.last_printed = _FIXED_DATE
    buf = io.BytesIO()
    doc.save(buf)
    return _fix_zip(buf.getvalue())


def _fits_manuscript(table: TableInfo) -> bool:
    return 1 < len(table.rows) <= MANUSCRIPT_MAX_ROWS + 1 and len(table.rows[0]) <= MANUSCRIPT_MAX_COLUMNS


def write_manuscript_exports(report: StudyOutputs) -> pd.DataFrame:
    """Bundle every table of ``reports/<study>/tables/`` into ``<study>.xlsx`` and the
    manuscript tables (at most :data:`MANUSCRIPT_MAX_ROWS` rows and
    :data:`MANUSCRIPT_MAX_COLUMNS` columns) into ``<study>.docx``; returns what was written.

    Parameters
    ----------
    report
        The study's :class:`~peerstudy.report.outputs.StudyOutputs`.

    Examples
    --------
    >>> import tempfile
    >>> from peerstudy.report.outputs import StudyOutputs
    >>> out = StudyOutputs("demo", root=tempfile.mkdtemp())
    >>> _ = out.table("counts", pd.DataFrame({"code": ["a"], "n": [2]}))
    >>> write_manuscript_exports(out)["file"].tolist()
    ['tables/demo.xlsx', 'tables/demo.docx']
    """
    tables = describe_tables(report.study, report.reports)
    manuscript = [t for t in tables if _fits_manuscript(t)]
    folder = report.reports / "tables"
    write_bytes_atomic(folder / f"{report.study}.xlsx", workbook_bytes(tables))
    write_bytes_atomic(folder / f"{report.study}.docx", docx_bytes(manuscript, title=f"Tables: {report.study}"))
    kept = {t.name for t in manuscript}
    left_out = ", ".join(t.name for t in tables if t.name not in kept)
    limits = f"empty, or over {MANUSCRIPT_MAX_ROWS} rows or {MANUSCRIPT_MAX_COLUMNS} columns"
    docx_note = f"{len(manuscript)} tables in APA style" + (f" (left out: {limits}: {left_out})" if left_out else "")
    return pd.DataFrame(
        {
            "file": [f"tables/{report.study}.xlsx", f"tables/{report.study}.docx"],
            "holds": [f"{len(tables)} tables, one sheet each, and a sheet describing them", docx_note],
        }
    )
