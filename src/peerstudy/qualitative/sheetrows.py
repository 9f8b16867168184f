"""One row of a coder sheet: checked, placed in its document, and added as a segment and a coding.

:func:`apply_row` is what :func:`peerstudy.qualitative.coding.apply_coding_sheets` does with
each row whose document, code and coder are known (:func:`check_row`): the code must fit
the document's top-level code (in a survey, its question), the row is placed
(:mod:`peerstudy.qualitative.spans`), its segment must lie in one participant's turn, and
one coder may not code the same span twice nor overlapping spans with one code. What
every row added is gathered in a :class:`SheetState`.

Examples
--------
>>> book = pd.DataFrame({"root": ["q", "q"], "depth": [0, 1], "label": ["Q", "Help"]},
...                     index=pd.Index(["q", "help"], name="code"))
>>> doc = pd.Series({"document": "1/q", "participant": "1", "question": "q", "text": "I wanted to grow. And to help."})
>>> state = SheetState(turn_index=None)
>>> cells = pd.Series({"code": "help", "coder": "AB", "excerpt": "And to help."})
>>> apply_row(state, cells, doc, "And to help.", book, root_code_from="question", unit_column=None, sheet="s.csv", row=2)
>>> state.codings[0]["segment"]
'1/q@18-30'
>>> apply_row(state, cells, doc, "And to help.", book, root_code_from="question", unit_column=None, sheet="s.csv",
...           row=3)["found"]
"'help' on the same excerpt again (first at s.csv row 2)"
>>> check_row(pd.Series({"code": "q", "coder": ""}), ("1/q",), {("1/q",): 0}, book, ["document"])[0]["fix"]
'fill in who made this coding'
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from peerstudy.cleaning.offsetmap import OffsetMap
from peerstudy.errors import Problem
from peerstudy.qualitative.codebook import suggest_code
from peerstudy.qualitative.excerpts import TurnIndex
from peerstudy.qualitative.spans import RowProblem, Span, span_from_offsets, span_of_excerpt

__all__ = ["SheetState", "apply_row", "check_row", "row_number"]


def row_number(row: Hashable) -> int:
    """The spreadsheet row number (1-based, header rows counted) a table of
    :func:`peerstudy.io.readers.read_csv_table` is indexed by, as an ``int``.

    Examples
    --------
    >>> row_number(next(pd.DataFrame({"a": [1]}, index=[2]).iterrows())[0])
    2
    """
    return int(cast(int, row))  # the index holds ints; iterrows types its labels as Hashable


@dataclass
class SheetState:
    """What :func:`peerstudy.qualitative.coding.apply_coding_sheets` has gathered so far, across sheets."""

    turn_index: TurnIndex | None
    maps: dict[str, OffsetMap] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    segments: dict[tuple[str, int, int], dict[str, Any]] = field(default_factory=dict)
    codings: list[dict[str, Any]] = field(default_factory=list)
    seen: dict[tuple[Any, ...], str] = field(default_factory=dict)
    spans: dict[tuple[str, str, str], list[tuple[int, int, str, int]]] = field(default_factory=dict)
    tolerant: list[dict[str, Any]] = field(default_factory=list)


def _unknown_document_fix(doc_key: tuple[str, ...], index: Mapping[tuple[str, ...], Any], names: Sequence[str]) -> str:
    """How to mend a row naming no document: the part of its key that no document has,
    with the values the documents have (a question named by its text rather than its
    field, say), else that this combination was not analysed.

    Examples
    --------
    >>> _unknown_document_fix(("2", "Why did you join?"), {("2", "why"): 0, ("3", "why"): 1}, ["number", "question"])
    "no analysed document has question 'Why did you join?' (they have why): correct it; an answer left out (by an exclusion, or empty) cannot be coded"
    >>> _unknown_document_fix(("4", "why"), {("2", "why"): 0, ("4", "how"): 1}, ["number", "question"])
    'check the identifiers; only analysed documents can be coded (this one was left out, or answered nothing)'
    """
    for position, (name, value) in enumerate(zip(names, doc_key, strict=False)):
        known = sorted({str(key[position]) for key in index}, key=lambda v: (len(v), v))
        if value in known:
            continue
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        return (
            f"no analysed document has {name} {value!r} (they have {shown}): correct it; an answer left out "
            "(by an exclusion, or empty) cannot be coded"
        )
    return "check the identifiers; only analysed documents can be coded (this one was left out, or answered nothing)"


def check_row(
    cells: pd.Series,
    doc_key: tuple[str, ...],
    index: dict[tuple[str, ...], Any],
    codebook: pd.DataFrame,
    document_key: Sequence[str],
) -> list[RowProblem]:
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
                "fix": _unknown_document_fix(doc_key, index, document_key),
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


def _code_problem(code: str, doc: pd.Series, codebook: pd.DataFrame, root_code_from: str | None) -> RowProblem | None:
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


def apply_row(
    state: SheetState,
    cells: pd.Series,
    doc: pd.Series,
    excerpt: str,
    codebook: pd.DataFrame,
    *,
    root_code_from: str | None,
    unit_column: str | None,
    sheet: str,
    row: int,
) -> RowProblem | None:
    """Locate one row's excerpt, check it, and add its segment and coding to ``state``;
    the problem, if any (nothing is added then)."""
    code, coder = cells["code"].strip(), cells["coder"].strip()
    problem = _code_problem(code, doc, codebook, root_code_from)
    if problem:
        return problem
    by_offsets = bool(cells.get("start", "").strip() or cells.get("end", "").strip())
    span = _locate_row(state, cells, doc, excerpt, by_offsets)
    if isinstance(span, dict):
        return span
    text = doc["text"][span[0] : span[1]]
    if not by_offsets and text != excerpt:
        state.tolerant.append(
            {"sheet": sheet, "row": row, "document": doc["document"], "excerpt": excerpt, "matched text": text}
        )
    speaker, problem = _row_speaker(state.turn_index, doc, span)
    if problem:
        return problem
    problem = _repeat_problem(state, doc["document"], span, code, coder, sheet, by_offsets)
    if problem:
        return problem
    _add_coding(state, cells, doc, span, speaker, unit_column=unit_column, sheet=sheet, row=row)
    return None


def _locate_row(
    state: SheetState, cells: pd.Series, doc: pd.Series, excerpt: str, by_offsets: bool
) -> Span | RowProblem:
    """Where a row lies in its document: by its offsets (into the transcript as written
    when the document has a source map), else by its excerpt."""
    if not by_offsets:
        return span_of_excerpt(cells, doc, excerpt, state.turn_index)
    source_map = state.maps.get(str(doc["document"]))
    return span_from_offsets(cells.get("start", ""), cells.get("end", ""), doc, excerpt, source_map)


def _row_speaker(turn_index: TurnIndex | None, doc: pd.Series, span: Span) -> tuple[Any, RowProblem | None]:
    """Who a segment belongs to: the document's participant, or, in a transcript with
    participant speakers, the speaker of the one participant's turn that holds it."""
    speaker = doc["participant"]
    if turn_index is not None and str(doc["participant"]):
        speaker = turn_index.speaker_at(doc["document"], *span)
        if speaker is None or speaker not in str(doc["participant"]).split("; "):
            return speaker, {
                "field": "excerpt",
                "expected": "text within one participant's turn",
                "found": "text across turns" if speaker is None else f"text of {speaker!r}",
                "fix": "mark only what one participant said",
            }
    return speaker, None


def _add_coding(
    state: SheetState,
    cells: pd.Series,
    doc: pd.Series,
    span: Span,
    speaker: Any,
    *,
    unit_column: str | None,
    sheet: str,
    row: int,
) -> None:
    """Add a checked row's segment (unless another row made it) and coding to ``state``."""
    code, coder = cells["code"].strip(), cells["coder"].strip()
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
            "text": doc["text"][span[0] : span[1]],
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


def _repeat_problem(
    state: SheetState, document: str, span: Span, code: str, coder: str, sheet: str, by_offsets: bool
) -> RowProblem | None:
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
