"""Agreement per code, and overall, from tidy codings (the segment as the unit).

For every code, each coder either applied it to a segment or did not, so the codings of
one code form a complete binary units x coders table; :func:`agreement_table` computes
percent agreement, kappa (Cohen's with two coders, Fleiss' with more) and Krippendorff's
nominal alpha of each code from counts, and of all codes pooled. Tidy codings are
described in :mod:`peerstudy.stats.tidy`.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from peerstudy.errors import ConfigError, Problem
from peerstudy.stats.tidy import encode_codings, group_pairs

__all__ = ["agreement_table"]

OVERALL = "overall"


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
    coded = encode_codings(codings, segments, coders, codes, (segment_col, code_col, coder_col))
    groups = group_pairs(coded)
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
