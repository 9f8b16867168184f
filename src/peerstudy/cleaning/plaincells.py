"""Read the plainly written cells of a column at once: whole numbers and dates as a survey tool writes them.

A survey tool writes identifiers, counts and time stamps itself, in one plain way (ASCII
digits, no spaces or units, dates in the declared format). Such cells are read here for a
whole column at once (a pattern of ASCII digits and separators matched by Arrow's regular
expressions, which read such a pattern as Python's do; numbers converted by numpy), giving
exactly what :func:`peerstudy.cleaning.cells.parse_cell` gives each one;
every other cell is left to those general rules. Cleaning thus does no Python work per
plain cell, which matters for identifiers and time stamps: every one of them differs.

Examples
--------
>>> from peerstudy.cleaning.surveyfields import FieldSpec
>>> plain = read_plain(FieldSpec(name="n", column="N", type="id"), pd.Series(["12", "007", "P3", "n/a"]), ("n/a",))
>>> plain.plain.tolist(), plain.values[plain.plain].tolist(), plain.changed.tolist()
([True, True, False, False], [12, 7], [False, True, False, False])
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from peerstudy.cleaning.surveyfields import FieldSpec

__all__ = ["PlainCells", "read_plain"]

# Whole numbers longer than this are left to the general rules (int64 holds 18 digits).
_MAX_DIGITS = 18
_DATE_PARTS = {"%Y": "[0-9]{4}", "%m": "[0-9]{1,2}", "%d": "[0-9]{1,2}", "%H": "[0-9]{1,2}", "%M": "[0-9]{1,2}",
               "%S": "[0-9]{1,2}"}  # fmt: skip
_DATE_ORDER = ("%Y", "%m", "%d", "%H", "%M", "%S")
# What each separator a plain format may hold is in a pattern (the same for Python's re
# and for RE2, which pandas' Arrow strings use).
_LITERALS = {"-": "-", "/": "/", ":": ":", ".": r"\.", " ": " "}


class PlainCells(NamedTuple):
    """The plain cells of a column: which they are, the value of each (int64 or
    datetime64[us]; meaningless where the cell is not plain), and which of them a rule
    changed (whole numbers written with leading zeros)."""

    plain: np.ndarray
    values: np.ndarray
    changed: np.ndarray


@lru_cache(maxsize=64)
def plain_date_pattern(fmt: str) -> tuple[str, tuple[int, ...]] | None:
    """A strict pattern (ASCII digits, single spaces, no outer space; a named group per
    directive) for a format made only of %Y %m %d %H %M %S and the separators - / : . and
    space, with the place of each directive in (year, month, day, hour, minute, second);
    None for any other format.

    Examples
    --------
    >>> plain_date_pattern("%Y-%m-%d")
    ('(?P<p0>[0-9]{4})-(?P<p1>[0-9]{1,2})-(?P<p2>[0-9]{1,2})', (0, 1, 2))
    >>> plain_date_pattern("%d %B %Y") is None
    True
    """
    parts = re.split(r"(%[A-Za-z%])", fmt)
    directives = parts[1::2]
    literals = "".join(parts[0::2])
    if (
        not set(directives) <= set(_DATE_PARTS)
        or len(set(directives)) != len(directives)
        or not {"%Y", "%m", "%d"} <= set(directives)
        or set(literals) - set(_LITERALS)
        or "  " in fmt
        or fmt != fmt.strip()
        or fmt.endswith(".")
        or not all(parts[2:-1:2])  # two directives side by side: left to strptime
    ):
        return None
    pattern = "".join(
        f"(?P<p{i // 2}>{_DATE_PARTS[part]})" if i % 2 else "".join(_LITERALS[c] for c in part)
        for i, part in enumerate(parts)
    )
    return pattern, tuple(_DATE_ORDER.index(d) for d in directives)


def read_plain(spec: FieldSpec, cells: pd.Series | pd.Index, missing: tuple[str, ...]) -> PlainCells:
    """The plainly written cells among ``cells`` (a column's distinct cells, as text) of an
    ``id``, ``integer`` or ``datetime`` field, read; for any other field, none.

    A plain cell is not a declared missing marker and is, for a whole number, ASCII digits
    only (at most 18; not when a declared unit ends in a digit), for a date and time, the
    first declared format written with ASCII digits and its own separators (a format of
    %Y %m %d %H %M %S and - / : . or space) that makes a real date.

    Examples
    --------
    >>> spec = FieldSpec(name="when", column="Q9", type="datetime", formats=("%Y-%m-%d %H:%M",))
    >>> read_plain(spec, pd.Series(["2024-03-01 09:05", " 2024-03-01 09:05", "2024-02-30 10:00"]), ()).plain
    array([ True, False, False])
    """
    none = np.zeros(len(cells), dtype=bool)
    whole = spec.type in ("id", "integer") and not any(u.strip()[-1:].isdigit() or not u.strip() for u in spec.units)
    dates = plain_date_pattern(spec.formats[0]) if spec.type == "datetime" and spec.formats else None
    if not whole and dates is None:
        return PlainCells(none, np.zeros(len(cells), dtype=np.int64), none)
    text = pa.array(cells.astype("str").array)
    written = ~_numpy(pc.is_in(text, value_set=pa.array(missing, type=text.type)))
    if dates is None:  # a whole number
        plain = _numpy(pc.match_substring_regex(text, f"^[0-9]{{1,{_MAX_DIGITS}}}$")) & written
        digits = text.filter(pa.array(plain))
        values = np.zeros(len(cells), dtype=np.int64)
        values[plain] = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
        changed = none.copy()
        changed[plain] = _numpy(pc.and_(pc.starts_with(digits, "0"), pc.greater(pc.utf8_length(digits), 1)))
        return PlainCells(plain, values, changed)
    pattern, places = dates
    parts = pc.extract_regex(text, "^" + pattern + "$")  # anchored: a whole match
    matched = pc.is_valid(parts)
    fields = np.zeros((6, len(cells)), dtype=np.int64)
    fields[1:3] = 1  # month and day default to 1, the time to 0 (as strptime's)
    for column, place in enumerate(places):
        digits = pc.if_else(matched, pc.struct_field(parts, [column]), "0")
        fields[place] = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    values, valid = _timestamps(fields)
    plain = _numpy(matched) & written & valid
    return PlainCells(plain, np.where(plain, values, np.datetime64("NaT", "us")), none)


def _numpy(flags: pa.Array) -> np.ndarray:
    """An Arrow array of booleans as numpy's (a missing one is false)."""
    return np.asarray(pc.fill_null(flags, False).to_numpy(zero_copy_only=False), dtype=bool)


def _timestamps(fields: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[us] of (year, month, day, hour, minute, second) rows, and which of them
    make a real date and time (as :class:`datetime.datetime` accepts them)."""
    year, month, day, hour, minute, second = fields
    valid = (year >= 1) & (month >= 1) & (month <= 12) & (hour <= 23) & (minute <= 59) & (second <= 59) & (day >= 1)
    months = ((np.where(valid, year, 1970) - 1970) * 12 + np.where(valid, month, 1) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    valid &= day <= length
    days = first + np.where(valid, day - 1, 0).astype("timedelta64[D]")
    seconds = (hour * 3600 + minute * 60 + second).astype("timedelta64[s]")
    return days.astype("datetime64[us]") + seconds.astype("timedelta64[us]"), valid
