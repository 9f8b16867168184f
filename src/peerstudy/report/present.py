"""How a table or figure is shown on a report page, rendered by pandas' Styler.

The data written to ``tables/`` are never changed; this module only decides how a table
looks to a reader:

- no index unless it means something (a named or non-default index becomes a column);
- text left-aligned, numbers right-aligned;
- integers as integers (also counts stored as floats: ``23.0`` is shown ``23``);
- columns of percentages (``%`` or ``percent`` in the name) at a declared precision
  (:data:`PERCENT_DECIMALS`), other decimals at the precision their values need (at most
  :data:`MAX_DECIMALS`), or at what the caller declares;
- missing values as an em dash; lists as ``1, 3, 9``; mappings as ``key: value; ...``;
  yes/no for booleans;
- column names and codes as human labels (:mod:`peerstudy.report.labels`);
- bands such as ``3-5``, ``6-9``, ``10+`` in their natural order;
- tables longer than :data:`COLLAPSE_ABOVE` rows collapsed to their first :data:`MAX_ROWS`, with the count
  and a link to the full CSV; an empty table says "No rows.";
- a numbered caption, "Table N. <title>" above a table and "Figure N. <caption>" below a
  figure, numbered in the order they are shown on a page (:class:`Numbering`).

Examples
--------
>>> page = Numbering()
>>> html = render_table(pd.DataFrame({"code": ["a"], "n": [2.0]}), title="Codes", numbering=page)
>>> "Table 1." in html and ">2<" in html and ">2.0<" not in html
True
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from numbers import Number
from typing import TYPE_CHECKING, Any, SupportsFloat, cast

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from peerstudy.report.labels import label_characteristic, label_name, label_path

if TYPE_CHECKING:
    from pandas.io.formats.style_render import CSSDict

__all__ = [
    "EM_DASH",
    "MAX_ROWS",
    "PERCENT_DECIMALS",
    "MAX_DECIMALS",
    "Numbering",
    "ShownTable",
    "ShownFigure",
    "KeyFigures",
    "format_value",
    "order_bands",
    "prepare_table",
    "render_table",
    "flatten_figures",
    "render_frame",
]

EM_DASH = "\u2014"
#: Rows shown of a long table, collapsed to its first rows and a link to the full CSV.
MAX_ROWS = 25
#: A table is collapsed only when it has more rows than this (a few rows more are shown whole).
COLLAPSE_ABOVE = 30
#: Decimals of percentages.
PERCENT_DECIMALS = 1
#: The most decimals shown for other non-integer numbers.
MAX_DECIMALS = 3

_PERCENT = re.compile(r"(%|percent|_pct$)", re.IGNORECASE)
#: Columns that hold figures of different kinds (a count beside a kappa): each cell at its own precision.
_MIXED = {"value", "published", "reproduced", "expected", "found"}
_NUMBER_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
_RANGE = re.compile(r"\[(-?\d+(?:\.\d+)?),\s*(-?\d+(?:\.\d+)?)\]")
_BAND = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:[-\u2013]\s*(\d+(?:\.\d+)?)|\+)?\s*$")
_CSS: list[CSSDict] = [
    {"selector": "", "props": "border-collapse:collapse;margin:0.4em 0 1.2em 0;font-size:13px;"},
    {
        "selector": "caption",
        "props": "caption-side:top;text-align:left;font-size:14px;padding:0 0 0.4em 0;color:#222;white-space:nowrap;",
    },
    {"selector": "th", "props": "border-bottom:1px solid #444;padding:3px 10px;vertical-align:bottom;"},
    {"selector": "td", "props": "padding:3px 10px;vertical-align:top;border:none;"},
    {"selector": "tbody tr:last-child td", "props": "border-bottom:1px solid #444;"},
]


class Numbering:
    """The numbers of the tables and figures shown on one page, in the order shown.

    Examples
    --------
    >>> page = Numbering()
    >>> page.next("Table"), page.next("Figure"), page.next("Table")
    (1, 1, 2)
    """

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def next(self, kind: str) -> int:
        """The next number of ``kind`` ("Table" or "Figure") on this page."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return self.counts[kind]


