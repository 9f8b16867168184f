"""Tests of the agreement coefficients and table of peerstudy.stats: published values, properties, cross-checks,
validation."""

from __future__ import annotations

import dataclasses

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from helpers import examples
from peerstudy.errors import ConfigError, InputError
from peerstudy.stats.alpha import krippendorff_alpha
from peerstudy.stats.bootstrap import Estimate
from peerstudy.stats.codetable import agreement_table
from peerstudy.stats.kappa import cohen_kappa, fleiss_kappa
from peerstudy.stats.percent import brennan_prediger, gwet_ac1, miles_huberman, percent_agreement

N = None

# Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
# School for Communication, Departmental Papers (ASC), University of Pennsylvania.
# Section "C. Nominal data, any number of observers, missing values": observers
# A-D x units 1-12, transposed here to units in rows. Published: nominal .743,
# ordinal .815, interval .849, ratio .797.
KRIPPENDORFF_2011 = [
    [1, 1, N, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [N, 5, 5, 5],
    [N, N, 1, 1],
    [N, 3, N, N],
]

# irrCAC R package (Gwet, K.L., version 1.0, README / vignette "Calculating
# Chance-corrected Agreement Coefficients"), data set cac.raw4raters: 12 subjects x
# 4 raters with missing ratings. Published (*.raw functions, unweighted):
# pa.coeff.raw pa = 0.8181818, gwet.ac1.raw AC1 = 0.77544 (pe = 0.1903212),
# bp.coeff.raw BP = 0.77273 (pe = 0.2), krippen.alpha.raw alpha = 0.74342.
CAC_RAW4RATERS = [
    [1, 1, N, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [N, 5, 5, 5],
    [N, N, 1, 1],
    [N, N, 3, N],
]

# irrCAC R package, data set distrib.6raters: distribution of 6 raters over 5
# categories (Depression, Personality Disorder, Schizophrenia, Neurosis, Other) for
# 15 patients. Published (*.dist functions): gwet.ac1.dist AC1 = 0.4448007,
# fleiss.kappa.dist = 0.4139265, krippen.alpha.dist = 0.4204384,
# bp.coeff.dist = 0.4388889, pa = 0.5511111.
DISTRIB_6RATERS = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
]

# irrCAC R package, data set cont3x3abstractors: 2 abstractors classifying 100
# pregnancies as Ectopic (1), AIU (2), NIU (3). Published: kappa2.table 0.7964094,
# with quadratic.weights(1:3) 0.8921569 (vignette "Weighted Chance-corrected
# Agreement Coefficients"); gwet.ac1.table 0.8493305; bp2.table 0.835;
# krippen2.table 0.7972585; pa2.table 0.89.
CONT3X3_ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]

# Fleiss (1971) as worked on Wikipedia's "Fleiss' kappa" page: 10 subjects,
# 14 raters, 5 categories (raters per category); kappa = 0.210.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def expand_counts(counts):
    """Units x categories counts -> units x raters labels (1-based categories)."""
    return [[k for k, n in enumerate(row, 1) for _ in range(n)] for row in counts]


def expand_table(table):
    """2-rater contingency table -> the two raters' label vectors (1-based)."""
    pairs = [(i + 1, j + 1) for i, row in enumerate(table) for j, n in enumerate(row) for _ in range(n)]
    a, b = zip(*pairs, strict=False)
    return list(a), list(b)


