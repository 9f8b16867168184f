"""Percent agreement, and the coefficients that correct it with a simple chance model.

Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., builds several coefficients
on one quantity, p_a, the share of agreeing (ordered) pairs of codings of a unit, averaged
over the units coded at least twice: :func:`percent_agreement` is p_a itself, and
:func:`gwet_ac1` and :func:`brennan_prediger` correct it for chance as
(p_a - p_e) / (1 - p_e) with two models of p_e. :func:`miles_huberman` is the
check-coding percentage computed from counts. All take reliability data
(:mod:`peerstudy.stats.ratings`) with any number of coders and missing codings.

Examples
--------
Two coders, five units, agreeing on four:

>>> percent_agreement([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"], ["a", "a"]])
0.8
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from peerstudy.errors import InputError, Problem
from peerstudy.stats.bootstrap import Estimate, _check_ci_options, _raise_config, _with_ci
from peerstudy.stats.ratings import _as_ratings, _count_matrix, _no_pairs_problem, _no_variation

__all__ = ["percent_agreement", "miles_huberman", "gwet_ac1", "brennan_prediger"]


def _pa_core(counts: np.ndarray) -> float:
    """Gwet's pa: mean over units with >= 2 codings of the share of agreeing pairs."""
    r = counts.sum(axis=1)
    pairable = r >= 2
    if not pairable.any():
        raise InputError(_no_pairs_problem("data"))
    agree = (counts[pairable] * (counts[pairable] - 1)).sum(axis=1)
    rp = r[pairable]
    return float(np.mean(agree / (rp * (rp - 1))))


def _pi_core(counts: np.ndarray) -> np.ndarray:
    """Gwet's pi_k: mean over units with >= 1 coding of the share of codings in k."""
    r = counts.sum(axis=1)
    coded = r >= 1
    return (counts[coded] / r[coded, None]).mean(axis=0)


def _gwet_core(codes: np.ndarray, cats: list[Any], kind: str) -> float:
    """AC1 (``kind="ac1"``) or Brennan-Prediger (``"bp"``) on a category-index table."""
    q = len(cats)
    if q < 2:
        raise _no_variation("data", "the coefficient", cats)
    counts = _count_matrix(codes, q)
    pa = _pa_core(counts)
    if kind == "ac1":
        pi = _pi_core(counts)
        pe = float(np.sum(pi * (1 - pi)) / (q - 1))
    else:
        pe = 1.0 / q
    return (pa - pe) / (1 - pe)


