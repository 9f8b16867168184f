"""Comparisons across time and perspective: which categories appear when, and who raises them.

For designs where documents carry attributes such as a *unit* (a dyad), a *time* (the
session) and a *source* (observation, PSW interview, PIR interview), and participants
a *role*. Every function takes the consensus codings, their segments, the documents (with
those attribute columns) and the codebook, lifts each coding to the requested depth of
the codebook, and counts units, not codings, unless it says otherwise.

A *shared view* is a (unit, time, category) where members of every compared role raised
the category in their own interviews of the same round.

Examples
--------
>>> book = pd.DataFrame({"label": ["Core", "Trust"], "parent": [None, "core"], "depth": [0, 1]},
...                     index=pd.Index(["core", "trust"], name="code"))
>>> docs = pd.DataFrame({"document": ["a", "b"], "dyad": ["D1", "D1"], "session": [3, 3],
...                      "source": ["PSW interview", "PIR interview"]})
>>> segs = pd.DataFrame({"segment": ["s1", "s2"], "document": ["a", "b"], "participant": ["PSW01", "PIR01"],
...                      "text": ["x", "y"]})
>>> cons = pd.DataFrame({"segment": ["s1", "s2"], "code": ["trust", "trust"]})
>>> roles = pd.DataFrame({"participant": ["PSW01", "PIR01"], "role": ["PSW", "PIR"]})
>>> shared_views(cons, segs, docs, book, roles, depth=1)[["dyad", "session", "code"]].values.tolist()
[['D1', 3, 'trust']]
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from peerstudy.codebook import ancestors, children
from peerstudy.errors import ConfigError, Problem

__all__ = ["code_presence", "emergence_table", "role_table", "shared_views", "dimension_table", "dyad_profiles"]


def code_presence(consensus: pd.DataFrame, segments: pd.DataFrame, documents: pd.DataFrame,
                  codebook: pd.DataFrame, *, depth: int, columns: Sequence[str]) -> pd.DataFrame:
    """One row per (segment, code at ``depth``) with the segment's participant and text
    and the document columns named in ``columns``."""
    missing = [c for c in columns if c not in documents]
    if missing:
        raise ConfigError(Problem(field="attributes", expected="columns of the documents table",
                                  found=repr(missing), fix="declare them in the study's document_attributes"))
    merged = consensus[["segment", "code"]].merge(segments[["segment", "document", "participant", "text"]], on="segment")
    merged = merged.merge(documents[["document", *columns]], on="document")
    merged["code"] = ancestors(codebook, merged["code"], depth)
    return merged.drop_duplicates(["segment", "code"]).reset_index(drop=True)


def _codes_at(codebook: pd.DataFrame, depth: int) -> list[str]:
    return [c for c in codebook.index if int(codebook.at[c, "depth"]) == depth]


def emergence_table(consensus: pd.DataFrame, segments: pd.DataFrame, documents: pd.DataFrame,
                    codebook: pd.DataFrame, *, depth: int = 1, unit: str = "dyad", time: str = "session",
                    source: str = "source", sources: Sequence[str] | None = None) -> pd.DataFrame:
    """For each code at ``depth``, source and time: in how many units it appears, out of
    the units with a document of that source and time, and the share.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``label``, ``source``, ``time`` (named after ``time``), ``units``,
        ``of``, ``share`` (0-1, three decimals); codebook order, then ``sources`` order,
        then time.
    """
    present = code_presence(consensus, segments, documents, codebook, depth=depth, columns=[unit, time, source])
    sources = list(sources) if sources else sorted(documents[source].unique())
    rows = []
    for code in _codes_at(codebook, depth):
        hits = present[present["code"] == code]
        for src in sources:
            for t in sorted(documents.loc[documents[source] == src, time].unique()):
                of = documents.loc[(documents[source] == src) & (documents[time] == t), unit].nunique()
                n = hits.loc[(hits[source] == src) & (hits[time] == t), unit].nunique()
                rows.append({"code": code, "label": codebook.at[code, "label"], "source": src, time: t,
                             "units": int(n), "of": int(of), "share": round(n / of, 3) if of else float("nan")})
    return pd.DataFrame(rows)


def shared_views(consensus: pd.DataFrame, segments: pd.DataFrame, documents: pd.DataFrame, codebook: pd.DataFrame,
                 participants: pd.DataFrame, *, depth: int = 1, unit: str = "dyad", time: str = "session",
                 role: str = "role", roles: Sequence[str] | None = None) -> pd.DataFrame:
    """Every (unit, time, code) where a participant of each role raised the code.

    Only segments attributed to a participant count (interviews, not field notes).
    """
    present = code_presence(consensus, segments, documents, codebook, depth=depth, columns=[unit, time])
    present = present.merge(participants[["participant", role]], on="participant")
    roles = list(roles) if roles else sorted(participants[role].dropna().unique())
    n_roles = present[present[role].isin(roles)].groupby([unit, time, "code"])[role].nunique()
    out = n_roles[n_roles == len(roles)].reset_index()[[unit, time, "code"]]
    order = {c: i for i, c in enumerate(codebook.index)}
    return (out.assign(_o=out["code"].map(order)).sort_values(["_o", unit, time]).drop(columns="_o")
            .reset_index(drop=True))


def role_table(consensus: pd.DataFrame, segments: pd.DataFrame, documents: pd.DataFrame, codebook: pd.DataFrame,
               participants: pd.DataFrame, *, depth: int = 1, unit: str = "dyad", time: str = "session",
               role: str = "role", roles: Sequence[str] | None = None) -> pd.DataFrame:
    """Per code at ``depth``: statements and units in which each role raised it, and the
    number of shared views (see :func:`shared_views`)."""
    roles = list(roles) if roles else sorted(participants[role].dropna().unique())
    present = code_presence(consensus, segments, documents, codebook, depth=depth, columns=[unit, time])
    present = present.merge(participants[["participant", role]], on="participant")
    shared = shared_views(consensus, segments, documents, codebook, participants, depth=depth, unit=unit, time=time,
                          role=role, roles=roles)["code"].value_counts()
    rows = []
    for code in _codes_at(codebook, depth):
        row = {"code": code, "label": codebook.at[code, "label"]}
        for r in roles:
            part = present[(present["code"] == code) & (present[role] == r)]
            row[f"statements_{r}"] = int(part["segment"].nunique())
            row[f"{unit}s_{r}"] = int(part[unit].nunique())
        row["shared_views"] = int(shared.get(code, 0))
        rows.append(row)
    return pd.DataFrame(rows)


def dimension_table(consensus: pd.DataFrame, segments: pd.DataFrame, documents: pd.DataFrame,
                    codebook: pd.DataFrame, participants: pd.DataFrame, *, parent: str, role: str = "role",
                    time: str = "session", roles: Sequence[str] | None = None) -> pd.DataFrame:
    """The children of ``parent`` (e.g. the dimensions of empathy): statements by role,
    and one quote each — the longest statement coded to it (ties: segment id),
    attributed to its speaker and session."""
    if parent not in codebook.index:
        raise ConfigError(Problem(field="parent", expected="a code of the codebook", found=repr(parent)))
    roles = list(roles) if roles else sorted(participants[role].dropna().unique())
    depth = int(codebook.at[parent, "depth"]) + 1
    present = code_presence(consensus, segments, documents, codebook, depth=depth, columns=[time])
    present = present.merge(participants[["participant", role]], on="participant", how="left")
    rows = []
    for code in children(codebook, parent):
        hits = present[present["code"] == code]
        row = {"code": code, "dimension": codebook.at[code, "label"]}
        for r in roles:
            row[f"statements_{r}"] = int((hits[role] == r).sum())
        spoken = hits[hits["participant"].astype(str) != ""]
        spoken = spoken.assign(length=spoken["text"].str.len()).sort_values(["length", "segment"],
                                                                           ascending=[False, True], kind="stable")
        if spoken.empty:
            row |= {"quote": "", "attribution": ""}
        else:
            top = spoken.iloc[0]
            row |= {"quote": top["text"], "attribution": f"{top['participant']}, {time} {top[time]}"}
        rows.append(row)
    return pd.DataFrame(rows)


def dyad_profiles(consensus: pd.DataFrame, segments: pd.DataFrame, documents: pd.DataFrame, codebook: pd.DataFrame,
                  *, depth: int = 1, unit: str = "dyad", time: str = "session") -> pd.DataFrame:
    """One row per unit, one column per time: the codes at ``depth`` present in any of
    the unit's documents of that time (codebook order, ``", "``-joined), so a reader sees
    a dyad's course at a glance."""
    present = code_presence(consensus, segments, documents, codebook, depth=depth, columns=[unit, time])
    order = {c: i for i, c in enumerate(codebook.index)}
    times = sorted(documents[time].unique())
    rows = []
    for u in sorted(documents[unit].unique()):
        row = {unit: u}
        for t in times:
            codes = set(present.loc[(present[unit] == u) & (present[time] == t), "code"])
            row[f"{time} {t}"] = ", ".join(sorted(codes, key=order.get))
        rows.append(row)
    return pd.DataFrame(rows)