# ---------------------------------------------------------------------------
# Published values
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_example(level, published):
    # Krippendorff (2011), see KRIPPENDORFF_2011 above.
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_2011_ordinal_with_named_categories():
    # Same data and published ordinal value (.815), labels as words in a given order.
    words = ["very low", "low", "mid", "high", "very high"]
    named = [[None if v is None else words[v - 1] for v in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(named, "ordinal", categories=words) == pytest.approx(0.815, abs=5e-4)
    # nominal does not depend on the order
    assert krippendorff_alpha(named, "nominal") == pytest.approx(0.743, abs=5e-4)


def test_fleiss_wikipedia_example():
    # Wikipedia "Fleiss' kappa", worked example (Fleiss 1971 layout): 0.210.
    assert fleiss_kappa(expand_counts(FLEISS_WIKIPEDIA)) == pytest.approx(0.210, abs=5e-4)


def test_cohen_wikipedia_example():
    # Wikipedia "Cohen's kappa", 50 grant proposals, table [[20, 5], [10, 15]]: 0.4.
    a, b = expand_table([[20, 5], [10, 15]])
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=5e-4)


def test_miles_huberman_example():
    # Miles & Huberman (1994), Qualitative Data Analysis, p. 64: 149/(149+11).
    assert miles_huberman(149, 11) == pytest.approx(0.93125, abs=5e-6)


def test_irrcac_cac_raw4raters():
    # irrCAC README, cac.raw4raters (see CAC_RAW4RATERS above); 5 and 7 decimals.
    assert percent_agreement(CAC_RAW4RATERS) == pytest.approx(0.8181818, abs=5e-8)
    assert gwet_ac1(CAC_RAW4RATERS) == pytest.approx(0.77544, abs=5e-6)
    assert brennan_prediger(CAC_RAW4RATERS) == pytest.approx(0.77273, abs=5e-6)
    assert krippendorff_alpha(CAC_RAW4RATERS) == pytest.approx(0.74342, abs=5e-6)


def test_irrcac_distrib_6raters():
    # irrCAC README, distrib.6raters (see DISTRIB_6RATERS above); 7 decimals.
    data = expand_counts(DISTRIB_6RATERS)
    assert gwet_ac1(data) == pytest.approx(0.4448007, abs=5e-8)
    assert fleiss_kappa(data) == pytest.approx(0.4139265, abs=5e-8)
    assert krippendorff_alpha(data) == pytest.approx(0.4204384, abs=5e-8)
    assert brennan_prediger(data) == pytest.approx(0.4388889, abs=5e-8)
    assert percent_agreement(data) == pytest.approx(0.5511111, abs=5e-8)


def test_irrcac_cont3x3abstractors():
    # irrCAC README and weighting vignette, cont3x3abstractors (see above).
    a, b = expand_table(CONT3X3_ABSTRACTORS)
    pairs = list(zip(a, b, strict=False))
    assert cohen_kappa(a, b) == pytest.approx(0.7964094, abs=5e-8)
    assert cohen_kappa(a, b, weights="quadratic") == pytest.approx(0.8921569, abs=5e-8)
    assert gwet_ac1(pairs) == pytest.approx(0.8493305, abs=5e-8)
    assert brennan_prediger(pairs) == pytest.approx(0.835, abs=5e-8)
    assert krippendorff_alpha(pairs) == pytest.approx(0.7972585, abs=5e-8)
    assert percent_agreement(pairs) == pytest.approx(0.89, abs=5e-8)


def test_weighted_kappa_uses_category_positions_for_string_labels():
    # Same published quadratic value (0.8921569) with the irrCAC row names as labels:
    # the weights follow the order given in `categories`, not the alphabet.
    names = ["Ectopic", "AIU", "NIU"]
    a, b = expand_table(CONT3X3_ABSTRACTORS)
    a = [names[i - 1] for i in a]
    b = [names[i - 1] for i in b]
    assert cohen_kappa(a, b, "quadratic", categories=names) == pytest.approx(0.8921569, abs=5e-8)
    # alphabetical order (AIU, Ectopic, NIU) gives a different weighted value
    assert cohen_kappa(a, b, "quadratic") != pytest.approx(0.8921569, abs=1e-3)


# ---------------------------------------------------------------------------
# Independent cross-checks
# ---------------------------------------------------------------------------


def hand_weighted_kappa(x, y, q, power):
    """Weighted kappa from the textbook formula, weights |i - j|**power."""
    obs = np.zeros((q, q))
    np.add.at(obs, (x, y), 1)
    obs /= obs.sum()
    exp = np.outer(obs.sum(1), obs.sum(0))
    i, j = np.indices((q, q))
    w = np.abs(i - j) ** power if power else (i != j).astype(float)
    return 1 - (w * obs).sum() / (w * exp).sum()


def hand_gwet(table, kind):
    """Gwet's AC1 / Brennan-Prediger with explicit loops (irrCAC definitions)."""
    cats = sorted({v for row in table for v in row if v is not None})
    q = len(cats)
    pa_terms, pi = [], np.zeros(q)
    n_coded = 0
    for row in table:
        vals = [v for v in row if v is not None]
        if not vals:
            continue
        n_coded += 1
        r = len(vals)
        counts = [vals.count(c) for c in cats]
        pi += np.array(counts) / r
        if r >= 2:
            pa_terms.append(sum(c * (c - 1) for c in counts) / (r * (r - 1)))
    pa = np.mean(pa_terms)
    pi /= n_coded
    pe = (pi * (1 - pi)).sum() / (q - 1) if kind == "ac1" else 1 / q
    return (pa - pe) / (1 - pe)


@settings(max_examples=examples(50), deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(2, 15), st.just(2)), elements=st.integers(0, 3)),
    st.sampled_from([None, "linear", "quadratic"]),
)
def test_cohen_matches_textbook_formula(table, weights):
    q = int(table.max()) + 1
    if len(np.unique(table)) < 2:
        with pytest.raises(InputError):
            cohen_kappa(table[:, 0], table[:, 1], weights)
        return
    cats = list(range(q))
    power = {None: 0, "linear": 1, "quadratic": 2}[weights]
    expected = hand_weighted_kappa(table[:, 0], table[:, 1], q, power)
    got = cohen_kappa(table[:, 0], table[:, 1], weights, categories=cats)
    assert got == pytest.approx(expected, abs=1e-9)


