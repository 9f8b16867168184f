"""Reliability data (a units x coders table of labels) checked and encoded as category indices.

The scalar coefficients (:mod:`peerstudy.stats.percent`, :mod:`peerstudy.stats.kappa`,
:mod:`peerstudy.stats.alpha`) take *reliability data*: one row per unit (a segment, a
patient, an answer), one column per coder, each cell the label that coder gave that unit,
as a :class:`pandas.DataFrame`, a NumPy array or a list of rows. Labels may be strings or
numbers; a missing coding is ``None``, ``NaN`` or ``pd.NA`` (an empty string is a label,
not a missing value). Rows in which nobody coded the unit carry no information and are
dropped. :func:`_as_ratings` checks the table and maps each label to its position in the
category list (sorted labels, or the ``categories`` given); the helpers here are internal
to :mod:`peerstudy.stats`, except :func:`show_values`, which phrases offending values in
error messages.

Examples
--------
>>> ratings = _as_ratings([["b", "a"], ["a", "a"], [None, None]])
>>> ratings.codes.tolist(), ratings.categories
([[1.0, 0.0], [0.0, 0.0]], ['a', 'b'])
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from peerstudy.errors import ConfigError, InputError, Problem

__all__ = ["show_values"]


class _Ratings(NamedTuple):
    """Reliability data as category indices.

    ``codes`` is float (units x coders): the index of the label in
    ``categories``, NaN where missing. Rows where nobody coded are dropped.
    """

    codes: np.ndarray
    categories: list[Any]


def show_values(values: Sequence[Any], limit: int = 5) -> str:
    """Short repr of a list of offending values, for an error message.

    Parameters
    ----------
    values
        The values to show.
    limit
        How many to show before saying how many there are in all.

    Returns
    -------
    str
        The first ``limit`` values in brackets.

    Examples
    --------
    >>> show_values(["s1", "s2"])
    "['s1', 's2']"
    >>> show_values(range(7), limit=2)
    '[0, 1, ... (7 in all)]'
    """
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return f"[{shown}{more}]"


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_))


def _category_list(categories: Any, field: str = "categories") -> list[Any]:
    """Validate an explicit category order."""
    if isinstance(categories, (str, bytes)) or not isinstance(categories, (Sequence, np.ndarray, pd.Index, pd.Series)):
        raise ConfigError(Problem(field=field, expected="a list of category labels in order", found=repr(categories)))
    cats = list(categories)
    problems = []
    if len(cats) < 1:
        problems.append(Problem(field=field, expected="at least one category", found="an empty list"))
    if any(pd.isna(c) for c in cats):
        problems.append(Problem(field=field, expected="labels without missing values", found=show_values(cats)))
    elif len(set(cats)) != len(cats):
        dup = pd.Index(cats)[pd.Index(cats).duplicated()].tolist()
        problems.append(
            Problem(field=field, expected="each category listed once", found=f"duplicates {show_values(dup)}")
        )
    if problems:
        raise ConfigError(problems)
    return cats


def _encode_labels(observed: np.ndarray, categories: Sequence[Any] | None, field: str) -> tuple[np.ndarray, list[Any]]:
    """Map labels to indices into the (given or sorted) category list."""
    if categories is None:
        if observed.dtype == object:
            uniques = pd.unique(pd.Series(observed, dtype=object))
        else:
            uniques = np.unique(observed)
        try:
            cats = sorted(uniques.tolist())
        except TypeError:
            kinds = sorted({type(v).__name__ for v in uniques})
            raise InputError(
                Problem(
                    field=field,
                    expected="labels of one kind (all strings or all numbers) so they can be ordered",
                    found=f"labels of types {kinds}",
                    fix="convert the labels to one type, or pass categories= to give their order",
                )
            ) from None
    else:
        cats = _category_list(categories)
    if categories is None and observed.dtype.kind in "biuf":
        return np.searchsorted(np.asarray(cats), observed), cats
    index = pd.Index(cats, dtype=object)
    codes = index.get_indexer(pd.Index(observed, dtype=object))
    if (codes < 0).any():
        unknown = pd.unique(pd.Series(observed[codes < 0], dtype=object)).tolist()
        raise InputError(
            Problem(
                field=field,
                expected=f"labels from categories {show_values(cats, 10)}",
                found=f"labels not in categories {show_values(unknown)}",
                fix="add them to categories or correct the data",
            )
        )
    return codes, cats


def _as_table(data: Any, field: str) -> np.ndarray:
    """``data`` as a 2-D array (numbers kept numeric, anything else as objects), its shape checked."""
    if isinstance(data, pd.Series):
        raise InputError(
            Problem(
                field=field,
                expected="a units x coders table (2-D)",
                found="a Series (1-D)",
                fix="pass a DataFrame with one column per coder",
            )
        )
    if isinstance(data, pd.DataFrame):
        arr = data.to_numpy(dtype=object)
    else:
        try:
            arr = np.asarray(data)
        except ValueError:
            arr = np.asarray(data, dtype=object)
        if arr.dtype.kind not in "biuf":
            arr = np.asarray(data, dtype=object)
    if (
        arr.ndim == 1
        and arr.size
        and all(isinstance(row, (Sequence, np.ndarray)) and not isinstance(row, (str, bytes)) for row in arr)
    ):
        lengths = sorted({len(row) for row in arr})
        raise InputError(
            Problem(
                field=field,
                expected="rows of equal length (one column per coder)",
                found=f"rows of lengths {lengths}",
                fix="pad short rows with None",
            )
        )
    if arr.size == 0 or (arr.ndim == 2 and 0 in arr.shape):
        raise InputError(
            Problem(
                field=field, expected="at least one unit and two coders", found=f"an empty table of shape {arr.shape}"
            )
        )
    if arr.ndim != 2:
        raise InputError(
            Problem(field=field, expected="a units x coders table (2-D)", found=f"an array of shape {arr.shape}")
        )
    return arr


def _as_ratings(data: Any, categories: Sequence[Any] | None = None, field: str = "data") -> _Ratings:
    """Coerce a units x coders table to a :class:`_Ratings` (validating its shape)."""
    arr = _as_table(data, field)
    n_coders = arr.shape[1]
    if n_coders < 2:
        raise InputError(
            Problem(
                field=field,
                expected="at least two coders (columns)",
                found=f"{n_coders} coder",
                fix="put one coder per column, units in rows",
            )
        )
    missing = pd.isna(arr) if arr.dtype == object else np.isnan(arr.astype(float))
    if missing.all():
        raise InputError(Problem(field=field, expected="at least one coding", found="only missing values"))
    coded_rows = ~missing.all(axis=1)
    arr, missing = arr[coded_rows], missing[coded_rows]
    indices, cats = _encode_labels(arr[~missing], categories, field)
    codes = np.full(arr.shape, np.nan)
    codes[~missing] = indices
    return _Ratings(codes, cats)


def _count_matrix(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Units x categories matrix: how many coders put unit i in category k."""
    n_units = codes.shape[0]
    rows, cols = np.nonzero(~np.isnan(codes))
    flat = rows * n_categories + codes[rows, cols].astype(np.int64)
    return np.bincount(flat, minlength=n_units * n_categories).reshape(n_units, n_categories)


def _no_pairs_problem(field: str) -> Problem:
    return Problem(
        field=field,
        expected="at least one unit coded by two or more coders",
        found="every unit coded by at most one coder",
        fix="check that the table has units in rows and coders in columns",
    )


def _no_variation(field: str, what: str, used: Sequence[Any]) -> InputError:
    """The error for a coefficient that is undefined because all codings agree on one value."""
    found = f"every coding is {used[0]!r}" if len(used) == 1 else f"only the categories {show_values(used)}"
    return InputError(
        Problem(
            field=field,
            expected=f"codings in at least two categories ({what} is undefined without variation)",
            found=found,
            fix="report percent agreement instead, or pool more units",
        )
    )
