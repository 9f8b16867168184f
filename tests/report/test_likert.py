"""Likert items and scales (peerstudy.report.likert), the figures of declared fields
(peerstudy.report.fieldfigures) and the survey's characteristics and key figures by declared type.

Expected values come from a published value (Cronbach's alpha of the LSAT data) and from
hand computations written out in the comments."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from helpers import FIXTURES
from peerstudy.cleaning.surveyfields import read_fields
from peerstudy.errors import ConfigError
from peerstudy.report.fieldfigures import FIGURE_BY_TYPE, option_counts, plot_characteristics, plot_field
from peerstudy.report.keyfigures import survey_key_figures
from peerstudy.report.likert import cronbach_alpha, likert_distribution, likert_fields, likert_summary, scale_table
from peerstudy.report.surveytables import survey_characteristics

OWN = FIXTURES / "own-survey"

# The LSAT section 6 data (Bock & Lieberman 1970, Psychometrika 35:179-197, Table 1): 1000
# examinees, five items scored 0/1, as the frequency of each of the 32 response patterns
# (pattern 00000 first, item 1 the leftmost digit). The item proportions correct they give,
# .924 .709 .553 .763 .870, are checked below as a guard against a mistyped frequency.
LSAT_FREQUENCIES = [3, 6, 2, 11, 1, 1, 3, 4, 1, 8, 0, 16, 0, 3, 2, 15,
                    10, 29, 14, 81, 3, 28, 15, 80, 16, 56, 21, 173, 11, 61, 28, 298]  # fmt: skip


def lsat() -> pd.DataFrame:
    patterns = list(itertools.product([0, 1], repeat=5))
    rows = [pattern for pattern, n in zip(patterns, LSAT_FREQUENCIES, strict=True) for _ in range(n)]
    return pd.DataFrame(rows, columns=[f"item{i}" for i in range(1, 6)])


def test_cronbach_alpha_of_the_lsat_data_is_the_published_value():
    data = lsat()
    assert len(data) == 1000
    assert data.mean().round(3).tolist() == [0.924, 0.709, 0.553, 0.763, 0.870]
    # Rizopoulos (2006), "ltm: an R package for latent variable modelling and item response
    # theory analyses", J Stat Softw 17(5), descript(LSAT): "Cronbach's alpha: All Items 0.2950"
    alpha, (low, high) = cronbach_alpha(data)
    assert round(alpha, 4) == 0.2950
    assert low < alpha < high


def test_cronbach_alpha_by_hand():
    # Three respondents, two items: a = (1, 2, 3), b = (1, 3, 2). Item variances 1 and 1;
    # totals (2, 5, 5) have variance ((2-4)² + 1 + 1) / 2 = 3.
    # alpha = 2/1 × (1 - 2/3) = 2/3.
    alpha, _ = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [1, 3, 2]}))
    assert alpha == pytest.approx(2 / 3)
    # a respondent with an item unanswered is left out (listwise)
    alpha, _ = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 5], "b": [1, 3, 2, None]}))
    assert alpha == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def own():
    """The own-survey fixture's export, cleaned."""
    from peerstudy.cleaning.clean import clean_export

    fields = read_fields(OWN / "fields.yaml")
    return fields, clean_export(OWN / "export.csv", fields, text_fields=["helped", "change"])


def test_own_survey_flow_and_documents(own):
    fields, survey = own
    # Hand count from export.csv (also in fields.yaml): 12 rows; preview R_1aKd02; unfinished
    # R_1aKd04 (progress 40) and R_1aKd09 (10); no consent R_1aKd06; 8 analysed.
    assert survey.flow[["step", "reason", "n"]].values.tolist() == [
        ["received", "", 12],
        ["excluded", "survey preview", 1],
        ["excluded", "did not finish", 2],
        ["excluded", "consent not given", 1],
        ["excluded", "not returned (no answers)", 0],
        ["excluded", "identical double entry", 0],
        ["analysed", "", 8],
    ]
    excluded = {"R_1aKd02", "R_1aKd04", "R_1aKd06", "R_1aKd09"}
    assert not excluded & set(survey.participants["participant"])
    assert not excluded & set(survey.documents["participant"])
    # free-text answers of the 8: helped blank for R_1aKd07, change blank for R_1aKd03 and R_1aKd10
    assert len(survey.documents) == 7 + 6
    assert "The coffee mornings." not in set(survey.documents["text"])  # R_1aKd04, unfinished


