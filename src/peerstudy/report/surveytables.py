"""The characteristics table of a survey, each field described by its declared type.

:func:`peerstudy.report.tables.characteristics_table` (tableone) describes category, boolean,
label, integer and number fields, each named by its declared ``label`` (else its name);
here Likert answers enter it as their level labels (as given, a reverse-scored item turned
back) in the order of the levels, and a multi field is described by the
respondents choosing each option (% of those who answered the question, so an option's
rows do not add up to 100), after the other fields.

Examples
--------
>>> from peerstudy.cleaning.surveyfields import read_fields
>>> fields = read_fields("tests/fixtures/surveys/qualtrics_flow.yaml")
>>> people = pd.DataFrame({"years": [0.5, 3.0], "supports": ["Online forum", "Peer group; Online forum"]})
>>> survey_characteristics(people, fields, ["years", "supports"])[["characteristic", "level", "value"]].values.tolist()[-3:]
[['supports, n (%)', 'Peer group', '1 (50.0)'], ['supports, n (%)', 'Counselling, one-to-one', '0 (0.0)'], ['supports, n (%)', 'Online forum', '2 (100.0)']]
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from peerstudy.cleaning.surveyfields import Fields
from peerstudy.report.declarations import SUMMARY_BY_TYPE
from peerstudy.report.fieldfigures import option_counts
from peerstudy.report.likert import answered_scores
from peerstudy.report.tables import characteristics_table

__all__ = ["survey_characteristics"]


def survey_characteristics(
    participants: pd.DataFrame, fields: Fields, names: Sequence[str], *, unpublished: Sequence[str] = ()
) -> pd.DataFrame:
    """Participant characteristics of the fields in ``names``, by their declared types.

    Returns
    -------
    pandas.DataFrame
        ``characteristic``, ``level``, ``value``, ``note`` (as
        :func:`~peerstudy.report.tables.characteristics_table`), multi fields' rows last.
    """
    table = participants.copy()
    ordered = {}
    for name in names:
        spec = fields[name]
        if spec.type == "likert":
            labels = {float(score): label for score, label in spec.levels}
            table[name] = answered_scores(table[name], spec).map(labels).astype(object)
            ordered[name] = [label for _, label in spec.levels]
    single = [n for n in names if fields[n].type != "multi"]
    continuous = [n for n in single if SUMMARY_BY_TYPE.get(fields[n].type) == "continuous"]
    titles = {n: fields[n].title for n in names}
    out = characteristics_table(
        table, single, continuous=continuous, unpublished=unpublished, titles=titles, ordered=ordered
    )
    rows = []
    for name in names:
        spec = fields[name]
        if spec.type != "multi":
            continue
        counts, answered = option_counts(participants[name], spec)
        note = (
            "not published: stand-in value"
            if name in unpublished
            else f"several options per respondent; % of {answered} who answered"
        )
        rows += [
            {
                "characteristic": f"{spec.title}, n (%)",
                "level": option,
                "value": f"{n} ({100 * n / answered:.1f})" if answered else "0",
                "note": note,
            }
            for option, n in counts.items()
        ]
    return pd.concat([out, pd.DataFrame(rows, columns=out.columns)], ignore_index=True).astype("string")
