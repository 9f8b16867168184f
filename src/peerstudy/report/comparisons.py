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
from dataclasses import dataclass
from typing import TypedDict, Unpack

import pandas as pd

from peerstudy.errors import ConfigError, Problem
from peerstudy.qualitative.codebook import ancestors, children
from peerstudy.report.declarations import SOURCE_KINDS
from peerstudy.report.dyadchecks import dyad_declaration_problems


def check_dyad_parameters(
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    source_kinds: dict,
    sources: Sequence[str],
    shared_sources: Sequence[str],
    dimensions_of: Sequence[str],
    depth: int,
    source: str = "source",
    file: str | None = None,
) -> None:
    """Check a dyad study's declarations against its documents and codebook, before any
    table is made: every kind is known, every source named is declared and found in the
    documents, every broken-down category is a code, ``depth`` is a level of the codebook.

    ``file`` names the study's parameter file in the messages.

    Raises
    ------
    ConfigError
        Every problem at once, each naming the parameter.

    Examples
    --------
    >>> docs = pd.DataFrame({"source": ["notes"]})
    >>> book = pd.DataFrame({"depth": [0]}, index=pd.Index(["a"], name="code"))
    >>> check_dyad_parameters(docs, book, source_kinds={"notes": "diary"}, sources=["notes"], shared_sources=[],
    ...                       dimensions_of=[], depth=0)
    Traceback (most recent call last):
    ...
    peerstudy.errors.ConfigError: field 'source_kinds': expected one of 'observation notes', 'recorded session', 'interview', found 'diary' (for source 'notes'). Fix: declare each source as one of these kinds.
    """
    problems = dyad_declaration_problems(
        documents,
        codebook,
        known_kinds=SOURCE_KINDS,
        source_kinds=source_kinds,
        sources=sources,
        shared_sources=shared_sources,
        dimensions_of=dimensions_of,
        depth=depth,
        source=source,
        file=file,
    )
    if problems:
        raise ConfigError(problems)


def counts_by_time_and_role(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    depth: int,
    time: str = "session",
    role: str = "role",
    source: str = "source",
) -> pd.DataFrame:
    """Statements per code at ``depth``, by time and by the speaker's role (a statement
    attributed to no participant, e.g. in observation notes, counts under its source).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``label``, then one column ``"<time> <t>: <role>"`` per time and role
        found, in codebook order; every code at ``depth`` is listed.

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["Trust"], "parent": [None], "depth": [0]}, index=pd.Index(["t"], name="code"))
    >>> docs = pd.DataFrame({"document": ["a"], "session": [1], "source": ["call"]})
    >>> segs = pd.DataFrame({"segment": ["s1", "s2"], "document": ["a", "a"], "participant": ["P1", ""], "text": ["x", "y"]})
    >>> cons = pd.DataFrame({"segment": ["s1", "s2"], "code": ["t", "t"]})
    >>> people = pd.DataFrame({"participant": ["P1"], "role": ["PSW"]})
    >>> counts_by_time_and_role(cons, segs, docs, book, people, depth=0).to_dict("records")
    [{'code': 't', 'label': 'Trust', 'session 1: PSW': 1, 'session 1: call': 1}]
    """
    present = code_presence(consensus, segments, documents, codebook, depth=depth, columns=[time, source])
    present = present.merge(participants[["participant", role]], on="participant", how="left")
    who = present[role].astype("string").fillna(present[source].astype(str))
    present = present.assign(_col=[f"{time} {t}: {w}" for t, w in zip(present[time], who, strict=False)])
    columns = sorted(dict.fromkeys(present["_col"]), key=lambda c: (_as_time(c, time), c))
    table = present.groupby(["code", "_col"])["segment"].nunique().unstack(fill_value=0)
    table = table.reindex(index=_codes_at(codebook, depth), columns=columns, fill_value=0).fillna(0).astype("int64")
    table.insert(0, "label", [codebook.at[c, "label"] for c in table.index])
    table.columns.name = None
    return table.rename_axis("code").reset_index()


def _as_time(column: str, time: str) -> float:
    value = column.removeprefix(f"{time} ").split(":")[0]
    try:
        return float(value)
    except ValueError:
        return float("inf")


__all__ = [
    "SOURCE_KINDS",
    "check_dyad_parameters",
    "counts_by_time_and_role",
    "code_presence",
    "emergence_table",
    "RoleOptions",
    "role_table",
    "shared_views",
    "dimension_table",
    "dyad_profiles",
]


def code_presence(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    depth: int,
    columns: Sequence[str],
) -> pd.DataFrame:
    """One row per (segment, code at ``depth``) with the segment's participant and text
    and the document columns named in ``columns``."""
    missing = [c for c in columns if c not in documents]
    if missing:
        raise ConfigError(
            Problem(
                field="attributes",
                expected="columns of the documents table",
                found=repr(missing),
                fix="declare them in the study's document_attributes",
            )
        )
    merged = consensus[["segment", "code"]].merge(
        segments[["segment", "document", "participant", "text"]], on="segment"
    )
    merged = merged.merge(documents[["document", *columns]], on="document")
    merged["code"] = ancestors(codebook, merged["code"], depth)
    return merged.drop_duplicates(["segment", "code"]).reset_index(drop=True)


def _codes_at(codebook: pd.DataFrame, depth: int) -> list[str]:
    """The codes at ``depth``, in codebook order."""
    return codebook.index[codebook["depth"].astype("int64") == depth].tolist()


