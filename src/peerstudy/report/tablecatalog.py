"""The tables a study wrote, read back from ``reports/<study>/tables/``: their cells as
text, their titles, the notebooks that wrote them and their notes.

The manuscript exports (:mod:`peerstudy.report.exports`) and the LaTeX tables
(:mod:`peerstudy.report.tabletext`) are made from these CSVs, not from the frames in memory,
so that they hold what the CSVs hold whichever notebook wrote them.

Examples
--------
>>> numeric_columns(["code", "n"], [["a", "2"], ["b", ""]])
[False, True]
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerstudy import config
from peerstudy.io.yamlfiles import read_yaml

__all__ = ["TableInfo", "describe_tables", "is_number", "numeric_columns", "read_table_csv"]

_NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@\t\r])")


@dataclass(frozen=True)
class TableInfo:
    """One table of a study: its file name, a title, the notebook that wrote it, its notes."""

    name: str
    title: str
    source: str
    rows: list[list[str]]
    notes: tuple[str, ...] = ()


def is_number(text: str) -> bool:
    """Whether a table cell (text) is a plain number: an optional minus, digits with at
    most one decimal point, an optional exponent; no percent sign, no thousands separator.

    Examples
    --------
    >>> [is_number(t) for t in ("-1.5", ".5", "2e3", "50%", "1,000", "")]
    [True, True, True, False, False, False]
    """
    return bool(_NUMBER.match(text))


def numeric_columns(header: Sequence[str], body: Sequence[Sequence[str]]) -> list[bool]:
    """For each column: does it hold numbers only (and at least one)? (Examples: the module.)"""
    return [
        any(r[i] != "" for r in body) and all(is_number(r[i]) for r in body if r[i] != "") for i in range(len(header))
    ]


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


def _sections(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The code cells of a notebook, each with the heading of its section (the first
    heading of the last Markdown cell that has one, backticks removed)."""
    heading = ""
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            titles = re.findall(r"^#+\s+(.*)$", "".join(cell["source"]), flags=re.MULTILINE)
            heading = titles[0].strip() if titles else heading
            continue
        yield heading.replace("`", ""), cell


def _table_sources(notebooks: Sequence[str]) -> dict[str, tuple[str, str]]:
    """For each table name written by a literal ``.table("name", ...)`` call in the
    notebooks: the notebook (the last one writing it, as the file holds its output) and
    the heading of the notebook section that writes it."""
    found: dict[str, tuple[str, str]] = {}
    for nb in notebooks:
        path = config.NOTEBOOKS_DIR / f"{nb}.ipynb"
        if not path.is_file():
            continue
        for heading, cell in _sections(path):
            for name in re.findall(r"\.table\(\s*\n?\s*[\"']([^\"']+)[\"']", "".join(cell["source"])):
                found[name] = (nb, heading)
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
        for heading, cell in _sections(path):
            shown = json.dumps(cell.get("outputs", []), ensure_ascii=False)
            for name in re.findall(r"tables/([\w.-]+)\.csv", shown):
                found[name] = (nb, heading)
    return found


def describe_tables(study: str, reports: Path) -> list[TableInfo]:
    """Every table of ``reports/<study>/tables/`` (the CSVs, by name) with its title (the
    heading of the notebook section that writes it, else its name), the notebook that
    wrote it (a literal ``report.table("<name>", ...)`` call, else an executed notebook
    whose output lists ``tables/<name>.csv``; empty when neither) and its notes.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
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
