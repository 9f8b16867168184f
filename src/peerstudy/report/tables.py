"""Publication tables: one function per table, tidy DataFrames out.

Examples
--------
>>> people = pd.DataFrame({"age": [30, 40, 50], "sex": ["f", "m", "f"]})
>>> characteristics_table(people, ["age", "sex"], continuous=["age"])["value"].tolist()
['3', '40.0 (10.0)', '40.0 [30.0,50.0]', '2 (66.7)', '1 (33.3)']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from peerstudy.errors import ConfigError, Problem
from peerstudy.qualitative.codebook import children
from peerstudy.report.declarations import SUMMARY_BY_TYPE, declared_characteristics, declared_titles, stand_in_notes

__all__ = [
    "SUMMARY_BY_TYPE",
    "declared_characteristics",
    "declared_titles",
    "characteristics_table",
    "stand_in_notes",
    "category_table",
    "assign_bands",
    "code_depths",
    "hierarchy_table",
    "quote_table",
    "saturation_table",
    "crosstab_codes",
]


def characteristics_table(
    participants: pd.DataFrame,
    columns: Sequence[str],
    *,
    continuous: Sequence[str] = (),
    unpublished: Sequence[str] = (),
    decimals: int = 1,
    titles: Mapping[str, str] | None = None,
    ordered: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """Participant characteristics ("Table 1"), computed by tableone.

    Continuous variables get two rows, mean (SD) and mean [min,max]; categorical and
    yes/no variables get n (%) per level, levels in descending frequency (ties by
    label), or in their own order for an ordered variable (a Likert item). Percentages,
    means and ranges are of the participants with a value (an answer); where some have
    none, the note of the variable's rows says of how many (a variable nobody has a value
    for gets one row saying so).

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
    titles
        How the rows name a variable (a field's declared ``label``); default: its column name.
    ordered
        The levels of ordered variables, lowest first; levels nobody has are left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``characteristic``, ``level``, ``value``, ``note``.
    """
    missing = [c for c in columns if c not in participants]
    if missing:
        raise ConfigError(
            Problem(
                field="characteristics",
                expected="columns of the participants table",
                found=repr(missing),
                fix=f"use some of {list(participants.columns)}",
            )
        )
    total, answered = len(participants), {c: int(participants[c].notna().sum()) for c in columns}
    data, order, cont = {}, {}, []
    for col in (c for c in columns if answered[c]):  # tableone cannot describe a column of no answers
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
        if ordered and col in ordered:
            order[col] = [level for level in ordered[col] if level in counts.index]
        else:
            order[col] = sorted(counts.index, key=lambda level: (-counts[level], str(level)))
    out = _tableone_rows(pd.DataFrame(data, index=participants.index), order, cont, decimals)
    base = out["characteristic"].str.replace(r"( range)?, .*$", "", regex=True)
    parts = [out[base == "n"]]
    for col in columns:
        rows = out[base == col].copy()
        if rows.empty:
            stat = "mean (SD)" if col in continuous else "n (%)"
            rows = pd.DataFrame({"characteristic": [f"{col}, {stat}"], "level": [""], "value": [""]})
        notes = ["not published: stand-in value"] if col in unpublished else []
        if answered[col] < total:
            notes.append(f"of the {answered[col]} with a value" if answered[col] else "no one has a value")
        rows["note"] = "; ".join(notes)
        if titles and titles.get(col):
            rows["characteristic"] = titles[col] + rows["characteristic"].str[len(col) :]
        parts.append(rows)
    return pd.concat(parts, ignore_index=True).fillna({"note": ""}).astype("string")


def _tableone_rows(frame: pd.DataFrame, order: dict[str, list[Any]], cont: list[str], decimals: int) -> pd.DataFrame:
    """tableone's table of ``frame`` as rows ``characteristic``, ``level``, ``value``
    (only ``n`` for a frame without columns, which tableone refuses)."""
    if frame.columns.empty:
        return pd.DataFrame({"characteristic": ["n"], "level": [""], "value": [str(len(frame))]})
    from tableone import TableOne  # here: tableone loads scipy.stats, which checking a study need not

    with warnings.catch_warnings():
        # tableone 0.9.6 sets a row with a partial MultiIndex key, which pandas 3 deprecates
        # (Pandas4Warning); the result is unaffected. Filtered here only, by module.
        warnings.filterwarnings("ignore", category=FutureWarning, module="tableone")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="tableone")
        table = TableOne(
            frame,
            columns=list(frame.columns),
            categorical=[c for c in frame.columns if c not in cont],
            continuous=cont,
            min_max=[c for c in cont if c.endswith(" range")],
            order=order,
            missing=False,
            include_null=False,  # no answer is not a level: % of those who answered
            decimals=decimals,
            label_suffix=True,
        ).tableone
    out = table.reset_index()
    out.columns = ["characteristic", "level", "value"]
    out["characteristic"] = out["characteristic"].astype(str).str.strip()
    out["level"] = out["level"].astype(str).str.strip()
    return out


def category_table(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    attribution: str = "Respondent {participant}",
) -> pd.DataFrame:
    """Categories under each top-level code with their number of excerpts and the excerpts.

    Parameters
    ----------
    codings, segments, codebook
        The coded data (see :mod:`peerstudy.qualitative.coding`).
    attribution
        How each excerpt is attributed; ``{participant}`` is replaced.

    Returns
    -------
    pandas.DataFrame
        ``question`` (top-level code), ``category`` (label), ``n`` (excerpts coded),
        ``excerpts`` (each in quotes with its attribution, separated by ``"; "``), in codebook
        order, categories without excerpts included with n = 0. Top-level codes with no code
        under them (a flat codebook) are the categories of one last group, question ``""``.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["Q", "Cat"], "parent": [None, "q"], "order": [0, 1]},
    ...                     index=pd.Index(["q", "c"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["s"], "participant": ["4"], "text": ["It helped."], "start": [0]})
    >>> cods = pd.DataFrame({"segment": ["s"], "code": ["c"]})
    >>> category_table(cods, segs, book).iloc[0].to_dict()
    {'question': 'q', 'category': 'Cat', 'n': 1, 'excerpts': '“It helped.” (Respondent 4)'}
    """
    merged = codings.merge(segments, on="segment", how="left").sort_values(
        ["participant", "start"], kind="stable", key=_natural
    )
    rows = []
    under = {root: children(codebook, root) for root in codebook.index[codebook["parent"].isna()]}
    groups = [(root, codes) for root, codes in under.items() if codes]
    flat = [root for root, codes in under.items() if not codes]
    if flat:  # top-level codes with nothing under them (a flat codebook): categories of one group
        groups.append(("", flat))
    for question, codes in groups:
        for code in codes:
            hits = merged[merged["code"] == code]
            quotes = [
                f"“{t}” ({attribution.format(participant=p)})"
                for t, p in zip(hits["text"], hits["participant"], strict=False)
            ]
            rows.append(
                {
                    "question": question,
                    "category": codebook.at[code, "label"],
                    "n": len(hits),
                    "excerpts": "; ".join(quotes),
                }
            )
    return pd.DataFrame(rows, columns=["question", "category", "n", "excerpts"]).astype({"n": "int64"})


def _natural(col: pd.Series) -> pd.Series:
    """Sort key: participant ids as numbers where they are numbers."""
    if col.name == "participant":
        return col.map(lambda v: (0, int(v), "") if str(v).isdigit() else (1, 0, str(v)))
    return col


def assign_bands(values: pd.Series, bands: dict[str, list]) -> pd.Series:
    """Label each number with the band it falls in; ``bands`` maps label → [low, high]
    (inclusive; ``None`` for open-ended).

    Examples
    --------
    >>> assign_bands(pd.Series([3, 7, 12]), {"3-5": [3, 5], "6-9": [6, 9], "10+": [10, None]}).tolist()
    ['3-5', '6-9', '10+']
    """

    def label(v):
        for name, (low, high) in bands.items():
            if (low is None or v >= low) and (high is None or v <= high):
                return name
        raise ConfigError(
            Problem(
                field="bands",
                expected="bands that cover every value",
                found=repr(v),
                fix="add a band for this value in the study's YAML",
            )
        )

    return values.map(lambda v: None if pd.isna(v) else label(v)).astype("string")


def code_depths(codebook: pd.DataFrame) -> dict[str, int]:
    """Each code's depth in the codebook's tree (0 the top level), in codebook order.

    Examples
    --------
    >>> code_depths(pd.DataFrame({"depth": [0, 1.0]}, index=pd.Index(["t", "c"], name="code")))
    {'t': 0, 'c': 1}
    """
    return dict(zip(codebook.index, codebook["depth"].astype("int64").tolist(), strict=True))


def _coded(consensus: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame, depth: int) -> pd.DataFrame:
    """Consensus codings with their segment and the code lifted to ``depth`` (a level of
    the codebook, else :class:`~peerstudy.errors.ConfigError` naming ``category_depth``)."""
    from peerstudy.qualitative.codebook import ancestors, depth_problem

    problem = depth_problem(codebook, depth)
    if problem:
        raise ConfigError(problem)
    merged = consensus.merge(segments, on="segment", how="left")
    merged["at_depth"] = ancestors(codebook, merged["code"], depth)
    return merged


def hierarchy_table(consensus: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Every code of the tree, depth first, with the number of coded statements and of
    participants contributing at that level (a statement counts under each ancestor).

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["T", "C"], "parent": [None, "t"], "depth": [0, 1], "order": [0, 1]},
    ...                     index=pd.Index(["t", "c"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["s1", "s2"], "participant": ["P1", "P2"]})
    >>> hierarchy_table(pd.DataFrame({"segment": ["s1", "s2"], "code": ["c", "c"]}), segs, book)[["code", "statements", "participants"]].values.tolist()
    [['t', 2, 2], ['c', 2, 2]]
    """
    rows = []
    max_depth = int(codebook["depth"].max())
    lifted = {d: _coded(consensus, segments, codebook, d) for d in range(max_depth + 1)}
    depths = code_depths(codebook)

    def visit(code: str, path: list[str]) -> None:
        depth = depths[code]
        hits = lifted[depth][lifted[depth]["at_depth"] == code]
        rows.append(
            {
                "depth": depth,
                "code": code,
                "label": codebook.at[code, "label"],
                "parent": codebook.at[code, "parent"],
                "statements": int(hits["segment"].nunique()),
                "participants": int(hits["participant"].nunique()),
            }
        )
        for child in children(codebook, code):
            visit(child, path + [code])

    for root in codebook.index[codebook["parent"].isna()]:
        visit(root, [])
    return pd.DataFrame(rows).astype({"depth": "int64", "statements": "int64", "participants": "int64"})


