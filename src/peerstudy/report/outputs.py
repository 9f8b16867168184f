"""Write a study's outputs: whole or not at all, byte for byte the same on every run.

:class:`StudyOutputs` is what a notebook holds to write its results: processed tables
(parquet) under ``data/processed/<study>/``, publication tables (CSV and Markdown) and
figures (PNG and SVG) under ``reports/<study>/``, and ``key-figures.json``. Every file
is written to a temporary name beside its target and renamed into place, so a reader
never sees half a file. Formats are made deterministic: no timestamps, fixed SVG ids,
sorted JSON keys, ``\\n`` line endings.

Examples
--------
>>> import tempfile
>>> out = StudyOutputs("demo", root=tempfile.mkdtemp())
>>> out.table("counts", pd.DataFrame({"code": ["a"], "n": [2]})).shape
(1, 2)
>>> sorted(p.name for p in (out.reports / "tables").iterdir())
['counts.csv', 'counts.md', 'counts.tex']
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

from peerstudy import config
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.files import is_file_name, to_json_text, write_atomic, write_bytes_atomic, write_json
from peerstudy.io.tablecheck import check_table
from peerstudy.report.labels import codebook_labels
from peerstudy.report.present import KeyFigures, Numbering, ShownFigure, ShownTable, show_table
from peerstudy.report.tabletext import write_table_text

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "StudyOutputs",
    "write_atomic",
    "write_bytes_atomic",
    "to_csv_text",
    "write_json",
    "to_json_text",
    "escape_formulas",
    "FIGURE_RC",
]

#: Matplotlib settings that make figures identical from run to run.
FIGURE_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "peerstudy",  # SVG element ids from a fixed salt, not a random one
    "svg.fonttype": "path",  # glyphs as paths: the same drawing without the fonts installed
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.family": "DejaVu Sans",  # ships with matplotlib
}


# A cell starting with one of these may be run as a formula by a spreadsheet program
# (OWASP, "CSV Injection": = + - @ tab and carriage return), also after leading spaces,
# line breaks or invisible characters, which spreadsheet programs may drop.
_FORMULA_START = ("=", "+", "-", "@")
_LEADING = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]*")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")


def _escape_cell(value: Any) -> Any:
    if not isinstance(value, str) or len(value) < 2:
        return value
    core = _LEADING.sub("", value, count=1)
    risky = value.startswith(("\t", "\r")) or (len(core) > 1 and core.startswith(_FORMULA_START))
    if risky and not _NUMBER.match(core):
        return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which text cells that a spreadsheet program would read as a
    formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, also
    after leading whitespace) begin with a single quote, which spreadsheets show as text.
    Numbers, signed numbers written as text and a lone sign are left as they are.

    Examples
    --------
    >>> escape_formulas(pd.DataFrame({"answer": ["=cmd|' /C calc'!A0", "-3", "-", " \\n@SUM(1)", "fine"],
    ...                               "n": [1, -2, 3, 4, 5]})).to_dict("list")
    {'answer': ["'=cmd|' /C calc'!A0", '-3', '-', "' \\n@SUM(1)", 'fine'], 'n': [1, -2, 3, 4, 5]}
    """
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(_escape_cell)
    out.columns = [_escape_cell(c) for c in out.columns]
    return out


def to_csv_text(frame: pd.DataFrame, *, guard_formulas: bool = True) -> str:
    """CSV for spreadsheet programs: formula-like cells escaped (:func:`escape_formulas`;
    not with ``guard_formulas=False``), ``\\n`` line ends, and every cell holding a line
    break quoted, a lone carriage return included (pandas and Python's csv module quote
    only the characters of the line end they write, so a bare CR would start a new row in a
    spreadsheet, and Python's csv reader refuses it).

    Examples
    --------
    >>> to_csv_text(pd.DataFrame({"answer": ["a\\rb", "ok"]})).split("\\n")
    ['answer', '"a\\rb"', 'ok', '']
    """
    safe = escape_formulas(frame) if guard_formulas else frame
    text = safe.to_csv(index=False, lineterminator="\n")
    if "\r" not in text:
        return text
    # Cells with a CR get a marker + LF in place of each CR, which makes the writer quote
    # them; the marker (a private-use character absent from the table) + LF then becomes CR again.
    mark = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)

    def marked(value: Any) -> Any:
        return value.replace("\r", mark + "\n") if isinstance(value, str) else value

    safe = safe.map(marked)
    safe.columns = [marked(c) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator="\n").replace(mark + "\n", "\r")


