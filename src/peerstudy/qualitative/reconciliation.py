"""Reconciliation: the codings the coders disagree on, their decisions, and the consensus.

Two or more coders code the same documents; a *disagreement* is a (segment, code) some
but not all of them applied. :func:`disagreements` lists them as a sheet for the
reconciliation meeting (column ``decision``: "keep" or "drop"), and
:func:`apply_reconciliation` builds the consensus from the codings and the filled-in
sheet. :func:`reconcile` runs the workflow for a study's coder sheets
(:class:`peerstudy.qualitative.segments.Coded`): it reads the reconciliation sheet the
study names (by ``unit``), takes documents only some coders coded as they coded them,
and returns a :class:`Reconciled`. Tidy codings are described in
:mod:`peerstudy.stats.tidy`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from peerstudy.cleaning.deid import DeidKey, deidentify_frame, redacted_errors
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.qualitative.segments import Coded
from peerstudy.stats.ratings import show_values
from peerstudy.stats.tidy import EncodedCodings, PairGroups, coder_sets, encode_codings, group_pairs

__all__ = ["Reconciled", "disagreements", "apply_reconciliation", "reconcile"]

DECISIONS = {"keep": True, "drop": False}


def _text_lookup(text: Any, segment_col: str) -> pd.Series:
    """Segment -> text as a Series, from a mapping, Series or DataFrame."""
    if isinstance(text, pd.DataFrame):
        if segment_col not in text.columns or "text" not in text.columns:
            raise InputError(
                Problem(
                    field="text",
                    expected=f"a DataFrame with columns {[segment_col, 'text']}",
                    found=f"columns {show_values(list(text.columns), 8)}",
                )
            )
        series = pd.Series(text["text"].to_numpy(), index=text[segment_col].to_numpy())
    elif isinstance(text, pd.Series):
        series = text
    elif isinstance(text, Mapping):
        series = pd.Series(dict(text), dtype=object)
    else:
        raise ConfigError(
            Problem(
                field="text", expected="a mapping, Series or DataFrame from segment to text", found=type(text).__name__
            )
        )
    if not series.index.is_unique:
        dup = series.index[series.index.duplicated()].tolist()
        raise InputError(Problem(field="text", expected="one text per segment", found=f"duplicates {show_values(dup)}"))
    return series


def disagreements(
    codings: pd.DataFrame,
    segments: Sequence[Hashable] | None = None,
    text: Mapping[Hashable, str] | pd.Series | pd.DataFrame | None = None,
    *,
    coders: Sequence[Hashable] | None = None,
    segment_col: str = "segment",
    code_col: str = "code",
    coder_col: str = "coder",
) -> pd.DataFrame:
    """The (segment, code) pairs the coders disagree on: a reconciliation sheet.

    A disagreement is a code some but not all of the compared coders applied to
    a segment. The result can be saved as a spreadsheet, filled in during the
    reconciliation meeting (column ``decision``: "keep" or "drop") and given to
    :func:`apply_reconciliation`.

    Parameters
    ----------
    codings, segments, coders, segment_col, code_col, coder_col
        As in :func:`agreement_table` (``segments`` only checks the segment ids
        and orders the rows).
    text
        Segment text: a mapping or Series from segment to text, or a DataFrame
        with columns ``segment_col`` and ``text``. Segments without text get NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``segment_col``, ``code_col``, ``applied_by`` and
        ``not_applied_by`` (coders joined by "; "), ``text`` and an empty
        ``decision``; ordered by segment (order of ``segments``, or of first
        appearance) and code.

    Raises
    ------
    InputError
        As :func:`agreement_table`; ``text`` with duplicate segments or without
        the needed columns.

    Examples
    --------
    >>> codings = pd.DataFrame({
    ...     "segment": [1, 1, 1, 2, 3],
    ...     "code":    ["A", "A", "B", "A", "B"],
    ...     "coder":   ["Ann", "Ben", "Ann", "Ann", "Ben"]})
    >>> sheet = disagreements(codings, text={1: "I felt heard.", 2: "We met weekly.", 3: "No."})
    >>> print(sheet[["segment", "code", "applied_by", "not_applied_by", "text"]].to_string(index=False))
     segment code applied_by not_applied_by           text
           1    B        Ann            Ben  I felt heard.
           2    A        Ann            Ben We met weekly.
           3    B        Ben            Ann            No.
    """
    cols = (segment_col, code_col, coder_col)
    lookup = None if text is None else _text_lookup(text, segment_col)
    coded = encode_codings(codings, segments, coders, None, cols)
    groups = group_pairs(coded)
    m = len(coded.coders)
    split = np.flatnonzero(groups.n_applied < m)
    applied, not_applied = coder_sets(coded, groups, split)
    seg_labels = coded.segments.take(groups.seg[split])
    sheet = pd.DataFrame(
        {
            segment_col: seg_labels,
            code_col: coded.codes.take(groups.code[split]),
            "applied_by": applied,
            "not_applied_by": not_applied,
        }
    )
    if lookup is None:
        sheet["text"] = np.nan
    else:
        sheet["text"] = lookup.reindex(seg_labels).to_numpy()
    sheet["decision"] = pd.Series([None] * len(sheet), dtype=object)
    return sheet


def apply_reconciliation(
    codings: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    coders: Sequence[Hashable] | None = None,
    segment_col: str = "segment",
    code_col: str = "code",
    coder_col: str = "coder",
) -> pd.DataFrame:
    """Build the consensus coding from the coders' codings and a reconciliation sheet.

    A code all compared coders applied to a segment is kept as is. Every
    disagreement (see :func:`disagreements`) must have exactly one row in
    ``decisions`` saying ``"keep"`` (the code applies to the segment) or
    ``"drop"`` (it does not); case and surrounding spaces are ignored. Rows for
    pairs the coders agree on are an error, since agreed codings are not
    reconsidered.

    Parameters
    ----------
    codings, coders, segment_col, code_col, coder_col
        As in :func:`agreement_table`.
    decisions
        The reconciliation sheet: columns ``segment_col``, ``code_col`` and
        ``decision`` (other columns are ignored). Row numbers in errors are those
        a spreadsheet shows (header = row 1).

    Returns
    -------
    pandas.DataFrame
        The consensus: one row per (segment, code) that applies, columns
        ``segment_col``, ``code_col`` and ``source`` ("agreed" or "reconciled"),
        ordered by segment (first appearance) and code.

    Raises
    ------
    InputError
        Bad codings (see :func:`agreement_table`); a sheet row with an unknown
        segment or code, a missing or unknown decision, a pair the coders agree
        on, or a pair listed twice (each names its row and field); a
        disagreement without a decision.

    Examples
    --------
    >>> codings = pd.DataFrame({
    ...     "segment": [1, 1, 1, 2, 3],
    ...     "code":    ["A", "A", "B", "A", "B"],
    ...     "coder":   ["Ann", "Ben", "Ann", "Ann", "Ben"]})
    >>> sheet = disagreements(codings)
    >>> sheet["decision"] = ["keep", "drop", "keep"]
    >>> print(apply_reconciliation(codings, sheet).to_string(index=False))
     segment code     source
           1    A     agreed
           1    B reconciled
           3    B reconciled
    """
    cols = (segment_col, code_col, coder_col)
    coded = encode_codings(codings, None, coders, None, cols)
    groups = group_pairs(coded)
    _check_sheet(decisions, segment_col, code_col)
    chosen, problems = _read_decisions(coded, groups, decisions, segment_col, code_col)
    m, n_codes = len(coded.coders), len(coded.codes)
    pair_id = groups.seg * n_codes + groups.code  # sorted
    split = (groups.n_applied > 0) & (groups.n_applied < m)
    undecided = [p for p in pair_id[split].tolist() if p not in chosen]
    if undecided:
        labels = [(coded.segments[p // n_codes], coded.codes[p % n_codes]) for p in undecided]
        problems.append(
            Problem(
                field="decisions",
                expected="a decision for every disagreement",
                found=f"no decision for (segment, code) {show_values(labels)}",
                fix="add a row with 'keep' or 'drop' for each",
            )
        )
    if problems:
        raise InputError(problems)

    keep = groups.n_applied == m
    reconciled = np.zeros(pair_id.size, dtype=bool)
    kept_pairs = np.array([p for p, applies in chosen.items() if applies], dtype=np.int64)
    reconciled[np.searchsorted(pair_id, kept_pairs)] = True  # decided pairs are coded pairs
    take = keep | reconciled
    return pd.DataFrame(
        {
            segment_col: coded.segments.take(groups.seg[take]),
            code_col: coded.codes.take(groups.code[take]),
            "source": np.where(keep[take], "agreed", "reconciled"),
        }
    )


def _check_sheet(decisions: Any, segment_col: str, code_col: str) -> None:
    """The reconciliation sheet is a DataFrame with the segment, code and decision columns."""
    if not isinstance(decisions, pd.DataFrame):
        raise InputError(
            Problem(
                field="decisions",
                expected=f"a DataFrame with columns {[segment_col, code_col, 'decision']}",
                found=type(decisions).__name__,
            )
        )
    absent = [c for c in (segment_col, code_col, "decision") if c not in decisions.columns]
    if absent:
        raise InputError(
            Problem(
                field="decisions",
                expected=f"columns {[segment_col, code_col, 'decision']}",
                found=f"no column {show_values(absent)}",
            )
        )


def _read_decisions(
    coded: EncodedCodings, groups: PairGroups, decisions: pd.DataFrame, segment_col: str, code_col: str
) -> tuple[dict[int, bool], list[Problem]]:
    """The decision of each row of the sheet, by (segment, code) pair id, and the problems of
    its rows (row numbers as a spreadsheet shows them: the header is row 1)."""
    m, n_codes = len(coded.coders), len(coded.codes)
    pair_id = groups.seg * n_codes + groups.code
    status = dict(zip(pair_id.tolist(), groups.n_applied.tolist(), strict=False))
    seg_of = coded.segments.get_indexer(pd.Index(decisions[segment_col]))
    code_of = coded.codes.get_indexer(pd.Index(decisions[code_col]))
    problems: list[Problem] = []
    chosen: dict[int, bool] = {}
    for i, (seg, code, raw_seg, raw_code, decision) in enumerate(
        zip(seg_of, code_of, decisions[segment_col], decisions[code_col], decisions["decision"], strict=False)
    ):
        row = i + 2  # spreadsheet row: header is row 1
        word = _decision_word(decision)
        problems += _row_problems(row, (int(seg), int(code)), (raw_seg, raw_code, decision), (segment_col, code_col))
        if seg < 0 or code < 0:
            continue
        pair = int(seg) * n_codes + int(code)
        n_applied = status.get(pair, 0)
        if n_applied in (0, m):
            who = "no coder" if n_applied == 0 else "every coder"
            problems.append(
                Problem(
                    row=row,
                    field=code_col,
                    expected="a (segment, code) pair the coders disagree on",
                    found=f"{raw_code!r} in segment {raw_seg!r}, which {who} applied",
                    fix="delete the row: agreed codings are kept as they are",
                )
            )
        elif pair in chosen:
            problems.append(
                Problem(
                    row=row,
                    field=code_col,
                    expected="one decision per disagreement",
                    found=f"a second row for {raw_code!r} in segment {raw_seg!r}",
                )
            )
        elif word is not None and word in DECISIONS:
            chosen[pair] = DECISIONS[word]
    return chosen, problems


def _decision_word(decision: Any) -> str | None:
    """A decision cell as a word of :data:`DECISIONS` would be written (None if not text)."""
    return decision.strip().lower() if isinstance(decision, str) else None


def _row_problems(
    row: int, found: tuple[int, int], cells: tuple[Any, Any, Any], cols: tuple[str, str]
) -> list[Problem]:
    """Problems of one sheet row on its own: an unknown segment or code (position -1 in ``found``),
    a decision not in the vocabulary. ``cells`` are the row's segment, code and decision."""
    (seg, code), (raw_seg, raw_code, decision), (segment_col, code_col) = found, cells, cols
    problems = []
    if seg < 0:
        problems.append(
            Problem(row=row, field=segment_col, expected="a segment that appears in the codings", found=repr(raw_seg))
        )
    if code < 0:
        problems.append(
            Problem(row=row, field=code_col, expected="a code that appears in the codings", found=repr(raw_code))
        )
    if _decision_word(decision) not in DECISIONS:
        problems.append(
            Problem(
                row=row,
                field="decision",
                expected=f"one of {list(DECISIONS)}",
                found="nothing" if pd.isna(decision) else repr(decision),
            )
        )
    return problems


