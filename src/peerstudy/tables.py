"""Publication tables: one function per table, tidy DataFrames out.

Examples
--------
>>> people = pd.DataFrame({"age": [30, 40, 50], "sex": ["f", "m", "f"]})
>>> characteristics_table(people, ["age", "sex"], continuous=["age"])["value"].tolist()
['3', '40.0 (10.0)', '40.0 [30.0,50.0]', '2 (66.7)', '1 (33.3)']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd
from tableone import TableOne

from peerstudy.codebook import children
from peerstudy.errors import ConfigError, Problem

__all__ = ["characteristics_table", "stand_in_notes", "category_table"]


def characteristics_table(participants: pd.DataFrame, columns: Sequence[str], *, continuous: Sequence[str] = (),
                          unpublished: Sequence[str] = (), decimals: int = 1) -> pd.DataFrame:
    """Participant characteristics ("Table 1"), computed by tableone.

    Continuous variables get two rows, mean (SD) and mean [min,max]; categorical and
    yes/no variables get n (%) per level, levels in descending frequency (ties by
    label). Percentages are of the participants with an answer.

    Parameters
    ----------
    participants
        One row per participant.
    columns
        Variables to describe, in order.
    continuous
        Which of ``columns`` are continuous.
    unpublished
        Variables whose values the source paper does not report; their rows are marked.
    decimals
        Decimals of means, SDs and percentages.

    Returns
    -------
    pandas.DataFrame
        Columns ``characteristic``, ``level``, ``value``, ``note``.
    """
    missing = [c for c in columns if c not in participants]
    if missing:
        raise ConfigError(Problem(field="characteristics", expected="columns of the participants table",
                                  found=repr(missing), fix=f"use some of {list(participants.columns)}"))
    data, order, cont = {}, {}, []
    for col in columns:
        values = participants[col]
        if col in continuous:
            data[col] = values.astype("float64")
            data[f"{col} range"] = values.astype("float64")
            cont += [col, f"{col} range"]
            continue
        if pd.api.types.is_bool_dtype(values):
            values = values.map({True: "yes", False: "no"})
        values = values.astype(object).where(values.notna(), None)
        data[col] = values
        counts = values.value_counts()
        order[col] = sorted(counts.index, key=lambda level: (-counts[level], str(level)))
    frame = pd.DataFrame(data)
    categorical = [c for c in frame.columns if c not in cont]
    with warnings.catch_warnings():
        # tableone 0.9.6 sets a row with a partial MultiIndex key, which pandas 3 deprecates
        # (Pandas4Warning); the result is unaffected. Filtered here only, by module.
        warnings.filterwarnings("ignore", category=FutureWarning, module="tableone")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="tableone")
        table = TableOne(frame, columns=list(frame.columns), categorical=categorical, continuous=cont,
                         min_max=[c for c in cont if c.endswith(" range")], order=order, missing=False,
                         decimals=decimals, label_suffix=True).tableone
    out = table.reset_index()
    out.columns = ["characteristic", "level", "value"]
    out["characteristic"] = out["characteristic"].astype(str).str.strip()
    out["level"] = out["level"].astype(str).str.strip()
    base = out["characteristic"].str.replace(r"( range)?, .*$", "", regex=True)
    out["note"] = ["not published: stand-in value" if b in unpublished else "" for b in base]
    return out.astype("string")


def stand_in_notes(unpublished: Sequence[str]) -> list[str]:
    """Caveats printed under a table with values the source paper does not report."""
    if not unpublished:
        return []
    return [f"{', '.join(unpublished)}: not reported in the source paper; the values shown come from "
            "the project's stand-in data and are not published figures."]


def category_table(codings: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame, *,
                   attribution: str = "Respondent {participant}") -> pd.DataFrame:
    """Categories under each top-level code with their number of excerpts and the excerpts.

    Parameters
    ----------
    codings, segments, codebook
        The coded data (see :mod:`peerstudy.coding`).
    attribution
        How each excerpt is attributed; ``{participant}`` is replaced.

    Returns
    -------
    pandas.DataFrame
        ``question`` (top-level code), ``category`` (label), ``n`` (excerpts coded),
        ``excerpts`` (each in quotes with its attribution, one per line), in codebook
        order, categories without excerpts included with n = 0.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["Q", "Cat"], "parent": [None, "q"], "order": [0, 1]},
    ...                     index=pd.Index(["q", "c"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["s"], "participant": ["4"], "text": ["It helped."], "start": [0]})
    >>> cods = pd.DataFrame({"segment": ["s"], "code": ["c"]})
    >>> category_table(cods, segs, book).iloc[0].to_dict()
    {'question': 'q', 'category': 'Cat', 'n': 1, 'excerpts': '“It helped.” (Respondent 4)'}
    """
    merged = codings.merge(segments, on="segment", how="left").sort_values(["participant", "start"], kind="stable",
                                                                          key=_natural)
    rows = []
    for root in codebook.index[codebook["parent"].isna()]:
        for code in children(codebook, root):
            hits = merged[merged["code"] == code]
            quotes = [f"“{t}” ({attribution.format(participant=p)})" for t, p in zip(hits["text"], hits["participant"])]
            rows.append({"question": root, "category": codebook.at[code, "label"], "n": len(hits),
                         "excerpts": "\n".join(quotes)})
    return pd.DataFrame(rows, columns=["question", "category", "n", "excerpts"]).astype({"n": "int64"})


def _natural(col: pd.Series) -> pd.Series:
    """Sort key: participant ids as numbers where they are numbers."""
    if col.name == "participant":
        return col.map(lambda v: (0, int(v), "") if str(v).isdigit() else (1, 0, str(v)))
    return col
