"""The text views of a study's tables: every table a notebook writes through
:meth:`peerstudy.report.outputs.StudyOutputs.table` gets a ``tables/<name>.md`` (GitHub
Markdown, :func:`markdown_table`) and a ``tables/<name>.tex`` (LaTeX with booktabs rules,
:func:`latex_table`) beside its CSV (:func:`write_table_text`). Both are made from the cells
of the CSV, as text, so that they show what the CSV holds: ``1.0`` stays ``1.0`` and
every digit is kept. Columns whose every non-empty cell is a number are right-aligned in
both.

Examples
--------
>>> print(markdown_table([["code", "n"], ["a|b", "2"], ["two\\r\\nlines", "10.50"]]))
| code         |     n |
|--------------|-------|
| a\\|b         |     2 |
| two<br>lines | 10.50 |
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
import re
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from peerstudy.io.files import write_bytes_atomic
from peerstudy.report.tablecatalog import numeric_columns

__all__ = ["latex_table", "markdown_table", "write_table_text"]

# A line break inside a cell would end the table's row: the three that Markdown knows
# (CommonMark: LF, CR, CR LF) become <br>, which GitHub shows as a break in the cell.
_MARKDOWN_SPECIAL = {"|": "\\|", "\r\n": "<br>", "\r": "<br>", "\n": "<br>"}
_MARKDOWN_BREAKS = re.compile("|".join(re.escape(k) for k in _MARKDOWN_SPECIAL))

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
}
# Line breaks end a cell's line in TeX's input, and TeX refuses control characters (an
# "invalid character" error) or reads them as commands: all become a space (a tab is one).
_LATEX_SPACES = "".join(map(chr, [*(c for c in range(0x20) if c != 0x09), 0x7F, 0x85, 0x2028, 0x2029]))
_LATEX_ESCAPES = str.maketrans({**_LATEX_SPECIAL, **dict.fromkeys(_LATEX_SPACES, " ")})


def _escape_latex(text: str) -> str:
    return text.translate(_LATEX_ESCAPES)


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
    numeric = numeric_columns(header, body)
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


def _escape_markdown(text: str) -> str:
    return _MARKDOWN_BREAKS.sub(lambda m: _MARKDOWN_SPECIAL[m.group(0)], text)


def markdown_table(rows: Sequence[Sequence[str]], *, notes: Sequence[str] = ()) -> str:
    """A GitHub Markdown table of ``rows`` (the header first, cells as text), written as
    they are: no number is reformatted, a pipe is escaped and a line break in a cell
    becomes ``<br>``. ``notes`` are numbered under the table, after an empty line.

    Examples
    --------
    >>> print(markdown_table([["x", "y"], ["1.0", "0.123456789"]], notes=["Stand-in."]))
    |   x |           y |
    |-----|-------------|
    | 1.0 | 0.123456789 |
    <BLANKLINE>
    1. Stand-in.
    """
    header, body = rows[0], rows[1:]
    align = ["right" if n else "left" for n in numeric_columns(header, body)]
    # the cells are text already: tabulate's number parsing would reformat them ("1.0" as
    # "1", 7 significant digits as 6) and costs most of its time
    text = tabulate(
        [[_escape_markdown(c) for c in r] for r in body],
        headers=[_escape_markdown(h) for h in header],
        tablefmt="github",
        disable_numparse=True,
        colalign=align,
    )
    if notes:
        text += "\n\n" + "\n".join(f"{i}. {note}" for i, note in enumerate(notes, 1))
    return text


def write_table_text(folder: Path, name: str, csv_text: str, *, notes: Sequence[str] = ()) -> None:
    """Write ``<name>.md`` (:func:`markdown_table`) and ``<name>.tex`` (:func:`latex_table`)
    in ``folder`` from a table's CSV text, without the formula guard.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_table_text(folder, "t", "a,b\\n1,x\\n")
    >>> (folder / "t.tex").read_text().count("\\\\toprule"), (folder / "t.md").read_text()
    (1, '|   a | b   |\\n|-----|-----|\\n|   1 | x   |\\n')
    """
    rows = list(csv.reader(io.StringIO(csv_text)))
    write_bytes_atomic(folder / f"{name}.md", (markdown_table(rows, notes=notes) + "\n").encode("utf-8"))
    write_bytes_atomic(folder / f"{name}.tex", latex_table(rows, notes=notes).encode("utf-8"))
