"""The PRISMA 2020 flow diagram drawn with matplotlib from :class:`peerstudy.review.prisma.PrismaCounts`:
boxes and arrows, phases labelled on the left.

May import: :mod:`peerstudy.report.outputs` (figure settings); :mod:`peerstudy.review.prisma` for types only.

Examples
--------
>>> from peerstudy.review.prisma import PrismaCounts
>>> flow = PrismaCounts({"X": 3}, {}, 3, 0, {}, 3, 1, 2, 0, 2, {"r": 1}, 1)
>>> _flow_rows(flow)[0][1]
['Records identified from databases (n = 3):', '   X (n = 3)']
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import FancyBboxPatch

from peerstudy.report.outputs import FIGURE_RC

if TYPE_CHECKING:
    from peerstudy.review.prisma import PrismaCounts

__all__ = ["plot_prisma_flow"]

_PHASE = "#dce6f2"
_EDGE = "#3a6ea5"
_LINE = 0.19  # inches per line of 9-point text
_PAD = 0.14  # inches of padding inside a box


def _box(ax, x: float, top: float, width: float, lines: list[str], *, bold_first: bool = False) -> tuple[float, float]:
    height = _LINE * len(lines) + 2 * _PAD
    ax.add_patch(
        FancyBboxPatch(
            (x, top - height), width, height, boxstyle="square,pad=0", linewidth=1.0, edgecolor=_EDGE, facecolor="white"
        )
    )
    for i, text in enumerate(lines):
        ax.text(
            x + _PAD,
            top - _PAD - (i + 0.5) * _LINE,
            text,
            va="center",
            ha="left",
            fontsize=9,
            fontweight="bold" if bold_first and i == 0 else "normal",
        )
    return top - height, height


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.0, "shrinkA": 0, "shrinkB": 0},
    )


_WRAP = 46  # characters per line of a box


def _wrapped(prefix: str, items: Mapping[str, int], indent: str = "   ") -> list[str]:
    """A box's heading, then one wrapped line per item with its number."""
    out = [prefix]
    for name, n in items.items():
        # "(n = 12)" is never broken across lines (no-break spaces while wrapping)
        pieces = textwrap.wrap(f"{name} (n\u00a0=\u00a0{n})", _WRAP - len(indent))
        out += [(indent + pieces[0])] + [indent + "  " + p for p in pieces[1:]]
    return [line.replace("\u00a0", " ") for line in out]


def _flow_rows(counts: PrismaCounts) -> list[tuple[str | None, list[str], list[str] | None]]:
    """The diagram's rows: phase (``None`` continues the one above), left box, right box."""
    c = counts
    ident = _wrapped(f"Records identified from databases (n = {sum(c.identified.values())}):", c.identified)
    if c.identified_other:
        ident += _wrapped(f"Records from other sources (n = {sum(c.identified_other.values())}):", c.identified_other)
    removed = _wrapped(
        "Records removed before screening:", {"duplicate records": c.duplicates_removed, **c.ineligible_removed}
    )
    rows = [
        ("Identification", ident, removed),
        (
            "Screening",
            ["Records screened (title and abstract)", f"(n = {c.screened})"],
            ["Records excluded", f"(n = {c.excluded_title_abstract})"],
        ),
        (
            None,
            ["Reports sought for retrieval", f"(met the criteria on abstract, n = {c.sought_for_retrieval})"],
            ["Reports not retrieved", f"(n = {c.not_retrieved})"],
        ),
        (
            None,
            ["Reports assessed for eligibility", f"(full text, n = {c.assessed})"],
            _wrapped("Reports excluded:", c.excluded_full_text),
        ),
        ("Included", ["Studies included in review", f"(n = {c.included})"], None),
    ]
    return rows


def _row_heights(rows: list[tuple[str | None, list[str], list[str] | None]]) -> list[float]:
    """The height of each row: its taller box, or room for a phase label written upwards."""
    heights = [max(len(left), len(right) if right else 0) * _LINE + 2 * _PAD for _, left, right in rows]
    # a phase that spans one row needs room for its label, written upwards
    spans_one = [
        phase is not None and (i + 1 == len(rows) or rows[i + 1][0] is not None) for i, (phase, _, _) in enumerate(rows)
    ]
    # (a row that spans one has a phase: rows[i][0] is its name)
    heights = [max(h, 0.25 + 0.085 * len(rows[i][0] or "")) if spans_one[i] else h for i, h in enumerate(heights)]
    return heights