# -- cells --------------------------------------------------------------------------------
def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_value(value: Any, decimals: int | None = None) -> str:
    """One cell as text: missing as an em dash, integral numbers as integers, other numbers
    at ``decimals`` (default: as few as they need, at most :data:`MAX_DECIMALS`), lists
    joined by commas, mappings as ``key: value`` pairs, booleans as yes/no.

    Examples
    --------
    >>> [format_value(v) for v in [None, float("nan"), 23.0, 0.9281, True, [1, 3, 9], {"a": 1}, "x"]]
    ['—', '—', '23', '0.928', 'yes', '1, 3, 9', 'a: 1', 'x']
    >>> format_value(50.0, 1), format_value(7, 1)
    ('50.0', '7')
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(format_value(v, decimals) for v in value) if len(value) else EM_DASH
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(v, decimals)}" for k, v in value.items()) or EM_DASH
    if _is_missing(value):
        return EM_DASH
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, Number):
        number = float(cast(SupportsFloat, value))  # numbers.Number declares no __float__; these are real
        if decimals is not None:
            return f"{number:.{decimals}f}"
        if number.is_integer():
            return str(int(number))
        return f"{round(number, MAX_DECIMALS):.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    return str(value)


def _needed_decimals(values: pd.Series) -> int | None:
    """The decimals a float column's non-integral values need (at most MAX_DECIMALS), or
    None when every value is integral (they are then shown as integers)."""
    numbers = [
        float(cast(SupportsFloat, v))  # numbers.Number declares no __float__; these are real
        for v in values
        if isinstance(v, Number) and not isinstance(v, bool) and not _is_missing(v)
    ]
    fractions = [v for v in numbers if not v.is_integer()]
    if not fractions:
        return None
    for d in range(1, MAX_DECIMALS + 1):
        if all(abs(round(v, d) - v) < 1e-9 for v in fractions):
            return d
    return MAX_DECIMALS


def _column_formatter(name: Any, values: pd.Series, declared: int | None) -> Callable[[Any], str]:
    """How every cell of one column is written (one precision for the whole column)."""
    if declared is None and isinstance(name, str) and _PERCENT.search(name) and _is_numeric(values):
        declared = PERCENT_DECIMALS
    if declared is not None:
        return lambda v: format_value(v, None if isinstance(v, (int, np.integer)) else declared)
    if str(name).lower() in _MIXED:  # figures of different kinds in one column: each as it needs
        return lambda v: format_value(_as_number(v))
    if pd.api.types.is_float_dtype(values):
        needed = _needed_decimals(values)
        return lambda v: format_value(v, None if _is_integral(v) or needed is None else needed)
    return format_value


def _as_number(value: Any) -> Any:
    """A number written as text (``"6.0"``) as the number; anything else as it is."""
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        return float(value)
    return value


def _is_integral(value: Any) -> bool:
    return isinstance(value, Number) and not _is_missing(value) and float(cast(SupportsFloat, value)).is_integer()


def _is_numeric(values: pd.Series) -> bool:
    """Whether a column holds numbers only (booleans are not numbers here)."""
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_numeric_dtype(values):
        return True
    present = [_as_number(v) for v in values if not _is_missing(v)]
    return bool(present) and all(isinstance(v, Number) and not isinstance(v, (bool, np.bool_)) for v in present)


# -- order ---------------------------------------------------------------------------------
def _band_key(label: Any) -> tuple[float, float] | None:
    found = _BAND.match(str(label)) if isinstance(label, (str, int, np.integer)) else None
    if not found:
        return None
    low = float(found[1])
    return low, float(found[2]) if found[2] else (math.inf if str(label).strip().endswith("+") else low)


def order_bands(labels: Iterable[Any]) -> list[Any]:
    """Labels in their natural order where a run of them are numbers or bands (``3-5``,
    ``6-9``, ``10+``) sorted as text; other labels keep their places.

    Examples
    --------
    >>> order_bands(["code", "10+", "3-5", "6-9", "missing"])
    ['code', '3-5', '6-9', '10+', 'missing']
    """
    labels = list(labels)
    keyed = [(i, key) for i, lab in enumerate(labels) if (key := _band_key(lab)) is not None]
    if len(keyed) < 2:
        return labels
    places = [i for i, _ in keyed]
    ordered = [labels[i] for i, _ in sorted(keyed, key=lambda place: place[1])]
    for i, lab in zip(places, ordered, strict=True):
        labels[i] = lab
    return labels


# -- tables --------------------------------------------------------------------------------
def prepare_table(frame: pd.DataFrame, *, index: bool | None = None) -> pd.DataFrame:
    """The frame as it is shown: the index as a column when it means something (``index``
    True, or a named or non-default index when ``index`` is None), bands in natural order.

    Examples
    --------
    >>> prepare_table(pd.DataFrame({"10+": [1], "3-5": [2]}, index=pd.Index(["a"], name="code"))).columns.tolist()
    ['code', '3-5', '10+']
    """
    if index is None:
        index = not (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None)
    shown = frame.reset_index() if index else frame.reset_index(drop=True)
    columns = order_bands(shown.columns)
    if columns != list(shown.columns):
        shown = shown.iloc[:, [list(shown.columns).index(c) for c in columns]]
    return shown


def _caption(kind: str, number: int | None, title: str | None) -> str:
    text = html_lib.escape(title or "")
    return f"<b>{kind} {number}.</b> {text}".strip() if number is not None else text


def _cells(shown: pd.DataFrame, labels: Mapping[str, str], decimals: Mapping[str, int]) -> pd.DataFrame:
    """Every cell as text, columns labelled (made unique), codes and characteristics labelled."""
    names = [str(c) for c in shown.columns]
    shown_text = {v for c in range(shown.shape[1]) for v in shown.iloc[:, c] if isinstance(v, str)}
    # codes are shown by their labels unless the table already shows those labels
    has_label = "label" in names or "path" in names or bool(shown_text & set(labels.values()))
    columns = {}
    for position, name in enumerate(shown.columns):
        values = shown.iloc[:, position]
        write = _column_formatter(name, values, decimals.get(str(name)))
        if name == "characteristic":
            cells = [format_value(label_characteristic(v, labels)) for v in values]
        elif name == "figure" and "published" in names:
            cells = [format_value(label_path(v, labels) if isinstance(v, str) else v) for v in values]
        elif name == "value" and "characteristic" in names:
            cells = [_RANGE.sub(_tidy_range, v) if isinstance(v, str) else write(v) for v in values]
        elif name in ("code", "with code") and not has_label and labels:
            cells = [format_value(labels.get(str(v), v)) for v in values]
        else:
            cells = [write(v) for v in values]
        label = label_name(name, labels)
        while label in columns:
            label += "\u200b"  # an invisible mark keeps two columns of one label apart
        columns[label] = cells
    return pd.DataFrame(columns, index=range(len(shown)))


def _tidy_range(found: re.Match) -> str:
    """``[26.0,50.0]`` → ``[26, 50]``: a range's bounds as numbers are written."""
    return "[" + ", ".join(format_value(float(found[i])) for i in (1, 2)) + "]"


