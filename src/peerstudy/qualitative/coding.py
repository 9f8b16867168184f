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
kept for tracing a result back to the coder's decision.

Examples
--------
>>> docs = pd.DataFrame({"document": ["1/q"], "participant": ["1"], "questionnaire": ["1"],
...                      "question": ["q"], "text": ["I wanted to grow. And to help."]})
>>> locate_excerpt(docs.loc[0, "text"], "And to help.")
(18, 30)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from peerstudy.cleaning.deid import DeidKey, deidentify, deidentify_frame, redacted_errors
from peerstudy.cleaning.offsetmap import OffsetMap, maps_from_turns
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import ConfigError, InputError, Problem
from peerstudy.io.readers import read_csv_table
from peerstudy.qualitative.codebook import suggest_code
from peerstudy.qualitative.excerpts import TurnIndex, find_excerpt, fold_text
from peerstudy.qualitative.refi import apply_refi
from peerstudy.qualitative.segments import Coded, attribute_segments

__all__ = [
    "Coded",
    "locate_excerpt",
    "apply_coding_sheets",
    "read_codings",
    "attribute_segments",
    "read_unit_sheets",
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
        coded.codings = deidentify_frame(coded.codings, key, columns=["note", "sheet"])
        coded.imported = deidentify_frame(coded.imported, key)
    return coded


def locate_excerpt(text: str, excerpt: str) -> tuple[int, int] | None:
    """``(start, end)`` of ``excerpt`` in ``text`` when it occurs in exactly one place
    (exactly, or else tolerantly: see :func:`peerstudy.qualitative.excerpts.find_excerpt`); the
    whole text for an empty excerpt; ``None`` if it occurs nowhere or in several places.

    Examples
    --------
    >>> locate_excerpt("abc abd", "abc")
    (0, 3)
    >>> locate_excerpt("abc abc", "abc") is None
    True
    >>> locate_excerpt("abc", "") == (0, 3)
    True
    >>> locate_excerpt("abc", "x") is None
    True
    """
    spans = find_excerpt(text, excerpt).spans
    return spans[0] if len(spans) == 1 else None


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
    index = {
        tuple(str(v) for v in k): i
        for i, k in zip(documents.index, documents[list(document_key)].itertuples(index=False, name=None), strict=False)
    }
    state = _SheetState(turn_index=TurnIndex(turns) if turns is not None else None, maps=maps_from_turns(turns))
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
            row_problems = _check_row(cells, doc_key, index, codebook, document_key)
            if row_problems:
                state.problems += [Problem(file=shown, row=int(row), **p) for p in row_problems]
                continue
            problem = _apply_row(
                state,
                cells,
                documents.loc[index[doc_key]],
                excerpt,
                codebook,
                root_code_from=root_code_from,
                unit_column=unit_column,
                sheet=shown,
                row=int(row),
            )
            if problem:
                state.problems.append(Problem(file=shown, row=int(row), **problem))
    problems = state.problems
    segments, codings, tolerant = state.segments, state.codings, state.tolerant
    if problems:
        raise InputError(problems)
    seg = pd.DataFrame(list(segments.values()), columns=["segment", "document", "participant", "start", "end", "text"])
    cod = pd.DataFrame(codings, columns=_CODING_COLUMNS)
    problems = _check_units(cod)
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
        tolerant=pd.DataFrame(tolerant, columns=["sheet", "row", "document", "excerpt", "matched text"]),
    )


@dataclass
class _SheetState:
    """What :func:`apply_coding_sheets` has gathered so far, across sheets."""

    turn_index: TurnIndex | None
    maps: dict[str, OffsetMap] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    segments: dict[tuple[str, int, int], dict] = field(default_factory=dict)
    codings: list[dict] = field(default_factory=list)
    seen: dict[tuple, str] = field(default_factory=dict)
    spans: dict[tuple[str, str, str], list[tuple[int, int, str, int]]] = field(default_factory=dict)
    tolerant: list[dict] = field(default_factory=list)