def miles_huberman(agreements: int, disagreements: int) -> float:
    """Miles & Huberman's reliability: agreements / (agreements + disagreements).

    The check-coding reliability of Miles and Huberman (1994, *Qualitative Data
    Analysis*, 2nd ed., Sage, p. 64), computed from counts of agreements and
    disagreements (however the analyst counted them).

    Parameters
    ----------
    agreements, disagreements
        Non-negative integer counts, not both zero.

    Returns
    -------
    float
        The share of agreements, in [0, 1].

    Raises
    ------
    InputError
        If a count is negative, not an integer, or both are zero.

    Examples
    --------
    149 agreements and 11 disagreements:

    >>> miles_huberman(149, 11)
    0.93125
    """
    problems = []
    for name, value in (("agreements", agreements), ("disagreements", disagreements)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            problems.append(Problem(field=name, expected="a non-negative integer count", found=repr(value)))
    if not problems and agreements + disagreements == 0:
        problems.append(
            Problem(
                field="agreements, disagreements", expected="at least one agreement or disagreement", found="both zero"
            )
        )
    if problems:
        raise InputError(problems)
    return agreements / (agreements + disagreements)


def percent_agreement(
    data: Any, *, ci: float | None = None, n_boot: int = 1000, seed: int | None = 0
) -> float | Estimate:
    """Share of pairable judgements that agree.

    For each unit coded by at least two coders, the share of (ordered) pairs of
    its codings that agree; the mean over those units (Gwet 2014, *Handbook of
    Inter-Rater Reliability*, 4th ed., p_a; irrCAC's ``pa.coeff.raw``). With two
    coders and no missing codings this is the share of units on which the coders
    agree. Units coded by fewer than two coders are left out. For the Miles &
    Huberman form from counts, see :func:`miles_huberman`.

    Parameters
    ----------
    data
        Units x coders table of labels; missing codings as None/NaN.
    ci, n_boot, seed
        With ``ci`` (e.g. 0.95), return an :class:`Estimate` with a percentile
        bootstrap interval over units from ``n_boot`` resamples seeded by ``seed``.

    Returns
    -------
    float or Estimate
        Percent agreement in [0, 1].

    Raises
    ------
    InputError
        Empty table, fewer than two coders, or no unit coded twice.
    ConfigError
        Bad ``ci``, ``n_boot`` or ``seed``.

    Examples
    --------
    ``cac.raw4raters`` of the irrCAC R package (Gwet; 12 units, 4 raters, missing
    codings), for which ``pa.coeff.raw`` gives 0.8181818:

    >>> raw4 = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3],
    ...         [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1],
    ...         [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1],
    ...         [None, None, 3, None]]
    >>> round(percent_agreement(raw4), 7)
    0.8181818
    """
    _raise_config(_check_ci_options(ci, n_boot, seed))
    ratings = _as_ratings(data)
    q = len(ratings.categories)
    return _with_ci(lambda t: _pa_core(_count_matrix(t, q)), ratings.codes, ci, n_boot, seed, "percent agreement")


def gwet_ac1(
    data: Any,
    categories: Sequence[Any] | None = None,
    *,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> float | Estimate:
    """Gwet's AC1 for any number of coders, missing codings allowed.

    Following Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., and
    the irrCAC R package (``gwet.ac1.raw``, unweighted): with r_ik the number of
    coders putting unit i in category k and r_i = sum_k r_ik,

    * p_a = mean over units with r_i >= 2 of sum_k r_ik (r_ik - 1) / (r_i (r_i - 1));
    * pi_k = mean over units with r_i >= 1 of r_ik / r_i;
    * p_e = sum_k pi_k (1 - pi_k) / (q - 1);
    * AC1 = (p_a - p_e) / (1 - p_e).

    q is the number of categories: the distinct labels in the data, or
    ``len(categories)`` when the scale has categories nobody used.

    Parameters
    ----------
    data
        Units x coders table of labels.
    categories
        All categories of the scale (labels must come from it).
    ci, n_boot, seed
        Bootstrap interval over units, see :func:`percent_agreement`.

    Returns
    -------
    float or Estimate
        AC1 in [-1, 1].

    Raises
    ------
    InputError
        Empty table, fewer than two coders, no unit coded twice, fewer than two
        categories.
    ConfigError
        Bad ``categories``, ``ci``, ``n_boot`` or ``seed``.

    Examples
    --------
    irrCAC ``cac.raw4raters`` (12 units, 4 raters, missing codings):
    ``gwet.ac1.raw`` gives AC1 = 0.77544 (p_a = 0.8181818, p_e = 0.1903212).

    >>> raw4 = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3],
    ...         [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1],
    ...         [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1],
    ...         [None, None, 3, None]]
    >>> round(gwet_ac1(raw4), 5)
    0.77544
    """
    return _chance_corrected(data, categories, ci, n_boot, seed, "ac1")


def brennan_prediger(
    data: Any,
    categories: Sequence[Any] | None = None,
    *,
    ci: float | None = None,
    n_boot: int = 1000,
    seed: int | None = 0,
) -> float | Estimate:
    """Brennan & Prediger's coefficient for any number of coders, missing allowed.

    As in Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed., and
    irrCAC's ``bp.coeff.raw`` (unweighted): p_a as in :func:`gwet_ac1`, chance
    agreement p_e = 1/q, BP = (p_a - p_e) / (1 - p_e). q is the number of
    distinct labels in the data, or ``len(categories)``.

    Parameters
    ----------
    data, categories, ci, n_boot, seed
        As in :func:`gwet_ac1`.

    Returns
    -------
    float or Estimate
        BP in [-1/(q-1), 1].

    Raises
    ------
    InputError, ConfigError
        As :func:`gwet_ac1`.

    Examples
    --------
    Two coders agree on 3 of 4 units, 2 categories: p_a = 0.75, p_e = 1/2, so
    BP = 0.25 / 0.5 = 0.5; with a third category nobody used, p_e = 1/3 and
    BP = (0.75 - 1/3) / (2/3) = 0.625. (irrCAC ``cac.raw4raters``:
    ``bp.coeff.raw`` gives 0.77273, checked in ``tests/stats/test_agreement.py``.)

    >>> data = [["a", "a"], ["a", "b"], ["b", "b"], ["a", "a"]]
    >>> brennan_prediger(data), round(brennan_prediger(data, categories=["a", "b", "c"]), 3)
    (0.5, 0.625)
    """
    return _chance_corrected(data, categories, ci, n_boot, seed, "bp")


_METHODS = {"ac1": "Gwet's AC1", "bp": "Brennan-Prediger"}


def _chance_corrected(
    data: Any, categories: Sequence[Any] | None, ci: float | None, n_boot: int, seed: int | None, kind: str
) -> float | Estimate:
    """The body shared by :func:`gwet_ac1` and :func:`brennan_prediger` (``kind`` "ac1" or "bp")."""
    _raise_config(_check_ci_options(ci, n_boot, seed))
    ratings = _as_ratings(data, categories=categories)
    cats = ratings.categories
    return _with_ci(lambda t: _gwet_core(t, cats, kind), ratings.codes, ci, n_boot, seed, _METHODS[kind])
