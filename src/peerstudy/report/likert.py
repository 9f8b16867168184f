"""Likert items and scales: per item summaries, the full distribution, scale scores and
Cronbach's alpha, all from the declared ``likert`` fields of a survey.

Cleaning (:mod:`peerstudy.cleaning.clean`) keeps each Likert answer as its score, reverse-scored
where the field declares ``reverse: true``. The item summaries describe the answers as
given (a reverse-scored item is turned back and flagged), so "% agree" means agreeing with
the statement as it was worded; the scale scores and alpha use the reverse-scored values.

* per item (:func:`likert_summary`): n, median, first and third quartile (linear
  interpolation between order statistics: Hyndman & Fan type 7, R's and pandas' default),
  IQR, % agree (the levels the field declares under ``agree``, by default the levels above
  the midpoint of its scale), which levels count as agreeing, and whether it is reverse-scored;
* the distribution (:func:`likert_distribution`): n (%) per level, levels as columns;
* scales (:func:`scale_table`): items, respondents who answered every item, the mean and
  SD of the scale score (the mean of its items' scores), and Cronbach's alpha with its 95%
  confidence interval, from ``pingouin.cronbach_alpha`` (listwise: respondents with every
  item answered).

Examples
--------
>>> from peerstudy.cleaning.surveyfields import FieldSpec
>>> spec = FieldSpec("calm", "Q1", "likert", levels=((1, "No"), (2, "Unsure"), (3, "Yes")), agree=(3,))
>>> people = pd.DataFrame({"calm": pd.array([1, 3, 3, None], dtype="Int64")})
>>> likert_summary(people, [spec])[["item", "n", "median", "pct_agree"]].to_dict("records")
[{'item': 'calm', 'n': 3, 'median': 3.0, 'pct_agree': 66.7}]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from peerstudy.cleaning.surveyfields import Fields, FieldSpec
from peerstudy.errors import ConfigError, Problem

__all__ = [
    "likert_fields",
    "answered_scores",
    "likert_summary",
    "likert_distribution",
    "cronbach_alpha",
    "scale_scores",
    "scale_table",
]


def likert_fields(fields: Fields, names: Sequence[str] = (), *, parameter: str = "likert_items") -> list[FieldSpec]:
    """The declared Likert fields named in ``names`` (empty: every declared Likert field).

    Raises
    ------
    ConfigError
        Naming every entry of ``names`` that is not a declared ``likert`` field.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import read_fields
    >>> [s.name for s in likert_fields(read_fields("tests/fixtures/surveys/qualtrics_flow.yaml"))]
    ['supported', 'talk', 'alone']
    """
    if not names:
        return [s for s in fields.specs if s.type == "likert"]
    problems = [
        Problem(
            file=fields.file,
            field=parameter,
            expected=f"names of likert fields declared in {fields.file}",
            found=repr(name) if name not in fields.names else f"{name!r} of type {fields[name].type!r}",
            fix=f"declare {name!r} as a likert field (type: likert, levels: ...), or remove it from {parameter}",
        )
        for name in names
        if name not in fields.names or fields[name].type != "likert"
    ]
    if problems:
        raise ConfigError(problems)
    return [fields[name] for name in names]


def answered_scores(values: pd.Series, spec: FieldSpec) -> pd.Series:
    """The scores of the answers as given: a reverse-scored item's cleaned scores turned back.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import FieldSpec
    >>> spec = FieldSpec("alone", "Q3", "likert", levels=((1, "a"), (2, "b"), (3, "c")), reverse=True)
    >>> answered_scores(pd.Series([1, 3, None], dtype="Int64"), spec).tolist()
    [3.0, 1.0, nan]
    """
    scores = values.astype("Float64").astype("float64")
    if spec.reverse:
        scores = spec.levels[0][0] + spec.levels[-1][0] - scores
    return scores


def likert_summary(participants: pd.DataFrame, items: Sequence[FieldSpec]) -> pd.DataFrame:
    """One row per Likert item: n, median, quartiles, IQR, % agree (answers as given).

    Returns
    -------
    pandas.DataFrame
        ``item``, ``question`` (the field's label, else its column), ``n``, ``median``,
        ``q1``, ``q3``, ``iqr``, ``pct_agree`` (of those who answered, one decimal),
        ``agree_levels`` (the labels counted as agreeing), ``reverse_scored``.
    """
    rows = []
    for spec in items:
        scores = answered_scores(participants[spec.name], spec).dropna()
        labels = dict(spec.levels)
        n = len(scores)
        rows.append(
            {
                "item": spec.name,
                "question": spec.label or spec.column,
                "n": n,
                "median": float(scores.median()) if n else float("nan"),
                "q1": float(scores.quantile(0.25)) if n else float("nan"),
                "q3": float(scores.quantile(0.75)) if n else float("nan"),
                "pct_agree": round(100 * float(scores.isin(spec.agree).sum()) / n, 1) if n else float("nan"),
                "agree_levels": "; ".join(labels[s] for s in spec.agree),
                "reverse_scored": "yes" if spec.reverse else "no",
            }
        )
    frame = pd.DataFrame(rows, columns=["item", "question", "n", "median", "q1", "q3", "pct_agree", "agree_levels",
                                        "reverse_scored"])  # fmt: skip
    frame.insert(6, "iqr", frame["q3"] - frame["q1"])
    return frame.astype({"n": "int64"})


def likert_distribution(participants: pd.DataFrame, items: Sequence[FieldSpec]) -> pd.DataFrame:
    """The full distribution of each item's answers as given: one column per level
    (labels, lowest first; items with other levels add theirs), cells ``n (%)``, % of
    those who answered the item; ``n`` the number who answered; ``question`` the item's
    declared label (else its column), as in :func:`likert_summary`.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import FieldSpec
    >>> spec = FieldSpec("calm", "Q1", "likert", levels=((1, "No"), (2, "Yes")), label="I feel calm")
    >>> likert_distribution(pd.DataFrame({"calm": pd.array([1, 2, 2], dtype="Int64")}), [spec]).iloc[0].to_dict()
    {'item': 'calm', 'question': 'I feel calm', 'n': 3, 'No': '1 (33.3)', 'Yes': '2 (66.7)'}
    """
    columns = list(dict.fromkeys(label for spec in items for _, label in spec.levels))
    rows = []
    for spec in items:
        scores = answered_scores(participants[spec.name], spec).dropna()
        counts = scores.value_counts()
        row: dict[str, object] = {"item": spec.name, "question": spec.label or spec.column, "n": len(scores)}
        for score, label in spec.levels:
            k = int(counts.get(float(score), 0))
            row[label] = f"{k} ({100 * k / len(scores):.1f})" if len(scores) else "0"
        rows.append(row)
    return pd.DataFrame(rows, columns=["item", "question", "n", *columns]).astype({"n": "int64"})


def cronbach_alpha(items: pd.DataFrame) -> tuple[float, tuple[float, float]]:
    """Cronbach's alpha of the columns of ``items`` (one row per respondent), over the
    respondents who answered every item, with its 95% confidence interval; computed by
    ``pingouin.cronbach_alpha`` (alpha = k / (k - 1) × (1 - sum of the item variances /
    variance of the total score)).

    Not a number (NaN, with its interval) where it is not defined: fewer than two
    respondents answered every item, or their total scores do not vary.

    Examples
    --------
    >>> alpha, ci = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]}))
    >>> round(alpha, 3)
    1.0
    >>> cronbach_alpha(pd.DataFrame({"a": [1, None], "b": [2, 3]}))
    (nan, (nan, nan))
    """
    complete = items.astype("Float64").astype("float64").dropna()
    if len(complete) < 2:  # pingouin asserts two respondents: a variance needs them
        return math.nan, (math.nan, math.nan)
    import pingouin  # imported here: it takes a few seconds, and only scales need it

    alpha, ci = pingouin.cronbach_alpha(data=complete, nan_policy="listwise")
    return float(alpha), (float(ci[0]), float(ci[1]))


def _scale_items(fields: Fields, scales: Mapping[str, Sequence[str]]) -> dict[str, list[FieldSpec]]:
    """The declared fields of each scale, every problem (unknown or non-Likert items, a
    scale of fewer than two items) reported together."""
    problems: list[Problem] = []
    found: dict[str, list[FieldSpec]] = {}
    for scale, names in scales.items():
        try:
            found[scale] = likert_fields(fields, list(names) or ["(none)"], parameter=f"likert_scales.{scale}")
        except ConfigError as exc:
            problems += exc.problems
            continue
        if len(found[scale]) < 2:
            problems.append(
                Problem(
                    file=fields.file,
                    field=f"likert_scales.{scale}",
                    expected="at least two likert items",
                    found=repr(list(names)),
                    fix="list the scale's items, or remove the scale",
                )
            )
    if problems:
        raise ConfigError(problems)
    return found


def scale_scores(participants: pd.DataFrame, fields: Fields, scales: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Each participant's score on each scale: the mean of the scale's item scores
    (reverse-scored items as cleaned), missing unless every item was answered.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import read_fields
    >>> fields = read_fields("tests/fixtures/surveys/qualtrics_flow.yaml")
    >>> people = pd.DataFrame({"participant": ["a", "b"], "supported": [4, 5], "talk": [5, None], "alone": [2, 1]})
    >>> scale_scores(people, fields, {"support": ["supported", "talk", "alone"]})["support"].tolist()
    [3.6666666666666665, nan]
    """
    found = _scale_items(fields, scales)
    out = pd.DataFrame({"participant": participants["participant"]})
    for scale, specs in found.items():
        items = participants[[s.name for s in specs]].astype("Float64").astype("float64")
        out[scale] = items.mean(axis=1).where(items.notna().all(axis=1))
    return out


