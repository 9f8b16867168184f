"""Qualitative exports as QDA programs give them: coded segments with their attributes,
code × case and code × attribute matrices, code frequencies over the code tree, and
code co-occurrence.

All of them read the tables the ``code`` stage holds: the codebook tree (indexed by
``code``, with ``label`` and ``parent``), segments (``segment``, ``document``,
``participant``, ``start``, ``end``, ``text``), codings (``segment``, ``code``, ``coder``),
the consensus (``segment``, ``code``), documents and participants (``participant`` and
its attributes). A code *counts* the distinct segments coded with it or with any code
below it in the tree, so a theme counts the statements of its categories (a segment
coded with two subcodes of one parent counts once for the parent).

Examples
--------
>>> book = pd.DataFrame({"label": ["Theme", "Sub"], "parent": [None, "t"]}, index=pd.Index(["t", "s"], name="code"))
>>> code_paths(book).tolist()
['Theme', 'Theme > Sub']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "code_attribute_matrix",
    "code_case_matrix",
    "code_cooccurrence",
    "code_frequencies",
    "code_paths",
    "coded_segments",
    "descendants",
    "participant_attributes",
    "write_attribute_matrices",
]

#: An attribute with more distinct values than this is not tabulated against the codes.
MAX_ATTRIBUTE_VALUES = 12


def code_paths(codebook: pd.DataFrame, *, separator: str = " > ") -> pd.Series:
    """The path of each code from the top of the tree, as labels (``Theme > Category > Code``).

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["A", "B", "C"], "parent": [None, "a", "b"]}, index=["a", "b", "c"])
    >>> code_paths(book)["c"]
    'A > B > C'
    """
    parent = codebook["parent"].astype(object).where(codebook["parent"].notna(), None).to_dict()
    paths = {}
    for code in codebook.index:
        chain, node = [], code
        while node is not None:
            chain.append(str(codebook.at[node, "label"]))
            node = parent[node]
        paths[code] = separator.join(reversed(chain))
    return pd.Series(paths, name="path").reindex(codebook.index)


def descendants(codebook: pd.DataFrame) -> dict[str, list[str]]:
    """Each code with itself and every code below it in the tree.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["A", "B", "C"], "parent": [None, "a", "b"]}, index=["a", "b", "c"])
    >>> descendants(book)["a"]
    ['a', 'b', 'c']
    """
    parent = codebook["parent"].astype(object).where(codebook["parent"].notna(), None).to_dict()
    below: dict[str, list[str]] = {code: [] for code in codebook.index}
    for code in codebook.index:
        node = code
        while node is not None:
            below[node].append(code)
            node = parent[node]
    return below


def _lifted(consensus: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """One row per (segment, code) for every code that holds the segment (its own codes
    and all their ancestors), with the segment's document and participant."""
    above: dict[str, list[str]] = {}
    for code, below in descendants(codebook).items():
        for c in below:
            above.setdefault(c, []).append(code)
    pairs = consensus[["segment", "code"]].drop_duplicates()
    rows = [(s, a) for s, c in zip(pairs["segment"], pairs["code"], strict=False) for a in above.get(c, [c])]
    lifted = pd.DataFrame(rows, columns=["segment", "code"]).drop_duplicates()
    return lifted.merge(segments[["segment", "document", "participant"]], on="segment", how="left")


def _scalar_text(value) -> object:
    if isinstance(value, (list, tuple, np.ndarray)):
        return "; ".join(map(str, list(value)))
    return value