def _draw_phases(ax, phase_spans: list[tuple[str, float, float]]) -> None:
    """The phase bands on the left, each labelled upwards."""
    for name, start, end in phase_spans:
        ax.add_patch(
            FancyBboxPatch(
                (0.08, end),
                0.3,
                start - end,
                boxstyle="round,pad=0,rounding_size=0.08",
                linewidth=0,
                facecolor=_PHASE,
            )
        )
        ax.text(0.23, (start + end) / 2, name, rotation=90, ha="center", va="center", fontsize=9, fontweight="bold")


def plot_prisma_flow(counts: PrismaCounts, *, title: str = "PRISMA 2020 flow diagram") -> plt.Figure:
    """A PRISMA 2020-style flow diagram (databases and other sources) drawn with
    matplotlib: boxes and arrows, phases labelled on the left.

    Examples
    --------
    >>> from peerstudy.review.prisma import PrismaCounts
    >>> flow = PrismaCounts.from_mapping({"identified": {"X": 5}, "identified_other": {}, "identified_total": 5, "duplicates_removed": 1,
    ...         "ineligible_removed": {"outside the date range": 1}, "screened": 3, "excluded_title_abstract": 1,
    ...         "sought_for_retrieval": 2, "not_retrieved": 0, "assessed": 2, "excluded_full_text": {"r": 1},
    ...         "included": 1})
    >>> fig = plot_prisma_flow(flow)
    >>> texts = [t.get_text() for t in fig.axes[0].texts]
    >>> texts[texts.index("Studies included in review") + 1]
    '(n = 1)'
    """
    left_x, left_w, right_x, right_w, gap = 0.55, 3.9, 5.05, 3.95, 0.45
    rows = _flow_rows(counts)
    heights = _row_heights(rows)
    total = sum(heights) + gap * (len(rows) - 1) + 0.9
    width = right_x + right_w + 0.1
    with matplotlib.rc_context(FIGURE_RC):
        fig = plt.figure(figsize=(width, total))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(0, total)
        ax.axis("off")
        ax.text(width / 2, total - 0.3, title, ha="center", va="center", fontsize=11, fontweight="bold")
        top = total - 0.65
        phase_spans: list[tuple[str, float, float]] = []
        previous_bottom = None
        for (phase, left, right), h in zip(rows, heights, strict=False):
            row_top = top
            lb, lh = _box(ax, left_x, row_top - (h - (len(left) * _LINE + 2 * _PAD)) / 2, left_w, left)
            centre_y = lb + lh / 2
            if right:
                rh = len(right) * _LINE + 2 * _PAD
                _box(ax, right_x, centre_y + rh / 2, right_w, right)
                _arrow(ax, (left_x + left_w, centre_y), (right_x, centre_y))
            if previous_bottom is not None:
                _arrow(ax, (left_x + left_w / 2, previous_bottom), (left_x + left_w / 2, lb + lh))
            previous_bottom = lb
            if phase:
                phase_spans.append((phase, row_top, row_top - h))
            else:
                name, start, _ = phase_spans[-1]
                phase_spans[-1] = (name, start, row_top - h)
            top = row_top - h - gap
        _draw_phases(ax, phase_spans)
    return fig


def plot_studies_by_year(
    by_year: pd.DataFrame, *, title: str = "Included studies by year of publication"
) -> plt.Figure:
    """Stacked bars of included studies per year, one colour per category.

    ``by_year`` is the table of :func:`tabulate_by_year` (its ``total`` row and
    column are ignored).

    Examples
    --------
    >>> table = pd.DataFrame({"review": [1, 0], "qualitative": [0, 2]}, index=[2001, 2002])
    >>> fig = plot_studies_by_year(table)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['review', 'qualitative']
    """
    data = by_year.drop(index="total", errors="ignore").drop(columns="total", errors="ignore")
    colours = ["#3a6ea5", "#9ab8d8", "#e08f3c", "#6aa66a", "#b05d8c", "#8c8c8c", "#c9b458", "#5fa8a8"]
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(max(6.0, 0.32 * len(data) + 2.5), 4.0))
        x = list(range(len(data)))
        bottom = [0] * len(data)
        for i, category in enumerate(data.columns):
            values = data[category].astype(int).tolist()
            ax.bar(x, values, bottom=bottom, color=colours[i % len(colours)], label=str(category), width=0.8)
            bottom = [b + v for b, v in zip(bottom, values, strict=False)]
        ax.set_xticks(x, [str(y) for y in data.index], rotation=90, fontsize=8)
        top = max(bottom) if bottom else 1
        ax.set_yticks(range(0, top + 2))
        ax.set(title=title, xlabel="Year of publication", ylabel="Studies (n)", ylim=(0, top + 1))
        if data.empty:  # a review that included no study (an "empty review")
            ax.text(0.5, 0.5, "No study included", transform=ax.transAxes, ha="center", va="center", color="#444444")
        else:
            ax.legend(frameon=False, fontsize=8, loc="upper left")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
    return fig