def render_table(
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    numbering: Numbering | None = None,
    link: str | None = None,
    labels: Mapping[str, str] | None = None,
    decimals: Mapping[str, int] | None = None,
    index: bool | None = None,
    max_rows: int = MAX_ROWS,
    table_id: str = "t",
) -> str:
    """A table as HTML for a report page (the rules are in the module's docstring).

    Parameters
    ----------
    frame
        The table, as written to ``tables/``.
    title
        The caption's text; numbered "Table N." when ``numbering`` is given.
    numbering
        The page's :class:`Numbering`; None: no number.
    link
        Relative link to the full table (shown when the table is collapsed).
    labels
        The study's labels of codes and fields (see :func:`peerstudy.report.labels.label_name`).
    decimals
        Declared decimals per column name.
    index
        Show the index as a column (None: when it is named or not the default).
    max_rows
        Rows shown of a collapsed table; with the default, tables of up to
        :data:`COLLAPSE_ABOVE` rows are shown whole.
    table_id
        Makes the HTML ids of the table unique on its page.

    Returns
    -------
    str
        HTML (a ``<div>`` holding a style block and the table, or the caption and "No rows.").

    Examples
    --------
    >>> html = render_table(pd.DataFrame({"quote": ["yes"], "n": [None]}), title="Quotes")
    >>> "Quotes" in html and "\u2014" in html and "text-align: left" in html
    True
    """
    number = numbering.next("Table") if numbering is not None else None
    caption = _caption("Table", number, title)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        return f'<div class="ps-table"><p class="ps-caption">{caption}</p><p class="ps-empty">No rows.</p></div>'
    shown = prepare_table(frame, index=index)
    collapsed = len(shown) > max(max_rows, COLLAPSE_ABOVE if max_rows == MAX_ROWS else max_rows)
    cells = _cells(shown.head(max_rows) if collapsed else shown, labels or {}, decimals or {})
    numeric = [i for i in range(shown.shape[1]) if _is_numeric(shown.iloc[:, i])]
    styles: list[CSSDict] = list(_CSS)
    for i in range(shown.shape[1]):
        styles.append({"selector": f".col{i}", "props": _column_css(cells.iloc[:, i], cells.columns[i], i in numeric)})
    uuid = re.sub(r"[^A-Za-z0-9_-]", "-", f"{table_id}-{number if number is not None else 0}")
    styler = Styler(cells, cell_ids=False, uuid=uuid, caption=caption or None)
    styler = styler.hide(axis="index").set_table_styles(styles).format(escape="html")
    styler = styler.format_index(escape="html", axis=1)
    out = styler.to_html()
    if collapsed:
        where = f' \u2014 full table: <a href="{html_lib.escape(link)}">{html_lib.escape(link)}</a>' if link else ""
        out += f'<p class="ps-more">Showing {max_rows} of {len(shown)} rows{where}</p>'
    return f'<div class="ps-table" style="overflow-x:auto">{out}</div>'


