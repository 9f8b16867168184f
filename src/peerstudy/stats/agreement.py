"""Inter-coder agreement for qualitative coding and categorical ratings.

Two kinds of input are used here.

*Reliability data* is a units x coders table (a :class:`pandas.DataFrame`, a
NumPy array or a list of rows): one row per unit (a segment, a patient, an
answer), one column per coder, each cell the label that coder gave that unit.
Labels may be strings or numbers; a missing coding is ``None``, ``NaN`` or
``pd.NA`` (an empty string is a label, not a missing value). Rows in which
nobody coded the unit carry no information and are ignored. The scalar
coefficients take this form: :func:`percent_agreement`, :func:`cohen_kappa`,
:func:`fleiss_kappa`, :func:`krippendorff_alpha`, :func:`gwet_ac1` and
:func:`brennan_prediger`.

*Tidy codings* are a DataFrame with one row per application of a code, with
columns ``segment``, ``code`` and ``coder`` (names configurable). The unit of
analysis is the segment: a code counts as present or absent in a segment for each
coder, so a segment may carry several codes, and applying the same code twice to
one segment counts once. :func:`agreement_table` turns tidy codings into one
agreement row per code; :func:`disagreements` lists what the coders disagree on
for a reconciliation meeting; :func:`apply_reconciliation` builds the consensus
coding from the decisions taken there.

Every scalar function can also return a percentile bootstrap confidence interval
over units (``ci=0.95``), as an :class:`Estimate`.

Examples
--------
Two coders, five units:

>>> round(cohen_kappa(["a", "a", "b", "b", "a"], ["a", "b", "b", "b", "a"]), 4)
0.6154
>>> percent_agreement([["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"], ["a", "a"]])
0.8
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from peerstudy.errors import ConfigError, InputError, Problem

__all__ = [
    "Estimate",
    "percent_agreement",
    "miles_huberman",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "brennan_prediger",
    "agreement_table",
    "disagreements",
    "apply_reconciliation",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = (None, "linear", "quadratic")
DECISIONS = {"keep": True, "drop": False}
OVERALL = "overall"


# ---------------------------------------------------------------------------
# Result type and bootstrap
# ---------------------------------------------------------------------------


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
    if ci is not None and (isinstance(ci, bool) or not isinstance(ci, numbers.Real) or not 0 < ci < 1):
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


class _Ratings(NamedTuple):
    """Reliability data as category indices.

    ``codes`` is float (units x coders): the index of the label in
    ``categories``, NaN where missing. Rows where nobody coded are dropped.
    """

    codes: np.ndarray
    categories: list[Any]


def _show(values: Sequence[Any], limit: int = 5) -> str:
    """Short repr of a list of offending values."""
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
        problems.append(Problem(field=field, expected="labels without missing values", found=_show(cats)))
    elif len(set(cats)) != len(cats):
        dup = pd.Index(cats)[pd.Index(cats).duplicated()].tolist()
        problems.append(Problem(field=field, expected="each category listed once", found=f"duplicates {_show(dup)}"))
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
                expected=f"labels from categories {_show(cats, 10)}",
                found=f"labels not in categories {_show(unknown)}",
                fix="add them to categories or correct the data",
            )
        )
    return codes, cats


def _as_ratings(data: Any, categories: Sequence[Any] | None = None, field: str = "data") -> _Ratings:
    """Coerce a units x coders table to a :class:`_Ratings` (validating its shape)."""
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
    n_units, n_coders = arr.shape
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
    found = f"every coding is {used[0]!r}" if len(used) == 1 else f"only the categories {_show(used)}"
    return InputError(
        Problem(
            field=field,
            expected=f"codings in at least two categories ({what} is undefined without variation)",
            found=found,
            fix="report percent agreement instead, or pool more units",
        )
    )


# ---------------------------------------------------------------------------
# Core statistics on category-index tables (used by the bootstrap too)
# ---------------------------------------------------------------------------


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


def _kripp_core(values: np.ndarray, level: str, domain: np.ndarray | None, cats: list[Any]) -> float:
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


def _raise_config(problems: list[Problem]) -> None:
    if problems:
        raise ConfigError(problems)


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
                found=f"a missing coding at positions {_show(rows)}",
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
                found=f"{usual} codings for most units, other counts for units at positions {_show(odd)}",
                fix="use krippendorff_alpha or gwet_ac1, which allow missing codings",
            )
        )
    if values[0] < 2:
        raise InputError(_no_pairs_problem("data"))
    cats = ratings.categories
    return _with_ci(lambda t: _fleiss_core(t, cats), ratings.codes, ci, n_boot, seed, "Fleiss' kappa")


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
    q = len(ratings.categories)
    if level in ("nominal", "ordinal"):
        values, domain = ratings.codes, np.arange(q, dtype=float)
    else:
        non_numeric = [c for c in ratings.categories if not _is_number(c)]
        if non_numeric:
            raise InputError(
                Problem(
                    field="data",
                    expected=f"numeric labels for level {level!r}",
                    found=f"labels {_show(non_numeric)}",
                    fix="use level='nominal' or 'ordinal' for labels",
                )
            )
        numeric = np.asarray(ratings.categories, dtype=float)
        if level == "ratio" and (numeric < 0).any():
            raise InputError(
                Problem(
                    field="data",
                    expected="non-negative values for level 'ratio'",
                    found=f"values {_show(numeric[numeric < 0].tolist())}",
                    fix="use level='interval'",
                )
            )
        values = np.full(ratings.codes.shape, np.nan)
        present = ~np.isnan(ratings.codes)
        values[present] = numeric[ratings.codes[present].astype(np.int64)]
        domain = None
    return _with_ci(
        lambda t: _kripp_core(t, level, domain, ratings.categories),
        values,
        ci,
        n_boot,
        seed,
        f"Krippendorff's alpha ({level})",
    )


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
    _raise_config(_check_ci_options(ci, n_boot, seed))
    ratings = _as_ratings(data, categories=categories)
    cats = ratings.categories
    return _with_ci(lambda t: _gwet_core(t, cats, "ac1"), ratings.codes, ci, n_boot, seed, "Gwet's AC1")


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
    data
        Units x coders table of labels.
    categories
        All categories of the scale (labels must come from it).
    ci, n_boot, seed
        Bootstrap interval over units, see :func:`percent_agreement`.

    Returns
    -------
    float or Estimate
        BP in [-1/(q-1), 1].

    Raises
    ------
    InputError
        Empty table, fewer than two coders, no unit coded twice, fewer than two
        categories.
    ConfigError
        Bad ``categories``, ``ci``, ``n_boot`` or ``seed``.

    Examples
    --------
    irrCAC ``cac.raw4raters``: ``bp.coeff.raw`` gives 0.77273 (p_e = 0.2).

    >>> raw4 = [[1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3],
    ...         [2, 2, 2, 2], [1, 2, 3, 4], [4, 4, 4, 4], [1, 1, 2, 1],
    ...         [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1],
    ...         [None, None, 3, None]]
    >>> round(brennan_prediger(raw4), 5)
    0.77273
    """
    _raise_config(_check_ci_options(ci, n_boot, seed))
    ratings = _as_ratings(data, categories=categories)
    cats = ratings.categories
    return _with_ci(lambda t: _gwet_core(t, cats, "bp"), ratings.codes, ci, n_boot, seed, "Brennan-Prediger")