def coded_segments(
    codings: pd.DataFrame,
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every coded segment, one row per coding: the coder (each coder's codings, then the
    consensus as coder ``consensus`` when there are several coders), the code with its
    path, the segment's text and offsets, and the attributes of its document and
    participant (a participant attribute named like a document column is prefixed
    ``participant_``).

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["T", "S"], "parent": [None, "t"]}, index=pd.Index(["t", "s"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["x"], "document": ["d"], "participant": ["p"], "start": [0], "end": [2],
    ...                      "text": ["hi"]})
    >>> docs = pd.DataFrame({"document": ["d"], "participant": ["p"], "kind": ["interview"], "text": ["hi"]})
    >>> cods = pd.DataFrame({"segment": ["x"], "code": ["s"], "coder": ["A"]})
    >>> coded_segments(cods, cods, segs, docs, book).loc[0, ["coder", "code", "path", "kind"]].tolist()
    ['A', 's', 'T > S', 'interview']
    """
    frames = [codings[["segment", "code", "coder"]]]
    if codings["coder"].nunique() > 1:
        frames.append(consensus[["segment", "code"]].assign(coder="consensus"))
    rows = pd.concat(frames, ignore_index=True)
    rows.insert(2, "path", rows["code"].map(code_paths(codebook)))
    rows = rows.merge(
        segments[["segment", "document", "participant", "start", "end", "text"]], on="segment", how="left"
    )
    doc_attrs = documents.drop(columns=[c for c in ("text", "participant") if c in documents])
    rows = rows.merge(doc_attrs, on="document", how="left")
    if participants is not None:
        attrs = participants.map(_scalar_text) if len(participants) else participants
        attrs = attrs.rename(columns={c: f"participant_{c}" for c in attrs if c in rows and c != "participant"})
        rows = rows.merge(attrs.astype({"participant": str}), on="participant", how="left")
    return rows.reset_index(drop=True)


def _matrix(
    lifted: pd.DataFrame, codebook: pd.DataFrame, by: str, columns: Sequence[str], presence: bool
) -> pd.DataFrame:
    counts = lifted.drop_duplicates(["segment", "code", by]).pipe(lambda f: pd.crosstab(f["code"], f[by]))
    counts = counts.reindex(index=codebook.index, columns=list(columns), fill_value=0).astype("int64")
    if presence:
        counts = (counts > 0).astype("int64")
    counts.columns = [str(c) for c in counts.columns]
    counts.insert(0, "path", code_paths(codebook))
    counts.index.name = "code"
    return counts


def code_case_matrix(
    consensus: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame, *, presence: bool = False
) -> pd.DataFrame:
    """Codes (rows, codebook order, with their path) by participant (columns, natural
    order): the number of distinct segments of the participant coded with the code or a
    code below it; with ``presence``, 1 where there is at least one and 0 elsewhere.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["T", "S"], "parent": [None, "t"]}, index=pd.Index(["t", "s"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["x", "y"], "document": ["d", "d"], "participant": ["p2", "p10"]})
    >>> code_case_matrix(pd.DataFrame({"segment": ["x", "y"], "code": ["s", "s"]}), segs, book)
                path  p2  p10
    code
    t              T   1    1
    s          T > S   1    1
    """
    lifted = _lifted(consensus, segments, codebook)
    cases = sorted(segments["participant"].dropna().astype(str).unique(), key=_natural_key)
    return _matrix(lifted.astype({"participant": str}), codebook, "participant", cases, presence)


def participant_attributes(participants: pd.DataFrame) -> list[str]:
    """The participant columns worth tabulating against the codes: scalar values, at most
    :data:`MAX_ATTRIBUTE_VALUES` distinct values, and not a different value for every
    participant (that is an identifier, and the code × case matrix already shows it).

    Examples
    --------
    >>> participant_attributes(pd.DataFrame({"participant": ["1", "2", "3"], "id": ["a", "b", "c"],
    ...                                      "sex": ["f", "m", "f"]}))
    ['sex']
    """
    chosen = []
    for column in participants.columns:
        if column == "participant" or pd.api.types.is_datetime64_any_dtype(participants[column]):
            continue
        values = participants[column].dropna()
        # a column nobody answered has nothing to tabulate (and pandas cannot reduce the empty
        # map of a string column)
        if values.empty or any(isinstance(v, (list, tuple, dict, np.ndarray)) for v in values):
            continue
        distinct = values.astype(str).nunique()
        if 1 <= distinct <= MAX_ATTRIBUTE_VALUES and distinct < len(participants):
            chosen.append(column)
    return chosen


def code_attribute_matrix(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame,
    attribute: str,
    *,
    presence: bool = False,
) -> pd.DataFrame:
    """Codes by the values of a participant attribute: distinct segments, coded with the
    code or a code below it, of participants with each value (missing values as
    ``missing``); with ``presence``, 1/0.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["T"], "parent": [None]}, index=pd.Index(["t"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["x", "y"], "document": ["d", "d"], "participant": ["1", "2"]})
    >>> people = pd.DataFrame({"participant": ["1", "2"], "sex": ["f", "f"]})
    >>> code_attribute_matrix(pd.DataFrame({"segment": ["x", "y"], "code": ["t", "t"]}), segs, book, people, "sex")
         path  f
    code
    t       T  2
    """
    values = participants.set_index(participants["participant"].astype(str))[attribute]
    values = values.astype(object).where(values.notna(), "missing").astype(str)
    lifted = _lifted(consensus, segments, codebook).astype({"participant": str})
    lifted[attribute] = lifted["participant"].map(values).fillna("missing")
    columns = sorted(values.unique(), key=_natural_key)
    if (lifted[attribute] == "missing").any() and "missing" not in columns:
        columns.append("missing")
    return _matrix(lifted, codebook, attribute, columns, presence)


def code_frequencies(consensus: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Per code (codebook order): its path, depth, the segments coded with the code itself,
    and the distinct segments, documents and participants coded with it or any code
    below it (so a parent code counts its children's segments).

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["T", "A", "B"], "parent": [None, "t", "t"]},
    ...                     index=pd.Index(["t", "a", "b"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["x", "y"], "document": ["d", "d"], "participant": ["1", "2"]})
    >>> code_frequencies(pd.DataFrame({"segment": ["x", "x", "y"], "code": ["a", "b", "b"]}), segs, book)[
    ...     ["coded directly", "segments"]].to_dict("list")
    {'coded directly': [0, 1, 2], 'segments': [2, 1, 2]}
    """
    lifted = _lifted(consensus, segments, codebook).groupby("code")
    direct = consensus.drop_duplicates(["segment", "code"]).groupby("code")["segment"].nunique()
    depth = pd.Series(0, index=codebook.index)
    for code, below in descendants(codebook).items():
        depth[[c for c in below if c != code]] += 1  # one more for each code above
    table = pd.DataFrame(
        {
            "path": code_paths(codebook),
            "depth": depth,
            "coded directly": direct.reindex(codebook.index, fill_value=0),
            "segments": lifted["segment"].nunique().reindex(codebook.index, fill_value=0),
            "documents": lifted["document"].nunique().reindex(codebook.index, fill_value=0),
            "participants": lifted["participant"].nunique().reindex(codebook.index, fill_value=0),
        }
    )
    table.index.name = "code"
    return table.astype({c: "int64" for c in table.columns if c != "path"})


