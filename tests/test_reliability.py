"""Study-level agreement: unit labels, Miles & Huberman, per level, stability."""

from __future__ import annotations

import pandas as pd
import pytest

from peerstudy.agreement import cohen_kappa
from peerstudy.errors import InputError
from peerstudy.reliability import agreement_by_level, reliability_summary, stability, unit_labels

BOOK = pd.DataFrame({"label": ["T", "C1", "C2", "S1", "S2", "S3"], "parent": [None, "T", "T", "C1", "C1", "C2"],
                     "depth": [0, 1, 1, 2, 2, 2]}, index=pd.Index(["T", "C1", "C2", "S1", "S2", "S3"], name="code"))


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


def test_kappa_equals_the_direct_computation():
    a, b = ["S1", "S2", "S3", "S1", "S2"], ["S1", "S2", "S3", "S2", "S2"]
    summary = reliability_summary(codings(a, b)).set_index("statistic")["value"]
    assert summary["Cohen's kappa"] == round(cohen_kappa(a, b), 3)


def test_one_coder_is_not_applicable():
    single = pd.DataFrame({"segment": ["u1"], "code": ["S1"], "coder": ["A"]})
    assert "does not apply" in reliability_summary(single)["detail"].iloc[0]


def test_two_codes_for_one_unit_is_an_error_for_unit_level_agreement():
    bad = pd.DataFrame({"segment": ["u1", "u1", "u1"], "code": ["S1", "S2", "S1"], "coder": ["A", "A", "B"],
                        "sheet": ["a.csv"] * 3, "row": [2, 3, 2]})
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
    assert stability(consensus, recoded).iloc[0].to_dict() == {"coder": "C", "units": 3, "same": 2,
                                                                "percent_agreement": 66.7}