def emergence_table(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    depth: int = 1,
    unit: str = "dyad",
    time: str = "session",
    source: str = "source",
    sources: Sequence[str] | None = None,
) -> pd.DataFrame:
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
                rows.append(
                    {
                        "code": code,
                        "label": codebook.at[code, "label"],
                        "source": src,
                        time: t,
                        "units": int(n),
                        "of": int(of),
                        "share": round(n / of, 3) if of else float("nan"),
                    }
                )
    return pd.DataFrame(rows)


class RoleOptions(TypedDict, total=False):
    """The keyword options of :func:`shared_views` and :func:`role_table`, all optional:
    ``depth`` (the codebook level counted, default 1), the document columns ``unit``
    (``"dyad"``), ``time`` (``"session"``) and ``source`` (``"source"``), the participants'
    column ``role`` (``"role"``), the ``roles`` compared (default: every role of the
    participants) and the ``sources`` whose statements count for shared views (default: all).
    """

    depth: int
    unit: str
    time: str
    role: str
    roles: Sequence[str] | None
    source: str
    sources: Sequence[str] | None


@dataclass(frozen=True)
class _RoleDesign:
    """:class:`RoleOptions` with their defaults."""

    depth: int = 1
    unit: str = "dyad"
    time: str = "session"
    role: str = "role"
    roles: Sequence[str] | None = None
    source: str = "source"
    sources: Sequence[str] | None = None


def _compared_roles(participants: pd.DataFrame, design: _RoleDesign) -> list[str]:
    """The roles compared: those named, else every role of the participants, sorted."""
    return list(design.roles) if design.roles else sorted(participants[design.role].dropna().unique())


def shared_views(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame,
    **options: Unpack[RoleOptions],
) -> pd.DataFrame:
    """Every (unit, time, code) where a participant of each role raised the code.

    Only segments attributed to a participant count (interviews, not field notes), and,
    when ``sources`` is given, only those in documents of these sources (the study's
    ``shared_views_from``). ``options``: see :class:`RoleOptions`.
    """
    design = _RoleDesign(**options)
    unit, time, role, source, sources = design.unit, design.time, design.role, design.source, design.sources
    present = code_presence(
        consensus,
        segments,
        documents,
        codebook,
        depth=design.depth,
        columns=[unit, time] + ([source] if sources is not None else []),
    )
    if sources is not None:
        present = present[present[source].astype(str).isin(list(sources))]
    present = present.merge(participants[["participant", role]], on="participant")
    roles = _compared_roles(participants, design)
    n_roles = present[present[role].isin(roles)].groupby([unit, time, "code"])[role].nunique()
    out = n_roles[n_roles == len(roles)].reset_index()[[unit, time, "code"]]
    order = {c: i for i, c in enumerate(codebook.index)}
    return (
        out.assign(_o=out["code"].map(order)).sort_values(["_o", unit, time]).drop(columns="_o").reset_index(drop=True)
    )


def role_table(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame,
    **options: Unpack[RoleOptions],
) -> pd.DataFrame:
    """Per code at ``depth``: statements and units in which each role raised it, and the
    number of shared views (see :func:`shared_views`; ``sources``: those that count).
    ``options``: see :class:`RoleOptions`."""
    design = _RoleDesign(**options)
    unit, role = design.unit, design.role
    roles = _compared_roles(participants, design)
    present = code_presence(consensus, segments, documents, codebook, depth=design.depth, columns=[unit, design.time])
    present = present.merge(participants[["participant", role]], on="participant")
    shared = shared_views(consensus, segments, documents, codebook, participants, **options)["code"].value_counts()
    rows = []
    for code in _codes_at(codebook, design.depth):
        row = {"code": code, "label": codebook.at[code, "label"]}
        for r in roles:
            part = present[(present["code"] == code) & (present[role] == r)]
            row[f"statements_{r}"] = int(part["segment"].nunique())
            row[f"{unit}s_{r}"] = int(part[unit].nunique())
        row["shared_views"] = int(shared.get(code, 0))
        rows.append(row)
    return pd.DataFrame(rows)


def dimension_table(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    parent: str,
    role: str = "role",
    time: str = "session",
    roles: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The children of ``parent`` (e.g. the dimensions of empathy): statements by role,
    and one quote each — the longest statement coded to it (ties: segment id),
    attributed to its speaker and session."""
    if parent not in codebook.index:
        raise ConfigError(Problem(field="parent", expected="a code of the codebook", found=repr(parent)))
    roles = list(roles) if roles else sorted(participants[role].dropna().unique())
    depth = int(codebook["depth"].astype("int64")[parent]) + 1
    present = code_presence(consensus, segments, documents, codebook, depth=depth, columns=[time])
    present = present.merge(participants[["participant", role]], on="participant", how="left")
    rows = []
    for code in children(codebook, parent):
        hits = present[present["code"] == code]
        row = {"code": code, "dimension": codebook.at[code, "label"]}
        for r in roles:
            row[f"statements_{r}"] = int((hits[role] == r).sum())
        spoken = hits[hits["participant"].astype(str) != ""]
        spoken = spoken.assign(length=spoken["text"].str.len()).sort_values(
            ["length", "segment"], ascending=[False, True], kind="stable"
        )
        if spoken.empty:
            row |= {"quote": "", "attribution": ""}
        else:
            top = spoken.iloc[0]
            row |= {"quote": top["text"], "attribution": f"{top['participant']}, {time} {top[time]}"}
        rows.append(row)
    return pd.DataFrame(rows)


def dyad_profiles(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    depth: int = 1,
    unit: str = "dyad",
    time: str = "session",
) -> pd.DataFrame:
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
            row[f"{time} {t}"] = ", ".join(sorted(codes, key=lambda c: order[c]))
        rows.append(row)
    return pd.DataFrame(rows)
