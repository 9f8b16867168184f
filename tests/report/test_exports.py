"""Manuscript exports: the LaTeX, workbook and Word files hold what the CSVs hold, are the
same bytes on every run, and the Word tables are APA (horizontal rules only)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import docx
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.escape import unescape

from peerstudy.report.exports import write_manuscript_exports
from peerstudy.report.outputs import StudyOutputs
from peerstudy.report.tablecatalog import describe_tables

LONG = "agreement-by-subcategory-and-coder-round"  # 40 characters: over Excel's 31 for a sheet name
LONG_TWIN = "agreement-by-subcategory-and-coder-pairs"  # the same first 31 characters


def _tables() -> dict[str, pd.DataFrame]:
    # invented people and values; special characters for LaTeX, a formula-like answer, a non-ASCII name
    return {
        "characteristics": pd.DataFrame(
            {
                "characteristic": ["age, mean (SD)", "sex: female", "diagnosis_F20 & F25"],
                "value": ["41.5 (9.2)", "12 (60%)", "7 ($ #1 {x} ~ ^ \\)"],
            }
        ),
        "counts": pd.DataFrame(
            {"code": ["Łukasik", "b_2", "c"], "n": [3, 0, 12], "share": [0.25, 0.0, 0.75], "id": ["007", "12", "x"]}
        ),
        "answers": pd.DataFrame({"answer": ["=1+2", "-", "fine"], "n": [1, 2, 3]}),
        LONG: pd.DataFrame({"code": ["a"], "kappa": [0.61], "1": [2]}),
        LONG_TWIN: pd.DataFrame({"code": ["a"], "kappa": [0.7]}),
        "long-list": pd.DataFrame({"item": [f"i{k}" for k in range(60)], "n": range(60)}),
    }


@pytest.fixture
def report(tmp_path) -> StudyOutputs:
    out = StudyOutputs("demo", root=tmp_path)
    for name, frame in _tables().items():
        out.table(name, frame, notes=["Stand-in values."] if name == "counts" else None)
    write_manuscript_exports(out)
    return out


def _csv_cells(path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for Excel
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _unguard(cell: str) -> str:
    """A CSV cell without the quote that guards formula-like text (peerstudy.report.outputs.escape_formulas)."""
    return cell[1:] if re.match(r"^'[=+\-@]", cell) else cell


def _parse_tex(text: str) -> list[list[str]]:
    """The header and body rows of a booktabs tabular, special characters unescaped."""
    assert "\\toprule" in text and "\\midrule" in text and "\\bottomrule" in text
    spec = re.search(r"\\begin\{tabular\}\{([^}]*)\}", text).group(1)
    assert "|" not in spec  # no vertical rules
    body = text.split("\\toprule\n")[1].split("\\bottomrule")[0].replace("\\midrule\n", "")
    unescape = {
        r"\textbackslash{}": "\\",
        r"\textasciitilde{}": "~",
        r"\textasciicircum{}": "^",
        r"\&": "&",
        r"\%": "%",
        r"\$": "$",
        r"\#": "#",
        r"\_": "_",
        r"\{": "{",
        r"\}": "}",
    }
    pattern = re.compile("|".join(re.escape(k) for k in unescape))
    rows = []
    for line in body.strip().splitlines():
        cells = re.split(r"(?<!\\) & ", line.removesuffix(" \\\\"))
        rows.append([pattern.sub(lambda m: unescape[m.group(0)], c) for c in cells])
    return rows


def test_csv_has_bom_and_pandas_reads_it(report):
    path = report.reports / "tables/counts.csv"
    assert pd.read_csv(path).columns.tolist() == ["code", "n", "share", "id"]
    assert pd.read_csv(path)["code"][0] == "Łukasik"
    assert _csv_cells(report.reports / "tables/answers.csv")[1][0] == "'=1+2"  # formula guard kept


def test_latex_holds_the_csv_cells(report):
    for name in _tables():
        tex = (report.reports / f"tables/{name}.tex").read_text(encoding="utf-8")
        cells = [[_unguard(c) for c in row] for row in _csv_cells(report.reports / f"tables/{name}.csv")]
        assert _parse_tex(tex) == cells, name
    tex = (report.reports / "tables/counts.tex").read_text(encoding="utf-8")
    assert "\\begin{tabular}{lrrl}" in tex  # numbers right-aligned; '007' column holds text too
    assert "Stand-in values." in tex


def _parse_markdown(text: str) -> list[list[str]]:
    """The header and body rows of a GitHub Markdown table (before its notes): cells split
    at the pipes that are not escaped, stripped, ``\\|`` and ``<br>`` turned back."""
    table = text.split("\n\n")[0].rstrip("\n").split("\n")
    assert re.fullmatch(r"\|(-+\|)+", table[1])  # the rule under the header
    return [
        [c.strip().replace("\\|", "|").replace("<br>", "\n") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        for line in [table[0], *table[2:]]
    ]


def test_markdown_holds_the_csv_cells(report):
    # cells a Markdown view could lose: a number written with a trailing zero, more than six
    # significant digits, a pipe, and line breaks of the three kinds (LF, CR LF, a lone CR)
    report.table(
        "free-text",
        pd.DataFrame(
            {"answer": ["one\ntwo", "three\r\nfour", "five\rsix", "a | b"], "mean": [2.0, 0.1234567891, 1e-7, 3.5]}
        ),
    )
    for name in [*_tables(), "free-text"]:
        md = (report.reports / f"tables/{name}.md").read_text(encoding="utf-8")
        cells = [[_unguard(c) for c in row] for row in _csv_cells(report.reports / f"tables/{name}.csv")]
        expected = [[re.sub(r"\r\n?", "\n", c).strip() for c in row] for row in cells]
        assert _parse_markdown(md) == expected, name
    # the CSV text, independently: pandas writes a float as Python's repr (2.0, 0.1234567891, 1e-07)
    rows = _parse_markdown((report.reports / "tables/free-text.md").read_text(encoding="utf-8"))
    assert [r[1] for r in rows[1:]] == ["2.0", "0.1234567891", "1e-07", "3.5"]
    assert "1. Stand-in values." in (report.reports / "tables/counts.md").read_text(encoding="utf-8")


def _expected_value(cell: str):
    """What a CSV cell should be in the workbook, decided independently of the code."""
    if cell == "":
        return None
    if len(cell) > 1 and cell.startswith("0") and cell[1].isdigit():
        return cell  # an identifier with a leading zero
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return _unguard(cell)


def test_workbook_holds_the_csv_values(report):
    book = openpyxl.load_workbook(report.reports / "tables/demo.xlsx")
    assert book.sheetnames[0] == "tables"
    index = list(book["tables"].iter_rows(values_only=True))
    assert index[0] == ("sheet", "table", "title", "rows", "source notebook")
    described = {row[1]: row for row in index[1:]}
    assert set(described) == {f"{n}.csv" for n in _tables()}
    names = [row[0] for row in index[1:]]
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)
    assert book.sheetnames[1:] == names
    for name, frame in _tables().items():
        sheet, _, _, rows, _ = described[f"{name}.csv"]
        assert rows == len(frame)
        cells = _csv_cells(report.reports / f"tables/{name}.csv")
        values = [list(r) for r in book[sheet].iter_rows(values_only=True)]
        assert values[0] == [c or None for c in cells[0]], name  # headers as text, even "1"
        assert values[1:] == [[_expected_value(c) for c in row] for row in cells[1:]], name
    counts = book[described["counts.csv"][0]]
    assert counts["B2"].data_type == "n" and counts["D2"].value == "007"  # a number; an id stays text
    answers = book[described["answers.csv"][0]]
    assert answers["A2"].value == "=1+2" and answers["A2"].data_type == "s"  # text, not a formula


def test_text_xml_and_tex_cannot_hold_reaches_every_file(tmp_path):
    # a vertical tab (Word's manual line break in plain text), NUL, ESC, CR LF, and text that
    # reads as an escape; openpyxl refuses the first three in a cell, python-docx all three,
    # and TeX stops at a control character ("Text line contains an invalid character")
    answers = ["one\x0btwo", "nul\x00here", "esc\x1b[0m", "a\r\nb", "_x0041_"]
    out = StudyOutputs("demo", root=tmp_path)
    out.table("answers", pd.DataFrame({"answer": answers}))
    write_manuscript_exports(out)
    with zipfile.ZipFile(out.reports / "tables/demo.xlsx") as archive:
        sheet = archive.read("xl/worksheets/sheet2.xml").decode("utf-8")
    # ECMA-376 Part 1, 22.9.2.19 (ST_Xstring): a character as _xHHHH_, a literal "_x" as _x005F_
    assert "one_x000B_two" in sheet and "nul_x0000_here" in sheet and "_x005F_x0041_" in sheet
    book = openpyxl.load_workbook(out.reports / "tables/demo.xlsx")
    stored = [c.value for c in book[book.sheetnames[1]]["A"]][1:]
    assert [unescape(v) for v in stored] == answers  # openpyxl's own decoder of the escape
    document = docx.Document(str(out.reports / "tables/demo.docx"))
    # python-docx reads a line break as "\n"; U+2400 and U+241B are the Unicode control
    # pictures of NUL and ESC
    assert [r.cells[0].text for r in document.tables[0].rows][1:] == [
        "one\ntwo",
        "nul\u2400here",
        "esc\u241b[0m",
        "a\nb",
        "_x0041_",
    ]
    tex = (out.reports / "tables/answers.tex").read_text(encoding="utf-8")
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", tex)
    assert [r[0] for r in _parse_tex(tex)[1:]] == ["one two", "nul here", "esc [0m", "a  b", "_x0041_"]


def test_docx_tables_are_apa_and_hold_the_csv_cells(report):
    document = docx.Document(str(report.reports / "tables/demo.docx"))
    short = [n for n, f in _tables().items() if len(f) <= 40]  # long-list (60 rows) stays in the workbook only
    assert len(document.tables) == len(short)
    texts = [p.text for p in document.paragraphs]
    titles = [t for t in texts if re.fullmatch(r"Table \d+", t)]
    assert titles == [f"Table {k}" for k in range(1, len(short) + 1)]
    italic_titles = [
        p
        for p in document.paragraphs
        if p.runs and p.runs[0].italic and p.text != "Note." and not p.text.startswith("Note.")
    ]
    assert len(italic_titles) == len(short)
    assert sum(t.startswith("Note.") for t in texts) == len(short)
    assert any("Stand-in values." in t for t in texts)
    for name, table in zip(sorted(short), document.tables, strict=False):  # in the order of the CSV names
        cells = [[_unguard(c) for c in row] for row in _csv_cells(report.reports / f"tables/{name}.csv")]
        assert [[c.text for c in r.cells] for r in table.rows] == cells, name


def test_docx_has_no_vertical_borders(report):
    with zipfile.ZipFile(report.reports / "tables/demo.docx") as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    vertical = re.findall(r'<w:(left|right|start|end|insideV) w:val="([a-zA-Z]+)"', xml)
    assert vertical and all(val in ("nil", "none") for _, val in vertical)
    assert re.search(r'<w:top w:val="single"', xml) and re.search(r'<w:bottom w:val="single"', xml)
    assert re.search(r"<w:tblBorders>.*?</w:tblBorders><w:tblLook", xml)  # schema order: borders before look
    assert "w:tblStyle" not in xml or 'w:tblStyle w:val="TableGrid"' not in xml


def test_exports_are_byte_identical_on_rerun(report, tmp_path):
    first = {n: (report.reports / f"tables/demo.{n}").read_bytes() for n in ("xlsx", "docx")}
    write_manuscript_exports(report)
    for ext, data in first.items():
        assert (report.reports / f"tables/demo.{ext}").read_bytes() == data, ext
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            assert [i.filename for i in infos] == sorted(i.filename for i in infos)
            assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
            core = archive.read("docProps/core.xml").decode("utf-8")
        stamps = re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core)
        assert stamps and set(stamps) == {"1980-01-01T00:00:00Z"}


def test_titles_and_sources_come_from_the_study_notebooks(tmp_path):
    # notebooks/results-survey.ipynb writes "characteristics" under "## Participant characteristics",
    # and notebooks/code.ipynb writes "disagreements" under "## Disagreements and how each was resolved"
    out = StudyOutputs("supporter-survey", root=tmp_path)
    out.table("characteristics", pd.DataFrame({"a": [1]}))
    out.table("disagreements", pd.DataFrame({"a": [1]}))
    out.table("made-up", pd.DataFrame({"a": [1]}))
    info = {t.name: (t.title, t.source) for t in describe_tables("supporter-survey", out.reports)}
    assert info["characteristics"] == ("Participant characteristics", "results-survey")
    assert info["disagreements"] == ("Disagreements and how each was resolved", "code")
    assert info["made-up"] == ("Made up", "")


def test_tables_written_by_a_helper_take_their_source_from_the_executed_notebook(tmp_path):
    # an executed code.ipynb whose cell under "## Codes by participant attribute" lists the table it wrote
    out = StudyOutputs("supporter-survey", root=tmp_path)
    out.table("code-by-sex", pd.DataFrame({"a": [1]}))
    executed = {
        "cells": [
            {"cell_type": "markdown", "source": ["## Codes by participant attribute"]},
            {
                "cell_type": "code",
                "source": ["write_attribute_matrices(report)"],
                "outputs": [{"data": {"text/plain": ["0  tables/code-by-sex.csv  sex"]}}],
            },
        ]
    }
    (out.reports / "code.ipynb").write_text(json.dumps(executed), encoding="utf-8")
    info = {t.name: (t.title, t.source) for t in describe_tables("supporter-survey", out.reports)}
    assert info["code-by-sex"] == ("Codes by participant attribute", "code")


def test_a_cell_longer_than_excel_holds_is_cut_in_the_workbook_and_whole_in_the_csv(tmp_path):
    # Microsoft, "Excel specifications and limits": a cell holds at most 32,767 characters;
    # a category's excerpts, joined in one cell, pass that in a large study. An emoji counts
    # two (a UTF-16 surrogate pair), so 20,000 of them are 40,000 characters to Excel.
    long = "I said “yes”. " * 3_000  # 42,000 characters
    emoji = "😀" * 20_000
    out = StudyOutputs("demo", root=tmp_path)
    out.table("categories", pd.DataFrame({"excerpts": [long, emoji, "short"]}))
    write_manuscript_exports(out)
    stored = [c.value for c in openpyxl.load_workbook(out.reports / "tables/demo.xlsx")["categories"]["A"]][1:]
    note = "… [cut at the 32,767 characters of an Excel cell; whole in categories.csv]"
    for value, whole in zip(stored[:2], (long, emoji), strict=True):
        assert len(value.encode("utf-16-le")) // 2 <= 32_767 and value.endswith(note)
        assert whole.startswith(value.removesuffix(note)) and len(value) > 16_000
    assert stored[2] == "short"
    assert pd.read_csv(out.reports / "tables/categories.csv")["excerpts"].tolist() == [long, emoji, "short"]