@settings(max_examples=examples(50), deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(2, 15), st.just(2)), elements=st.integers(0, 3)))
def test_fleiss_with_two_coders_is_scotts_pi(table):
    # Fleiss' kappa for two coders equals Scott's pi: pe from pooled marginals.
    if len(np.unique(table)) < 2:
        return
    po = np.mean(table[:, 0] == table[:, 1])
    pooled = np.bincount(table.ravel()) / table.size
    pe = np.sum(pooled**2)
    assert fleiss_kappa(table) == pytest.approx((po - pe) / (1 - pe), abs=1e-9)


def tables_with_missing(max_coders=4):
    shape = st.tuples(st.integers(2, 12), st.integers(2, max_coders))
    return arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, 2.0, 3.0, np.nan]))


def to_rows(table):
    return [[None if np.isnan(v) else int(v) for v in row] for row in table]


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(tables_with_missing())
def test_gwet_and_bp_match_loop_implementation(table):
    rows = to_rows(table)
    cats = {v for row in rows for v in row if v is not None}
    pairable = any(sum(v is not None for v in row) >= 2 for row in rows)
    if len(cats) < 2 or not pairable:
        with pytest.raises(InputError):
            gwet_ac1(rows)
        return
    assert gwet_ac1(rows) == pytest.approx(hand_gwet(rows, "ac1"), abs=1e-9)
    assert brennan_prediger(rows) == pytest.approx(hand_gwet(rows, "bp"), abs=1e-9)


@settings(max_examples=examples(50), deadline=None)
@given(tables_with_missing())
def test_krippendorff_matches_package_directly(table):
    # our units x coders wrapper vs the package on coders x units
    rows = table
    pairable = (~np.isnan(rows)).sum(axis=1) >= 2
    seen = rows[pairable]
    if not pairable.any() or len(np.unique(seen[~np.isnan(seen)])) < 2:
        with pytest.raises(InputError):
            krippendorff_alpha(rows)
        return
    for level in ("nominal", "ordinal", "interval"):
        expected = krippendorff.alpha(rows.T, level_of_measurement=level)
        assert krippendorff_alpha(rows, level) == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


def complete_tables(min_coders=2, max_coders=4):
    shape = st.tuples(st.integers(2, 12), st.integers(min_coders, max_coders))
    return arrays(np.int64, shape, elements=st.integers(0, 3))


def same_result(func, x, y):
    """func(x) and func(y) agree: equal values, or both undefined (InputError)."""
    try:
        fx = func(x)
    except InputError:
        with pytest.raises(InputError):
            func(y)
        return
    assert func(y) == pytest.approx(fx, abs=1e-9)


NOMINAL = {
    "percent": percent_agreement,
    "fleiss": fleiss_kappa,
    "alpha": krippendorff_alpha,
    "ac1": gwet_ac1,
    "bp": brennan_prediger,
}


@settings(max_examples=examples(50), deadline=None)
@given(st.lists(st.integers(0, 3), min_size=2, max_size=12), st.integers(2, 4))
def test_perfect_agreement_gives_one(labels, n_coders):
    table = np.repeat(np.array(labels)[:, None], n_coders, axis=1)
    assert percent_agreement(table) == 1.0
    if len(set(labels)) < 2:
        return  # chance-corrected coefficients undefined
    for func in (fleiss_kappa, gwet_ac1, brennan_prediger):
        assert func(table) == pytest.approx(1.0)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert krippendorff_alpha(table, level) == pytest.approx(1.0)
    for weights in (None, "linear", "quadratic"):
        assert cohen_kappa(labels, labels, weights) == pytest.approx(1.0)


@settings(max_examples=examples(50), deadline=None)
@given(complete_tables(), st.permutations(["red", "green", "blue", "grey"]))
def test_relabelling_categories_changes_nothing(table, names):
    relabelled = np.array(names, dtype=object)[table]
    for func in NOMINAL.values():
        same_result(func, table, relabelled)
    same_result(lambda t: cohen_kappa(t[:, 0], t[:, 1]), table, relabelled)
    # order-preserving relabelling for weighted kappa and ordinal alpha
    ordered = np.array(["c0", "c1", "c2", "c3"], dtype=object)[table]
    for weights in ("linear", "quadratic"):
        same_result(lambda t, w=weights: cohen_kappa(t[:, 0], t[:, 1], w), table, ordered)
    same_result(lambda t: krippendorff_alpha(t, "ordinal"), table, ordered)
    # affine change of units for interval, scaling for ratio
    same_result(lambda t: krippendorff_alpha(t, "interval"), table, 3.0 * table - 7.0)
    same_result(lambda t: krippendorff_alpha(t, "ratio"), table + 1.0, 2.5 * (table + 1.0))