def test_own_survey_likert_summary_by_hand(own):
    fields, survey = own
    summary = likert_summary(survey.participants, likert_fields(fields)).set_index("item")
    # Answers as given (scores 1-5), by hand from export.csv:
    # listened   2 3 4 4 4 5 5 5  n 8, median 4, q1 = 3 + .75(4-3) = 3.75, q3 = 5, agree 6/8
    # understood 3 3 4 4 4 4 5 5  n 8, median 4, q1 3.75, q3 = 4 + .25(5-4) = 4.25, agree 6/8
    # hopeful    2 3 3 4 4 4 5 5  n 8, median 4, q1 3, q3 4.25, agree 5/8
    # judged     1 1 1 2 2 2 3 4  n 8, median 2, q1 1, q3 2.25, agree 1/8 (as worded; reverse-scored)
    # confident  2 3 3 4 4 5 5    n 7 (R_1aKd11 left it blank), median 4, q1 (h = 1.5) 3,
    #            q3 (h = 4.5) 4 + .5(5-4) = 4.5, agree 4/7 = 57.1
    # (quartiles: linear interpolation at h = (n - 1)p, Hyndman & Fan type 7)
    expected = {
        "listened": [8, 4.0, 3.75, 5.0, 75.0],
        "understood": [8, 4.0, 3.75, 4.25, 75.0],
        "hopeful": [8, 4.0, 3.0, 4.25, 62.5],
        "judged": [8, 2.0, 1.0, 2.25, 12.5],
        "confident": [7, 4.0, 3.0, 4.5, 57.1],
    }
    for item, values in expected.items():
        assert summary.loc[item, ["n", "median", "q1", "q3", "pct_agree"]].tolist() == values, item
    assert summary.loc["judged", "reverse_scored"] == "yes"
    assert summary.loc["listened", "agree_levels"] == "Agree; Strongly agree"
    distribution = likert_distribution(survey.participants, likert_fields(fields)).set_index("item")
    # listened: Disagree 1, Neither 1, Agree 3, Strongly agree 3 of 8; named by its label
    # in tests/fixtures/own-survey/fields.yaml
    assert distribution.loc["listened"].tolist() == [
        "I feel listened to",
        8,
        "0 (0.0)",
        "1 (12.5)",
        "1 (12.5)",
        "3 (37.5)",
        "3 (37.5)",
    ]


def test_own_survey_scale_by_hand(own):
    fields, survey = own
    scale = scale_table(survey.participants, fields, {"support": ["listened", "understood", "hopeful", "judged",
                                                                  "confident"]}).iloc[0]  # fmt: skip
    # The 7 respondents with every item (judged reversed: 6 - score):
    #   5 4 4 5 4 | 4 4 3 4 3 | 5 5 5 5 5 | 2 3 2 2 2 | 4 5 4 4 4 | 3 3 3 3 3 | 5 4 4 4 5
    # Sums of squared deviations of the items: 8, 4, 40/7, 48/7, 52/7 (together 32); of the
    # totals (22 18 25 11 21 15 22, sum 134): 2704 - 134²/7 = 972/7.
    # alpha = 5/4 × (1 - 32 / (972/7)) = 935/972 = 0.962; scale mean 134 / 35 = 3.83,
    # SD sqrt((972/7) / 6) / 5 = 0.96.
    assert scale["n"] == 7 and scale["reverse_scored"] == "judged"
    assert scale["cronbach_alpha"] == round(935 / 972, 3)
    assert (scale["mean"], scale["sd"]) == (3.83, 0.96)


def test_a_scale_too_few_answered_in_full_says_alpha_is_not_computable(own):
    # one respondent (the first of the seven above) answered every item; alpha needs the
    # variance over two at least (pingouin stopped on an assertion)
    fields, survey = own
    items = ["listened", "understood", "hopeful", "judged", "confident"]
    people = survey.participants.copy()
    complete = people[items].notna().all(axis=1)
    people.loc[complete[complete].index[1:], "listened"] = None
    scale = scale_table(people, fields, {"support": items}).iloc[0]
    assert scale["n"] == 1 and pd.isna(scale["cronbach_alpha"])
    assert scale["alpha_ci95"] == "not computable: fewer than 2 respondents answered every item"


def test_scales_name_only_declared_likert_items(own):
    fields, _ = own
    with pytest.raises(ConfigError) as info:
        scale_table(pd.DataFrame({"participant": []}), fields, {"s": ["listened", "years", "nope"]})
    found = [p.found for p in info.value.problems]
    assert found == ["'years' of type 'number'", "'nope'"]