def check_output_name(name: str, what: str) -> None:
    """Refuse a table or figure name that is not a plain file name: one holding a path
    separator or a control character, ``.``/``..`` or empty (names are often made from a
    field's name: ``code-by-<field>``).

    Examples
    --------
    >>> check_output_name("code-by-age group", "table")
    >>> check_output_name("code-by-age/years", "table")
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'code-by-age/years': expected a table name that is a file name (no '/' or '\\', not '.' or '..'), found 'code-by-age/years'. Fix: rename the field or table whose name it is made from (a field's name is the key on the left of its declaration).
    """
    if not is_file_name(name):
        raise ConfigError(
            Problem(
                field=name,
                expected=f"a {what} name that is a file name (no '/' or '\\', not '.' or '..')",
                found=repr(name),
                fix="rename the field or table whose name it is made from (a field's name is the key on the "
                "left of its declaration)",
            )
        )


class StudyOutputs:
    """The output folders of one study, and writers for each kind of output.

    Parameters
    ----------
    study
        Study name; outputs go to ``data/processed/<study>/`` and ``reports/<study>/``.
    root
        Folder holding ``data/processed/`` and ``reports/``; default: the output root
        (see :mod:`peerstudy.config`).
    """

    def __init__(self, study: str, root: str | os.PathLike[str] | None = None):
        base = Path(root) if root is not None else config.output_root()
        self.study = study
        self.processed_dir = base / "data" / "processed" / study
        self.reports = base / "reports" / study
        #: numbers of the tables and figures shown on this page (one StudyOutputs per notebook)
        self.numbering = Numbering()
        self._labels: dict[str, str] | None = None

    @property
    def labels(self) -> dict[str, str]:
        """Human labels of the study's codes: from the codebook this notebook wrote or read
        (:meth:`processed`, :meth:`load`), never from whatever a previous run left on disk, so
        that a page shows the same whoever ran it before."""
        return self._labels or {}

    def show(
        self, frame: pd.DataFrame, title: str | None = None, *, index: bool | None = None, **settings: Any
    ) -> ShownTable:
        """``frame`` shown as a numbered table on the page, without writing anything (see
        :mod:`peerstudy.report.present`)."""
        return show_table(frame, title=title, numbering=self.numbering, labels=self.labels, index=index, **settings)

    # -- processed data ---------------------------------------------------------------
    def processed(self, **tables: pd.DataFrame) -> ShownTable:
        """Write tidy tables as ``data/processed/<study>/<name>.parquet``; returns a
        summary (table, rows, columns) for display.

        Each table handed to a later stage is first checked against its schema
        (:mod:`peerstudy.io.schemas`), all of them before any is written: one that breaks
        it raises :class:`~peerstudy.errors.ContractError` (a bug of the stage) and nothing
        is written."""
        for name, frame in tables.items():
            check_table(name, frame, where=config.relative_to_root(self.processed_dir / f"{name}.parquet"))
        rows = []
        if "codebook" in tables:
            self._labels = codebook_labels(tables["codebook"])
        for name, frame in tables.items():
            buf = io.BytesIO()
            frame.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
            write_bytes_atomic(self.processed_dir / f"{name}.parquet", buf.getvalue())
            rows.append({"table": f"{name}.parquet", "rows": len(frame), "columns": ", ".join(map(str, frame.columns))})
        return self.show(pd.DataFrame(rows), f"Tables written to data/processed/{self.study}/")

    def load(self, name: str, *, missing_ok: bool = False) -> pd.DataFrame | None:
        """Read a processed table written by an earlier stage (``None`` if it is absent
        and ``missing_ok``)."""
        path = self.processed_dir / f"{name}.parquet"
        if not path.is_file() and missing_ok:
            return None
        if not path.is_file():
            raise InputError(
                Problem(
                    file=config.relative_to_root(path),
                    expected="a table written by an earlier stage",
                    found="no such file",
                    fix=f"run the study's earlier notebooks first (python -m peerstudy report --study {self.study})",
                )
            )
        table = pd.read_parquet(path, engine="pyarrow")
        if name == "codebook":
            self._labels = codebook_labels(table)
        return table

    # -- publication tables -----------------------------------------------------------
    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        index: bool = False,
        notes: list[str] | None = None,
        title: str | None = None,
        decimals: Mapping[str, int] | None = None,
    ) -> ShownTable:
        """Write ``reports/<study>/tables/<name>.csv``, ``.md`` and ``.tex``; returns the table
        (a DataFrame shown on the page as "Table N. <title>", see :mod:`peerstudy.report.present`).

        ``notes`` are numbered caveats printed under the Markdown table. In the CSV,
        which spreadsheet programs open, cells that would run as formulas are escaped
        (see :func:`escape_formulas`). ``title`` is the caption (default: from ``name``),
        ``decimals`` declares the decimals shown per column (the files keep every digit).
        """
        check_output_name(name, "table")
        flat = frame.reset_index() if index else frame
        # UTF-8 with a byte-order mark: Excel reads a CSV without one as the local code page
        write_bytes_atomic(self.reports / "tables" / f"{name}.csv", to_csv_text(flat).encode("utf-8-sig"))
        # Markdown and booktabs LaTeX of the same cells as the CSV
        write_table_text(self.reports / "tables", name, to_csv_text(flat, guard_formulas=False), notes=notes or ())
        return self.show(
            frame, title or _title_of(name), index=index, link=f"tables/{name}.csv", decimals=decimals, table_id=name
        )

    # -- figures ----------------------------------------------------------------------
    def figure(self, name: str, fig: plt.Figure, caption: str | None = None) -> ShownFigure:
        """Write ``reports/<study>/figures/<name>.png`` and ``.svg`` without timestamps,
        close the figure, and return the PNG for display with "Figure N. <caption>" under it
        (default caption: the title of the figure's first axes, else from ``name``)."""
        check_output_name(name, "figure")
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        suptitle = fig.get_suptitle()
        caption = caption or suptitle or (titles[0] if titles else _title_of(name))
        png, svg = io.BytesIO(), io.BytesIO()
        with matplotlib.rc_context(FIGURE_RC):
            fig.savefig(png, format="png", metadata={"Software": None}, bbox_inches="tight")
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
        plt.close(fig)
        write_bytes_atomic(self.reports / "figures" / f"{name}.png", png.getvalue())
        write_bytes_atomic(self.reports / "figures" / f"{name}.svg", svg.getvalue())
        return ShownFigure(png.getvalue(), caption, self.numbering)

    # -- exchange with QDA programs ---------------------------------------------------
    def qda(
        self,
        codebook: pd.DataFrame,
        documents: pd.DataFrame,
        segments: pd.DataFrame,
        codings: pd.DataFrame,
        *,
        memos: pd.DataFrame | None = None,
    ) -> ShownTable:
        """Write the codebook as ``reports/<study>/qda/codebook.qdc`` and the documents,
        segments and codings (one REFI-QDA user per ``coder``, see
        :func:`peerstudy.qualitative.qdaproject.qda_codings`) with the analytic ``memos`` (notes on
        the codes they develop) as ``reports/<study>/qda/project.qdpx`` (REFI-QDA), for
        NVivo, ATLAS.ti, MAXQDA, QualCoder; returns what was written."""
        from peerstudy.qualitative.refi import write_qdc, write_qdpx

        # units excluded at reconciliation and coded by no one are not part of the project
        segments = segments[segments["segment"].isin(codings["segment"])]
        folder = self.reports / "qda"
        folder.mkdir(parents=True, exist_ok=True)
        write_qdc(folder / "codebook.qdc", codebook)
        write_qdpx(folder / "project.qdpx", codebook, documents, segments, codings, memos=memos)
        per_user = codings.groupby("coder", sort=False).size()
        users = "; ".join(f"{n} by {c}" for c, n in per_user.items())
        memo_text = f", {len(memos)} memos" if memos is not None else ""
        written = pd.DataFrame(
            {
                "file": ["qda/codebook.qdc", "qda/project.qdpx"],
                "holds": [
                    f"{len(codebook)} codes",
                    f"{len(documents)} documents, {segments['segment'].nunique()} segments, "
                    f"{len(codings)} codings ({users}){memo_text}",
                ],
            }
        )
        return self.show(written, "Files for QDA programs (REFI-QDA)")

    # -- notes ------------------------------------------------------------------------
    def notes(self, notes: list[str]):
        """Write numbered notes on the study (discrepancies in the paper, readings
        chosen) to ``reports/<study>/notes.md`` and return them for display (as written:
        a ``<`` is shown, never read as HTML)."""
        from IPython.display import Markdown

        text = "\n".join(f"{i}. {_as_written(note)}" for i, note in enumerate(notes, 1)) or "No notes."
        write_bytes_atomic(self.reports / "notes.md", (text + "\n").encode("utf-8"))
        return Markdown(text)

    def title(self, title: str):
        """The report's title, in bold, for display, as written (a ``<`` in it is shown,
        never read as HTML: "aged <25" stays, "<script>" does not run).

        Examples
        --------
        >>> StudyOutputs("demo", root=".").title("Peers aged <25 & their <b>carers</b>").data
        '**Peers aged &lt;25 & their &lt;b>carers&lt;/b>**'
        """
        from IPython.display import Markdown

        return Markdown(f"**{_as_written(title)}**")

    # -- key figures ------------------------------------------------------------------
    def key_figures(self, figures: Mapping[str, Any]) -> KeyFigures:
        """Write ``reports/<study>/key-figures.json``; returns the figures (a dict shown as a
        two-column table of labelled figures and values)."""
        write_json(self.reports / "key-figures.json", dict(figures))
        return KeyFigures(figures, numbering=self.numbering, labels=self.labels)


def _as_written(text: str) -> str:
    """Markdown that shows ``text`` as written: a ``<`` (which would open raw HTML) as ``&lt;``."""
    return str(text).replace("<", "&lt;")


def _title_of(name: str) -> str:
    """A caption made from a file name: ``"cleaning-log"`` → ``"Cleaning log"``.

    Examples
    --------
    >>> _title_of("counts-by-session-and-role-level-0")
    'Counts by session and role level 0'
    """
    text = name.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]
