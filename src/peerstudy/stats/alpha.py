"""Krippendorff's alpha: any number of coders, missing codings, four levels of measurement.

Computed with the ``krippendorff`` package (Krippendorff 2011, "Computing Krippendorff's
alpha-reliability") on reliability data (:mod:`peerstudy.stats.ratings`), units in rows.

Examples
--------
Four units, two coders, one disagreement. The 8 values are 3 "a" and 5 "b"; the
disagreeing unit puts 2 into the off-diagonal cells of the coincidence matrix, so
alpha = 1 - (n - 1) * 2 / (2 * n_a * n_b) = 1 - 7 * 2 / 30 = 0.533:

>>> round(krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]), 3)
0.533
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np

from peerstudy.errors import InputError, Problem
from peerstudy.stats.bootstrap import Estimate, _check_ci_options, _raise_config, _with_ci
from peerstudy.stats.ratings import _as_ratings, _is_number, _no_pairs_problem, _no_variation, show_values

__all__ = ["krippendorff_alpha"]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")


def _kripp_core(values: np.ndarray, level: Level, domain: np.ndarray | None, cats: list[Any]) -> float:
    import krippendorff

    pairable = np.count_nonzero(~np.isnan(values), axis=1) >= 2
    if not pairable.any():
        raise InputError(_no_pairs_problem("data"))
    seen = np.unique(values[pairable][~np.isnan(values[pairable])])
    if seen.size < 2:
        shown = [cats[int(v)] for v in seen] if domain is not None else seen.tolist()
        raise _no_variation("data", "Krippendorff's alpha", shown)
    return float(krippendorff.alpha(values.T, level_of_measurement=level, value_domain=domain))


# ---------------------------------------------------------------------------
# Public scalar coefficients
# ---------------------------------------------------------------------------


def krippendorff_alpha(
    data: Any,
    level: str = "nominal",
    categories: Sequence[Any] | None = None,
    *,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> float | Estimate:
    """Krippendorff's alpha, any number of coders, missing codings allowed.

    Computed with the ``krippendorff`` package. Nominal and ordinal labels are
    mapped to their position in the category list (sorted labels, or
    ``categories``), which is all these metrics use; interval and ratio levels use
    the numeric labels themselves. Units with fewer than two codings are not
    pairable and do not count (Krippendorff 2011).

    Parameters
    ----------
    data
        Units x coders table of labels (note: units in rows, unlike the
        ``krippendorff`` package).
    level
        ``"nominal"``, ``"ordinal"``, ``"interval"`` or ``"ratio"``.
    categories
        Order of the categories (nominal and ordinal levels only), e.g.
        ``["low", "mid", "high"]``; every label must be listed.
    ci, n_boot, seed
        Bootstrap interval over units, see :func:`percent_agreement`.

    Returns
    -------
    float or Estimate
        Alpha (at most 1).

    Raises
    ------
    InputError
        Empty table, fewer than two coders, no pairable unit, no variation,
        non-numeric labels for interval/ratio, negative values for ratio.
    ConfigError
        Unknown ``level``; ``categories`` with interval/ratio; bad ``ci``, ...

    Examples
    --------
    Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the
    example of 4 observers x 12 units with missing values (here units in rows):

    >>> data = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3],
    ...         [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1],
    ...         [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1],
    ...         [None, 3, None, None]]
    >>> [round(krippendorff_alpha(data, level), 3) for level in ("nominal", "ordinal", "interval", "ratio")]
    [0.743, 0.815, 0.849, 0.797]

    Ordinal string labels need their order:

    >>> words = {1: "very low", 2: "low", 3: "mid", 4: "high", 5: "very high"}
    >>> named = [[words.get(v) for v in row] for row in data]
    >>> round(krippendorff_alpha(named, "ordinal", categories=list(words.values())), 3)
    0.815
    """
    problems = _check_ci_options(ci, n_boot, seed)
    if not isinstance(level, str) or level not in LEVELS:
        problems.append(Problem(field="level", expected=f"one of {list(LEVELS)}", found=repr(level)))
    elif categories is not None and level in ("interval", "ratio"):
        problems.append(
            Problem(
                field="categories",
                expected="no categories for level 'interval' or 'ratio' (numeric labels are used)",
                found=repr(categories),
            )
        )
    _raise_config(problems)
    ratings = _as_ratings(data, categories=categories)
    measured = cast(Level, level)  # one of LEVELS, checked above
    if measured in ("nominal", "ordinal"):
        values, domain = ratings.codes, np.arange(len(ratings.categories), dtype=float)
    else:
        values, domain = _numeric_values(ratings.codes, ratings.categories, measured), None
    return _with_ci(
        lambda t: _kripp_core(t, measured, domain, ratings.categories),
        values,
        ci,
        n_boot,
        seed,
        f"Krippendorff's alpha ({level})",
    )


def _numeric_values(codes: np.ndarray, categories: list[Any], level: Level) -> np.ndarray:
    """The labels themselves in place of their category positions, for the interval and ratio levels."""
    non_numeric = [c for c in categories if not _is_number(c)]
    if non_numeric:
        raise InputError(
            Problem(
                field="data",
                expected=f"numeric labels for level {level!r}",
                found=f"labels {show_values(non_numeric)}",
                fix="use level='nominal' or 'ordinal' for labels",
            )
        )
    numeric = np.asarray(categories, dtype=float)
    if level == "ratio" and (numeric < 0).any():
        raise InputError(
            Problem(
                field="data",
                expected="non-negative values for level 'ratio'",
                found=f"values {show_values(numeric[numeric < 0].tolist())}",
                fix="use level='interval'",
            )
        )
    values = np.full(codes.shape, np.nan)
    present = ~np.isnan(codes)
    values[present] = numeric[codes[present].astype(np.int64)]
    return values
