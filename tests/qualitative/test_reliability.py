"""Study-level agreement: unit labels, Miles & Huberman, per level, stability."""

from __future__ import annotations

import pandas as pd
import pytest

from peerstudy.errors import InputError
from peerstudy.qualitative.reliability import (
    agreement_by_code,
    agreement_by_level,
    one_code_per_unit,
    reliability_summary,
    shared_documents,
    stability,
    unit_labels,
)

BOOK = pd.DataFrame(
    {
        "label": ["T", "C1", "C2", "S1", "S2", "S3"],
        "parent": [None, "T", "T", "C1", "C1", "C2"],
        "depth": [0, 1, 1, 2, 2, 2],
    },
    index=pd.Index(["T", "C1", "C2", "S1", "S2", "S3"], name="code"),
)


def codings(a, b):
    units = [f"u{i}" for i in range(len(a))]
    return pd.DataFrame({"segment": units * 2, "code": list(a) + list(b), "coder": ["A"] * len(a) + ["B"] * len(b)})


def test_miles_huberman_reading_of_study_b():
    # Lee, Kim & Park (2024): 160 units, 149 agreed, 11 disagreed -> 93.1%
    a = ["S1"] * 149 + ["S1"] * 11
    b = ["S1"] * 149 + ["S2"] * 11
    summary = reliability_summary(codings(a, b)).set_index("statistic")["value"]
    assert summary["units coded by every coder"] == 160
    assert summary["agreements"] == 149
    assert summary["percent agreement (Miles & Huberman)"] == 93.1


def test_two_coder_summary_equals_a_hand_computation():
    a, b = ["S1", "S2", "S3", "S1", "S2"], ["S1", "S2", "S3", "S2", "S2"]
    # By hand: 4 of 5 units agree -> 80%.
    # Cohen (1960): marginals A (S1, S2, S3) = (2, 2, 1), B = (1, 3, 1); p_o = 4/5,
    #   p_e = (2*1 + 2*3 + 1*1) / 25 = 9/25, kappa = (20/25 - 9/25) / (16/25) = 11/16 = .6875 -> .688.
    # Krippendorff (2011), nominal: 10 values, n_S1 = 3, n_S2 = 5, n_S3 = 2; the one disagreeing unit
    #   puts 2 into off-diagonal coincidences; sum of n_c n_k over c != k = 100 - (9 + 25 + 4) = 62;
    #   alpha = 1 - (10 - 1) * 2 / 62 = 22/31 = .7097 -> .710.
    summary = reliability_summary(codings(a, b)).set_index("statistic")["value"]
    assert summary["percent agreement (Miles & Huberman)"] == 80.0
    assert summary["Cohen's kappa"] == 0.688
    assert summary["Krippendorff's alpha"] == 0.710


def test_two_coder_summary_reproduces_published_values():
    # irrCAC R package (Gwet), data set cont3x3abstractors: 2 abstractors, 100 pregnancies,
    # table [[13, 0, 0], [0, 20, 7], [0, 4, 56]]. Published: pa2.table 0.89, kappa2.table
    # 0.7964094, krippen2.table 0.7972585.
    table = [[13, 0, 0], [0, 20, 7], [0, 4, 56]]
    labels = ["S1", "S2", "S3"]
    pairs = [(labels[i], labels[j]) for i in range(3) for j in range(3) for _ in range(table[i][j])]
    summary = reliability_summary(codings(*zip(*pairs, strict=True))).set_index("statistic")["value"]
    assert summary["agreements"] == 89
    assert summary["percent agreement (Miles & Huberman)"] == 89.0
    assert summary["Cohen's kappa"] == 0.796
    assert summary["Krippendorff's alpha"] == 0.797


def test_three_coder_summary_uses_fleiss_kappa_equal_to_a_hand_computation():
    # Units u1 x x x, u2 y y y, u3 x x y, u4 x y y; 2 of 4 units agree -> 50%.
    # Fleiss (1971): P_i = (sum_j n_ij^2 - 3) / 6 = 1, 1, 1/3, 1/3, mean 2/3; p_x = p_y = 6/12,
    #   P_e = 1/2, kappa = (2/3 - 1/2) / (1/2) = 1/3 -> .333.
    # Krippendorff (2011), nominal: n = 12 (6 x, 6 y); o_xy = 2*1/2 + 1*2/2 = 2, so the off-diagonal
    #   coincidences sum to 4; sum of n_c n_k over c != k = 144 - 72 = 72; alpha = 1 - 11 * 4 / 72 = .389.
    rows = [("u1", "xxx"), ("u2", "yyy"), ("u3", "xxy"), ("u4", "xyy")]
    three = pd.DataFrame(
        [(unit, code, coder) for unit, codes in rows for coder, code in zip("ABC", codes, strict=True)],
        columns=["segment", "code", "coder"],
    )
    summary = reliability_summary(three).set_index("statistic")["value"]
    assert (summary["agreements"], summary["disagreements"]) == (2, 2)
    assert summary["percent agreement (Miles & Huberman)"] == 50.0
    assert summary["Fleiss' kappa"] == 0.333
    assert summary["Krippendorff's alpha"] == 0.389


def test_one_coder_is_not_applicable():
    single = pd.DataFrame({"segment": ["u1"], "code": ["S1"], "coder": ["A"]})
    assert "does not apply" in reliability_summary(single)["detail"].iloc[0]