# ---------------------------------------------------------------------------
# Tidy codings
# ---------------------------------------------------------------------------


class _Coded(NamedTuple):
    """Tidy codings as integer indices, one entry per distinct (segment, code, coder).

    The entries are sorted by segment, then code, then coder.
    """

    segments: pd.Index
    codes: pd.Index
    coders: pd.Index
    seg: np.ndarray
    code: np.ndarray
    coder: np.ndarray


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
                field=field, expected="each label once", found=f"duplicates {_show(index[index.duplicated()].tolist())}"
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


def _factorize_codings(codings: Any, cols: tuple[str, str, str]) -> dict[str, tuple[np.ndarray, pd.Index]]:
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
                found=f"no column {_show(absent)} (columns are {_show(list(codings.columns), 8)})",
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
                    found=f"missing values at positions {_show(bad.tolist())}",
                )
            )
        factors[col] = (idx, uniques)
    if problems:
        raise InputError(problems)
    return factors


def _encode_codings(
    codings: Any,
    segments: Any,
    coders: Any,
    codes: Any,
    cols: tuple[str, str, str],
) -> _Coded:
    """Validate tidy codings and encode them as integer triples.

    Each column is factorized once and only its distinct values are looked up
    in the segment / code / coder lists, so long columns cost one hash pass.
    """
    seg_col, code_col, coder_col = cols
    factors = _factorize_codings(codings, cols)

    def lookup(col: str, index: pd.Index) -> tuple[np.ndarray, list[Any]]:
        """Position of each row's label in index (-1 if absent) and the absent labels."""
        idx, uniques = factors[col]
        where = index.get_indexer(uniques)
        return where[idx], list(uniques[where < 0])

    # coders
    all_coders = _sorted_labels(factors[coder_col][1])
    if coders is None:
        coder_index = all_coders
        if len(coder_index) < 2:
            raise InputError(
                Problem(
                    field="codings",
                    expected="codings by at least two coders",
                    found=f"only coder {_show(coder_index.tolist())}",
                )
            )
    else:
        coder_index = _label_index(coders, "coders")
        problems = []
        if len(coder_index) < 2:
            problems.append(Problem(field="coders", expected="at least two coders", found=_show(coder_index.tolist())))
        unknown = coder_index[~coder_index.isin(all_coders)]
        if len(unknown):
            problems.append(
                Problem(
                    field="coders",
                    expected=f"coders that appear in codings {_show(all_coders.tolist())}",
                    found=_show(unknown.tolist()),
                )
            )
        if problems:
            raise InputError(problems)
    coder_idx, _ = lookup(coder_col, coder_index)  # -1: a coder not compared

    # segments: every unit, including those nobody coded
    if segments is None:
        seg_idx, seg_uniques = factors[seg_col]
        seg_index = pd.Index(seg_uniques)
    else:
        seg_index = _label_index(segments, "segments")
        seg_idx, unknown = lookup(seg_col, seg_index)
        if unknown:
            raise InputError(
                Problem(
                    field="segments",
                    expected="every segment of codings listed in segments",
                    found=f"segments in codings but not in segments: {_show(unknown)}",
                )
            )

    # codes
    code_index = _sorted_labels(factors[code_col][1]) if codes is None else _label_index(codes, "codes")
    code_idx, unknown = lookup(code_col, code_index)
    if unknown:
        raise InputError(
            Problem(
                field="codes",
                expected="every code of codings listed in codes",
                found=f"codes in codings but not in codes: {_show(unknown)}",
            )
        )

    keep = coder_idx >= 0  # rows of coders not compared are dropped
    n_codes, n_coders = len(code_index), len(coder_index)
    key = (seg_idx[keep].astype(np.int64) * n_codes + code_idx[keep]) * n_coders + coder_idx[keep]
    key.sort()
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key = key[first]  # one entry per (segment, code, coder), sorted
    coder_of = key % n_coders
    sc = key // n_coders
    return _Coded(seg_index, code_index, coder_index, sc // n_codes, sc % n_codes, coder_of)


class _Groups(NamedTuple):
    """Coded (segment, code) pairs: how many coders applied the code, and which."""

    seg: np.ndarray
    code: np.ndarray
    n_applied: np.ndarray
    starts: np.ndarray


def _group_pairs(coded: _Coded) -> _Groups:
    n = coded.seg.size
    new = np.ones(n, dtype=bool)
    new[1:] = (coded.seg[1:] != coded.seg[:-1]) | (coded.code[1:] != coded.code[:-1])
    starts = np.flatnonzero(new)
    n_applied = np.diff(np.append(starts, n))
    return _Groups(coded.seg[starts], coded.code[starts], n_applied, starts)


def _coder_sets(coded: _Coded, groups: _Groups, subset: np.ndarray) -> tuple[list[str], list[str]]:
    """For the groups in ``subset``: '; '-joined coders who applied / did not apply."""
    k = len(coded.coders)
    bits = np.left_shift(1, coded.coder.astype(object if k > 62 else np.int64))
    masks = np.add.reduceat(bits, groups.starts)[subset]
    uniq, inverse = np.unique(masks, return_inverse=True)
    names = [str(c) for c in coded.coders]
    applied = ["; ".join(n for j, n in enumerate(names) if int(m) >> j & 1) for m in uniq]
    missing = ["; ".join(n for j, n in enumerate(names) if not int(m) >> j & 1) for m in uniq]
    return [applied[i] for i in inverse], [missing[i] for i in inverse]


def _binary_stats(hist: np.ndarray, n_by: np.ndarray, n_units: np.ndarray) -> dict[str, np.ndarray]:
    """Agreement coefficients from per-code histograms of coders applying a code.

    ``hist[c, v]`` is the number of units where exactly v of the m coders applied
    code c (v = 0..m); ``n_by[c, j]`` the number of units coder j applied it to.
    Presence/absence is known for every coder and unit, so the data are complete.
    """
    m = hist.shape[1] - 1
    v = np.arange(m + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pair_agree = (v * (v - 1) + (m - v) * (m - v - 1)) / (m * (m - 1))
        pa = hist @ pair_agree / n_units
        ones = hist @ v  # presences
        values = n_units * m  # codings (present or absent)
        zeros = values - ones
        if m == 2:  # Cohen's kappa from the 2x2 table
            n1, n2 = n_by[:, 0], n_by[:, 1]
            pe = (n1 * n2 + (n_units - n1) * (n_units - n2)) / n_units**2
        else:  # Fleiss' kappa
            p1 = ones / values
            pe = p1**2 + (1 - p1) ** 2
        kappa = (pa - pe) / (1 - pe)
        # Krippendorff's nominal alpha for complete binary data
        disagree = hist @ (v * (m - v)) / (m - 1)
        alpha = 1 - (values - 1) * disagree / (ones * zeros)
    no_variation = (ones == 0) | (zeros == 0)
    kappa = np.where(no_variation, np.nan, kappa)
    alpha = np.where(no_variation, np.nan, alpha)
    return {"percent_agreement": pa, "kappa": kappa, "alpha": alpha, "ones": ones, "zeros": zeros}


def agreement_table(
    codings: pd.DataFrame,
    segments: Sequence[Hashable] | None = None,
    coders: Sequence[Hashable] | None = None,
    ignore_uncoded: bool = False,
    *,
    codes: Sequence[Hashable] | None = None,
    segment_col: str = "segment",
    code_col: str = "code",
    coder_col: str = "coder",
) -> pd.DataFrame:
    """Agreement per code, and overall, from tidy codings.

    The unit is the segment. For every code, each coder either applied it to a
    segment or did not (applying it twice counts once), so segments carrying
    several codes are handled naturally. By default every segment counts for every
    code: a segment no coder gave this code is an agreement on its absence, and
    ``segments`` lists the segments nobody coded at all (absent for everyone);
    without it the units are the segments that appear in ``codings`` (by any
    coder, any code).

    With ``ignore_uncoded=True`` (MAXQDA's code-specific segment agreement),
    for each code only the segments where at least one coder applied it count,
    so percent agreement = all / (all + some): with two coders,
    both / (both + only one). Chance-corrected coefficients are then not
    computed (NaN): without the absent-by-all cell, kappa is <= 0 by construction.

    Parameters
    ----------
    codings
        One row per application of a code: columns ``segment_col``,
        ``code_col``, ``coder_col``; no missing values.
    segments
        All units, in order; every segment of ``codings`` must be listed.
    coders
        The coders to compare (at least two); default all coders in ``codings``.
        Rows of other coders are ignored.
    ignore_uncoded
        Per code, leave out the segments no compared coder applied it to.
    codes
        All codes of the codebook, in order (codes nobody applied get a row);
        default the codes in ``codings``, sorted.
    segment_col, code_col, coder_col
        Column names in ``codings``.

    Returns
    -------
    pandas.DataFrame
        One row per code, then a row with code ``"overall"``; columns:

        ``code``; ``n_units`` (segments counted); ``n_by_<coder>`` (segments the
        coder applied the code to); ``n_all``, ``n_some``, ``n_none`` (segments
        where all, some but not all, no compared coder applied it); with two
        coders also ``n_only_<coder>``; ``percent_agreement`` (share of agreeing
        coder pairs, mean over segments); ``kappa`` (Cohen's with two coders,
        Fleiss' with more, see ``kappa_method``); ``alpha`` (Krippendorff's
        nominal alpha); ``reason`` ("" or why a coefficient is NaN).

        The overall row pools all (segment, code) pairs as units: its counts are
        sums over codes, and its coefficients are those of the presence/absence
        codings of all codes concatenated (not a mean of the per-code values).

    Raises
    ------
    InputError
        ``codings`` is not a DataFrame with those columns, is empty, has missing
        values, has fewer than two coders; a segment or code not in ``segments``
        / ``codes``; unknown or too few ``coders``.
    ConfigError
        ``ignore_uncoded`` not a bool; an option that is not a list.

    Examples
    --------
    Two coders, four segments (s4 coded by nobody). Code A: Ann s1, s2; Ben s1:
    both 1, only Ann 1, neither 2, agreement 3/4, kappa (0.75 - 0.5)/0.5 = 0.5.
    Code B: Ann s1, Ben s3: agreement 2/4, p_e = (1 + 9)/16, kappa = -1/3.

    >>> codings = pd.DataFrame({
    ...     "segment": ["s1", "s1", "s1", "s2", "s3"],
    ...     "code":    ["A",  "A",  "B",  "A",  "B"],
    ...     "coder":   ["Ann", "Ben", "Ann", "Ann", "Ben"]})
    >>> table = agreement_table(codings, segments=["s1", "s2", "s3", "s4"])
    >>> print(table[["code", "n_units", "n_by_Ann", "n_by_Ben", "percent_agreement", "kappa"]]
    ...       .round(4).to_string(index=False))
       code  n_units  n_by_Ann  n_by_Ben  percent_agreement   kappa
          A        4         2         1              0.750  0.5000
          B        4         1         1              0.500 -0.3333
    overall        8         3         2              0.625  0.1429
    >>> maxqda = agreement_table(codings, ignore_uncoded=True)
    >>> maxqda[["code", "n_units", "percent_agreement"]].to_dict("list")
    {'code': ['A', 'B', 'overall'], 'n_units': [2, 2, 4], 'percent_agreement': [0.5, 0.0, 0.25]}
    """
    if not isinstance(ignore_uncoded, (bool, np.bool_)):
        raise ConfigError(Problem(field="ignore_uncoded", expected="True or False", found=repr(ignore_uncoded)))
    coded = _encode_codings(codings, segments, coders, codes, (segment_col, code_col, coder_col))
    groups = _group_pairs(coded)
    n_codes, m = len(coded.codes), len(coded.coders)

    hist = np.bincount(groups.code * (m + 1) + groups.n_applied, minlength=n_codes * (m + 1))
    hist = hist.reshape(n_codes, m + 1).astype(np.int64)
    n_by = np.bincount(coded.code * m + coded.coder, minlength=n_codes * m).reshape(n_codes, m)
    coded_somewhere = hist[:, 1:].sum(axis=1)
    n_units = coded_somewhere if ignore_uncoded else np.full(n_codes, len(coded.segments), dtype=np.int64)
    hist[:, 0] = n_units - coded_somewhere

    # append the overall row: all (segment, code) pairs pooled
    hist = np.vstack([hist, hist.sum(axis=0)])
    n_by = np.vstack([n_by, n_by.sum(axis=0)])
    n_units = np.append(n_units, n_units.sum())
    stats = _binary_stats(hist.astype(float), n_by.astype(float), n_units.astype(float))

    reason = np.full(n_codes + 1, "", dtype=object)
    reason[stats["zeros"] == 0] = "no variation: every coder applied the code to every segment counted"
    reason[stats["ones"] == 0] = "no variation: no coder applied the code"
    reason[n_units == 0] = "no segments counted: no coder applied the code"
    kappa, alpha = stats["kappa"], stats["alpha"]
    if ignore_uncoded:
        kappa = np.full(n_codes + 1, np.nan)
        alpha = np.full(n_codes + 1, np.nan)
        reason[n_units > 0] = (
            "ignore_uncoded=True: segments no coder applied the code to are left out, "
            "so chance-corrected coefficients are not computed"
        )

    out: dict[str, Any] = {"code": list(coded.codes) + [OVERALL], "n_units": n_units}
    for j, name in enumerate(coded.coders):
        out[f"n_by_{name}"] = n_by[:, j]
    out["n_all"] = hist[:, m]
    out["n_some"] = hist[:, 1:m].sum(axis=1)
    out["n_none"] = hist[:, 0]
    if m == 2:
        for j, name in enumerate(coded.coders):
            out[f"n_only_{name}"] = n_by[:, j] - hist[:, 2]
    out["percent_agreement"] = stats["percent_agreement"]
    out["kappa"] = kappa
    out["kappa_method"] = "Cohen" if m == 2 else "Fleiss"
    out["alpha"] = alpha
    out["reason"] = reason
    return pd.DataFrame(out)


def _text_lookup(text: Any, segment_col: str) -> pd.Series:
    """Segment -> text as a Series, from a mapping, Series or DataFrame."""
    if isinstance(text, pd.DataFrame):
        if segment_col not in text.columns or "text" not in text.columns:
            raise InputError(
                Problem(
                    field="text",
                    expected=f"a DataFrame with columns {[segment_col, 'text']}",
                    found=f"columns {_show(list(text.columns), 8)}",
                )
            )
        series = pd.Series(text["text"].to_numpy(), index=text[segment_col].to_numpy())
    elif isinstance(text, pd.Series):
        series = text
    elif isinstance(text, Mapping):
        series = pd.Series(dict(text), dtype=object)
    else:
        raise ConfigError(
            Problem(
                field="text", expected="a mapping, Series or DataFrame from segment to text", found=type(text).__name__
            )
        )
    if not series.index.is_unique:
        dup = series.index[series.index.duplicated()].tolist()
        raise InputError(Problem(field="text", expected="one text per segment", found=f"duplicates {_show(dup)}"))
    return series


def disagreements(
    codings: pd.DataFrame,
    segments: Sequence[Hashable] | None = None,
    text: Mapping[Hashable, str] | pd.Series | pd.DataFrame | None = None,
    *,
    coders: Sequence[Hashable] | None = None,
    segment_col: str = "segment",
    code_col: str = "code",
    coder_col: str = "coder",
) -> pd.DataFrame:
    """The (segment, code) pairs the coders disagree on: a reconciliation sheet.

    A disagreement is a code some but not all of the compared coders applied to
    a segment. The result can be saved as a spreadsheet, filled in during the
    reconciliation meeting (column ``decision``: "keep" or "drop") and given to
    :func:`apply_reconciliation`.

    Parameters
    ----------
    codings, segments, coders, segment_col, code_col, coder_col
        As in :func:`agreement_table` (``segments`` only checks the segment ids
        and orders the rows).
    text
        Segment text: a mapping or Series from segment to text, or a DataFrame
        with columns ``segment_col`` and ``text``. Segments without text get NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment_col``, ``code_col``, ``applied_by`` and
        ``not_applied_by`` (coders joined by "; "), ``text`` and an empty
        ``decision``; ordered by segment (order of ``segments``, or of first
        appearance) and code.

    Raises
    ------
    InputError
        As :func:`agreement_table`; ``text`` with duplicate segments or without
        the needed columns.

    Examples
    --------
    >>> codings = pd.DataFrame({
    ...     "segment": [1, 1, 1, 2, 3],
    ...     "code":    ["A", "A", "B", "A", "B"],
    ...     "coder":   ["Ann", "Ben", "Ann", "Ann", "Ben"]})
    >>> sheet = disagreements(codings, text={1: "I felt heard.", 2: "We met weekly.", 3: "No."})
    >>> print(sheet[["segment", "code", "applied_by", "not_applied_by", "text"]].to_string(index=False))
     segment code applied_by not_applied_by           text
           1    B        Ann            Ben  I felt heard.
           2    A        Ann            Ben We met weekly.
           3    B        Ben            Ann            No.
    """
    cols = (segment_col, code_col, coder_col)
    lookup = None if text is None else _text_lookup(text, segment_col)
    coded = _encode_codings(codings, segments, coders, None, cols)
    groups = _group_pairs(coded)
    m = len(coded.coders)
    split = np.flatnonzero(groups.n_applied < m)
    applied, not_applied = _coder_sets(coded, groups, split)
    seg_labels = coded.segments.take(groups.seg[split])
    sheet = pd.DataFrame(
        {
            segment_col: seg_labels,
            code_col: coded.codes.take(groups.code[split]),
            "applied_by": applied,
            "not_applied_by": not_applied,
        }
    )
    if lookup is None:
        sheet["text"] = np.nan
    else:
        sheet["text"] = lookup.reindex(seg_labels).to_numpy()
    sheet["decision"] = pd.Series([None] * len(sheet), dtype=object)
    return sheet


def apply_reconciliation(
    codings: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    coders: Sequence[Hashable] | None = None,
    segment_col: str = "segment",
    code_col: str = "code",
    coder_col: str = "coder",
) -> pd.DataFrame:
    """Build the consensus coding from the coders' codings and a reconciliation sheet.

    A code all compared coders applied to a segment is kept as is. Every
    disagreement (see :func:`disagreements`) must have exactly one row in
    ``decisions`` saying ``"keep"`` (the code applies to the segment) or
    ``"drop"`` (it does not); case and surrounding spaces are ignored. Rows for
    pairs the coders agree on are an error, since agreed codings are not
    reconsidered.

    Parameters
    ----------
    codings, coders, segment_col, code_col, coder_col
        As in :func:`agreement_table`.
    decisions
        The reconciliation sheet: columns ``segment_col``, ``code_col`` and
        ``decision`` (other columns are ignored). Row numbers in errors are those
        a spreadsheet shows (header = row 1).

    Returns
    -------
    pandas.DataFrame
        The consensus: one row per (segment, code) that applies, columns
        ``segment_col``, ``code_col`` and ``source`` ("agreed" or "reconciled"),
        ordered by segment (first appearance) and code.

    Raises
    ------
    InputError
        Bad codings (see :func:`agreement_table`); a sheet row with an unknown
        segment or code, a missing or unknown decision, a pair the coders agree
        on, or a pair listed twice (each names its row and field); a
        disagreement without a decision.

    Examples
    --------
    >>> codings = pd.DataFrame({
    ...     "segment": [1, 1, 1, 2, 3],
    ...     "code":    ["A", "A", "B", "A", "B"],
    ...     "coder":   ["Ann", "Ben", "Ann", "Ann", "Ben"]})
    >>> sheet = disagreements(codings)
    >>> sheet["decision"] = ["keep", "drop", "keep"]
    >>> print(apply_reconciliation(codings, sheet).to_string(index=False))
     segment code     source
           1    A     agreed
           1    B reconciled
           3    B reconciled
    """
    cols = (segment_col, code_col, coder_col)
    coded = _encode_codings(codings, None, coders, None, cols)
    groups = _group_pairs(coded)
    m, n_codes = len(coded.coders), len(coded.codes)

    if not isinstance(decisions, pd.DataFrame):
        raise InputError(
            Problem(
                field="decisions",
                expected=f"a DataFrame with columns {[segment_col, code_col, 'decision']}",
                found=type(decisions).__name__,
            )
        )
    absent = [c for c in (segment_col, code_col, "decision") if c not in decisions.columns]
    if absent:
        raise InputError(
            Problem(
                field="decisions",
                expected=f"columns {[segment_col, code_col, 'decision']}",
                found=f"no column {_show(absent)}",
            )
        )

    pair_id = groups.seg * n_codes + groups.code  # sorted
    status = dict(zip(pair_id.tolist(), groups.n_applied.tolist(), strict=False))
    seg_of = coded.segments.get_indexer(decisions[segment_col])
    code_of = coded.codes.get_indexer(decisions[code_col])
    problems: list[Problem] = []
    chosen: dict[int, bool] = {}
    for i, (seg, code, raw_seg, raw_code, decision) in enumerate(
        zip(seg_of, code_of, decisions[segment_col], decisions[code_col], decisions["decision"], strict=False)
    ):
        row = i + 2  # spreadsheet row: header is row 1
        if seg < 0:
            problems.append(
                Problem(
                    row=row, field=segment_col, expected="a segment that appears in the codings", found=repr(raw_seg)
                )
            )
        if code < 0:
            problems.append(
                Problem(row=row, field=code_col, expected="a code that appears in the codings", found=repr(raw_code))
            )
        word = decision.strip().lower() if isinstance(decision, str) else None
        if word not in DECISIONS:
            problems.append(
                Problem(
                    row=row,
                    field="decision",
                    expected=f"one of {list(DECISIONS)}",
                    found="nothing" if pd.isna(decision) else repr(decision),
                )
            )
        if seg < 0 or code < 0:
            continue
        pair = int(seg) * n_codes + int(code)
        n_applied = status.get(pair, 0)
        if n_applied in (0, m):
            who = "no coder" if n_applied == 0 else "every coder"
            problems.append(
                Problem(
                    row=row,
                    field=code_col,
                    expected="a (segment, code) pair the coders disagree on",
                    found=f"{raw_code!r} in segment {raw_seg!r}, which {who} applied",
                    fix="delete the row: agreed codings are kept as they are",
                )
            )
        elif pair in chosen:
            problems.append(
                Problem(
                    row=row,
                    field=code_col,
                    expected="one decision per disagreement",
                    found=f"a second row for {raw_code!r} in segment {raw_seg!r}",
                )
            )
        elif word in DECISIONS:
            chosen[pair] = DECISIONS[word]
    split = (groups.n_applied > 0) & (groups.n_applied < m)
    undecided = [p for p in pair_id[split].tolist() if p not in chosen]
    if undecided:
        labels = [(coded.segments[p // n_codes], coded.codes[p % n_codes]) for p in undecided]
        problems.append(
            Problem(
                field="decisions",
                expected="a decision for every disagreement",
                found=f"no decision for (segment, code) {_show(labels)}",
                fix="add a row with 'keep' or 'drop' for each",
            )
        )
    if problems:
        raise InputError(problems)

    keep = groups.n_applied == m
    reconciled = np.zeros(pair_id.size, dtype=bool)
    kept_pairs = np.array([p for p, applies in chosen.items() if applies], dtype=np.int64)
    reconciled[np.searchsorted(pair_id, kept_pairs)] = True  # decided pairs are coded pairs
    take = keep | reconciled
    return pd.DataFrame(
        {
            segment_col: coded.segments.take(groups.seg[take]),
            code_col: coded.codes.take(groups.code[take]),
            "source": np.where(keep[take], "agreed", "reconciled"),
        }
    )
