"""Key figures: computed from the tables, compared with what the paper published."""

from __future__ import annotations

import json

import pytest

from peerstudy.config import PROJECT_ROOT
from peerstudy.report.keyfigures import compare_published, flatten, read_published

PUBLISHED = "studies/supporter-survey/published.yaml"

# Study A's figures as issue 2 requires them (Yamashita et al., accepted 25 Sep 2017):
# 23 questionnaires handed out, 20 returned (87.0%); age 42.1 ± 14.1, range 29-61;
# 14 (70.0%) with previous peer support experience.
REQUIRED = {
    "n_distributed": 23,
    "n_returned": 20,
    "response_rate_pct": 87.0,
    "age_mean": 42.1,
    "age_sd": 14.1,
    "age_min": 29,
    "age_max": 61,
    "experienced_n": 14,
    "experienced_pct": 70.0,
}


def test_published_file_holds_the_required_figures():
    published = read_published(PUBLISHED)
    for key, value in REQUIRED.items():
        assert published[key] == value
    assert set(published["categories"]) == {"motivation", "fulfilment", "issues"}
    assert sum(published["diagnosis"].values()) == 20


# Study B's figures as issue 4 requires them (Lee, Kim & Park 2024, Int J Ment Health
# Promot 26(4):251-260): 6 professionals, 1 male / 5 female, mean age 36.2 (26-50), mean
# service 6.5 years (3-5: 3, 6-9: 2, 10+: 1); 160 units, 149 statements, 93.1% agreement;
# 4 themes, 8 categories, 24 subcategories.
REQUIRED_B = {
    "n_participants": 6,
    "sex": {"male": 1, "female": 5},
    "age_mean": 36.2,
    "age_min": 26,
    "age_max": 50,
    "service_years_mean": 6.5,
    "service_years_groups": {"3-5": 3, "6-9": 2, "10+": 1},
    "n_units_coded": 160,
    "n_statements": 149,
    "percent_agreement": 93.1,
    "n_subcategories": 24,
    "n_categories": 8,
    "n_themes": 4,
}


@pytest.mark.parametrize("study, required", [("supporter-survey", REQUIRED), ("professional-interviews", REQUIRED_B)])
def test_committed_key_figures_reproduce_every_published_figure(study, required):
    figures = json.loads((PROJECT_ROOT / f"reports/{study}/key-figures.json").read_text())
    published = read_published(f"studies/{study}/published.yaml")
    for key, value in required.items():
        assert published[key] == value, key
    comparison = compare_published(figures, published)
    mismatched = comparison[~comparison["match"]]
    assert mismatched.empty, mismatched.to_string()
    assert len(comparison) == len(flatten(published))


def test_study_b_computes_the_unpublished_coefficients():
    figures = json.loads((PROJECT_ROOT / "reports/professional-interviews/key-figures.json").read_text())
    for key in ("cohen_kappa", "krippendorff_alpha", "third_coder_agreement"):
        assert isinstance(figures[key], float)


def test_comparison_flags_a_difference_and_a_missing_figure():
    table = compare_published({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}, "d": 4})
    assert table["match"].tolist() == [True, False, False]
    assert table["reproduced"].isna().tolist() == [False, False, True]


def test_published_file_needs_a_source(tmp_path):
    from peerstudy.errors import InputError

    (tmp_path / "p.yaml").write_text("figures: {a: 1}\n")
    with pytest.raises(InputError, match="expected 'source:'"):
        read_published(tmp_path / "p.yaml")


def test_figures_that_are_not_numbers_are_null():
    # a coefficient the reliability table says is not computable, and a number field nobody
    # answered: JSON has no NaN (json.dumps refuses it with allow_nan=False), so they are null
    import pandas as pd

    from peerstudy.report.keyfigures import interview_key_figures

    people = pd.DataFrame({"participant": ["P1", "P2"], "age": [None, None]})
    book = pd.DataFrame({"depth": [0]}, index=pd.Index(["a"], name="code"))
    cods = pd.DataFrame({"segment": ["s"], "code": ["a"], "coder": ["X"]})
    reliability = pd.DataFrame(
        {"statistic": ["percent agreement (Miles & Huberman)", "Cohen's kappa"], "value": [100.0, float("nan")]}
    )
    key = interview_key_figures(people, cods, cods, book, reliability, pd.DataFrame(), characteristics=["age"],
                                continuous=["age"])  # fmt: skip
    assert (key["percent_agreement"], key["cohen_kappa"]) == (100.0, None)
    assert (key["age_mean"], key["age_min"], key["age_max"]) == (None, None, None)
    json.dumps(key, allow_nan=False)