@settings(max_examples=examples(50), deadline=None)
@given(complete_tables(), st.randoms(use_true_random=False))
def test_permuting_units_and_coders_changes_nothing(table, rnd):
    units = list(range(table.shape[0]))
    coders = list(range(table.shape[1]))
    rnd.shuffle(units)
    rnd.shuffle(coders)
    for func in NOMINAL.values():
        same_result(func, table, table[units])
        same_result(func, table, table[:, coders])
    same_result(lambda t: cohen_kappa(t[:, 0], t[:, 1], "quadratic"), table, table[units])
    same_result(lambda t: cohen_kappa(t[:, 0], t[:, 1]), table, table[:, [1, 0]])


@settings(max_examples=examples(50), deadline=None)
@given(tables_with_missing())
def test_missing_codings_permutation_invariance(table):
    units = np.arange(table.shape[0])[::-1]
    coders = np.arange(table.shape[1])[::-1]
    for name in ("percent", "alpha", "ac1", "bp"):
        same_result(NOMINAL[name], table, table[units][:, coders])


@settings(max_examples=examples(50), deadline=None)
@given(complete_tables())
def test_results_lie_in_their_range(table):
    def value(func, *args):
        try:
            return func(*args)
        except InputError:
            return None

    checks = [
        (value(percent_agreement, table), 0.0, 1.0),
        (value(cohen_kappa, table[:, 0], table[:, 1]), -1.0, 1.0),
        (value(fleiss_kappa, table), -1.0, 1.0),
        (value(gwet_ac1, table), -1.0, 1.0),
        (value(brennan_prediger, table), -1.0, 1.0),
        (value(krippendorff_alpha, table), -np.inf, 1.0),
    ]
    for got, low, high in checks:
        if got is not None:
            assert low - 1e-12 <= got <= high + 1e-12


# ---------------------------------------------------------------------------
# Bootstrap intervals
# ---------------------------------------------------------------------------


def test_ci_returns_seeded_estimate():
    a, b = expand_table(CONT3X3_ABSTRACTORS)
    est = cohen_kappa(a, b, ci=0.95, n_boot=200, seed=1)
    assert isinstance(est, Estimate)
    assert float(est) == pytest.approx(0.7964094, abs=5e-8)
    assert est.ci_low < est.value < est.ci_high
    assert est.n_units == 100
    assert "Cohen's kappa" in est.method
    assert cohen_kappa(a, b, ci=0.95, n_boot=200, seed=1) == est  # reproducible
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.value = 0.0


@pytest.mark.parametrize(
    ("func", "published"),
    [
        # irrCAC distrib.6raters, published values (see DISTRIB_6RATERS above)
        (percent_agreement, 0.5511111),
        (fleiss_kappa, 0.4139265),
        (krippendorff_alpha, 0.4204384),
        (gwet_ac1, 0.4448007),
        (brennan_prediger, 0.4388889),
    ],
)
def test_ci_option_on_every_scalar_function(func, published):
    data = expand_counts(DISTRIB_6RATERS)
    est = func(data, ci=0.9, n_boot=50, seed=0)
    assert isinstance(est, Estimate)
    assert est.value == pytest.approx(published, abs=5e-8)  # the point estimate is the published one
    assert est.ci_low <= est.ci_high
    assert est.n_units == 15  # 15 patients


def test_ci_skips_resamples_where_undefined():
    # one disagreeing unit among many agreeing ones in one category: most resamples
    # have no variation; they are left out rather than failing
    table = [[1, 1]] * 9 + [[1, 2]]
    est = percent_agreement(table, ci=0.95, n_boot=100)
    assert est.value == pytest.approx(0.9)
    est = gwet_ac1(table, ci=0.95, n_boot=100)
    assert np.isfinite(est.ci_low)
    est = krippendorff_alpha(table, ci=0.95, n_boot=100)
    assert "resamples defined" in est.method


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("func", [percent_agreement, fleiss_kappa, krippendorff_alpha, gwet_ac1, brennan_prediger])
def test_fewer_than_two_coders(func):
    with pytest.raises(InputError, match="at least two coders") as err:
        func([[1], [2], [1]])
    assert err.value.problems[0].field == "data"