def _column_css(cells: pd.Series, header: str, numeric: bool) -> str:
    """Alignment (numbers right, text left) and wrapping: short cells (dates, ids) kept on
    one line, long text given room."""
    longest = max([len(str(header))] + [len(c) for c in cells])
    css = f"text-align:{'right' if numeric else 'left'};"
    if longest <= 20:
        css += "white-space:nowrap;"
    elif max(len(c) for c in cells) > 60:
        css += "min-width:16em;"
    else:
        css += "min-width:8em;"
    return css


def render_frame(frame: pd.DataFrame) -> str:
    """HTML of a frame displayed without :func:`render_table`'s caption (the presentation
    rules still apply); used for every DataFrame a notebook shows.

    Examples
    --------
    >>> "No rows." in render_frame(pd.DataFrame())
    True
    """
    if isinstance(frame, ShownTable):
        return frame._repr_html_()
    # an id made from the content, the same on every run (stored outputs are compared by nbval)
    digest = hashlib.sha256(frame.to_csv().encode("utf-8")).hexdigest()[:12]
    return render_table(frame, table_id=f"f{digest}")


class ShownTable(pd.DataFrame):
    """A DataFrame that shows itself as a report table: numbered caption, labels, the rules
    of :func:`render_table`. Every operation on it returns a plain DataFrame, so code uses
    it as the table it is; its number is taken when it is first shown."""

    _metadata = ["_presentation"]
    _presentation: dict[str, Any]  # the settings of render_table, set by show_table

    @property
    def _constructor(self):
        return pd.DataFrame

    def _repr_html_(self) -> str:  # IPython's hook
        settings = dict(self._presentation)
        cached = settings.pop("cached", None)
        if cached is None:
            cached = render_table(pd.DataFrame(self), **settings)
            self._presentation["cached"] = cached
        return cached


def show_table(frame: pd.DataFrame, **settings: Any) -> ShownTable:
    """``frame`` as a :class:`ShownTable` with the settings of :func:`render_table`.

    Examples
    --------
    >>> shown = show_table(pd.DataFrame({"a": [1]}), title="A")
    >>> isinstance(shown, pd.DataFrame), "A" in shown._repr_html_(), type(shown.head(1)).__name__
    (True, True, 'DataFrame')
    """
    shown = ShownTable(frame)
    shown._presentation = dict(settings)
    return shown


# -- key figures -------------------------------------------------------------------------
def flatten_figures(figures: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested key figures as (dotted path, value) pairs, in their order (bands in their natural order).

    Examples
    --------
    >>> flatten_figures({"n": 3, "sex": {"male": 2, "female": 1}, "years": {"10+": 1, "3-5": 2}})
    [('n', 3), ('sex.male', 2), ('sex.female', 1), ('years.3-5', 2), ('years.10+', 1)]
    """
    pairs: list[tuple[str, Any]] = []
    for key in order_bands(list(figures)):
        value, path = figures[key], f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            pairs += flatten_figures(value, prefix=path + ".")
        else:
            pairs.append((path, value))
    return pairs


class KeyFigures(dict):
    """Key figures (a dict, as code uses them) shown as a two-column table, figure and value."""

    def __init__(self, figures: Mapping[str, Any], *, numbering: Numbering | None = None, labels=None):
        super().__init__(figures)
        self._numbering, self._labels = numbering, dict(labels or {})
        self._cached: str | None = None

    def _repr_html_(self) -> str:  # IPython's hook
        if self._cached is None:
            rows = [(label_path(k, self._labels), format_value(v)) for k, v in flatten_figures(self)]
            table = pd.DataFrame(rows, columns=["figure", "value"])
            self._cached = render_table(
                table, title="Key figures", numbering=self._numbering, max_rows=10**6, table_id="key-figures"
            )
        return self._cached


# -- figures -------------------------------------------------------------------------------
class ShownFigure:
    """A figure's PNG shown with "Figure N. <caption>" under it, numbered when first shown."""

    def __init__(self, png: bytes, caption: str, numbering: Numbering | None = None):
        self.png, self.caption, self.numbering = png, caption, numbering
        self.number: int | None = None

    def caption_html(self) -> str:
        """The caption as HTML, taking the figure's number on first use."""
        if self.number is None and self.numbering is not None:
            self.number = self.numbering.next("Figure")
        return f'<p class="ps-figure-caption">{_caption("Figure", self.number, self.caption)}</p>'

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, Image, display

        display(Image(data=self.png, format="png"))
        display(HTML(self.caption_html()))

    def _repr_png_(self) -> str:
        return base64.b64encode(self.png).decode("ascii")