@dataclass
class Reconciled:
    """The consensus coding and the disagreements it resolved.

    Attributes
    ----------
    consensus
        ``segment``, ``unit``, ``code``, ``source`` ("agreed", "reconciled" or "single
        coder").
    disagreements
        One row per (segment, code) some coders applied and others did not, with the
        decision and reason from the reconciliation sheet.
    """

    consensus: pd.DataFrame
    disagreements: pd.DataFrame


def reconcile(coded: Coded, reconciliation: str | Path | None = None, *, key: DeidKey | None = None) -> Reconciled:
    """Consensus of the coders of :func:`peerstudy.qualitative.coding.apply_coding_sheets`.

    One coder: their codings are the consensus. Several: codes all of them applied are
    kept; every disagreement needs a row (``unit``, ``code``, ``decision`` keep/drop,
    optional ``reason``) in the reconciliation sheet. Documents only some of the coders
    coded (one coder on part of the data) are taken as those coders coded them
    ("single coder"). With the study's de-identification ``key``, the reasons are
    de-identified.

    Parameters
    ----------
    coded
        Segments (``segment``, ``document``, ``text``) and codings (``segment``, ``unit``,
        ``code``, ``coder``).
    reconciliation, key
        The reconciliation sheet (CSV); the study's de-identification key.

    Returns
    -------
    Reconciled

    Raises
    ------
    InputError
        Disagreements and no sheet; a bad sheet row (see :func:`apply_reconciliation`).

    Examples
    --------
    Two coders agree on d1; d2 was coded by X alone:

    >>> segments = pd.DataFrame({"segment": ["a", "b"], "document": ["d1", "d2"], "text": ["x", "y"]})
    >>> codings = pd.DataFrame({"segment": ["a", "a", "b"], "unit": ["a", "a", "b"],
    ...                         "code": ["k", "k", "m"], "coder": ["X", "Y", "X"]})
    >>> reconcile(Coded(segments=segments, codings=codings)).consensus.values.tolist()
    [['a', 'a', 'k', 'agreed'], ['b', 'b', 'm', 'single coder']]
    """
    if key is not None:  # researcher-written text (issue 13)
        with redacted_errors(key):
            done = reconcile(coded, reconciliation)
        reasons = deidentify_frame(done.disagreements, key, columns=["reason"])  # a frame, since one is given
        return Reconciled(consensus=done.consensus, disagreements=done.disagreements if reasons is None else reasons)
    codings = coded.codings
    units = codings.drop_duplicates("segment").set_index("segment")["unit"]
    coders = list(dict.fromkeys(codings["coder"]))
    columns = ["segment", "unit", "code", "applied_by", "not_applied_by", "text", "decision", "reason"]
    doc_of = coded.segments.set_index("segment")["document"]
    per_doc = codings.groupby(codings["segment"].map(doc_of))["coder"].nunique()
    alone = (codings["segment"].map(doc_of).map(per_doc) < len(coders)) | (len(coders) < 2)
    single = codings.loc[alone, ["segment", "unit", "code"]].drop_duplicates().assign(source="single coder")
    if len(coders) < 2 or alone.all():
        return Reconciled(consensus=single.reset_index(drop=True), disagreements=pd.DataFrame(columns=columns))
    codings = codings[~alone]
    text = coded.segments.set_index("segment")["text"]
    shared_segments = [
        s
        for s in coded.segments["segment"]
        if s in set(codings["segment"]) or doc_of[s] in set(codings["segment"].map(doc_of))
    ]
    sheet = disagreements(codings[["segment", "code", "coder"]], segments=shared_segments, text=text)
    sheet.insert(1, "unit", sheet["segment"].map(units))
    shown = None
    if reconciliation is None:
        decisions = _without_sheet(sheet)
    else:
        path = resolve_input(reconciliation)
        shown = relative_to_root(path)
        decisions = _read_sheet(path, shown, units, sheet)
    try:
        resolved = apply_reconciliation(codings[["segment", "code", "coder"]], decisions)
    except InputError as exc:
        raise InputError([_in_file(p, shown) for p in exc.problems] if shown else exc.problems) from None
    consensus = resolved.assign(unit=resolved["segment"].map(units))[["segment", "unit", "code", "source"]]
    if not single.empty:
        consensus = pd.concat([consensus, single], ignore_index=True)
    return Reconciled(consensus=consensus.reset_index(drop=True), disagreements=sheet[columns].reset_index(drop=True))


