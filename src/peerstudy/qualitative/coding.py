"""Apply coder sheets to documents: segments with offsets, and codings.

A coder sheet (CSV) has one row per coding: the columns that identify a document
(``document_key``, e.g. ``questionnaire, question``), ``code``, ``excerpt`` (the exact
text the coder marked, copied from the document; empty = the whole document), ``coder``,
and optionally ``note``, and ``start``/``end`` (offsets, as QDA programs export them;
when given they locate the segment, and the excerpt, if any, must match the text there).
Offsets count code points into the text as the coder saw it: the transcript file as
written when the study reads its transcripts with ``source_offsets: true`` (the turns then
carry the map from the source to the de-identified document, and every offset is moved
through it, :mod:`peerstudy.cleaning.offsetmap`: an offset inside a redacted name takes the whole
redacted form, one on a header line, time or speaker label moves to the words of the
turn), else the document's own (de-identified) text. An excerpt is de-identified with the
study's key before it is looked for, so one that names a person matches its redacted form. Each excerpt becomes a *segment* (REFI-QDA
``PlainTextSelection``): its document, and ``start``/``end`` offsets in code points into
the document text, so that ``text[start:end] == segment text``. Each row becomes a
*coding* (REFI-QDA ``Coding``): segment, code, coder, round, with the sheet file and row
kept for tracing a result back to the coder's decision. Each row is checked and applied by
:mod:`peerstudy.qualitative.sheetrows` (where it lies in its document:
:mod:`peerstudy.qualitative.spans`); unit ids are checked by :mod:`peerstudy.qualitative.units`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from peerstudy.cleaning.deid import DeidKey, deidentify, deidentify_frame, redacted_errors
from peerstudy.cleaning.offsetmap import maps_from_turns
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.qualitative.excerpts import TurnIndex
from peerstudy.qualitative.refi import apply_refi
from peerstudy.qualitative.refi.project import CODING_COLUMNS, SEGMENT_COLUMNS
from peerstudy.qualitative.segments import Coded, attribute_segments
from peerstudy.qualitative.sheetrows import SheetState, apply_row, check_row, row_number
from peerstudy.qualitative.units import check_units

__all__ = [
    "Coded",
    "Reconciled",
    "apply_coding_sheets",
    "read_codings",
    "attribute_segments",
    "reconcile",
    "count_codes",
]


def read_codings(
    coding_sheets: Sequence[str | Path],
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    qdpx: str | Path | None = None,
    document_key: Sequence[str] = ("document",),
    root_code_from: str | None = None,
    turns: pd.DataFrame | None = None,
    unit_column: str | None = None,
    key: DeidKey | None = None,
) -> Coded:
    """The codings of a study: from a REFI-QDA project (``qdpx``, exported by NVivo,
    ATLAS.ti, MAXQDA, QualCoder, Taguette or this project) when one is named, else
    from coder sheets (:func:`apply_coding_sheets`).

    With the study's de-identification ``key``, every text the coders wrote (notes,
    descriptions of imported selections, file names) is de-identified, and no message
    names a person (see :mod:`peerstudy.cleaning.deid`)."""
    with redacted_errors(key or DeidKey()):
        if qdpx:
            redact = (lambda text: deidentify(text, key)[0]) if key is not None else None
            coded = apply_refi(qdpx, documents, codebook, turns=turns, redact=redact)
        else:
            coded = apply_coding_sheets(
                coding_sheets,
                documents,
                codebook,
                document_key=document_key,
                root_code_from=root_code_from,
                turns=turns,
                unit_column=unit_column,
                key=key,
            )
            counts = coded.codings.groupby("sheet", sort=False).agg(
                codings=("code", "size"), coders=("coder", "nunique")
            )
            coded.imported = counts.reset_index().rename(columns={"sheet": "coder sheet"})
    if key is not None:  # researcher-written text (issue 13)
        # deidentify_frame passes None through; a frame in gives a frame out
        coded.codings = cast(pd.DataFrame, deidentify_frame(coded.codings, key, columns=["note", "sheet"]))
        coded.imported = deidentify_frame(coded.imported, key)
    return coded


def apply_coding_sheets(
    sheets: Sequence[str | Path],
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    document_key: Sequence[str],
    root_code_from: str | None = None,
    turns: pd.DataFrame | None = None,
    unit_column: str | None = None,
    key: DeidKey | None = None,
) -> Coded:
    """Read coder sheets and turn them into segments and codings.

    Parameters
    ----------
    sheets
        Coder sheet CSV files, relative to the project root or absolute.
    documents
        The cleaned documents (``document``, ``participant``, ``text`` and the key columns).
    codebook
        From :func:`peerstudy.qualitative.codebook.read_codebook`.
    document_key
        Columns present in both the sheet and ``documents`` that identify a document.
    root_code_from
        Optional ``documents`` column naming the top-level code a coding must fall
        under (in a survey, the question the answer belongs to).
    turns
        Speaker turns of the documents (``document``, ``speaker``, ``start``, ``end``),
        for transcripts: each excerpt must lie within one participant's turn, and the
        segment is attributed to that speaker. Documents without participant speakers
        (field notes, where only the observer speaks) are attributed to no participant.
        Turns with source maps (``source_offsets: true``) make the sheets' offsets offsets
        into the transcripts as written.
    unit_column
        A sheet column that names each candidate unit (the same in every coder's
        sheet); kept in the codings as ``unit`` so reconciliation and re-coding sheets
        can refer to it.
    key
        The study's de-identification key: a sheet may name a document by its raw id
        (a transcript's file name) and quote an excerpt from the raw text; both are
        de-identified before they are looked up.

    Raises
    ------
    InputError
        Every problem in every sheet at once: unknown documents, codes not in the
        codebook, codes under the wrong top-level code, excerpts not found in their
        document, offsets that are not numbers or lie outside the document,
        repeated codings, codings of one code by one coder that overlap, missing
        coder; offsets into a transcript as written (see the module's description) past
        the end of the transcript or selecting only its layout.
    """
    index = _document_index(documents, document_key)
    state = SheetState(turn_index=TurnIndex(turns) if turns is not None else None, maps=maps_from_turns(turns))
    for sheet in sheets:
        path = resolve_input(sheet)
        shown = relative_to_root(path)
        required = [*document_key, "code", "excerpt", "coder"] + ([unit_column] if unit_column else [])
        table = read_csv_table(path, required=required, parameter="coding_sheets")
        for row, cells in table.iterrows():
            doc_key = tuple(cells[c].strip() for c in document_key)
            excerpt = unicodedata.normalize("NFC", cells["excerpt"]).strip()
            if key is not None:  # raw ids and raw excerpts are looked up de-identified (issue 13)
                doc_key = doc_key if doc_key in index else tuple(deidentify(k, key)[0] for k in doc_key)
                excerpt = deidentify(excerpt, key)[0]
            row_problems = check_row(cells, doc_key, index, codebook, document_key)
            if row_problems:
                state.problems += [Problem(file=shown, row=row_number(row), **p) for p in row_problems]
                continue
            problem = apply_row(
                state,
                cells,
                documents.loc[index[doc_key]],
                excerpt,
                codebook,
                root_code_from=root_code_from,
                unit_column=unit_column,
                sheet=shown,
                row=row_number(row),
            )
            if problem:
                state.problems.append(Problem(file=shown, row=row_number(row), **problem))
    if state.problems:
        raise InputError(state.problems)
    return _coded_from_state(state, codebook)


def _document_index(documents: pd.DataFrame, document_key: Sequence[str]) -> dict[tuple[str, ...], Any]:
    """The index label of each document, by the values of its ``document_key`` columns."""
    missing_cols = [c for c in document_key if c not in documents]
    if missing_cols or not document_key:
        raise ConfigError(
            Problem(
                field="document_key",
                expected="columns of the documents table",
                found=repr(list(document_key)),
                fix=f"use some of {list(documents.columns)}",
            )
        )
    return {
        tuple(str(v) for v in k): i
        for i, k in zip(documents.index, documents[list(document_key)].itertuples(index=False, name=None), strict=False)
    }


def _coded_from_state(state: SheetState, codebook: pd.DataFrame) -> Coded:
    """The segments (in document order) and codings (in codebook order) gathered from
    every sheet, once their unit ids are checked."""
    seg = pd.DataFrame(list(state.segments.values()), columns=SEGMENT_COLUMNS)
    cod = pd.DataFrame(state.codings, columns=CODING_COLUMNS)
    problems = check_units(cod)
    if problems:
        raise InputError(problems)
    seg = seg.sort_values(["document", "start", "end"], kind="stable").reset_index(drop=True)
    order = codebook["order"]
    cod = (
        cod.assign(_o=cod["code"].map(order))
        .sort_values(["_o", "segment", "coder"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
    return Coded(
        segments=seg.astype({"start": "int64", "end": "int64"}),
        codings=cod.astype({"round": "int64", "row": "int64"}),
        tolerant=pd.DataFrame(state.tolerant, columns=["sheet", "row", "document", "excerpt", "matched text"]),
    )


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
    """Consensus of the coders of :func:`apply_coding_sheets`.

    One coder: their codings are the consensus. Several: codes all of them applied are
    kept; every disagreement needs a row (``unit``, ``code``, ``decision`` keep/drop,
    optional ``reason``) in the reconciliation sheet. Documents only some of the coders
    coded (one coder on part of the data) are taken as those coders coded them
    ("single coder"). With the study's de-identification ``key``, the reasons are
    de-identified.
    """
    if key is not None:  # researcher-written text (issue 13)
        with redacted_errors(key):
            done = reconcile(coded, reconciliation)
        return Reconciled(
            consensus=done.consensus, disagreements=deidentify_frame(done.disagreements, key, columns=["reason"])
        )
    from peerstudy.stats.agreement import apply_reconciliation, disagreements

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
    else:
        path = resolve_input(reconciliation)
        shown = relative_to_root(path)
        table = read_csv_table(path, required=["unit", "code", "decision"], parameter="reconciliation")
        seg_of = {u: s for s, u in units.items()}
        table = table.assign(unit=table["unit"].str.strip(), code=table["code"].str.strip())
        problems, first = [], {}
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
    try:
        resolved = apply_reconciliation(codings[["segment", "code", "coder"]], decisions)
    except InputError as exc:
        raise InputError([_in_file(p, shown) for p in exc.problems] if shown else exc.problems) from None
    consensus = resolved.assign(unit=resolved["segment"].map(units))[["segment", "unit", "code", "source"]]
    if not single.empty:
        consensus = pd.concat([consensus, single], ignore_index=True)
    return Reconciled(consensus=consensus.reset_index(drop=True), disagreements=sheet[columns].reset_index(drop=True))


_RECONCILIATION_FIXES = {
    "decision": "write keep (the code applies) or drop (it does not)",
    "code": "use a code one of the coders applied to this unit",
}


def _in_file(problem: Problem, file: str) -> Problem:
    """A problem of :func:`peerstudy.stats.agreement.apply_reconciliation`, located in the
    reconciliation sheet and given a fix if it has none."""
    return Problem(
        expected=problem.expected,
        found=problem.found,
        file=problem.file or file,
        row=problem.row,
        field=problem.field,
        fix=problem.fix or _RECONCILIATION_FIXES.get(problem.field or "", ""),
    )


def count_codes(codings: pd.DataFrame, segments: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """Code frequencies, as QDA programs report them: per code, the number of codings,
    of distinct segments, documents and participants, in codebook order (codes never
    applied are listed with 0).

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["A", "B"], "order": [0, 1]}, index=pd.Index(["a", "b"], name="code"))
    >>> segs = pd.DataFrame({"segment": ["s1", "s2"], "document": ["d1", "d1"], "participant": ["p1", "p1"]})
    >>> cods = pd.DataFrame({"segment": ["s1", "s2", "s2"], "code": ["a", "a", "a"], "coder": ["x", "x", "y"]})
    >>> count_codes(cods, segs, book)[["codings", "segments", "participants"]].to_dict("index")
    {'a': {'codings': 3, 'segments': 2, 'participants': 1}, 'b': {'codings': 0, 'segments': 0, 'participants': 0}}
    """
    merged = codings.merge(segments[["segment", "document", "participant"]], on="segment", how="left")
    grouped = merged.groupby("code")
    counts = pd.DataFrame(
        {
            "codings": grouped.size(),
            "segments": grouped["segment"].nunique(),
            "documents": grouped["document"].nunique(),
            "participants": grouped["participant"].nunique(),
        }
    )
    counts = counts.reindex(codebook.index, fill_value=0).astype("int64")
    counts.insert(0, "label", codebook["label"])
    return counts