def test_one_code_throughout_gives_percent_agreement_and_says_the_coefficients_are_not_computable():
    # three units, both coders gave each the same code S1: 100% agreement by hand; Cohen's
    # expected agreement is 1 (kappa = 0/0), and alpha has no disagreement to expect
    summary = reliability_summary(codings(["S1"] * 3, ["S1"] * 3)).set_index("statistic")
    assert summary.loc["percent agreement (Miles & Huberman)", "value"] == 100.0
    for coefficient in ("Cohen's kappa", "Krippendorff's alpha"):
        assert pd.isna(summary.loc[coefficient, "value"])
        assert summary.loc[coefficient, "detail"].startswith("not computable: every unit was given the same code")


def test_two_codes_for_one_unit_is_an_error_for_unit_level_agreement():
    bad = pd.DataFrame(
        {
            "segment": ["u1", "u1", "u1"],
            "code": ["S1", "S2", "S1"],
            "coder": ["A", "A", "B"],
            "sheet": ["a.csv"] * 3,
            "row": [2, 3, 2],
        }
    )
    with pytest.raises(InputError, match=r"a\.csv, row 2, field 'code': expected one code per unit and coder"):
        unit_labels(bad, ["A", "B"])


def test_agreement_by_level_lifts_codes_to_their_ancestors():
    # u0: S1/S2 agree on C1; u1: S1/S3 disagree on category; u2: S3/S3 agree.
    table = agreement_by_level(codings(["S1", "S1", "S3"], ["S2", "S3", "S3"]), BOOK, depth=1).set_index("code")
    assert table.loc["C1", ["units", "agreed", "percent_agreement"]].tolist() == [2, 1, 50.0]
    assert table.loc["C2", ["units", "agreed", "percent_agreement"]].tolist() == [2, 1, 50.0]
    theme = agreement_by_level(codings(["S1", "S1", "S3"], ["S2", "S3", "S3"]), BOOK, depth=0).set_index("code")
    assert theme.loc["T", "percent_agreement"] == 100.0


def test_stability_counts_matches_with_the_consensus():
    consensus = pd.DataFrame({"segment": ["u1", "u2", "u3"], "code": ["S1", "S2", "S3"]})
    recoded = pd.DataFrame({"segment": ["u1", "u2", "u3"], "code": ["S1", "S2", "S1"], "coder": ["C"] * 3})
    assert stability(consensus, recoded).iloc[0].to_dict() == {
        "coder": "C",
        "units": 3,
        "same": 2,
        "percent_agreement": 66.7,
    }


# Eight units coded by two coders with several codes on some units (the compared part of
# tests/fixtures/own-interviews): AA / BB per unit.
MULTI = [
    ("U1", "listening", "listening"),
    ("U2", "practical", "practical"),
    ("U3", "time", "time"),
    ("U4", "listening", "listening"),
    ("U5", "stigma", "stigma"),
    ("U6", "listening practical", "listening practical"),
    ("U7", "time stigma", "time"),
    ("U8", "listening", "stigma"),
]
FLAT = pd.DataFrame(
    {
        "label": ["Support", "Listening", "Practical", "Barriers", "Time", "Stigma"],
        "parent": [None, "support", "support", None, "barriers", "barriers"],
        "depth": [0, 1, 1, 0, 1, 1],
    },
    index=pd.Index(["support", "listening", "practical", "barriers", "time", "stigma"], name="code"),
)


def multi_codings():
    rows = [(u, c, coder) for u, a, b in MULTI for coder, codes in (("AA", a), ("BB", b)) for c in codes.split()]
    return pd.DataFrame(rows, columns=["segment", "code", "coder"])


def test_per_code_agreement_over_the_presence_matrix_equals_a_hand_computation():
    # By hand (2x2 tables of presence over the 8 units):
    # listening: both U1 U4 U6, AA only U8, neither 4 -> 7/8 = 87.5%; pe = (4/8)(3/8) + (4/8)(5/8) = .5,
    #   kappa = (.875 - .5) / .5 = .75.  practical, time: both on 2, neither on 6 -> 100%, kappa 1.
    # stigma: both U5, AA only U7, BB only U8 -> 6/8 = 75%; pe = (2/8)^2 + (6/8)^2 = .625, kappa = .125/.375 = .333.
    # overall (32 cells): 29 agree -> 90.6%; pe = (10/32)(9/32) + (22/32)(23/32) = 596/1024, kappa 332/428 = .776.
    table = agreement_by_code(multi_codings(), FLAT, depth=1).set_index("code")
    assert table.loc["listening", ["percent_agreement", "kappa"]].tolist() == [87.5, 0.75]
    assert table.loc["practical", ["percent_agreement", "kappa"]].tolist() == [100.0, 1.0]
    assert table.loc["stigma", ["percent_agreement", "kappa"]].tolist() == [75.0, 0.333]
    assert table.loc["overall", ["percent_agreement", "kappa"]].tolist() == [90.6, 0.776]


def test_several_codes_per_unit_give_the_pooled_summary_not_an_error():
    summary = reliability_summary(multi_codings()).set_index("statistic")["value"]
    assert not one_code_per_unit(multi_codings())
    # counted by hand above: 8 units x 4 codes = 32 cells, 29 agreed
    assert (summary["units"], summary["unit × code cells"], summary["cells agreed"]) == (8, 32, 29)
    assert summary["percent agreement (pooled over codes)"] == 90.6
    assert summary["Cohen's kappa (pooled over codes)"] == 0.776


def test_agreement_is_over_the_documents_every_coder_coded():
    segments = pd.DataFrame({"segment": ["s1", "s2", "s3"], "document": ["d1", "d1", "d2"]})
    cods = pd.DataFrame(
        {"segment": ["s1", "s1", "s2", "s3"], "code": ["a", "a", "b", "a"], "coder": ["X", "Y", "X", "X"]}
    )
    assert shared_documents(cods, segments)["segment"].tolist() == ["s1", "s1", "s2"]