def test_multi_counts_per_option_and_characteristics(own):
    fields, survey = own
    counts, answered = option_counts(survey.participants["supports"], fields["supports"])
    # By hand: groups R01 R05 R08 R12 = 4; one-to-one R03 R05 R10 = 3; online R01 R07 R12 = 3;
    # telephone R05 R10 = 2; R_1aKd11 left the question blank: 7 answered
    assert counts.to_dict() == {
        "Groups, in person": 4,
        "One-to-one, in person": 3,
        "Online, by video or chat": 3,
        "Telephone": 2,
    }
    assert answered == 7
    table = survey_characteristics(survey.participants, fields, ["role", "years", "supports", "judged"])
    values = dict(zip(table["characteristic"] + "|" + table["level"], table["value"], strict=True))
    # years: 0.5 3 1.25 2 0.75 10 4.5 6 -> mean 28/8 = 3.5; roles 4 service users, 3 peer workers, 1 family
    # rows are named by the fields' labels (tests/fixtures/own-survey/fields.yaml)
    assert values["Years in peer support, mean (SD)|"].startswith("3.5 (")
    assert values["Role, n (%)|service user"] == "4 (50.0)"
    assert values["Kinds of peer support used, n (%)|Groups, in person"] == "4 (57.1)"
    judged = "I feel judged by my peer worker, n (%)"
    assert values[f"{judged}|Strongly disagree"] == "3 (37.5)"  # as given, not reverse-scored
    # a Likert item's levels in the order of the scale the fields file declares, not by frequency
    declared = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
    shown = table.loc[table["characteristic"] == judged, "level"].tolist()
    assert shown == [level for level in declared if level in shown] and len(shown) >= 2


def test_one_figure_per_declared_field_chosen_by_type(own):
    fields, survey = own
    names = ["role", "years", "supports", "listened"]
    figures = plot_characteristics(survey.participants, fields, names)
    assert list(figures) == names
    titles = {name: fig.axes[0].get_title() for name, fig in figures.items()}
    assert titles["role"] == "Role" and titles["years"] == "Years in peer support (n = 8)"
    # bars: one per category; histogram: patches add up to the 8 answers; options: 4 bars
    assert len(figures["role"].axes[0].patches) == 3
    assert sum(p.get_height() for p in figures["years"].axes[0].patches) == 8
    assert len(figures["supports"].axes[0].patches) == 4
    # diverging bar: the disagreeing share (Disagree 12.5 + half the middle 6.25) starts left of 0
    left = min(p.get_x() for p in figures["listened"].axes[0].patches)
    assert left == pytest.approx(-18.75)
    assert set(FIGURE_BY_TYPE) >= {"category", "boolean", "likert", "integer", "number", "multi"}
    with pytest.raises(ConfigError):
        plot_field(survey.participants["helped"] if "helped" in survey.participants else pd.Series([]),
                   fields["helped"])  # fmt: skip


def test_a_field_nobody_answered_still_gets_its_figure(own):
    # the same fields, every answer blanked: a figure of each type saying there is nothing
    # (plot_counts set its axis to NaN on no answers before)
    fields, survey = own
    names = ["role", "years", "supports", "listened"]
    blank = pd.DataFrame({name: [None] * len(survey.participants) for name in names}, dtype=object)
    figures = plot_characteristics(blank, fields, names)
    assert [t.get_text() for t in figures["role"].axes[0].texts] == ["No answers"]
    assert len(figures["role"].axes[0].patches) == 0
    assert figures["years"].axes[0].get_title() == "Years in peer support (n = 0)"
    for fig in figures.values():
        plt.close(fig)


def test_survey_key_figures_from_the_flow(own):
    fields, survey = own
    codebook = pd.DataFrame({"label": ["What helped"], "parent": [None]}, index=pd.Index(["helped"], name="code"))
    codings = pd.DataFrame({"segment": [], "code": []})
    args = (survey.flow, survey.questionnaires, survey.participants, codings, codebook)
    key = survey_key_figures(*args, fields=fields, characteristics=["role", "years", "supports"], distributed=15)
    # 8 analysed of 15 invited: 53.3%; the 12 rows received, 4 excluded
    assert (key["n_received"], key["n_returned"], key["n_distributed"], key["response_rate_pct"]) == (12, 8, 15, 53.3)
    assert key["excluded"]["did not finish"] == 2
    assert key["years_mean"] == 3.5 and (key["years_min"], key["years_max"]) == (0.5, 10)
    assert key["role"] == {"service user": 4, "peer worker": 3, "family member": 1}
    assert key["supports"]["Telephone"] == 2
    # nothing declares how many were invited and the export lists no unreturned questionnaires: no rate
    key = survey_key_figures(*args, fields=fields, characteristics=[])
    assert "response_rate_pct" not in key and "n_distributed" not in key
