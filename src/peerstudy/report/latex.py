"""LaTeX (booktabs) of a study's tables: every table a notebook writes through
:meth:`peerstudy.report.outputs.StudyOutputs.table` gets a ``tables/<name>.tex`` beside its
CSV and Markdown (:func:`write_latex`).

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
from collections.abc import Sequence
from pathlib import Path

from peerstudy.io.files import write_bytes_atomic
from peerstudy.report.tablecatalog import numeric_columns

__all__ = ["latex_table", "write_latex"]

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
_LATEX_ESCAPES = str.maketrans(_LATEX_SPECIAL)


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