@pytest.mark.parametrize("func", [percent_agreement, fleiss_kappa, krippendorff_alpha, gwet_ac1, brennan_prediger])
def test_empty_data(func):
    with pytest.raises(InputError, match="at least one unit and two coders"):
        func([])
    with pytest.raises(InputError, match="at least one unit and two coders"):
        func(pd.DataFrame(columns=["a", "b"]))


def test_cohen_empty_and_mismatched_lengths():
    with pytest.raises(InputError, match="at least one unit"):
        cohen_kappa([], [])
    with pytest.raises(
        InputError, match="expected the same number of units for both coders, found 3 labels in a and 2 in b"
    ):
        cohen_kappa([1, 2, 1], [1, 2])


def test_unit_with_one_coding_where_pairs_are_needed():
    with pytest.raises(InputError, match="both codings for every unit") as err:
        cohen_kappa(["a", None, "b"], ["a", "b", "b"])
    assert "positions [1]" in str(err.value)
    with pytest.raises(InputError, match="same number of codings for every unit"):
        fleiss_kappa(CAC_RAW4RATERS)
    with pytest.raises(InputError, match="at least one unit coded by two or more coders"):
        percent_agreement([[1, None], [None, 2]])
    with pytest.raises(InputError, match="at least one unit coded by two or more coders"):
        krippendorff_alpha([[1, None], [None, 2]])
    with pytest.raises(InputError, match="at least one unit coded by two or more coders"):
        gwet_ac1([[1, None], [None, 2]])


def test_no_variation():
    with pytest.raises(InputError, match="at least two categories .Cohen's kappa is undefined") as err:
        cohen_kappa(["yes"] * 4, ["yes"] * 4)
    assert "'yes'" in str(err.value)
    for func in (fleiss_kappa, krippendorff_alpha, gwet_ac1, brennan_prediger):
        with pytest.raises(InputError, match="at least two categories"):
            func([["yes", "yes"], ["yes", "yes"]])
    # percent agreement is defined without variation
    assert percent_agreement([["yes", "yes"], ["yes", "yes"]]) == 1.0


def test_unknown_level_and_weights():
    with pytest.raises(
        ConfigError, match=r"expected one of \['nominal', 'ordinal', 'interval', 'ratio'\], found 'nominl'"
    ) as err:
        krippendorff_alpha(KRIPPENDORFF_2011, level="nominl")
    assert err.value.problems[0].field == "level"
    with pytest.raises(ConfigError, match="expected None, 'linear' or 'quadratic', found 'squared'") as err:
        cohen_kappa([1, 2], [1, 2], weights="squared")
    assert err.value.problems[0].field == "weights"


def test_all_config_problems_are_reported_together():
    with pytest.raises(ConfigError) as err:
        cohen_kappa([1, 2], [1, 2], weights="cubic", ci=95, n_boot=0)
    assert {p.field for p in err.value.problems} == {"weights", "ci", "n_boot"}
    assert "3 problems found" in str(err.value)


def test_bad_bootstrap_options():
    with pytest.raises(ConfigError, match="confidence level between 0 and 1"):
        percent_agreement(CAC_RAW4RATERS, ci=1.5)
    with pytest.raises(ConfigError, match="an integer of at least 2"):
        gwet_ac1(CAC_RAW4RATERS, ci=0.95, n_boot=1.5)
    with pytest.raises(ConfigError, match="an integer or None"):
        gwet_ac1(CAC_RAW4RATERS, ci=0.95, seed="x")


def test_bad_table_shapes_and_labels():
    with pytest.raises(InputError, match="rows of equal length"):
        percent_agreement([[1, 2], [1]])
    with pytest.raises(InputError, match="a units x coders table"):
        percent_agreement(pd.Series([1, 2, 3]))
    with pytest.raises(InputError, match="a units x coders table .2-D."):
        percent_agreement(["a", "b"])
    with pytest.raises(InputError, match="labels of one kind"):
        gwet_ac1([[1, "a"], [2, "b"]])
    with pytest.raises(InputError, match="only missing values"):
        gwet_ac1([[None, None], [None, np.nan]])


def test_level_specific_checks():
    with pytest.raises(InputError, match="numeric labels for level 'interval'"):
        krippendorff_alpha([["a", "b"], ["b", "b"]], "interval")
    with pytest.raises(InputError, match="non-negative values for level 'ratio'"):
        krippendorff_alpha([[-1, 2], [2, 2]], "ratio")
    with pytest.raises(ConfigError, match="no categories for level 'interval'"):
        krippendorff_alpha([[1, 2], [2, 2]], "interval", categories=[1, 2])


