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
    "apply_coding_sheets",
    "read_codings",
    "attribute_segments",
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
