"""The codings a study's ``.qdpx`` holds: every coder's codings, the consensus, and the
stability re-coding, each as the codings of one REFI-QDA user.

A QDA program shows who coded what by the ``creatingUser`` of each ``<Coding>``: the
writer (:func:`peerstudy.qualitative.refi.write_qdpx`) makes one ``<User>`` per value of ``coder``,
so this module only lays the tables side by side. Coders are named by the label in
their sheets (a pseudonymous label such as ``AN``, never a real name: the sheets' coder
column is the project's only name for them); the consensus is the user ``consensus``.
Codings of the same span share one ``<PlainTextSelection>`` (one per unit); where a unit
id names different spans for different coders, each span gets a selection of its own
(the unit id followed by the span).

Belongs with the qualitative package (``peerstudy.qualitative``).

Examples
--------
>>> sheets = pd.DataFrame({"segment": ["d@0-4", "d@0-4"], "unit": ["U1", "U1"], "code": ["a", "b"],
...                        "coder": ["AN", "BO"]})
>>> consensus = pd.DataFrame({"segment": ["d@0-4"], "unit": ["U1"], "code": ["a"]})
>>> qda_codings(sheets, consensus)[["unit", "code", "coder"]].values.tolist()
[['U1', 'a', 'AN'], ['U1', 'b', 'BO'], ['U1', 'a', 'consensus']]
"""

from __future__ import annotations

import pandas as pd

from peerstudy.errors import InputError, Problem

__all__ = ["CONSENSUS_USER", "qda_codings"]

#: The REFI-QDA user whose codings are the consensus.
CONSENSUS_USER = "consensus"
_COLUMNS = ["segment", "unit", "code", "coder", "note"]


def _with_columns(frame: pd.DataFrame, coder: str | None = None) -> pd.DataFrame:
    out = frame.copy()
    if coder is not None:
        out["coder"] = coder
    if "unit" not in out:
        out["unit"] = out["segment"]
    out["unit"] = out["unit"].astype(object).where(out["unit"].notna(), out["segment"])
    if "note" not in out:
        out["note"] = ""
    return out[_COLUMNS].astype(object)


def _named_consensus(frame: pd.DataFrame, consensus_user: str) -> Problem | None:
    """A problem naming the sheet and row where a coder is labelled ``consensus_user``, or None."""
    hits = frame[frame["coder"].astype(str) == consensus_user]
    if hits.empty:
        return None
    first = hits.sort_values([c for c in ("sheet", "row") if c in hits]).iloc[0]  # its first row
    return Problem(
        file=str(first["sheet"]) if "sheet" in hits else None,
        row=int(first["row"]) if "row" in hits else None,
        field="coder",
        expected=f"coder labels other than {consensus_user!r} (the consensus user of the .qdpx)",
        found=f"{consensus_user!r} ({len(hits)} codings)",
        fix="label the coder otherwise in the coder sheets",
    )


def qda_codings(
    codings: pd.DataFrame,
    consensus: pd.DataFrame,
    recodings: pd.DataFrame | None = None,
    *,
    consensus_user: str = CONSENSUS_USER,
) -> pd.DataFrame:
    """Every coder's codings, then the consensus as the codings of ``consensus_user``,
    then the stability re-coding, as one codings table for :func:`peerstudy.qualitative.refi.write_qdpx`.

    Parameters
    ----------
    codings
        The independent coders' codings (``segment``, ``code``, ``coder``, optionally
        ``unit`` and ``note``), as :func:`peerstudy.qualitative.coding.read_codings` returns them.
    consensus
        The consensus (``segment``, ``code``, optionally ``unit``).
    recodings
        A further coder's re-coding for stability (as ``codings``), or None.
    consensus_user
        The user name of the consensus.

    Returns
    -------
    pandas.DataFrame
        ``segment``, ``unit``, ``code``, ``coder``, ``note``.

    Raises
    ------
    InputError
        A coder is called ``consensus_user``: their codings could not be told apart.
    """
    frames = [codings] + ([recodings] if recodings is not None and len(recodings) else [])
    problems = [p for p in (_named_consensus(frame, consensus_user) for frame in frames) if p is not None]
    if problems:
        raise InputError(problems)
    coders_parts = [_with_columns(frame) for frame in frames]
    table = pd.concat([*coders_parts, _with_columns(consensus, consensus_user)], ignore_index=True)
    spans = table.groupby("unit")["segment"].nunique()
    split = table["unit"].isin(spans.index[spans > 1])
    table.loc[split, "unit"] = table.loc[split, "unit"].astype(str) + " " + table.loc[split, "segment"].astype(str)
    table["note"] = table["note"].where(table["note"].notna(), "")
    return table