def _check_row(
    cells: pd.Series, doc_key: tuple[str, ...], index: dict, codebook: pd.DataFrame, document_key: Sequence[str]
) -> list[dict]:
    """The problems of a row that stop it being looked at further: an unknown document,
    a code not in the codebook, no coder."""
    code, coder = cells["code"].strip(), cells["coder"].strip()
    problems = []
    if doc_key not in index:
        problems.append(
            {
                "field": ", ".join(document_key),
                "expected": "a document of the cleaned data (an analysed answer or transcript)",
                "found": repr(", ".join(doc_key)),
                "fix": "check the identifiers; only analysed documents can be coded",
            }
        )
    if code not in codebook.index:
        problems.append(
            {
                "field": "code",
                "expected": "a code defined in the codebook",
                "found": repr(code),
                "fix": suggest_code(code, codebook),
            }
        )
    if not coder:
        problems.append(
            {
                "field": "coder",
                "expected": "the coder's initials",
                "found": "nothing",
                "fix": "fill in who made this coding",
            }
        )
    return problems


def _code_problem(code: str, doc: pd.Series, codebook: pd.DataFrame, root_code_from: str | None) -> dict | None:
    """A code that does not belong under the document's top-level code (a survey question)."""
    if root_code_from is None:
        return None
    if codebook.at[code, "root"] != doc[root_code_from]:
        return {
            "field": "code",
            "expected": f"a code under {doc[root_code_from]!r} (the {root_code_from} of this document)",
            "found": f"{code!r}, which is under {codebook.at[code, 'root']!r}",
            "fix": "use a code for this question, or correct the question column",
        }
    if codebook.at[code, "depth"] == 0:
        return {
            "field": "code",
            "expected": "a category, not a top-level code",
            "found": repr(code),
            "fix": "choose the category that fits the excerpt",
        }
    return None


def _apply_row(
    state: _SheetState,
    cells: pd.Series,
    doc: pd.Series,
    excerpt: str,
    codebook: pd.DataFrame,
    *,
    root_code_from: str | None,
    unit_column: str | None,
    sheet: str,
    row: int,
) -> dict | None:
    """Locate one row's excerpt, check it, and add its segment and coding to ``state``;
    the problem, if any (nothing is added then)."""
    code, coder = cells["code"].strip(), cells["coder"].strip()
    problem = _code_problem(code, doc, codebook, root_code_from)
    if problem:
        return problem
    by_offsets = bool(cells.get("start", "").strip() or cells.get("end", "").strip())
    source_map = state.maps.get(str(doc["document"]))
    if by_offsets and source_map is not None:
        span, problem = _span_from_source_offsets(
            cells.get("start", ""), cells.get("end", ""), doc, excerpt, source_map
        )
    elif by_offsets:
        span, problem = _span_from_offsets(cells.get("start", ""), cells.get("end", ""), doc, excerpt)
    else:
        span, problem = _span_of_excerpt(cells, doc, excerpt, state.turn_index)
    if problem:
        return problem
    text = doc["text"][span[0] : span[1]]
    if not by_offsets and text != excerpt:
        state.tolerant.append(
            {"sheet": sheet, "row": row, "document": doc["document"], "excerpt": excerpt, "matched text": text}
        )
    speaker = doc["participant"]
    if state.turn_index is not None and str(doc["participant"]):
        speaker = state.turn_index.speaker_at(doc["document"], *span)
        if speaker is None or speaker not in str(doc["participant"]).split("; "):
            return {
                "field": "excerpt",
                "expected": "text within one participant's turn",
                "found": "text across turns" if speaker is None else f"text of {speaker!r}",
                "fix": "mark only what one participant said",
            }
    problem = _repeat_problem(state, doc["document"], span, code, coder, sheet, by_offsets)
    if problem:
        return problem
    state.spans.setdefault((doc["document"], code, coder), []).append((span[0], span[1], sheet, row))
    state.seen[(doc["document"], *span), code, coder] = f"{sheet} row {row}"
    segment = f"{doc['document']}@{span[0]}-{span[1]}"
    state.segments.setdefault(
        (doc["document"], *span),
        {
            "segment": segment,
            "document": doc["document"],
            "participant": speaker,
            "start": span[0],
            "end": span[1],
            "text": text,
        },
    )
    state.codings.append(
        {
            "segment": segment,
            "unit": cells[unit_column].strip() if unit_column else segment,
            "code": code,
            "coder": coder,
            "round": 1,
            "note": cells.get("note", "").strip(),
            "sheet": sheet,
            "row": row,
        }
    )
    return None