def _without_sheet(sheet: pd.DataFrame) -> pd.DataFrame:
    """The decisions when the study names no reconciliation sheet: none are needed if the
    coders never disagree (``sheet`` is empty; it gets an empty reason)."""
    if not sheet.empty:
        raise InputError(
            Problem(
                field="reconciliation",
                expected="a reconciliation sheet for the disagreements",
                found=f"{len(sheet)} disagreements and no sheet",
                fix="fill in a sheet with unit, code, decision (keep/drop) and name it in the study's YAML",
            )
        )
    decisions = sheet[["segment", "code", "decision"]]
    sheet["reason"] = ""
    return decisions


def _read_sheet(path: Path, shown: str, units: pd.Series, sheet: pd.DataFrame) -> pd.DataFrame:
    """The decisions of the reconciliation sheet at ``path`` (by unit), by segment; each
    disagreement of ``sheet`` gets its decision and reason (in place)."""
    table = read_csv_table(path, required=["unit", "code", "decision"], parameter="reconciliation")
    seg_of = {u: s for s, u in units.items()}
    table = table.assign(unit=table["unit"].str.strip(), code=table["code"].str.strip())
    _check_sheet_rows(table, seg_of, shown)
    decisions = pd.DataFrame(
        {
            "segment": table["unit"].map(seg_of).to_numpy(),
            "code": table["code"].to_numpy(),
            "decision": table["decision"].to_numpy(),
        }
    )
    reasons = table.assign(segment=decisions["segment"].to_numpy()).set_index(["segment", "code"])
    keys = list(zip(sheet["segment"], sheet["code"], strict=False))
    sheet["decision"] = [reasons["decision"].get(k, "").strip().lower() for k in keys]
    sheet["reason"] = [reasons["reason"].get(k, "") if "reason" in reasons else "" for k in keys]
    return decisions