def scale_table(participants: pd.DataFrame, fields: Fields, scales: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """One row per declared scale: its items, the reverse-scored ones, respondents with
    every item answered, the mean and SD of the scale score, Cronbach's alpha and its 95%
    confidence interval (three decimals).
    """
    found = _scale_items(fields, scales)
    scores = scale_scores(participants, fields, scales)
    rows = []
    for scale, specs in found.items():
        alpha, (low, high) = cronbach_alpha(participants[[s.name for s in specs]])
        values = scores[scale].dropna()
        why = "fewer than 2 respondents answered every item" if len(values) < 2 else "the scores do not vary"
        rows.append(
            {
                "scale": scale,
                "items": ", ".join(s.name for s in specs),
                "reverse_scored": ", ".join(s.name for s in specs if s.reverse),
                "n": len(values),
                "mean": round(float(values.mean()), 2),
                "sd": round(float(values.std(ddof=1)), 2),
                "cronbach_alpha": round(alpha, 3),
                "alpha_ci95": f"{low:.3f} to {high:.3f}" if math.isfinite(alpha) else f"not computable: {why}",
            }
        )
    columns = ["scale", "items", "reverse_scored", "n", "mean", "sd", "cronbach_alpha", "alpha_ci95"]
    return pd.DataFrame(rows, columns=columns).astype({"n": "int64"})