def test_categories_option():
    with pytest.raises(InputError, match="labels not in categories \\['mid'\\]") as err:
        krippendorff_alpha([["low", "mid"], ["high", "high"]], "ordinal", categories=["low", "high"])
    assert err.value.problems[0].fix
    with pytest.raises(ConfigError, match="each category listed once"):
        gwet_ac1([["a", "b"], ["b", "b"]], categories=["a", "b", "a"])
    with pytest.raises(ConfigError, match="a list of category labels"):
        gwet_ac1([["a", "b"], ["b", "b"]], categories="ab")
    # BP with a declared 4-point scale: pe = 1/4 instead of 1/2
    data = [["a", "a"], ["a", "b"], ["b", "b"], ["b", "b"]]
    assert brennan_prediger(data) == pytest.approx((0.75 - 0.5) / 0.5)
    assert brennan_prediger(data, categories=["a", "b", "c", "d"]) == pytest.approx((0.75 - 0.25) / 0.75)


def test_miles_huberman_validation():
    with pytest.raises(InputError, match="non-negative integer count") as err:
        miles_huberman(-1, 2.5)
    assert {p.field for p in err.value.problems} == {"agreements", "disagreements"}
    with pytest.raises(InputError, match="at least one agreement or disagreement"):
        miles_huberman(0, 0)


def test_dataframe_input_with_missing_and_strings():
    df = pd.DataFrame({"ann": ["x", "y", None, "x"], "ben": ["x", "y", "y", pd.NA], "cy": ["x", "x", "y", "x"]})
    rows = df.to_numpy(dtype=object).tolist()
    assert gwet_ac1(df) == pytest.approx(hand_gwet([[None if pd.isna(v) else v for v in r] for r in rows], "ac1"))


# ---------------------------------------------------------------------------
# agreement_table
# ---------------------------------------------------------------------------


def tidy(rows, columns=("segment", "code", "coder")):
    return pd.DataFrame(rows, columns=list(columns))


# Two coders, five segments; s1 carries two codes; Ann applied A to s1 twice
# (counts once); s5 was coded by nobody.
#   A: Ann {s1, s2}, Ben {s1, s2}
#   B: Ann {s1},     Ben {s2}
#   C: Ann {s3},     Ben {s4}
TWO_CODERS = tidy(
    [
        ("s1", "A", "Ann"),
        ("s1", "A", "Ann"),
        ("s1", "B", "Ann"),
        ("s2", "A", "Ann"),
        ("s3", "C", "Ann"),
        ("s1", "A", "Ben"),
        ("s2", "A", "Ben"),
        ("s2", "B", "Ben"),
        ("s4", "C", "Ben"),
    ]
)
ALL_SEGMENTS = ["s1", "s2", "s3", "s4", "s5"]


def test_agreement_table_multicoded_and_uncoded_segments():
    table = agreement_table(TWO_CODERS, segments=ALL_SEGMENTS).set_index("code")
    assert list(table.index) == ["A", "B", "C", "overall"]
    # A: both 2, neither 3 (s3, s4, s5): agreement 1; pe = (2*2 + 3*3)/25, kappa 1.
    assert table.loc["A", ["n_units", "n_all", "n_some", "n_none"]].tolist() == [5, 2, 0, 3]
    assert table.loc["A", "percent_agreement"] == pytest.approx(1.0)
    assert table.loc["A", "kappa"] == pytest.approx(1.0)
    # B: only Ann s1, only Ben s2, neither 3: agreement 3/5;
    # pe = (1*1 + 4*4)/25 = 0.68, kappa = (0.6 - 0.68)/0.32 = -0.25;
    # alpha = 1 - (10 - 1) * 2 / (2 * 8) = -0.125.
    assert table.loc["B", ["n_by_Ann", "n_by_Ben", "n_only_Ann", "n_only_Ben"]].tolist() == [1, 1, 1, 1]
    assert table.loc["B", "percent_agreement"] == pytest.approx(0.6)
    assert table.loc["B", "kappa"] == pytest.approx(-0.25)
    assert table.loc["B", "alpha"] == pytest.approx(-0.125)
    assert table.loc["C", "kappa"] == pytest.approx(-0.25)
    # overall: 15 (segment, code) units, both 2, one 4, neither 9: agreement 11/15;
    # Ann 4, Ben 4: pe = (16 + 121)/225, kappa = (165 - 137)/(225 - 137) = 28/88.
    assert table.loc["overall", ["n_units", "n_by_Ann", "n_by_Ben"]].tolist() == [15, 4, 4]
    assert table.loc["overall", "percent_agreement"] == pytest.approx(11 / 15)
    assert table.loc["overall", "kappa"] == pytest.approx(28 / 88)
    assert (table["kappa_method"] == "Cohen").all()
    assert (table["reason"] == "").all()


