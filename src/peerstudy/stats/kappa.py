"""Cohen's kappa (two coders) and Fleiss' kappa (any number, the same for every unit).

Both take reliability data (:mod:`peerstudy.stats.ratings`) and are computed by the
established implementations, :func:`sklearn.metrics.cohen_kappa_score` (Cohen 1960;
weighted, Cohen 1968) and :func:`statsmodels.stats.inter_rater.fleiss_kappa` (Fleiss
1971), after the labels are encoded to category positions.

Examples
--------
Two coders, five units:

>>> round(cohen_kappa(["a", "a", "b", "b", "a"], ["a", "b", "b", "b", "a"]), 4)
0.6154
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from peerstudy.errors import InputError, Problem
from peerstudy.stats.bootstrap import Estimate, _check_ci_options, _raise_config, _with_ci
from peerstudy.stats.ratings import _as_ratings, _no_pairs_problem, _no_variation, show_values

__all__ = ["cohen_kappa", "fleiss_kappa"]

WEIGHTS = (None, "linear", "quadratic")


def _cohen_core(codes: np.ndarray, cats: list[Any], weights: str | None) -> float:
    from sklearn.metrics import cohen_kappa_score  # heavy import, only when needed

    y1 = codes[:, 0].astype(np.int64)
    y2 = codes[:, 1].astype(np.int64)
    used = np.unique(np.concatenate([y1, y2]))
    if used.size < 2:
        raise _no_variation("a, b", "Cohen's kappa", [cats[i] for i in used])
    return float(cohen_kappa_score(y1, y2, labels=np.arange(len(cats)), weights=weights))


def _fleiss_core(codes: np.ndarray, cats: list[Any]) -> float:
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

    n_units = codes.shape[0]
    present = ~np.isnan(codes)
    compact = codes[present].reshape(n_units, -1).astype(np.int64)  # same count per row
    counts, _ = aggregate_raters(compact, n_cat=len(cats))
    used = np.flatnonzero(counts.sum(axis=0))
    if used.size < 2:
        raise _no_variation("data", "Fleiss' kappa", [cats[i] for i in used])
    return float(sm_fleiss_kappa(counts, method="fleiss"))


def cohen_kappa(
    a: Any,
    b: Any,
    weights: str | None = None,
    *,
    categories: Sequence[Any] | None = None,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> float | Estimate:
    """Cohen's kappa for two coders, unweighted or weighted.

    Computed by :func:`sklearn.metrics.cohen_kappa_score` after the labels are
    encoded to integer codes. Weighted kappa weighs a disagreement by the distance
    between the positions of the two categories in the category list (sorted
    labels, or ``categories``), as R's ``irr::kappa2`` and scikit-learn do.

    Parameters
    ----------
    a, b
        The two coders' labels for the same units, aligned by position.
    weights
        None (unweighted), ``"linear"`` or ``"quadratic"``.
    categories
        Category order for the weights (required for sensible weighting of
        string labels such as "low" < "mid" < "high"); labels must come from it.
    ci, n_boot, seed
        Bootstrap interval over units, see :func:`percent_agreement`.

    Returns
    -------
    float or Estimate
        Kappa in [-1, 1].

    Raises
    ------
    InputError
        Lengths differ, empty input, a unit coded by one coder only, or all
        codings in one category (kappa undefined).
    ConfigError
        Unknown ``weights``; bad ``categories``, ``ci``, ``n_boot`` or ``seed``.

    Examples
    --------
    Wikipedia, "Cohen's kappa": 50 grant proposals, both say yes 20, A yes B no 5,
    A no B yes 10, both no 15; kappa = 0.4.

    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> round(cohen_kappa(a, b), 4)
    0.4

    irrCAC ``cont3x3abstractors`` (100 pregnancies, categories 1 = Ectopic,
    2 = AIU, 3 = NIU): ``kappa2.table`` gives 0.7964094 unweighted and 0.8921569
    with quadratic weights.

    >>> table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    >>> pairs = [(i + 1, j + 1) for i in range(3) for j in range(3) for _ in range(table[i][j])]
    >>> r1, r2 = zip(*pairs)
    >>> round(cohen_kappa(r1, r2), 7), round(cohen_kappa(r1, r2, weights="quadratic"), 7)
    (0.7964094, 0.8921569)
    """
    problems = _check_ci_options(ci, n_boot, seed)
    if not (weights is None or (isinstance(weights, str) and weights in WEIGHTS)):
        problems.append(Problem(field="weights", expected="None, 'linear' or 'quadratic'", found=repr(weights)))
    _raise_config(problems)
    vectors = []
    for name, v in (("a", a), ("b", b)):
        arr = np.asarray(v.to_numpy(dtype=object) if isinstance(v, (pd.Series, pd.Index)) else v, dtype=object)
        if arr.ndim != 1:
            raise InputError(
                Problem(field=name, expected="a 1-D sequence of labels (one per unit)", found=f"shape {arr.shape}")
            )
        vectors.append(arr)
    problems = []
    if len(vectors[0]) != len(vectors[1]):
        problems.append(
            Problem(
                field="a, b",
                expected="the same number of units for both coders",
                found=f"{len(vectors[0])} labels in a and {len(vectors[1])} in b",
            )
        )
    elif len(vectors[0]) == 0:
        problems.append(Problem(field="a, b", expected="at least one unit", found="empty sequences"))
    if problems:
        raise InputError(problems)
    table = np.column_stack(vectors)
    half = pd.isna(table)
    if half.any():
        rows = np.flatnonzero(half.any(axis=1)).tolist()
        raise InputError(
            Problem(
                field="a, b",
                expected="both codings for every unit (Cohen's kappa needs pairs)",
                found=f"a missing coding at positions {show_values(rows)}",
                fix="drop those units, or use krippendorff_alpha or gwet_ac1, which allow missing codings",
            )
        )
    ratings = _as_ratings(table, categories=categories, field="a, b")
    name = "Cohen's kappa" + (f" ({weights} weights)" if weights else "")
    cats = ratings.categories
    return _with_ci(lambda t: _cohen_core(t, cats, weights), ratings.codes, ci, n_boot, seed, name)


def fleiss_kappa(data: Any, *, ci: float | None = None, n_boot: int = 1000, seed: int | None = 0) -> float | Estimate:
    """Fleiss' kappa for any number of coders, the same number for every unit.

    Computed with :func:`statsmodels.stats.inter_rater.aggregate_raters` and
    :func:`statsmodels.stats.inter_rater.fleiss_kappa` (Fleiss 1971). The coders
    of one unit need not be those of another, but every unit must have the same
    number of codings (rows nobody coded are ignored).

    Parameters
    ----------
    data
        Units x coders table of labels.
    ci, n_boot, seed
        Bootstrap interval over units, see :func:`percent_agreement`.

    Returns
    -------
    float or Estimate
        Fleiss' kappa (at most 1).

    Raises
    ------
    InputError
        Empty table, fewer than two coders, units with different numbers of
        codings, fewer than two codings per unit, or no variation.
    ConfigError
        Bad ``ci``, ``n_boot`` or ``seed``.

    Examples
    --------
    Fleiss (1971) as worked on Wikipedia's "Fleiss' kappa" page: 10 subjects,
    14 raters, 5 categories (counts of raters per category), kappa = 0.210.

    >>> counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6],
    ...           [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0],
    ...           [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0],
    ...           [0, 2, 2, 3, 7]]
    >>> data = [[k for k, n in enumerate(row, 1) for _ in range(n)] for row in counts]
    >>> round(fleiss_kappa(data), 3)
    0.21
    """
    _raise_config(_check_ci_options(ci, n_boot, seed))
    ratings = _as_ratings(data)
    per_unit = np.count_nonzero(~np.isnan(ratings.codes), axis=1)
    values, freq = np.unique(per_unit, return_counts=True)
    if values.size > 1:
        usual = int(values[np.argmax(freq)])
        odd = np.flatnonzero(per_unit != usual).tolist()
        raise InputError(
            Problem(
                field="data",
                expected="the same number of codings for every unit (Fleiss' kappa needs it)",
                found=f"{usual} codings for most units, other counts for units at positions {show_values(odd)}",
                fix="use krippendorff_alpha or gwet_ac1, which allow missing codings",
            )
        )
    if values[0] < 2:
        raise InputError(_no_pairs_problem("data"))
    cats = ratings.categories
    return _with_ci(lambda t: _fleiss_core(t, cats), ratings.codes, ci, n_boot, seed, "Fleiss' kappa")