def _repeat_problem(
    state: _SheetState, document: str, span: tuple[int, int], code: str, coder: str, sheet: str, by_offsets: bool
) -> dict | None:
    """The same coding again, or one coder's two overlapping spans of one code."""
    dup = ((document, *span), code, coder)
    if dup in state.seen:
        return {
            "field": "code",
            "expected": "each coding once per coder",
            "found": f"{code!r} on the same excerpt again (first at {state.seen[dup]})",
            "fix": "remove the repeated row",
        }
    other = next((o for o in state.spans.get((document, code, coder), []) if o[0] < span[1] and span[0] < o[1]), None)
    if other is None:
        return None
    at = f"row {other[3]}" if other[2] == sheet else f"{other[2]} row {other[3]}"
    return {
        "field": "start, end" if by_offsets else "excerpt",
        "expected": f"codings of {code!r} by {coder} that do not overlap",
        "found": f"[{span[0]}, {span[1]}), which overlaps [{other[0]}, {other[1]}) of {at}",
        "fix": "merge the two rows into one coding of the whole span, or correct "
        + ("the offsets" if by_offsets else "the excerpt"),
    }


def _span_from_offsets(
    start: str, end: str, doc: pd.Series, excerpt: str
) -> tuple[tuple[int, int] | None, dict | None]:
    """A span given as offsets: both whole numbers, 0 <= start < end <= len(text), and
    equal to the excerpt when one is given."""
    size = len(doc["text"])
    try:
        s, e = int(start), int(end)
    except ValueError:
        return None, {
            "field": "start, end",
            "expected": "whole-number offsets",
            "found": f"{start!r}, {end!r}",
            "fix": "write both offsets as whole numbers (code points from the start of the document), "
            "or leave both empty and give the excerpt",
        }
    if not 0 <= s < e <= size:
        return None, {
            "field": "start, end",
            "expected": f"0 <= start < end <= {size} (the length of document {doc['document']!r})",
            "found": f"start {s}, end {e}",
            "fix": "correct the offsets, or give the excerpt instead",
        }
    if excerpt and doc["text"][s:e] != excerpt:
        return None, {
            "field": "excerpt",
            "expected": f"the text at [{s}, {e}) of {doc['document']!r}",
            "found": repr(excerpt[:60]),
            "fix": "correct the offsets or the excerpt",
        }
    return (s, e), None


def _span_from_source_offsets(
    start: str, end: str, doc: pd.Series, excerpt: str, source_map: OffsetMap
) -> tuple[tuple[int, int] | None, dict | None]:
    """A span given as offsets into the source text (the transcript as the coder saw it),
    moved into the document through its map: both whole numbers, 0 <= start < end <= the
    source's length, selecting some of what was said, and matching the excerpt (as
    de-identified, tolerantly) when one is given."""
    size = source_map.source_length
    try:
        s, e = int(start), int(end)
    except ValueError:
        return None, {
            "field": "start, end",
            "expected": "whole-number offsets",
            "found": f"{start!r}, {end!r}",
            "fix": "write both offsets as whole numbers (code points from the start of the transcript file), "
            "or leave both empty and give the excerpt",
        }
    if not 0 <= s < e <= size:
        return None, {
            "field": "start, end",
            "expected": f"0 <= start < end <= {size} (the length of transcript {doc['document']!r} as written, "
            "in code points)",
            "found": f"start {s}, end {e}",
            "fix": "correct the offsets (they count from the start of the transcript file), or give the excerpt instead",
        }
    span = source_map.span(s, e)
    if span[0] >= span[1]:
        return None, {
            "field": "start, end",
            "expected": "offsets that select some of what was said",
            "found": f"start {s}, end {e}: only the header, times or speaker labels of {doc['document']!r}",
            "fix": "select the words of the turn",
        }
    if excerpt and fold_text(doc["text"][span[0] : span[1]])[0].strip() != fold_text(excerpt)[0].strip():
        return None, {
            "field": "excerpt",
            "expected": f"the text at [{s}, {e}) of transcript {doc['document']!r} as written",
            "found": repr(excerpt[:60]),
            "fix": "correct the offsets or the excerpt",
        }
    return span, None