def quote_table(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    depth: int,
    per_code: int = 2,
    attribution: str = "Participant {number}",
) -> pd.DataFrame:
    """Quotes for each code at ``depth``, chosen by a fixed rule.

    Rule: among the statements coded under the code, take the longest (ties: the
    earlier segment id); then the longest statement of a participant not quoted yet
    for this code; and so on, up to ``per_code`` quotes. ``{number}`` in
    ``attribution`` is the digits of the pseudonym (``P3`` → ``3``), ``{participant}``
    the pseudonym.
    """
    merged = _coded(consensus, segments, codebook, depth)
    merged = merged.drop_duplicates(["segment", "at_depth"])
    merged = merged.assign(length=merged["text"].str.len()).sort_values(
        ["length", "segment"], ascending=[False, True], kind="stable"
    )
    rows = []
    for code in [c for c, d in code_depths(codebook).items() if d == depth]:
        seen: set[Any] = set()  # participants quoted for this code
        for seg in merged[merged["at_depth"] == code].itertuples():
            if seg.participant in seen:
                continue
            seen.add(seg.participant)
            number = "".join(ch for ch in str(seg.participant) if ch.isdigit())
            rows.append(
                {
                    "code": code,
                    "label": codebook.at[code, "label"],
                    "quote": seg.text,
                    "attribution": attribution.format(number=number, participant=seg.participant),
                    "document": seg.document,
                    "segment": seg.segment,
                }
            )
            if len(seen) == per_code:
                break
    return pd.DataFrame(rows, columns=["code", "label", "quote", "attribution", "document", "segment"])


