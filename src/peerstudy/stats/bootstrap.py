"""Bootstrap confidence intervals for the agreement coefficients.

Every scalar coefficient of :mod:`peerstudy.stats` can return, with ``ci=0.95``, an
:class:`Estimate`: the coefficient and a percentile bootstrap interval over units
(the rows of the reliability data), from a seeded generator so that a report is the
same from run to run. The coefficient modules call :func:`_check_ci_options` on the
options and :func:`_with_ci` to compute (internal to :mod:`peerstudy.stats`).

Examples
--------
>>> est = Estimate(0.5, 0.25, 0.75, 10, "Cohen's kappa")
>>> float(est), est.ci_high
(0.5, 0.75)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from peerstudy.errors import ConfigError, InputError, Problem

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A coefficient with a bootstrap confidence interval.

    Returned by the scalar functions when ``ci`` is given; ``float(estimate)`` is
    the point estimate, so an :class:`Estimate` can be used where a float is.

    Attributes
    ----------
    value
        The coefficient computed on all the data.
    ci_low, ci_high
        Percentile bootstrap interval over units (NaN if the coefficient was
        undefined in every resample).
    n_units
        Number of units (rows) resampled.
    method
        The coefficient and how the interval was obtained.

    Examples
    --------
    >>> est = Estimate(0.5, 0.25, 0.75, 10, "Cohen's kappa")
    >>> float(est)
    0.5
    """

    value: float
    ci_low: float
    ci_high: float
    n_units: int
    method: str

    def __float__(self) -> float:
        return float(self.value)


def _check_ci_options(ci: Any, n_boot: Any, seed: Any) -> list[Problem]:
    """Problems with the bootstrap options (empty list if none)."""
    problems = []
    if ci is not None and (isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0 < float(ci) < 1):
        problems.append(
            Problem(
                field="ci",
                expected="None or a confidence level between 0 and 1 (e.g. 0.95)",
                found=repr(ci),
            )
        )
    if ci is not None and (isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 2):
        problems.append(Problem(field="n_boot", expected="an integer of at least 2", found=repr(n_boot)))
    if ci is not None and seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        problems.append(Problem(field="seed", expected="an integer or None", found=repr(seed)))
    return problems


def _with_ci(
    statistic: Callable[[np.ndarray], float],
    table: np.ndarray,
    ci: float | None,
    n_boot: int,
    seed: int | None,
    method: str,
) -> float | Estimate:
    """Compute ``statistic(table)``; with ``ci``, add a bootstrap interval over rows.

    Units (rows of ``table``) are drawn with replacement ``n_boot`` times with a
    generator seeded by ``seed``; resamples in which the statistic is undefined
    (it raises :class:`InputError`, e.g. no variation) are left out, and the
    interval is the ``(1 - ci) / 2`` and ``(1 + ci) / 2`` quantiles of the rest.
    """
    value = float(statistic(table))
    if ci is None:
        return value
    rng = np.random.default_rng(seed)
    n = table.shape[0]
    replicates = np.full(n_boot, np.nan)
    for i in range(n_boot):
        try:
            replicates[i] = statistic(table[rng.integers(0, n, size=n)])
        except InputError:
            pass  # undefined in this resample
    valid = replicates[~np.isnan(replicates)]
    if valid.size:
        low, high = np.quantile(valid, [(1 - ci) / 2, (1 + ci) / 2])
    else:
        low = high = np.nan
    how = (
        f"{method}; {ci:.0%} percentile bootstrap over units ({valid.size} of {n_boot} resamples defined, seed {seed})"
    )
    return Estimate(value, float(low), float(high), int(n), how)


# ---------------------------------------------------------------------------
# Coercing reliability data
# ---------------------------------------------------------------------------


def _raise_config(problems: list[Problem]) -> None:
    """Raise the problems with the options together, if there are any."""
    if problems:
        raise ConfigError(problems)