def _span_of_excerpt(
    cells: pd.Series, doc: pd.Series, excerpt: str, turn_index: TurnIndex | None
) -> tuple[tuple[int, int] | None, dict | None]:
    """The one place an excerpt (given without offsets) lies in its document: found
    exactly, or tolerantly (:func:`peerstudy.qualitative.excerpts.find_excerpt`); where it occurs
    more than once, the sheet's ``speaker`` (whose turn) or ``occurrence`` (1 = first)
    column picks one."""
    found = find_excerpt(doc["text"], excerpt).spans
    shown = repr(excerpt[:80] + ("…" if len(excerpt) > 80 else ""))
    if not found:
        return None, {
            "field": "excerpt",
            "expected": f"text that occurs in document {doc['document']!r}",
            "found": shown,
            "fix": "copy the excerpt from the document as written (quotes, dashes, spaces "
            "and case may differ; words may not)",
        }
    speaker = str(cells.get("speaker", "")).strip()
    if len(found) > 1 and speaker and turn_index is not None:
        found = [s for s in found if turn_index.speaker_at(doc["document"], *s) == speaker] or found
    occurrence = str(cells.get("occurrence", "")).strip()
    if len(found) > 1 and occurrence:
        if not occurrence.isdigit() or not 1 <= int(occurrence) <= len(found):
            return None, {
                "field": "occurrence",
                "expected": f"a whole number from 1 to {len(found)}",
                "found": repr(occurrence),
                "fix": "count the occurrences of the excerpt in the document",
            }
        found = [found[int(occurrence) - 1]]
    if len(found) > 1:
        places = ", ".join(f"[{s}, {e})" for s, e in found[:5])
        return None, {
            "field": "excerpt",
            "expected": f"text that occurs once in document {doc['document']!r}",
            "found": f"{shown}, which occurs {len(found)} times (at {places})",
            "fix": "give the start and end offsets, the speaker, or the occurrence (1 = first) in the row, "
            "or copy a longer excerpt",
        }
    return found[0], None


_CODING_COLUMNS = ["segment", "unit", "code", "coder", "round", "note", "sheet", "row"]


def _check_units(codings: pd.DataFrame) -> list[Problem]:
    """A unit id must mean the same segment in every sheet."""
    problems = []
    for unit, group in codings.groupby("unit", sort=False):
        if group["segment"].nunique() > 1:
            first, other = group.iloc[0], group[group["segment"] != group["segment"].iloc[0]].iloc[0]
            problems.append(
                Problem(
                    file=other["sheet"],
                    row=int(other["row"]),
                    field="unit",
                    expected=f"the same excerpt for unit {unit!r} in every sheet",
                    found=f"a different excerpt than {first['sheet']} row {first['row']}",
                    fix="copy the unit's excerpt exactly, or give the unit another id",
                )
            )
    return problems


def read_unit_sheets(
    sheets: Sequence[str | Path], coded: Coded, codebook: pd.DataFrame, *, round: int = 2, key: DeidKey | None = None
) -> pd.DataFrame:
    """Codings from sheets that name units instead of excerpts (``unit``, ``code``,
    ``coder``), e.g. a third coder re-coding the agreed units; returned as codings of
    the segments those units are in :func:`apply_coding_sheets`' result. With the
    study's de-identification ``key``, notes and file names are de-identified."""
    if key is not None:  # researcher-written text (issue 13)
        with redacted_errors(key):
            return deidentify_frame(
                read_unit_sheets(sheets, coded, codebook, round=round), key, columns=["note", "sheet"]
            )
    units = coded.codings.drop_duplicates("unit").set_index("unit")["segment"]
    rows, problems = [], []
    for sheet in sheets:
        path = resolve_input(sheet)
        shown = relative_to_root(path)
        table = read_csv_table(path, required=["unit", "code", "coder"], parameter="stability_sheets")
        for row, cells in table.iterrows():
            unit, code, coder = cells["unit"].strip(), cells["code"].strip(), cells["coder"].strip()
            where = {"file": shown, "row": int(row)}
            if unit not in units.index:
                problems.append(
                    Problem(
                        **where,
                        field="unit",
                        expected="a unit of the coder sheets",
                        found=repr(unit),
                        fix="use the unit ids of the coder sheets' unit column",
                    )
                )
            if code not in codebook.index:
                problems.append(
                    Problem(
                        **where,
                        field="code",
                        expected="a code defined in the codebook",
                        found=repr(code),
                        fix=suggest_code(code, codebook),
                    )
                )
            if not coder:
                problems.append(
                    Problem(
                        **where,
                        field="coder",
                        expected="the coder's initials",
                        found="nothing",
                        fix="fill in who made this coding",
                    )
                )
            if unit in units.index and code in codebook.index and coder:
                rows.append(
                    {
                        "segment": units[unit],
                        "unit": unit,
                        "code": code,
                        "coder": coder,
                        "round": round,
                        "note": cells.get("note", "").strip(),
                        "sheet": shown,
                        "row": int(row),
                    }
                )
    if problems:
        raise InputError(problems)
    return pd.DataFrame(rows, columns=_CODING_COLUMNS).astype({"round": "int64", "row": "int64"})


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
