"""Tidy codings (one row per application of a code) checked and encoded as integer triples.

*Tidy codings* are a DataFrame with one row per application of a code, with columns
``segment``, ``code`` and ``coder`` (names configurable). The unit of analysis is the
segment: a code counts as present or absent in a segment for each coder, so a segment
may carry several codes, and applying the same code twice to one segment counts once.
:func:`encode_codings` checks the table and encodes each distinct (segment, code, coder)
as positions in the segment, code and coder lists; :func:`group_pairs` groups them by
(segment, code), and :func:`coder_sets` names the coders who did and did not apply a code.
The per-code agreement table (:mod:`peerstudy.stats.codetable`) and the reconciliation
workflow (:mod:`peerstudy.qualitative.reconciliation`) are built on these.

Examples
--------
>>> codings = pd.DataFrame({"segment": ["s1", "s1", "s2"], "code": ["A", "A", "A"],
...                         "coder": ["Ann", "Ben", "Ann"]})
>>> coded = encode_codings(codings)
>>> group_pairs(coded).n_applied.tolist()  # A in s1 by both coders, in s2 by one
[2, 1]
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.stats.ratings import show_values

__all__ = ["EncodedCodings", "PairGroups", "encode_codings", "group_pairs", "coder_sets"]


class EncodedCodings(NamedTuple):
    """Tidy codings as integer indices, one entry per distinct (segment, code, coder).

    ``segments``, ``codes`` and ``coders`` are the labels; ``seg``, ``code`` and
    ``coder`` the positions in them of each entry, sorted by segment, then code, then
    coder.
    """

    segments: pd.Index
    codes: pd.Index
    coders: pd.Index
    seg: np.ndarray
    code: np.ndarray
    coder: np.ndarray


Factors = dict[str, tuple[np.ndarray, pd.Index]]


def _label_index(values: Any, field: str) -> pd.Index:
    """A list of labels given as an option (segments, coders, codes), checked unique."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray, pd.Index, pd.Series)):
        raise ConfigError(Problem(field=field, expected="a list of labels", found=repr(values)))
    if isinstance(values, pd.Index):
        index = values
    else:
        index = pd.Index(values if isinstance(values, (np.ndarray, pd.Series)) else list(values))
    problems = []
    if len(index) == 0:
        problems.append(Problem(field=field, expected="at least one label", found="an empty list"))
    if index.hasnans:
        problems.append(Problem(field=field, expected="labels without missing values", found="a missing value"))
    if not index.is_unique:
        problems.append(
            Problem(
                field=field,
                expected="each label once",
                found=f"duplicates {show_values(index[index.duplicated()].tolist())}",
            )
        )
    if problems:
        raise InputError(problems)
    return index


def _sorted_labels(uniques: Any) -> pd.Index:
    """Distinct labels, sorted if they can be, else in order of appearance."""
    values = list(uniques)
    try:
        return pd.Index(sorted(values))
    except TypeError:
        return pd.Index(values)


def _factorize_codings(codings: Any, cols: tuple[str, str, str]) -> Factors:
    """Check that ``codings`` is a non-empty table with the three columns and a value in
    every cell, and factorize each column once: {column: (codes per row, distinct values)}."""
    if not isinstance(codings, pd.DataFrame):
        raise InputError(
            Problem(field="codings", expected=f"a DataFrame with columns {list(cols)}", found=type(codings).__name__)
        )
    absent = [c for c in cols if c not in codings.columns]
    if absent:
        raise InputError(
            Problem(
                field="codings",
                expected=f"columns {list(cols)}",
                found=f"no column {show_values(absent)} (columns are {show_values(list(codings.columns), 8)})",
                fix="rename the columns or pass segment_col=, code_col=, coder_col=",
            )
        )
    if len(codings) == 0:
        raise InputError(Problem(field="codings", expected="at least one coding", found="an empty table"))
    factors = {}
    problems = []
    for col in cols:
        idx, uniques = pd.factorize(codings[col])  # missing values get -1
        bad = np.flatnonzero(idx < 0)
        if bad.size:
            problems.append(
                Problem(
                    field=col,
                    expected="a value in every row of codings",
                    found=f"missing values at positions {show_values(bad.tolist())}",
                )
            )
        factors[col] = (idx, uniques)
    if problems:
        raise InputError(problems)
    return factors