def code_cooccurrence(consensus: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Pairs of codes applied together: per pair of codes (each in codebook order, the
    first before the second), the segments coded with both and the documents coded with
    both (codes as applied, not lifted to their parents); pairs never together are left out.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["A", "B"], "parent": [None, None]}, index=pd.Index(["a", "b"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["x", "y"], "document": ["d", "d"], "participant": ["1", "1"]})
    >>> code_cooccurrence(pd.DataFrame({"segment": ["x", "y"], "code": ["a", "b"]}), segs, book)[
    ...     ["code", "with code", "segments", "documents"]].values.tolist()
    [['a', 'b', 0, 1]]
    """
    order = {c: i for i, c in enumerate(codebook.index)}
    coded = consensus[["segment", "code"]].drop_duplicates().merge(segments[["segment", "document"]], on="segment")
    counts = {}
    for unit in ("segment", "document"):
        sets = (
            coded.drop_duplicates([unit, "code"])
            .groupby(unit)["code"]
            .apply(lambda s: sorted(s, key=lambda c: order.get(c, len(order))))
        )
        pairs: dict[tuple[str, str], int] = {}
        for codes in sets:
            for i, a in enumerate(codes):
                for b in codes[i + 1 :]:
                    pairs[(a, b)] = pairs.get((a, b), 0) + 1
        counts[unit] = pairs
    keys = sorted(set(counts["segment"]) | set(counts["document"]), key=lambda k: (order.get(k[0]), order.get(k[1])))
    labels = codebook["label"].astype(str)
    return pd.DataFrame(
        {
            "code": [a for a, _ in keys],
            "label": [labels.get(a) for a, _ in keys],
            "with code": [b for _, b in keys],
            "with label": [labels.get(b) for _, b in keys],
            "segments": [counts["segment"].get(k, 0) for k in keys],
            "documents": [counts["document"].get(k, 0) for k in keys],
        },
        columns=["code", "label", "with code", "with label", "segments", "documents"],
    ).astype({"segments": "int64", "documents": "int64"})


def write_attribute_matrices(
    report, consensus: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame, participants: pd.DataFrame | None
) -> pd.DataFrame:
    """Write ``code-by-<attribute>`` (counts) and ``code-by-<attribute>-presence`` (0/1)
    through ``report.table`` for each attribute of :func:`participant_attributes`;
    returns a list of the tables written (empty without participants).

    Examples
    --------
    >>> import tempfile
    >>> from peerstudy.report.outputs import StudyOutputs
    >>> book = pd.DataFrame({"label": ["T"], "parent": [None]}, index=pd.Index(["t"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["x"], "document": ["d"], "participant": ["1"]})
    >>> people = pd.DataFrame({"participant": ["1", "2"], "sex": ["f", "f"]})
    >>> write_attribute_matrices(StudyOutputs("demo", root=tempfile.mkdtemp()), pd.DataFrame(
    ...     {"segment": ["x"], "code": ["t"]}), segs, book, people)["table"].tolist()
    ['tables/code-by-sex.csv', 'tables/code-by-sex-presence.csv']
    """
    rows: list[dict[str, str]] = []
    if participants is None:
        return pd.DataFrame(rows, columns=["table", "attribute", "values", "cells"])
    for attribute in participant_attributes(participants):
        slug = str(attribute).replace("_", "-").replace(" ", "-").lower()
        for presence, suffix in ((False, ""), (True, "-presence")):
            name = f"code-by-{slug}{suffix}"
            table = code_attribute_matrix(consensus, segments, codebook, participants, attribute, presence=presence)
            report.table(name, table, index=True)
            rows.append(
                {
                    "table": f"tables/{name}.csv",
                    "attribute": attribute,
                    "values": ", ".join(c for c in table.columns if c != "path"),
                    "cells": "0/1 (coded at least once)" if presence else "segments",
                }
            )
    return pd.DataFrame(rows, columns=["table", "attribute", "values", "cells"])


def _natural_key(label: str):
    """Sort key: ``P2`` before ``P10``."""
    import re

    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(label)) if part]
