"""Key figures: computed from the tables, compared with what the paper published."""

from __future__ import annotations

import json

import pytest

from peerstudy.config import PROJECT_ROOT
from peerstudy.keyfigures import compare_published, flatten, read_published

PUBLISHED = "studies/supporter-survey/published.yaml"

# Study A's figures as issue 2 requires them (Yamashita et al., accepted 25 Sep 2017):
# 23 questionnaires handed out, 20 returned (87.0%); age 42.1 ± 14.1, range 29-61;
# 14 (70.0%) with previous peer support experience.
REQUIRED = {"n_distributed": 23, "n_returned": 20, "response_rate_pct": 87.0, "age_mean": 42.1, "age_sd": 14.1,
            "age_min": 29, "age_max": 61, "experienced_n": 14, "experienced_pct": 70.0}


def test_published_file_holds_the_required_figures():
    published = read_published(PUBLISHED)
    for key, value in REQUIRED.items():
        assert published[key] == value
    assert set(published["categories"]) == {"motivation", "fulfilment", "issues"}
    assert sum(published["diagnosis"].values()) == 20


def test_committed_key_figures_reproduce_every_published_figure():
    figures = json.loads((PROJECT_ROOT / "reports/supporter-survey/key-figures.json").read_text())
    comparison = compare_published(figures, read_published(PUBLISHED))
    mismatched = comparison[~comparison["match"]]
    assert mismatched.empty, mismatched.to_string()
    assert len(comparison) == len(flatten(read_published(PUBLISHED)))


def test_comparison_flags_a_difference_and_a_missing_figure():
    table = compare_published({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}, "d": 4})
    assert table["match"].tolist() == [True, False, False]
    assert table["reproduced"].isna().tolist() == [False, False, True]


def test_published_file_needs_a_source(tmp_path):
    from peerstudy.errors import InputError

    (tmp_path / "p.yaml").write_text("figures: {a: 1}\n")
    with pytest.raises(InputError, match="expected 'source:'"):
        read_published(tmp_path / "p.yaml")