def _lookup(factors: Factors, col: str, index: pd.Index) -> tuple[np.ndarray, list[Any]]:
    """Position of each row's label of ``col`` in ``index`` (-1 if absent) and the absent labels.

    Only the distinct values are looked up, so long columns cost one hash pass.
    """
    idx, uniques = factors[col]
    where = index.get_indexer(uniques)
    return where[idx], list(uniques[where < 0])


def _coder_index(factors: Factors, coders: Any, coder_col: str) -> pd.Index:
    """The coders compared: ``coders``, checked against those of the codings, or all of them."""
    all_coders = _sorted_labels(factors[coder_col][1])
    if coders is None:
        if len(all_coders) < 2:
            raise InputError(
                Problem(
                    field="codings",
                    expected="codings by at least two coders",
                    found=f"only coder {show_values(all_coders.tolist())}",
                )
            )
        return all_coders
    coder_index = _label_index(coders, "coders")
    problems = []
    if len(coder_index) < 2:
        problems.append(
            Problem(field="coders", expected="at least two coders", found=show_values(coder_index.tolist()))
        )
    unknown = coder_index[~coder_index.isin(all_coders)]
    if len(unknown):
        problems.append(
            Problem(
                field="coders",
                expected=f"coders that appear in codings {show_values(all_coders.tolist())}",
                found=show_values(unknown.tolist()),
            )
        )
    if problems:
        raise InputError(problems)
    return coder_index


def _segment_positions(factors: Factors, segments: Any, seg_col: str) -> tuple[np.ndarray, pd.Index]:
    """Each row's segment position and the segments: ``segments`` (every unit, including
    those nobody coded) or those of the codings in order of appearance."""
    if segments is None:
        seg_idx, seg_uniques = factors[seg_col]
        return seg_idx, pd.Index(seg_uniques)
    seg_index = _label_index(segments, "segments")
    seg_idx, unknown = _lookup(factors, seg_col, seg_index)
    if unknown:
        raise InputError(
            Problem(
                field="segments",
                expected="every segment of codings listed in segments",
                found=f"segments in codings but not in segments: {show_values(unknown)}",
            )
        )
    return seg_idx, seg_index


def _code_positions(factors: Factors, codes: Any, code_col: str) -> tuple[np.ndarray, pd.Index]:
    """Each row's code position and the codes: ``codes`` or those of the codings, sorted."""
    code_index = _sorted_labels(factors[code_col][1]) if codes is None else _label_index(codes, "codes")
    code_idx, unknown = _lookup(factors, code_col, code_index)
    if unknown:
        raise InputError(
            Problem(
                field="codes",
                expected="every code of codings listed in codes",
                found=f"codes in codings but not in codes: {show_values(unknown)}",
            )
        )
    return code_idx, code_index