def test_agreement_table_default_segments_are_those_coded():
    # without `segments`, s5 does not exist: B has agreement 2/4,
    # pe = (1 + 9)/16, kappa = (0.5 - 0.625)/0.375 = -1/3.
    table = agreement_table(TWO_CODERS).set_index("code")
    assert table.loc["B", "n_units"] == 4
    assert table.loc["B", "percent_agreement"] == pytest.approx(0.5)
    assert table.loc["B", "kappa"] == pytest.approx(-1 / 3)


def test_agreement_table_ignore_uncoded_maxqda_style():
    # per code only segments where someone applied it: A 2/2, B 0/2, C 0/2;
    # overall both / (both + only one) = 2 / (2 + 4).
    table = agreement_table(TWO_CODERS, segments=ALL_SEGMENTS, ignore_uncoded=True).set_index("code")
    assert table["n_units"].tolist() == [2, 2, 2, 6]
    assert table["n_none"].tolist() == [0, 0, 0, 0]
    assert table["percent_agreement"].tolist() == pytest.approx([1.0, 0.0, 0.0, 1 / 3])
    assert table["kappa"].isna().all() and table["alpha"].isna().all()
    assert table["reason"].str.contains("ignore_uncoded=True").all()


def test_agreement_table_undefined_kappa_gets_nan_and_reason():
    # D is in the codebook but nobody applied it; E applied by both to every segment.
    codings = pd.concat([TWO_CODERS, tidy([(s, "E", c) for s in ALL_SEGMENTS for c in ("Ann", "Ben")])])
    table = agreement_table(codings, segments=ALL_SEGMENTS, codes=["A", "B", "C", "D", "E"]).set_index("code")
    assert table.loc["D", "percent_agreement"] == 1.0  # absent for both everywhere
    assert np.isnan(table.loc["D", "kappa"]) and np.isnan(table.loc["D", "alpha"])
    assert table.loc["D", "reason"] == "no variation: no coder applied the code"
    assert np.isnan(table.loc["E", "kappa"])
    assert "every coder applied the code" in table.loc["E", "reason"]
    maxqda = agreement_table(codings, segments=ALL_SEGMENTS, codes=["A", "B", "C", "D", "E"], ignore_uncoded=True)
    d = maxqda.set_index("code").loc["D"]
    assert d["n_units"] == 0 and np.isnan(d["percent_agreement"])
    assert d["reason"] == "no segments counted: no coder applied the code"


