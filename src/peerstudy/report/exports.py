"""Manuscript exports of a study's tables: LaTeX (booktabs), an Excel workbook, a Word file.

Every table a notebook writes through :meth:`peerstudy.report.outputs.StudyOutputs.table` gets a
``tables/<name>.tex`` beside its CSV and Markdown (:func:`latex_table`). At the end of a
study, :func:`write_manuscript_exports` bundles every CSV of ``reports/<study>/tables/``
into ``tables/<study>.xlsx`` (a first sheet describing each table, then one sheet per
table) and ``tables/<study>.docx`` (the tables short enough for a manuscript, in APA
style: "Table N", an italic title, horizontal rules only, a note under each table).

The bundle is made from the CSVs, not from the frames in memory, so that it holds what
the CSVs hold whichever notebook wrote them. Both files are zip archives: members are
written in sorted order with a fixed timestamp (1980-01-01) and the document dates set
to the same instant, so that the same tables give the same bytes.

Examples
--------
>>> print(latex_table([["code", "n"], ["a_b", "2"]], title="Counts & totals"), end="")
\\begin{table}[htbp]
\\centering
\\caption{Counts \\& totals}
\\begin{tabular}{lr}
\\toprule
code & n \\\\
\\midrule
a\\_b & 2 \\\\
\\bottomrule
\\end{tabular}
\\end{table}
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from peerstudy import config
from peerstudy.io.files import write_bytes_atomic
from peerstudy.io.yamlfiles import read_yaml

__all__ = [
    "MANUSCRIPT_MAX_COLUMNS",
    "MANUSCRIPT_MAX_ROWS",
    "TableInfo",
    "describe_tables",
    "docx_bytes",
    "latex_table",
    "read_table_csv",
    "workbook_bytes",
    "write_latex",
    "write_manuscript_exports",
]

#: Tables longer or wider than this stay out of the Word file (they are in the workbook).
MANUSCRIPT_MAX_ROWS = 40
MANUSCRIPT_MAX_COLUMNS = 10

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_DATE = datetime(1980, 1, 1)
_NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^-?(?:0|[1-9]\d*)$")
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\n": " ",
    "\r": " ",
}
_FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@\t\r])")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class TableInfo:
    """One table of a study: its file name, a title, the notebook that wrote it, its notes."""

    name: str
    title: str
    source: str
    rows: list[list[str]]
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ LaTeX
def _escape_latex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _numeric_columns(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[bool]:
    """For each column: does it hold numbers only (and at least one)?"""
    return [
        any(r[i] != "" for r in body) and all(_NUMBER.match(r[i]) for r in body if r[i] != "")
        for i in range(len(header))
    ]


def latex_table(rows: Sequence[Sequence[str]], *, title: str | None = None, notes: Sequence[str] = ()) -> str:
    """A booktabs table (``\\toprule``, ``\\midrule``, ``\\bottomrule``, no vertical rules)
    of ``rows`` (the header first, cells as text), with LaTeX's special characters escaped.

    Columns whose every non-empty cell is a number are right-aligned, others left-aligned.
    ``notes`` are set under the table. Needs ``\\usepackage{booktabs}``.

    Examples
    --------
    >>> print(latex_table([["x"], ["50%"]]).splitlines()[6])
    50\\% \\\\
    """
    header, body = list(rows[0]), [list(r) for r in rows[1:]]
    numeric = _numeric_columns(header, body)
    lines = ["\\begin{table}[htbp]", "\\centering"]
    if title:
        lines.append(f"\\caption{{{_escape_latex(title)}}}")
    lines += [
        f"\\begin{{tabular}}{{{''.join('r' if n else 'l' for n in numeric)}}}",
        "\\toprule",
        " & ".join(_escape_latex(h) for h in header) + " \\\\",
        "\\midrule",
    ]
    lines += [" & ".join(_escape_latex(c) for c in r) + " \\\\" for r in body]
    lines += ["\\bottomrule", "\\end{tabular}"]
    if notes:
        lines.append(
            "\\par\\smallskip\\footnotesize\\textit{Note.} "
            + " ".join(f"{i}. {_escape_latex(n)}" for i, n in enumerate(notes, 1))
        )
    lines.append("\\end{table}")
    return "\n".join(lines) + "\n"


def write_latex(path: Path, csv_text: str, *, notes: Sequence[str] = ()) -> Path:
    """Write ``path`` (``.tex``) from a table's CSV text (see :func:`latex_table`).

    Examples
    --------
    >>> import tempfile
    >>> path = write_latex(Path(tempfile.mkdtemp()) / "t.tex", "a,b\\n1,x\\n")
    >>> path.read_text().count("\\\\toprule")
    1
    """
    rows = list(csv.reader(io.StringIO(csv_text)))
    return write_bytes_atomic(path, latex_table(rows, notes=notes).encode("utf-8"))


# ------------------------------------------------------------------- reading the tables
def read_table_csv(path: Path) -> list[list[str]]:
    """The cells of a table CSV (header first), as text, without the byte-order mark and
    without the quote that guards cells a spreadsheet would run as formulas (the workbook
    stores every text cell as text, so the guard is not needed there).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_bytes("answer,n\\n'=1+2,3\\n".encode("utf-8-sig"))
    >>> read_table_csv(path)
    [['answer', 'n'], ['=1+2', '3']]
    """
    text = path.read_bytes().decode("utf-8-sig")
    return [[_FORMULA_ESCAPE.sub("", c) for c in row] for row in csv.reader(io.StringIO(text))]


def _cell_value(text: str) -> int | float | str | None:
    """A CSV cell as the workbook stores it: integers and decimals as numbers (an
    identifier with a leading zero stays text), empty as an empty cell."""
    if text == "":
        return None
    if _INTEGER.match(text):
        return int(text)
    if _NUMBER.match(text) and not re.match(r"^-?0\d", text):
        return float(text)
    return text


def _read_notes(md_path: Path) -> tuple[str, ...]:
    """The numbered notes under a Markdown table written by ``StudyOutputs.table``."""
    if not md_path.is_file():
        return ()
    text = md_path.read_text(encoding="utf-8")
    _, _, tail = text.partition("\n\n")
    return tuple(m.group(1) for m in re.finditer(r"^\d+\. (.*)$", tail, flags=re.MULTILINE))


def _study_notebooks(study: str, reports: Path) -> list[str]:
    """The notebooks of a study, in the order they run: from ``studies/<study>.yaml`` when
    it exists, else the executed notebooks in the report folder, by name."""
    study_file = config.STUDIES_DIR / f"{study}.yaml"
    if study_file.is_file():
        listed = read_yaml(study_file, what="a study parameter file (YAML)").get("notebooks") or []
        return [str(nb) for nb in listed]
    return sorted(p.stem for p in reports.glob("*.ipynb"))


def _table_sources(notebooks: Sequence[str]) -> dict[str, tuple[str, str]]:
    """For each table name written by a literal ``.table("name", ...)`` call in the
    notebooks: the notebook (the last one writing it, as the file holds its output) and
    the heading of the notebook section that writes it."""
    found: dict[str, tuple[str, str]] = {}
    for nb in notebooks:
        path = config.NOTEBOOKS_DIR / f"{nb}.ipynb"
        if not path.is_file():
            continue
        heading = ""
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                titles = re.findall(r"^#+\s+(.*)$", source, flags=re.MULTILINE)
                heading = titles[0].strip() if titles else heading
                continue
            for name in re.findall(r"\.table\(\s*\n?\s*[\"']([^\"']+)[\"']", source):
                found[name] = (nb, heading.replace("`", ""))
    return found


def _listed_tables(notebooks: Sequence[str], reports: Path) -> dict[str, tuple[str, str]]:
    """Tables whose name is not written literally in a notebook (a helper writing several)
    but listed as ``tables/<name>.csv`` in the output of a cell of an executed notebook
    in the report folder: that notebook, and the heading of the cell's section."""
    found: dict[str, tuple[str, str]] = {}
    for nb in notebooks:
        path = reports / f"{nb}.ipynb"
        if not path.is_file():
            continue
        heading = ""
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                titles = re.findall(r"^#+\s+(.*)$", "".join(cell["source"]), flags=re.MULTILINE)
                heading = titles[0].strip() if titles else heading
                continue
            shown = json.dumps(cell.get("outputs", []), ensure_ascii=False)
            for name in re.findall(r"tables/([\w.-]+)\.csv", shown):
                found[name] = (nb, heading.replace("`", ""))
    return found