def encode_codings(
    codings: pd.DataFrame,
    segments: Sequence[Hashable] | None = None,
    coders: Sequence[Hashable] | None = None,
    codes: Sequence[Hashable] | None = None,
    cols: tuple[str, str, str] = ("segment", "code", "coder"),
) -> EncodedCodings:
    """Validate tidy codings and encode them as integer triples.

    Parameters
    ----------
    codings
        One row per application of a code, with the columns ``cols``; no missing values.
    segments
        All units, in order; every segment of ``codings`` must be listed. Default: the
        segments of ``codings``, in order of appearance.
    coders
        The coders compared (at least two); rows of other coders are dropped. Default:
        every coder of ``codings``, sorted.
    codes
        All codes, in order; default the codes of ``codings``, sorted.
    cols
        The names of the segment, code and coder columns.

    Returns
    -------
    EncodedCodings
        One entry per distinct (segment, code, coder), sorted.

    Raises
    ------
    InputError
        ``codings`` is not a DataFrame with those columns, is empty, has missing
        values, has fewer than two coders; a segment or code not in ``segments`` /
        ``codes``; unknown or too few ``coders``.
    ConfigError
        An option that is not a list.

    Examples
    --------
    Ann applies A twice to s1 (it counts once); Cy is not compared:

    >>> codings = pd.DataFrame({"segment": ["s1", "s1", "s2", "s2"], "code": ["A", "A", "A", "A"],
    ...                         "coder": ["Ann", "Ann", "Ben", "Cy"]})
    >>> coded = encode_codings(codings, coders=["Ann", "Ben"])
    >>> coded.seg.tolist(), coded.coder.tolist()
    ([0, 1], [0, 1])
    """
    seg_col, code_col, coder_col = cols
    factors = _factorize_codings(codings, cols)
    coder_index = _coder_index(factors, coders, coder_col)
    coder_idx, _ = _lookup(factors, coder_col, coder_index)  # -1: a coder not compared
    seg_idx, seg_index = _segment_positions(factors, segments, seg_col)
    code_idx, code_index = _code_positions(factors, codes, code_col)

    keep = coder_idx >= 0  # rows of coders not compared are dropped
    n_codes, n_coders = len(code_index), len(coder_index)
    key = (seg_idx[keep].astype(np.int64) * n_codes + code_idx[keep]) * n_coders + coder_idx[keep]
    key.sort()
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key = key[first]  # one entry per (segment, code, coder), sorted
    coder_of = key % n_coders
    sc = key // n_coders
    return EncodedCodings(seg_index, code_index, coder_index, sc // n_codes, sc % n_codes, coder_of)


class PairGroups(NamedTuple):
    """Coded (segment, code) pairs: how many coders applied the code, and which.

    ``seg`` and ``code`` are the positions of each pair; ``n_applied`` the number of
    compared coders who applied the code to the segment; ``starts`` where the pair's
    entries begin in the :class:`EncodedCodings`.
    """

    seg: np.ndarray
    code: np.ndarray
    n_applied: np.ndarray
    starts: np.ndarray


def group_pairs(coded: EncodedCodings) -> PairGroups:
    """Group encoded codings by (segment, code), in their sorted order.

    Parameters
    ----------
    coded
        From :func:`encode_codings`.

    Returns
    -------
    PairGroups
        One entry per (segment, code) some coder applied.

    Examples
    --------
    >>> codings = pd.DataFrame({"segment": ["s1", "s1", "s1"], "code": ["B", "A", "A"],
    ...                         "coder": ["Ann", "Ann", "Ben"]})
    >>> groups = group_pairs(encode_codings(codings))
    >>> groups.code.tolist(), groups.n_applied.tolist()
    ([0, 1], [2, 1])
    """
    n = coded.seg.size
    new = np.ones(n, dtype=bool)
    new[1:] = (coded.seg[1:] != coded.seg[:-1]) | (coded.code[1:] != coded.code[:-1])
    starts = np.flatnonzero(new)
    n_applied = np.diff(np.append(starts, n))
    return PairGroups(coded.seg[starts], coded.code[starts], n_applied, starts)


def coder_sets(coded: EncodedCodings, groups: PairGroups, subset: np.ndarray) -> tuple[list[str], list[str]]:
    """For the groups in ``subset``: the coders who applied the code and those who did not.

    Parameters
    ----------
    coded, groups
        From :func:`encode_codings` and :func:`group_pairs`.
    subset
        Positions (or a mask) of the groups wanted.

    Returns
    -------
    tuple of two lists of str
        For each group of ``subset``, the coders who applied the code and those who did
        not, each joined by "; ", in the order of the coders.

    Examples
    --------
    >>> codings = pd.DataFrame({"segment": ["s1", "s1", "s1"], "code": ["A", "A", "B"],
    ...                         "coder": ["X", "Z", "Y"]})
    >>> coded = encode_codings(codings)
    >>> coder_sets(coded, group_pairs(coded), np.array([0, 1]))
    (['X; Z', 'Y'], ['Y', 'X; Z'])
    """
    k = len(coded.coders)
    bits = np.left_shift(1, coded.coder.astype(object if k > 62 else np.int64))
    masks = np.add.reduceat(bits, groups.starts)[subset]
    uniq, inverse = np.unique(masks, return_inverse=True)
    names = [str(c) for c in coded.coders]
    applied = ["; ".join(n for j, n in enumerate(names) if int(m) >> j & 1) for m in uniq]
    missing = ["; ".join(n for j, n in enumerate(names) if not int(m) >> j & 1) for m in uniq]
    return [applied[i] for i in inverse], [missing[i] for i in inverse]