def saturation_table(
    consensus: pd.DataFrame, segments: pd.DataFrame, documents: pd.DataFrame, codebook: pd.DataFrame, *, depth: int
) -> pd.DataFrame:
    """Codes at ``depth`` found in each successive document (in ``documents['order']``):
    how many were new, and the cumulative total (code saturation)."""
    merged = _coded(consensus, segments, codebook, depth)
    seen: set[str] = set()
    rows = []
    for doc in documents.sort_values("order").itertuples():
        found = set(merged.loc[merged["document"] == doc.document, "at_depth"])
        new = found - seen
        seen |= found
        rows.append(
            {
                "order": doc.order,
                "document": doc.document,
                "kind": doc.kind,
                "codes": len(found),
                "new": len(new),
                "cumulative": len(seen),
            }
        )
    return pd.DataFrame(rows)


def crosstab_codes(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    depth: int,
    by: str,
    attributes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Statements per code at ``depth`` (rows, codebook order, labelled) by a column of
    the segments or, with ``attributes`` (participants with a ``participant`` column),
    by a participant attribute (columns)."""
    merged = _coded(consensus, segments, codebook, depth).drop_duplicates(["segment", "at_depth"])
    if attributes is not None:
        merged = merged.join(attributes.set_index("participant")[[by]], on="participant")
    table = pd.crosstab(merged["at_depth"], merged[by])
    codes = [c for c, d in code_depths(codebook).items() if d == depth]
    table = table.reindex(codes, fill_value=0)
    labels = codebook["label"].to_dict()
    table.index = [f"{c} {labels[c]}" for c in codes]
    table.index.name = "code"
    table.columns = [str(c) for c in table.columns]
    return table.reindex(columns=sorted(table.columns, key=_natural_key)).astype("int64")


def _natural_key(label: str):
    digits = "".join(ch for ch in label if ch.isdigit())
    return (label.rstrip("0123456789"), int(digits) if digits and label.endswith(digits) else 0, label)