def describe_tables(study: str, reports: Path) -> list[TableInfo]:
    """Every table of ``reports/<study>/tables/`` (the CSVs, by name) with its title (the
    heading of the notebook section that writes it, else its name), the notebook that
    wrote it (a literal ``report.table("<name>", ...)`` call, else an executed notebook
    whose output lists ``tables/<name>.csv``; empty when neither) and its notes.

    Examples
    --------
    >>> import tempfile
    >>> from peerstudy.report.outputs import StudyOutputs
    >>> out = StudyOutputs("supporter-survey", root=tempfile.mkdtemp())
    >>> _ = out.table("characteristics", pd.DataFrame({"n": [20]}))
    >>> [(t.title, t.source) for t in describe_tables("supporter-survey", out.reports)]
    [('Participant characteristics', 'results-survey')]
    """
    folder = reports / "tables"
    notebooks = _study_notebooks(study, reports)
    sources = {**_listed_tables(notebooks, reports), **_table_sources(notebooks)}
    tables = []
    for path in sorted(folder.glob("*.csv")):
        source, heading = sources.get(path.stem, ("", ""))
        title = heading or path.stem.replace("-", " ").capitalize()
        tables.append(
            TableInfo(
                name=path.stem,
                title=title,
                source=source,
                rows=read_table_csv(path),
                notes=_read_notes(path.with_suffix(".md")),
            )
        )
    shared = {t.title for t in tables if sum(u.title == t.title for u in tables) > 1}
    return [
        TableInfo(t.name, f"{t.title} ({t.name})" if t.title in shared else t.title, t.source, t.rows, t.notes)
        for t in tables
    ]


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
                table.title,
                len(table.rows) - 1,
                f"{table.source}.ipynb" if table.source else "",
            ]
        )
        ws = book.create_sheet(sheet)
        for k, row in enumerate(table.rows):
            ws.append([c or None for c in row] if k == 0 else [_cell_value(c) for c in row])  # headers stay text
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
    doc.add_paragraph().add_run(table.title).italic = True
    numeric = _numeric_columns(table.rows[0], table.rows[1:])
    grid = doc.add_table(rows=len(table.rows), cols=len(table.rows[0]))
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            paragraph = grid.cell(r, c).paragraphs[0]
            paragraph.add_run(text)
            if numeric[c] and r > 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _apa_borders(grid)
    note = doc.add_paragraph()
    note.add_run("Note.").italic = True
    parts = [f"{i}. {n}" for i, n in enumerate(table.notes, 1)]
    source = f" by {table.source}.ipynb" if table.source else ""
    parts.append(f"Written{source} as tables/{table.name}.csv.")
    note.add_run(" " + " ".join(parts))


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
    doc.add_heading(title, level=1)
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


def write_manuscript_exports(report) -> pd.DataFrame:
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
