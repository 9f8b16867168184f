"""Where a coder sheet's row lies in its document: the span of its excerpt, or of its offsets.

A row gives either ``start``/``end`` offsets (as QDA programs export them; the excerpt,
if any, must match the text there) or only the excerpt, which must then occur in one
place of the document (found exactly, or tolerantly: see
:func:`peerstudy.qualitative.excerpts.find_excerpt`). Offsets count code points into the
document's own (de-identified) text, or, for a transcript read with ``source_offsets:
true``, into the transcript file as written, moved into the document through its
:class:`peerstudy.cleaning.offsetmap.OffsetMap`.

Each function returns the span ``(start, end)`` or, when the row cannot be placed, the
problem (the keyword arguments of a :class:`peerstudy.errors.Problem` without the file
and row, which the caller knows).

Examples
--------
>>> locate_excerpt("I wanted to grow. And to help.", "And to help.")
(18, 30)
>>> doc = pd.Series({"document": "d", "text": "I wanted to grow."})
>>> span_from_offsets("2", "8", doc, "wanted")
(2, 8)
>>> span_from_offsets("2", "80", doc, "")["found"]
'start 2, end 80'
"""

from __future__ import annotations

import pandas as pd

from peerstudy.cleaning.offsetmap import OffsetMap
from peerstudy.qualitative.excerpts import TurnIndex, find_excerpt, fold_text

__all__ = ["Span", "RowProblem", "locate_excerpt", "span_from_offsets", "span_of_excerpt"]

#: A span ``(start, end)`` in code points into a document's text.
Span = tuple[int, int]

#: What is wrong with a row: ``field``, ``expected``, ``found`` and ``fix`` of a Problem.
RowProblem = dict[str, str]


def locate_excerpt(text: str, excerpt: str) -> Span | None:
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


def span_from_offsets(
    start: str, end: str, doc: pd.Series, excerpt: str, source_map: OffsetMap | None = None
) -> Span | RowProblem:
    """A span given as offsets: both whole numbers, 0 <= start < end <= the length of the
    text they count in, and equal to the excerpt when one is given.

    Without ``source_map`` the offsets count into the document's text, and the excerpt
    must equal the text there exactly. With it they count into the source text (the
    transcript as the coder saw it) and are moved into the document through the map:
    they must then select some of what was said, and the excerpt (as de-identified)
    must match the text there tolerantly.

    Examples
    --------
    >>> doc = pd.Series({"document": "d", "text": "abc def"})
    >>> span_from_offsets("4", "7", doc, "def")
    (4, 7)
    >>> span_from_offsets("4", "x", doc, "")["expected"]
    'whole-number offsets'
    >>> span_from_offsets("0", "3", doc, "def")["field"]
    'excerpt'
    """
    of_source = source_map is not None
    size = source_map.source_length if source_map is not None else len(doc["text"])
    try:
        s, e = int(start), int(end)
    except ValueError:
        origin = "the transcript file" if of_source else "the document"
        return {
            "field": "start, end",
            "expected": "whole-number offsets",
            "found": f"{start!r}, {end!r}",
            "fix": f"write both offsets as whole numbers (code points from the start of {origin}), "
            "or leave both empty and give the excerpt",
        }
    if not 0 <= s < e <= size:
        return _range_problem(s, e, size, doc["document"], of_source)
    span = source_map.span(s, e) if source_map is not None else (s, e)
    if span[0] >= span[1]:  # only offsets moved through a map can select nothing
        return {
            "field": "start, end",
            "expected": "offsets that select some of what was said",
            "found": f"start {s}, end {e}: only the header, times or speaker labels of {doc['document']!r}",
            "fix": "select the words of the turn",
        }
    text = doc["text"][span[0] : span[1]]
    if excerpt and not (_same_folded(text, excerpt) if of_source else text == excerpt):
        where = f"transcript {doc['document']!r} as written" if of_source else repr(doc["document"])
        return {
            "field": "excerpt",
            "expected": f"the text at [{s}, {e}) of {where}",
            "found": repr(excerpt[:60]),
            "fix": "correct the offsets or the excerpt",
        }
    return span


def _range_problem(start: int, end: int, size: int, document: object, of_source: bool) -> RowProblem:
    """Offsets outside the text they count in (the document, or the transcript as written)."""
    if of_source:
        length = f"transcript {document!r} as written, in code points"
        how = " (they count from the start of the transcript file)"
    else:
        length, how = f"document {document!r}", ""
    return {
        "field": "start, end",
        "expected": f"0 <= start < end <= {size} (the length of {length})",
        "found": f"start {start}, end {end}",
        "fix": f"correct the offsets{how}, or give the excerpt instead",
    }


def _same_folded(text: str, excerpt: str) -> bool:
    """Whether two texts agree once quotes, dashes, spaces and case are folded."""
    return fold_text(text)[0].strip() == fold_text(excerpt)[0].strip()


def span_of_excerpt(cells: pd.Series, doc: pd.Series, excerpt: str, turn_index: TurnIndex | None) -> Span | RowProblem:
    """The one place an excerpt (given without offsets) lies in its document: found
    exactly, or tolerantly (:func:`peerstudy.qualitative.excerpts.find_excerpt`); where it occurs
    more than once, the sheet's ``speaker`` (whose turn) or ``occurrence`` (1 = first)
    column picks one.

    Examples
    --------
    >>> doc = pd.Series({"document": "d", "text": "yes and yes"})
    >>> span_of_excerpt(pd.Series({"occurrence": "2"}), doc, "yes", None)
    (8, 11)
    >>> span_of_excerpt(pd.Series(dtype=str), doc, "yes", None)["field"]
    'excerpt'
    """
    found = find_excerpt(doc["text"], excerpt).spans
    shown = repr(excerpt[:80] + ("…" if len(excerpt) > 80 else ""))
    if not found:
        return {
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
            return {
                "field": "occurrence",
                "expected": f"a whole number from 1 to {len(found)}",
                "found": repr(occurrence),
                "fix": "count the occurrences of the excerpt in the document",
            }
        found = [found[int(occurrence) - 1]]
    if len(found) > 1:
        places = ", ".join(f"[{s}, {e})" for s, e in found[:5])
        return {
            "field": "excerpt",
            "expected": f"text that occurs once in document {doc['document']!r}",
            "found": f"{shown}, which occurs {len(found)} times (at {places})",
            "fix": "give the start and end offsets, the speaker, or the occurrence (1 = first) in the row, "
            "or copy a longer excerpt",
        }
    return found[0]