def test_agreement_table_three_coders_by_hand():
    # Code A, coders X, Y, Z over s1..s4: X {s1, s2}, Y {s1}, Z {s1, s3}.
    # Coders applying A per segment: 3, 1, 1, 0. Pair agreement (m = 3):
    # 1, 1/3, 1/3, 1 -> mean 2/3. p1 = 5/12, Pe = (25 + 49)/144,
    # Fleiss kappa = (96 - 74)/(144 - 74) = 22/70.
    # Alpha: n = 12, ones 5, zeros 7, disagreement sum 1 + 1 = 2:
    # 1 - 11 * 2 / 35 = 13/35.
    codings = tidy(
        [("s1", "A", "X"), ("s2", "A", "X"), ("s1", "A", "Y"), ("s1", "A", "Z"), ("s3", "A", "Z"), ("s4", "B", "X")]
    )
    table = agreement_table(codings).set_index("code")
    row = table.loc["A"]
    assert row["percent_agreement"] == pytest.approx(2 / 3)
    assert row["kappa"] == pytest.approx(22 / 70)
    assert row["alpha"] == pytest.approx(13 / 35)
    assert row["kappa_method"] == "Fleiss"
    assert [row["n_all"], row["n_some"], row["n_none"]] == [1, 2, 1]
    assert "n_only_X" not in table.columns
    # and the scalar functions agree on the presence table
    presence = np.array([[1, 1, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert row["kappa"] == pytest.approx(fleiss_kappa(presence))
    assert row["alpha"] == pytest.approx(krippendorff_alpha(presence))


def test_agreement_table_selected_coders_and_column_names():
    codings = tidy(
        [("s1", "A", "X"), ("s1", "A", "Y"), ("s2", "A", "Z"), ("s2", "A", "X")], columns=("unit", "tag", "who")
    )
    table = agreement_table(codings, coders=["X", "Y"], segment_col="unit", code_col="tag", coder_col="who")
    # Z's rows are ignored; s2 still counts as a unit (X applied A there)
    a = table.set_index("code").loc["A"]
    assert [a["n_units"], a["n_by_X"], a["n_by_Y"]] == [2, 2, 1]


@st.composite
def tidy_codings(draw, max_coders=3):
    n_seg = draw(st.integers(1, 8))
    coders = ["c0", "c1", "c2"][: draw(st.integers(2, max_coders))]
    codes = ["A", "B", "C"]
    presence = draw(arrays(np.bool_, (n_seg, len(codes), len(coders))))
    rows = [(f"s{s}", codes[k], coders[j]) for s, k, j in zip(*np.nonzero(presence), strict=False)]
    return presence, coders, rows


def pairwise_agreement(units):
    """Percent agreement counted directly: per unit, the share of ordered pairs of distinct
    coders giving the same value; the mean over units."""
    m = units.shape[1]
    pairs = [(i, j) for i in range(m) for j in range(m) if i != j]
    return np.mean([np.mean([row[i] == row[j] for i, j in pairs]) for row in units])


def package_kappa(units):
    """Cohen's kappa (scikit-learn) with two coders, Fleiss' kappa (statsmodels) with more."""
    if units.shape[1] == 2:
        return cohen_kappa_score(units[:, 0], units[:, 1], labels=[0, 1])
    counts, _ = aggregate_raters(units, n_cat=2)
    return sm_fleiss_kappa(counts, method="fleiss")


@settings(max_examples=examples(50), deadline=None)
@given(tidy_codings())
def test_agreement_table_matches_the_packages(case):
    # Each code's presence matrix (segments x coders, 0/1) given to scikit-learn, statsmodels
    # and krippendorff directly, and percent agreement counted pair by pair.
    presence, coders, rows = case
    if not presence.any(axis=(0, 1)).all():
        return  # a listed coder without any coding is rejected (see validation test)
    segments = [f"s{s}" for s in range(presence.shape[0])]
    codings = tidy(rows)
    table = agreement_table(codings, segments=segments, coders=coders, codes=["A", "B", "C"]).set_index("code")
    per_code = [presence[:, k, :].astype(int) for k in range(3)]
    for code, units in zip(["A", "B", "C", "overall"], [*per_code, np.vstack(per_code)], strict=True):
        row = table.loc[code]
        assert row["percent_agreement"] == pytest.approx(pairwise_agreement(units))
        columns = ("kappa", "alpha") if code != "overall" else ("alpha",)  # overall kappa: pe from sums
        if units.min() == units.max():  # every coder gave every unit the same value
            assert all(np.isnan(row[c]) for c in columns) and row["reason"].startswith("no variation")
            continue
        if "kappa" in columns:
            assert row["kappa"] == pytest.approx(package_kappa(units), abs=1e-9)
        expected_alpha = krippendorff.alpha(units.T, level_of_measurement="nominal", value_domain=[0, 1])
        assert row["alpha"] == pytest.approx(expected_alpha, abs=1e-9)


def test_agreement_table_validation():
    with pytest.raises(InputError, match="a DataFrame with columns"):
        agreement_table([("s1", "A", "Ann")])
    with pytest.raises(
        InputError, match=r"expected columns \['segment', 'code', 'coder'\], found no column \['coder'\]"
    ):
        agreement_table(TWO_CODERS.drop(columns="coder"))
    with pytest.raises(InputError, match="at least one coding"):
        agreement_table(TWO_CODERS.iloc[:0])
    bad = TWO_CODERS.copy()
    bad.loc[2, "code"] = None
    bad.loc[3, "segment"] = np.nan
    with pytest.raises(InputError, match="a value in every row of codings") as err:
        agreement_table(bad)
    assert {p.field for p in err.value.problems} == {"segment", "code"}
    with pytest.raises(InputError, match="codings by at least two coders"):
        agreement_table(TWO_CODERS[TWO_CODERS.coder == "Ann"])
    with pytest.raises(InputError, match=r"coders that appear in codings \['Ann', 'Ben'\], found \['Bob'\]"):
        agreement_table(TWO_CODERS, coders=["Ann", "Bob"])
    with pytest.raises(InputError, match="at least two coders"):
        agreement_table(TWO_CODERS, coders=["Ann"])
    with pytest.raises(InputError, match=r"segments in codings but not in segments: \['s4'\]"):
        agreement_table(TWO_CODERS, segments=["s1", "s2", "s3"])
    with pytest.raises(InputError, match="each label once"):
        agreement_table(TWO_CODERS, segments=["s1", "s1", "s2", "s3", "s4"])
    with pytest.raises(InputError, match=r"codes in codings but not in codes: \['C'\]"):
        agreement_table(TWO_CODERS, codes=["A", "B"])
    with pytest.raises(ConfigError, match="True or False"):
        agreement_table(TWO_CODERS, ignore_uncoded="yes")