def _check_sheet_rows(table: pd.DataFrame, seg_of: dict[Any, Any], shown: str) -> None:
    """Every row of the reconciliation sheet names a unit of the coder sheets, each (unit,
    code) once; all problems reported together."""
    problems: list[Problem] = []
    first: dict[tuple[Any, Any], int] = {}
    for r, u, c in zip(table.index, table["unit"], table["code"], strict=False):
        if u not in seg_of:
            problems.append(
                Problem(
                    file=shown,
                    row=int(r),
                    field="unit",
                    expected="a unit of the coder sheets",
                    found=repr(u),
                    fix="use the unit ids of the coder sheets' unit column (see the disagreements table)",
                )
            )
        elif (u, c) in first:
            problems.append(
                Problem(
                    file=shown,
                    row=int(r),
                    field="unit, code",
                    expected="one row per unit and code",
                    found=f"{u!r}, {c!r} again (first in row {first[u, c]})",
                    fix="keep one of the two rows",
                )
            )
        first.setdefault((u, c), int(r))
    if problems:
        raise InputError(problems)


_RECONCILIATION_FIXES = {
    "decision": "write keep (the code applies) or drop (it does not)",
    "code": "use a code one of the coders applied to this unit",
}


def _in_file(problem: Problem, file: str) -> Problem:
    """A problem of :func:`apply_reconciliation`, located in the
    reconciliation sheet and given a fix if it has none."""
    return Problem(
        expected=problem.expected,
        found=problem.found,
        file=problem.file or file,
        row=problem.row,
        field=problem.field,
        fix=problem.fix or _RECONCILIATION_FIXES.get(problem.field or "", ""),
    )
